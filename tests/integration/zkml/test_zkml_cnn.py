"""The example convolutional network (digits) compiles, proves and verifies like the MLP."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from aiweb3.zkml import Model

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "zkml"


@pytest.mark.slow
def test_cnn_prove_and_verify(tmp_path: Path) -> None:
    data = json.loads((EXAMPLES / "cnn_samples.json").read_text())
    model = Model.from_onnx(EXAMPLES / "cnn.onnx", home=tmp_path).compile(data["samples"][:4])
    assert model.logrows <= 16
    image = data["samples"][0]
    proof = model.prove(image)
    proof.verify()
    session = ort.InferenceSession(str(EXAMPLES / "cnn.onnx"))
    expected = session.run(None, {"image": np.asarray([image], dtype=np.float32)})[0][0]
    assert np.allclose(proof.outputs[0], expected, atol=0.1)
    assert int(np.argmax(proof.outputs[0])) == int(np.argmax(expected))
