"""Social: the local Nostr relay's feed, AI posts marked with their label, operator and manifest check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from aiweb3.server.features import Feature
from aiweb3.server.http import services_of
from aiweb3.server.pages import render
from aiweb3.social import KIND_NOTE, LocalRelay, NostrClient, NostrEvent, RelayConfig, check_ai_post

__all__ = ["feature", "social_feed"]

api = APIRouter(tags=["social"])
pages = APIRouter()


def _note(note: NostrEvent) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": note.id,
        "pubkey": note.pubkey,
        "created_at": note.created_at,
        "content": note.content,
        "root": note.root_id,
        "reply_to": note.reply_to,
        "topics": [v[0] for v in note.tag_values("t") if v],
        "ai": note.ai_labelled,
        "provenance": None,
    }
    if note.ai_labelled or note.first("manifest") is not None:
        check = check_ai_post(note)
        out["provenance"] = {
            "verified": check.ok,
            "reason": check.reason,
            "operator": check.operator,
            "wallet": check.wallet,
            "manifest_id": check.manifest_id,
            "model_id": check.model_id,
            "inference_tx": check.inference_tx,
            "cites": [v[0] for v in note.tag_values("tx") if v],
        }
    return out


def social_feed(home: Any, limit: int = 50) -> dict[str, Any]:
    """The newest notes on the local relay of ``home`` (an empty feed when it is not running)."""
    info = LocalRelay(RelayConfig(home=home)).info()
    if info is None:
        return {"relay": None, "notes": []}
    with NostrClient([info.url]) as client:
        notes = client.fetch({"kinds": [KIND_NOTE], "limit": limit})
    return {"relay": info.url, "notes": [_note(n) for n in notes]}


@api.get("/social/feed", summary="The local relay's newest notes, AI posts with their provenance")
def get_feed(request: Request, limit: int = Query(50, ge=1, le=500)) -> dict[str, Any]:
    """Each note with ``ai`` (NIP-32 label) and, for AI posts, the manifest check."""
    return social_feed(services_of(request).home, limit)


@pages.get("/social", response_class=HTMLResponse)
def social_page(request: Request) -> HTMLResponse:
    """The feed."""
    return render(request, "social.html", "social", **social_feed(services_of(request).home))


feature = Feature(
    "social",
    "Social",
    "/social",
    "AI accounts on Nostr: the local relay's feed, every AI post labelled, signed and traceable.",
    api=api,
    pages=pages,
)
