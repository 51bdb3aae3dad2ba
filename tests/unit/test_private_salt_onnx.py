"""salt_onnx: the salted model computes exactly what the original does, whatever the salt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from aiweb3.errors import InputError
from aiweb3.private import SALT_BITS, SALT_SLOTS, Opening, new_salt, salt_onnx, salted_input

ONNX = Path(__file__).resolve().parents[2] / "examples" / "private" / "medical.onnx"


def _run(model: bytes, row: list[float]) -> np.ndarray:
    session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.asarray(session.run(None, {name: np.asarray([row], dtype=np.float32)})[0])


def test_salted_model_ignores_the_salt_but_takes_it() -> None:
    plain = ONNX.read_bytes()
    salted = salt_onnx(plain)
    rng = np.random.default_rng(1)
    for _ in range(5):
        x = rng.normal(size=8).tolist()
        expected = _run(plain, x)
        for salt in (new_salt(), [0] * SALT_SLOTS, [(1 << SALT_BITS) - 1] * SALT_SLOTS):
            assert np.array_equal(_run(salted, salted_input(x, salt)), expected)
    session = ort.InferenceSession(salted, providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape == [1, 8 + SALT_SLOTS]


def test_salts_are_fresh_and_checked(tmp_path: Path) -> None:
    assert new_salt() != new_salt()
    assert all(0 <= v < (1 << SALT_BITS) for v in new_salt())
    with pytest.raises(InputError, match="salt"):
        salted_input([0.0], [1 << SALT_BITS] * SALT_SLOTS)
    with pytest.raises(InputError, match="salt"):
        salted_input([0.0], [1, 2])
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [8])
    flat = helper.make_model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y]))
    with pytest.raises(InputError, match=r"shape \[1, F\]"):
        salt_onnx(flat.SerializeToString())
    with pytest.raises(InputError, match="not a valid ONNX"):
        salt_onnx(b"not onnx")
    opening = Opening("0x" + "11" * 32, [0.5, -1.0], new_salt(), "0x" + "22" * 32)
    assert Opening.load(opening.save(tmp_path / "o.json")) == opening
    (tmp_path / "bad.json").write_text('{"format": "other"}')
    with pytest.raises(InputError, match="not an aiweb3 opening"):
        Opening.load(tmp_path / "bad.json")
