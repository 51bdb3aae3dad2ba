"""Batched proofs: one proof of BATCH inferences, verified on a real anvil node with one event each."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from aiweb3.chain import Chain, Deployment
from aiweb3.errors import InputError, TransactionReverted
from aiweb3.zkml import (
    CompiledModel,
    InferenceProof,
    ModelRegistryClient,
    audit,
    prove_batch,
    split_outputs,
    verified_outputs,
)
from aiweb3.zkml.batch import load_batch_proofs

AIWEB3 = str(Path(sys.executable).parent / "aiweb3")
BATCH = 4  # as the conftest compiles mlp_batch_model


@pytest.fixture
def registry(chain: Chain, deployments: dict[str, Deployment], aiweb3_home: Path) -> ModelRegistryClient:
    return ModelRegistryClient.from_home(chain, aiweb3_home)


def _hash(values: list[int]) -> str:
    return "0x" + keccak(b"".join(v.to_bytes(32, "big") for v in values)).hex()


@pytest.mark.usefixtures("chain_isolation")
def test_batch_verifies_onchain_one_event_per_inference(
    chain: Chain,
    registry: ModelRegistryClient,
    mlp_batch_model: CompiledModel,
    mlp_batch_proof: InferenceProof,
    mlp_proof: InferenceProof,
    accounts: list[LocalAccount],
) -> None:
    proof = mlp_batch_proof
    assert (proof.batch_size, proof.count, len(proof.instances)) == (BATCH, BATCH, 2 * BATCH)
    proof.verify()
    # the first inference of the batch agrees with the unbatched circuit on the same sample
    first = split_outputs(proof)[0][0]
    assert first == pytest.approx(mlp_proof.outputs[0], abs=0.05)

    mlp_batch_model.register(chain, accounts[0], registry=registry)
    assert registry.batch_size(mlp_batch_model.model_id) == BATCH
    checks = registry.verify_batch(proof, accounts[1])
    assert len(checks) == BATCH
    assert len({c.tx_hash for c in checks}) == 1
    per = 2  # the MLP's two logits per inference
    assert [c.outputs_hash for c in checks] == [
        _hash(proof.instances[i * per : (i + 1) * per]) for i in range(BATCH)
    ]
    trail = audit(registry, mlp_batch_model.model_id)
    assert [t.outputs_hash for t in trail] == [c.outputs_hash for c in checks]
    assert {t.caller for t in trail} == {accounts[1].address}
    # each event's outputs are read back from its part of the batch call's calldata
    assert verified_outputs(registry, mlp_batch_model.model_id, trail) == [
        proof.instances[i * per : (i + 1) * per] for i in range(BATCH)
    ]


@pytest.mark.usefixtures("chain_isolation")
def test_tampered_batch_rejected(
    chain: Chain,
    registry: ModelRegistryClient,
    mlp_batch_model: CompiledModel,
    mlp_batch_proof: InferenceProof,
    mlp_model: CompiledModel,
    mlp_proof: InferenceProof,
    accounts: list[LocalAccount],
) -> None:
    mlp_batch_model.register(chain, accounts[0], registry=registry)
    flipped = bytearray(mlp_batch_proof.proof)
    flipped[100] ^= 1
    # swap the outputs of inferences 0 and 1: each is a valid output, but not where it was proven
    swapped = list(mlp_batch_proof.instances)
    swapped[0:2], swapped[2:4] = swapped[2:4], swapped[0:2]
    for bad in (
        dataclasses.replace(mlp_batch_proof, proof=bytes(flipped)),
        dataclasses.replace(mlp_batch_proof, instances=swapped),
    ):
        with pytest.raises(TransactionReverted) as exc:
            registry.verify_batch(bad, accounts[1])
        assert exc.value.error_name == "InvalidProof", exc.value.reason
    # an unbatched model is refused by the batch entry point, and a batch size that does not
    # divide its outputs is refused at registration
    with pytest.raises(TransactionReverted) as exc:  # 3 does not divide the MLP's 2 outputs
        dataclasses.replace(mlp_model, batch_size=3).register(chain, accounts[0], registry=registry)
    assert exc.value.error_name == "BadBatchSize"
    mlp_model.register(chain, accounts[0], registry=registry)
    assert registry.batch_size(mlp_model.model_id) == 0
    with pytest.raises(TransactionReverted) as exc:
        registry.verify_batch(mlp_proof, accounts[1])
    assert exc.value.error_name == "NotBatched"
    assert audit(registry, mlp_batch_model.model_id) == []


def test_malformed_batch_input_named_before_proving(
    mlp_batch_model: CompiledModel, mlp_samples: dict[str, Any], aiweb3_home: Path, tmp_path: Path
) -> None:
    samples = mlp_samples["samples"]
    with pytest.raises(InputError, match="batch input 2 is malformed"):
        prove_batch(mlp_batch_model, [samples[0], samples[1], [1.0, 2.0], samples[3]])

    # the CLI: a bad line is named and nothing is written; one good line makes one padded proof
    env = {**os.environ, "AIWEB3_HOME": str(aiweb3_home)}
    bad, good, out = tmp_path / "bad.jsonl", tmp_path / "good.jsonl", tmp_path / "proofs.jsonl"
    lines = [json.dumps(s) for s in samples[:5]]
    bad.write_text("\n".join([*lines[:3], "[0.1, oops]", *lines[3:]]) + "\n")
    cmd = [AIWEB3, "model", "prove", mlp_batch_model.model_id[:12], "--out", str(out), "--batch"]
    done = subprocess.run([*cmd, str(bad)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "batch input 3" in done.stderr and not out.exists()

    good.write_text("\n".join(lines[4:5]) + "\n")
    done = subprocess.run([*cmd, str(good)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    verified = subprocess.run(
        [AIWEB3, "model", "verify", str(out)], env=env, capture_output=True, text=True, timeout=300
    )
    assert verified.returncode == 0 and "verified locally" in verified.stdout, verified.stderr
    (proof,) = load_batch_proofs(out)
    assert (proof.batch_size, proof.count) == (BATCH, 1)
    proof.verify(home=aiweb3_home)
    assert len(split_outputs(proof)) == 1
    assert split_outputs(proof)[0][0] == pytest.approx(proof.outputs[0][:2], abs=0)
