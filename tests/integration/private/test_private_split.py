"""Split inference: the user's preprocessing proof (hashed output) linked to the operator's (hashed input)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment
from aiweb3.errors import InputError, ProofError, TransactionReverted
from aiweb3.private.split import (
    FeatureHandoff,
    SplitResult,
    SplitVerifierClient,
    check_link,
    check_pair,
    operator_prove,
    user_prove,
)
from aiweb3.usecases.split import SplitFiles, compile_operator, compile_pre, evaluate_split, float_features
from aiweb3.zkml import CompiledModel, ModelRegistryClient, audit

FILES = SplitFiles()


@pytest.fixture(scope="module")
def raw_records() -> list[list[float]]:
    """Held-out records: all 30 standardized breast-cancer measurements each."""
    return [[float(v) for v in r] for r in FILES.data["test_x"][:10]]


@pytest.fixture(scope="module")
def models(aiweb3_home: Path) -> dict[str, CompiledModel]:
    return {
        "pre": compile_pre(aiweb3_home),
        "other": compile_pre(aiweb3_home, onnx_path=FILES.other),
        "op": compile_operator(aiweb3_home),
    }


def _numbers(data: Any) -> set[float]:
    """Every number in a JSON document."""
    if isinstance(data, dict):
        return set().union(*(_numbers(v) for v in data.values()))
    if isinstance(data, list):
        return set().union(*(_numbers(v) for v in data))
    return {float(data)} if isinstance(data, int | float) and not isinstance(data, bool) else set()


def test_split_accuracy_float_vs_circuits(models: dict[str, CompiledModel]) -> None:
    acc = evaluate_split(models["pre"], models["op"])
    assert acc.samples == len(FILES.data["test_y"]) > 100
    assert acc.float_accuracy > 0.9 and round(acc.float_accuracy, 4) == FILES.data["float_accuracy"]
    assert acc.loss_points <= 1.0
    assert json.loads(FILES.accuracy_path.read_text()) == acc.to_json()  # the committed table
    # small circuits: both stay at low logrows
    assert models["pre"].logrows <= 11 and models["op"].logrows <= 11


def test_features_leave_most_of_the_record_unexplained() -> None:
    """The 4 features do not determine the 30 measurements: best linear reconstruction misses most."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import train_test_split

    data = load_breast_cancer()
    x_train, x_test, _, _ = train_test_split(
        data.data, data.target, test_size=0.25, random_state=0, stratify=data.target
    )
    mean, std = np.asarray(FILES.data["mean"]), np.asarray(FILES.data["std"])
    assert np.allclose(mean, x_train.mean(axis=0)) and np.allclose(std, x_train.std(axis=0))
    # the committed held-out records are the held-out split, standardized with training statistics
    assert np.array_equal(np.round((x_test - mean) / std, 4), np.asarray(FILES.data["test_x"]))
    x_train, x_test = (x_train - mean) / std, np.asarray(FILES.data["test_x"])

    def logit(rows: np.ndarray) -> np.ndarray:
        f = np.clip(np.asarray(float_features(FILES.pre, rows.tolist())), 1e-6, 1 - 1e-6)
        return np.asarray(np.log(f / (1 - f)))

    fit = LinearRegression().fit(logit(x_train), x_train)
    err = x_test - fit.predict(logit(x_test))
    unexplained = float((err**2).sum() / ((x_test - x_test.mean(axis=0)) ** 2).sum())
    assert unexplained > 0.5
    recorded = FILES.data["reconstruction"]["split_pre"]["unexplained_variance"]
    assert abs(unexplained - recorded) < 0.02


