"""Train the split-inference example on real data (numpy + scikit-learn + onnx; no torch).

    .venv/bin/python examples/private/train_split.py

Data: scikit-learn's breast-cancer set (569 records, all 30 measurements), the same held-out
split as ``train.py`` (``train_test_split(test_size=0.25, random_state=0, stratify=y)``),
standardized with the training split's mean and standard deviation (in the user's process,
before the preprocessing model; a public affine map).

- ``split_pre.onnx`` (the user's preprocessing, open): 30 standardized measurements -> 4
  features, ``Sigmoid(clip(x W + b, -6, 6))`` (the clip: see ``CLIP``). ``W, b`` are the
  trained bottleneck of an ``MLPClassifier`` with one 4-unit logistic hidden layer, fitted end
  to end on the diagnosis. Why a supervised bottleneck rather than PCA: PCA keeps the
  directions of largest variance, i.e. it is the 4-dimensional projection from which the raw
  record is *best* reconstructed; the bottleneck keeps what predicts the diagnosis and drops
  more of the rest (``split.json`` records the reconstruction errors of both, and of a
  nonlinear attacker). The Sigmoid bounds the features to (0, 1) and makes ezkl rebase the
  output to the input scale, which the link needs (see docs/private-inference.md).
- ``split_operator.onnx`` (the operator's proprietary model): an ``MLPClassifier`` (16 ReLU
  units) trained by the operator on the *features* of the training split only; exported as
  4 -> 16 (ReLU) -> 2 scores ``[0, z]`` (softmax of them is the classifier's probability).
- ``split_pre_other.onnx``: another preprocessing with the same shapes (the 4 leading principal
  components, whitened, then Sigmoid), for the rejection tests.

Writes the three models and ``split.json`` (dataset, feature names, standardization, held-out
split, float accuracy, reconstruction errors); all committed. Then
``python -m aiweb3.usecases.evaluate split`` writes ``split_accuracy.json`` (float vs circuit).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_breast_cancer
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

HERE = Path(__file__).resolve().parent
FEATURES = 4
SEED = 0
#: |pre-activation| bound before the Sigmoid: at the circuit's scale (6, i.e. steps of 1/64; also
#: at 7) sigmoid(6) rounds to 1 and sigmoid(-6) to 0 like any value beyond, so the clip changes nothing
CLIP = 6.0


def onnx_mlp(layers: list[tuple[np.ndarray, np.ndarray]], acts: list[str | None], name: str) -> bytes:
    """Gemm layers with an activation (or none) after each, as ONNX bytes (input ``x``, output ``y``)."""
    nodes, inits, prev = [], [], "x"
    sizes = [layers[0][0].shape[0]] + [w.shape[1] for w, _ in layers]
    for i, ((w, b), act) in enumerate(zip(layers, acts, strict=True)):
        last = i == len(layers) - 1
        inits += [
            numpy_helper.from_array(w.astype(np.float32), f"w{i}"),
            numpy_helper.from_array(b.astype(np.float32), f"b{i}"),
        ]
        out = "y" if last and act is None else f"a{i}"
        nodes.append(helper.make_node("Gemm", [prev, f"w{i}", f"b{i}"], [out]))
        prev = out
        if act == "Sigmoid":
            # clip the pre-activation to [-CLIP, CLIP]: bounds ezkl's Sigmoid lookup table (and so
            # the circuit's rows) whatever the record; lossless at the circuit's scale (see CLIP)
            inits += [
                numpy_helper.from_array(np.array(-CLIP, np.float32), f"lo{i}"),
                numpy_helper.from_array(np.array(CLIP, np.float32), f"hi{i}"),
            ]
            nodes.append(helper.make_node("Clip", [out, f"lo{i}", f"hi{i}"], [f"c{i}"]))
            prev = out = f"c{i}"
        if act is not None:
            prev = "y" if last else f"h{i}"
            nodes.append(helper.make_node(act, [out], [prev]))
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, sizes[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, sizes[-1]])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    return bytes(model.SerializeToString())


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function of the clipped pre-activation (as exported)."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -CLIP, CLIP))))


def reconstruction(
    z_train: np.ndarray,
    x_train: np.ndarray,
    z_test: np.ndarray,
    x_test: np.ndarray,
    names: list[str],
    regressor: Any = None,
) -> dict[str, Any]:
    """How well the standardized record is reconstructed from ``z`` (fit on train, scored on test).

    ``z`` is the features' (clipped) pre-activation: the Sigmoid is invertible, so an attacker
    recovers it from the float features; a linear map of it (the default ``regressor``) is the
    strongest linear attack.
    """
    fit = (LinearRegression() if regressor is None else regressor).fit(z_train, x_train)
    err = x_test - fit.predict(z_test)
    spread = ((x_test - x_test.mean(axis=0)) ** 2).sum(axis=0)
    r2 = 1 - (err**2).sum(axis=0) / spread
    return {
        "unexplained_variance": round(float((err**2).sum() / spread.sum()), 4),
        "rmse_std_units": round(float(np.sqrt((err**2).mean())), 4),
        "per_measurement_r2_min": round(float(r2.min()), 4),
        "per_measurement_r2_max": round(float(r2.max()), 4),
        "best_reconstructed": names[int(np.argmax(r2))],
    }


def main() -> None:
    """Train, export and describe the split-inference example."""
    data = load_breast_cancer()
    names = [str(f) for f in data.feature_names]
    x, y = data.data.astype(np.float64), data.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train = (x_train - mean) / std
    x_test = np.round((x_test - mean) / std, 4)

    # 1. the user's preprocessing: the trained 4-unit bottleneck
    bottleneck = MLPClassifier(
        hidden_layer_sizes=(FEATURES,), activation="logistic", alpha=1e-2, max_iter=5000, random_state=SEED
    ).fit(x_train, y_train)
    w_pre, b_pre = bottleneck.coefs_[0], bottleneck.intercepts_[0]
    # what the features reveal: their pre-activations as clipped (the Sigmoid inverts on (0, 1))
    z_train = np.clip(x_train @ w_pre + b_pre, -CLIP, CLIP)
    z_test = np.clip(x_test @ w_pre + b_pre, -CLIP, CLIP)
    f_train, f_test = sigmoid(z_train), sigmoid(z_test)

    # 2. the operator's model, trained on the features only
    operator = MLPClassifier(
        hidden_layer_sizes=(16,), activation="relu", alpha=1e-3, max_iter=5000, random_state=SEED
    ).fit(f_train, y_train)
    (w1, b1), (w2, b2) = zip(operator.coefs_, operator.intercepts_, strict=True)
    w2 = np.hstack([np.zeros_like(w2), w2])  # scores [0, z]: argmax is class 1 iff z > 0
    b2 = np.concatenate([[0.0], b2])
    float_accuracy = float((operator.predict(f_test) == y_test).mean())

    # 3. another preprocessing (same shapes): whitened principal components, then Sigmoid
    pca = PCA(n_components=FEATURES, whiten=True, random_state=SEED).fit(x_train)
    w_other = (pca.components_ / np.sqrt(pca.explained_variance_)[:, None]).T
    b_other = -pca.mean_ @ w_other

    (HERE / "split_pre.onnx").write_bytes(onnx_mlp([(w_pre, b_pre)], ["Sigmoid"], "split_pre"))
    (HERE / "split_operator.onnx").write_bytes(
        onnx_mlp([(w1, b1), (w2, b2)], ["Relu", None], "split_operator")
    )
    (HERE / "split_pre_other.onnx").write_bytes(
        onnx_mlp([(w_other, b_other)], ["Sigmoid"], "split_pre_other")
    )

    info = {
        "dataset": "scikit-learn load_breast_cancer (Wisconsin diagnostic), 569 records",
        "classes": [str(c) for c in data.target_names],
        "split": "train_test_split(test_size=0.25, random_state=0, stratify=y)",
        "features": names,
        "preprocessing": f"Sigmoid(x W + b), 30 -> {FEATURES}: trained bottleneck (MLPClassifier, "
        f"{FEATURES} logistic units)",
        "operator": f"MLPClassifier {FEATURES}-16(ReLU)-2 trained on the features of the training split",
        "other_preprocessing": f"Sigmoid of the {FEATURES} leading whitened principal components",
        "float_accuracy": round(float_accuracy, 4),
        "bottleneck_accuracy": round(float(bottleneck.score(x_test, y_test)), 4),
        "reconstruction": {
            "what": "best linear reconstruction of the standardized 30 measurements from the "
            "4 features' pre-activations (least squares on the training split, scored on the held-out "
            "split); a random forest on the features (nonlinear); and PCA's 4 components, the best any "
            "4-dimensional linear projection allows",
            "split_pre": reconstruction(z_train, x_train, z_test, x_test, names),
            "split_pre_random_forest": reconstruction(
                f_train,
                x_train,
                f_test,
                x_test,
                names,
                RandomForestRegressor(n_estimators=200, min_samples_leaf=3, random_state=SEED),
            ),
            "pca_4_best_possible_linear": reconstruction(
                pca.transform(x_train), x_train, pca.transform(x_test), x_test, names
            ),
        },
        "mean": mean.tolist(),
        "std": std.tolist(),
        "test_x": x_test.tolist(),
        "test_y": y_test.tolist(),
    }
    (HERE / "split.json").write_text(json.dumps(info) + "\n")
    shown = {k: v for k, v in info.items() if k not in ("mean", "std", "test_x", "test_y", "features")}
    print(json.dumps(shown, indent=1))


if __name__ == "__main__":
    main()
