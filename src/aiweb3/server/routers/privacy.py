"""Privacy: this home's stealth meta-addresses, the chain's ERC-5564 announcements, and the payments
a meta-address received (found by scanning with its viewing key; no key ever leaves the server)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from aiweb3.agents import TokenInfo
from aiweb3.errors import DeploymentError, InputError, WrongPassword
from aiweb3.privacy import StealthKeyring, announcements, found_payments, scan
from aiweb3.server.features import Feature
from aiweb3.server.http import NEEDS_TOKEN, ApiError, require_token, services_of
from aiweb3.server.pages import render
from aiweb3.server.services import Services

__all__ = ["feature", "privacy_summary", "scan_payments"]

api = APIRouter(tags=["privacy"])
pages = APIRouter()


def privacy_summary(services: Services) -> dict[str, Any]:
    """The registry and announcer, the number of scheme-1 announcements, and the stored
    meta-addresses (public keys only). ``deployed`` is False on a home without the contracts."""
    ring = StealthKeyring(services.home)
    metas = [{"name": n, "meta": ring.meta(n).uri()} for n in ring.names()]
    book = services.deployments
    try:
        registry, announcer = book.address("ERC6538Registry"), book.address("ERC5564Announcer")
    except DeploymentError:
        return {"deployed": False, "registry": None, "announcer": None, "announcements": 0, "metas": metas}
    count = len(announcements(services.chain, services.home))
    return {
        "deployed": True,
        "registry": registry,
        "announcer": announcer,
        "announcements": count,
        "metas": metas,
    }


def scan_payments(services: Services, name: str, password: str, from_block: int = 0) -> dict[str, Any]:
    """Scan the announcements with ``name``'s viewing key (decrypted for this call only) and report
    each payment found: one-time address, announced amount, what it holds, block. No key is returned."""
    ring = StealthKeyring(services.home)
    if name not in ring.names():
        raise ApiError(404, f"no stealth keys named {name!r} on this server", field="name")
    try:
        keys = ring.viewing(name, password)
    except WrongPassword:
        raise ApiError(403, f"wrong password for the stealth keys {name!r}", field="password") from None
    items = announcements(services.chain, services.home, from_block=from_block)
    token = TokenInfo(services.deployments.address("AIUSD"), services.chain.chain_id)
    found = found_payments(services.chain, scan(items, keys), token)
    del keys
    return {
        "name": name,
        "meta": ring.meta(name).uri(),
        "announcements": len(items),
        "found": [
            {
                "stealth_address": f.announcement.stealth_address,
                "announced_amount": f.announced_amount,
                "balance": f.balance,
                "block": f.announcement.block,
                "tx_hash": f.announcement.tx_hash,
            }
            for f in found
        ],
        "total_balance": sum(f.balance for f in found),
    }


class ScanRequest(BaseModel):
    """Which stored meta-address to scan for, and the password of its keys."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    from_block: int = Field(0, ge=0)


@api.get("/privacy", summary="Stealth meta-addresses of this home and the chain's announcements")
def get_privacy(request: Request) -> dict[str, Any]:
    """Public data only: meta-addresses (public keys), the registry and announcer, the count."""
    return privacy_summary(services_of(request))


@api.post(
    "/privacy/scan",
    summary="Find the stealth payments of a stored meta-address",
    dependencies=[Depends(require_token)],
    responses=NEEDS_TOKEN,
)
async def post_scan(request: Request, body: ScanRequest) -> dict[str, Any]:
    """Decrypts only the viewing key (it can find payments, not spend them) for this request;
    403 on a wrong password, 404 for an unknown name. Keys are never returned."""
    try:
        return await run_in_threadpool(scan_payments, services_of(request), body.name, body.password,
                                       body.from_block)  # fmt: skip
    except InputError as exc:
        raise ApiError(422, str(exc), field="name") from None


@pages.get("/privacy", response_class=HTMLResponse)
def privacy_page(request: Request) -> HTMLResponse:
    """Meta-addresses, announcements, and a form that scans for one meta-address's payments."""
    return render(request, "privacy.html", "privacy", **privacy_summary(services_of(request)))


feature = Feature(
    "privacy",
    "Privacy",
    "/privacy",
    "Stealth payments (ERC-5564/6538): one-time addresses only their recipient can find and spend.",
    api=api,
    pages=pages,
)
