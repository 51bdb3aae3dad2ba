"""Chain and accounts: head, latest blocks, deployed contracts, balances of known accounts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from aiweb3.chain import checksum
from aiweb3.errors import InputError
from aiweb3.server import chaininfo
from aiweb3.server.features import Feature
from aiweb3.server.http import ApiError, services_of
from aiweb3.server.pages import render

__all__ = ["feature"]

api = APIRouter(tags=["chain"])
pages = APIRouter()


@api.get("/chain", summary="Chain id, head, deployed contracts")
def chain_info(request: Request) -> dict[str, Any]:
    """The chain summary and the system contracts."""
    services = services_of(request)
    return {**chaininfo.summary(services), "contracts": chaininfo.contracts(services)}


@api.get("/chain/blocks", summary="The newest blocks")
def blocks(
    request: Request, count: int = Query(20, ge=1, le=200, description="How many blocks.")
) -> dict[str, Any]:
    """Newest first: number, time, transactions, gas used."""
    return {"blocks": chaininfo.recent_blocks(services_of(request), count)}


@api.get("/accounts", summary="Known accounts with ETH and AIUSD balances (addresses only)")
def accounts(request: Request) -> dict[str, Any]:
    """The server's creator key, the keystore's accounts, and on the local chain the dev accounts."""
    return {"accounts": chaininfo.accounts(services_of(request))}


@api.get("/accounts/{address}", summary="One address: balance and transaction count")
def account(request: Request, address: str = Path(..., description="0x address")) -> dict[str, Any]:
    """ETH balance (wei) and nonce of any address."""
    try:
        addr = checksum(address)
    except InputError as exc:
        raise ApiError(422, f"field 'address': {exc}", field="address") from None
    chain = services_of(request).chain
    balance, nonce = chain.rpc_batch(
        [("eth_getBalance", [addr, "latest"]), ("eth_getTransactionCount", [addr, "latest"])]
    )
    if isinstance(balance, Exception) or isinstance(nonce, Exception):
        raise ApiError(502, f"the node could not answer for {addr}")
    return {"address": addr, "balance_wei": str(int(balance, 16)), "nonce": int(nonce, 16)}


@pages.get("/chain", response_class=HTMLResponse)
def chain_page(request: Request) -> HTMLResponse:
    """Blocks, contracts and accounts."""
    services = services_of(request)
    blocks = chaininfo.recent_blocks(services, 30)
    return render(
        request,
        "chain.html",
        "chain",
        chain=chaininfo.summary(services),
        contracts=chaininfo.contracts(services),
        accounts=chaininfo.accounts(services),
        blocks=blocks,
        chart=list(reversed(blocks)),
    )


feature = Feature(
    "chain",
    "Chain",
    "/chain",
    "The node's latest blocks, the deployed system contracts and account balances.",
    api=api,
    pages=pages,
)
