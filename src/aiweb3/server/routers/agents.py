"""Agents: the AgentRegistry's agents (card, capabilities, prices, reputation) and TaskEscrow's tasks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from aiweb3.agents import AgentCard, AgentRecord, EscrowTask
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import AIWeb3Error
from aiweb3.server.features import Feature
from aiweb3.server.http import NEEDS_TOKEN, ApiError, require_token, services_of
from aiweb3.server.pages import render
from aiweb3.server.services import Services

__all__ = ["agent_summaries", "feature", "register_agent", "task_summaries"]

api = APIRouter(tags=["agents"])
pages = APIRouter()


def _agent(rec: AgentRecord) -> dict[str, Any]:
    card = rec.card
    return {
        "agent_id": rec.agent_id,
        "owner": rec.owner,
        "wallet": rec.wallet,
        "name": card.name,
        "description": card.description,
        "capabilities": list(card.capabilities),
        "endpoint": card.endpoint,
        "payment_schemes": list(card.payment_schemes),
        "models": list(card.models),
        "prices": [
            {"capability": p.capability, "amount": p.amount, "amount_aiusd": p.amount / 1e6, "unit": p.unit}
            for p in card.prices
        ],
        "reputation": rec.reputation,
        "feedback_count": rec.feedback_count,
        "counterparties": rec.counterparties,
        "paid_volume": rec.paid_volume,
        "registered_at": rec.registered_at,
        "updated_at": rec.updated_at,
        "card": card.model_dump(),
    }


def _task(t: EscrowTask) -> dict[str, Any]:
    return {
        "task_id": t.task_id,
        "status": t.status.name.lower(),
        "holds_funds": t.status.holds_funds,
        "requester": t.requester,
        "provider": t.provider,
        "arbiter": t.arbiter,
        "budget": t.budget,
        "budget_aiusd": t.budget / 1e6,
        "paid_to_provider": t.paid_to_provider,
        "accept_by": t.accept_by,
        "deliver_by": t.deliver_by,
        "proof_gated": t.proof_gated,
        "model_id": "0x" + t.model_id.hex() if t.proof_gated else None,
        "spec_hash": "0x" + t.spec_hash.hex(),
        "result_cid": t.result_cid,
    }


def agent_summaries(services: Services) -> list[dict[str, Any]]:
    """Every registered agent, best reputation first (then most feedback, then oldest)."""
    records = services.agent_registry.all()
    records.sort(key=lambda r: (-r.reputation, -r.feedback_count, r.agent_id))
    return [_agent(r) for r in records]


def task_summaries(services: Services) -> list[dict[str, Any]]:
    """Every escrow task, newest first."""
    return [_task(t) for t in reversed(services.task_escrow.tasks())]


def register_agent(services: Services, card: AgentCard) -> dict[str, Any]:
    """Register ``card`` for the server's key (funded with gas on the local chain); returns the agent."""
    reg = services.agent_registry
    with services.tx_lock:
        if reg.by_wallet(services.creator.address) is not None:
            raise ApiError(
                409, f"the server's key {services.creator.address} already has an agent", field="card"
            )
        if (
            services.chain.chain_id == LOCAL_CHAIN_ID
            and services.chain.balance(services.creator.address) == 0
        ):
            services.chain.set_balance(services.creator.address, 100 * 10**18)
        agent_id = reg.register(services.creator, card)
    return _agent(reg.get(agent_id))


def _agent_detail(services: Services, agent_id: int) -> dict[str, Any]:
    reg = services.agent_registry
    count = int(services.chain.call(reg.contract.functions.agentCount()))
    if not 1 <= agent_id <= count:
        raise ApiError(404, f"no agent {agent_id} in the AgentRegistry at {reg.address}", field="agent_id")
    try:
        rec = reg.get(agent_id)
    except AIWeb3Error as exc:  # a card that no longer parses
        raise ApiError(422, f"agent {agent_id}'s card is not valid: {exc}", field="agent_id") from None
    return {
        **_agent(rec),
        "feedback": [vars(f) for f in reg.feedback(agent_id)],
        "validations": [
            {
                "task_id": v.task_id,
                "model_id": "0x" + v.model_id.hex(),
                "verified_block": v.verified_block,
                "recorded_by": v.recorded_by,
            }
            for v in reg.validations(agent_id)
        ],
    }


@api.get("/agents", summary="Agents in the AgentRegistry, best reputation first")
def list_agents(request: Request) -> dict[str, Any]:
    """Each with its card, capabilities, prices and reputation (mean feedback score 0-100)."""
    services = services_of(request)
    return {"registry": services.agent_registry.address, "agents": agent_summaries(services)}


@api.get("/agents/{agent_id}", summary="One agent with its feedback and validation records")
def get_agent(request: Request, agent_id: int) -> dict[str, Any]:
    """404 for an unknown id."""
    return _agent_detail(services_of(request), agent_id)


@api.post(
    "/agents",
    status_code=201,
    summary="Register an agent card for the server's key",
    dependencies=[Depends(require_token)],
    responses=NEEDS_TOKEN,
)
async def post_agent(request: Request, card: dict[str, Any]) -> dict[str, Any]:
    """The body is an agent card (name, capabilities, endpoint, prices, payment_schemes, ...).

    422 names the first bad field; 409 when the server's key already has an agent.
    """
    parsed = AgentCard.parse(card)
    return await run_in_threadpool(register_agent, services_of(request), parsed)


@api.get("/tasks", summary="TaskEscrow tasks, newest first")
def list_tasks(request: Request) -> dict[str, Any]:
    """Each with its status, budget, requester, provider and arbiter."""
    services = services_of(request)
    return {"escrow": services.task_escrow.address, "tasks": task_summaries(services)}


@api.get("/tasks/{task_id}", summary="One escrow task")
def get_task(request: Request, task_id: int) -> dict[str, Any]:
    """404 for an id never posted."""
    escrow = services_of(request).task_escrow
    if not 1 <= task_id <= escrow.count():
        raise ApiError(404, f"no task {task_id} in the TaskEscrow at {escrow.address}", field="task_id")
    return _task(escrow.task(task_id))


@pages.get("/agents", response_class=HTMLResponse)
def agents_page(request: Request) -> HTMLResponse:
    """Agents ranked by reputation and the latest escrow tasks."""
    services = services_of(request)
    return render(
        request,
        "agents.html",
        "agents",
        registry=services.agent_registry.address,
        escrow=services.task_escrow.address,
        agents=agent_summaries(services),
        tasks=task_summaries(services)[:20],
    )


@pages.get("/agents/{agent_id}", response_class=HTMLResponse)
def agent_page(request: Request, agent_id: int) -> HTMLResponse:
    """One agent: card, prices, reputation, feedback and validations."""
    detail = _agent_detail(services_of(request), agent_id)
    return render(request, "agent_detail.html", "agents", agent=detail)


feature = Feature(
    "agents",
    "Agents",
    "/agents",
    "AI agents that find each other in a registry and pay through escrow, ranked by reputation.",
    api=api,
    pages=pages,
)
