"""Where the service's proving and compile work runs: on Ray, or in this process.

:class:`RayWorkers` sends each proof and each compilation to Ray as a task: a local Ray
runtime (started on first use, one CPU, a small object store, no dashboard) unless an address
is given (``AIWEB3_RAY_ADDRESS``, e.g. ``10.0.0.5:6379`` or ``ray://head:10001``). A task whose
worker process or node dies is run again on another node (``max_retries``), so a killed worker
loses no job. Inside a Ray worker process the proofs go through a hot prover pool kept for the
life of that process, so a model proved repeatedly is not reloaded per proof.

:class:`LocalWorkers` does the same work in the service's own process (``AIWEB3_RAY_ADDRESS=off``):
proofs through a :class:`~aiweb3.zkml.ProverPool`, compilations in the job's thread.

Both report progress the same way: the step names ezkl goes through. A Ray task writes its
steps to a small file under ``<home>/server/progress`` that the job's thread reads while it
waits, so the nodes must share ``AIWEB3_HOME`` (one machine, or a shared filesystem).
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import secrets
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from aiweb3.errors import AIWeb3Error, ConfigError
from aiweb3.files import atomic_write_json
from aiweb3.zkml import CompiledModel, InferenceProof, Model, ProverPool

__all__ = ["LocalWorkers", "RayWorkers", "StepFn", "Workers", "open_workers"]

#: called with the name of each step as it starts, and where it runs
StepFn = Callable[[str, str], None]

_LOCAL = "local"
_OFF = "off"
_OBJECT_STORE_BYTES = 80 * 1024 * 1024  # Ray's minimum is 75 MiB
_TASK_RETRIES = 3


class Workers(Protocol):
    """Runs the heavy part of proving and compile jobs."""

    def prove(self, model: CompiledModel, inputs: Any, on_step: StepFn) -> InferenceProof:
        """Prove one inference of ``model``."""

    def compile(self, onnx: Path, samples: list[Any], name: str | None, on_step: StepFn) -> CompiledModel:
        """Compile an ONNX file (reused when compiled already)."""

    def describe(self) -> dict[str, Any]:
        """Where the work runs, for the status page."""

    def close(self) -> None:
        """Release processes and connections."""


class LocalWorkers:
    """Work in this process: proofs through a hot prover pool, compilations in the caller's thread.

    Args:
        home: the state directory.
        max_provers: how many models keep a hot prover at once.
    """

    def __init__(self, home: Path, max_provers: int = 2) -> None:
        self.home = Path(home)
        self.pool = ProverPool(max_provers=max_provers)

    def prove(self, model: CompiledModel, inputs: Any, on_step: StepFn) -> InferenceProof:
        """Prove with the model's hot prover (started on first use)."""
        on_step("prove", "this process (hot prover)")
        return self.pool.prove(model, inputs)

    def compile(self, onnx: Path, samples: list[Any], name: str | None, on_step: StepFn) -> CompiledModel:
        """Compile in this thread."""
        return _compile(self.home, onnx, samples, name, lambda step: on_step(step, "this process"))

    def describe(self) -> dict[str, Any]:
        """``{"engine": "local", "hot_models": [...]}``."""
        return {"engine": "local", "hot_models": self.pool.models}

    def close(self) -> None:
        """End the hot provers."""
        self.pool.close()


def _compile(
    home: Path, onnx: Path, samples: list[Any], name: str | None, step: Callable[[str], None]
) -> CompiledModel:
    model = Model.from_onnx(onnx, home=home)
    if name:
        model.name = name
    return model.compile(samples, on_progress=step)


def _where() -> str:
    import ray

    node = ray.get_runtime_context().get_node_id()
    return f"ray node {node[:8]} pid {os.getpid()} (raylet {os.getppid()})"


