"""The split-inference use case: the patient proves the preprocessing, the operator the diagnosis.

The models are trained on scikit-learn's breast-cancer data by ``examples/private/train_split.py``
(committed ONNX + ``split.json``): the patient's open preprocessing maps the 30 standardized
measurements to 4 features; the operator's proprietary model maps the features to a diagnosis.
:func:`run_split` (``aiweb3 usecase split``):

1. compiles both circuits (preprocessing: hashed output; operator: hashed input; same scale at
   the boundary) and registers both in the ModelRegistry unless they are registered;
2. the patient proves the preprocessing on a held-out record and hands the operator the proof
   and the 4 features only (:func:`aiweb3.private.split.user_prove`);
3. the operator checks that proof, proves its model on the features and checks the link
   (:func:`aiweb3.private.split.operator_prove`);
4. the patient verifies both proofs and the link locally (:func:`check_link`) and on chain in one
   transaction (``SplitVerifier.verifySplit``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aiweb3.errors import InputError
from aiweb3.files import atomic_write_json
from aiweb3.private.split import (
    FeatureHandoff,
    SplitResult,
    SplitVerifierClient,
    check_link,
    operator_prove,
    user_prove,
)
from aiweb3.usecases.flow import EXAMPLES, Accuracy, ensure_registered
from aiweb3.zkml import CompiledModel, CompileOptions, Model, ModelRegistryClient, run

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from aiweb3.chain import Chain

__all__ = [
    "DIAGNOSIS",
    "SPLIT",
    "SplitFiles",
    "SplitReport",
    "compile_operator",
    "compile_pre",
    "evaluate_split",
    "float_features",
    "run_split",
    "split_verifier",
]

#: the name of the use case (``aiweb3 usecase split``)
SPLIT = "split"
#: the operator model's output classes, in order
DIAGNOSIS = ("malignant", "benign")
#: the fixed-point scale at the boundary (preprocessing output = operator input)
SCALES = (6,)
CALIBRATION_SAMPLES = 12


@dataclass(frozen=True)
class SplitFiles:
    """Where the split example's models, data and accuracy table are."""

    folder: Path = EXAMPLES

    @property
    def pre(self) -> Path:
        """The patient's preprocessing (30 -> 4)."""
        return self.folder / "split_pre.onnx"

    @property
    def operator(self) -> Path:
        """The operator's model (4 -> 2 scores)."""
        return self.folder / "split_operator.onnx"

    @property
    def other(self) -> Path:
        """Another preprocessing of the same shapes (for rejection tests)."""
        return self.folder / "split_pre_other.onnx"

    @property
    def accuracy_path(self) -> Path:
        """The committed accuracy table of the chained pipeline (float vs circuit)."""
        return self.folder / "split_accuracy.json"

    @property
    def data(self) -> dict[str, Any]:
        """Dataset, feature names, standardization, the held-out split, reconstruction errors."""
        try:
            return dict(json.loads((self.folder / "split.json").read_text()))
        except OSError as exc:
            raise InputError(f"the split use case's data file is missing: {exc.strerror}") from exc


def _calibration(files: SplitFiles) -> list[list[float]]:
    return [[float(v) for v in r] for r in files.data["test_x"][:CALIBRATION_SAMPLES]]


