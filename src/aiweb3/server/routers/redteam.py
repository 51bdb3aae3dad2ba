"""Red team: the runs of `aiweb3 redteam exploit` kept under ``$AIWEB3_HOME/redteam/runs``."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from aiweb3.errors import InputError
from aiweb3.redteam.report import Report, list_runs, load_report, runs_dir
from aiweb3.server.features import Feature
from aiweb3.server.http import ApiError, services_of
from aiweb3.server.pages import render

__all__ = ["feature", "run_summaries"]

api = APIRouter(tags=["redteam"])
pages = APIRouter()
_RUN_ID = re.compile(r"^[0-9A-Za-z-]{1,80}$")


def _summary(r: Report) -> dict[str, Any]:
    patched = [f for f in r.confirmed if f.patch and f.patch.get("verified")]
    return {
        "run_id": r.run_id,
        "target": r.target.get("name", ""),
        "title": r.target.get("title", ""),
        "variant": r.target.get("variant", ""),
        "compiler": r.target.get("compiler", ""),
        "started": r.started,
        "seconds": r.seconds,
        "planner": r.planner,
        "hypotheses": len(r.hypotheses),
        "confirmed": len(r.confirmed),
        "patched": len(patched),
        "classes": sorted({f.hypothesis.cls for f in r.confirmed if f.hypothesis}),
    }


def run_summaries(request: Request) -> list[dict[str, Any]]:
    """Every run, newest first."""
    return [_summary(r) for r in list_runs(services_of(request).home)]


def _run(request: Request, run_id: str) -> Report:
    if not _RUN_ID.match(run_id):
        raise ApiError(422, "a run id has letters, digits and dashes only", field="run_id")
    folder = runs_dir(services_of(request).home) / run_id
    try:
        return load_report(folder)
    except InputError:
        raise ApiError(
            404, f"no red-team run {run_id}; `aiweb3 redteam exploit <target>` writes one", field="run_id"
        ) from None


@api.get("/redteam/runs", summary="Red-team runs, newest first")
def list_run_summaries(request: Request) -> dict[str, Any]:
    """Each with its target, hypothesis count, confirmed exploits and verified patches."""
    return {"runs": run_summaries(request)}


@api.get("/redteam/runs/{run_id}", summary="One red-team run: the whole report")
def get_run(request: Request, run_id: str) -> dict[str, Any]:
    """The report.json of the run (hypotheses, findings with their transactions, patches)."""
    return _run(request, run_id).to_json()


@pages.get("/redteam", response_class=HTMLResponse)
def redteam_page(request: Request) -> HTMLResponse:
    """The list of runs."""
    return render(request, "redteam.html", "redteam", runs=run_summaries(request))


@pages.get("/redteam/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: str) -> HTMLResponse:
    """One run: hypotheses, findings, proof-of-concept transactions, patches."""
    report = _run(request, run_id)
    return render(request, "redteam_run.html", "redteam", run=_summary(report), report=report.to_json())


feature = Feature(
    "redteam",
    "Red team",
    "/redteam",
    "Agents that find, exploit on a private node, and patch-check weaknesses in contracts.",
    api=api,
    pages=pages,
)
