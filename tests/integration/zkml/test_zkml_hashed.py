"""A hashed input: the proof publishes a Poseidon commitment to the input, checked on chain."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment
from aiweb3.errors import ProofError, TransactionReverted
from aiweb3.zkml import CompiledModel, CompileOptions, InferenceProof, Model, ModelRegistryClient

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "zkml"


@pytest.fixture(scope="module")
def hashed_model(aiweb3_home: Path, mlp_samples: Any) -> CompiledModel:
    model = Model.from_onnx(EXAMPLES / "mlp.onnx", home=aiweb3_home)
    return model.compile(mlp_samples["samples"][:8], CompileOptions(input_visibility="hashed"))


@pytest.fixture(scope="module")
def hashed_proof(hashed_model: CompiledModel, mlp_samples: Any) -> InferenceProof:
    return hashed_model.prove(mlp_samples["samples"][1])


def test_hashed_input_commitment_local(
    hashed_model: CompiledModel, hashed_proof: InferenceProof, mlp_model: CompiledModel, mlp_samples: Any
) -> None:
    assert hashed_model.model_id != mlp_model.model_id and hashed_model.input_instances == 1
    hashed_proof.verify()
    x = mlp_samples["samples"][1]
    assert hashed_model.input_commitment(x) == "0x" + hashed_proof.instances[0].to_bytes(32, "big").hex()
    assert hashed_model.input_commitment(mlp_samples["samples"][2]) != hashed_model.input_commitment(x)
    swapped = dataclasses.replace(
        hashed_proof, instances=[hashed_proof.instances[0] + 1, *hashed_proof.instances[1:]]
    )
    with pytest.raises(ProofError, match="does not verify"):
        hashed_model.verify(swapped)


@pytest.mark.usefixtures("chain_isolation")
def test_hashed_input_commitment_on_chain(
    chain: Chain,
    deployments: dict[str, Deployment],
    aiweb3_home: Path,
    hashed_model: CompiledModel,
    hashed_proof: InferenceProof,
    mlp_samples: Any,
    accounts: list[LocalAccount],
) -> None:
    registry = ModelRegistryClient.from_home(chain, aiweb3_home)
    hashed_model.register(chain, accounts[0])
    assert registry.get(hashed_model.model_id).input_instances == 1
    done = hashed_proof.verify_onchain(chain, signer=accounts[1])
    assert done.input_commitment == hashed_model.input_commitment(mlp_samples["samples"][1])
    other_input = dataclasses.replace(
        hashed_proof, instances=[hashed_proof.instances[0] ^ 1, *hashed_proof.instances[1:]]
    )
    with pytest.raises(TransactionReverted) as exc:
        registry.verify(other_input, accounts[1])
    assert exc.value.error_name == "InvalidProof"
