"""Class labels of a classifier's outputs: ``[[-2.1, 3.4]]`` reads as "benign (99.5%)".

A model's circuit proves logits; what each output position means (``malignant``/``benign``,
``approve``/``deny``) is kept beside the compiled model as ``<home>/zkml/labels/<model id>.json``
so every front end shows the same words. The label is the argmax; its score the softmax
probability.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiweb3.errors import InputError
from aiweb3.files import atomic_write_json

if TYPE_CHECKING:
    from aiweb3.zkml.audit import VerifiedInference
    from aiweb3.zkml.model import CompiledModel
    from aiweb3.zkml.registry import ModelRegistryClient

__all__ = ["label_inferences", "label_outputs", "load_output_labels", "save_output_labels"]


def _path(home: Path | str, model_id: str) -> Path:
    text = model_id.lower()
    if not text.startswith("0x") or len(text) != 66 or not all(c in "0123456789abcdef" for c in text[2:]):
        raise InputError(f"{model_id!r} is not a model id (0x followed by 64 hex digits)")
    return Path(home) / "zkml" / "labels" / f"{text}.json"


def save_output_labels(home: Path | str, model_id: str, classes: Sequence[str]) -> None:
    """Record the class names of ``model_id``'s outputs, in output order.

    Raises:
        InputError: fewer than two classes, or a name that is empty or not text.
    """
    names = list(classes)
    if len(names) < 2 or not all(isinstance(c, str) and c.strip() for c in names):
        raise InputError("classes: give at least two non-empty class names, in output order")
    atomic_write_json(_path(home, model_id), {"model_id": model_id.lower(), "classes": names})


def load_output_labels(home: Path | str, model_id: str) -> list[str] | None:
    """The class names recorded for ``model_id``, or None."""
    try:
        data = json.loads(_path(home, model_id).read_text())
    except (FileNotFoundError, ValueError, InputError):
        return None
    classes = data.get("classes") if isinstance(data, dict) else None
    return [str(c) for c in classes] if isinstance(classes, list) else None


def _flat(outputs: Any) -> list[float]:
    if isinstance(outputs, int | float) and not isinstance(outputs, bool):
        return [float(outputs)]
    if isinstance(outputs, list):
        return [v for item in outputs for v in _flat(item)]
    raise InputError("outputs: expected numbers or (nested) lists of numbers")


def label_outputs(outputs: Any, classes: Sequence[str] | None) -> dict[str, Any] | None:
    """``{"label", "score", "scores"}`` for one classifier output, or None without labels.

    ``outputs`` is the model's output (nested lists are flattened); it must have one value
    per class. ``score`` is the softmax probability of the top class.
    """
    if not classes:
        return None
    try:
        values = _flat(outputs)
    except InputError:
        return None
    if len(values) != len(classes) or not values:
        return None
    peak = max(values)
    weights = [math.exp(v - peak) for v in values]
    total = sum(weights)
    top = max(range(len(values)), key=lambda i: values[i])
    return {
        "label": classes[top],
        "score": round(weights[top] / total, 4),
        "scores": {c: round(w / total, 4) for c, w in zip(classes, weights, strict=True)},
    }


def label_inferences(
    registry: ModelRegistryClient, model: CompiledModel, trail: list[VerifiedInference]
) -> list[dict[str, Any] | None]:
    """The label of each verified inference of ``model``, read back from its transaction.

    ``None`` for an inference whose outputs cannot be read (made through another contract) and
    for every one when the model has no class names or more than one output tensor.
    """
    from aiweb3.zkml.audit import verified_outputs
    from aiweb3.zkml.proof import dequantize

    classes = load_output_labels(model.home, model.model_id)
    if not classes or not trail or len(model.output_scales) != 1:
        return [None] * len(trail)
    scale = model.output_scales[0]
    found = verified_outputs(registry, model.model_id, trail)
    return [
        None if out is None else label_outputs([dequantize(v, scale) for v in out], classes) for out in found
    ]
