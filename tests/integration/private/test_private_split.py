"""Split inference: the user's preprocessing proof (hashed output) linked to the operator's (hashed input)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from eth_account.signers.local import LocalAccount

from aiweb3 import usecases
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
from aiweb3.zkml import CompiledModel, CompileOptions, Model, ModelRegistryClient, audit

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "private"
SCALES = (7,)


def _features(onnx_path: Path, rows: list[list[float]]) -> list[list[float]]:
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    return [session.run(None, {"x": np.asarray([r], dtype=np.float32)})[0][0].tolist() for r in rows]


@pytest.fixture(scope="module")
def raw_records(medical_case: usecases.UseCase) -> list[list[float]]:
    return [[float(v) for v in r] for r in medical_case.data["test_x"][:10]]


@pytest.fixture(scope="module")
def models(aiweb3_home: Path, raw_records: list[list[float]]) -> dict[str, CompiledModel]:
    hashed_out = CompileOptions(output_visibility="hashed", scales=SCALES)
    pre = Model.from_onnx(EXAMPLES / "split_pre.onnx", home=aiweb3_home).compile(raw_records[:8], hashed_out)
    other = Model.from_onnx(EXAMPLES / "split_pre_other.onnx", home=aiweb3_home).compile(
        raw_records[:8], hashed_out
    )
    op = Model.from_onnx(EXAMPLES / "split_operator.onnx", home=aiweb3_home).compile(
        _features(EXAMPLES / "split_pre.onnx", raw_records[:8]),
        CompileOptions(input_visibility="hashed", scales=SCALES),
    )
    return {"pre": pre, "other": other, "op": op}


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
    sent = json.dumps({"proof": handoff.pre_proof.to_json(), "features": handoff.features})
    assert all(repr(v) not in sent and f"{v:.4f}" not in sent for v in raw)
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
