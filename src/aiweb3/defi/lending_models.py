"""Small ReLU networks for the lending market's proven models: fit with numpy, export to ONNX.

The risk model (liquidation protection) and the credit-scoring model are both two-hidden-layer
networks small enough to prove in a second or two; training them is seeded and takes seconds;
the trained files ship in ``aiweb3/defi/models/`` (``python -m aiweb3.defi.lending_train`` rewrites them).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from threadpoolctl import threadpool_limits

from aiweb3.errors import InputError

__all__ = ["Network", "fit_network", "forward", "network_onnx", "read_network"]

Network = list[np.ndarray]  # w1, b1, w2, b2, w3, b3


def forward(weights: Network, x: np.ndarray) -> np.ndarray:
    """The network's outputs for inputs of shape (n, features)."""
    w1, b1, w2, b2, w3, b3 = weights
    h = np.maximum(x @ w1 + b1, 0.0)
    h = np.maximum(h @ w2 + b2, 0.0)
    return np.asarray(h @ w3 + b3)


def fit_network(
    x: np.ndarray, y: np.ndarray, *, hidden: int = 16, seed: int = 7, epochs: int = 3000
) -> Network:
    """Fit a features -> hidden -> hidden -> 1 ReLU network by full-batch Adam on squared error.

    BLAS runs on one thread: the matrices are tiny, and a threaded BLAS on a busy machine spends
    far longer synchronising its threads than multiplying (25x measured here).
    """
    with threadpool_limits(limits=1, user_api="blas"):
        return _fit(x, y, hidden, seed, epochs)


def _fit(x: np.ndarray, y: np.ndarray, hidden: int, seed: int, epochs: int) -> Network:
    rng = np.random.default_rng(seed)
    sizes = [(x.shape[1], hidden), (hidden, hidden), (hidden, 1)]
    params: list[np.ndarray] = []
    for fan_in, fan_out in sizes:
        params += [rng.normal(0.0, math.sqrt(2.0 / fan_in), (fan_in, fan_out)), np.zeros(fan_out)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, beta1, beta2 = 0.01, 0.9, 0.999
    for step in range(1, epochs + 1):
        w1, c1, w2, c2, w3, c3 = params
        z1 = x @ w1 + c1
        h1 = np.maximum(z1, 0.0)
        z2 = h1 @ w2 + c2
        h2 = np.maximum(z2, 0.0)
        g = 2.0 * (h2 @ w3 + c3 - y) / len(x)
        g2 = (g @ w3.T) * (z2 > 0)
        g1 = (g2 @ w2.T) * (z1 > 0)
        grads = [x.T @ g1, g1.sum(0), h1.T @ g2, g2.sum(0), h2.T @ g, g.sum(0)]
        for i, grad in enumerate(grads):
            m[i] = beta1 * m[i] + (1 - beta1) * grad
            v[i] = beta2 * v[i] + (1 - beta2) * grad * grad
            params[i] -= lr * (m[i] / (1 - beta1**step)) / (np.sqrt(v[i] / (1 - beta2**step)) + 1e-8)
    return [p.astype(np.float32) for p in params]


def network_onnx(
    weights: Network, name: str, input_name: str, output_name: str, metadata: dict[str, str] | None = None
) -> bytes:
    """The network as ONNX: input ``[1, features]``, output ``[1, 1]``; ``metadata`` is kept in
    the file's metadata properties."""
    names = ["w1", "b1", "w2", "b2", "w3", "b3"]
    inits = [numpy_helper.from_array(a, n) for a, n in zip(weights, names, strict=True)]
    nodes = [
        helper.make_node("Gemm", [input_name, "w1", "b1"], ["z1"]),
        helper.make_node("Relu", ["z1"], ["h1"]),
        helper.make_node("Gemm", ["h1", "w2", "b2"], ["z2"]),
        helper.make_node("Relu", ["z2"], ["h2"]),
        helper.make_node("Gemm", ["h2", "w3", "b3"], [output_name]),
    ]
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [1, int(weights[0].shape[0])])],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, [1, 1])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for key, value in (metadata or {}).items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    return bytes(model.SerializeToString())


def read_network(path: Path) -> tuple[Network, dict[str, str]]:
    """The weights (w1, b1, w2, b2, w3, b3) and metadata of a file :func:`network_onnx` wrote.

    Raises:
        InputError: the file is missing or is not such a network.
    """
    try:
        model = onnx.load(str(path))
        found = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
        weights = [np.asarray(found[n], dtype=np.float32) for n in ("w1", "b1", "w2", "b2", "w3", "b3")]
    except (OSError, KeyError, onnx.onnx_cpp2py_export.checker.ValidationError) as exc:
        raise InputError(f"{path} is not a network written by aiweb3.defi ({exc})") from None
    except Exception as exc:  # onnx raises DecodeError and friends
        raise InputError(f"{path} is not a valid ONNX file: {exc}") from None
    return weights, {p.key: p.value for p in model.metadata_props}
