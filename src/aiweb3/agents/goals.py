"""A fixed set of goals for the research agent's tools, each with the plan that achieves it.

The planners (:mod:`aiweb3.agents.planning`) are scored on it by ``bench/agent_plan.py``: a plan
is right when it calls exactly the expected tools in the expected order. The expected plans
follow the demo playbook's dependencies (:func:`aiweb3.agents.demo.demo_script`): buying needs
the prover found, verifying needs the purchase, storing keeps a verified result, fetching
needs the stored CID, hiring needs the prover found, feedback needs the hire. The goals were
written before either planner was run on them, and neither planner was tuned to them.
"""

from __future__ import annotations

from typing import Any

from aiweb3.agents.runtime import Tool
from aiweb3.errors import InputError

__all__ = ["AGENT_GOALS", "RESEARCH_TOOL_SPECS", "planning_tools"]

_FIND = ["find_agents"]
_BUY = [*_FIND, "buy_inference"]
_VERIFY = [*_BUY, "verify_onchain"]
_STORE = [*_VERIFY, "store"]
_HIRE = [*_FIND, "hire"]

#: (goal, the tools a right plan calls, in order)
AGENT_GOALS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (goal, tuple(plan))
    for goal, plan in [
        ("Find an agent that sells diagnosis inferences", _FIND),
        ("Look up which agents offer storage and what they charge", _FIND),
        ("Buy one proven diagnosis from a proving agent", _BUY),
        ("Search the registry for a cheap prover and buy a score from it", _BUY),
        ("Buy a proven diagnosis and check its proof on chain", _VERIFY),
        ("Verify a purchased inference proof on chain", _VERIFY),
        ("Get a diagnosis score from a proven model for patient features and store the result", _STORE),
        ("Keep a verified diagnosis with the storage agent for 30 days", _STORE),
        ("Store a verified diagnosis, then fetch it back and check its CID", [*_STORE, "fetch"]),
        ("Hire a prover through escrow for a second opinion", _HIRE),
        ("Hire the prover through escrow and rate its work", [*_HIRE, "feedback"]),
        ("Leave feedback for the prover after an escrow task", [*_HIRE, "feedback"]),
        ("Send a tip to a helpful address", ["tip"]),
        ("Buy a proven score, verify it on chain, then hire the prover through escrow", [*_VERIFY, "hire"]),
        ("Buy and verify a diagnosis, store it, hire the prover and rate it", [*_STORE, "hire", "feedback"]),
    ]
)

#: The research agent's tools: name, what it does, its parameters (shared with the demo).
RESEARCH_TOOL_SPECS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("find_agents", "search the registry by capability and max price",
     {"capability": "string", "max_price": "int"}),
    ("buy_inference", "pay a proving agent over x402 for one proven inference",
     {"endpoint": "string", "inputs": "list[float]"}),
    ("verify_onchain", "check an inference proof on chain",
     {"model_id": "string", "proof": "string", "instances": "list[str]"}),
    ("store", "store a JSON record with the storage agent (x402)", {"record": "object", "days": "int"}),
    ("fetch", "fetch a blob and check its CID", {"cid": "string"}),
    ("hire", "post a proof-gated escrow task to an agent",
     {"agent_id": "int", "inputs": "list[float]", "budget": "int"}),
    ("feedback", "rate the provider of a paid task", {"task_id": "int", "score": "int"}),
    ("tip", "send a payment authorization", {"to": "string", "amount": "int"}),
)  # fmt: skip


def _planning_only(**_: Any) -> dict[str, Any]:
    raise InputError("this tool set is for planning only; run the demo for tools that act")


def planning_tools() -> list[Tool]:
    """The research agent's tools as a planner sees them (they refuse to run)."""
    return [Tool(name, text, _planning_only, dict(params)) for name, text, params in RESEARCH_TOOL_SPECS]
