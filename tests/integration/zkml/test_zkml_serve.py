"""``model serve``'s endpoint over real HTTP: pay with x402, get the output and a job id at once,
poll (and receive a webhook) for the batch's proof, and verify that proof on chain with one
event per inference; a bad input is refused before any money moves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI, Request
from web3.contract import Contract

from aiweb3.agents import AgentWallet, Facilitator, PayingClient, PaymentGate, SpendPolicy, TokenInfo
from aiweb3.agents.serving import BackgroundServer
from aiweb3.chain import Chain, Deployment
from aiweb3.server.modelserve import deliver_webhook, fetch_proof, model_serve_app
from aiweb3.zkml import (
    CompiledModel,
    InferenceProof,
    ModelRegistryClient,
    ProofStream,
    ProverPool,
    outputs_hash,
    split_outputs,
)

pytestmark = pytest.mark.usefixtures("chain_isolation")
PRICE = 40_000  # 0.04 AIUSD per inference


@pytest.fixture
def hooks() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    app = FastAPI()

    @app.post("/hook")
    async def hook(request: Request) -> dict[str, bool]:
        received.append(await request.json())
        return {"ok": True}

    with BackgroundServer(app) as srv:
        yield f"{srv.url}/hook", received


def _balance(chain: Chain, aiusd: Contract, who: str) -> int:
    return int(chain.call(aiusd.functions.balanceOf(who)))


def test_pay_get_output_then_a_batch_proof_that_verifies_on_chain(
    chain: Chain,
    deployments: dict[str, Deployment],
    accounts: list[LocalAccount],
    aiusd: Contract,
    mlp_batch_model: CompiledModel,
    mlp_samples: dict[str, Any],
    hooks: tuple[str, list[dict[str, Any]]],
) -> None:
    owner, relayer, buyer = accounts[1], accounts[8], accounts[3]
    registry = ModelRegistryClient.from_home(chain, mlp_batch_model.home)
    mlp_batch_model.register(chain, owner, registry=registry, price=PRICE)
    token = TokenInfo(deployments["AIUSD"].address, chain.chain_id)
    gate = PaymentGate(Facilitator(chain, token, relayer), token, owner.address)
    hook_url, received = hooks
    samples = mlp_samples["samples"]
    wallet = AgentWallet(
        buyer, SpendPolicy(PRICE, 10 * PRICE).allowing(tokens=[token.address], counterparties=[owner.address])
    )
    before = _balance(chain, aiusd, owner.address)
    with ProverPool(max_provers=1) as pool:
        # a batch fills with 4 inferences or is proven short after 1.5 s: two requests share one proof
        stream = ProofStream(mlp_batch_model, pool, max_wait=1.5, deliver=deliver_webhook)
        try:
            with BackgroundServer(model_serve_app(stream, gate, PRICE)) as srv:
                client = PayingClient(wallet, token)
                try:
                    bad = client.post(f"{srv.url}/infer", json={"inputs": [1.0, 2.0]})
                    assert bad.response.status_code == 400 and "malformed" in bad.response.text
                    assert bad.paid == 0  # refused before the price was asked

                    answers = [
                        client.post(f"{srv.url}/infer", json={"inputs": samples[i], "webhook": hook_url})
                        for i in (0, 1)
                    ]
                finally:
                    client.close()
                for answer in answers:
                    assert answer.response.status_code == 200, answer.response.text
                    assert answer.paid == PRICE and answer.settlement is not None
                jobs = [a.response.json() for a in answers]
                assert jobs[0]["job_id"] != jobs[1]["job_id"]
                results = [fetch_proof(srv.url, j["job_id"], timeout=300) for j in jobs]
        finally:
            stream.close()
    assert _balance(chain, aiusd, owner.address) == before + 2 * PRICE

    assert [r["index"] for r in results] == [0, 1]
    assert results[0]["proof"] == results[1]["proof"]  # one proof for the batch they joined
    proof = InferenceProof.from_json(results[0]["proof"])
    assert proof.batch_size == 4 and proof.count == 2
    per_inference = split_outputs(proof)
    for job, result, outputs in zip(jobs, results, per_inference, strict=True):
        assert job["outputs"] == result["outputs"] == outputs  # the answer given at once is what was proven

    checks = registry.verify_batch(proof, relayer)  # one InferenceVerified per inference
    assert len(checks) == 4 and all(c.valid for c in checks)
    per = 2  # the MLP's two logits per inference (its inputs are private: no input instances)
    assert [c.outputs_hash for c in checks] == [
        outputs_hash(proof.instances[i * per : (i + 1) * per], 0) for i in range(4)
    ]

    assert sorted(h["job_id"] for h in received) == sorted(j["job_id"] for j in jobs)
    assert all(h["state"] == "proven" and h["proof"] == results[0]["proof"] for h in received)
