"""Hot provers: a long-lived proving process per model, and a bounded pool of them.

A cold proof pays for a new process: starting Python, importing ezkl, finding the model's
artifacts, then ezkl reading the circuit, proving key and SRS. A :class:`HotProver` starts one
worker process for one compiled model; the worker imports ezkl once, copies the circuit,
proving key and SRS to its own scratch folder (kept in the page cache while it lives) and
answers proving requests over a pipe until closed. ezkl 23's Python API takes keys by path
only, so each proof still has ezkl read the key file, from memory-backed cache rather than
the content store; what the hot path saves is the process, the import and the lookups.

:class:`ProverPool` keeps at most ``max_provers`` hot provers (least recently used evicted,
its process ended) so memory stays bounded; a worker that died is started again once.
Halo2 proofs are randomized (blinding factors), so a hot proof is not byte-identical to a
cold one: it has the same public instances and verifies the same way.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiweb3.errors import InputError, ProofError
from aiweb3.zkml.model import CompiledModel, ZkmlHome
from aiweb3.zkml.proof import InferenceProof, build_proof, input_payload

__all__ = ["HotProver", "ProverPool"]

_START_TIMEOUT = 300.0


def _serve(conn: Connection, circuit: str, pk: str, srs: str, scratch: str) -> None:
    """The worker: read the artifacts once (into the page cache), then prove each request."""
    import json

    from aiweb3.zkml import _ezkl

    folder = Path(scratch)
    staged = {"circuit": Path(circuit), "pk": Path(pk), "srs": Path(srs)}
    for name, path in staged.items():  # read once: a missing artifact fails the start, not a proof
        if not path.is_file():
            conn.send(("error", f"the {name} file {path} is missing"))
            return
        with path.open("rb") as fh:
            while fh.read(1 << 24):
                pass
    conn.send(("ready", None))
    count = 0
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        count += 1
        data_path, witness_path, proof_path = (
            folder / f"{stem}{count}.json" for stem in ("in", "wit", "proof")
        )
        try:
            data_path.write_text(json.dumps(request))
            witness = _ezkl.gen_witness(data_path, staged["circuit"], witness_path)
            _ezkl.prove(witness_path, staged["circuit"], staged["pk"], proof_path, staged["srs"])
            conn.send(("ok", (json.loads(proof_path.read_text()), witness)))
        except (ProofError, InputError, OSError) as exc:
            conn.send(("error", str(exc)))
        finally:
            for path in (data_path, witness_path, proof_path):
                path.unlink(missing_ok=True)


class HotProver:
    """One model's long-lived proving process.

    Args:
        model: the compiled model it proves for.

    Use as a context manager, or call :meth:`close`.
    """

    def __init__(self, model: CompiledModel) -> None:
        self.model = model
        self._lock = threading.Lock()
        self._process: Any = None
        self._conn: Connection | None = None
        self._scratch: str | None = None
        self.restarts = 0
        self.last_used = time.monotonic()
        self._start()

    def _start(self) -> None:
        ctx = mp.get_context("spawn")  # never fork a process that may hold threads or a web3 client
        parent, child = ctx.Pipe()
        self._scratch = tempfile.mkdtemp(prefix="hot-", dir=ZkmlHome(self.model.home).store.root)
        paths = [str(self.model.artifact_path(w)) for w in ("circuit", "pk", "srs")]
        self._process = ctx.Process(target=_serve, args=(child, *paths, self._scratch), daemon=True)
        self._process.start()
        child.close()
        self._conn = parent
        if not parent.poll(_START_TIMEOUT):
            self._stop()
            raise ProofError(f"the hot prover of {self.model.model_id} did not start; check the disk space")
        try:
            status, detail = parent.recv()
        except EOFError:
            self._stop()
            raise ProofError(f"the hot prover of {self.model.model_id} died while starting") from None
        if status != "ready":
            self._stop()
            raise ProofError(
                f"the hot prover of {self.model.model_id} cannot start: {detail}; compile it again"
            )

    @property
    def alive(self) -> bool:
        """True while the worker process runs."""
        return self._process is not None and bool(self._process.is_alive())

    @property
    def pid(self) -> int | None:
        """The worker's process id."""
        return None if self._process is None else int(self._process.pid)

    def prove(self, inputs: Any) -> InferenceProof:
        """Prove one request (as :meth:`CompiledModel.prove` takes it); restarts a dead worker once.

        Raises:
            InputError: the inputs do not fit the model.
            ProofError: ezkl failed, or the worker died twice.
        """
        payload = input_payload(self.model, inputs)
        with self._lock:
            self.last_used = time.monotonic()
            try:
                raw, witness = self._ask(payload)
            except (EOFError, BrokenPipeError, ConnectionResetError):
                self.restarts += 1
                self._stop()
                self._start()
                try:
                    raw, witness = self._ask(payload)
                except (EOFError, BrokenPipeError, ConnectionResetError):
                    self._stop()
                    raise ProofError(f"the hot prover of {self.model.model_id} died twice") from None
        return build_proof(self.model, raw, witness)

    def _ask(self, payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        if self._conn is None or not self.alive:
            raise EOFError
        self._conn.send(payload)
        status, value = self._conn.recv()
        if status != "ok":
            raise ProofError(str(value))
        raw, witness = value
        return dict(raw), dict(witness)

    def _stop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError, ValueError):
                self._conn.send(None)
            self._conn.close()
            self._conn = None
        if self._process is not None:
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(5)
            self._process = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def close(self) -> None:
        """End the worker process and remove its scratch folder."""
        with self._lock:
            self._stop()

    def __enter__(self) -> HotProver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ProverPool:
    """At most ``max_provers`` hot provers, one per model, least recently used evicted.

    Args:
        max_provers: how many worker processes (each holding one model's keys) may live at once.
    """

    def __init__(self, max_provers: int = 2) -> None:
        if max_provers < 1:
            raise InputError("a prover pool needs room for at least one prover")
        self.max_provers = max_provers
        self._provers: OrderedDict[str, HotProver] = OrderedDict()
        self._lock = threading.Lock()
        self.evictions = 0

    def prover(self, model: CompiledModel) -> HotProver:
        """The hot prover of ``model`` (started if needed, evicting the least recently used)."""
        with self._lock:
            found = self._provers.get(model.model_id)
            if found is not None:
                self._provers.move_to_end(model.model_id)
                return found
            while len(self._provers) >= self.max_provers:
                _, old = self._provers.popitem(last=False)
                old.close()
                self.evictions += 1
            made = HotProver(model)
            self._provers[model.model_id] = made
            return made

    def prove(self, model: CompiledModel, inputs: Any) -> InferenceProof:
        """Prove ``inputs`` with ``model``'s hot prover."""
        return self.prover(model).prove(inputs)

    @property
    def models(self) -> list[str]:
        """The model ids with a live prover, least recently used first."""
        return list(self._provers)

    def close(self) -> None:
        """End every worker."""
        with self._lock:
            while self._provers:
                self._provers.popitem()[1].close()

    def __enter__(self) -> ProverPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
