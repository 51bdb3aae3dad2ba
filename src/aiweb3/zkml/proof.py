"""Proofs of inference: make them, keep them as plain files, verify them.

A proof file (JSON, ``format: aiweb3-proof/1``) holds the model id, the public instances
(field elements: the input commitment if any, then the outputs), the proof bytes and the
outputs dequantized from those instances. Verifying needs only the file and the model: the
compiled model locally (settings, verifying key, SRS) or the model registered on chain.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiweb3.errors import InputError, JSONTooDeep, JSONTooLarge, ProofError
from aiweb3.files import atomic_write_json
from aiweb3.jsonlimits import loads_untrusted
from aiweb3.zkml import _ezkl
from aiweb3.zkml.model import CompiledModel, TensorSpec, ZkmlHome, _flatten
from aiweb3.zkml.ranges import check_input_range
from aiweb3.zkml.srs import file_cid

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from aiweb3.chain import Chain
    from aiweb3.zkml.registry import InferenceCheck, ModelRegistryClient

__all__ = [
    "FIELD_MODULUS",
    "PROOF_FORMAT",
    "InferenceProof",
    "build_proof",
    "dequantize",
    "input_payload",
    "prove",
    "run",
    "verify",
]

PROOF_FORMAT = "aiweb3-proof/1"

#: The BN254 scalar field: every public instance is an element of it.
FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617


def dequantize(felt: int, scale: int) -> float:
    """A fixed-point field element back to a float (negatives wrap around the modulus)."""
    signed = felt - FIELD_MODULUS if felt > FIELD_MODULUS // 2 else felt
    return signed / float(1 << scale)


def _outputs(
    instances: list[int], input_instances: int, shapes: list[list[int]], scales: list[int]
) -> list[Any]:
    values = instances[input_instances:]
    out: list[Any] = []
    pos = 0
    for shape, scale in zip(shapes, scales, strict=True):
        size = 1
        for d in shape:
            size *= int(d)
        out.append([dequantize(v, scale) for v in values[pos : pos + size]])
        pos += size
    if pos != len(values):
        raise ProofError(
            f"the proof has {len(values)} output instances but the model has {pos} outputs; "
            "it was made for another model"
        )
    return out


@dataclass
class InferenceProof:
    """A proof that a committed model produced ``outputs`` on a (private) input.

    Attributes:
        model_id: the model commitment (0x keccak256 of its verifying-key artifact).
        instances: the public instances as integers (input commitment first, if any).
        proof: the proof bytes.
        outputs: the outputs, dequantized from the instances, one flat list per output.
        output_shapes: the shape of each output.
        output_scales: fixed-point scale (bits) of each output.
        input_instances: how many leading instances commit to the input.
    """

    model_id: str
    instances: list[int]
    proof: bytes
    outputs: list[list[float]]
    output_shapes: list[list[int]]
    output_scales: list[int]
    input_instances: int = 0
    created: float = 0.0
    ezkl_version: str = ""
    model: CompiledModel | None = field(default=None, compare=False, repr=False)
    output_commitments: int = 0
    #: the outputs as computed (the prover's copy; with hashed outputs the proof carries only
    #: their Poseidon hash). Never written to the proof file.
    witness_outputs: list[list[float]] | None = field(default=None, compare=False, repr=False)
    #: inferences the proof's circuit covers (1: unbatched; see aiweb3.zkml.batch)
    batch_size: int = 1
    #: of those, how many were asked for (the rest repeat the last input as padding)
    count: int = 1

    @property
    def output_commitment(self) -> str | None:
        """The Poseidon hash of the (single) hashed output as bytes32, or None for public outputs."""
        if self.output_commitments == 0:
            return None
        return "0x" + self.instances[self.input_instances].to_bytes(32, "big").hex()

    @property
    def input_commitment(self) -> str | None:
        """The first input commitment instance as bytes32, or None for a private input."""
        if self.input_instances == 0:
            return None
        return "0x" + self.instances[0].to_bytes(32, "big").hex()

    # -- file form ------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The proof file's JSON data."""
        return {
            "format": PROOF_FORMAT,
            "model_id": self.model_id,
            "instances": [f"0x{v:064x}" for v in self.instances],
            "proof": "0x" + self.proof.hex(),
            "outputs": self.outputs,
            "output_shapes": self.output_shapes,
            "output_scales": self.output_scales,
            "input_instances": self.input_instances,
            **({"output_commitments": self.output_commitments} if self.output_commitments else {}),
            **({"batch_size": self.batch_size, "count": self.count} if self.batch_size > 1 else {}),
            "created": self.created,
            "ezkl_version": self.ezkl_version,
        }

    def save(self, path: Path | str) -> Path:
        """Write the proof file atomically."""
        atomic_write_json(Path(path), self.to_json())
        return Path(path)

    @classmethod
    def from_json(cls, data: Any) -> InferenceProof:
        """Parse proof file data; the outputs must match the instances they claim to come from.

        Raises:
            ProofError: not a proof file, malformed, or outputs that differ from the instances.
        """
        if not isinstance(data, dict) or data.get("format") != PROOF_FORMAT:
            raise ProofError(f"not an aiweb3 proof file (expected format {PROOF_FORMAT!r})")
        try:
            instances = [int(str(v), 16) for v in data["instances"]]
            proof = bytes.fromhex(str(data["proof"]).removeprefix("0x"))
            made = cls(
                model_id=str(data["model_id"]).lower(),
                instances=instances,
                proof=proof,
                outputs=[[float(x) for x in o] for o in data["outputs"]],
                output_shapes=[[int(d) for d in s] for s in data["output_shapes"]],
                output_scales=[int(s) for s in data["output_scales"]],
                input_instances=int(data.get("input_instances", 0)),
                output_commitments=int(data.get("output_commitments", 0)),
                batch_size=int(data.get("batch_size", 1)),
                count=int(data.get("count", 1)),
                created=float(data.get("created", 0.0)),
                ezkl_version=str(data.get("ezkl_version", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProofError(f"the proof file is malformed ({exc}); make the proof again") from exc
        if not 1 <= made.count <= made.batch_size:
            raise ProofError("the proof file's batch count is out of range; it is corrupted")
        if any(not 0 <= v < FIELD_MODULUS for v in instances):
            raise ProofError("the proof file has an instance outside the field; it is corrupted")
        kept = instances[: len(instances) - made.output_commitments]
        claimed = _outputs(kept, made.input_instances, made.output_shapes, made.output_scales)
        if claimed != made.outputs:
            raise ProofError("the outputs in the proof file differ from its proven instances; it was altered")
        return made

    @classmethod
    def load(cls, path: Path | str) -> InferenceProof:
        """Read a proof file.

        Raises:
            InputError: the file cannot be read.
            ProofError: it is not a valid proof file.
        """
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read proof file {path}: {exc.strerror}") from exc
        try:
            data = loads_untrusted(raw, what=str(path))
        except (JSONTooDeep, JSONTooLarge) as exc:
            raise ProofError(f"{exc}; it is not a proof file") from None
        except InputError:
            raise ProofError(
                f"{path} is not a proof file (not JSON); pass one written by `aiweb3 model prove`"
            ) from None
        return cls.from_json(data)

    # -- checks ---------------------------------------------------------------
    def verify(self, model: CompiledModel | None = None, *, home: Path | None = None) -> None:
        """Verify locally against the compiled model (the one that made it by default).

        Raises:
            ProofError: the proof does not verify, or is for another model.
        """
        target = model or self.model
        if target is None:
            if home is None:
                raise ProofError("pass the compiled model (or the aiweb3 home) to verify this proof")
            target = CompiledModel.load(home, self.model_id)
        verify(target, self)

    def verify_onchain(
        self,
        chain: Chain,
        *,
        signer: LocalAccount | None = None,
        registry: ModelRegistryClient | None = None,
        home: Path | None = None,
    ) -> InferenceCheck:
        """Verify against the model registered on chain.

        With a ``signer`` this sends ``verifyInference`` (emitting InferenceVerified); without,
        it calls the ``checkInference`` view. ``registry`` defaults to the system registry of
        ``home`` (or of the home the proof was made in).

        Raises:
            ProofError: the proof does not verify (view call).
            TransactionReverted: unknown or deprecated model, or an invalid proof (transaction).
        """
        from aiweb3.zkml.registry import ModelRegistryClient

        if registry is None:
            where = home or (self.model.home if self.model else None)
            if where is None:
                raise ProofError("pass registry= or home= to find the ModelRegistry")
            registry = ModelRegistryClient.from_home(chain, where)
        if signer is None:
            check = registry.check(self)
            if not check.valid:
                raise ProofError(f"the proof does not verify on chain for model {self.model_id}")
            return check
        return registry.verify(self, signer)

    def ezkl_json(self) -> dict[str, Any]:
        """The proof in ezkl's own JSON form (instances as little-endian hex field elements)."""
        return {
            "instances": [[v.to_bytes(32, "little").hex() for v in self.instances]],
            "proof": list(self.proof),
        }


def _srs_path(model: CompiledModel, srs: Path | None) -> Path:
    if srs is None:
        return model.artifact_path("srs")
    try:
        cid = file_cid(Path(srs))
    except OSError as exc:
        raise InputError(f"cannot read SRS file {srs}: {exc.strerror}") from exc
    model.check_srs(cid)
    return Path(srs)


def prove(
    model: CompiledModel,
    inputs: Any,
    *,
    srs: Path | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> InferenceProof:
    """Run ``model`` on ``inputs`` and prove the result.

    Args:
        model: the compiled model.
        inputs: one array for a one-input model, else a sequence of arrays.
        srs: an SRS file to use instead of the stored one; it must be the one the keys were
            made with.
        on_progress: called with ``"witness"`` then ``"prove"``.

    Raises:
        InputError: the inputs do not fit the model (the message names the expected shape).
        ProofError: ezkl failed (e.g. a corrupted key).
    """
    data = input_payload(model, inputs)
    circuit, pk, srs_file = model.artifact_path("circuit"), model.artifact_path("pk"), _srs_path(model, srs)
    store_root = ZkmlHome(model.home).store.root
    step = on_progress or (lambda _s: None)
    with tempfile.TemporaryDirectory(dir=store_root) as tmp:
        t = Path(tmp)
        (t / "input.json").write_text(json.dumps(data))
        step("witness")
        witness = _ezkl.gen_witness(t / "input.json", circuit, t / "witness.json")
        step("prove")
        _ezkl.prove(t / "witness.json", circuit, pk, t / "proof.json", srs_file)
        raw = json.loads((t / "proof.json").read_text())
    return build_proof(model, raw, witness)


def input_payload(model: CompiledModel, inputs: Any) -> dict[str, Any]:
    """ezkl's input data for one proof of ``model`` (checked against its input shapes).

    Raises:
        InputError: the inputs do not fit the model.
    """
    specs = [TensorSpec(str(n), tuple(int(d) for d in s)) for n, s in model.inputs]
    arrays = [inputs] if len(specs) == 1 else list(inputs)
    if len(arrays) != len(specs):
        raise InputError(f"{model.name} takes {len(specs)} inputs, got {len(arrays)}")
    data = {"input_data": [_flatten(s, a, model.name) for s, a in zip(specs, arrays, strict=True)]}
    settings = json.loads(model.artifact_path("settings").read_text())
    check_input_range(settings, [s.name for s in specs], data["input_data"], model.name)
    return data


def build_proof(model: CompiledModel, raw: dict[str, Any], witness: dict[str, Any]) -> InferenceProof:
    """An :class:`InferenceProof` from ezkl's proof JSON and witness for ``model``."""
    instances = [int.from_bytes(bytes.fromhex(h), "little") for h in raw["instances"][0]]
    shapes = [[int(d) for d in s] for _, s in model.outputs]
    computed = _witness_outputs(witness, model.output_scales)
    hashed = model.options.get("output_visibility") == "hashed"
    return InferenceProof(
        model_id=model.model_id,
        instances=instances,
        proof=bytes.fromhex(str(raw["hex_proof"]).removeprefix("0x")),
        outputs=[] if hashed else _outputs(instances, model.input_instances, shapes, model.output_scales),
        output_shapes=[] if hashed else shapes,
        output_scales=[] if hashed else list(model.output_scales),
        input_instances=model.input_instances,
        created=time.time(),
        ezkl_version=_ezkl.EZKL_VERSION,
        model=model,
        output_commitments=len(shapes) if hashed else 0,
        witness_outputs=computed,
        batch_size=model.batch_size,
        count=model.batch_size,
    )


def _witness_outputs(witness: dict[str, Any], scales: list[int]) -> list[list[float]]:
    return [
        [dequantize(int.from_bytes(bytes.fromhex(str(h)), "little"), scale) for h in out]
        for out, scale in zip(witness["outputs"], scales, strict=True)
    ]


def run(model: CompiledModel, batch: list[Any]) -> list[list[list[float]]]:
    """The circuit's outputs (dequantized) for each input in ``batch``, without proving.

    This is the quantized forward pass a proof would attest (ezkl's witness), e.g. to measure
    the circuit's accuracy against the float model's on a held-out set.

    Raises:
        InputError: an input does not fit the model.
        ProofError: ezkl failed.
    """
    specs = [TensorSpec(str(n), tuple(int(d) for d in s)) for n, s in model.inputs]
    circuit = model.artifact_path("circuit")
    results: list[list[list[float]]] = []
    with tempfile.TemporaryDirectory(dir=ZkmlHome(model.home).store.root) as tmp:
        t = Path(tmp)
        for inputs in batch:
            arrays = [inputs] if len(specs) == 1 else list(inputs)
            if len(arrays) != len(specs):
                raise InputError(f"{model.name} takes {len(specs)} inputs, got {len(arrays)}")
            data = {"input_data": [_flatten(s, a, model.name) for s, a in zip(specs, arrays, strict=True)]}
            (t / "input.json").write_text(json.dumps(data))
            witness = _ezkl.gen_witness(t / "input.json", circuit, t / "witness.json")
            results.append(_witness_outputs(witness, model.output_scales))
    return results


def verify(model: CompiledModel, proof: InferenceProof, *, srs: Path | None = None) -> None:
    """Verify ``proof`` locally against ``model``'s verifying key (``srs``: as for :func:`prove`).

    Raises:
        ProofError: the proof is for another model or does not verify.
    """
    if proof.model_id.lower() != model.model_id.lower():
        raise ProofError(f"the proof is for model {proof.model_id}, not {model.model_id}")
    settings, vk, srs_file = model.artifact_path("settings"), model.artifact_path("vk"), _srs_path(model, srs)
    # one scratch file, not a directory: verification takes milliseconds, so bookkeeping shows
    with tempfile.NamedTemporaryFile(
        "w", suffix=".proof.json", dir=ZkmlHome(model.home).store.root, delete=False
    ) as fh:
        fh.write(json.dumps(proof.ezkl_json()))
    path = Path(fh.name)
    try:
        ok = _ezkl.verify(path, settings, vk, srs_file)
    except ProofError as exc:
        raise ProofError(f"the proof does not verify for model {model.model_id}: {exc}") from exc
    finally:
        path.unlink(missing_ok=True)
    if not ok:
        raise ProofError(f"the proof does not verify for model {model.model_id}")
