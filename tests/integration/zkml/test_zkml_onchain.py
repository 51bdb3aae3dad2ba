"""The ModelRegistry on a real anvil node with real proofs: register, verify, refuse tampering."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from aiweb3.chain import Chain, Deployment
from aiweb3.errors import ProofError, TransactionReverted
from aiweb3.zkml import CompiledModel, InferenceProof, ModelRegistryClient
from aiweb3.zkml.proof import FIELD_MODULUS

pytestmark = pytest.mark.usefixtures("chain_isolation")


@pytest.fixture
def registry(chain: Chain, deployments: dict[str, Deployment], aiweb3_home: Path) -> ModelRegistryClient:
    return ModelRegistryClient.from_home(chain, aiweb3_home)


@pytest.fixture
def registered(
    registry: ModelRegistryClient, mlp_model: CompiledModel, accounts: list[LocalAccount]
) -> CompiledModel:
    registry.register(mlp_model, accounts[0], name="mlp", metadata_uri="ipfs://mlp", price=250_000)
    return mlp_model


def _reverted(exc: pytest.ExceptionInfo[TransactionReverted], name: str) -> None:
    assert exc.value.error_name == name, exc.value.reason


def test_register_records_model(
    registry: ModelRegistryClient, registered: CompiledModel, accounts: list[LocalAccount]
) -> None:
    rec = registry.get(registered.model_id)
    assert rec.owner == accounts[0].address
    assert (rec.name, rec.metadata_uri, rec.price, rec.deprecated) == ("mlp", "ipfs://mlp", 250_000, False)
    assert rec.onnx_hash == registered.onnx_sha256
    assert rec.settings_hash == registered.settings_sha256
    assert registry.vka(registered.model_id) == registered.vka_words()
    assert [m.model_id for m in registry.models()] == [registered.model_id]
    with pytest.raises(TransactionReverted) as exc:
        registry.register(registered, accounts[1], name="again")
    _reverted(exc, "ModelAlreadyRegistered")


def test_verify_inference_emits_event(
    chain: Chain,
    registry: ModelRegistryClient,
    registered: CompiledModel,
    mlp_proof: InferenceProof,
    accounts: list[LocalAccount],
) -> None:
    view = mlp_proof.verify_onchain(chain, registry=registry)
    assert view.valid
    done = mlp_proof.verify_onchain(chain, registry=registry, signer=accounts[2])
    outputs_hash = "0x" + keccak(b"".join(v.to_bytes(32, "big") for v in mlp_proof.instances)).hex()
    assert (done.model_id, done.outputs_hash, done.caller) == (
        registered.model_id,
        outputs_hash,
        accounts[2].address,
    )
    assert done.input_commitment == "0x" + "00" * 32  # the input stays private
    assert view.outputs_hash == outputs_hash


def _tampered(proof: InferenceProof) -> dict[str, InferenceProof]:
    flipped = bytearray(proof.proof)
    flipped[len(flipped) // 2] ^= 0x01
    instances = list(proof.instances)
    instances[-1] = (instances[-1] + 8192) % FIELD_MODULUS
    return {
        "flipped proof byte": dataclasses.replace(proof, proof=bytes(flipped)),
        "changed output": dataclasses.replace(proof, instances=instances),
    }


def test_tampered_proofs_rejected_on_chain(
    chain: Chain,
    registry: ModelRegistryClient,
    registered: CompiledModel,
    mlp_proof: InferenceProof,
    accounts: list[LocalAccount],
) -> None:
    for what, bad in _tampered(mlp_proof).items():
        assert not registry.check(bad).valid, what
        with pytest.raises(ProofError):
            bad.verify_onchain(chain, registry=registry)
        with pytest.raises(TransactionReverted) as exc:
            registry.verify(bad, accounts[1])
        _reverted(exc, "InvalidProof")


def test_model_a_proof_never_verifies_as_b(
    registry: ModelRegistryClient,
    registered: CompiledModel,
    altered_model: CompiledModel,
    mlp_proof: InferenceProof,
    mlp_samples: Any,
    accounts: list[LocalAccount],
) -> None:
    registry.register(altered_model, accounts[1], name="altered")
    as_b = dataclasses.replace(mlp_proof, model_id=altered_model.model_id)
    assert not registry.check(as_b).valid
    with pytest.raises(TransactionReverted) as exc:
        registry.verify(as_b, accounts[1])
    _reverted(exc, "InvalidProof")
    # one weight changed and re-proved: valid for the altered model, never for the committed one
    forged = altered_model.prove(mlp_samples["samples"][0])
    assert registry.check(forged).valid
    claimed = dataclasses.replace(forged, model_id=registered.model_id)
    with pytest.raises(TransactionReverted) as exc:
        registry.verify(claimed, accounts[1])
    _reverted(exc, "InvalidProof")


def test_unknown_and_deprecated_models_refused(
    registry: ModelRegistryClient,
    registered: CompiledModel,
    altered_model: CompiledModel,
    mlp_proof: InferenceProof,
    accounts: list[LocalAccount],
) -> None:
    unknown = dataclasses.replace(mlp_proof, model_id=altered_model.model_id)
    with pytest.raises(TransactionReverted) as exc:
        registry.verify(unknown, accounts[1])
    _reverted(exc, "UnknownModel")
    with pytest.raises(TransactionReverted) as exc:
        registry.check(unknown)
    _reverted(exc, "UnknownModel")
    with pytest.raises(TransactionReverted) as exc:
        registry.deprecate(registered.model_id, accounts[1])  # not the owner
    _reverted(exc, "NotModelOwner")
    registry.deprecate(registered.model_id, accounts[0])
    assert registry.get(registered.model_id).deprecated
    with pytest.raises(TransactionReverted) as exc:
        registry.verify(mlp_proof, accounts[1])
    _reverted(exc, "ModelIsDeprecated")


def test_ownership_transfer_and_price(
    registry: ModelRegistryClient, registered: CompiledModel, accounts: list[LocalAccount]
) -> None:
    model_id = registered.model_id
    with pytest.raises(TransactionReverted) as exc:
        registry.transfer_ownership(model_id, accounts[2].address, accounts[1])
    _reverted(exc, "NotModelOwner")
    registry.transfer_ownership(model_id, accounts[1].address, accounts[0])
    assert registry.get(model_id).owner == accounts[1].address
    with pytest.raises(TransactionReverted) as exc:
        registry.set_price(model_id, 1, accounts[0])  # the old owner lost control
    _reverted(exc, "NotModelOwner")
    registry.set_price(model_id, 7, accounts[1])
    assert registry.get(model_id).price == 7


def test_register_refuses_wrong_digest(
    registry: ModelRegistryClient, mlp_model: CompiledModel, accounts: list[LocalAccount]
) -> None:
    words = mlp_model.vka_words()
    fn = registry.contract.functions.register(
        ("x", b"\0" * 32, b"\0" * 32, 0, "", 0), words, b"\x01" * 32, b"\0" * 32
    )
    with pytest.raises(TransactionReverted) as exc:
        registry.chain.transact(accounts[0], fn)
    _reverted(exc, "VkaDigestMismatch")


def test_model_api_register(
    chain: Chain,
    mlp_model: CompiledModel,
    mlp_proof: InferenceProof,
    accounts: list[LocalAccount],
    deployments: dict[str, Deployment],
) -> None:
    assert mlp_model.register(chain, accounts[3], price=1) == mlp_model.model_id
    assert mlp_proof.verify_onchain(chain).valid  # registry found from the model's home
