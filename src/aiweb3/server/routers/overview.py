"""Overview: chain head, deployed contracts, counts, recent activity."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from aiweb3.errors import AIWeb3Error
from aiweb3.server import chaininfo
from aiweb3.server.features import Feature
from aiweb3.server.http import services_of
from aiweb3.server.pages import render
from aiweb3.server.services import Services

__all__ = ["feature", "llm_calls", "overview_data"]

api = APIRouter(tags=["overview"])
pages = APIRouter()


def overview_data(services: Services) -> dict[str, Any]:
    """Chain summary, contracts and counts."""
    entries = services.library.entries()
    contracts = chaininfo.contracts(services)
    head = chaininfo.summary(services)
    return {
        "chain": head,
        "llm": _llm(services),
        "llm_calls": llm_calls(services.home),
        "contracts": contracts,
        "counts": {
            "blocks": head["head"] + 1,
            "contracts": len(contracts),
            "content": len(entries),
            "anchored": sum(1 for e in entries if e.signed.anchoring is not None),
            "verifications": services.verifications,
            "jobs": services.jobs.counts(),
            "tokens": len(services.tokens.list()),
            **_feature_counts(services),
        },
    }


def _llm(services: Services) -> dict[str, Any] | None:
    """The embedded model server of this home (model, SHA-256, runtime build), or None."""
    from aiweb3.llm.runtime import ModelRuntime, RuntimeConfig

    info = ModelRuntime(RuntimeConfig(home=services.home)).info()
    if info is None:
        return None
    return {"model": info.model, "sha256": info.sha256, "runtime": info.runtime, "url": info.api_url}


def llm_calls(home: Path, n: int = 10) -> list[dict[str, Any]]:
    """The newest language-model calls of this home (from the call log: no prompts, no answers)."""
    from aiweb3.llm import CallLog, call_log_path

    return [
        {
            "model": r.model,
            "kind": r.kind,
            "purpose": r.purpose or r.kind,
            "at": r.started_at,
            "latency_s": round(r.latency_s, 3),
            "prompt_tokens": r.prompt_tokens,
            "completion_tokens": r.completion_tokens,
            "ok": r.ok,
            "error": r.error,
        }
        for r in CallLog(call_log_path(home)).recent(n)
    ]


def _feature_counts(services: Services) -> dict[str, int | None]:
    """Registered models, verified inferences, data sets, agents and escrow tasks (None when missing)."""
    out: dict[str, int | None] = {
        "models": None,
        "inferences": None,
        "datasets": None,
        "agents": None,
        "tasks": None,
    }
    try:
        reg = services.model_registry
        out["models"] = int(services.chain.call(reg.contract.functions.modelCount()))
        out["inferences"] = len(reg.inferences())
    except AIWeb3Error:
        pass
    with suppress(AIWeb3Error):
        out["datasets"] = len(services.dataset_pool.dataset_ids())
    with suppress(AIWeb3Error):
        agents = services.agent_registry
        out["agents"] = int(services.chain.call(agents.contract.functions.agentCount()))
        out["tasks"] = services.task_escrow.count()
    return out


@api.get("/health", summary="Liveness: the server answers and reaches the chain")
def health(request: Request) -> dict[str, Any]:
    """``{"ok": true, "chain_id", "head"}``."""
    services = services_of(request)
    return {"ok": True, "chain_id": services.chain.chain_id, "head": services.chain.block_number()}


@api.get("/overview", summary="Chain head, deployed contracts and counts")
def overview(request: Request) -> dict[str, Any]:
    """What the overview page shows, as JSON."""
    return overview_data(services_of(request))


@pages.get("/", response_class=HTMLResponse)
def overview_page(request: Request) -> HTMLResponse:
    """The dashboard's front page."""
    services = services_of(request)
    data = overview_data(services)
    blocks = chaininfo.recent_blocks(services, 30)
    return render(
        request,
        "overview.html",
        "overview",
        blocks=list(reversed(blocks)),
        content=[e.to_json() for e in services.library.entries()[:5]],
        jobs=[j.snapshot() for j in services.jobs.list()[:5]],
        **data,
    )


_FAVICON = Path(__file__).resolve().parents[1] / "static" / "favicon.svg"


@pages.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    """The dashboard's icon (browsers ask for /favicon.ico before reading the page's link)."""
    return FileResponse(_FAVICON, media_type="image/svg+xml")


feature = Feature(
    "overview", "Overview", "/", "Chain head, contracts and what happened lately.", api=api, pages=pages
)
