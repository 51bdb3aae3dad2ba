"""Verify: drop a file (and its sidecar) and get a verdict; more kinds plug in through VERIFIERS."""

from __future__ import annotations

import shutil
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from aiweb3.server.features import Feature
from aiweb3.server.http import ApiError, read_upload_form, services_of
from aiweb3.server.pages import render
from aiweb3.server.tasks import staging_dir
from aiweb3.server.verifiers import VERIFIERS, upload_parts

__all__ = ["feature"]

api = APIRouter(tags=["verify"])

#: upload parts that hold JSON, bounded in size and nesting before anything parses them
JSON_PARTS = ("proof", "sidecar")
pages = APIRouter()

_VERIFY_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "an original or a clip",
                        },
                        "sidecar": {"type": "string", "format": "binary", "description": "its FILE.aiw.json"},
                    },
                }
            }
        },
    }
}


@api.post(
    "/verify", summary="Verify an uploaded file (+ sidecar); anyone may call it", openapi_extra=_VERIFY_BODY
)
async def verify(request: Request) -> dict[str, Any]:
    """``{"ok", "verdict", "checks": [...]}``; a rejected file is a 200 with ``ok: false``."""
    services = services_of(request)
    dest = staging_dir(services, "verify")
    try:
        uploaded, _ = await read_upload_form(request, dest, files=upload_parts(), json_parts=JSON_PARTS)
        saved = {part: paths[0] for part, paths in uploaded.items()}
        names = {part: path.name for part, path in saved.items()}
        verifier = next((v for v in VERIFIERS if v.accepts(saved)), None)
        if verifier is None:
            raise ApiError(422, "field 'file' (body): upload the file to verify", field="file")
        result = await run_in_threadpool(verifier.verify, services, saved, names)
        services.verifications += 1
        return result
    finally:
        shutil.rmtree(dest, ignore_errors=True)


@pages.get("/verify", response_class=HTMLResponse)
def verify_page(request: Request) -> HTMLResponse:
    """The drop zone."""
    return render(request, "verify.html", "verify", verifiers=[v.name for v in VERIFIERS])


feature = Feature(
    "verify",
    "Verify",
    "/verify",
    "Drop a file and its sidecar: see whether it is authentic, who signed it and when.",
    api=api,
    pages=pages,
)
