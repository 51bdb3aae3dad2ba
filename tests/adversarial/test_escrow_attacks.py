"""Attacks on TaskEscrow, run for real against the system contracts on the local node.

Attack 1 (issue 12): one inference proof paid two tasks. The escrow now remembers every proof
it paid (by model and leading bytes, so padding a proof does not make it new) and a task may fix
the input it wants answered, so a proof pays at most one task, and only a task it answers. The
proofs are real ezkl proofs of the example MLP with a ``hashed`` input, checked by ModelRegistry.
Attack 3's escrow half: requester and provider of a task must differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.agents import AgentRegistry, AgentWallet, SpendPolicy, TaskEscrow, TaskStatus, TaskTerms
from aiweb3.agents.demo import example_samples
from aiweb3.chain import Chain
from aiweb3.errors import InputError, TransactionReverted
from aiweb3.zkml import CompiledModel, CompileOptions, InferenceProof, Model, ModelRegistryClient

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "zkml"
BUDGET = 3_000_000


@pytest.fixture(scope="module")
def hashed_mlp(aiweb3_home: Path) -> CompiledModel:
    """The example MLP with a hashed input: its proofs commit to the input they answer."""
    samples = example_samples()["samples"]
    model = Model.from_onnx(EXAMPLES / "mlp.onnx", home=aiweb3_home)
    return model.compile(samples[:8], CompileOptions(input_visibility="hashed"))


@pytest.fixture(scope="module")
def registered(
    chain: Chain, aiweb3_home: Path, hashed_mlp: CompiledModel, accounts: list[LocalAccount]
) -> bytes:
    ModelRegistryClient.from_home(chain, aiweb3_home).register(hashed_mlp, accounts[7], name="hashed-mlp")
    return bytes.fromhex(hashed_mlp.model_id[2:])


def _requester(acct: LocalAccount, escrow: TaskEscrow) -> AgentWallet:
    policy = SpendPolicy(10**8, 10**9).allowing(
        tokens=[escrow.token.address], contracts=[escrow.address], counterparties=[escrow.address]
    )
    return AgentWallet(acct, policy)


def _terms(model: CompiledModel, model_id: bytes, arbiter: str, patient: Any, spec: str) -> TaskTerms:
    return TaskTerms(
        BUDGET,
        arbiter,
        accept_within=600,
        deliver_within=1200,
        model_id=model_id,
        spec=spec,
        input_commitment=bytes.fromhex(model.input_commitment(patient)[2:]),
        input_instances=model.input_instances,
    )


def _balance(chain: Chain, aiusd: Contract, who: str) -> int:
    return int(chain.call(aiusd.functions.balanceOf(who)))


@pytest.mark.usefixtures("chain_isolation")
def test_one_proof_pays_one_task_and_only_the_task_it_answers(
    chain: Chain,
    aiweb3_home: Path,
    aiusd: Contract,
    hashed_mlp: CompiledModel,
    registered: bytes,
    accounts: list[LocalAccount],
) -> None:
    escrow = TaskEscrow.from_home(chain, aiweb3_home)
    alice, bob, prover, stranger, arbiter = accounts[0], accounts[1], accounts[2], accounts[3], accounts[4]
    x, y = example_samples()["samples"][1], example_samples()["samples"][2]

    # task 1: alice asks for patient x; the honest prover proves and is paid
    task1 = escrow.post(
        _requester(alice, escrow), _terms(hashed_mlp, registered, arbiter.address, x, "x, alice")
    )
    escrow.accept(prover, task1)
    honest: InferenceProof = hashed_mlp.prove(x)
    escrow.deliver_with_proof(prover, task1, "bafkreihonest", honest.proof, honest.instances)
    assert escrow.task(task1).status is TaskStatus.COMPLETED
    assert escrow.proof_used_by(registered, honest.proof) == task1

    # the attack: bob posts task 2 (another spec, same model and even the same input); a stranger
    # accepts it and delivers the proof task 1 already paid for, as is and padded with 32 bytes
    task2 = escrow.post(_requester(bob, escrow), _terms(hashed_mlp, registered, arbiter.address, x, "x, bob"))
    escrow.accept(stranger, task2)
    padded = honest.proof + bytes(32)
    models = ModelRegistryClient.from_home(chain, aiweb3_home)
    valid, _, _ = chain.call(models.contract.functions.checkInference(registered, padded, honest.instances))
    assert valid, "the verifier ignores trailing bytes: a padded proof verifies, so it must not count as new"
    before = _balance(chain, aiusd, stranger.address)
    for replay in (honest.proof, padded):
        with pytest.raises(TransactionReverted) as again:
            escrow.deliver_with_proof(stranger, task2, "bafkreireplay", replay, honest.instances)
        assert again.value.error_name == "ProofAlreadyUsed"

    # a task about another input: even an unused, valid proof of x does not answer it
    fresh = hashed_mlp.prove(x)
    assert fresh.instances == honest.instances and fresh.proof[:64] != honest.proof[:64]
    task3 = escrow.post(_requester(bob, escrow), _terms(hashed_mlp, registered, arbiter.address, y, "y, bob"))
    escrow.accept(stranger, task3)
    with pytest.raises(TransactionReverted) as other_input:
        escrow.deliver_with_proof(stranger, task3, "bafkreiwrong", fresh.proof, fresh.instances)
    assert other_input.value.error_name == "WrongInput"
    assert _balance(chain, aiusd, stranger.address) == before  # the attacker earned nothing
    assert escrow.task(task2).status is escrow.task(task3).status is TaskStatus.ACCEPTED

    # doing the work is still paid: the fresh proof of x (new blinding, same statement) pays task 2
    escrow.deliver_with_proof(stranger, task2, "bafkreifresh", fresh.proof, fresh.instances)
    assert _balance(chain, aiusd, stranger.address) == before + BUDGET
    # and the unanswered task 3 goes back to bob after its deadline: nothing stays locked
    chain.rpc("evm_increaseTime", [1300])
    chain.rpc("evm_mine", [])
    bob_before = _balance(chain, aiusd, bob.address)
    escrow.refund(arbiter, task3)
    assert _balance(chain, aiusd, bob.address) == bob_before + BUDGET

    # the paid tasks point at their verified inference; the registry's validation finds its event
    agents = AgentRegistry.from_home(chain, aiweb3_home)
    card = {"name": "prover", "capabilities": ["inference"], "endpoint": "http://127.0.0.1:9",
            "payment_schemes": ["escrow"]}  # fmt: skip
    agent_id = agents.register(prover, card)
    agents.record_validation(prover, agent_id, task1)
    (record,) = agents.validations(agent_id)
    assert record.input_commitment == bytes.fromhex(hashed_mlp.input_commitment(x)[2:])
    tx = agents.inference_tx(record)
    assert tx is not None
    receipt = chain.rpc("eth_getTransactionReceipt", [tx])
    (event,) = chain.events(models.contract, "InferenceVerified", receipt)
    assert bytes(event["modelId"]) == registered and event["caller"] == escrow.address


@pytest.mark.usefixtures("chain_isolation")
def test_unbound_task_still_refuses_a_replayed_proof(
    chain: Chain,
    aiweb3_home: Path,
    hashed_mlp: CompiledModel,
    registered: bytes,
    accounts: list[LocalAccount],
) -> None:
    """The issue's exact attack on tasks that fix no input (a private-input model has none)."""
    escrow = TaskEscrow.from_home(chain, aiweb3_home)
    alice, prover, stranger, arbiter = accounts[0], accounts[2], accounts[3], accounts[4]
    wallet = _requester(alice, escrow)
    open_terms = TaskTerms(BUDGET, arbiter.address, model_id=registered, spec="any input")
    task1, task2 = escrow.post(wallet, open_terms), escrow.post(wallet, open_terms)
    proof = hashed_mlp.prove(example_samples()["samples"][3])
    escrow.accept(prover, task1)
    escrow.deliver_with_proof(prover, task1, "bafkreione", proof.proof, proof.instances)
    escrow.accept(stranger, task2)
    with pytest.raises(TransactionReverted) as replay:
        escrow.deliver_with_proof(stranger, task2, "bafkreitwo", proof.proof, proof.instances)
    assert replay.value.error_name == "ProofAlreadyUsed"


