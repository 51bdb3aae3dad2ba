"""The agents routes of the service against a real node: the AgentRegistry and the TaskEscrow.

One server per module; the module's chain changes (agents registered, a task posted) are
reverted afterwards so the session chain is left clean.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.agents import AgentWallet, SpendPolicy, TaskEscrow, TaskTerms
from aiweb3.chain import Chain, Deployment
from aiweb3.server import ServerConfig, ServerHandle, Services, serve
from aiweb3.server.demo import DEMO_AGENT, agent_step

CARD: dict[str, Any] = {
    "name": "storage keeper",
    "description": "keeps files pinned",
    "capabilities": ["storage"],
    "endpoint": "http://127.0.0.1:9999",
    "prices": [{"capability": "storage", "amount": 1_500_000, "unit": "mib-day"}],
    "payment_schemes": ["x402-exact", "escrow"],
}


@pytest.fixture(scope="module")
def server(module_home: Path, chain: Chain, deployments: dict[str, Deployment]) -> Iterator[ServerHandle]:
    services = Services.open(ServerConfig(home=module_home, port=0), chain)
    handle = serve(services)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def client(server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def auth(server: ServerHandle) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.services.tokens.new('agents')[0]}"}


def test_register_an_agent_card_through_the_api(
    client: httpx.Client, auth: dict[str, str], server: ServerHandle
) -> None:
    before = client.get("/api/overview").json()["counts"]["agents"]
    assert client.post("/api/agents", json=CARD).status_code == 401
    bad = client.post("/api/agents", json={**CARD, "capabilities": ["Not A Tag"]}, headers=auth)
    assert bad.status_code == 422 and "capabilities" in bad.json()["message"]
    made = client.post("/api/agents", json=CARD, headers=auth)
    assert made.status_code == 201, made.text
    agent = made.json()
    assert agent["wallet"] == server.services.creator.address
    assert agent["capabilities"] == ["storage"] and agent["prices"][0]["amount_aiusd"] == 1.5
    again = client.post("/api/agents", json=CARD, headers=auth)
    assert again.status_code == 409
    listed = client.get("/api/agents").json()
    assert listed["registry"] == server.services.agent_registry.address
    mine = [a for a in listed["agents"] if a["agent_id"] == agent["agent_id"]]
    assert len(mine) == 1 and mine[0]["name"] == "storage keeper" and mine[0]["reputation"] == 50.0
    detail = client.get(f"/api/agents/{agent['agent_id']}").json()
    assert detail["card"]["endpoint"] == CARD["endpoint"]
    assert detail["feedback"] == [] and detail["validations"] == []
    assert client.get("/api/overview").json()["counts"]["agents"] == before + 1
    page = client.get("/agents")
    assert page.status_code == 200 and "storage keeper" in page.text and "agents-table" in page.text


def test_demo_step_registers_a_proving_agent_once(
    client: httpx.Client, aiweb3_home: Path, chain: Chain, tmp_path: Path
) -> None:
    # a second server home (its own key) on the same chain: the demo registers its proving agent
    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(aiweb3_home / "deployments", home / "deployments")
    services = Services.open(ServerConfig(home=home, port=0), chain)
    try:
        job = services.jobs.submit("demo-agent", "agent", lambda p: agent_step(services, p))
        snap = services.jobs.wait(job.id, 120)
        assert snap["state"] == "succeeded", snap
        agent_id = snap["result"]["agent_id"]
        again = services.jobs.wait(
            services.jobs.submit("demo-agent", "agent", lambda p: agent_step(services, p)).id, 120
        )
        assert again["result"]["agent_id"] == agent_id
    finally:
        services.close()
    detail = client.get(f"/api/agents/{agent_id}").json()
    assert detail["name"] == DEMO_AGENT and detail["capabilities"] == ["inference.breast-cancer"]
    assert detail["wallet"] == services.creator.address
    names = [a["name"] for a in client.get("/api/agents").json()["agents"]]
    assert names.count(DEMO_AGENT) >= 1


def test_unknown_agent_and_task_ids_are_404(client: httpx.Client) -> None:
    agent = client.get("/api/agents/999999")
    assert agent.status_code == 404 and agent.json()["field"] == "agent_id"
    task = client.get("/api/tasks/999999")
    assert task.status_code == 404 and task.json()["field"] == "task_id"
    assert client.get("/api/agents/0").status_code == 404


def test_escrow_tasks_are_listed_with_status_budget_and_parties(
    client: httpx.Client,
    server: ServerHandle,
    chain: Chain,
    accounts: list[LocalAccount],
    deployer: LocalAccount,
) -> None:
    escrow = server.services.task_escrow
    requester, provider = accounts[0], accounts[1]
    policy = SpendPolicy(50_000_000, 100_000_000).allowing(
        tokens=[escrow.token.address],
        contracts=[escrow.address],
        counterparties=[escrow.address, provider.address],
    )
    wallet = AgentWallet(requester, policy)
    task_id = escrow.post(
        wallet,
        TaskTerms(budget=2_000_000, arbiter=deployer.address, provider=provider.address, spec="summarize"),
    )
    one = client.get(f"/api/tasks/{task_id}").json()
    assert one["status"] == "open" and one["holds_funds"] is True
    assert one["budget"] == 2_000_000 and one["budget_aiusd"] == 2.0
    assert one["requester"] == requester.address and one["provider"] == provider.address
    assert one["arbiter"] == deployer.address and one["proof_gated"] is False
    TaskEscrow.accept(escrow, provider, task_id)
    listed = client.get("/api/tasks").json()
    assert listed["escrow"] == escrow.address
    assert listed["tasks"][0]["task_id"] == task_id and listed["tasks"][0]["status"] == "accepted"
    page = client.get("/agents")
    assert page.status_code == 200 and "tasks-table" in page.text and "accepted" in page.text