class _StepFile:
    """The steps of one Ray task, written where the waiting job's thread reads them."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.where = _where()

    def __call__(self, step: str) -> None:
        atomic_write_json(self.path, {"step": step, "where": self.where})


# One pool per Ray worker process: the process outlives its tasks, so a model proved again in
# it finds its prover hot. The pool's own processes end when this one exits (or is killed:
# they read end-of-file on their pipe and stop).
_worker_pool: ProverPool | None = None


def _pool_of_this_worker() -> ProverPool:
    global _worker_pool
    if _worker_pool is None:
        _worker_pool = ProverPool(max_provers=2)
        atexit.register(_worker_pool.close)
    return _worker_pool


def _prove_task(home: str, model_id: str, inputs: Any, step_path: str) -> dict[str, Any]:
    """Runs on a Ray worker: prove with this process's hot pool; returns the proof's JSON."""
    step = _StepFile(step_path)
    step("prove")
    model = CompiledModel.load(home, model_id)
    return _pool_of_this_worker().prove(model, inputs).to_json()


def _compile_task(home: str, onnx: str, samples: list[Any], name: str | None, step_path: str) -> str:
    """Runs on a Ray worker: compile; returns the model id."""
    path = Path(onnx)
    if not path.is_file():
        raise ConfigError(
            f"the Ray worker cannot see {path}: the cluster's nodes must share AIWEB3_HOME "
            "(one machine or a shared filesystem)"
        )
    step = _StepFile(step_path)
    step("started")  # says where the task runs before the first ezkl step
    model_id = _compile(Path(home), path, samples, name, step).model_id
    step("compiled")  # a retry that finds the model compiled reports no ezkl step: say who finished
    return model_id


def _reachable(address: str, timeout: float = 3.0) -> bool:
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    if parsed.hostname is None or parsed.port is None:
        raise ConfigError(
            f"AIWEB3_RAY_ADDRESS={address!r} is not host:port (or ray://host:port); fix it, "
            f"or set it to '{_LOCAL}' (a local Ray runtime) or '{_OFF}' (no Ray)"
        )
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=timeout):
            return True
    except OSError:
        return False


class RayWorkers:
    """Work as Ray tasks: a local Ray runtime, or the cluster at ``address``.

    Ray is joined on first use (a service that never proves never starts it).

    Args:
        home: the state directory (the nodes must see it at the same path).
        address: a Ray cluster (``host:port`` of its head, or ``ray://host:port``), or None for a
            local runtime started here.
        required: refuse to work (``ConfigError``) when the cluster is unreachable, instead of
            falling back to a local runtime with a warning.
        warn: where the fallback warning goes (the service's log).
    """

    def __init__(
        self,
        home: Path,
        address: str | None = None,
        *,
        required: bool = False,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.home = Path(home)
        self.address = address
        self.required = required
        self._warn = warn or (lambda _msg: None)
        self._lock = threading.Lock()
        self._joined: str | None = None  # "cluster <address>" or "local"
        self.fallback: str | None = None  # why the cluster was not used

    def _join(self) -> None:
        import ray

        with self._lock:
            if self._joined is not None:
                return
            why = None
            if self.address is not None:
                why = self._join_cluster(ray)
                if why is None:
                    self._joined = f"cluster {self.address}"
                    return
                if self.required:
                    raise ConfigError(
                        f"{why}; start it (ray start --head), fix AIWEB3_RAY_ADDRESS, "
                        "or unset AIWEB3_RAY_REQUIRED to fall back to a local Ray runtime"
                    )
                self.fallback = why
                self._warn(f"{why}: proving and compiling on a local Ray runtime instead")
            if not ray.is_initialized():
                ray.init(
                    num_cpus=1,
                    object_store_memory=_OBJECT_STORE_BYTES,
                    include_dashboard=False,
                    namespace="aiweb3",
                    log_to_driver=False,
                )
            self._joined = _LOCAL

    def _join_cluster(self, ray: Any) -> str | None:
        """Connect to ``self.address``; None when joined, else why not."""
        assert self.address is not None
        if not _reachable(self.address):
            return f"the Ray cluster at {self.address} is unreachable"
        try:
            ray.init(address=self.address, namespace="aiweb3", log_to_driver=False)
        except Exception as exc:  # Ray raises plain ConnectionError/RuntimeError for a bad cluster
            return f"the Ray cluster at {self.address} refused the connection ({type(exc).__name__}: {exc})"
        return None

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...], on_step: StepFn) -> Any:
        import ray

        self._join()
        steps = self.home / "server" / "progress"
        steps.mkdir(parents=True, exist_ok=True)
        step_path = steps / f"{secrets.token_hex(8)}.json"
        task = ray.remote(max_retries=_TASK_RETRIES, retry_exceptions=False)(fn)
        ref = task.remote(*args, str(step_path))
        seen = None
        try:
            while True:
                ready, _ = ray.wait([ref], timeout=0.25)
                seen = _report(step_path, seen, on_step)
                if ready:
                    return _unwrap(ray, ref)
        finally:
            step_path.unlink(missing_ok=True)

    def prove(self, model: CompiledModel, inputs: Any, on_step: StepFn) -> InferenceProof:
        """Prove on a Ray worker (hot: its process keeps the model's prover)."""
        data = self._run(_prove_task, (str(model.home), model.model_id, inputs), on_step)
        return InferenceProof.from_json(data)

    def compile(self, onnx: Path, samples: list[Any], name: str | None, on_step: StepFn) -> CompiledModel:
        """Compile on a Ray worker."""
        model_id = self._run(_compile_task, (str(self.home), str(onnx), samples, name), on_step)
        return CompiledModel.load(self.home, model_id)

    def describe(self) -> dict[str, Any]:
        """``{"engine": "ray", "where": ..., "fallback": ...}``."""
        return {
            "engine": "ray",
            "where": self._joined or "not started yet (joins on the first job)",
            "address": self.address,
            "fallback": self.fallback,
        }

    def describe_after_join(self) -> dict[str, Any]:
        """Join Ray now (the service does on its first job) and say where the work runs.

        Raises:
            ConfigError: the cluster is unreachable and was required, or its address is malformed.
        """
        self._join()
        return self.describe()

    def close(self) -> None:
        """Leave the cluster (or stop the local runtime started here)."""
        import ray

        with self._lock:
            if self._joined is not None and ray.is_initialized():
                ray.shutdown()
            self._joined = None


def _report(path: Path, seen: Any, on_step: StepFn) -> Any:
    try:
        now = json.loads(path.read_text())
    except (OSError, ValueError):
        return seen
    if now != seen:
        on_step(str(now.get("step")), str(now.get("where")))
    return now


def _unwrap(ray: Any, ref: Any) -> Any:
    """The task's value. An aiweb3 error raised in the task is raised here as itself; a task
    that Ray gave up on (its worker or node died more than ``max_retries`` times) is an
    AIWeb3Error naming why."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayTaskError as exc:
        inner = getattr(exc, "cause", None)
        if isinstance(inner, AIWeb3Error):
            raise inner from None
        raise exc.as_instanceof_cause() from None
    except ray.exceptions.RayError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise AIWeb3Error(
            f"the Ray task failed after {_TASK_RETRIES} retries ({type(exc).__name__}: {first}); "
            "check the cluster's nodes (ray status) and retry the job"
        ) from None


def open_workers(
    home: Path, address: str | None, *, required: bool = False, warn: Callable[[str], None] | None = None
) -> Workers:
    """The workers ``AIWEB3_RAY_ADDRESS`` asks for: ``off`` (this process), unset or ``local``
    (a local Ray runtime), or a cluster address."""
    value = (address or _LOCAL).strip()
    if value == _OFF:
        if required:
            raise ConfigError("AIWEB3_RAY_REQUIRED is set but AIWEB3_RAY_ADDRESS=off; choose one")
        return LocalWorkers(home)
    if importlib.util.find_spec("ray") is None:  # found without importing it (Ray loads on the first job)
        raise ConfigError("Ray is not installed: run `make setup`, or set AIWEB3_RAY_ADDRESS=off")
    return RayWorkers(home, None if value == _LOCAL else value, required=required, warn=warn)
