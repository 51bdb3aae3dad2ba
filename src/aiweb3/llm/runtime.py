"""The embedded model runtime: a Node process (``server.mjs``) that aiweb3 starts, finds and stops.

It runs llama.cpp through the npm package ``node-llama-cpp`` (pinned; its prebuilt CPU binary
comes with ``npm ci``) and serves an OpenAI-compatible API on 127.0.0.1. State lives under
``<home>/llm``: ``runtime.json`` (pid, port, url, model and its SHA-256, runtime build) so that a
second process finds a running runtime instead of starting another, and ``runtime.log``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import httpx

from aiweb3.chain import lifetime
from aiweb3.errors import ConfigError, LLMUnavailable
from aiweb3.files import atomic_write_json
from aiweb3.llm.models import ModelStore
from aiweb3.presence import live_record, send_signal, terminate
from aiweb3.tools import node_modules

__all__ = ["ModelRuntime", "RuntimeBuild", "RuntimeConfig", "RuntimeInfo", "runtime_build"]

_SERVER = Path(__file__).with_name("server.mjs")
_LISTENING = re.compile(rb"aiweb3-llm listening on (\d+)")
_BINARY_SUFFIXES = (".node", ".so")


@dataclass(frozen=True)
class RuntimeBuild:
    """What identifies the inference code: the node-llama-cpp version and its binaries' hash."""

    engine: str
    version: str
    binary_sha256: str

    @property
    def id(self) -> str:
        """``node-llama-cpp@3.21.1+<first 16 hex of the binary hash>``."""
        return f"{self.engine}@{self.version}+{self.binary_sha256[:16]}"


