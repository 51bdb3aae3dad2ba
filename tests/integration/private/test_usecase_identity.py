"""Identity use case: a code derived locally from a private embedding, the proof posted on chain.

Real ezkl proofs of the committed 40 -> 32 code model (logrows 12), a real anvil node.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3 import usecases
from aiweb3.chain import Chain, Deployment
from aiweb3.errors import ProofError, TransactionReverted
from aiweb3.private import check_opening
from aiweb3.usecases.identity import (
    IdentityReport,
    code_bits,
    codes_on_chain,
    hamming,
    matches,
)
from aiweb3.zkml import CompiledModel, ModelRegistryClient
from aiweb3.zkml.proof import FIELD_MODULUS


@pytest.fixture(scope="module")
def identity_case() -> usecases.UseCase:
    return usecases.get("identity")


@pytest.fixture(scope="module")
def identity_model(aiweb3_home: Path, identity_case: usecases.UseCase) -> CompiledModel:
    return usecases.compile_usecase(identity_case, aiweb3_home)


@pytest.fixture(scope="module")
def report(
    chain: Chain,
    deployments: dict[str, Deployment],
    aiweb3_home: Path,
    identity_case: usecases.UseCase,
    identity_model: CompiledModel,
    accounts: list[LocalAccount],
) -> IdentityReport:
    # the module's chain is reverted after the module (module_chain_isolation)
    return usecases.run_identity(
        identity_case,
        home=aiweb3_home,
        chain=chain,
        owner=accounts[0],
        subjects=[accounts[4], accounts[5], accounts[6]],
        person=2,
    )


def test_circuit_codes_match_the_float_model(
    identity_case: usecases.UseCase, identity_model: CompiledModel
) -> None:
    table = usecases.evaluate_codes(identity_case, identity_model)
    assert table["samples"] == len(identity_case.data["test_x"]) == 192 and table["bits"] == 32
    assert table["bit_agreement"] >= 0.999
    bits = table["bits"]
    for side in ("float", "circuit"):
        stats = table[side]
        assert stats["same_person_mean"] < 0.15 * bits < 0.4 * bits < stats["different_people_mean"]
        assert stats["false_reject"] <= 0.02 and stats["false_accept"] <= 0.01
    # the committed table is what the circuit gives now
    assert json.loads(identity_case.accuracy_path.read_text()) == table


def test_enrolment_posted_on_chain_and_opened(report: IdentityReport, accounts: list[LocalAccount]) -> None:
    enrolment = report.enrolment
    assert report.newly_registered and report.owner == accounts[0].address
    assert enrolment.caller == accounts[4].address and enrolment.gas_used > 0
    assert len(enrolment.bits) == 32 and len(enrolment.code) == 2 + 8
    # the code is the signs of the proof's public outputs
    assert enrolment.bits == code_bits(enrolment.proof.outputs[0])
    # the chosen verifier re-checks the opening; a wrong salt or a changed embedding is refused
    check_opening(report.model, enrolment.proof, enrolment.opening)
    assert "input or the salt is wrong" in report.wrong_salt_refused
    wrong_salt = [enrolment.opening.salt[0] ^ 1, *enrolment.opening.salt[1:]]
    with pytest.raises(ProofError, match="input or the salt is wrong"):
        check_opening(report.model, enrolment.proof, dataclasses.replace(enrolment.opening, salt=wrong_salt))
    moved = [enrolment.opening.features[0] + 0.5, *enrolment.opening.features[1:]]
    with pytest.raises(ProofError, match="input or the salt is wrong"):
        check_opening(report.model, enrolment.proof, dataclasses.replace(enrolment.opening, features=moved))


def test_same_person_near_other_person_far(report: IdentityReport) -> None:
    assert report.same_person.person == report.enrolment.person == 2
    assert report.other_person.person == 3
    assert report.same_person.capture != report.enrolment.capture
    assert report.same_distance <= report.threshold < report.other_distance
    # two captures, two fresh salts: the commitments are unlinkable, the codes are close
    assert report.same_person.opening.commitment != report.enrolment.opening.commitment


def test_codes_read_back_from_chain_and_duplicate_found(
    chain: Chain, aiweb3_home: Path, report: IdentityReport, accounts: list[LocalAccount]
) -> None:
    assert [t.caller for t in report.trail] == [a.address for a in accounts[4:7]]
    posted = [report.enrolment, report.same_person, report.other_person]
    assert [c.inference.tx_hash for c in report.on_chain] == [p.tx_hash for p in posted]
    assert [c.bits for c in report.on_chain] == [p.bits for p in posted]
    assert [c.inference.input_commitment for c in report.on_chain] == [p.opening.commitment for p in posted]
    # the duplicate enrolment (same person, second account) is the one match
    (match,) = report.matches
    assert (match.tx_hash, match.earlier_tx_hash) == (report.same_person.tx_hash, report.enrolment.tx_hash)
    assert match.caller == accounts[5].address and match.distance == report.same_distance
    # recomputed from the chain alone, by a fresh client
    registry = ModelRegistryClient.from_home(chain, aiweb3_home)
    again = codes_on_chain(registry, report.model.model_id)
    assert [c.code for c in again] == [p.code for p in posted]
    assert matches(again, report.threshold) == report.matches
    assert hamming(again[0].bits or [], again[2].bits or []) == report.other_distance


@pytest.mark.usefixtures("chain_isolation")
def test_forged_code_is_refused(chain: Chain, report: IdentityReport, accounts: list[LocalAccount]) -> None:
    proof = report.other_person.proof
    # claim another code: flip the sign of the first projection in the public instances
    first = proof.input_instances
    flipped = (FIELD_MODULUS - proof.instances[first]) % FIELD_MODULUS
    forged = dataclasses.replace(
        proof, instances=[*proof.instances[:first], flipped, *proof.instances[first + 1 :]]
    )
    with pytest.raises(ProofError, match="does not verify"):
        report.model.verify(forged)
    registry = ModelRegistryClient.from_home(chain, report.model.home)
    with pytest.raises(TransactionReverted):
        forged.verify_onchain(chain, signer=accounts[7], registry=registry)
    assert len(codes_on_chain(registry, report.model.model_id)) == 3
