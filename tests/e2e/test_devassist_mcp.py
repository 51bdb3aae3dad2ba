"""``aiweb3 dev mcp``: a real MCP client starts the server over stdio, lists its tools and calls
them — docs, explain, and the chain (a real node with the system contracts)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from mcp import Client, StdioServerParameters

from aiweb3.chain import Chain, Deployment

ROOT = Path(__file__).resolve().parents[2]


def server(home: Path, chain: Chain) -> StdioServerParameters:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    env.update({"AIWEB3_HOME": str(home), "AIWEB3_RPC_URL": chain.url, "AIWEB3_CHAIN_ID": "31337"})
    # BM25 only: a cold embedding cache would embed all of aiweb3's sources first (the hybrid
    # path is tested on a small folder in test_devassist_cli.py)
    args = ["-m", "aiweb3.cli.main", "dev", "mcp", "--retrieval", "bm25"]
    return StdioServerParameters(command=sys.executable, args=args, env=env)


def structured(result: Any) -> Any:
    assert not result.is_error, result.content
    if result.structured_content is not None:
        content = result.structured_content
        return content.get("result", content) if isinstance(content, dict) and len(content) == 1 else content
    return json.loads(result.content[0].text)


def test_the_mcp_server_lists_and_runs_its_tools(
    module_home: Path, chain: Chain, deployments: dict[str, Deployment], accounts: list[LocalAccount]
) -> None:
    alice, bob = accounts[0], accounts[1]

    async def session() -> dict[str, Any]:
        out: dict[str, Any] = {}
        async with Client(server(module_home, chain), mode="legacy", read_timeout_seconds=120) as client:
            out["tools"] = {t.name for t in (await client.list_tools()).tools}
            out["ask"] = structured(
                await client.call_tool("ask", {"question": "how do I verify a proof on chain from Python?"})
            )
            out["explain"] = structured(
                await client.call_tool("explain", {"target": "contracts/src/TaskEscrow.sol:post"})
            )
            out["status"] = structured(await client.call_tool("chain_status", {}))
            out["balance"] = structured(
                await client.call_tool(
                    "read_contract", {"contract": "AIUSD", "function": "balanceOf", "args": [alice.address]}
                )
            )
            too_much = str(10**30)
            out["simulated"] = structured(
                await client.call_tool(
                    "simulate_call",
                    {
                        "contract": "AIUSD",
                        "function": "transfer",
                        "args": [bob.address, too_much],
                        "sender": alice.address,
                    },
                )
            )
            out["fits"] = structured(
                await client.call_tool(
                    "simulate_call",
                    {
                        "contract": "AIUSD",
                        "function": "transfer",
                        "args": [bob.address, 5],
                        "sender": alice.address,
                    },
                )
            )
            out["bad"] = await client.call_tool("explain", {"target": "contracts/src/TaskEscrow.sol:nope"})
            out["poem"] = await client.call_tool(
                "new_contract",
                {"name": "Poem", "description": "a poem about the sea", "out": str(module_home / "p")},
            )
        return out

    out = asyncio.run(session())
    assert out["tools"] == {
        "search_docs", "ask", "explain", "chain_status", "read_contract", "simulate_call", "new_contract"
    }  # fmt: skip
    assert out["ask"]["found"] and out["ask"]["claims"][0]["cite"].count(":") == 1
    source = (ROOT / "contracts" / "src" / "TaskEscrow.sol").read_text().splitlines()
    emitted = next(i for i, line in enumerate(source, 1) if "emit TaskPosted(" in line)
    assert out["explain"]["events"] == [
        {"text": "emits TaskPosted", "cite": f"contracts/src/TaskEscrow.sol:{emitted}"}
    ]
    assert out["status"]["chain_id"] == 31337
    assert out["status"]["contracts"]["AIUSD"] == deployments["AIUSD"].address
    aiusd = chain.contract([], deployments["AIUSD"].address)
    assert aiusd.address == deployments["AIUSD"].address
    assert int(out["balance"]["result"]) >= 1_000_000 * 10**6
    assert out["simulated"]["ok"] is False and out["simulated"]["error"] == "ERC20InsufficientBalance"
    assert out["fits"] == {"ok": True, "result": True}
    assert out["bad"].is_error and "no function 'nope'" in out["bad"].content[0].text
    assert out["poem"].is_error and "no scaffold fits" in out["poem"].content[0].text
    assert not (module_home / "p").exists()
