"""Attack 4 (issue 12): squatting a model id in the ModelRegistry, and registering junk VKAs.

The verifying-key artifact is public once a registration is in the mempool. Before the fix a
squatter copied it, registered first, became the owner, set a wrong ``inputInstances`` and
deprecated the model, breaking every honest proof. Registration is now commit-reveal: these
tests run the front-run for real (the squatter's transactions ordered before the publisher's
in the same block) and show the publisher keeps the model and honest proofs keep verifying.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment
from aiweb3.errors import InputError, TransactionReverted
from aiweb3.zkml import CompiledModel, InferenceProof, Model, ModelRegistryClient
from aiweb3.zkml.registry import settings_input_instances

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "zkml"


@pytest.fixture(scope="module")
def mlp(aiweb3_home: Path) -> CompiledModel:
    samples = json.loads((EXAMPLES / "mlp_samples.json").read_text())["samples"]
    return Model.from_onnx(EXAMPLES / "mlp.onnx", home=aiweb3_home).compile(samples[:8])


@pytest.fixture(scope="module")
def proof(mlp: CompiledModel) -> InferenceProof:
    samples = json.loads((EXAMPLES / "mlp_samples.json").read_text())["samples"]
    return mlp.prove(samples[0])


@pytest.fixture
def registry(chain: Chain, deployments: dict[str, Deployment], aiweb3_home: Path) -> ModelRegistryClient:
    return ModelRegistryClient.from_home(chain, aiweb3_home)


def _spec(model: CompiledModel, name: str, inputs: int) -> tuple[Any, ...]:
    onnx, settings = bytes.fromhex(model.onnx_sha256[2:]), bytes.fromhex(model.settings_sha256[2:])
    return (name, onnx, settings, inputs, "", 0)


def test_squatter_cannot_front_run_a_registration(
    registry: ModelRegistryClient,
    mlp: CompiledModel,
    proof: InferenceProof,
    accounts: list[LocalAccount],
    mempool: Any,
) -> None:
    publisher, squatter = accounts[0], accounts[5]
    f = registry.contract.functions
    digest = bytes.fromhex(mlp.model_id[2:])
    vka = mlp.vka_words()
    salt = os.urandom(32)
    # block 1: the publisher's commitment reveals neither the VKA nor the model id
    commitment = registry.chain.call(f.registrationCommitment(publisher.address, digest, salt))
    mempool.submit(publisher, f.commitRegistration(commitment), tip_gwei=1)
    (committed,) = mempool.mine()
    assert committed["status"] == 1
    # block 2: the publisher reveals; the squatter sees the VKA in the mempool and, paying a
    # higher tip, gets a commitment and a registration (wrong inputs, his salt) in ahead of it
    honest = mempool.submit(publisher, f.register(_spec(mlp, "mlp", 0), vka, digest, salt), tip_gwei=1)
    own_salt = os.urandom(32)
    squat_commitment = registry.chain.call(f.registrationCommitment(squatter.address, digest, own_salt))
    mempool.submit(squatter, f.commitRegistration(squat_commitment), tip_gwei=50)
    mempool.submit(squatter, f.register(_spec(mlp, "squat", 2), vka, digest, own_salt), tip_gwei=50)
    # he also replays the publisher's own salt: the commitment names the publisher, not him
    mempool.submit(squatter, f.register(_spec(mlp, "squat", 2), vka, digest, salt), tip_gwei=40)
    receipts = mempool.mine()
    by_hash = {r["transactionHash"]: r for r in receipts}
    squat_commit, squat_register, squat_replay = (r for r in receipts if r["transactionHash"] != honest)
    assert squat_commit["status"] == 1 and squat_register["status"] == 0 and squat_replay["status"] == 0
    assert squat_register["transactionIndex"] < by_hash[honest]["transactionIndex"]  # he did go first
    assert by_hash[honest]["status"] == 1
    mempool.automine()
    # a later block does not help either: the id is taken by the publisher
    with pytest.raises(TransactionReverted) as exc:
        registry.chain.transact(squatter, f.register(_spec(mlp, "squat", 2), vka, digest, own_salt))
    assert exc.value.error_name == "ModelAlreadyRegistered"

    record = registry.get(mlp.model_id)
    assert record.owner == publisher.address and record.input_instances == 0 and record.name == "mlp"
    with pytest.raises(TransactionReverted) as exc:
        registry.deprecate(mlp.model_id, squatter)
    assert exc.value.error_name == "NotModelOwner"
    assert registry.verify(proof, squatter).valid  # honest proofs still verify, for anyone


def test_register_reverts_without_a_matured_commitment(
    registry: ModelRegistryClient, mlp: CompiledModel, accounts: list[LocalAccount], mempool: Any
) -> None:
    f = registry.contract.functions
    digest, vka, salt = bytes.fromhex(mlp.model_id[2:]), mlp.vka_words(), os.urandom(32)
    who = accounts[6]
    commitment = registry.chain.call(f.registrationCommitment(who.address, digest, salt))
    mempool.submit(who, f.commitRegistration(commitment), tip_gwei=2)
    mempool.submit(who, f.register(_spec(mlp, "m", 0), vka, digest, salt), tip_gwei=1)
    committed, same_block = mempool.mine()
    assert committed["status"] == 1 and same_block["status"] == 0
    mempool.automine()
    with pytest.raises(TransactionReverted) as exc:
        registry.chain.transact(who, f.register(_spec(mlp, "m", 0), vka, digest, os.urandom(32)))
    assert exc.value.error_name == "NoCommitment"
    registry.chain.transact(who, f.register(_spec(mlp, "m", 0), vka, digest, salt))  # a block later: fine
    with pytest.raises(TransactionReverted) as exc:
        registry.chain.transact(who, f.register(_spec(mlp, "m", 0), vka, digest, salt))
    assert exc.value.error_name == "ModelAlreadyRegistered"


def _commit_and_register(
    registry: ModelRegistryClient, who: LocalAccount, spec: tuple[Any, ...], vka: list[bytes]
) -> None:
    from eth_utils import keccak

    f = registry.contract.functions
    digest = bytes(keccak(b"".join(vka)))
    salt = os.urandom(32)
    commitment = registry.chain.call(f.registrationCommitment(who.address, digest, salt))
    registry.chain.transact(who, f.commitRegistration(commitment))
    registry.chain.transact(who, f.register(spec, vka, digest, salt))


@pytest.mark.usefixtures("chain_isolation")
@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda w: [os.urandom(32) for _ in range(5)], "VkaMalformed"),  # far too short
        (lambda w: w[:33], "VkaMalformed"),  # header cut off
        (lambda w: [b"\xff" * 32, *w[1:]], "VkaMalformed"),  # seed outside the field
        (lambda w: [*w[:2], (0).to_bytes(32, "big"), *w[3:]], "VkaMalformed"),  # no instances
        (lambda w: [*w[:28], (10**6).to_bytes(32, "big"), *w[29:]], "VkaMalformed"),  # pointer out
        (lambda w: w[:100], "VkaMalformed"),  # body truncated: pointers leave the artifact
    ],
)
def test_junk_vkas_are_refused(
    registry: ModelRegistryClient, mlp: CompiledModel, accounts: list[LocalAccount], mutate: Any, error: str
) -> None:
    vka = mutate(mlp.vka_words())
    with pytest.raises(TransactionReverted) as exc:
        _commit_and_register(registry, accounts[7], _spec(mlp, "junk", 0), vka)
    assert exc.value.error_name == error


@pytest.mark.usefixtures("chain_isolation")
def test_input_instances_must_fit_the_circuit(
    registry: ModelRegistryClient, mlp: CompiledModel, accounts: list[LocalAccount]
) -> None:
    # the MLP's circuit has 2 public instances (its outputs): 3 leading input instances cannot be
    with pytest.raises(TransactionReverted) as exc:
        _commit_and_register(registry, accounts[7], _spec(mlp, "wrong", 3), mlp.vka_words())
    assert exc.value.error_name == "InputInstancesExceedCircuit"
    # the client derives the count from the settings file the settingsHash commits to
    settings = json.loads(mlp.artifact_path("settings").read_text())
    assert settings_input_instances(settings, [13]) == mlp.input_instances == 0
    assert settings_input_instances({"run_args": {"input_visibility": "Public"}}, [13]) == 13
    assert settings_input_instances({"run_args": {"input_visibility": {"Hashed": {}}}}, [13, 4]) == 2
    with pytest.raises(InputError, match="input visibility"):
        settings_input_instances({"run_args": {"input_visibility": "Fixed"}}, [13])
    lying = dataclasses.replace(mlp, input_instances=1)
    with pytest.raises(InputError, match="circuit settings give 0"):
        registry.register(lying, accounts[7], name="lying")
