"""Write the split-inference example models (numpy + onnx only, reproducible from fixed seeds).

- ``split_pre.onnx``: the user's preprocessing, 8 raw values -> 4 features (Gemm, Sigmoid): the
  projection drops dimensions, so the raw record cannot be recovered from the features.
- ``split_operator.onnx``: the operator's model, 4 features -> 16 (ReLU) -> 2 scores.
- ``split_pre_other.onnx``: another preprocessing (different weights), for the rejection test.

    .venv/bin/python examples/private/make_split_models.py
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent


def mlp(sizes: list[int], seed: int, last: str | None) -> bytes:
    """A Gemm/ReLU MLP with ``last`` (e.g. Sigmoid) after the final layer, as ONNX bytes."""
    rng = np.random.default_rng(seed)
    nodes, inits, prev = [], [], "x"
    for i, (a, b) in enumerate(pairwise(sizes)):
        final = i == len(sizes) - 2
        inits += [
            numpy_helper.from_array((rng.normal(size=(a, b)) / np.sqrt(a)).astype(np.float32), f"w{i}"),
            numpy_helper.from_array((rng.normal(size=(b,)) * 0.1).astype(np.float32), f"b{i}"),
        ]
        out = "y" if final and last is None else f"a{i}"
        nodes.append(helper.make_node("Gemm", [prev, f"w{i}", f"b{i}"], [out]))
        act = last if final else "Relu"
        if act is not None:
            prev = "y" if final else f"r{i}"
            nodes.append(helper.make_node(act, [out], [prev]))
        else:
            prev = out
    graph = helper.make_graph(
        nodes,
        "split",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, sizes[0]])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, sizes[-1]])],
        inits,
    )
    return bytes(
        helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8
        ).SerializeToString()
    )


def main() -> None:
    """Write the three models."""
    (HERE / "split_pre.onnx").write_bytes(mlp([8, 4], 1, "Sigmoid"))
    (HERE / "split_pre_other.onnx").write_bytes(mlp([8, 4], 3, "Sigmoid"))
    (HERE / "split_operator.onnx").write_bytes(mlp([4, 16, 2], 2, None))


if __name__ == "__main__":
    main()
