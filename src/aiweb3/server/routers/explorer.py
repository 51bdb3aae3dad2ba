"""Explorer pages: one address, one transaction, one block (and their JSON under ``/api``).

Blocks and transactions are read from the node through :class:`aiweb3.indexer.ChainExplorer`;
an address's history comes from the index the server follows; its models, content, agents
and data sets from those features' registries. Links elsewhere in the dashboard lead here.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from aiweb3.chain import Keystore, checksum, dev_accounts, system_contract
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import AIWeb3Error, InputError
from aiweb3.indexer import ChainExplorer, parse_address, parse_block_ref, parse_tx_hash
from aiweb3.server import chaininfo
from aiweb3.server.features import Feature
from aiweb3.server.http import ApiError, services_of
from aiweb3.server.pages import render
from aiweb3.server.services import Services

__all__ = ["address_data", "explorer_of", "feature"]

api = APIRouter(tags=["explorer"])
pages = APIRouter()


def explorer_of(request: Request) -> ChainExplorer:
    """The app's explorer (built once per app: it knows the system contracts' names)."""
    state = request.app.state
    found: ChainExplorer | None = getattr(state, "explorer", None)
    if found is None:
        services = services_of(request)
        names = {c["address"]: c["name"] for c in chaininfo.contracts(services)}
        found = ChainExplorer(services.chain, names)
        state.explorer = found
    return found


def _parse(fn: Any, text: str, field: str) -> Any:
    try:
        return fn(text)
    except InputError as exc:
        raise ApiError(422, f"field '{field}': {exc}", field=field) from None


def _known_label(services: Services, address: str) -> str | None:
    if address == services.creator.address.lower():
        return "the server's creator key"
    for e in Keystore(services.home / "keystore").list():
        if e.address.lower() == address:
            return f"keystore account {e.name}"
    if services.chain.chain_id == LOCAL_CHAIN_ID:
        for i, a in enumerate(dev_accounts(10)):
            if a.address.lower() == address:
                return f"dev account {i}"
    return None


def _aiusd(services: Services, address: str) -> float | None:
    with suppress(AIWeb3Error):
        token = system_contract(services.chain, services.home, "AIUSD")
        return int(services.chain.call(token.functions.balanceOf(checksum(address)))) / 1e6
    return None


def _models_of(services: Services, address: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Models the address owns, and inferences it had verified."""
    with suppress(AIWeb3Error):
        reg = services.model_registry
        owned = [
            {"model_id": m.model_id, "name": m.name, "price_aiusd": m.price / 1e6, "deprecated": m.deprecated}
            for m in reg.models()
            if m.owner.lower() == address
        ]
        called = [i.to_json() for i in reversed(reg.inferences()) if i.caller.lower() == address]
        return owned, called
    return [], []


def _agents_of(services: Services, address: str) -> list[dict[str, Any]]:
    with suppress(AIWeb3Error):
        return [
            {
                "agent_id": r.agent_id,
                "name": r.card.name,
                "role": "owner" if r.owner.lower() == address else "wallet",
            }
            for r in services.agent_registry.all()
            if address in (r.owner.lower(), (r.wallet or "").lower())
        ]
    return []


def _datasets_of(services: Services, address: str) -> list[dict[str, Any]]:
    out = []
    with suppress(AIWeb3Error):
        pool = services.dataset_pool
        for i in pool.dataset_ids():
            d = pool.dataset(i)
            roles = [r for r, a in (("creator", d.creator), ("curator", d.curator)) if a.lower() == address]
            if roles:
                out.append({"dataset_id": i, "roles": roles, "accepted": d.accepted})
    return out


def _creator_of(services: Services, address: str) -> dict[str, Any] | None:
    with suppress(AIWeb3Error):
        status = services.registry.key_status(address)
        if status.registered:
            return {"handle": status.handle, "current": status.current, "added_at": status.added_at}
    return None


