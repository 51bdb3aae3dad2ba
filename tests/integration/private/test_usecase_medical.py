"""The medical use case end to end, and the circuit's held-out accuracy next to the float model's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3 import usecases
from aiweb3.chain import Chain, Deployment
from aiweb3.private import check_opening
from aiweb3.zkml import CompiledModel, load_output_labels


def test_medical_accuracy_float_vs_circuit(
    medical_case: usecases.UseCase, medical_model: CompiledModel
) -> None:
    acc = usecases.evaluate(medical_case, medical_model)
    assert acc.samples == len(medical_case.data["test_y"]) > 100
    assert acc.float_accuracy > 0.9
    assert acc.loss_points <= 1.0
    committed = json.loads(medical_case.accuracy_path.read_text())
    assert committed == acc.to_json()  # the committed table is what the circuit gives now


@pytest.mark.usefixtures("chain_isolation")
def test_medical_use_case_end_to_end(
    chain: Chain,
    deployments: dict[str, Deployment],
    aiweb3_home: Path,
    medical_case: usecases.UseCase,
    medical_model: CompiledModel,
    accounts: list[LocalAccount],
) -> None:
    report = usecases.run_usecase(
        medical_case, home=aiweb3_home, chain=chain, owner=accounts[0], subjects=[accounts[4]], indices=[5]
    )
    assert report.model.model_id == medical_model.model_id and report.newly_registered
    assert report.owner == accounts[0].address
    (decision,) = report.decisions
    truth = medical_case.decision[medical_case.data["test_y"][5]]
    assert decision.label == truth and decision.caller == accounts[4].address
    check_opening(medical_model, decision.proof, decision.opening)
    assert [t.tx_hash for t in report.trail] == [decision.tx_hash]
    assert report.trail[0].input_commitment == decision.opening.commitment
    assert report.same_model_for_all()


def test_the_use_case_model_names_its_classes(
    medical_case: usecases.UseCase, medical_model: CompiledModel
) -> None:
    """The dashboard shows "malignant"/"benign" for this model's proofs, not bare logits."""
    assert load_output_labels(medical_model.home, medical_model.model_id) == list(medical_case.decision)