def float_features(onnx_path: Path, rows: list[list[float]]) -> list[list[float]]:
    """A preprocessing model's float features (onnxruntime) for each record."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    x = np.asarray(rows, dtype=np.float32)
    return [session.run(None, {"x": row[None, :]})[0][0].tolist() for row in x]


def compile_pre(
    home: Path,
    *,
    files: SplitFiles | None = None,
    onnx_path: Path | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> CompiledModel:
    """A preprocessing model (default the patient's), compiled with a hashed output (reused)."""
    files = files or SplitFiles()
    options = CompileOptions(output_visibility="hashed", scales=SCALES)
    model = Model.from_onnx(onnx_path or files.pre, home=home)
    return model.compile(_calibration(files), options, on_progress=on_progress)


def compile_operator(
    home: Path, *, files: SplitFiles | None = None, on_progress: Callable[[str], None] | None = None
) -> CompiledModel:
    """The operator's model, compiled with a hashed input, calibrated on features (reused)."""
    files = files or SplitFiles()
    samples = float_features(files.pre, _calibration(files))
    options = CompileOptions(input_visibility="hashed", scales=SCALES)
    return Model.from_onnx(files.operator, home=home).compile(samples, options, on_progress=on_progress)


def evaluate_split(
    pre: CompiledModel, operator: CompiledModel, *, files: SplitFiles | None = None, limit: int | None = None
) -> Accuracy:
    """Held-out accuracy of the chained pipeline: float (onnxruntime) versus circuits (ezkl witness).

    The circuit path is what the two proofs attest: the preprocessing circuit's dequantized
    features feed the operator's circuit.
    """
    import onnxruntime as ort

    files = files or SplitFiles()
    data = files.data
    rows = [[float(v) for v in r] for r in data["test_x"][:limit]]
    y = np.asarray(data["test_y"], dtype=np.int64)[:limit]
    session = ort.InferenceSession(str(files.operator), providers=["CPUExecutionProvider"])
    float_pred = np.asarray(
        [
            int(np.argmax(session.run(None, {"x": np.asarray([f], dtype=np.float32)})[0]))
            for f in float_features(files.pre, rows)
        ]
    )
    features = [out[0] for out in run(pre, rows)]
    circuit_pred = np.asarray([int(np.argmax(out[0])) for out in run(operator, features)])
    return Accuracy(
        use_case=SPLIT,
        samples=len(y),
        float_accuracy=float((float_pred == y).mean()),
        circuit_accuracy=float((circuit_pred == y).mean()),
        agreement=float((float_pred == circuit_pred).mean()),
    )


def split_verifier(chain: Chain, signer: LocalAccount, home: Path, registry: str) -> SplitVerifierClient:
    """The home's SplitVerifier on this chain for ``registry`` (deployed on first use, then reused)."""
    record = Path(home) / "usecases" / f"split-verifier-{chain.chain_id}.json"
    try:
        known = json.loads(record.read_text())
        if known["registry"].lower() == registry.lower() and chain.code(known["address"]):
            return SplitVerifierClient(chain, known["address"])
    except (OSError, ValueError, KeyError):
        pass
    verifier = SplitVerifierClient.deploy(chain, signer, registry)
    atomic_write_json(record, {"address": verifier.address, "registry": registry})
    return verifier


@dataclass
class SplitReport:
    """What :func:`run_split` did."""

    pre: CompiledModel
    operator: CompiledModel
    registry: str
    verifier: str
    newly_registered: bool
    index: int
    truth: str
    handoff: FeatureHandoff
    result: SplitResult
    diagnosis: str
    scores: list[float]
    tx_hash: str
    gas_used: int


def run_split(
    *,
    home: Path,
    chain: Chain,
    owner: LocalAccount,
    patient: LocalAccount,
    index: int = 0,
    files: SplitFiles | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> SplitReport:
    """Run the split use case end to end on held-out record ``index`` (see the module docstring).

    Raises:
        InputError: ``index`` is not a held-out record.
        ProofError: a proof or the link does not verify.
        TransactionReverted: the on-chain check failed (``LinkMismatch``, ``InvalidProof``).
    """
    step = on_progress or (lambda _s: None)
    files = files or SplitFiles()
    data = files.data
    if not 0 <= index < len(data["test_x"]):
        raise InputError(f"record {index} is not a held-out record (0..{len(data['test_x']) - 1})")
    pre = compile_pre(home, files=files, on_progress=step)
    operator = compile_operator(home, files=files, on_progress=step)
    registry = ModelRegistryClient.from_home(chain, home)
    newly = False
    for model, role in ((pre, "preprocessing"), (operator, "diagnosis")):
        named = f"aiweb3 split use case: {role}"
        newly = ensure_registered(SPLIT, model, registry, owner, name=named, on_progress=step) or newly
    step("deploy split verifier")
    verifier = split_verifier(chain, owner, home, registry.address)

    raw = [float(v) for v in data["test_x"][index]]  # stays in the patient's process
    step("patient proves")
    handoff = user_prove(pre, raw)
    step("operator proves")
    result = operator_prove(operator, handoff, pre=pre)  # sees the handoff only
    step("verify link")
    check_link(pre, operator, result.pre_proof, result.proof)
    step("verify on chain")
    tx_hash, gas = verifier.verify(result, patient)
    scores = [float(v) for v in result.proof.outputs[0]]
    return SplitReport(
        pre=pre,
        operator=operator,
        registry=registry.address,
        verifier=verifier.address,
        newly_registered=newly,
        index=index,
        truth=DIAGNOSIS[int(data["test_y"][index])],
        handoff=handoff,
        result=result,
        diagnosis=DIAGNOSIS[int(np.argmax(scores))],
        scores=scores,
        tx_hash=tx_hash,
        gas_used=gas,
    )
