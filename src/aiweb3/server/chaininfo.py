"""Read-only views of the chain for the overview and the chain page: head, blocks, contracts, accounts."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiweb3.chain import Keystore, dev_accounts, encode_call, system_contract
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import AIWeb3Error
from aiweb3.server.services import Services

__all__ = ["accounts", "contracts", "public_rpc_url", "recent_blocks", "summary"]


def public_rpc_url(url: str) -> str:
    """The RPC URL without credentials, path or query (hosted providers put API keys there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def recent_blocks(services: Services, count: int = 20) -> list[dict[str, Any]]:
    """The newest ``count`` blocks (number, time, transactions, gas used), newest first."""
    head = services.chain.block_number()
    numbers = list(range(head, max(-1, head - count), -1))
    replies = services.chain.rpc_batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
    out = []
    for reply in replies:
        if isinstance(reply, Exception) or reply is None:
            continue
        out.append(
            {
                "number": int(reply["number"], 16),
                "timestamp": int(reply["timestamp"], 16),
                "transactions": len(reply.get("transactions", [])),
                "gas_used": int(reply["gasUsed"], 16),
                "hash": reply["hash"],
            }
        )
    return out


def contracts(services: Services) -> list[dict[str, Any]]:
    """The deployed system contracts of the connected chain."""
    return [
        {"name": d.name, "address": d.address, "block": d.block, "tx_hash": d.tx_hash}
        for d in services.deployments.load().values()
    ]


def accounts(services: Services) -> list[dict[str, Any]]:
    """Accounts the server knows: its creator key, the keystore, and (local chain) the dev accounts.

    Only addresses and balances: private keys never leave the server.
    """
    rows: list[dict[str, Any]] = [
        {"label": "server creator key", "address": services.creator.address, "kind": "server"}
    ]
    rows += [
        {"label": e.name, "address": e.address, "kind": "keystore"}
        for e in Keystore(services.home / "keystore").list()
    ]
    if services.chain.chain_id == LOCAL_CHAIN_ID:
        rows += [
            {"label": f"dev:{i}", "address": a.address, "kind": "dev"} for i, a in enumerate(dev_accounts(10))
        ]
    calls: list[tuple[str, list[Any]]] = [("eth_getBalance", [r["address"], "latest"]) for r in rows]
    try:
        aiusd = system_contract(services.chain, services.home, "AIUSD")
    except AIWeb3Error:
        aiusd = None
    if aiusd is not None:
        calls += [
            (
                "eth_call",
                [
                    {
                        "to": aiusd.address,
                        "data": "0x" + encode_call(aiusd.functions.balanceOf(r["address"])).hex(),
                    },
                    "latest",
                ],
            )
            for r in rows
        ]
    replies = services.chain.rpc_batch(calls)
    n = len(rows)
    for i, row in enumerate(rows):
        eth = replies[i]
        row["eth"] = int(eth, 16) / 10**18 if isinstance(eth, str) else None
        token = replies[n + i] if aiusd is not None else None
        row["aiusd"] = int(token, 16) / 10**6 if isinstance(token, str) and token != "0x" else None
    return rows


def summary(services: Services) -> dict[str, Any]:
    """Chain id, RPC endpoint (no credentials), head block and its time."""
    chain = services.chain
    block = chain.rpc("eth_getBlockByNumber", ["latest", False])
    return {
        "chain_id": chain.chain_id,
        "rpc": public_rpc_url(chain.url),
        "local": chain.chain_id == LOCAL_CHAIN_ID,
        "head": int(block["number"], 16),
        "head_time": int(block["timestamp"], 16),
    }
