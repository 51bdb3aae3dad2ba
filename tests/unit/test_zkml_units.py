"""Pure zkml pieces: VKA parsing, dequantization, proof files, SRS headers, input checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiweb3.errors import InputError, ProofError
from aiweb3.zkml import CompileOptions, InferenceProof, Model, dequantize, parse_vka, srs_logrows
from aiweb3.zkml.model import _norm_id
from aiweb3.zkml.proof import FIELD_MODULUS

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "zkml"


def test_parse_vka() -> None:
    words = [bytes([i]) * 32 for i in range(3)]
    assert parse_vka((3).to_bytes(8, "little") + b"".join(words)) == words
    with pytest.raises(ProofError, match="truncated"):
        parse_vka(b"\x01")
    with pytest.raises(ProofError, match="bad length"):
        parse_vka((4).to_bytes(8, "little") + b"".join(words))


def test_dequantize_signed_fixed_point() -> None:
    assert dequantize(3 << 13, 13) == 3.0
    assert dequantize(FIELD_MODULUS - (1 << 12), 13) == -0.5
    assert dequantize(0, 7) == 0.0


def _proof_json() -> dict[str, object]:
    return {
        "format": "aiweb3-proof/1",
        "model_id": "0x" + "ab" * 32,
        "instances": [f"0x{1 << 13:064x}", f"0x{FIELD_MODULUS - (1 << 13):064x}"],
        "proof": "0x0102",
        "outputs": [[1.0, -1.0]],
        "output_shapes": [[1, 2]],
        "output_scales": [13],
    }


def test_proof_file_parsing_and_tamper_checks() -> None:
    proof = InferenceProof.from_json(_proof_json())
    assert proof.instances == [1 << 13, FIELD_MODULUS - (1 << 13)] and proof.proof == b"\x01\x02"
    assert InferenceProof.from_json(proof.to_json()) == proof
    data = _proof_json()
    data["outputs"] = [[1.0, 1.0]]
    with pytest.raises(ProofError, match="altered"):
        InferenceProof.from_json(data)
    data = _proof_json()
    data["instances"] = [f"0x{FIELD_MODULUS:064x}", "0x00"]
    with pytest.raises(ProofError, match="outside the field"):
        InferenceProof.from_json(data)
    data = _proof_json()
    data["output_shapes"] = [[1, 3]]
    with pytest.raises(ProofError, match="another model"):
        InferenceProof.from_json(data)
    with pytest.raises(ProofError, match="not an aiweb3 proof"):
        InferenceProof.from_json({"format": "other"})


def test_srs_header(tmp_path: Path) -> None:
    good = tmp_path / "k4.srs"
    good.write_bytes((4).to_bytes(4, "little") + b"\0" * (16 * 128 + 256))
    assert srs_logrows(good) == 4
    short = tmp_path / "short.srs"
    short.write_bytes((10).to_bytes(4, "little") + b"\0" * 100)
    with pytest.raises(InputError, match="not an SRS"):
        srs_logrows(short)
    with pytest.raises(InputError, match="cannot read"):
        srs_logrows(tmp_path / "missing.srs")


def test_input_shapes_named(tmp_path: Path) -> None:
    model = Model.from_onnx(EXAMPLES / "mlp.onnx", home=tmp_path)
    assert [(s.name, s.shape) for s in model.inputs] == [("input", (1, 8))]
    assert model.operators == ["Gemm", "Relu"]
    assert model.input_data([0.5] * 8) == [[0.5] * 8]
    assert model.input_data([[0.5] * 8]) == [[0.5] * 8]
    with pytest.raises(InputError, match=r"has shape \[2, 4\]; expected \[1, 8\]"):
        model.input_data([[0.0] * 4] * 2)
    with pytest.raises(InputError, match="numbers"):
        model.input_data([{"a": 1}] * 8)


def test_bad_onnx_and_options(tmp_path: Path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(InputError, match="not a valid ONNX"):
        Model.from_onnx(junk, home=tmp_path)
    with pytest.raises(InputError, match="cannot read"):
        Model.from_onnx(tmp_path / "absent.onnx", home=tmp_path)
    with pytest.raises(InputError, match="visibility"):
        CompileOptions(input_visibility="secret")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="not a model id"):
        _norm_id("0x1234")
