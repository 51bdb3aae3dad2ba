"""Compile an ONNX model into an ezkl circuit and keys, stored content-addressed.

``Model.from_onnx(path, home=...)`` reads and checks the ONNX file; ``.compile(samples)``
generates settings (inputs private, parameters fixed, outputs public by default),
calibrates them on the samples, compiles the circuit, makes the keys with the SRS for the
circuit's logrows and derives the verifying-key artifact (VKA) of the reusable EVM
verifier. Every artifact goes into the artifact store; a manifest (itself stored) names
them by CID. The model id is the keccak256 digest of the VKA: with fixed parameters the
weights are pinned in the verifying key, so the id *is* the commitment to the model.
Compiling the same model with the same options and samples again reuses the artifacts.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import onnx
from eth_utils import keccak

from aiweb3.errors import InputError, ProofError, StoreError
from aiweb3.files import atomic_write_json, canonical_json
from aiweb3.store import LocalStore
from aiweb3.zkml import _ezkl
from aiweb3.zkml._onnxbatch import symbolic_batch
from aiweb3.zkml.srs import SrsEntry, SrsStore, store_path

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from aiweb3.chain import Chain
    from aiweb3.zkml.proof import InferenceProof
    from aiweb3.zkml.registry import ModelRegistryClient

__all__ = [
    "CompileOptions",
    "CompiledModel",
    "Model",
    "TensorSpec",
    "ZkmlHome",
    "compiled_models",
    "parse_vka",
]

ProgressFn = Callable[[str], None]
InputVisibility = Literal["private", "hashed", "public"]

MANIFEST_FORMAT = "aiweb3-zkml-model/1"


@dataclass(frozen=True)
class ZkmlHome:
    """Where zkml state lives inside an aiweb3 home.

    Args:
        home: the aiweb3 home (``AIWEB3_HOME``); artifacts go to ``home/store``, indexes to
            ``home/zkml``.
    """

    home: Path

    @property
    def store(self) -> LocalStore:
        """The shared content-addressed artifact store."""
        return LocalStore(Path(self.home) / "store")

    @property
    def root(self) -> Path:
        """``<home>/zkml``."""
        return Path(self.home) / "zkml"

    @property
    def srs(self) -> SrsStore:
        """The SRS index."""
        return SrsStore(self.store, self.root / "srs.json")

    def manifest_path(self, model_id: str) -> Path:
        """Where the manifest of a compiled model is indexed."""
        return self.root / "models" / f"{model_id.lower()}.json"

    def compile_index(self, key: str) -> Path:
        """Where a compile cache key points to its model id."""
        return self.root / "compiled" / f"{key}.json"


@dataclass(frozen=True)
class CompileOptions:
    """Circuit choices. The defaults keep a small MLP at logrows ~11.

    Attributes:
        input_visibility: ``private`` (default; nothing about the input is public),
            ``hashed`` (a Poseidon hash of the input becomes a public instance) or ``public``.
        decomp_base, decomp_legs: range-check decomposition; small values keep logrows low.
        max_logrows: calibration may not choose more rows than 2**max_logrows.
        batch_size: inferences one proof covers (the ONNX model's leading axis becomes a
            symbolic batch dimension of this size); 1 is an ordinary, unbatched circuit.
    """

    input_visibility: InputVisibility = "private"
    decomp_base: int = 1024
    decomp_legs: int = 3
    max_logrows: int | None = 17
    output_visibility: Literal["public", "hashed"] = "public"
    scales: tuple[int, ...] | None = None
    batch_size: int = 1

    def cache_options(self) -> dict[str, Any]:
        """The options as they enter the compile cache key (later fields only when not default)."""
        data = asdict(self)
        if data["output_visibility"] == "public":
            del data["output_visibility"]
        if data["scales"] is None:
            del data["scales"]
        else:
            data["scales"] = list(data["scales"])
        if data["batch_size"] == 1:
            del data["batch_size"]
        return data

    def __post_init__(self) -> None:
        if self.input_visibility not in ("private", "hashed", "public"):
            raise InputError(
                f"input visibility must be private, hashed or public, not {self.input_visibility!r}"
            )
        if self.output_visibility not in ("public", "hashed"):
            raise InputError(f"output visibility must be public or hashed, not {self.output_visibility!r}")
        if self.decomp_base < 2 or self.decomp_legs < 1:
            raise InputError("decomp_base must be >= 2 and decomp_legs >= 1")
        if not 1 <= self.batch_size <= 1024:
            raise InputError(f"batch size must be between 1 and 1024, not {self.batch_size}")
        if self.batch_size > 1 and self.input_visibility == "hashed":
            raise InputError(
                "a batched circuit hashes the whole batch's input into one commitment; "
                "use private or public inputs with --batch-size, or batch size 1"
            )


def parse_vka(data: bytes) -> list[bytes]:
    """Split an ezkl VKA file (u64 little-endian word count, then 32-byte words) into words.

    Raises:
        ProofError: the file is not a VKA.
    """
    if len(data) < 8:
        raise ProofError("the verifying-key artifact is truncated; compile the model again")
    count = int.from_bytes(data[:8], "little")
    if len(data) != 8 + 32 * count:
        raise ProofError("the verifying-key artifact is corrupted (bad length); compile the model again")
    return [data[8 + 32 * i : 40 + 32 * i] for i in range(count)]


@dataclass(frozen=True)
class TensorSpec:
    """Name and shape of a model input or output."""

    name: str
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        """Number of elements."""
        return int(np.prod(self.shape)) if self.shape else 1


def _dims(value: onnx.ValueInfoProto) -> tuple[int, ...]:
    dims = value.type.tensor_type.shape.dim
    # a symbolic dimension (dim_param, e.g. a batch axis) is proved with size 1
    return tuple(int(d.dim_value) if d.HasField("dim_value") and d.dim_value > 0 else 1 for d in dims)


class Model:
    """An ONNX model ready to compile.

    Use :meth:`from_onnx`; then :meth:`compile`.
    """

    def __init__(self, onnx_bytes: bytes, *, home: Path, name: str) -> None:
        try:
            proto = onnx.load_from_string(onnx_bytes)
        except Exception as exc:  # onnx raises DecodeError and friends
            raise InputError(f"{name} is not a valid ONNX file: {exc}") from exc
        initializers = {i.name for i in proto.graph.initializer}
        self.name = name
        self.onnx_bytes = onnx_bytes
        self.paths = ZkmlHome(Path(home))
        self.inputs = [TensorSpec(v.name, _dims(v)) for v in proto.graph.input if v.name not in initializers]
        self.outputs = [TensorSpec(v.name, _dims(v)) for v in proto.graph.output]
        self.operators = sorted({n.op_type for n in proto.graph.node})
        if not self.inputs:
            raise InputError(f"{name} has no inputs")

    @classmethod
    def from_onnx(cls, path: Path | str, *, home: Path | str) -> Model:
        """Read an ONNX file.

        Raises:
            InputError: the file is missing or not ONNX.
        """
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read ONNX file {path}: {exc.strerror}") from exc
        return cls(data, home=Path(home), name=path.stem)

    @property
    def onnx_sha256(self) -> str:
        """0x-prefixed sha-256 of the ONNX file (what the registry records)."""
        return "0x" + hashlib.sha256(self.onnx_bytes).hexdigest()

    def input_data(self, inputs: Any) -> list[list[float]]:
        """Check one inference's inputs against the model's shapes; returns them flattened.

        Accepts one array for a one-input model or a sequence of arrays, each of the input's
        shape (a leading batch axis of size 1 may be left out).

        Raises:
            InputError: wrong count, shape or type; the message names the expected shape.
        """
        arrays = [inputs] if len(self.inputs) == 1 else list(inputs)
        if len(arrays) != len(self.inputs):
            raise InputError(f"{self.name} takes {len(self.inputs)} inputs, got {len(arrays)}")
        return [_flatten(spec, value, self.name) for spec, value in zip(self.inputs, arrays, strict=True)]

    def compile(
        self,
        samples: Sequence[Any],
        options: CompileOptions | None = None,
        *,
        on_progress: ProgressFn | None = None,
    ) -> CompiledModel:
        """Compile the circuit and make the keys (reused when already compiled).

        Args:
            samples: representative inputs (each as :meth:`input_data` accepts) for calibration.
            options: circuit choices.
            on_progress: called with the name of each step as it starts.

        Raises:
            InputError: unsupported operators, bad samples.
            ProofError: ezkl failed.
        """
        options = options or CompileOptions()
        if len(samples) == 0:
            raise InputError("pass at least one sample input to calibrate the circuit")
        flat = [self.input_data(s) for s in samples]
        batch = options.batch_size
        if batch > 1:  # calibrate on whole batches: repeat the samples up to a multiple of the batch
            flat = [flat[i % len(flat)] for i in range(-(-len(flat) // batch) * batch)]
        calibration = {"input_data": [[x for s in flat for x in s[i]] for i in range(len(self.inputs))]}
        store, paths = self.paths.store, self.paths
        onnx_cid = store.put_bytes(self.onnx_bytes)
        samples_cid = store.put_bytes(canonical_json(calibration))
        key = hashlib.sha256(
            canonical_json(
                {
                    "onnx": onnx_cid,
                    "samples": samples_cid,
                    "options": options.cache_options(),
                    "ezkl": _ezkl.EZKL_VERSION,
                }
            )
        ).hexdigest()
        cached = self._cached(key)
        if cached is not None:
            if on_progress:
                on_progress("reused")
            return cached

        step = on_progress or (lambda _s: None)
        store.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=store.root) as tmp:
            t = Path(tmp)
            onnx_path, settings, circuit = t / "model.onnx", t / "settings.json", t / "network.ezkl"
            onnx_path.write_bytes(self.onnx_bytes if batch == 1 else symbolic_batch(self.onnx_bytes))
            (t / "calibration.json").write_bytes(canonical_json(calibration))
            step("settings")
            _ezkl.gen_settings(
                onnx_path,
                settings,
                input_visibility=options.input_visibility,
                output_visibility=options.output_visibility,
                param_visibility="fixed",
                decomp_base=options.decomp_base,
                decomp_legs=options.decomp_legs,
                batch_size=batch,
            )
            step("calibrate")
            _ezkl.calibrate(
                t / "calibration.json",
                onnx_path,
                settings,
                max_logrows=options.max_logrows,
                scales=list(options.scales) if options.scales else None,
            )
            step("circuit")
            _ezkl.compile_circuit(onnx_path, circuit, settings)
            info = json.loads(settings.read_text())
            logrows = int(info["run_args"]["logrows"])
            step("srs")
            srs = paths.srs.get(logrows)
            step("setup")
            _ezkl.setup(circuit, t / "vk.key", t / "pk.key", store.path(srs.cid))
            step("vka")
            _ezkl.create_vka(t / "vk.key", settings, t / "vka.bin", store.path(srs.cid))
            vka_bytes = (t / "vka.bin").read_bytes()
            words = parse_vka(vka_bytes)
            compiled = CompiledModel(
                model_id="0x" + keccak(b"".join(words)).hex(),
                name=self.name,
                onnx_cid=onnx_cid,
                onnx_sha256=self.onnx_sha256,
                settings_cid=store.put_file(settings),
                settings_sha256="0x" + hashlib.sha256(settings.read_bytes()).hexdigest(),
                circuit_cid=store.put_file(circuit),
                vk_cid=store.put_file(t / "vk.key"),
                pk_cid=store.put_file(t / "pk.key"),
                vka_cid=store.put_bytes(vka_bytes),
                srs_cid=srs.cid,
                srs_origin=srs.origin,
                logrows=logrows,
                inputs=[[s.name, _batched(s.shape, batch)] for s in self.inputs],
                outputs=[[s.name, _batched(s.shape, batch)] for s in self.outputs],
                output_scales=[int(x) for x in info.get("model_output_scales", [])],
                input_instances=_input_instances(options, self.inputs),
                options=options.cache_options(),
                ezkl_version=_ezkl.EZKL_VERSION,
                created=time.time(),
                home=paths.home,
                batch_size=batch,
            )
        compiled.save()
        atomic_write_json(paths.compile_index(key), {"model_id": compiled.model_id})
        return compiled

    def _cached(self, key: str) -> CompiledModel | None:
        try:
            model_id = json.loads(self.paths.compile_index(key).read_text())["model_id"]
            compiled = CompiledModel.load(self.paths.home, model_id)
        except (OSError, ValueError, KeyError, ProofError, StoreError):
            return None
        current = self.paths.srs.find(compiled.logrows)
        if current is None or current.cid != compiled.srs_cid or not compiled.artifacts_present():
            return None  # the SRS was replaced (e.g. a ceremony file imported): make new keys
        return compiled


def _batched(shape: tuple[int, ...], batch: int) -> list[int]:
    """A tensor's shape in a circuit of ``batch`` inferences (the leading axis is the batch)."""
    return [batch, *shape[1:]] if batch > 1 else list(shape)


