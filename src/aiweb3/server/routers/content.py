"""Content authenticity: the files the server signed with its creator key, signing and anchoring jobs."""

from __future__ import annotations

import shutil
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from aiweb3.provenance import Claim
from aiweb3.server.features import Feature
from aiweb3.server.http import (
    NEEDS_TOKEN,
    ApiError,
    job_accepted,
    read_upload_form,
    require_token,
    services_of,
)
from aiweb3.server.library import ContentEntry
from aiweb3.server.pages import render
from aiweb3.server.services import Services
from aiweb3.server.tasks import anchor_pending, sign_uploads, staging_dir

__all__ = ["feature"]

api = APIRouter(tags=["content"])
pages = APIRouter()

CLAIMS = ("captured", "edited", "ai-generated")
MAX_FILES = 100
_SIGN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "one or more files (up to 100); repeat the part",
                        },
                        "claim": {"type": "string", "enum": list(CLAIMS), "default": "captured"},
                        "anchor": {"type": "boolean", "default": False},
                    },
                }
            }
        },
    }
}


def _entry(services: Services, manifest_id: str) -> ContentEntry:
    entry = services.library.get(manifest_id)
    if entry is None:
        raise ApiError(
            404, f"no signed content with manifest id {manifest_id!r} on this server", field="manifest_id"
        )
    return entry


def creator_info(services: Services) -> dict[str, Any]:
    """The server's creator key: address and handle (never the key)."""
    status = services.registry.key_status(services.creator.address)
    return {
        "address": services.creator.address,
        "handle": status.handle or None,
        "registered": status.registered,
        "registry": services.registry.address,
        "chain_id": services.chain.chain_id,
    }


@api.get("/content", summary="Content signed by this server's creator key")
def list_content(request: Request) -> dict[str, Any]:
    """Newest first."""
    return {"content": [e.to_json() for e in services_of(request).library.entries()]}


@api.get("/content/creator", summary="The server's creator key (address and handle)")
def creator(request: Request) -> dict[str, Any]:
    """Who signs what this server signs."""
    return creator_info(services_of(request))


@api.get("/content/{manifest_id}", summary="One signed file: manifest summary and sidecar")
def get_content(request: Request, manifest_id: str) -> dict[str, Any]:
    """The summary and the full sidecar document."""
    entry = _entry(services_of(request), manifest_id)
    return {**entry.to_json(), "sidecar": entry.signed.to_json(with_leaves=False)}


@api.get("/content/{manifest_id}/file", summary="Download the signed file")
def download_file(request: Request, manifest_id: str) -> FileResponse:
    """The file as signed."""
    entry = _entry(services_of(request), manifest_id)
    return FileResponse(entry.path, filename=entry.path.name, media_type=entry.signed.manifest.media_type)


@api.get("/content/{manifest_id}/sidecar", summary="Download the sidecar (FILE.aiw.json)")
def download_sidecar(request: Request, manifest_id: str) -> FileResponse:
    """The sidecar that travels with the file."""
    entry = _entry(services_of(request), manifest_id)
    return FileResponse(entry.sidecar, filename=entry.sidecar.name, media_type="application/json")


@api.post(
    "/content",
    status_code=202,
    summary="Sign an upload with the server's creator key (a job)",
    openapi_extra=_SIGN_BODY,
    dependencies=[Depends(require_token)],
    responses=NEEDS_TOKEN,
)
async def sign_content(request: Request) -> JSONResponse:
    """Multipart ``file`` (repeatable) + ``claim``, ``anchor``; returns the job that signs and stores them."""
    services = services_of(request)
    dest = staging_dir(services, "sign")
    try:
        saved, values = await read_upload_form(
            request, dest, files=("file",), fields=("claim", "anchor"), max_per_part=MAX_FILES
        )
        if "file" not in saved:
            raise ApiError(422, "field 'file' (body): a file to sign is required", field="file")
        claim = values.get("claim", "captured") or "captured"
        if claim not in CLAIMS:
            raise ApiError(422, f"field 'claim': must be one of {', '.join(CLAIMS)}", field="claim")
        anchor_text = values.get("anchor", "false").strip().lower()
        if anchor_text not in ("true", "false", "1", "0", "on", "off", ""):
            raise ApiError(422, "field 'anchor': must be true or false", field="anchor")
        anchor = anchor_text in ("true", "1", "on")
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    paths = saved["file"]
    title = f"Sign {paths[0].name}" if len(paths) == 1 else f"Sign {len(paths)} files"
    job = services.jobs.submit("sign", title, sign_uploads(services, dest, paths, (Claim(claim),), anchor))
    return job_accepted(job)


@api.post(
    "/content/anchor",
    status_code=202,
    summary="Anchor every manifest not anchored yet, in one transaction (a job)",
    dependencies=[Depends(require_token)],
    responses=NEEDS_TOKEN,
)
def anchor_all(request: Request) -> JSONResponse:
    """Returns the job."""
    services = services_of(request)
    job = services.jobs.submit("anchor", "Anchor pending manifests", anchor_pending(services), params={})
    return job_accepted(job)


@pages.get("/content", response_class=HTMLResponse)
def content_page(request: Request) -> HTMLResponse:
    """Signed files, the sign form and the creator key."""
    services = services_of(request)
    entries = [e.to_json() for e in services.library.entries()]
    return render(
        request,
        "content.html",
        "content",
        entries=entries,
        creator=creator_info(services),
        claims=CLAIMS,
        pending=sum(1 for e in entries if e["anchored"] is None),
    )


@pages.get("/content/{manifest_id}", response_class=HTMLResponse)
def content_detail(request: Request, manifest_id: str) -> HTMLResponse:
    """One signed file: manifest, signature domain, anchoring, downloads."""
    entry = _entry(services_of(request), manifest_id)
    return render(
        request,
        "content_detail.html",
        "content",
        entry=entry.to_json(),
        sidecar=entry.signed.to_json(with_leaves=False),
    )


feature = Feature(
    "content",
    "Content",
    "/content",
    "Files signed with the server's creator key; clips of them verify without a new signature.",
    api=api,
    pages=pages,
)
