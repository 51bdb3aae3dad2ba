"""Agent payments on one fresh local node, measured in the same run.

1. x402 paid requests per second (pay + settle on chain + serve): a PayingClient buying a priced
   route over real HTTP from a FastAPI server whose facilitator settles every EIP-3009
   authorization on chain, versus the same requests to the same route unpaid. Alternated
   (paid, unpaid, paid, ...), medians reported. The ratio is the price of paying per request.
2. A private x402 payment (the agent's policy requires stealth: it derives a one-time address of
   the payee's registered meta-address, announces it, and the server checks it with the payee's
   viewing key before settling) versus a plain one to the same server: seconds per paid request
   (alternated rounds, medians) and gas per payment (announce + settlement versus settlement).
3. Escrow gas per full task lifecycle (post with permit, accept, deliver, approve), and per
   proof-gated lifecycle (post, accept, deliverWithProof carrying a real ezkl proof of the example
   MLP, checked by the ModelRegistry and its reusable verifier). No peer.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import TextIO

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
from aiweb3.privacy import StealthKeys, StealthReceiver, StealthRegistry, StealthRoute
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


PRIVATE_N = 20


def _gas(chain: Chain, tx: str) -> int:
    return int(chain.rpc("eth_getTransactionReceipt", [tx])["gasUsed"], 16)


def private_vs_plain(chain: Chain, home: Path, token: TokenInfo, out: TextIO) -> None:
    """Seconds and gas per x402 payment: stealth (policy "stealth") versus plain, same server."""
    buyer, payee, relayer = dev_account(4), Account.create(), dev_account(8)
    aiusd = chain.contract(artifact("AIUSD").abi, token.address)
    chain.transact(buyer, aiusd.functions.faucet(buyer.address, 10**12))
    keys = StealthKeys.generate()
    registry = StealthRegistry.from_home(chain, home)
    registry.register_on_behalf(
        relayer, payee.address, keys.meta, registry.sign_registration(payee, keys.meta)
    )
    facilitator = Facilitator(chain, token, relayer)
    receiver = StealthReceiver(chain, home, keys.viewing, payee.address)
    private_gate = PaymentGate(facilitator, token, payee.address, receiver=receiver)
    plain_gate = PaymentGate(facilitator, token, payee.address)
    app = FastAPI()

    @app.get("/private")
    def private(receipt: SettleResponse = Depends(private_gate.price(PRICE))) -> dict[str, str]:
        return {"answer": "42"}

    @app.get("/plain")
    def plain(receipt: SettleResponse = Depends(plain_gate.price(PRICE))) -> dict[str, str]:
        return {"answer": "42"}

    base = SpendPolicy(PRICE, 10**12).allowing(tokens=[token.address], counterparties=[payee.address])
    stealthy = SpendPolicy.from_json({**base.to_json(), "privacy": "stealth"})
    with BackgroundServer(app) as srv:
        private_client = PayingClient(AgentWallet(buyer, stealthy, routes=[StealthRoute(chain, home)]), token)
        plain_client = PayingClient(AgentWallet(buyer, base), token)

        def timed(client: PayingClient, path: str) -> float:
            started = time.perf_counter()
            for _ in range(PRIVATE_N):
                assert client.get(f"{srv.url}{path}").response.status_code == 200
            return (time.perf_counter() - started) / PRIVATE_N

        private_runs, plain_runs = interleave(
            lambda: timed(private_client, "/private"), lambda: timed(plain_client, "/plain"), ROUNDS
        )
        private_gas = [
            _gas(chain, p.settlement.transaction) + _gas(chain, r.reference.rsplit(" ", 1)[-1])
            for p, r in zip(private_client.payments[:3], private_client.wallet.log.records[:3], strict=True)
            if p.settlement is not None
        ]
        plain_gas = [_gas(chain, p.settlement.transaction) for p in plain_client.payments[:3] if p.settlement]
        private_client.close()
        plain_client.close()
    report("agent_payments", "x402_stealth_payment_s", private_runs, "plain x402 payment (s)", plain_runs,
           "lower", out=out)  # fmt: skip
    report("agent_payments", "x402_stealth_payment_gas", [float(g) for g in private_gas],
           "plain x402 payment (gas)", [float(g) for g in plain_gas], "lower", out=out)  # fmt: skip


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
            private_vs_plain(chain, home, token, out)

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
