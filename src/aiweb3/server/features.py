"""The dashboard's features: each is a router module with an API router, a page router and a template.

``aiweb3.server.routers.FEATURES`` lists them in navigation order; :func:`aiweb3.server.app.create_app`
mounts every router it finds there. A feature that has not landed yet is a placeholder page
that says what will appear and how to get it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter

__all__ = ["Feature"]


@dataclass(frozen=True)
class Feature:
    """One dashboard section.

    Attributes:
        slug: short name (``content``); the page is ``path`` and its template ``<slug>.html``.
        title: navigation label.
        path: the page's URL.
        summary: one sentence for the overview's feature list.
        api: JSON routes under ``/api`` (None for none).
        pages: HTML routes (None for none).
        live: False for a feature that has not landed (placeholder page, no API).
        nav: False to keep it out of the navigation bar (the API reference).
    """

    slug: str
    title: str
    path: str
    summary: str
    api: APIRouter | None = None
    pages: APIRouter | None = None
    live: bool = True
    nav: bool = True
