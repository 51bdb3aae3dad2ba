"""The agent planner on aiweb3's embedded model (real SmolLM2-135M through llama.cpp)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.agents import AgentWallet, SpendPolicy
from aiweb3.agents.demo import GOAL, demo_script, example_samples
from aiweb3.agents.goals import RESEARCH_TOOL_SPECS, planning_tools
from aiweb3.agents.planning import ModelPlanner, check_plan, playbook_of
from aiweb3.agents.runtime import Action, Runtime, ScriptedPlanner, Tool
from aiweb3.llm import CallLog, LLMConfig, OpenAICompatible, call_log_path, load_model
from aiweb3.llm.runtime import RuntimeInfo

PATIENT = [float(x) for x in example_samples()["samples"][1]]
BOOK = playbook_of(demo_script(PATIENT))
NAMES = [name for name, _, _ in RESEARCH_TOOL_SPECS]


@pytest.fixture(scope="module")
def llm(llm_runtime: RuntimeInfo, aiweb3_home: Path) -> OpenAICompatible:
    model = load_model(LLMConfig(home=aiweb3_home, timeout=120), embedded=True)
    assert isinstance(model, OpenAICompatible)
    return model


def test_the_model_plans_only_with_the_agents_tools(llm: OpenAICompatible, aiweb3_home: Path) -> None:
    planner = ModelPlanner(llm, BOOK)
    first = planner.ask(GOAL, planning_tools())
    assert 1 <= len(first) <= 2 and set(first) <= set(NAMES)  # the grammar allows no other name
    record = llm.calls[-1]
    assert record.kind == "json" and record.purpose == "agent: plan" and record.completion_tokens
    assert planner.ask(GOAL, planning_tools()) == first  # greedy: the same plan again
    logged = CallLog(call_log_path(aiweb3_home)).recent(2)  # the home's call log, newest first
    assert [r.purpose for r in logged] == ["agent: plan"] * 2 and logged[1].started_at == record.started_at


def test_an_invalid_model_plan_falls_back_with_one_line(
    llm: OpenAICompatible, accounts: list[LocalAccount]
) -> None:
    """The agent has only buy_inference, whose playbook action needs find_agents' result: whatever
    the model answers (the schema allows only buy_inference) needs a tool the agent lacks, so the
    fallback plans."""
    ran: list[str] = []

    def buy(endpoint: str, inputs: list[float]) -> dict[str, Any]:
        ran.append(endpoint)
        return {"bought": True}

    tools = [Tool("buy_inference", "pay a proving agent for one proven inference", buy)]
    notes: list[str] = []
    fallback = ScriptedPlanner([Action("buy_inference", {"endpoint": "http://fallback", "inputs": [1.0]})])
    planner = ModelPlanner(llm, BOOK, fallback=fallback, note=notes.append)
    wallet = AgentWallet(accounts[0], SpendPolicy(1, 1))
    trace = Runtime(wallet, tools, planner).run("Buy one proven diagnosis")
    assert planner.source == "fallback" and ran == ["http://fallback"] and trace.finished
    assert len(notes) == 1 and "\n" not in notes[0]
    assert "it calls 'find_agents', which is not one of the agent's tools" in notes[0]
    assert notes[0].endswith("the ScriptedPlanner plans instead")


def test_a_valid_model_plan_runs_its_tools_in_order(
    llm: OpenAICompatible, accounts: list[LocalAccount]
) -> None:
    calls: list[str] = []

    def tool(name: str) -> Tool:
        def run(**args: Any) -> dict[str, Any]:
            calls.append(name)
            return {"endpoint": "http://p", "agent_id": 1, "task_id": 1, "model_id": "0x", "proof": "0x",
                    "instances": [], "diagnosis": "x", "score": 1.0, "tx": "0x", "cid": "c"}  # fmt: skip

        return Tool(name, dict((n, d) for n, d, _ in RESEARCH_TOOL_SPECS)[name], run)

    notes: list[str] = []
    planner = ModelPlanner(llm, BOOK, note=notes.append)
    wallet = AgentWallet(accounts[0], SpendPolicy(1, 1))
    trace = Runtime(wallet, [tool(n) for n in NAMES], planner).run(
        "Find an agent that sells diagnosis inferences"
    )
    assert planner.source == "model" and "find_agents" in planner.planned  # greedy: the same every run
    assert check_plan(planner.planned, BOOK, NAMES) is None
    assert calls == planner.planned == [s.action.tool for s in trace.steps] and trace.finished
    assert notes == [f"the model {llm.name} planned: {' -> '.join(planner.planned)}"]
