"""Data sets: the DatasetPool's data sets and their contributions (read routes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from aiweb3.datasets import SCHEMAS, ContributionInfo, DatasetInfo, DatasetPool
from aiweb3.server.features import Feature
from aiweb3.server.http import ApiError, services_of
from aiweb3.server.pages import render
from aiweb3.server.services import Services

__all__ = ["dataset_summaries", "feature"]

api = APIRouter(tags=["datasets"])
pages = APIRouter()


def _pool(services: Services) -> DatasetPool:
    return services.dataset_pool


def _schema_name(schema_id: bytes) -> str:
    known = {s.schema_id: s.id for s in SCHEMAS.values()}
    return known.get(schema_id, "0x" + schema_id.hex()[:12] + "…")


def _dataset(d: DatasetInfo) -> dict[str, Any]:
    return {
        "dataset_id": d.dataset_id,
        "creator": d.creator,
        "curator": d.curator,
        "schema_id": "0x" + d.schema_id.hex(),
        "schema": _schema_name(d.schema_id),
        "policy_hash": "0x" + d.policy_hash.hex(),
        "policy_cid": d.policy_cid,
        "reward": d.reward,
        "reward_aiusd": d.reward / 1e6,
        "budget": d.budget,
        "budget_aiusd": d.budget / 1e6,
        "review_window": d.review_window,
        "min_k": d.min_k,
        "closed": d.closed,
        "closed_at": d.closed_at,
        "accepted": d.accepted,
        "pending": d.pending,
    }


def _contribution(c: ContributionInfo) -> dict[str, Any]:
    return {
        "contribution_id": c.contribution_id,
        "dataset_id": c.dataset_id,
        "nullifier": "0x" + c.nullifier.hex(),
        "content_digest": "0x" + c.content_digest.hex(),
        "payee": c.payee,
        "submitted_at": c.submitted_at,
        "status": c.status,
        "issuer": "0x" + c.issuer.hex(),
    }


def dataset_summaries(services: Services) -> list[dict[str, Any]]:
    """Every data set in the pool, newest first."""
    pool = _pool(services)
    return [_dataset(pool.dataset(i)) for i in reversed(pool.dataset_ids())]


def _detail(services: Services, dataset_id: int) -> dict[str, Any]:
    pool = _pool(services)
    if dataset_id not in pool.dataset_ids():
        raise ApiError(404, f"no data set {dataset_id} in the pool at {pool.address}", field="dataset_id")
    return {
        **_dataset(pool.dataset(dataset_id)),
        "contributions": [_contribution(c) for c in pool.contributions(dataset_id)],
    }


@api.get("/datasets", summary="Data sets in the DatasetPool")
def list_datasets(request: Request) -> dict[str, Any]:
    """Each with its schema, curator, reward, budget and accepted/pending counts."""
    services = services_of(request)
    return {"pool": _pool(services).address, "datasets": dataset_summaries(services)}


@api.get("/datasets/{dataset_id}", summary="One data set and its contributions")
def get_dataset(request: Request, dataset_id: int) -> dict[str, Any]:
    """404 for an unknown id."""
    return _detail(services_of(request), dataset_id)


@pages.get("/datasets", response_class=HTMLResponse)
def datasets_page(request: Request) -> HTMLResponse:
    """The pool's data sets."""
    services = services_of(request)
    return render(
        request,
        "datasets.html",
        "datasets",
        pool=_pool(services).address,
        datasets=dataset_summaries(services),
    )


@pages.get("/datasets/{dataset_id}", response_class=HTMLResponse)
def dataset_page(request: Request, dataset_id: int) -> HTMLResponse:
    """One data set and its contributions."""
    return render(
        request, "dataset_detail.html", "datasets", dataset=_detail(services_of(request), dataset_id)
    )


feature = Feature(
    "datasets",
    "Data sets",
    "/datasets",
    "Anonymized data sets: holders contribute issuer-signed records and the pool pays them.",
    api=api,
    pages=pages,
)
