"""Compile, prove and verify locally with real ezkl; tampered proofs are rejected."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest

from aiweb3.errors import InputError, ProofError
from aiweb3.zkml import CompiledModel, InferenceProof, Model, ZkmlHome, compiled_models
from aiweb3.zkml.proof import FIELD_MODULUS

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "zkml"


def test_compile_settings_and_store(mlp_model: CompiledModel, aiweb3_home: Path) -> None:
    store = ZkmlHome(aiweb3_home).store
    settings = json.loads(store.get_bytes(mlp_model.settings_cid))
    run = settings["run_args"]
    assert (run["input_visibility"], run["param_visibility"], run["output_visibility"]) == (
        "Private",
        "Fixed",
        "Public",
    )
    assert run["logrows"] == mlp_model.logrows <= 12
    for cid in (
        mlp_model.onnx_cid,
        mlp_model.circuit_cid,
        mlp_model.vk_cid,
        mlp_model.pk_cid,
        mlp_model.vka_cid,
    ):
        store.get_bytes(cid)  # present and hashes to its name
    assert mlp_model.development_srs
    assert mlp_model.model_id == "0x" + __import__("eth_utils").keccak(b"".join(mlp_model.vka_words())).hex()
    assert CompiledModel.load(aiweb3_home, mlp_model.model_id) == mlp_model
    assert mlp_model.model_id in [m.model_id for m in compiled_models(aiweb3_home)]


def test_recompile_reuses_artifacts(mlp_model: CompiledModel, aiweb3_home: Path, mlp_samples: Any) -> None:
    steps: list[str] = []
    again = Model.from_onnx(EXAMPLES / "mlp.onnx", home=aiweb3_home).compile(
        mlp_samples["samples"][:8], on_progress=steps.append
    )
    assert steps == ["reused"]
    assert again == mlp_model


def test_prove_matches_onnxruntime(mlp_model: CompiledModel, mlp_samples: Any) -> None:
    session = ort.InferenceSession(str(EXAMPLES / "mlp.onnx"))
    for sample in mlp_samples["samples"][:2]:
        proof = mlp_model.prove(sample)
        expected = session.run(None, {"input": np.asarray([sample], dtype=np.float32)})[0][0]
        got = np.asarray(proof.outputs[0])
        assert np.allclose(got, expected, atol=0.05), (got, expected)
        assert int(np.argmax(got)) == int(np.argmax(expected))
        assert proof.instances and proof.input_instances == 0


def test_verify_roundtrip_through_file(mlp_proof: InferenceProof, aiweb3_home: Path, tmp_path: Path) -> None:
    mlp_proof.verify()
    path = mlp_proof.save(tmp_path / "proof.json")
    loaded = InferenceProof.load(path)
    assert loaded == mlp_proof
    loaded.verify(home=aiweb3_home)


def test_flipped_proof_byte_rejected(mlp_proof: InferenceProof, mlp_model: CompiledModel) -> None:
    bad = bytearray(mlp_proof.proof)
    bad[len(bad) // 2] ^= 0x01
    with pytest.raises(ProofError, match="does not verify"):
        mlp_model.verify(dataclasses.replace(mlp_proof, proof=bytes(bad)))


def test_changed_output_rejected(mlp_proof: InferenceProof, mlp_model: CompiledModel, tmp_path: Path) -> None:
    # a consistent file whose output instance was changed: the proof no longer matches
    data = mlp_proof.to_json()
    data["instances"][-1] = f"0x{(mlp_proof.instances[-1] + 8192) % FIELD_MODULUS:064x}"
    data["outputs"][0][-1] += 1.0
    changed = InferenceProof.from_json(data)
    with pytest.raises(ProofError, match="does not verify"):
        mlp_model.verify(changed)
    # only the displayed output changed: the file itself is refused
    data = mlp_proof.to_json()
    data["outputs"][0][0] += 1.0
    with pytest.raises(ProofError, match="differ from its proven instances"):
        InferenceProof.from_json(data)


def test_proof_for_other_model_rejected(
    mlp_proof: InferenceProof, mlp_model: CompiledModel, altered_model: CompiledModel
) -> None:
    assert altered_model.model_id != mlp_model.model_id
    with pytest.raises(ProofError, match="is for model"):
        altered_model.verify(mlp_proof)
    relabelled = dataclasses.replace(mlp_proof, model_id=altered_model.model_id)
    with pytest.raises(ProofError, match="does not verify"):
        altered_model.verify(relabelled)


def test_changed_weight_reproved_rejected(
    mlp_model: CompiledModel, altered_model: CompiledModel, mlp_samples: Any
) -> None:
    forged = altered_model.prove(mlp_samples["samples"][0])
    forged.verify()  # a valid proof of the altered model...
    claimed = dataclasses.replace(forged, model_id=mlp_model.model_id)
    with pytest.raises(ProofError, match="does not verify"):
        mlp_model.verify(claimed)  # ...is no proof of the committed one


def test_corrupted_proof_file(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text("{not json")
    with pytest.raises(ProofError, match="not JSON"):
        InferenceProof.load(path)
    path.write_text(json.dumps({"format": "aiweb3-proof/1", "model_id": "0x00"}))
    with pytest.raises(ProofError, match="malformed"):
        InferenceProof.load(path)


def test_corrupted_key_is_a_clear_error(
    mlp_model: CompiledModel, mlp_proof: InferenceProof, aiweb3_home: Path, tmp_path: Path
) -> None:
    store = ZkmlHome(aiweb3_home).store
    vk = store.get_bytes(mlp_model.vk_cid)
    broken_cid = store.put_bytes(vk[: len(vk) // 2])
    broken = dataclasses.replace(mlp_model, vk_cid=broken_cid)
    with pytest.raises(ProofError):
        broken.verify(mlp_proof)
    pk = store.get_bytes(mlp_model.pk_cid)
    bad_pk = dataclasses.replace(mlp_model, pk_cid=store.put_bytes(pk[: len(pk) // 3]))
    with pytest.raises(ProofError):
        bad_pk.prove([0.0] * 8)


def test_wrong_srs_is_a_clear_error(
    mlp_model: CompiledModel, mlp_proof: InferenceProof, aiweb3_home: Path, tmp_path: Path
) -> None:
    from aiweb3.zkml import _ezkl

    other = tmp_path / "other.srs"
    _ezkl.gen_srs(other, mlp_model.logrows)
    with pytest.raises(ProofError, match="were made with SRS"):
        mlp_model.verify(mlp_proof, srs=other)
    with pytest.raises(ProofError, match="were made with SRS"):
        mlp_model.prove([0.0] * 8, srs=other)
    mlp_model.verify(mlp_proof, srs=mlp_model.artifact_path("srs"))  # the right file is accepted
    missing = dataclasses.replace(mlp_model, srs_cid=ZkmlHome(aiweb3_home).store.put_bytes(b"no such srs"))
    ZkmlHome(aiweb3_home).store.path(missing.srs_cid).unlink()
    with pytest.raises(ProofError, match="not in the store"):
        missing.prove([0.0] * 8)


def test_bad_inputs_name_expected_shape(mlp_model: CompiledModel) -> None:
    with pytest.raises(InputError, match=r"expected \[1, 8\]"):
        mlp_model.prove([1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="NaN"):
        mlp_model.prove([float("nan")] * 8)
    with pytest.raises(InputError, match="numbers of shape"):
        mlp_model.prove(["a"] * 8)


def test_unsupported_operator_named(tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    node = helper.make_node("Det", ["input"], ["output"])
    graph = helper.make_graph(
        [node],
        "det",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [])],
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    proto.ir_version = 8
    onnx.save(proto, str(tmp_path / "det.onnx"))
    model = Model.from_onnx(tmp_path / "det.onnx", home=tmp_path / "home")
    with pytest.raises(InputError, match="operators ezkl cannot prove: Det"):
        model.compile([[[1.0, 2.0], [3.0, 4.0]]])


def test_corrupted_vka_in_store_detected(mlp_model: CompiledModel, aiweb3_home: Path, tmp_path: Path) -> None:
    store = ZkmlHome(aiweb3_home).store
    data = store.get_bytes(mlp_model.vka_cid)
    fake = dataclasses.replace(mlp_model, vka_cid=store.put_bytes(data + b"tail"))
    store.path(fake.vka_cid).write_bytes(data)  # the object no longer hashes to its name
    with pytest.raises(ProofError, match="corrupted"):
        fake.vka_words()