def default_threads() -> int:
    """Half the CPU cores, at least one."""
    return max(1, (os.cpu_count() or 2) // 2)


@cache
def runtime_build(modules: Path | None = None) -> RuntimeBuild:
    """The installed node-llama-cpp version and the SHA-256 over its prebuilt CPU binaries."""
    modules = modules or node_modules()
    package = modules / "node-llama-cpp" / "package.json"
    binaries = modules / "@node-llama-cpp" / "linux-x64" / "bins"
    if not package.is_file() or not binaries.is_dir():
        raise ConfigError("node-llama-cpp is not installed; run `make setup` (npm ci)")
    version = str(json.loads(package.read_text())["version"])
    digest = hashlib.sha256()
    for path in sorted(p for p in binaries.rglob("*") if p.is_file() and p.name.endswith(_BINARY_SUFFIXES)):
        digest.update(path.relative_to(binaries).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return RuntimeBuild(engine="node-llama-cpp", version=version, binary_sha256=digest.hexdigest())


@dataclass(frozen=True)
class RuntimeConfig:
    """How to run the model server.

    Attributes:
        home: ``AIWEB3_HOME``; files go to ``home / "llm"``.
        model: registered model name, or None for the default model.
        port: 0 picks a free port.
        context_size: tokens of context (prompt plus answer).
        threads: CPU threads for generation (default: half the cores, at least one; llama.cpp's
            threads wait for each other, so on a busy machine fewer threads run faster).
        startup_timeout: seconds to wait for the model to load and the port to open.
    """

    home: Path
    model: str | None = None
    port: int = 0
    context_size: int = 4096
    threads: int = field(default_factory=lambda: default_threads())
    startup_timeout: float = 60.0


@dataclass(frozen=True)
class RuntimeInfo:
    """What ``runtime.json`` records about a running model server."""

    pid: int
    port: int
    url: str
    model: str
    sha256: str
    runtime: str
    context_size: int
    started_at: float

    @property
    def api_url(self) -> str:
        """The OpenAI-compatible base URL (``…/v1``)."""
        return f"{self.url}/v1"


def _health(url: str, timeout: float = 2.0) -> dict[str, object] | None:
    try:
        resp = httpx.get(f"{url}/health", timeout=timeout)
        data = resp.json()
    except (httpx.HTTPError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("status") == "ok" else None


def _node_binary() -> str:
    found = shutil.which("node")
    if not found:
        raise ConfigError("node (Node.js) is not on PATH; install Node.js 20+ to run the local model")
    return found


class ModelRuntime:
    """Supervises one model server per home.

    Example:
        >>> rt = ModelRuntime(RuntimeConfig(home=Path("~/.aiweb3").expanduser()))
        >>> info = rt.start()  # or finds the one already running
        >>> rt.stop()
    """

    def __init__(self, config: RuntimeConfig) -> None:
        self.config = config
        self.dir = Path(config.home) / "llm"
        self.info_file = self.dir / "runtime.json"
        self.log_file = self.dir / "runtime.log"
        self.models = ModelStore(config.home)
        self._proc: subprocess.Popen[bytes] | None = None

    def info(self) -> RuntimeInfo | None:
        """The running server's record, or None. A stale record (dead pid) is removed."""
        return live_record(self.info_file, RuntimeInfo, lambda info: info.pid)

    def healthy(self) -> bool:
        """True when a recorded server answers ``/health`` for the recorded model."""
        info = self.info()
        health = _health(info.url) if info else None
        return info is not None and health is not None and health.get("sha256") == info.sha256

    def start(self, *, die_with_parent: bool = False) -> RuntimeInfo:
        """Start the model server, or return the one already running for this home.

        Args:
            die_with_parent: stop the server when this process dies, even by SIGKILL (Linux).

        Raises:
            LLMUnavailable: it did not start (port taken, model unreadable, no binary).
        """
        existing = self.info()
        if existing is not None:
            wanted = self.config.model
            if _health(existing.url, timeout=5.0) is None:
                raise LLMUnavailable(
                    f"a model server (pid {existing.pid}) is recorded in {self.dir} but does not answer; "
                    "stop it with `aiweb3 llm stop` and start again"
                )
            if wanted is None or wanted == existing.model:
                return existing
            raise LLMUnavailable(
                f"the model server of this home runs {existing.model!r}, not {wanted!r}; "
                "stop it with `aiweb3 llm stop` first"
            )
        entry = self.models.get(self.config.model)
        build = runtime_build()
        self.dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            _node_binary(), str(_SERVER),
            "--model", str(self.models.path(entry)),
            "--name", entry.name,
            "--sha256", entry.sha256,
            "--port", str(self.config.port),
            "--node-modules", str(node_modules()),
            "--context-size", str(self.config.context_size),
            "--threads", str(self.config.threads),
            "--runtime-id", build.id,
        ]  # fmt: skip
        log = self.log_file.open("ab")
        offset = log.tell()
        try:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=lifetime.die_with_parent() if die_with_parent else None,
            )
        except OSError as exc:
            raise LLMUnavailable(f"could not run the model server ({exc}); run `make setup`") from None
        finally:
            log.close()
        self._proc = proc
        port = self._wait_for_port(proc, offset)
        info = RuntimeInfo(
            pid=proc.pid,
            port=port,
            url=f"http://127.0.0.1:{port}",
            model=entry.name,
            sha256=entry.sha256,
            runtime=build.id,
            context_size=self.config.context_size,
            started_at=time.time(),
        )
        if _health(info.url, timeout=10.0) is None:
            send_signal(proc.pid, signal.SIGKILL)
            raise LLMUnavailable(f"the model server did not answer on {info.url}; see {self.log_file}")
        atomic_write_json(self.info_file, asdict(info))
        return info

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
                if b"EADDRINUSE" in text:
                    raise LLMUnavailable(
                        f"port {self.config.port} is already taken; pick another with --port "
                        "or use --port 0 for a free one"
                    )
                lines = text.decode(errors="replace").strip().splitlines()
                hint = lines[-1][:200] if lines else "no output"
                raise LLMUnavailable(f"the model server exited at start ({hint}); see {self.log_file}")
            time.sleep(0.05)
        send_signal(proc.pid, signal.SIGKILL)
        raise LLMUnavailable(f"the model server did not start within {self.config.startup_timeout}s")

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the server. Returns False when none was running."""
        info = self.info()
        if info is None:
            return False
        terminate(info.pid, self._proc, timeout)
        if self._proc is not None and self._proc.pid == info.pid:
            self._proc = None
        self.info_file.unlink(missing_ok=True)
        return True
