"""Train the identity use case's code model and export it to ONNX (numpy + scikit-learn + onnx).

    PYTHONPATH=src .venv/bin/python examples/private/train_identity.py

Data: ``aiweb3.usecases.identity_data`` (a documented generator of biometric-style captures; no
biometric data set loads offline). Enrolment: 500 people x 6 captures (seeds 1, 2). Held-out:
64 *other* people x 3 captures (seeds 3, 4), committed in ``identity.json``; a larger held-out
population (1,000 people x 2 captures, seeds 5, 6) gives tighter float figures.

Model: linear discriminant analysis fitted on the enrolment captures (classes = people), keeping
32 components: the projection that maximises between-person over within-person variance. The
ONNX model is one ``Gemm``: ``projection = embedding @ W + b`` with ``W`` the LDA scalings and
``b = -mean @ W`` (so it equals ``lda.transform``). The code is the signs of the 32 projections
(bit i = 1 when projection i > 0). Writes ``identity.onnx`` and ``identity.json`` (held-out
captures, their people, the match threshold and the float model's code statistics). Then
``python -m aiweb3.usecases.evaluate identity`` writes ``identity_accuracy.json`` (circuit vs
float).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from aiweb3.usecases import identity_data as gen
from aiweb3.usecases.identity import code_stats, codes_of

HERE = Path(__file__).resolve().parent
BITS = 32


def export(weights: np.ndarray, bias: np.ndarray, path: Path) -> None:
    """One Gemm node: ``projection[1, BITS] = embedding[1, F] @ weights + bias``."""
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["embedding", "W", "b"], ["projection"], name="code_projection")],
        "identity_code",
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, weights.shape[0]])],
        [helper.make_tensor_value_info("projection", TensorProto.FLOAT, [1, weights.shape[1]])],
        initializer=[
            numpy_helper.from_array(weights.astype(np.float32), "W"),
            numpy_helper.from_array(bias.astype(np.float32)[None, :], "b"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="aiweb3")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())


def best_threshold(codes: np.ndarray, person: np.ndarray) -> int:
    """The Hamming threshold (match when distance <= t) minimising false rejects + false accepts."""
    stats = [code_stats(codes, person, threshold=t) for t in range(BITS + 1)]
    return min(range(BITS + 1), key=lambda t: stats[t]["false_reject"] + stats[t]["false_accept"])


def main() -> None:
    """Fit, export, write the held-out split and the float statistics."""
    x_train, p_train = gen.captures(gen.people(500, seed=1), 6, seed=2)
    lda = LinearDiscriminantAnalysis(n_components=BITS).fit(x_train, p_train)
    weights = lda.scalings_[:, :BITS]
    bias = -lda.xbar_ @ weights
    assert np.allclose(x_train[:5] @ weights + bias, lda.transform(x_train[:5]))
    export(weights, bias, HERE / "identity.onnx")

    def project(x: np.ndarray) -> np.ndarray:
        return np.asarray(x.astype(np.float32) @ weights.astype(np.float32) + bias.astype(np.float32))

    threshold = best_threshold(codes_of(project(x_train)), p_train)
    x_test, p_test = gen.captures(gen.people(64, seed=3), 3, seed=4)
    x_test = np.round(x_test, 4)
    x_pop, p_pop = gen.captures(gen.people(1000, seed=5), 2, seed=6)
    # the untrained baseline: signs of the first 32 raw values, centred on the enrolment mean
    raw = codes_of((x_test - x_train.mean(axis=0))[:, :BITS])
    out = {
        "dataset": "aiweb3.usecases.identity_data: generated captures (a stand-in for face/iris embeddings)",
        "generator": {
            "features": gen.FEATURES,
            "identity_dims": gen.IDENTITY_DIMS,
            "nuisance_dims": gen.NUISANCE_DIMS,
            "nuisance_scale": gen.NUISANCE_SCALE,
            "sensor_noise": gen.SENSOR_NOISE,
            "world_seed": gen.WORLD_SEED,
        },
        "enrolment": "people(500, seed=1), captures(per_person=6, seed=2)",
        "held_out": "people(64, seed=3), captures(per_person=3, seed=4), rounded to 4 decimals",
        "model": f"LinearDiscriminantAnalysis(n_components={BITS}) as one Gemm; bit i = projection i > 0",
        "bits": BITS,
        "match_threshold": threshold,
        "float_held_out": code_stats(codes_of(project(x_test)), p_test, threshold=threshold),
        "float_population": {
            "people": 1000,
            **code_stats(codes_of(project(x_pop)), p_pop, threshold=threshold),
        },
        "raw_sign_baseline_held_out": code_stats(raw, p_test, threshold=threshold),
        "test_x": x_test.tolist(),
        "test_person": p_test.tolist(),
    }
    (HERE / "identity.json").write_text(json.dumps(out) + "\n")
    print(json.dumps({k: v for k, v in out.items() if k not in ("test_x", "test_person")}, indent=1))


if __name__ == "__main__":
    main()
