"""Pages for features that have not landed yet: what will appear there and how to get it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from aiweb3.server.features import Feature
from aiweb3.server.pages import render

__all__ = ["AGENTS", "ANALYTICS", "DATASETS", "MODELS", "placeholder"]


def placeholder(slug: str, title: str, summary: str, coming: list[str], how: list[str]) -> Feature:
    """A Feature whose page explains what will appear (``coming``) and how to get it (``how``)."""
    pages = APIRouter()

    @pages.get(f"/{slug}", response_class=HTMLResponse, name=f"{slug}_page")
    def page(request: Request) -> HTMLResponse:
        return render(request, "placeholder.html", slug, title=title, summary=summary, coming=coming, how=how)

    return Feature(slug, title, f"/{slug}", summary, api=None, pages=pages, live=False)


MODELS = placeholder(
    "models",
    "Models",
    "Models committed on chain and their verified inferences: every output carries a "
    "zero-knowledge proof that this committed model produced it.",
    [
        "registered models with their commitment, owner and verifying key",
        "verified inferences per day (chart) and the latest proofs with their transactions",
        "a form to request a proof; the proving job shows live progress",
    ],
    [
        "the zkml feature (aiweb3.zkml) lands with `aiweb3 model register` and `aiweb3 model prove`",
        "until then, nothing is registered: this page shows only real registrations",
    ],
)

DATASETS = placeholder(
    "datasets",
    "Data sets",
    "Anonymized data sets: issuers sign records, holders disclose only non-identifying fields, "
    "and a pool on chain pays contributors.",
    [
        "data sets with their issuer, schema and contribution pool",
        "contributions over time and payouts to contributors",
        "verification of a disclosure dropped on the Verify page",
    ],
    [
        "the datasets feature (aiweb3.datasets) lands with its issuer and pool commands",
        "records appear here once an issuer signs them and holders contribute",
    ],
)

AGENTS = placeholder(
    "agents",
    "Agents",
    "AI agents with wallets and spend policies that find and pay each other through a registry, "
    "escrow or HTTP 402 payments.",
    [
        "registered agents, their services and prices",
        "tasks posted, accepted and settled, and the payments between agents",
        "each agent's spend policy and what it has spent",
    ],
    [
        "the agents feature (aiweb3.agents) lands with `aiweb3 agent` commands",
        "agents appear here as they register on chain",
    ],
)

ANALYTICS = placeholder(
    "analytics",
    "Analytics",
    "Chain analytics from the indexer: transfer volume, active accounts, contract activity, "
    "and questions asked in plain language.",
    [
        "transfer volume and active accounts per day (charts)",
        "the busiest contracts and tokens",
        "an 'ask' box that turns a question into a checked SQL query over the indexed chain",
    ],
    [
        "the indexer (aiweb3.indexer) lands with `aiweb3 index follow`; `aiweb3 up` then runs it",
        "the Chain page already shows the latest blocks read straight from the node",
    ],
)
