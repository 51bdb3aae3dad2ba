"""Run the app with uvicorn in a background thread; stop it cleanly."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, replace

import uvicorn

from aiweb3.errors import ConfigError
from aiweb3.server.app import create_app
from aiweb3.server.services import Services

__all__ = ["ServerHandle", "serve"]


@dataclass
class ServerHandle:
    """A running server: its URL, and ``stop()``."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread
    services: Services

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit, wait for it, then stop the job pool (running jobs finish)."""
        self.services.jobs.close(wait=False)  # wakes event streams waiting on a job
        self.server.should_exit = True
        self.thread.join(timeout)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout)
        self.services.close()


def _listen(host: str, port: int) -> socket.socket:
    """Bind the listening socket here, so ``port=0`` picks a free port with no race."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"port {port} is not a TCP port: pass --port (or AIWEB3_API_PORT) from 0 to 65535")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror}); another program (or another "
            "`aiweb3 up`) uses it: pass --port or set AIWEB3_API_PORT"
        ) from None
    return sock


def serve(services: Services, startup_timeout: float = 30.0) -> ServerHandle:
    """Start serving ``services`` on ``config.host:config.port`` in a daemon thread; returns once it listens.

    ``port=0`` listens on a free port; ``services.config`` then names the port chosen.

    Raises:
        ConfigError: the address is in use or the server did not start.
    """
    sock = _listen(services.config.host, services.config.port)
    services.config = replace(services.config, port=int(sock.getsockname()[1]))
    config = services.config
    app = create_app(services)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=config.host,
            port=config.port,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=3,
            server_header=False,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="aiweb3-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise ConfigError(
                f"the HTTP server did not start on {config.host}:{config.port}; see the log above"
            )
        time.sleep(0.02)
    return ServerHandle(config.url, server, thread, services)