def _input_instances(options: CompileOptions, inputs: list[TensorSpec]) -> int:
    if options.input_visibility == "private":
        return 0
    if options.input_visibility == "hashed":
        return len(inputs)
    return sum(s.size for s in inputs)


def _flatten(spec: TensorSpec, value: Any, model: str) -> list[float]:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"input {spec.name!r} of {model} must be numbers of shape {list(spec.shape)}: {exc}"
        ) from exc
    unbatched = spec.shape[1:] if spec.shape[:1] == (1,) else spec.shape
    if array.shape not in (spec.shape, unbatched):
        raise InputError(
            f"input {spec.name!r} of {model} has shape {list(array.shape)}; expected {list(spec.shape)}"
            + (f" (or {list(unbatched)})" if unbatched != spec.shape else "")
        )
    if not np.all(np.isfinite(array)):
        raise InputError(f"input {spec.name!r} of {model} contains NaN or infinity")
    return [float(x) for x in array.reshape(-1)]


@dataclass(frozen=True)
class CompiledModel:
    """A compiled model: its manifest of stored artifacts, and what it can do.

    ``model_id`` is the 0x-prefixed keccak256 of the verifying-key artifact: the model
    commitment and the id it has in the on-chain ModelRegistry.
    """

    model_id: str
    name: str
    onnx_cid: str
    onnx_sha256: str
    settings_cid: str
    settings_sha256: str
    circuit_cid: str
    vk_cid: str
    pk_cid: str
    vka_cid: str
    srs_cid: str
    srs_origin: str
    logrows: int
    inputs: list[list[Any]]
    outputs: list[list[Any]]
    output_scales: list[int]
    input_instances: int
    options: dict[str, Any]
    ezkl_version: str
    created: float
    home: Path = field(compare=False, repr=False)
    #: inferences one proof covers (1: unbatched)
    batch_size: int = 1

    # -- persistence ----------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The manifest as JSON data."""
        data = asdict(self)
        data.pop("home")
        return {"format": MANIFEST_FORMAT, **data}

    def save(self) -> str:
        """Store the manifest (content-addressed) and index it by model id; returns its CID."""
        paths = ZkmlHome(self.home)
        data = self.to_json()
        cid = paths.store.put_bytes(canonical_json(data))
        atomic_write_json(paths.manifest_path(self.model_id), {**data, "manifest_cid": cid})
        return cid

    @classmethod
    def load(cls, home: Path | str, model_id: str) -> CompiledModel:
        """The compiled model with this id.

        Raises:
            ProofError: no such model was compiled in this home.
        """
        path = ZkmlHome(Path(home)).manifest_path(_norm_id(model_id))
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise ProofError(
                f"model {model_id} is not compiled here; compile its ONNX file (`aiweb3 model compile`) "
                "or verify against the registered model (`aiweb3 model verify --onchain`)"
            ) from None
        except ValueError as exc:
            raise ProofError(f"the manifest {path} is corrupted; compile the model again") from exc
        if data.pop("format", None) != MANIFEST_FORMAT:
            raise ProofError(f"{path} is not an aiweb3 model manifest; compile the model again")
        data.pop("manifest_cid", None)
        try:
            return cls(**data, home=Path(home))
        except TypeError as exc:
            raise ProofError(f"the manifest {path} is malformed; compile the model again") from exc

    def artifacts_present(self) -> bool:
        """True when every artifact is in the store."""
        store = ZkmlHome(self.home).store
        cids = (self.settings_cid, self.circuit_cid, self.vk_cid, self.pk_cid, self.vka_cid, self.srs_cid)
        return all(store.has(c) for c in cids)

    # -- artifacts ------------------------------------------------------------
    def artifact_path(self, which: str) -> Path:
        """Path of one stored artifact: settings, circuit, vk, pk, vka, srs or onnx."""
        cid = getattr(self, f"{which}_cid")
        paths = ZkmlHome(self.home)
        if which == "srs":
            return paths.srs.path(cid)
        try:
            return store_path(paths.store, cid)
        except StoreError as exc:
            raise ProofError(f"the {which} of model {self.model_id} is missing; compile it again") from exc

    def vka_words(self) -> list[bytes]:
        """The verifying-key artifact as 32-byte words (what the registry stores)."""
        try:
            data = ZkmlHome(self.home).store.get_bytes(self.vka_cid)
        except StoreError as exc:
            raise ProofError(f"the verifying-key artifact of {self.model_id} is corrupted: {exc}") from exc
        return parse_vka(data)

    def check_srs(self, srs: SrsEntry | str) -> None:
        """Raise ProofError unless ``srs`` is the SRS the keys were made with."""
        cid = srs if isinstance(srs, str) else srs.cid
        if cid != self.srs_cid:
            raise ProofError(
                f"the keys of model {self.model_id} were made with SRS {self.srs_cid}, not {cid}; "
                "use that SRS or compile the model again with this one"
            )

    @property
    def development_srs(self) -> bool:
        """True when the keys rest on a locally generated (forgeable) SRS."""
        return self.srs_origin == "development"

    def input_commitment(self, inputs: Any) -> str:
        """The ``inputCommitment`` a proof on ``inputs`` carries (as InferenceVerified emits it).

        Zero for a private input; for a ``hashed`` input, the Poseidon hash of each quantized
        input (one: as bytes32; several: keccak256 of them). Lets whoever knows the input check
        that a proof is about it.

        Raises:
            InputError: ``public`` inputs (the instances are the input itself) or bad inputs.
        """
        if self.input_instances == 0:
            return "0x" + "00" * 32
        if self.options.get("input_visibility") != "hashed":
            raise InputError("input commitments are computed for hashed inputs only")
        specs = [TensorSpec(str(n), tuple(int(d) for d in s)) for n, s in self.inputs]
        arrays = [inputs] if len(specs) == 1 else list(inputs)
        if len(arrays) != len(specs):
            raise InputError(f"{self.name} takes {len(specs)} inputs, got {len(arrays)}")
        settings = json.loads(self.artifact_path("settings").read_text())
        scales = settings.get("model_input_scales") or [settings["run_args"]["input_scale"]] * len(specs)
        hashes = [
            _ezkl.poseidon_commitment(_flatten(spec, a, self.name), int(scale))
            for spec, a, scale in zip(specs, arrays, scales, strict=True)
        ]
        if len(hashes) == 1:
            return "0x" + hashes[0].to_bytes(32, "big").hex()
        return "0x" + keccak(b"".join(h.to_bytes(32, "big") for h in hashes)).hex()

    # -- proving --------------------------------------------------------------
    def spec(self) -> Model:
        """The ONNX model (from the store), for input checks."""
        store = ZkmlHome(self.home).store
        return Model(store.get_bytes(self.onnx_cid), home=self.home, name=self.name)

    def prove(
        self, inputs: Any, *, srs: Path | None = None, on_progress: ProgressFn | None = None
    ) -> InferenceProof:
        """Run the model on ``inputs`` and prove it; see :func:`aiweb3.zkml.proof.prove`."""
        from aiweb3.zkml.proof import prove

        return prove(self, inputs, srs=srs, on_progress=on_progress)

    def verify(self, proof: InferenceProof, *, srs: Path | None = None) -> None:
        """Verify a proof locally against this model's key; raises ProofError when invalid."""
        from aiweb3.zkml.proof import verify

        verify(self, proof, srs=srs)

    # -- on chain -------------------------------------------------------------
    def register(
        self,
        chain: Chain,
        signer: LocalAccount,
        *,
        registry: ModelRegistryClient | None = None,
        name: str | None = None,
        metadata_uri: str = "",
        price: int = 0,
    ) -> str:
        """Register the model in the ModelRegistry (the signer becomes its owner); returns its id.

        ``registry`` defaults to the system ModelRegistry deployed from this home.
        """
        from aiweb3.zkml.registry import ModelRegistryClient

        client = registry or ModelRegistryClient.from_home(chain, self.home)
        return client.register(self, signer, name=name or self.name, metadata_uri=metadata_uri, price=price)


def compiled_models(home: Path | str) -> list[CompiledModel]:
    """Every model compiled in this home, oldest first."""
    folder = ZkmlHome(Path(home)).root / "models"
    found = [CompiledModel.load(home, p.stem) for p in sorted(folder.glob("0x*.json"))]
    return sorted(found, key=lambda m: m.created)


def _norm_id(model_id: str) -> str:
    text = model_id.lower()
    if not text.startswith("0x") or len(text) != 66:
        raise InputError(f"{model_id!r} is not a model id (0x followed by 64 hex digits)")
    try:
        bytes.fromhex(text[2:])
    except ValueError:
        raise InputError(f"{model_id!r} is not a model id (0x followed by 64 hex digits)") from None
    return text
