"""Rendering dashboard pages: one base layout, Jinja filters for addresses, sizes and times."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from aiweb3.server.http import human_bytes
from aiweb3.server.links import LINK_FILTERS, short

__all__ = ["TEMPLATES_DIR", "make_templates", "render"]

TEMPLATES_DIR = Path(__file__).with_name("templates")


def _utc(ts: float | None) -> str:
    if ts is None:
        return "—"
    return datetime.fromtimestamp(float(ts), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ago(ts: float | None) -> str:
    if ts is None:
        return "—"
    seconds = max(0, int(datetime.now(UTC).timestamp() - float(ts)))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def _num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def make_templates() -> Jinja2Templates:
    """The dashboard's templates with its filters."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.filters["short"] = short
    env.filters.update(LINK_FILTERS)
    env.filters["utc"] = _utc
    env.filters["ago"] = _ago
    env.filters["num"] = _num
    env.filters["bytes"] = lambda n: "—" if n is None else human_bytes(n)
    return templates


def render(request: Request, template: str, page: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render ``template`` inside the layout; ``page`` marks the active navigation entry."""
    app = request.app
    ctx: dict[str, Any] = {"page": page, "features": app.state.features, **context}
    response: HTMLResponse = app.state.templates.TemplateResponse(request, template, ctx, status_code=status)
    return response
