"""The local node: a real anvil process that aiweb3 starts, finds, supervises and stops.

State lives under ``<home>/node``: ``state.json`` (anvil's dump, reloaded on start and
rewritten every ``state_interval`` seconds and on a clean stop), ``anvil.log``,
``node.json`` (pid, port, url) so that a second process finds a running node instead of
starting another one, and ``journal.sqlite``: the write-ahead journal of the transactions
aiweb3 sent (see :mod:`aiweb3.chain.journal`). On every start, whatever the journal holds and
the node lost (a SIGKILL between two state dumps) is re-sent before the node is handed out;
``replay.log`` says what was re-sent.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

import httpx

from aiweb3.chain import lifetime
from aiweb3.chain.journal import ReplayReport, TxJournal, replay
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import ChainError, NodeError
from aiweb3.files import atomic_write_json
from aiweb3.presence import process_alive as _alive
from aiweb3.presence import send_signal, terminate
from aiweb3.tools import anvil_binary

__all__ = ["DEV_MNEMONIC", "LocalNode", "NodeConfig", "NodeInfo"]

#: anvil's default mnemonic; its accounts are public and for local development only.
DEV_MNEMONIC = "test test test test test test test test test test test junk"

_LISTENING = re.compile(rb"Listening on (?:[\d.]+|\[[^\]]*\]|localhost):(\d+)")


@dataclass(frozen=True)
class NodeConfig:
    """How to run the local node.

    Attributes:
        home: ``AIWEB3_HOME``; the node keeps its files in ``home / "node"``.
        port: 0 picks a free port.
        state_interval: seconds between state dumps (what survives a SIGKILL).
        accounts: number of funded dev accounts.
        block_time: seconds per block, or None to mine on every transaction.
    """

    home: Path
    port: int = 0
    chain_id: int = LOCAL_CHAIN_ID
    state_interval: int = 5
    accounts: int = 10
    block_time: float | None = None
    gas_limit: int = 60_000_000
    startup_timeout: float = 20.0


@dataclass(frozen=True)
class NodeInfo:
    """What ``node.json`` records about a running node."""

    pid: int
    port: int
    url: str
    chain_id: int
    started_at: float


def _chain_id_at(url: str, timeout: float = 1.0) -> int | None:
    try:
        resp = httpx.post(
            url,
            json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
            timeout=timeout,
        )
        return int(resp.json()["result"], 16)
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None


class LocalNode:
    """Supervises one anvil process per ``home``.

    Example:
        >>> node = LocalNode(NodeConfig(home=Path("~/.aiweb3").expanduser()))
        >>> info = node.start()  # or finds the one already running
        >>> node.stop()
    """

    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        self.dir = Path(config.home) / "node"
        self.state_file = self.dir / "state.json"
        self.log_file = self.dir / "anvil.log"
        self.info_file = self.dir / "node.json"
        self.replay_log = self.dir / "replay.log"
        self._proc: subprocess.Popen[bytes] | None = None
        #: what the last :meth:`start` of this object re-sent from the journal (None: found a running node)
        self.last_replay: ReplayReport | None = None

    @cached_property
    def journal(self) -> TxJournal:
        """The write-ahead journal of transactions sent to this node (``<home>/node/journal.sqlite``).

        Pass it to the clients of this node: ``Chain(node.url, journal=node.journal)``.
        """
        return TxJournal(self.dir / "journal.sqlite")

    # -- discovery -------------------------------------------------------
    def info(self) -> NodeInfo | None:
        """The running node's record, or None. A stale record (dead pid) is removed."""
        try:
            data = json.loads(self.info_file.read_text())
            info = NodeInfo(**data)
        except FileNotFoundError:
            return None
        except (ValueError, TypeError):
            self.info_file.unlink(missing_ok=True)
            return None
        if not _alive(info.pid):
            self.info_file.unlink(missing_ok=True)
            return None
        return info

    def healthy(self) -> bool:
        """True when a recorded node answers JSON-RPC with the expected chain id."""
        info = self.info()
        return info is not None and _chain_id_at(info.url) == info.chain_id

    @property
    def url(self) -> str:
        """URL of the running node; raises :class:`NodeError` when none is running."""
        info = self.info()
        if info is None:
            raise NodeError("the local node is not running; start it with `aiweb3 node start`")
        return info.url

    # -- lifecycle -------------------------------------------------------
    def start(self, *, die_with_parent: bool = False) -> NodeInfo:
        """Start anvil, or return the node already running for this home.

        Args:
            die_with_parent: stop the node (SIGTERM: it saves its state) when this process dies,
                even by SIGKILL (Linux). By default the node outlives the command that started it.
        """
        existing = self.info()
        if existing is not None:
            if _chain_id_at(existing.url, timeout=3.0) == existing.chain_id:
                return existing
            raise NodeError(
                f"a node process (pid {existing.pid}) is recorded for {self.dir} but does not "
                "answer; stop it with `aiweb3 node stop` and start again"
            )
        self.dir.mkdir(parents=True, exist_ok=True)
        self._check_state_file()
        cmd = [
            str(anvil_binary()),
            "--host", "127.0.0.1",
            "--port", str(self.config.port),
            "--chain-id", str(self.config.chain_id),
            "--accounts", str(self.config.accounts),
            "--mnemonic", DEV_MNEMONIC,
            "--gas-limit", str(self.config.gas_limit),
            "--code-size-limit", "49152",
            "--state", str(self.state_file),
            "--state-interval", str(self.config.state_interval),
        ]  # fmt: skip
        if self.config.block_time:
            cmd += ["--block-time", str(self.config.block_time)]
        log = self.log_file.open("ab")
        start_offset = log.tell()
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # no terminal signals: its supervisor stops it
                preexec_fn=lifetime.die_with_parent() if die_with_parent else None,
            )
        except OSError as exc:
            raise NodeError(f"could not run anvil ({exc}); run `make setup`") from exc
        finally:
            log.close()
        self._proc = proc
        port = self._wait_for_port(proc, start_offset)
        info = NodeInfo(
            pid=proc.pid,
            port=port,
            url=f"http://127.0.0.1:{port}",
            chain_id=self.config.chain_id,
            started_at=time.time(),
        )
        deadline = time.monotonic() + self.config.startup_timeout
        while _chain_id_at(info.url) != self.config.chain_id:
            if time.monotonic() > deadline or proc.poll() is not None:
                send_signal(proc.pid, signal.SIGKILL)
                raise NodeError(f"anvil did not answer on {info.url}; see {self.log_file}")
            time.sleep(0.05)
        try:
            self.last_replay = self._replay(info.url)
        except ChainError as exc:
            send_signal(proc.pid, signal.SIGKILL)
            raise NodeError(
                f"the node lost transactions in an unclean stop and re-sending them failed ({exc}); "
                f"start it again, or see {self.replay_log}"
            ) from exc
        atomic_write_json(self.info_file, asdict(info))
        return info

    def _replay(self, url: str) -> ReplayReport:
        """Re-send what the journal holds and the node lost; log it when anything was lost."""
        from aiweb3.chain.client import Chain  # the client loads every artifact: only when needed

        if not (self.dir / "journal.sqlite").exists():
            return ReplayReport()
        with Chain(url, expected_chain_id=self.config.chain_id) as chain:
            report = replay(chain, self.journal)
        if report.resent or report.calls or report.rejected:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            lines = [f"{stamp} {report.summary()}"]
            lines += [f"  {h}: block {old} -> {new}" for h, (old, new) in report.moved.items()]
            lines += [f"  {h}: refused: {why}" for h, why in report.rejected]
            with self.replay_log.open("a") as fh:
                fh.write("\n".join(lines) + "\n")
        return report

    def _check_state_file(self) -> None:
        if not self.state_file.exists():
            return
        try:
            json.loads(self.state_file.read_bytes())
        except ValueError as exc:
            broken = self.state_file.with_suffix(f".broken-{int(time.time())}.json")
            self.state_file.rename(broken)
            if (self.dir / "journal.sqlite").exists() and self.journal.covers_genesis(self.config.chain_id):
                # a SIGKILL while anvil wrote its dump: a fresh chain plus the journal rebuilds it
                with self.replay_log.open("a") as fh:
                    fh.write(
                        f"the state file was unreadable (moved to {broken}); rebuilding from the journal\n"
                    )
                return
            raise NodeError(
                f"the node state file was unreadable and was moved to {broken}; "
                "start again for a fresh chain, or restore a backup"
            ) from exc

    def _wait_for_port(self, proc: subprocess.Popen[bytes], offset: int) -> int:
        deadline = time.monotonic() + self.config.startup_timeout
        while time.monotonic() < deadline:
            with self.log_file.open("rb") as fh:
                fh.seek(offset)
                text = fh.read()
            match = _LISTENING.search(text)
            if match:
                return int(match.group(1))
            if proc.poll() is not None:
                tail = text.decode(errors="replace").strip().splitlines()[-3:]
                hint = " | ".join(tail) or "no output"
                if b"Address already in use" in text or b"address in use" in text.lower():
                    raise NodeError(
                        f"port {self.config.port} is already taken; pick another with --port "
                        "or use --port 0 for a free one"
                    )
                raise NodeError(f"anvil exited at start ({hint}); see {self.log_file}")
            time.sleep(0.02)
        send_signal(proc.pid, signal.SIGKILL)
        raise NodeError(f"anvil did not start within {self.config.startup_timeout}s")

    def stop(self, timeout: float = 15.0) -> bool:
        """Stop the node cleanly (anvil dumps its state on SIGTERM). Returns False if none ran."""
        info = self.info()
        if info is None:
            return False
        terminate(info.pid, self._proc, timeout)
        if self._proc is not None and self._proc.pid == info.pid:
            self._proc = None
        self.info_file.unlink(missing_ok=True)
        return True

    def kill(self) -> None:
        """SIGKILL the node (no state dump): for crash tests."""
        info = self.info()
        if info is None:
            return
        send_signal(info.pid, signal.SIGKILL)
        while _alive(info.pid):
            if self._proc is not None:
                self._proc.poll()
            time.sleep(0.01)

    def reset(self) -> None:
        """Stop the node and delete its chain state and its journal (a fresh chain on next start)."""
        self.stop()
        self.state_file.unlink(missing_ok=True)
        self.journal.clear()
