"""The ONNX rewrite behind batched circuits: name the leading axis so ezkl can size it."""

from __future__ import annotations

import onnx

from aiweb3.errors import InputError

__all__ = ["symbolic_batch"]


def symbolic_batch(onnx_bytes: bytes) -> bytes:
    """The ONNX model with the leading axis of every input and output named ``batch_size``
    (ezkl sizes a named axis from its ``variables``).

    Raises:
        InputError: a tensor has no leading axis of size 1 (or already symbolic) to batch over.
    """
    proto = onnx.load_from_string(onnx_bytes)
    initializers = {i.name for i in proto.graph.initializer}
    for value in [*proto.graph.input, *proto.graph.output]:
        if value.name in initializers:
            continue
        dims = value.type.tensor_type.shape.dim
        if not dims or (dims[0].HasField("dim_value") and dims[0].dim_value != 1):
            raise InputError(
                f"tensor {value.name!r} has no leading batch axis of size 1; export the model with "
                "a batch axis (e.g. shape [1, ...] or a symbolic first dimension) to batch it"
            )
        dims[0].Clear()
        dims[0].dim_param = "batch_size"
    return bytes(proto.SerializeToString())
