"""The FastAPI application: API under ``/api``, dashboard pages, static files, OpenAPI at ``/docs``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from aiweb3.server.features import Feature
from aiweb3.server.guards import MAX_JSON_BODY, HostGuard, JSONBodyGuard
from aiweb3.server.http import BodyLimit, install_error_handlers
from aiweb3.server.pages import make_templates
from aiweb3.server.services import Services

__all__ = ["create_app"]

STATIC_DIR = Path(__file__).with_name("static")


def create_app(services: Services, features: list[Feature] | None = None) -> FastAPI:
    """Build the app over ``services``, mounting every feature's routers.

    Args:
        features: the sections to serve (default: ``aiweb3.server.routers.FEATURES``).
    """
    from aiweb3.server.routers import FEATURES

    chosen = list(FEATURES if features is None else features)
    app = FastAPI(
        title="aiweb3",
        summary="Verifiable AI on Ethereum-style chains: chain, content authenticity, jobs.",
        version="0.1",
        docs_url=None,  # Swagger UI loads from a CDN; /docs is our own page (works offline)
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.services = services
    app.state.features = chosen
    app.state.templates = make_templates()
    install_error_handlers(app)
    for feature in chosen:
        if feature.api is not None:
            app.include_router(feature.api, prefix="/api")
        if feature.pages is not None:
            app.include_router(feature.pages, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    if services.config.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(services.config.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    # the last added runs first: Host check, then the JSON bounds, then the upload limit
    app.add_middleware(BodyLimit, limit=services.config.max_upload_bytes)
    app.add_middleware(JSONBodyGuard, max_bytes=min(MAX_JSON_BODY, services.config.max_upload_bytes))
    app.add_middleware(HostGuard, bound_host=services.config.host, extra=services.config.allowed_hosts)
    return app
