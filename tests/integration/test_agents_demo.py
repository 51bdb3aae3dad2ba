"""The agents demo end to end on the real node over real HTTP (library level; the CLI has its own test)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from fastapi import FastAPI, Request

from aiweb3.agents.demo import compile_diagnosis_model, run_demo
from aiweb3.agents.runtime import OpenAIPlanner, Step
from aiweb3.agents.serving import BackgroundServer
from aiweb3.chain import Chain, Deployment
from aiweb3.zkml import CompiledModel, ModelRegistryClient

pytestmark = pytest.mark.usefixtures("chain_isolation")


@pytest.fixture(scope="module")
def mlp(aiweb3_home: Path) -> CompiledModel:
    """The example MLP compiled once (cached in the session home, shared with other modules)."""
    return compile_diagnosis_model(aiweb3_home)


def test_demo_research_agent_buys_verifies_stores_hires_and_rates(
    chain: Chain, aiweb3_home: Path, deployments: dict[str, Deployment], mlp: CompiledModel
) -> None:
    notes: list[str] = []
    live: list[Step] = []
    start = chain.block_number()
    trace, summary = run_demo(chain, aiweb3_home, note=notes.append, on_step=live.append, model=mlp)
    by_tool = {s.action.tool: s for s in trace.steps}
    assert [s.action.tool for s in trace.steps] == [
        "find_agents", "buy_inference", "verify_onchain", "store", "fetch", "hire", "feedback", "tip",
    ]  # fmt: skip
    assert live == trace.steps
    assert all(not s.error for s in trace.steps[:-1]), [s.error for s in trace.steps]
    assert by_tool["find_agents"].result["name"] == "diagnosis-prover"
    assert by_tool["verify_onchain"].result["verified"] is True
    # a real zk proof of the registered MLP, checked by the system ModelRegistry
    bought = by_tool["buy_inference"].result
    assert bought["model_id"] == mlp.model_id and bought["diagnosis"] == "malignant"
    assert 0.5 < bought["score"] <= 1.0 and len(bytes.fromhex(bought["proof"][2:])) > 1000
    models = ModelRegistryClient(chain, deployments["ModelRegistry"].address)
    seen = models.inferences(mlp.model_id, from_block=start)
    assert by_tool["verify_onchain"].result["tx"] in [v.tx_hash for v in seen]
    assert deployments["TaskEscrow"].address in [v.caller for v in seen]  # the escrow checked its proof
    assert by_tool["hire"].result["diagnosis"] == "malignant"
    assert any("registered in ModelRegistry" in n for n in notes)
    assert by_tool["fetch"].result["cid"] == by_tool["store"].result["cid"]
    assert by_tool["hire"].result["status"] == "completed"
    assert by_tool["buy_inference"].payments[0].status == "signed"
    assert "refused" in by_tool["tip"].error and by_tool["tip"].payments[0].status == "refused"
    # 0.5 (x402 inference) + storage + 2 (escrow) were signed; the 25 AIUSD tip was not
    assert summary["spent"] == trace.spent and 2_500_000 < trace.spent < 2_600_000
    assert summary["research_balance"] == 20_000_000 - trace.spent
    # one counterparty paid 2 AIUSD and rated 92: weight log2(1 + 2) against the prior's 1 at 50
    weight = math.log2(3)
    assert summary["prover_reputation"] == pytest.approx((weight * 92 + 50) / (weight + 1))
    assert summary["refused"] == 1


def test_demo_with_a_language_model_planner(
    chain: Chain, aiweb3_home: Path, deployments: dict[str, Deployment], mlp: CompiledModel
) -> None:
    """A tiny real OpenAI-compatible server plans: find the prover, then stop."""
    answers = ['{"tool": "find_agents", "args": {"capability": "inference.diagnosis", "max_price": 1000000}}',
               '{"done": true}']  # fmt: skip
    prompts: list[str] = []
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> dict[str, object]:
        body = await request.json()
        prompts.append(body["messages"][0]["content"])
        return {"choices": [{"message": {"content": answers[min(len(prompts), 2) - 1]}}]}

    with BackgroundServer(app) as llm:
        trace, _ = run_demo(chain, aiweb3_home, planner=OpenAIPlanner(llm.url + "/v1", "tiny"), model=mlp)
    assert [s.action.tool for s in trace.steps] == ["find_agents"] and trace.finished
    assert trace.steps[0].result["name"] == "diagnosis-prover"
    assert "buy_inference(endpoint: string, inputs: list[float])" in prompts[0]