@pytest.mark.usefixtures("chain_isolation")
def test_no_task_with_yourself(chain: Chain, aiweb3_home: Path, accounts: list[LocalAccount]) -> None:
    escrow = TaskEscrow.from_home(chain, aiweb3_home)
    me, arbiter = accounts[5], accounts[4]
    policy = SpendPolicy(10**8, 10**9).allowing(
        tokens=[escrow.token.address], contracts=[escrow.address], counterparties=[escrow.address, me.address]
    )
    wallet = AgentWallet(me, policy)
    with pytest.raises(TransactionReverted) as named_self:
        escrow.post(wallet, TaskTerms(1, arbiter.address, provider=me.address))
    assert named_self.value.error_name == "SelfDealing"
    task = escrow.post(wallet, TaskTerms(1, arbiter.address))
    with pytest.raises(TransactionReverted) as accept_own:
        escrow.accept(me, task)
    assert accept_own.value.error_name == "SelfDealing"
    escrow.cancel(me, task)
    assert escrow.task(task).status is TaskStatus.REFUNDED


def test_input_terms_are_checked_before_signing() -> None:
    arbiter = "0x" + "44" * 20
    with pytest.raises(InputError, match="or neither"):
        TaskTerms(1, arbiter, model_id=b"\1" * 32, input_commitment=b"\2" * 32)
    with pytest.raises(InputError, match="needs a model_id"):
        TaskTerms(1, arbiter, input_commitment=b"\2" * 32, input_instances=1)
