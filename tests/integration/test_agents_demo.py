"""The agents demo end to end on the real node over real HTTP (library level; the CLI has its own test)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from aiweb3.agents.demo import compile_diagnosis_model, run_demo
from aiweb3.agents.runtime import Step
from aiweb3.chain import Chain, Deployment
from aiweb3.llm import LLMConfig, OpenAICompatible, load_model
from aiweb3.llm.runtime import RuntimeInfo
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


def test_demo_planned_by_the_embedded_model(
    chain: Chain,
    aiweb3_home: Path,
    deployments: dict[str, Deployment],
    mlp: CompiledModel,
    llm_runtime: RuntimeInfo,
) -> None:
    """aiweb3's embedded model (real SmolLM2-135M) plans the demo; its plan is checked first."""
    llm = load_model(LLMConfig(home=aiweb3_home, timeout=120), embedded=True)
    assert isinstance(llm, OpenAICompatible)
    notes: list[str] = []
    trace, summary = run_demo(chain, aiweb3_home, llm=llm, note=notes.append, model=mlp)
    (said,) = [n for n in notes if n.startswith("planner: ")]
    assert llm.calls[-1].purpose == "agent: plan"
    tools = [s.action.tool for s in trace.steps]
    # greedy decoding: the same plan every run; SmolLM2-135M names find_agents for this goal
    assert said == f"planner: the model {llm.name} planned: {' -> '.join(tools)}"
    assert tools[0] == "find_agents" and trace.finished and not any(s.error for s in trace.steps)
    assert trace.steps[0].result["name"] == "diagnosis-prover"
    assert summary["spent"] == trace.spent
