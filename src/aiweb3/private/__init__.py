"""Private data: proven inference on a salted, committed input (and its opening to one party).

salted = salt_onnx(onnx_bytes)                        # input [features..., salt]
model = Model(salted, home=home, name="m").compile(samples, CompileOptions(input_visibility="hashed"))
salt = new_salt()
proof = model.prove(salted_input(features, salt))     # publishes Poseidon(features ‖ salt)
check_opening(model, proof, Opening(model.model_id, features, salt, commitment))
"""

from aiweb3.private.salted import (
    OPENING_FORMAT,
    SALT_BITS,
    SALT_SLOTS,
    Opening,
    check_opening,
    new_salt,
    salt_onnx,
    salted_input,
)

__all__ = [
    "OPENING_FORMAT",
    "SALT_BITS",
    "SALT_SLOTS",
    "Opening",
    "check_opening",
    "new_salt",
    "salt_onnx",
    "salted_input",
]
