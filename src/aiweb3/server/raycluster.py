"""A real multi-process Ray cluster on this machine: a head and worker nodes, for tests and benchmarks.

Each node is one ``ray start --block`` process in its own session (its raylet, object store and
worker processes are its descendants), so a node can be killed on its own, as a crashed
machine would be, and :meth:`LocalRayCluster.close` ends exactly the processes it started.
The head takes no tasks (``--num-cpus 0``); each worker node offers one CPU and a small object
store; no dashboard. The cluster uses Ray's token authentication with a token of its own:
a driver joins it with :attr:`LocalRayCluster.auth_env` in its environment.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiweb3.errors import ConfigError

__all__ = ["LocalRayCluster"]

_OBJECT_STORE = str(80 * 1024 * 1024)
_IP = "127.0.0.1"
_READY = "This command will now block forever"  # what `ray start --block` prints once its node is up


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((_IP, 0))
        return int(sock.getsockname()[1])


def _descendants(pid: int) -> set[int]:
    """``pid`` and every process below it (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(children.get(current, []))
    return found


class LocalRayCluster:
    """A head and ``workers`` worker nodes, each a separate ``ray start`` process tree.

    Args:
        workers: how many worker nodes (one CPU each).
        cpus_per_worker: the CPUs each worker node offers to tasks.

    Use as a context manager, or call :meth:`start` and :meth:`close`.
    """

    def __init__(self, workers: int = 2, *, cpus_per_worker: int = 1) -> None:
        self.port = _free_port()
        self.address = f"{_IP}:{self.port}"
        self.workers = workers
        self.cpus_per_worker = cpus_per_worker
        # short: Ray's socket paths must stay under the 107-byte limit of Unix sockets
        self.temp_dir = Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))
        self.head: subprocess.Popen[bytes] | None = None
        self.nodes: list[subprocess.Popen[bytes]] = []
        self._ray = str(Path(sys.executable).parent / "ray")
        self._logs: dict[int, Path] = {}
        self._started = 0
        #: what a driver's environment needs to join (Ray reads these in ``ray.init``)
        self.auth_env = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}

    def _start(self, *args: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **self.auth_env}
        log_path = self.temp_dir / f"node{self._started}.log"
        self._started += 1
        command = [self._ray, "start", "--block", "--disable-usage-stats", f"--node-ip-address={_IP}"]
        with log_path.open("wb") as log:
            node = subprocess.Popen(
                [*command, f"--object-store-memory={_OBJECT_STORE}", *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self._logs[node.pid] = log_path
        return node

    def _ready(self, node: subprocess.Popen[bytes], deadline: float) -> bool:
        """Wait until ``ray start`` says the node is up (True) or it exits or time runs out (False)."""
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if _READY in self._logs[node.pid].read_text(errors="replace"):
                    return True
            if node.poll() is not None:
                return False
            time.sleep(0.3)
        return False

    def start(self, timeout: float = 300.0) -> LocalRayCluster:
        """Start the head, then the worker nodes; returns once every node has joined."""
        try:
            return self._start_nodes(timeout)
        except BaseException:  # an interrupted start leaves nothing running
            self.close(keep_logs=True)
            raise

    def _start_nodes(self, timeout: float) -> LocalRayCluster:
        deadline = time.monotonic() + timeout
        self.head = self._start(
            "--head", f"--port={self.port}", "--num-cpus=0", "--include-dashboard=false",
            f"--temp-dir={self.temp_dir}",
        )  # fmt: skip
        if not self._ready(self.head, deadline):
            raise ConfigError(f"the Ray head did not start; see {self._logs[self.head.pid]}")
        # one node at a time, each given a few tries: on a loaded machine Ray's own 30-second
        # wait for a raylet to register can run out
        for _ in range(self.workers):
            for _attempt in range(3):
                node = self._start(f"--address={self.address}", f"--num-cpus={self.cpus_per_worker}")
                if self._ready(node, deadline):
                    self.nodes.append(node)
                    break
                self._kill(node, signal.SIGKILL)
            else:
                raise ConfigError(f"a Ray worker node did not start; see the logs in {self.temp_dir}")
        return self

    def raylets(self) -> dict[int, subprocess.Popen[bytes]]:
        """The raylet process id of each running node, mapped to that node's ``ray start`` process."""
        found: dict[int, subprocess.Popen[bytes]] = {}
        for node in [*([self.head] if self.head else []), *self.nodes]:
            if node.poll() is not None:
                continue
            for pid in _descendants(node.pid):
                with contextlib.suppress(OSError):
                    if Path(f"/proc/{pid}/comm").read_text().strip() == "raylet":
                        found[pid] = node
        return found

    def kill_node_of(self, raylet_pid: int) -> None:
        """Kill (SIGKILL) the whole node whose raylet is ``raylet_pid``, as a crash would."""
        node = self.raylets().get(raylet_pid)
        if node is None:
            raise ConfigError(f"no running node of this cluster has raylet {raylet_pid}")
        self._kill(node, signal.SIGKILL)

    def _kill(self, node: subprocess.Popen[bytes], sig: signal.Signals, tree: set[int] | None = None) -> None:
        """Signal the node's process group and every process below it (found before it died)."""
        # the tree is read before any signal: once `ray start` dies its children are re-parented,
        # and Ray's workers (in their own process groups) would no longer be found below it
        tree = tree if tree is not None else _descendants(node.pid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(node.pid, sig)
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            node.wait(10)

    def close(self, *, keep_logs: bool = False) -> None:
        """End every process this cluster started (workers first, then the head); remove its
        folder unless ``keep_logs``."""
        for node in [*self.nodes, *([self.head] if self.head else [])]:
            tree = _descendants(node.pid) if node.poll() is None else set()
            if node.poll() is None:
                node.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    node.wait(15)
            self._kill(node, signal.SIGKILL, tree - {node.pid})  # whatever outlived its node's shutdown
        self.nodes, self.head = [], None
        if not keep_logs:
            shutil.rmtree(self.temp_dir, ignore_errors=True)

    def __enter__(self) -> LocalRayCluster:
        return self if self.head is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
