"""The local Nostr relay: the ``nostr-relay`` package (PyPI) as a process aiweb3 starts and supervises.

Files live under ``<home>/social/relay``: ``relay.yaml`` (the relay's configuration, written on
every start), ``events.sqlite3`` (its database, kept across restarts), ``relay.log`` and
``relay.json`` (pid, port, url), so that a second process finds the running relay instead of
starting another. The relay listens on 127.0.0.1 only and checks every event's signature and
id (:mod:`aiweb3.social.relay_checks`) before storing it.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from aiweb3.errors import AIWeb3Error
from aiweb3.files import atomic_write_json, atomic_write_text
from aiweb3.presence import live_record, send_signal, terminate

__all__ = ["LocalRelay", "RelayConfig", "RelayError", "RelayInfo", "relay_document"]


class RelayError(AIWeb3Error):
    """The Nostr relay could not start, stop or be reached."""


@dataclass(frozen=True)
class RelayConfig:
    """How to run the local relay.

    Attributes:
        home: ``AIWEB3_HOME``; the relay keeps its files in ``home / "social" / "relay"``.
        port: 0 picks a free port.
        max_event_size: longest ``content`` accepted, in characters.
        events_per_second: the relay's own per-IP limit on EVENT messages (0: none).
    """

    home: Path
    port: int = 0
    max_event_size: int = 16_384
    events_per_second: int = 0
    startup_timeout: float = 30.0


@dataclass(frozen=True)
class RelayInfo:
    """What ``relay.json`` records about a running relay."""

    pid: int
    port: int
    url: str
    started_at: float


def relay_document(url: str, timeout: float = 2.0) -> dict[str, object] | None:
    """The relay's NIP-11 information document, or None when nothing answers at ``url``."""
    http = url.replace("ws://", "http://", 1).replace("wss://", "https://", 1)
    try:
        resp = httpx.get(http, headers={"Accept": "application/nostr+json"}, timeout=timeout)
        data = resp.json()
    except (httpx.HTTPError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _yaml_config(config: RelayConfig, db: Path, port: int) -> str:
    """The relay's configuration (JSON is valid YAML: no hand-written YAML quoting)."""
    doc: dict[str, object] = {
        "DEBUG": False,
        "relay_name": "aiweb3 local relay",
        "relay_description": "the Nostr relay aiweb3 supervises for its social accounts",
        "storage": {
            "sqlalchemy.url": f"sqlite+aiosqlite:///{db}",
            "num_concurrent_reqs": 10,
            "num_concurrent_adds": 2,
            "validators": [
                "nostr_relay.validators.is_not_too_large",
                "nostr_relay.validators.is_signed",
                "nostr_relay.validators.is_recent",
                "nostr_relay.validators.is_not_hellthread",
                "aiweb3.social.relay_checks.id_matches",
            ],
        },
        "gunicorn": {"bind": f"127.0.0.1:{port}", "workers": 1, "loglevel": "warning", "reload": False},
        "max_event_size": config.max_event_size,
        "hellthread_limit": 100,
        "subscription_limit": 64,
        "max_limit": 6000,
        "message_timeout": 1800,
        "logging": {
            "version": 1,
            "formatters": {"simple": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
            "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "simple"}},
            "root": {"level": "WARNING", "handlers": ["console"]},
        },
    }
    if config.events_per_second:
        doc["rate_limits"] = {"ip": {"EVENT": f"{config.events_per_second}/s"}}
    return json.dumps(doc, indent=1) + "\n"


class LocalRelay:
    """Supervises one ``nostr-relay`` process per ``home``.

    Example:
        >>> relay = LocalRelay(RelayConfig(home=Path("~/.aiweb3").expanduser()))
        >>> info = relay.start()  # or finds the one already running
        >>> relay.stop()
    """

    def __init__(self, config: RelayConfig) -> None:
        self.config = config
        self.dir = Path(config.home) / "social" / "relay"
        self.config_file = self.dir / "relay.yaml"
        self.db_file = self.dir / "events.sqlite3"
        self.log_file = self.dir / "relay.log"
        self.info_file = self.dir / "relay.json"
        self._proc: subprocess.Popen[bytes] | None = None

    def info(self) -> RelayInfo | None:
        """The running relay's record, or None. A stale record (dead pid) is removed."""
        return live_record(self.info_file, RelayInfo, lambda info: info.pid)

    @property
    def url(self) -> str:
        """``ws://`` URL of the running relay; raises :class:`RelayError` when none runs."""
        info = self.info()
        if info is None:
            raise RelayError("the local relay is not running; start it with `aiweb3 social up`")
        return info.url

    def start(self) -> RelayInfo:
        """Start the relay, or return the one already running for this home."""
        existing = self.info()
        if existing is not None:
            if relay_document(existing.url, timeout=3.0) is not None:
                return existing
            raise RelayError(
                f"a relay process (pid {existing.pid}) is recorded for {self.dir} but does not "
                "answer; stop it with `aiweb3 social down` and start again"
            )
        self.dir.mkdir(parents=True, exist_ok=True)
        port = self.config.port or _free_port()
        atomic_write_text(self.config_file, _yaml_config(self.config, self.db_file.resolve(), port))
        cmd = [
            sys.executable, "-c", "import sys; from nostr_relay.cli import main; sys.exit(main())",
            "-c", str(self.config_file), "serve", "--use-uvicorn",
        ]  # fmt: skip
        log = self.log_file.open("ab")
        try:
            proc = subprocess.Popen(
                cmd,
                cwd=self.dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            raise RelayError(f"could not run nostr-relay ({exc}); run `make setup`") from exc
        finally:
            log.close()
        self._proc = proc
        url = f"ws://127.0.0.1:{port}"
        deadline = time.monotonic() + self.config.startup_timeout
        while relay_document(url, timeout=0.5) is None:
            if proc.poll() is not None:
                tail = self.log_file.read_text(errors="replace").strip().splitlines()[-2:]
                hint = " | ".join(tail) or "no output"
                raise RelayError(f"nostr-relay exited at start ({hint}); see {self.log_file}")
            if time.monotonic() > deadline:
                send_signal(proc.pid, signal.SIGKILL)
                raise RelayError(f"nostr-relay did not answer on {url}; see {self.log_file}")
            time.sleep(0.1)
        info = RelayInfo(pid=proc.pid, port=port, url=url, started_at=time.time())
        atomic_write_json(self.info_file, asdict(info))
        return info

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the relay (its database stays). Returns False if none ran."""
        info = self.info()
        if info is None:
            return False
        terminate(info.pid, self._proc, timeout)
        self._proc = None
        self.info_file.unlink(missing_ok=True)
        return True
