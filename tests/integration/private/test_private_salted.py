"""Salted input commitments: unguessable without the salt, opened to one party, wrong openings refused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3 import usecases
from aiweb3.chain import Chain, Deployment
from aiweb3.errors import ProofError
from aiweb3.private import SALT_SLOTS, Opening, check_opening, new_salt, salted_input
from aiweb3.zkml import CompiledModel, InferenceProof, ModelRegistryClient, audit


@pytest.fixture(scope="module")
def record(medical_case: usecases.UseCase) -> list[float]:
    return [float(v) for v in medical_case.data["test_x"][3]]


@pytest.fixture(scope="module")
def salted_proof(medical_model: CompiledModel, record: list[float]) -> tuple[InferenceProof, list[int]]:
    salt = new_salt()
    return medical_model.prove(salted_input(record, salt)), salt


def _carried(proof: InferenceProof) -> str:
    return "0x" + proof.instances[0].to_bytes(32, "big").hex()


def test_opening_accepted_and_wrong_openings_rejected(
    medical_model: CompiledModel, salted_proof: tuple[InferenceProof, list[int]], record: list[float]
) -> None:
    proof, salt = salted_proof
    assert medical_model.input_instances == 1 and len(proof.outputs[0]) == 2
    opening = Opening(medical_model.model_id, record, salt, _carried(proof))
    check_opening(medical_model, proof, opening)  # verifies the proof and the commitment

    # guessing the record without the salt does not reproduce the commitment
    assert medical_model.input_commitment(salted_input(record, [0] * SALT_SLOTS)) != _carried(proof)
    wrong_salt = [salt[0] ^ 1, *salt[1:]]
    with pytest.raises(ProofError, match="input or the salt is wrong"):
        check_opening(medical_model, proof, dataclasses.replace(opening, salt=wrong_salt))
    changed = [record[0] + 0.25, *record[1:]]
    with pytest.raises(ProofError, match="input or the salt is wrong"):
        check_opening(medical_model, proof, dataclasses.replace(opening, features=changed))
    with pytest.raises(ProofError, match="names commitment"):
        check_opening(medical_model, proof, dataclasses.replace(opening, commitment="0x" + "00" * 32))
    other = dataclasses.replace(opening, model_id="0x" + "12" * 32)
    with pytest.raises(ProofError, match="opening is for model"):
        check_opening(medical_model, proof, other)
    # a proof whose commitment was swapped for the honest-looking one of another salt fails to verify
    forged_commitment = int(medical_model.input_commitment(salted_input(record, wrong_salt)), 16)
    forged = dataclasses.replace(proof, instances=[forged_commitment, *proof.instances[1:]])
    with pytest.raises(ProofError, match="does not verify"):
        check_opening(
            medical_model, forged, dataclasses.replace(opening, salt=wrong_salt, commitment=_carried(forged))
        )


def test_same_record_two_salts_two_commitments(
    medical_model: CompiledModel, record: list[float], salted_proof: tuple[InferenceProof, list[int]]
) -> None:
    first, _ = salted_proof
    second = medical_model.prove(salted_input(record, new_salt()))
    assert _carried(first) != _carried(second)
    assert first.instances[1:] == second.instances[1:]  # same record, same diagnosis


@pytest.mark.usefixtures("chain_isolation")
def test_salted_commitment_on_chain_and_in_the_audit_trail(
    chain: Chain,
    deployments: dict[str, Deployment],
    aiweb3_home: Path,
    medical_model: CompiledModel,
    salted_proof: tuple[InferenceProof, list[int]],
    record: list[float],
    accounts: list[LocalAccount],
) -> None:
    proof, salt = salted_proof
    medical_model.register(chain, accounts[0])
    check = proof.verify_onchain(chain, signer=accounts[3])
    assert check.input_commitment == _carried(proof)
    trail = audit(ModelRegistryClient.from_home(chain, aiweb3_home), medical_model.model_id)
    # the auditor given the opening finds the decision in the trail by recomputing the commitment
    recomputed = medical_model.input_commitment(salted_input(record, salt))
    assert [t.caller for t in trail if t.input_commitment == recomputed] == [accounts[3].address]
