"""Which long-running aiweb3 process serves a home: the service record.

``aiweb3 up`` writes ``<home>/server/service.json`` (its pid, the dashboard URL, the node URL
it uses and the index it holds) once it serves, and removes it when it stops. Every other
command reads it, so that the CLI and a running service share one node and one index instead
of fighting over them: the CLI refuses to stop the service's node, and reads the index
through the service while the service holds DuckDB's single write lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TypeVar

from aiweb3.files import atomic_write_json

R = TypeVar("R")

__all__ = [
    "ServiceRecord",
    "clear_service_record",
    "live_record",
    "process_alive",
    "running_service",
    "send_signal",
    "terminate",
    "write_service_record",
]


@dataclass(frozen=True)
class ServiceRecord:
    """What a running ``aiweb3 up`` tells other processes about itself.

    Attributes:
        pid: the service's process id.
        api_url: where it serves the dashboard and ``/api``.
        node_url: the JSON-RPC URL of the node it uses.
        owns_node: True when the service started that node (and stops it on exit).
        index_path: the DuckDB file it follows the chain into, or None when analytics are off.
        local_key: a secret that local-only routes (the index snapshot) require; only processes
            that can read this 0600 record in the private home know it, not web pages.
    """

    pid: int
    api_url: str
    node_url: str
    owns_node: bool
    index_path: str | None
    local_key: str = ""


def _record_file(home: Path) -> Path:
    return Path(home) / "server" / "service.json"


def write_service_record(home: Path, record: ServiceRecord) -> None:
    """Publish ``record`` for other processes (atomically; readable by the owner only)."""
    atomic_write_json(_record_file(home), asdict(record), mode=0o600)


def clear_service_record(home: Path, pid: int | None = None) -> None:
    """Remove the record (only if it is ``pid``'s, when given)."""
    path = _record_file(home)
    if pid is not None:
        current = _read(path)
        if current is not None and current.pid != pid:
            return
    path.unlink(missing_ok=True)


def _read(path: Path) -> ServiceRecord | None:
    try:
        data = json.loads(path.read_text())
        return ServiceRecord(**data)
    except (OSError, ValueError, TypeError):
        return None


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs (an exited child not yet reaped counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie still answers kill(0)
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def live_record(path: Path, factory: Callable[..., R], pid: Callable[[R], int]) -> R | None:
    """The process record at ``path`` built with ``factory(**json)``, or None. A malformed record,
    or one whose process (``pid(record)``) is gone, is removed: the supervisors of the language
    model and the relay share this."""
    try:
        record = factory(**json.loads(path.read_text()))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError):
        path.unlink(missing_ok=True)
        return None
    if not process_alive(pid(record)):
        path.unlink(missing_ok=True)
        return None
    return record


def running_service(home: Path) -> ServiceRecord | None:
    """The live service of ``home``, or None (a record left by a killed service is ignored)."""
    record = _read(_record_file(home))
    if record is None or not process_alive(record.pid):
        return None
    return record


def send_signal(pid: int, sig: signal.Signals) -> None:
    """Signal ``pid``; a process that is already gone is not an error."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def terminate(pid: int, child: subprocess.Popen[bytes] | None = None, timeout: float = 10.0) -> None:
    """SIGTERM ``pid``, wait up to ``timeout`` for it to exit, then SIGKILL it.

    ``child`` is this process's own handle on it when it started it: it is reaped (an exited
    child would otherwise linger as a zombie and look alive).
    """
    own = child if child is not None and child.pid == pid else None
    send_signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while process_alive(pid):
        if own is not None:
            own.poll()
        if time.monotonic() > deadline:
            send_signal(pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.02)
    if own is not None:
        own.wait(timeout=5)
