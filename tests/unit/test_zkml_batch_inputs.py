"""Batch options and batch files are checked before anything is compiled or proved."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper

from aiweb3.errors import InputError
from aiweb3.zkml import CompileOptions, read_batch_file
from aiweb3.zkml._onnxbatch import symbolic_batch

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "zkml"


def test_batch_options_refused() -> None:
    with pytest.raises(InputError, match="batch size must be between 1 and 1024"):
        CompileOptions(batch_size=0)
    with pytest.raises(InputError, match="hashes the whole batch"):
        CompileOptions(batch_size=4, input_visibility="hashed")
    assert "batch_size" not in CompileOptions().cache_options()  # unbatched ids stay as they were
    assert CompileOptions(batch_size=4).cache_options()["batch_size"] == 4


def test_symbolic_batch_axis() -> None:
    proto = onnx.load_from_string(symbolic_batch((EXAMPLES / "mlp.onnx").read_bytes()))
    for value in [*proto.graph.input, *proto.graph.output]:
        assert value.type.tensor_type.shape.dim[0].dim_param == "batch_size"
    # a model whose leading axis is not a batch of one cannot be batched
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 2])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    with pytest.raises(InputError, match="no leading batch axis of size 1"):
        symbolic_batch(helper.make_model(graph).SerializeToString())


def test_batch_file_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('[1, 2]\n\n{"input": [3, 4]}\n[5,\n')
    with pytest.raises(InputError, match=r"batch input 2 \(line 4 of .*\) is not valid JSON"):
        read_batch_file(path)
    path.write_text('[1, 2]\n\n{"input": [3, 4]}\n')
    assert read_batch_file(path) == [[1, 2], [3, 4]]
    with pytest.raises(InputError, match="cannot read batch file"):
        read_batch_file(tmp_path / "missing.jsonl")
