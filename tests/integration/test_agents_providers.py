"""Storage and proving agents over real HTTP and the real node; planners (scripted, OpenAI-compatible)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from fastapi import FastAPI, Response
from web3.contract import Contract

from aiweb3.agents import (
    AgentWallet,
    Facilitator,
    PayingClient,
    PaymentGate,
    SpendPolicy,
    TaskEscrow,
    TaskStatus,
    TaskTerms,
    TokenInfo,
)
from aiweb3.agents.demo import compile_diagnosis_model, example_samples
from aiweb3.agents.providers import (
    MIB,
    EscrowWork,
    ProvingClient,
    StorageClient,
    ZkmlProver,
    proving_app,
    storage_app,
    storage_price,
)
from aiweb3.agents.runtime import Action, Runtime, ScriptedPlanner, Tool
from aiweb3.agents.serving import BackgroundServer
from aiweb3.chain import Chain, Deployment
from aiweb3.errors import InputError, StoreError, TransactionReverted
from aiweb3.store import LocalStore, cid_of
from aiweb3.zkml import CompiledModel, ModelRegistryClient

pytestmark = pytest.mark.usefixtures("chain_isolation")
PER_MIB_DAY = 10_000


@pytest.fixture(scope="module")
def token(chain: Chain, deployments: dict[str, Deployment]) -> TokenInfo:
    return TokenInfo(deployments["AIUSD"].address, chain.chain_id)


@pytest.fixture(scope="module")
def storage(
    chain: Chain, token: TokenInfo, accounts: list[LocalAccount], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, LocalStore, str]]:
    root = tmp_path_factory.mktemp("storage-agent")
    store = LocalStore(root / "blobs")
    seller = Account.create().address
    gate = PaymentGate(Facilitator(chain, token, accounts[8]), token, seller)
    with BackgroundServer(storage_app(store, gate, PER_MIB_DAY, root / "leases.json")) as srv:
        yield srv.url, store, seller


def _payer(acct: LocalAccount, token: TokenInfo, *payees: str) -> PayingClient:
    policy = SpendPolicy(10**7, 10**8).allowing(tokens=[token.address], counterparties=payees)
    return PayingClient(AgentWallet(acct, policy), token)


def test_storage_price_per_mib_day() -> None:
    assert storage_price(MIB, 1, PER_MIB_DAY) == PER_MIB_DAY
    assert storage_price(3 * MIB, 10, PER_MIB_DAY) == 30 * PER_MIB_DAY
    assert storage_price(10, 1, PER_MIB_DAY) == 1  # rounded up, never free
    with pytest.raises(InputError):
        storage_price(10, 0, PER_MIB_DAY)


def test_storage_agent_paid_by_x402_and_cids_checked(
    chain: Chain,
    storage: tuple[str, LocalStore, str],
    token: TokenInfo,
    aiusd: Contract,
    accounts: list[LocalAccount],
) -> None:
    url, store, seller = storage
    client = StorageClient(_payer(accounts[0], token, seller), url)
    data = b"x" * (2 * MIB)
    blob = client.put(data, days=3)
    assert blob.cid == cid_of(data) and blob.size == len(data)
    assert int(chain.call(aiusd.functions.balanceOf(seller))) == 6 * PER_MIB_DAY
    assert client.payer.payments[-1].paid == 6 * PER_MIB_DAY
    assert client.get(blob.cid) == data

    # a dishonest storage agent serving other bytes under the CID is caught by the client
    liar = FastAPI()

    @liar.get("/blobs/{cid}")
    def lie(cid: str) -> Response:
        return Response(b"y" * len(data))

    with BackgroundServer(liar) as bad, pytest.raises(StoreError, match="do not hash"):
        StorageClient(client.payer, bad.url).get(blob.cid)
    # a damaged copy on the honest agent's disk is refused by the agent itself
    store.path(blob.cid).chmod(0o644)
    store.path(blob.cid).write_bytes(b"y" * len(data))
    with pytest.raises(StoreError, match="does not serve"):
        client.get(blob.cid)
    with pytest.raises(StoreError, match="does not serve"):
        client.get(cid_of(b"never stored"))
    assert httpx.put(f"{url}/blobs", content=b"free?").status_code == 402


@pytest.fixture(scope="module")
def mlp(aiweb3_home: Path, deployments: dict[str, Deployment]) -> CompiledModel:
    """The example MLP compiled once (cached in the session home, shared with the zkml tests)."""
    return compile_diagnosis_model(aiweb3_home)


def test_proving_agent_sells_real_zk_inferences_checked_on_chain(
    chain: Chain,
    aiweb3_home: Path,
    token: TokenInfo,
    aiusd: Contract,
    accounts: list[LocalAccount],
    mlp: CompiledModel,
) -> None:
    seller = Account.create()
    chain.set_balance(seller.address, 10**18)
    models = ModelRegistryClient.from_home(chain, aiweb3_home)
    models.register(mlp, seller, name="breast-cancer-mlp")
    patient = [float(x) for x in example_samples()["samples"][0]]
    gate = PaymentGate(Facilitator(chain, token, accounts[8]), token, seller.address)
    escrow = TaskEscrow.from_home(chain, aiweb3_home)
    work = EscrowWork(escrow, seller, min_budget=1_000)
    with BackgroundServer(proving_app(ZkmlProver(mlp), gate, 1_000, work=work)) as srv:
        client = ProvingClient(_payer(accounts[0], token, seller.address), srv.url)
        proof, paid_tx = client.infer(patient)
        assert paid_tx.startswith("0x") and proof.model_id.hex() == mlp.model_id[2:]
        label = example_samples()["labels"][0]  # the proven logits pick the held-out label
        assert len(proof.outputs) == 2 and max((0, 1), key=lambda i: proof.outputs[i]) == label
        # the buyer checks the proof on chain: a real ezkl proof against the registered key
        fn = models.contract.functions.verifyInference
        receipt = chain.transact(accounts[0], fn(proof.model_id, proof.proof, proof.instances))
        (event,) = chain.events(models.contract, "InferenceVerified", receipt)
        assert bytes(event["modelId"]) == proof.model_id and event["caller"] == accounts[0].address
        packed = b"".join(i.to_bytes(32, "big") for i in proof.instances)  # private input: all outputs
        assert bytes(event["outputsHash"]) == keccak(packed)
        changed = [*proof.instances[:-1], proof.instances[-1] + 1]  # a different output
        with pytest.raises(TransactionReverted) as refused:
            chain.call(fn(proof.model_id, proof.proof, changed))
        assert refused.value.error_name == "InvalidProof"
        flipped = bytes([proof.proof[0] ^ 1]) + proof.proof[1:]  # a tampered proof
        with pytest.raises(TransactionReverted):
            chain.call(fn(proof.model_id, flipped, proof.instances))
        wrong_shape = httpx.post(f"{srv.url}/infer", json={"inputs": [1.0]})
        assert wrong_shape.status_code == 402  # pays first; a paid wrong shape is a 422 below
        reply = client.payer.post(f"{srv.url}/infer", json={"inputs": [1.0]})
        assert reply.response.status_code == 422 and "8" in reply.response.text

        # proof-gated escrow on the system TaskEscrow: a real proof releases the budget at once
        policy = SpendPolicy(10**7, 10**8).allowing(
            tokens=[token.address],
            contracts=[escrow.address],
            counterparties=[escrow.address, seller.address],
        )
        requester = AgentWallet(accounts[1], policy)
        terms = TaskTerms(5_000, accounts[2].address, provider=seller.address, model_id=proof.model_id)
        task_id = escrow.post(requester, terms)
        before = int(chain.call(aiusd.functions.balanceOf(seller.address)))
        done = httpx.post(f"{srv.url}/tasks/{task_id}", json={"inputs": patient}, timeout=120)
        assert done.status_code == 200, done.text
        assert escrow.task(task_id).status is TaskStatus.COMPLETED
        assert int(chain.call(aiusd.functions.balanceOf(seller.address))) == before + 5_000
        assert escrow.task(task_id).result_cid == done.json()["result_cid"]


def _tools(log: list[str]) -> list[Tool]:
    def add(a: int, b: int) -> dict[str, Any]:
        log.append(f"add {a} {b}")
        return {"sum": a + b}

    def fail() -> dict[str, Any]:
        raise InputError("no such thing")

    return [Tool("add", "add two ints", add, {"a": "int", "b": "int"}), Tool("fail", "always fails", fail)]


def test_scripted_planner_threads_results_and_stops_on_error(
    accounts: list[LocalAccount], token: TokenInfo
) -> None:
    log: list[str] = []
    wallet = AgentWallet(accounts[0], SpendPolicy(1, 1))
    script = [Action("add", {"a": 1, "b": 2}), Action("add", {"a": "$0.sum", "b": 10}), Action("fail"),
              Action("add", {"a": 0, "b": 0})]  # fmt: skip
    trace = Runtime(wallet, _tools(log), ScriptedPlanner(script)).run("count")
    assert log == ["add 1 2", "add 3 10"]
    assert [s.result for s in trace.steps[:2]] == [{"sum": 3}, {"sum": 13}]
    assert trace.steps[2].error == "no such thing" and not trace.finished
    bad_ref = Runtime(wallet, _tools(log), ScriptedPlanner([Action("add", {"a": "$5.sum", "b": 1})]))
    with pytest.raises(InputError, match=r"\$5.sum"):
        bad_ref.run("x")
