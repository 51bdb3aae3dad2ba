"""HTTP plumbing shared by every router: JSON errors, the token check, upload limits.

Every error leaves the server as ``{"code": ..., "message": ...}`` (plus ``field`` when one
input is to blame), never a traceback. Dashboard pages get the same message as an HTML page.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aiweb3.errors import (
    AIWeb3Error,
    ChainError,
    ContentError,
    DeploymentError,
    InputError,
    JSONTooDeep,
    JSONTooLarge,
    RPCUnreachable,
    UnknownAccount,
)
from aiweb3.jsonlimits import MAX_JSON_BYTES, check_json_bytes
from aiweb3.server.jobs import Job
from aiweb3.server.library import safe_filename
from aiweb3.server.services import Services

__all__ = [
    "NEEDS_TOKEN",
    "ApiError",
    "BodyLimit",
    "PayloadTooLarge",
    "human_bytes",
    "install_error_handlers",
    "read_upload_form",
    "require_token",
    "services_of",
]

log = logging.getLogger("aiweb3.server")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
    500: "internal_error",
    502: "chain_error",
    503: "unavailable",
}


NEEDS_TOKEN: dict[int | str, dict[str, Any]] = {
    401: {"description": "API token missing or not valid (create one with `aiweb3 token new`)"}
}
"""``responses=`` for write routes: documents the 401 (the API reference marks them by it)."""


class ApiError(Exception):
    """An error a route reports on purpose: HTTP status, code, message and the field to blame."""

    def __init__(self, status: int, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code or _STATUS_CODES.get(status, "error")
        self.message = message
        self.field = field


class PayloadTooLarge(Exception):
    """The request body passed the configured limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def human_bytes(n: float) -> str:
    """``1048576`` -> ``1 MiB``."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" or n == int(n) else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} GiB"  # pragma: no cover


def _too_large_message(limit: int) -> str:
    return (
        f"the upload is larger than the server's limit of {limit} bytes ({human_bytes(limit)}); "
        "send a smaller file or restart the server with a larger --max-upload-mb"
    )


def services_of(request: Request) -> Services:
    """The app's shared services."""
    services: Services = request.app.state.services
    return services


def job_accepted(job: Job) -> JSONResponse:
    """202 with the submitted job and where to follow it."""
    return JSONResponse({"job": job.snapshot(), "links": {"job": f"/api/jobs/{job.id}"}}, status_code=202)


def require_token(request: Request) -> str:
    """Dependency for write routes: a valid ``Authorization: Bearer <token>``; returns the token id."""
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(
            401,
            "this route needs an API token: send 'Authorization: Bearer <token>' "
            "(create one with `aiweb3 token new`)",
            field="Authorization",
        )
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "the Authorization header must be 'Bearer <token>'", field="Authorization")
    info = services_of(request).tokens.check(token.strip())
    if info is None:
        raise ApiError(
            401,
            "the API token is not valid (revoked, mistyped or from another AIWEB3_HOME); "
            "create one with `aiweb3 token new`",
            field="Authorization",
        )
    return info.id


#: bodies at most this much over the limit are read and dropped before the 413 is sent
DRAIN_SLACK = 16 * 1024 * 1024


