"""Agent payments on one fresh local node, measured in the same run.

1. x402 paid requests per second (pay + settle on chain + serve): a PayingClient buying a priced
   route over real HTTP from a FastAPI server whose facilitator settles every EIP-3009
   authorization on chain, versus the same requests to the same route unpaid. Alternated
   (paid, unpaid, paid, ...), medians reported. The ratio is the price of paying per request.
2. Escrow gas per full task lifecycle (post with permit, accept, deliver, approve), and per
   proof-gated lifecycle (post, accept, deliverWithProof carrying a real ezkl proof of the example
   MLP, checked by the ModelRegistry and its reusable verifier). No peer.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import httpx
from _common import interleave, json_only_stdout, log, report  # bench/ is on sys.path when run as a script
from eth_account import Account
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
from aiweb3.zkml import InferenceProof, Model

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


def lifecycle_gas(chain: Chain, token: TokenInfo, escrow_addr: str, proven: InferenceProof | None) -> int:
    requester, provider, arbiter = dev_account(1), dev_account(2), dev_account(3)
    escrow = TaskEscrow(chain, escrow_addr, token)
    wallet = AgentWallet(requester, SpendPolicy(10**9, 10**12).allowing(
        tokens=[token.address], contracts=[escrow.address], counterparties=[provider.address]))  # fmt: skip
    before = len(wallet.log.records)
    model = bytes.fromhex(proven.model_id[2:]) if proven else b"\0" * 32
    receipts = []
    task_id = escrow.post(
        wallet, TaskTerms(1_000_000, arbiter.address, provider=provider.address, model_id=model)
    )
    post_tx = chain.rpc("eth_getBlockByNumber", ["latest", False])["transactions"][-1]
    receipts.append(chain.wait(post_tx))
    receipts.append(escrow.accept(provider, task_id))
    if proven:
        receipts.append(
            escrow.deliver_with_proof(provider, task_id, "bafkreiresult", proven.proof, proven.instances)
        )
    else:
        receipts.append(escrow.deliver(provider, task_id, "bafkreiresult"))
        receipts.append(escrow.approve(requester, task_id))
    assert len(wallet.log.records) == before + 1
    gas = [r["gasUsed"] for r in receipts]
    return sum(int(g, 16) if isinstance(g, str) else int(g) for g in gas)


def example_proofs(chain: Chain, home: Path, n: int) -> list[InferenceProof]:
    """The example MLP compiled, registered by dev:0 and proved ``n`` times (a proof pays one
    task only; ~30 s on a first run)."""
    examples = Path(__file__).resolve().parents[1] / "examples" / "zkml"
    samples = json.loads((examples / "mlp_samples.json").read_text())["samples"]
    compiled = Model.from_onnx(examples / "mlp.onnx", home=home).compile(samples[:8])
    compiled.register(chain, dev_account(0), name="bench mlp")
    return [compiled.prove(samples[0]) for _ in range(n)]


def main() -> None:
    out = json_only_stdout()
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
                # the side going first alternates every round (paid, unpaid; unpaid, paid; ...)
                paid_runs, free_runs = interleave(
                    lambda: paid_round(client, f"{srv.url}/paid"),
                    lambda: unpaid_round(http, f"{srv.url}/free"),
                    ROUNDS,
                )
                for i, (paid_rate, free_rate) in enumerate(zip(paid_runs, free_runs, strict=True)):
                    log(f"round {i + 1}: paid {paid_rate:.1f}/s, unpaid {free_rate:.1f}/s")
                http.close()
                client.close()
            report("agent_payments", "x402_paid_requests_per_s", paid_runs, "same route unpaid (req/s)",
                   free_runs, "higher", out=out)  # fmt: skip

            escrow_addr = deployed["TaskEscrow"].address  # wired to the system ModelRegistry
            log("compiling, registering and proving the example MLP for the proof-gated lifecycle")
            proofs = example_proofs(chain, home, 3)
            plain = [lifecycle_gas(chain, token, escrow_addr, None) for _ in range(3)]
            gated = [lifecycle_gas(chain, token, escrow_addr, proven) for proven in proofs]
            for figure, gas in (("escrow_gas_per_task_lifecycle", plain),
                                ("escrow_gas_per_proof_gated_lifecycle", gated)):  # fmt: skip
                report("agent_payments", figure, [float(g) for g in gas], None, None, "lower", out=out)
            chain.close()
        finally:
            node.stop()


if __name__ == "__main__":
    main()
