"""Guards at the HTTP boundary: allowed Host names, bounded JSON bodies, caps on event streams.

- :class:`HostGuard` answers 400 to a ``Host`` the server was not bound to, so a page on another
  site that re-points its DNS name at 127.0.0.1 (DNS rebinding) cannot read the API.
- :class:`JSONBodyGuard` reads JSON request bodies up to a size limit (413 above it) and refuses
  one nested too deeply (400) before any parser recurses into it.
- :class:`StreamSlots` caps open server-sent-event streams per client and in total (429).
"""

from __future__ import annotations

import ipaddress
import json
import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aiweb3.errors import JSONTooDeep, JSONTooLarge
from aiweb3.jsonlimits import MAX_JSON_DEPTH, check_json_bytes

__all__ = [
    "LOOPBACK_NAMES",
    "MAX_JSON_BODY",
    "HostGuard",
    "JSONBodyGuard",
    "StreamSlots",
    "TooManyStreams",
    "host_of",
]

#: names that always reach a server bound to a loopback address
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
#: largest JSON request body (the API's JSON bodies are a few hundred bytes)
MAX_JSON_BODY = 1024 * 1024
_WILDCARDS = ("0.0.0.0", "::", "")


async def _reply(send: Send, status: int, body: dict[str, Any], *, close: bool = False) -> None:
    headers = [(b"content-type", b"application/json")]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


def host_of(header: str) -> str | None:
    """The host name of a ``Host`` header without its port, lower-cased (``[::1]:80`` -> ``::1``)."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        rest = value[end + 1 :]
        if end < 0 or (rest and not (rest.startswith(":") and rest[1:].isdigit())):
            return None
        return value[1:end] or None
    name, _, port = value.partition(":")
    if port and not port.isdigit():
        return None
    return name.rstrip(".") or None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostGuard:
    """ASGI middleware: only requests whose ``Host`` names this server are served (400 otherwise).

    Accepted: the loopback names, the host the server is bound to and ``extra`` names. Bound to a
    wildcard address (``0.0.0.0``, ``::``), any IP literal is accepted too: a page can rebind a
    DNS name, not an address.
    """

    def __init__(self, app: ASGIApp, bound_host: str, extra: Iterable[str] = ()) -> None:
        self.app = app
        bound = bound_host.strip("[]").lower()
        self.any_ip = bound in _WILDCARDS
        self.allowed = frozenset({*LOOPBACK_NAMES, *(h.strip("[]").lower() for h in extra)} | {bound})

    def allows(self, header: str | None) -> bool:
        """True when a request with this ``Host`` header may be served."""
        name = host_of(header) if header else None
        if name is None:
            return False
        return name in self.allowed or (self.any_ip and _is_ip(name))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
        if self.allows(header):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        names = ", ".join(sorted(self.allowed))
        await _reply(
            send,
            400,
            {
                "code": "bad_host",
                "message": f"this server answers to {names} only, not to Host {header!r}; "
                "open it by one of those names (restart `aiweb3 up --allowed-host NAME` to add one)",
                "field": "Host",
            },
            close=True,
        )


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in ("", "application/json") or media.endswith("+json")


class JSONBodyGuard:
    """ASGI middleware: JSON request bodies are read whole, bounded in size and depth, then passed on.

    A body with a JSON content type (or none, which FastAPI parses as JSON) over ``max_bytes`` is
    refused with 413, one nested deeper than ``max_depth`` with 400, before any route parses it.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_JSON_BODY, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if not _is_json(headers.get(b"content-type", b"").decode("latin-1")):
            await self.app(scope, receive, send)
            return
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            check_json_bytes(body, what="the JSON body", max_depth=self.max_depth, max_bytes=self.max_bytes)
        except JSONTooDeep as exc:
            await _reply(send, 400, {"code": "bad_request", "message": str(exc), "field": "body"})
            return
        except JSONTooLarge:  # pragma: no cover - the size was checked while reading
            await self._too_large(send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        message = (
            f"the JSON body is larger than {self.max_bytes} bytes, the limit for JSON requests; "
            "send a smaller document (files go as multipart uploads)"
        )
        body = {"code": "payload_too_large", "message": message, "limit": self.max_bytes}
        await _reply(send, 413, body, close=True)


class TooManyStreams(Exception):
    """No event-stream slot is free for this client (or for anyone)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StreamSlots:
    """Counts open event streams per client address and in total; refuses past the caps.

    Args:
        per_client: open streams one client address may hold.
        total: open streams across all clients.
    """

    def __init__(self, per_client: int, total: int) -> None:
        self.per_client = per_client
        self.total = total
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def acquire(self, client: str) -> None:
        """Take a slot for ``client``.

        Raises:
            TooManyStreams: the client, or the server, is at its cap.
        """
        with self._lock:
            if self._open[client] >= self.per_client:
                raise TooManyStreams(
                    f"{client} already has {self.per_client} open event streams, the most one client "
                    "may hold; close one (a job page holds one while its job runs) or poll "
                    "GET /api/jobs/{id} instead"
                )
            if sum(self._open.values()) >= self.total:
                raise TooManyStreams(
                    f"the server already serves {self.total} open event streams, its limit; "
                    "retry later or poll GET /api/jobs/{id} instead"
                )
            self._open[client] += 1

    def release(self, client: str) -> None:
        """Give back a slot taken by :meth:`acquire`."""
        with self._lock:
            self._open[client] -= 1
            if self._open[client] <= 0:
                del self._open[client]

    def open_count(self) -> int:
        """Streams open now, across all clients."""
        with self._lock:
            return sum(self._open.values())