async def _drain(receive: Receive) -> None:
    """Read the rest of a refused body, dropping it.

    Closing a connection whose unread bytes sit in the socket makes the kernel send a reset, and
    a client still writing its upload may then lose the 413 that explains the refusal. Reading a
    body moderately over the limit costs no memory or disk (each chunk is dropped); far larger
    ones are cut off.
    """
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``limit`` bytes (413), counted as they stream.

    A declared Content-Length over the limit is refused before reading; a body without one is
    counted chunk by chunk and the route fails with :class:`PayloadTooLarge` when it passes.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            if int(declared) <= self.limit + DRAIN_SLACK:
                await _drain(receive)  # before answering: uvicorn closes the connection with the reply
            body = json.dumps(
                {"code": "payload_too_large", "message": _too_large_message(self.limit), "limit": self.limit}
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise PayloadTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")


def _error_response(request: Request, status: int, body: dict[str, Any]) -> Response:
    if _wants_html(request):
        templates = request.app.state.templates
        return templates.TemplateResponse(  # type: ignore[no-any-return]
            request, "error.html", {"status": status, "error": body, "page": "error"}, status_code=status
        )
    return JSONResponse(body, status_code=status)


def _body(code: str, message: str, field: str | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        out["field"] = field
    out.update(extra)
    return out


def _aiweb3_status(exc: AIWeb3Error) -> tuple[int, str]:
    if isinstance(exc, UnknownAccount):
        return 404, "not_found"
    if isinstance(exc, JSONTooDeep):
        return 400, "bad_request"
    if isinstance(exc, JSONTooLarge):
        return 413, "payload_too_large"
    if isinstance(exc, InputError | ContentError):
        return 422, "invalid_input"
    if isinstance(exc, RPCUnreachable):
        return 503, "chain_unreachable"
    if isinstance(exc, DeploymentError):
        return 503, "not_deployed"
    if isinstance(exc, ChainError):
        return 502, "chain_error"
    return 500, type(exc).__name__


def _field_of(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    """JSON (or HTML for pages) errors for every failure, and no traceback ever."""

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _error_response(request, exc.status, _body(exc.code, exc.message, exc.field))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = str(exc.detail)
        if exc.status_code == 404:
            message = f"nothing at {request.url.path}; the API is listed at /docs"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        return _error_response(request, exc.status_code, _body(code, message))

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = list(exc.errors())
        first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request"}
        field = _field_of(first.get("loc", ()))
        where = first.get("loc", ("body",))[0]
        message = f"field '{field}' ({where}): {first.get('msg', 'invalid')}"
        details = [{"field": _field_of(e.get("loc", ())), "message": e.get("msg", "")} for e in errors]
        return _error_response(request, 422, _body("invalid_input", message, field, errors=details))

    async def too_large(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PayloadTooLarge)
        return _error_response(
            request, 413, _body("payload_too_large", _too_large_message(exc.limit), limit=exc.limit)
        )

    async def aiweb3_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AIWeb3Error)
        status, code = _aiweb3_status(exc)
        return _error_response(request, status, _body(code, str(exc)))

    async def internal(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return _error_response(
            request,
            500,
            _body("internal_error", "the server hit an internal error; the server log has the details"),
        )

    handlers: list[tuple[type[Exception] | int, Callable[[Request, Exception], Awaitable[Response]]]] = [
        (ApiError, api_error),
        (StarletteHTTPException, http_error),
        (RequestValidationError, validation_error),
        (PayloadTooLarge, too_large),
        (AIWeb3Error, aiweb3_error),
        (Exception, internal),
    ]
    for exc_class, handler in handlers:
        app.add_exception_handler(exc_class, handler)


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


async def read_upload_form(
    request: Request,
    dest: Path,
    *,
    files: tuple[str, ...],
    fields: tuple[str, ...] = (),
    max_per_part: int = 1,
    json_parts: tuple[str, ...] = (),
) -> tuple[dict[str, list[Path]], dict[str, str]]:
    """Parse a multipart form: copy file parts to ``dest/<part>/<n>/<file name>`` in chunks.

    Args:
        files: the file parts to keep; each may repeat up to ``max_per_part`` times.
        fields: the text fields to return.
        json_parts: file parts that hold JSON: each is refused (413, 400) past the size and
            nesting limits of :mod:`aiweb3.jsonlimits`, before anything parses it.

    Returns:
        ``({part name: saved paths}, {field name: value})``; absent parts are left out.

    Raises:
        ApiError: 415 when the body is not multipart, 422 naming a part sent with the wrong type
            or too many times.
        PayloadTooLarge: the body passed the limit while streaming.
        JSONTooLarge, JSONTooDeep: a ``json_parts`` part passed a limit.

    Saved files are readable by the server's user only (0600).
    """
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data"):
        raise ApiError(
            415, "send the upload as multipart/form-data (e.g. curl -F file=@FILE)", field="Content-Type"
        )
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    saved: dict[str, list[Path]] = {}
    values: dict[str, str] = {}
    limit = len(files) * max_per_part + 1
    async with request.form(max_files=limit, max_fields=len(fields) + 4) as form:
        for name in files:
            parts = form.getlist(name)
            if len(parts) > max_per_part:
                raise ApiError(422, f"field '{name}': at most {max_per_part} file(s) per request", field=name)
            for index, part in enumerate(parts):
                if not isinstance(part, UploadFile):
                    raise ApiError(422, f"field '{name}' must be a file upload", field=name)
                folder = dest / name / str(index)
                folder.mkdir(mode=0o700, parents=True)
                target = folder / safe_filename(part.filename)
                with open(target, "xb", opener=_private_opener) as out:
                    await part.seek(0)
                    shutil.copyfileobj(part.file, out, length=1024 * 1024)
                if name in json_parts:
                    with target.open("rb") as fh:
                        check_json_bytes(fh.read(MAX_JSON_BYTES + 1), what=f"field '{name}'")
                saved.setdefault(name, []).append(target)
        for name in fields:
            value = form.get(name)
            if value is None:
                continue
            if isinstance(value, UploadFile):
                raise ApiError(422, f"field '{name}' must be text, not a file", field=name)
            values[name] = value
    return saved, values
