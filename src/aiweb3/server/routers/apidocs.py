"""``/docs``: the API reference, rendered on the server from the OpenAPI schema (no CDN needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from aiweb3.server.features import Feature
from aiweb3.server.pages import render

__all__ = ["feature", "operations"]

pages = APIRouter()


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per operation: method, path, summary, parameters, body fields, whether a token is needed."""
    rows = []
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            body = op.get("requestBody", {}).get("content", {})
            fields: list[str] = []
            for media in body.values():
                fields += list(media.get("schema", {}).get("properties", {}))
            rows.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "tag": (op.get("tags") or ["other"])[0],
                    "params": [f"{p['name']} ({p['in']})" for p in op.get("parameters", [])],
                    "fields": fields,
                    "token": "401" in op.get("responses", {}),
                }
            )
    return rows


@pages.get("/docs", response_class=HTMLResponse)
def api_reference(request: Request) -> HTMLResponse:
    """Every route with its parameters; the machine-readable schema is at /api/openapi.json."""
    return render(request, "apidocs.html", "apidocs", ops=operations(request.app.openapi()))


feature = Feature(
    "apidocs", "API", "/docs", "The HTTP API reference (OpenAPI).", api=None, pages=pages, nav=False
)