def address_data(services: Services, explorer: ChainExplorer, address: str) -> dict[str, Any]:
    """Everything the dashboard knows about one address (chain, index, registries, library)."""
    account = explorer.account(address)
    models, inferences = _models_of(services, address)
    index = services.index
    history: dict[str, Any] | None = None
    index_note = None
    if index is None:
        index_note = "the indexer is not running on this server, so its transaction history is unknown"
    else:
        try:
            history = index.address_history(address)
        except AIWeb3Error as exc:
            index_note = str(exc)
        else:
            for t in history["transactions"]:
                t["from_label"] = explorer.label(t["from"])
                t["to_label"] = explorer.label(t["to"])
                sig = explorer.selectors.get(t["selector"] or "")
                t["method"] = sig.split("(")[0] if sig else (t["selector"] if t["to"] else "deploy")
    return {
        **account,
        "known_as": account["label"] or _known_label(services, address),
        "balance_eth": None if account["balance_wei"] is None else account["balance_wei"] / 10**18,
        "aiusd": _aiusd(services, address),
        "creator": _creator_of(services, address),
        "history": history,
        "index_note": index_note,
        "models": models,
        "inferences": inferences,
        "content": [
            e.to_json() for e in services.library.entries() if e.signed.manifest.creator.lower() == address
        ],
        "agents": _agents_of(services, address),
        "datasets": _datasets_of(services, address),
    }


def _tx(request: Request, tx_hash: str) -> dict[str, Any]:
    h = _parse(parse_tx_hash, tx_hash, "tx_hash")
    tx = explorer_of(request).transaction(h)
    if tx is None:
        raise ApiError(404, f"the node knows no transaction {h}", field="tx_hash")
    return tx


def _block(request: Request, ref: str) -> dict[str, Any]:
    parsed = _parse(parse_block_ref, ref, "block")
    block = explorer_of(request).block(parsed)
    if block is None:
        head = services_of(request).chain.block_number()
        raise ApiError(404, f"no block {ref} on this chain (the head is {head})", field="block")
    return block


@api.get("/address/{address}", summary="One address: balances, history, models, content, agents")
def get_address(request: Request, address: str) -> dict[str, Any]:
    """422 for a malformed address."""
    addr = _parse(parse_address, address, "address")
    return address_data(services_of(request), explorer_of(request), addr)


@api.get("/tx/{tx_hash}", summary="One transaction with its receipt and decoded events")
def get_tx(request: Request, tx_hash: str) -> dict[str, Any]:
    """404 when the node does not know it."""
    return _tx(request, tx_hash)


@api.get("/block/{block}", summary="One block (by number or hash) with its transactions")
def get_block(request: Request, block: str) -> dict[str, Any]:
    """404 beyond the head."""
    return _block(request, block)


def search_target(request: Request, text: str) -> str:
    """The page for what was typed: an address, a block number, a transaction, block, model or content id.

    Raises:
        ApiError: 404 when nothing on this chain or server has that id; 422 when it is no id at all.
    """
    services = services_of(request)
    q = text.strip()
    if q.isdigit():
        return f"/block/{int(q)}"
    if len(q) == 42:
        return f"/address/{_parse(parse_address, q, 'q')}"
    h = _parse(parse_tx_hash, q, "q") if len(q) == 66 else None
    if h is None:
        raise ApiError(
            422,
            f"field 'q': {q[:80]!r} is not an address, a block number or a 0x hash; paste one of those",
            field="q",
        )
    explorer = explorer_of(request)
    if explorer.transaction(h) is not None:
        return f"/tx/{h}"
    if explorer.block(h) is not None:
        return f"/block/{h}"
    from aiweb3.server import modeljobs

    if modeljobs.model_detail(services, h) is not None:
        return f"/models/{h}"
    if services.library.get(h) is not None:
        return f"/content/{h}"
    raise ApiError(404, f"nothing on this chain or server has the id {h}", field="q")


@pages.get("/search", response_class=RedirectResponse)
def search(request: Request, q: str = Query("", max_length=200)) -> RedirectResponse:
    """Go to the page of an address, block, transaction, model or content id."""
    return RedirectResponse(search_target(request, q), status_code=303)


@pages.get("/address/{address}", response_class=HTMLResponse)
def address_page(request: Request, address: str) -> HTMLResponse:
    """Explorer-style address page."""
    addr = _parse(parse_address, address, "address")
    data = address_data(services_of(request), explorer_of(request), addr)
    return render(request, "address.html", "chain", a=data)


@pages.get("/tx/{tx_hash}", response_class=HTMLResponse)
def tx_page(request: Request, tx_hash: str) -> HTMLResponse:
    """One transaction."""
    return render(request, "tx.html", "chain", tx=_tx(request, tx_hash))


@pages.get("/block/{block}", response_class=HTMLResponse)
def block_page(request: Request, block: str) -> HTMLResponse:
    """One block."""
    return render(request, "block.html", "chain", b=_block(request, block))


feature = Feature(
    "explorer",
    "Explorer",
    "/chain",
    "Addresses, transactions and blocks, read from the node and the index.",
    api=api,
    pages=pages,
    nav=False,
)
