"""Jobs: ids, progress, results; ``GET /api/jobs/{id}``, a server-sent-events stream, retries."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.types import Receive, Scope, Send

from aiweb3.errors import InputError
from aiweb3.server.features import Feature
from aiweb3.server.guards import TooManyStreams
from aiweb3.server.http import NEEDS_TOKEN, ApiError, job_accepted, require_token, services_of
from aiweb3.server.jobkinds import rebuild
from aiweb3.server.jobs import TERMINAL, Job, JobManager
from aiweb3.server.pages import render

__all__ = ["feature"]

api = APIRouter(tags=["jobs"])
pages = APIRouter()

KEEPALIVE_SECONDS = 10.0
#: how often an open stream looks at its job (progress shows within this delay)
POLL_SECONDS = 0.2


def _job(request: Request, job_id: str) -> Job:
    job = services_of(request).jobs.get(job_id)
    if job is None:
        raise ApiError(
            404, f"no job {job_id!r} on this server (only the newest finished jobs are kept)", field="job_id"
        )
    return job


@api.get("/jobs", summary="Recent jobs, newest first")
def list_jobs(request: Request) -> dict[str, Any]:
    """Every job the server remembers, and where compile and prove jobs run (Ray or this process)."""
    services = services_of(request)
    return {
        "jobs": [j.snapshot() for j in services.jobs.list()],
        "counts": services.jobs.counts(),
        "workers": services.workers.describe(),
    }


@api.get("/jobs/{job_id}", summary="One job: state, progress, result or error")
def get_job(request: Request, job_id: str) -> dict[str, Any]:
    """The job's snapshot."""
    return _job(request, job_id).snapshot()


@api.post(
    "/jobs/{job_id}/retry",
    status_code=202,
    summary="Run a failed job again (an interrupted one, say); returns the new job",
    dependencies=[Depends(require_token)],
    responses=NEEDS_TOKEN,
)
def retry_job(request: Request, job_id: str) -> JSONResponse:
    """409 when the job did not fail or worked on uploads (submit those again)."""
    services = services_of(request)
    _job(request, job_id)
    try:
        job = services.jobs.retry(job_id, lambda kind, params: rebuild(services, kind, params))
    except InputError as exc:
        raise ApiError(409, str(exc), field="job_id") from None
    return job_accepted(job)


class _SlotStream(StreamingResponse):
    """A streaming response that gives its stream slot back however it ends (done, disconnect, error)."""

    def __init__(self, content: AsyncIterator[str], release: Callable[[], None]) -> None:
        super().__init__(
            content,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


async def _next_change(manager: JobManager, job: Job, seen: int, timeout: float) -> dict[str, Any]:
    """The job's snapshot once its version passes ``seen``, or after ``timeout`` seconds.

    Waits on the event loop (no worker thread per stream), so open streams never hold the
    threads that plain routes run on.
    """
    deadline = time.monotonic() + timeout
    while True:
        snap = manager.wait_change(job, seen, 0)  # a consistent snapshot, taken under the lock
        if snap["version"] != seen or time.monotonic() >= deadline:
            return snap
        await asyncio.sleep(POLL_SECONDS)


@api.get(
    "/jobs/{job_id}/events",
    summary="Server-sent events: the job's progress until it ends",
    responses={429: {"description": "too many open event streams from this client, or in total"}},
)
async def job_events(request: Request, job_id: str) -> StreamingResponse:
    """``event: progress`` on every change and a final ``event: done``; comments keep it alive.

    Each client address may hold a few streams at once and the server a bounded number in all
    (429 past either cap).
    """
    job = _job(request, job_id)
    manager = services_of(request).jobs
    slots = services_of(request).streams
    client = request.client.host if request.client else "unknown"
    try:
        slots.acquire(client)
    except TooManyStreams as exc:
        raise ApiError(429, exc.message) from None

    async def stream() -> AsyncIterator[str]:
        seen = -1
        while True:
            snap = await _next_change(manager, job, seen, KEEPALIVE_SECONDS)
            if await request.is_disconnected():
                return
            if snap["version"] == seen:
                yield ": keep-alive\n\n"
                continue
            seen = snap["version"]
            final = snap["state"] in TERMINAL
            yield f"event: {'done' if final else 'progress'}\ndata: {json.dumps(snap)}\n\n"
            if final:
                return

    return _SlotStream(stream(), lambda: slots.release(client))


@pages.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request) -> HTMLResponse:
    """The job list."""
    services = services_of(request)
    return render(
        request,
        "jobs.html",
        "jobs",
        jobs=[j.snapshot() for j in services.jobs.list()],
        counts=services.jobs.counts(),
    )


@pages.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str) -> HTMLResponse:
    """One job with live progress."""
    return render(request, "job.html", "jobs", job=_job(request, job_id).snapshot())


feature = Feature(
    "jobs",
    "Jobs",
    "/jobs",
    "Long work (signing, anchoring, proving) with live progress.",
    api=api,
    pages=pages,
)
