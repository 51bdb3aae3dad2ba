"""Salted input commitments: a proof binds the input without letting anyone guess it.

ezkl's ``hashed`` input visibility publishes ``Poseidon(quantized input)``. For a
low-entropy input (a medical record, a credit file) anyone can hash candidate inputs until
one matches. aiweb3 adds a *salt* as extra private input elements bound into the same hash:

- :func:`salt_onnx` rewrites a model with one input of shape ``[1, F]`` into one whose input
  is ``[1, F + SALT_SLOTS]`` and whose first node slices the ``F`` features back out. The
  network is unchanged; the salt slots feed nothing but the input hash.
- The model is compiled with ``input_visibility="hashed"``: the public input commitment is
  ``Poseidon(features ‖ salt)`` and the proof shows the outputs came from exactly those features.
- The salt is ``SALT_SLOTS`` random integers below ``2**SALT_BITS`` (132 bits in all), each
  exactly representable in float32 and at any fixed-point scale ezkl picks.
- To *open* the commitment to a chosen party, the user hands over an :class:`Opening`
  (features + salt); :func:`check_opening` recomputes the commitment and compares it with the
  proof's (and verifies the proof). A wrong salt or a changed feature is refused.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import onnx
from onnx import TensorProto, helper, numpy_helper

from aiweb3.errors import InputError, ProofError
from aiweb3.files import atomic_write_json

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

#: salt elements appended to the input; each below 2**SALT_BITS (float32-exact integers)
SALT_SLOTS = 11
SALT_BITS = 12
OPENING_FORMAT = "aiweb3-opening/1"


def new_salt() -> list[int]:
    """A fresh random salt (``SALT_SLOTS`` integers from the OS's CSPRNG)."""
    return [secrets.randbelow(1 << SALT_BITS) for _ in range(SALT_SLOTS)]


def _check_salt(salt: Sequence[Any]) -> list[int]:
    values = list(salt)
    if len(values) != SALT_SLOTS or not all(
        isinstance(v, int) and not isinstance(v, bool) and 0 <= v < (1 << SALT_BITS) for v in values
    ):
        raise InputError(f"a salt is {SALT_SLOTS} integers in [0, 2**{SALT_BITS}); make one with new_salt()")
    return values


def salted_input(features: Sequence[float], salt: Sequence[int]) -> list[float]:
    """The salted model's input row: the features, then the salt."""
    return [float(x) for x in features] + [float(v) for v in _check_salt(salt)]


def salt_onnx(onnx_bytes: bytes, *, slots: int = SALT_SLOTS) -> bytes:
    """A copy of a one-input ``[1, F]`` model taking ``[1, F + slots]`` (features, then salt).

    Raises:
        InputError: the model does not have exactly one ``[1, F]`` float input.
    """
    try:
        proto = onnx.load_from_string(onnx_bytes)
    except Exception as exc:  # onnx raises DecodeError and friends
        raise InputError(f"not a valid ONNX file: {exc}") from exc
    graph = proto.graph
    initializers = {i.name for i in graph.initializer}
    inputs = [v for v in graph.input if v.name not in initializers]
    dims = (
        [d.dim_value if d.HasField("dim_value") else 1 for d in inputs[0].type.tensor_type.shape.dim]
        if inputs
        else []
    )
    if len(inputs) != 1 or len(dims) != 2 or dims[0] != 1 or dims[1] < 1:
        raise InputError("salting needs a model with one input of shape [1, F]")
    original = inputs[0]
    features = int(dims[1])
    salted_name = original.name + "_salted"
    new_input = helper.make_tensor_value_info(salted_name, TensorProto.FLOAT, [1, features + slots])
    consts = [
        numpy_helper.from_array(_i64([0]), original.name + "_slice_start"),
        numpy_helper.from_array(_i64([features]), original.name + "_slice_end"),
        numpy_helper.from_array(_i64([1]), original.name + "_slice_axis"),
    ]
    slice_node = helper.make_node(
        "Slice",
        [salted_name, *(c.name for c in consts)],
        [original.name],
        name="aiweb3_drop_salt",
    )
    graph.input.remove(original)
    graph.input.insert(0, new_input)
    graph.initializer.extend(consts)
    graph.node.insert(0, slice_node)
    onnx.checker.check_model(proto)
    return bytes(proto.SerializeToString())


def _i64(values: list[int]) -> Any:
    import numpy as np

    return np.asarray(values, dtype=np.int64)


@dataclass(frozen=True)
class Opening:
    """What the user reveals to open a salted commitment to one party.

    Attributes:
        model_id: the salted model the proof is for.
        features: the committed input features.
        salt: the salt.
        commitment: the input commitment the proof carries (``0x`` bytes32).
    """

    model_id: str
    features: list[float]
    salt: list[int]
    commitment: str

    def to_json(self) -> dict[str, Any]:
        """As JSON data (``format: aiweb3-opening/1``)."""
        return {"format": OPENING_FORMAT, **asdict(self)}

    def save(self, path: Path | str) -> Path:
        """Write the opening atomically (it reveals the input: hand it only to the chosen party)."""
        atomic_write_json(Path(path), self.to_json())
        return Path(path)

    @classmethod
    def load(cls, path: Path | str) -> Opening:
        """Read an opening file.

        Raises:
            InputError: unreadable or not an opening.
        """
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read opening {path}: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != OPENING_FORMAT:
            raise InputError(f"{path} is not an aiweb3 opening (format {OPENING_FORMAT!r})")
        try:
            return cls(
                model_id=str(data["model_id"]).lower(),
                features=[float(x) for x in data["features"]],
                salt=[int(v) for v in data["salt"]],
                commitment=str(data["commitment"]).lower(),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{path} is a malformed opening: {exc}") from exc


def check_opening(model: Any, proof: Any, opening: Opening, *, verify_proof: bool = True) -> None:
    """Check that ``opening`` opens ``proof``'s input commitment (and that the proof verifies).

    ``model`` is the compiled salted model (:class:`aiweb3.zkml.CompiledModel`), ``proof`` an
    :class:`aiweb3.zkml.InferenceProof` of it.

    Raises:
        ProofError: the proof is for another model or does not verify, or the features and
            salt do not hash to the proof's input commitment.
        InputError: a malformed salt or features.
    """
    if proof.model_id.lower() != model.model_id.lower() or opening.model_id.lower() != model.model_id.lower():
        raise ProofError(
            f"the opening is for model {opening.model_id} and the proof for {proof.model_id}, "
            f"not {model.model_id}"
        )
    if proof.input_instances != 1:
        raise ProofError("the proof has no input commitment; the model was not compiled with a hashed input")
    carried = "0x" + proof.instances[0].to_bytes(32, "big").hex()
    recomputed = model.input_commitment(salted_input(opening.features, opening.salt))
    if recomputed != carried:
        raise ProofError(
            f"the opening does not match: features and salt hash to {recomputed}, the proof commits to "
            f"{carried}; the input or the salt is wrong"
        )
    if opening.commitment.lower() != carried:
        raise ProofError(f"the opening names commitment {opening.commitment}, the proof carries {carried}")
    if verify_proof:
        model.verify(proof)
