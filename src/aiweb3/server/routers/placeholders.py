"""Pages for features that have not landed yet: what will appear there and how to get it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from aiweb3.server.features import Feature
from aiweb3.server.pages import render

__all__ = ["placeholder"]


def placeholder(slug: str, title: str, summary: str, coming: list[str], how: list[str]) -> Feature:
    """A Feature whose page explains what will appear (``coming``) and how to get it (``how``)."""
    pages = APIRouter()

    @pages.get(f"/{slug}", response_class=HTMLResponse, name=f"{slug}_page")
    def page(request: Request) -> HTMLResponse:
        return render(request, "placeholder.html", slug, title=title, summary=summary, coming=coming, how=how)

    return Feature(slug, title, f"/{slug}", summary, api=None, pages=pages, live=False)
