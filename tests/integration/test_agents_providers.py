"""Storage and proving agents over real HTTP and the real node; planners (scripted, OpenAI-compatible)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from fastapi import FastAPI, Request, Response
from web3.contract import Contract

from aiweb3.agents import AgentWallet, Facilitator, PayingClient, PaymentGate, SpendPolicy, TokenInfo
from aiweb3.agents.providers import (
    MIB,
    AttestingProver,
    LinearModel,
    ProvingClient,
    StorageClient,
    proving_app,
    storage_app,
    storage_price,
)
from aiweb3.agents.runtime import Action, OpenAIPlanner, Runtime, ScriptedPlanner, Tool
from aiweb3.agents.serving import BackgroundServer
from aiweb3.chain import Chain, Deployment, artifact
from aiweb3.errors import ConfigError, InputError, StoreError, TransactionReverted
from aiweb3.store import LocalStore, cid_of

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


def test_proving_agent_sells_checkable_inferences(
    chain: Chain, deployer: LocalAccount, token: TokenInfo, accounts: list[LocalAccount]
) -> None:
    attester, seller = Account.create(), Account.create().address
    art = artifact("TestInferenceOracle")
    oracle_addr, _ = chain.deploy(deployer, art.abi, art.bytecode, attester.address)
    oracle = chain.contract(art.abi, oracle_addr)
    model = LinearModel("m", (1.0, -2.0), 0.5)
    prover = AttestingProver(model, attester, oracle_addr, chain.chain_id)
    gate = PaymentGate(Facilitator(chain, token, accounts[8]), token, seller)
    with BackgroundServer(proving_app(prover, gate, 1_000)) as srv:
        client = ProvingClient(_payer(accounts[0], token, seller), srv.url)
        proof, paid_tx = client.infer([0.5, 0.25])
        assert paid_tx.startswith("0x") and proof.model_id == model.model_id
        assert proof.outputs == model([0.5, 0.25])
        verify = oracle.functions.verifyInference
        outputs_hash = chain.call(verify(proof.model_id, proof.proof, proof.instances))
        assert bytes(outputs_hash) == keccak(abi_encode(["uint256[]"], [proof.instances]))
        changed = [*proof.instances[:-1], proof.instances[-1] + 1]  # a different output
        with pytest.raises(TransactionReverted) as refused:
            chain.call(verify(proof.model_id, proof.proof, changed))
        assert refused.value.error_name == "InvalidProof"
        wrong_shape = httpx.post(f"{srv.url}/infer", json={"inputs": [1.0]})
        assert wrong_shape.status_code == 402  # pays first; a paid wrong shape is a 422 below
        reply = client.payer.post(f"{srv.url}/infer", json={"inputs": [1.0]})
        assert reply.response.status_code == 422 and "takes 2 inputs" in reply.response.text


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


@pytest.fixture
def fake_llm() -> Iterator[tuple[str, list[dict[str, Any]], list[str]]]:
    """A tiny real OpenAI-compatible server: adds 2+3, then 5+4, then says done; records requests."""
    seen: list[dict[str, Any]] = []
    answers = ['{"tool": "add", "args": {"a": 2, "b": 3}, "why": "start"}',
               'Sure! {"tool": "add", "args": {"a": 5, "b": 4}}', '{"done": true}']  # fmt: skip
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> dict[str, Any]:
        body = await request.json()
        seen.append(body)
        text = answers[min(len(seen) - 1, len(answers) - 1)]
        return {"choices": [{"message": {"role": "assistant", "content": text}}]}

    with BackgroundServer(app) as srv:
        yield srv.url + "/v1", seen, answers


def test_openai_compatible_planner(
    fake_llm: tuple[str, list[dict[str, Any]], list[str]], accounts: list[LocalAccount]
) -> None:
    url, seen, answers = fake_llm
    log: list[str] = []
    wallet = AgentWallet(accounts[0], SpendPolicy(1, 1))
    trace = Runtime(wallet, _tools(log), OpenAIPlanner(url, "tiny", api_key="k")).run("add things")
    assert log == ["add 2 3", "add 5 4"] and trace.finished
    assert seen[0]["model"] == "tiny" and "add(a: int, b: int)" in seen[0]["messages"][0]["content"]
    assert '"sum": 5' in seen[1]["messages"][1]["content"]  # the history reaches the model

    with pytest.raises(ConfigError, match="failed"):
        OpenAIPlanner("http://127.0.0.1:9/v1", "m").next_action("g", [], [])
    seen.clear()
    answers[:] = ['{"tool": "rm_rf", "args": {}}']
    with pytest.raises(ConfigError, match="unknown tool"):
        OpenAIPlanner(url, "m").next_action("g", _tools([]), [])
    answers[:] = ["I would rather not."]
    with pytest.raises(ConfigError, match="without a JSON action"):
        OpenAIPlanner(url, "m").next_action("g", _tools([]), [])
