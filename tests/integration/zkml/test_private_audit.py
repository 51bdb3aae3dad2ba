"""`aiweb3 model audit`: every verified inference of a registered model, read from chain events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from typer.testing import CliRunner

from aiweb3.chain import Chain, Deployment
from aiweb3.cli.main import app
from aiweb3.errors import TransactionReverted
from aiweb3.zkml import CompiledModel, InferenceProof, ModelRegistryClient, audit, outputs_hash


@pytest.mark.usefixtures("chain_isolation")
def test_audit_lists_every_verified_inference(
    chain: Chain,
    deployments: dict[str, Deployment],
    aiweb3_home: Path,
    mlp_model: CompiledModel,
    mlp_proof: InferenceProof,
    altered_model: CompiledModel,
    accounts: list[LocalAccount],
) -> None:
    registry = ModelRegistryClient.from_home(chain, aiweb3_home)
    mlp_model.register(chain, accounts[0])
    altered_model.register(chain, accounts[0])
    assert audit(registry, mlp_model.model_id) == []
    first = mlp_proof.verify_onchain(chain, signer=accounts[1])
    second = mlp_proof.verify_onchain(chain, signer=accounts[2])
    mlp_proof.verify_onchain(chain)  # a view call leaves no trail
    trail = audit(registry, mlp_model.model_id)
    assert [t.caller for t in trail] == [accounts[1].address, accounts[2].address]
    assert [t.tx_hash for t in trail] == [first.tx_hash, second.tx_hash]
    assert trail[0].block < trail[1].block and trail[0].timestamp <= trail[1].timestamp
    assert {t.outputs_hash for t in trail} == {outputs_hash(mlp_proof.instances, 0), first.outputs_hash}
    assert all(t.input_commitment == "0x" + "00" * 32 for t in trail)
    assert [t.caller for t in audit(registry, mlp_model.model_id, caller=accounts[2].address)] == [
        accounts[2].address
    ]
    assert audit(registry, altered_model.model_id) == []  # the other model's trail is its own

    env = {"AIWEB3_HOME": str(aiweb3_home), "AIWEB3_RPC_URL": chain.url, "COLUMNS": "250"}
    done = CliRunner().invoke(app, ["model", "audit", mlp_model.model_id, "--json"], env=env)
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in done.output.splitlines()]
    assert [x["tx_hash"] for x in lines] == [first.tx_hash, second.tx_hash]
    table = CliRunner().invoke(app, ["model", "audit", mlp_model.model_id[:10]], env=env)
    assert table.exit_code == 0 and "2 verified inferences" in table.output
    assert accounts[1].address in table.output


@pytest.mark.usefixtures("chain_isolation")
def test_audit_of_unregistered_model_is_an_error(
    chain: Chain, deployments: dict[str, Deployment], aiweb3_home: Path
) -> None:
    registry = ModelRegistryClient.from_home(chain, aiweb3_home)
    with pytest.raises(TransactionReverted) as exc:
        audit(registry, "0x" + "ab" * 32)
    assert exc.value.error_name == "UnknownModel"
    env = {"AIWEB3_HOME": str(aiweb3_home), "AIWEB3_RPC_URL": chain.url}
    done = CliRunner().invoke(app, ["model", "audit", "0x" + "ab" * 32], env=env)
    assert done.exit_code == 1
