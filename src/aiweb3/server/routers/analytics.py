"""Analytics: the metric library over the indexed chain, and questions in plain language."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from aiweb3.presence import running_service
from aiweb3.server.analytics import IndexFollower
from aiweb3.server.features import Feature
from aiweb3.server.http import ApiError, services_of
from aiweb3.server.pages import render

__all__ = ["feature"]

api = APIRouter(tags=["analytics"])
pages = APIRouter()

_EXAMPLES = (
    "How many transactions were there per day?",
    "How many verified inferences per model?",
    "Which aiweb3 events were emitted?",
    "top 5 AIUSD holders",
)


class AskBody(BaseModel):
    """A question about the indexed chain."""

    question: str = Field(..., min_length=3, max_length=500, description="e.g. 'transactions per day'")


def _index(request: Request) -> IndexFollower:
    index = services_of(request).index
    if index is None:
        raise ApiError(503, "the indexer is not running on this server; `aiweb3 up` starts it", field=None)
    return index


@api.get("/analytics", summary="Indexer status and the metric library")
def analytics(request: Request) -> dict[str, Any]:
    """Where the index stands and which metrics exist."""
    index = _index(request)
    metrics = [
        {"name": m.name, "title": m.title, "group": m.group, "params": list(m.params)}
        for m in index.metrics()
    ]
    return {"index": index.status(), "metrics": metrics}


@api.get("/analytics/metrics/{name}", summary="One metric's rows (metrics without required parameters)")
def metric(request: Request, name: str) -> dict[str, Any]:
    """Columns and rows of the metric's view."""
    index = _index(request)
    if name not in {m.name for m in index.metrics() if not m.required}:
        raise ApiError(404, f"no parameterless metric {name!r}; GET /api/analytics lists them", field="name")
    return index.metric_rows(name, limit=1000)


@api.post(
    "/analytics/snapshot",
    summary="Write a snapshot of the index for local readers (the CLI) while the server holds it",
)
async def snapshot(request: Request) -> dict[str, Any]:
    """The snapshot file's path (under this server's home) and the last block it holds.

    Local processes only: the ``X-Aiweb3-Local`` header must carry the key of the service
    record in the (private) home, so a web page cannot make the server copy its index.
    """
    record = running_service(services_of(request).home)
    given = request.headers.get("x-aiweb3-local", "")
    if record is None or not record.local_key or not hmac.compare_digest(given, record.local_key):
        raise ApiError(
            403,
            "this route serves local aiweb3 commands only (they send the key in <home>/server/service.json)",
            field="X-Aiweb3-Local",
        )
    index = _index(request)
    return await run_in_threadpool(index.snapshot)


@api.post("/ask", summary="Ask the indexed chain a question: rows, what was understood, the plan and SQL")
async def ask(request: Request, body: AskBody) -> dict[str, Any]:
    """Answered as ``aiweb3 ask`` would: "auto" when a language model is available, else offline.

    Unanswerable questions come back declined with the reason and the nearest answerable one.
    """
    index = _index(request)
    return await run_in_threadpool(index.ask, body.question, services_of(request).home)


@pages.get("/analytics", response_class=HTMLResponse)
def analytics_page(request: Request) -> HTMLResponse:
    """Charts from the metric library and the ask box."""
    index = services_of(request).index
    status = index.status() if index else None
    charts = index.charts() if index else []
    return render(request, "analytics.html", "analytics", index=status, charts=charts, examples=_EXAMPLES)


feature = Feature(
    "analytics",
    "Analytics",
    "/analytics",
    "Chain analytics from the indexer: metrics, charts and questions in plain language.",
    api=api,
    pages=pages,
)
