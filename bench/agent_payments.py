"""Agent payments on one fresh local node, measured in the same run.

1. x402 paid requests per second (pay + settle on chain + serve): a PayingClient buying a priced
   route over real HTTP from a FastAPI server whose facilitator settles every EIP-3009
   authorization on chain, versus the same requests to the same route unpaid. Alternated
   (paid, unpaid, paid, ...), medians reported. The ratio is the price of paying per request.
2. Escrow gas per full task lifecycle (post with permit, accept, deliver, approve), and per
   proof-gated lifecycle (post, accept, deliverWithProof through the development oracle). No peer.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import httpx
from _common import log, report  # bench/ is on sys.path when run as a script
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi import Depends, FastAPI
from x402.schemas import SettleResponse

from aiweb3.agents import (
    AgentWallet,
    Facilitator,
    PayingClient,
    PaymentGate,
    SpendPolicy,
    TaskEscrow,
    TaskTerms,
    TokenInfo,
)
from aiweb3.agents.serving import BackgroundServer
from aiweb3.chain import Chain, LocalNode, NodeConfig, artifact, deploy_system, dev_account

N = 60
ROUNDS = 5
PRICE = 1_000


def paid_round(client: PayingClient, url: str) -> float:
    started = time.perf_counter()
    for _ in range(N):
        reply = client.get(url)
        assert reply.response.status_code == 200 and reply.paid == PRICE
    return N / (time.perf_counter() - started)


def unpaid_round(http: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    for _ in range(N):
        assert http.get(url).status_code == 200
    return N / (time.perf_counter() - started)


def lifecycle_gas(chain: Chain, token: TokenInfo, escrow_addr: str, oracle_addr: str | None) -> int:
    requester, provider, arbiter = dev_account(1), dev_account(2), dev_account(3)
    escrow = TaskEscrow(chain, escrow_addr, token)
    wallet = AgentWallet(requester, SpendPolicy(10**9, 10**12).allowing(
        tokens=[token.address], contracts=[escrow.address], counterparties=[provider.address]))  # fmt: skip
    before = len(wallet.log.records)
    model = b"\x01" * 32 if oracle_addr else b"\0" * 32
    gas = 0
    receipts = []
    task_id = escrow.post(
        wallet, TaskTerms(1_000_000, arbiter.address, provider=provider.address, model_id=model)
    )
    post_tx = chain.rpc("eth_getBlockByNumber", ["latest", False])["transactions"][-1]
    receipts.append(chain.wait(post_tx))
    receipts.append(escrow.accept(provider, task_id))
    if oracle_addr:
        oracle = chain.contract(artifact("TestInferenceOracle").abi, oracle_addr)
        instances = [1, 2, 3]
        digest = bytes(chain.call(oracle.functions.attestationDigest(model, instances)))
        proof = bytes(ATTESTER.sign_message(encode_defunct(primitive=digest)).signature)
        receipts.append(escrow.deliver_with_proof(provider, task_id, "bafkreiresult", proof, instances))
    else:
        receipts.append(escrow.deliver(provider, task_id, "bafkreiresult"))
        receipts.append(escrow.approve(requester, task_id))
    assert len(wallet.log.records) == before + 1
    for r in receipts:
        gas += int(r["gasUsed"], 16) if isinstance(r["gasUsed"], str) else int(r["gasUsed"])
    return gas


ATTESTER = Account.create()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        node = LocalNode(NodeConfig(home=home))
        node.start()
        try:
            chain = Chain(node.url)
            deployed = deploy_system(chain, dev_account(0), home)
            token = TokenInfo(deployed["AIUSD"].address, chain.chain_id)
            aiusd = chain.contract(artifact("AIUSD").abi, token.address)
            buyer, seller = dev_account(1), Account.create().address
            chain.transact(buyer, aiusd.functions.faucet(buyer.address, 10**12))

            gate = PaymentGate(Facilitator(chain, token, dev_account(9)), token, seller)
            app = FastAPI()

            @app.get("/paid")
            def paid(receipt: SettleResponse = Depends(gate.price(PRICE))) -> dict[str, str]:
                return {"answer": "42"}

            @app.get("/free")
            def free() -> dict[str, str]:
                return {"answer": "42"}

            with BackgroundServer(app) as srv:
                policy = SpendPolicy(PRICE, 10**12).allowing(tokens=[token.address], counterparties=[seller])
                client = PayingClient(AgentWallet(buyer, policy), token)
                http = httpx.Client()
                paid_runs, free_runs = [], []
                for i in range(ROUNDS):
                    paid_runs.append(paid_round(client, f"{srv.url}/paid"))
                    free_runs.append(unpaid_round(http, f"{srv.url}/free"))
                    log(f"round {i + 1}: paid {paid_runs[-1]:.1f}/s, unpaid {free_runs[-1]:.1f}/s")
                http.close()
                client.close()
            report("agent_payments", "x402_paid_requests_per_s", paid_runs, "same route unpaid (req/s)",
                   free_runs, "higher")  # fmt: skip

            oracle_art, esc_art = artifact("TestInferenceOracle"), artifact("TaskEscrow")
            oracle_addr, _ = chain.deploy(
                dev_account(0), oracle_art.abi, oracle_art.bytecode, ATTESTER.address
            )
            gated_addr, _ = chain.deploy(
                dev_account(0), esc_art.abi, esc_art.bytecode, token.address, oracle_addr
            )
            plain = [lifecycle_gas(chain, token, deployed["TaskEscrow"].address, None) for _ in range(3)]
            gated = [lifecycle_gas(chain, token, gated_addr, oracle_addr) for _ in range(3)]
            report(
                "agent_payments",
                "escrow_gas_per_task_lifecycle",
                [float(g) for g in plain],
                None,
                None,
                "lower",
            )
            gated_gas = [float(g) for g in gated]
            report("agent_payments", "escrow_gas_per_proof_gated_lifecycle", gated_gas, None, None, "lower")
            chain.close()
        finally:
            node.stop()


if __name__ == "__main__":
    main()
