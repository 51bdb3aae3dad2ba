"""Batched proofs: one proof covers the ``batch_size`` inferences of a batched circuit.

A model compiled with ``CompileOptions(batch_size=N)`` takes N inferences stacked along its
leading axis and proves them at once; ``ModelRegistry.verifyInferenceBatch`` checks the proof
once and emits one ``InferenceVerified`` per inference. :func:`prove_batch` checks every input
first (a bad one is named by its index and nothing is proved), then proves the inputs in
chunks of N; a last, partial chunk is padded by repeating its last input, and the proof
records how many of its inferences were asked for (``count``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from aiweb3.errors import InputError, ProofError
from aiweb3.files import atomic_write_text
from aiweb3.jsonlimits import loads_untrusted
from aiweb3.zkml.model import CompiledModel, TensorSpec, _flatten
from aiweb3.zkml.proof import InferenceProof

__all__ = [
    "check_batch_inputs",
    "load_batch_proofs",
    "prove_batch",
    "read_batch_file",
    "save_batch_proofs",
    "split_outputs",
    "stack_inputs",
]


def _per_inference_specs(model: CompiledModel) -> list[TensorSpec]:
    """Each input's shape for one inference (the batch axis as 1)."""
    return [TensorSpec(str(n), (1, *[int(d) for d in s][1:])) for n, s in model.inputs]


def check_batch_inputs(model: CompiledModel, inputs: Sequence[Any]) -> list[list[list[float]]]:
    """Check every inference's inputs against the model; returns them flattened per input tensor.

    Raises:
        InputError: an input does not fit; the message names its index (0-based).
    """
    if model.batch_size < 2:
        raise InputError(
            f"model {model.model_id} is not batched; compile it with a batch size (--batch-size N)"
        )
    if len(inputs) == 0:
        raise InputError("the batch is empty: give at least one input")
    specs = _per_inference_specs(model)
    checked: list[list[list[float]]] = []
    for index, item in enumerate(inputs):
        arrays = [item] if len(specs) == 1 else item
        try:
            if not isinstance(arrays, list) or len(arrays) != len(specs):
                raise InputError(f"{model.name} takes {len(specs)} inputs")
            checked.append([_flatten(s, a, model.name) for s, a in zip(specs, arrays, strict=True)])
        except InputError as exc:
            raise InputError(
                f"batch input {index} is malformed: {exc}; fix it and run the batch again"
            ) from None
    return checked


def prove_batch(
    model: CompiledModel,
    inputs: Sequence[Any],
    *,
    prove: Callable[[Any], InferenceProof] | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> list[InferenceProof]:
    """Prove ``inputs`` (one entry per inference) with the batched ``model``.

    Args:
        model: a model compiled with ``batch_size`` > 1.
        inputs: one array per inference for a one-input model, else a list of arrays each.
        prove: proves one stacked batch (default: ``model.prove``; a hot prover's ``prove`` fits).
        on_progress: called with ``"batch i/k"`` before each proof.

    Returns:
        One proof per chunk of ``model.batch_size`` inferences, in order.

    Raises:
        InputError: an input is malformed (named by index; nothing was proved).
        ProofError: ezkl failed.
    """
    checked = check_batch_inputs(model, inputs)
    size = model.batch_size
    run = prove or model.prove
    chunks = [checked[i : i + size] for i in range(0, len(checked), size)]
    proofs: list[InferenceProof] = []
    for number, chunk in enumerate(chunks, 1):
        if on_progress:
            on_progress(f"batch {number}/{len(chunks)}")
        proof = run(_stacked(model, chunk))
        proof.batch_size, proof.count = size, len(chunk)
        proofs.append(proof)
    return proofs


def stack_inputs(model: CompiledModel, inputs: Sequence[Any]) -> Any:
    """The batched circuit's input for up to ``batch_size`` inferences (padded with the last one).

    Raises:
        InputError: an input is malformed (named by index), or there are too many.
    """
    if len(inputs) > model.batch_size:
        raise InputError(f"{len(inputs)} inferences do not fit one batch of {model.batch_size}")
    return _stacked(model, check_batch_inputs(model, inputs))


def _stacked(model: CompiledModel, chunk: list[list[list[float]]]) -> Any:
    padded = chunk + [chunk[-1]] * (model.batch_size - len(chunk))
    stacked = [[x for one in padded for x in one[i]] for i in range(len(model.inputs))]
    shaped = [_shape(flat, [int(d) for d in s]) for flat, (_n, s) in zip(stacked, model.inputs, strict=True)]
    return shaped[0] if len(shaped) == 1 else shaped


def _shape(flat: list[float], shape: list[int]) -> Any:
    """A flat list as nested lists of ``shape`` (what ``model.prove`` accepts)."""
    import numpy as np

    return np.asarray(flat, dtype=np.float64).reshape(shape).tolist()


def split_outputs(proof: InferenceProof) -> list[list[list[float]]]:
    """The outputs of each inference a batched proof covers (padding left out), per output tensor."""
    size = max(proof.batch_size, 1)
    per = [len(o) // size for o in proof.outputs]
    return [
        [o[i * n : (i + 1) * n] for o, n in zip(proof.outputs, per, strict=True)] for i in range(proof.count)
    ]


def read_batch_file(path: Path) -> list[Any]:
    """Read a JSONL batch file: one inference's input (JSON) per non-empty line.

    Raises:
        InputError: unreadable file, or a line that is not JSON (named by its index).
    """
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputError(f"cannot read batch file {path}: {exc.strerror}") from exc
    items: list[Any] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            value = loads_untrusted(line, what=f"line {number}")
        except InputError:
            raise InputError(
                f"batch input {len(items)} (line {number} of {path}) is not valid JSON; fix it and run again"
            ) from None
        if isinstance(value, dict):
            value = value.get("input", value.get("input_data"))
        items.append(value)
    return items


def save_batch_proofs(proofs: list[InferenceProof], path: Path) -> Path:
    """Write the proofs as one JSONL file (a proof file per line), atomically."""
    atomic_write_text(path, "".join(json.dumps(p.to_json()) + "\n" for p in proofs))
    return path


def load_batch_proofs(path: Path) -> list[InferenceProof]:
    """Read proofs written by :func:`save_batch_proofs` (or a single proof file).

    Raises:
        InputError: the file cannot be read.
        ProofError: a line is not a valid proof file.
    """
    try:
        text = path.read_bytes().decode()
    except OSError as exc:
        raise InputError(f"cannot read proof file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise ProofError(
            f"{path} is not a proof file (not JSON); pass one written by `aiweb3 model prove`"
        ) from None
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) == 1 or text.lstrip().startswith("{\n"):
        return [InferenceProof.load(path)]
    proofs = []
    for number, line in enumerate(lines, 1):
        try:
            data = loads_untrusted(line, what=f"line {number}")
        except InputError as exc:
            raise ProofError(f"line {number} of {path} is not a proof: {exc}") from None
        proofs.append(InferenceProof.from_json(data))
    return proofs