def test_split_pipeline_links_and_operator_sees_no_raw_data(
    models: dict[str, CompiledModel], raw_records: list[list[float]]
) -> None:
    pre, op = models["pre"], models["op"]
    check_pair(pre, op)
    raw = raw_records[2]
    handoff = user_prove(pre, raw)
    # what crosses to the operator: the proof (outputs hashed, no raw values) and 4 features
    assert handoff.pre_proof.outputs == [] and handoff.pre_proof.witness_outputs is None
    assert len(handoff.features) == 4 and len(handoff.pre_proof.instances) == 1
    assert len(raw) == 30
    sent = json.dumps({"proof": handoff.pre_proof.to_json(), "features": handoff.features})
    assert not _numbers(json.loads(sent)) & set(raw)  # no raw measurement among the numbers sent
    assert not [v for v in raw if f"{v:.4f}" in sent]  # nor written anywhere in it
    result = operator_prove(op, handoff, pre=pre)
    assert result.link == handoff.pre_proof.output_commitment == result.proof.input_commitment
    assert len(result.proof.outputs[0]) == 2
    # the proof files round-trip and still link
    again = check_link(
        pre,
        op,
        type(handoff.pre_proof).from_json(handoff.pre_proof.to_json()),
        type(result.proof).from_json(result.proof.to_json()),
    )
    assert again.link == result.link


def test_mismatched_pair_and_other_preprocessing_rejected(
    models: dict[str, CompiledModel], raw_records: list[list[float]]
) -> None:
    pre, other, op = models["pre"], models["other"], models["op"]
    first = user_prove(pre, raw_records[0])
    second = user_prove(pre, raw_records[1])
    # the operator proves on features of another record: the commitments differ, named in the error
    unlinked = op.prove(second.features)
    with pytest.raises(
        ProofError, match=r"not linked: the preprocessing output commitment 0x[0-9a-f]{64} differs"
    ):
        check_link(pre, op, first.pre_proof, unlinked)
    # a proof from another preprocessing model is refused, even with matching features
    foreign = user_prove(other, raw_records[0])
    with pytest.raises(ProofError, match="not the expected"):
        operator_prove(op, foreign, pre=pre)
    relabelled: Any = dataclasses.replace(foreign.pre_proof, model_id=pre.model_id)
    with pytest.raises(ProofError, match="does not verify"):
        operator_prove(op, FeatureHandoff(relabelled, foreign.features), pre=pre)
    # edited features (not those the user's proof commits to) break the link
    edited = FeatureHandoff(first.pre_proof, [first.features[0] + 0.5, *first.features[1:]])
    with pytest.raises(ProofError, match="not linked"):
        operator_prove(op, edited, pre=pre)
    with pytest.raises(InputError, match="hashed outputs"):
        check_pair(op, op)


@pytest.mark.usefixtures("chain_isolation")
def test_split_verified_in_one_transaction(
    chain: Chain,
    deployments: dict[str, Deployment],
    aiweb3_home: Path,
    models: dict[str, CompiledModel],
    raw_records: list[list[float]],
    accounts: list[LocalAccount],
    deployer: LocalAccount,
) -> None:
    pre, other, op = models["pre"], models["other"], models["op"]
    registry = ModelRegistryClient.from_home(chain, aiweb3_home)
    for m in (pre, other, op):
        m.register(chain, accounts[0])
    verifier = SplitVerifierClient.deploy(chain, deployer, registry.address)
    handoff = user_prove(pre, raw_records[4])
    result = operator_prove(op, handoff, pre=pre)
    _tx, gas_one = verifier.verify(result, accounts[1])
    trail = audit(registry, op.model_id)
    assert [t.input_commitment for t in trail] == [result.link]
    assert trail[0].caller == verifier.address
    assert gas_one > 0

    # a mismatched pair is refused naming both commitments
    unlinked = SplitResult(handoff.pre_proof, op.prove(user_prove(pre, raw_records[5]).features), result.link)
    with pytest.raises(TransactionReverted) as exc:
        verifier.verify(unlinked, accounts[1])
    assert exc.value.error_name == "LinkMismatch"
    assert bytes(exc.value.error_args["preprocessingOutput"]) == bytes.fromhex(result.link[2:])
    # a proof of another (registered) preprocessing model, presented as the expected one: refused
    foreign = user_prove(other, raw_records[4])
    forged = SplitResult(
        dataclasses.replace(foreign.pre_proof, model_id=pre.model_id), result.proof, result.link
    )
    with pytest.raises(TransactionReverted) as exc:
        verifier.verify(forged, accounts[1])
    assert exc.value.error_name in ("InvalidProof", "LinkMismatch")
