"""DeFi: the last backtests of the LP strategies and the structured vault, with their plots."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from aiweb3.defi.reports import REPORT_KINDS, load_backtest_reports, report_png
from aiweb3.server.features import Feature
from aiweb3.server.http import ApiError, services_of
from aiweb3.server.pages import render

__all__ = ["feature"]

api = APIRouter(tags=["defi"])
pages = APIRouter()
TITLES = {
    "lp": "Liquidity strategies on Uniswap v3",
    "structured": "Structured vault: lending or liquidity",
}


def _rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, s in report["summary"].items():
        rows.append({
            "strategy": name,
            "runs": int(s.get("runs", 0)),
            "fees": s.get("fee_return"),
            "il": s.get("impermanent_loss"),
            "net": s.get("net_vs_hold"),
            "net_after_gas": s.get("net_after_gas"),
            "gas": s.get("gas"),
            "prove_seconds": s.get("prove_seconds"),
            "allocation": s.get("mean_allocation"),
        })  # fmt: skip
    return rows


@api.get("/defi/backtests", summary="The last backtest of each kind (medians per strategy)")
def get_backtests(request: Request) -> dict[str, Any]:
    """Per kind (lp, structured): held-out seeds, medians per strategy and every run."""
    return {"backtests": load_backtest_reports(services_of(request).home)}


@api.get("/defi/backtests/{kind}.png", summary="The plot of the last backtest of a kind")
def get_backtest_png(request: Request, kind: str) -> FileResponse:
    """The PNG the backtest drew; 404 when there is none."""
    path = report_png(services_of(request).home, kind)
    if path is None:
        raise ApiError(404, f"no {kind} backtest plot; run `aiweb3 defi backtest`", field="kind")
    return FileResponse(path, media_type="image/png")


@pages.get("/defi", response_class=HTMLResponse)
def defi_page(request: Request) -> HTMLResponse:
    """The last backtests: a table per kind and its plot, or how to run one."""
    reports = load_backtest_reports(services_of(request).home)
    sections = [
        {"kind": k, "title": TITLES[k], "seeds": reports[k].get("seeds", []), "plot": reports[k]["plot"],
         "rows": _rows(reports[k])}
        for k in REPORT_KINDS if k in reports
    ]  # fmt: skip
    return render(request, "defi.html", "defi", sections=sections)


feature = Feature(
    "defi",
    "DeFi",
    "/defi",
    "Proven AI strategies on real Uniswap v3 and a lending market, backtested on held-out paths.",
    api=api,
    pages=pages,
)
