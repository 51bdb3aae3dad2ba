"""One flow for every classifier use case: salted model, registration, proofs, on-chain checks, audit.

A use case is a trained ONNX classifier (committed under ``examples/private``) and a JSON file
with its held-out split (the identity code model reuses :func:`compile_usecase` and
:func:`ensure_registered` in :mod:`aiweb3.usecases.identity`). :func:`run_usecase`:

1. salts the model (:func:`aiweb3.private.salt_onnx`) and compiles it with a hashed input, so
   every proof publishes ``Poseidon(record ‖ salt)``;
2. registers it in the ModelRegistry (the model owner's account) unless it already is;
3. for each subject (patient, applicant, claim) draws a fresh salt, scores the record, proves
   it, verifies the proof locally and on chain (``verifyInference``, from the subject's account);
4. opens each commitment to the auditor (record + salt) and checks the opening;
5. reads the audit trail back from the chain: one model id, one event per decision.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from aiweb3.errors import InputError, TransactionReverted
from aiweb3.private.salted import (
    SALT_BITS,
    SALT_SLOTS,
    Opening,
    check_opening,
    new_salt,
    salt_onnx,
    salted_input,
)
from aiweb3.zkml import (
    CompiledModel,
    CompileOptions,
    InferenceProof,
    Model,
    ModelRegistryClient,
    VerifiedInference,
    audit,
    run,
    save_output_labels,
)

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from aiweb3.chain import Chain

__all__ = [
    "Accuracy",
    "Decision",
    "UseCase",
    "UseCaseReport",
    "compile_usecase",
    "ensure_registered",
    "evaluate",
    "run_usecase",
]

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "private"
CALIBRATION_SAMPLES = 12


@dataclass(frozen=True)
class UseCase:
    """A use case's files and wording.

    Attributes:
        name: ``medical``, ``credit`` or ``insurance``.
        subject: what one record is (``patient``, ``applicant``, ``claim``).
        decision: the labels of the classes, in output order.
        subjects: how many records ``aiweb3 usecase`` scores (one subject account each).
        kind: ``classifier`` (run by :func:`run_usecase`) or ``code`` (the model outputs
            projections whose signs are a code: :func:`aiweb3.usecases.identity.run_identity`).
    """

    name: str
    subject: str
    decision: tuple[str, ...]
    subjects: int = 1
    folder: Path = EXAMPLES
    kind: Literal["classifier", "code"] = "classifier"

    def require(self, kind: str) -> None:
        """Raise InputError unless the use case is of ``kind``."""
        if self.kind != kind:
            raise InputError(f"the {self.name} use case is a {self.kind} use case, not a {kind} one")

    @property
    def onnx_path(self) -> Path:
        """The trained (unsalted) model."""
        return self.folder / f"{self.name}.onnx"

    @property
    def data(self) -> dict[str, Any]:
        """Features, standardization and the held-out split."""
        try:
            return dict(json.loads((self.folder / f"{self.name}.json").read_text()))
        except OSError as exc:
            raise InputError(f"the {self.name} use case's data file is missing: {exc.strerror}") from exc

    @property
    def accuracy_path(self) -> Path:
        """The committed accuracy table (float vs circuit)."""
        return self.folder / f"{self.name}_accuracy.json"


def calibration_salt(i: int) -> list[int]:
    """Fixed salts for calibration (so compiling twice reuses the keys), spread over the range."""
    top = (1 << SALT_BITS) - 1
    return [(top - 7919 * (i * SALT_SLOTS + j)) % (1 << SALT_BITS) for j in range(SALT_SLOTS)]


def compile_usecase(
    case: UseCase, home: Path, *, on_progress: Callable[[str], None] | None = None
) -> CompiledModel:
    """The use case's salted model, compiled with a hashed input (reused when compiled before)."""
    salted = salt_onnx(case.onnx_path.read_bytes())
    test_x = case.data["test_x"]
    samples = [salted_input(x, calibration_salt(i)) for i, x in enumerate(test_x[:CALIBRATION_SAMPLES])]
    model = Model(salted, home=home, name=f"{case.name}-salted")
    compiled = model.compile(samples, CompileOptions(input_visibility="hashed"), on_progress=on_progress)
    if case.kind == "classifier":
        save_output_labels(home, compiled.model_id, case.decision)
    return compiled


@dataclass(frozen=True)
class Accuracy:
    """Held-out accuracy of the float model (onnxruntime) and of the circuit (ezkl's witness)."""

    use_case: str
    samples: int
    float_accuracy: float
    circuit_accuracy: float
    agreement: float

    @property
    def loss_points(self) -> float:
        """Accuracy lost to quantization, in percentage points."""
        return 100.0 * (self.float_accuracy - self.circuit_accuracy)

    def to_json(self) -> dict[str, Any]:
        """As JSON data."""
        return {
            "use_case": self.use_case,
            "samples": self.samples,
            "float_accuracy": round(self.float_accuracy, 4),
            "circuit_accuracy": round(self.circuit_accuracy, 4),
            "agreement": round(self.agreement, 4),
            "loss_points": round(self.loss_points, 2),
        }


def evaluate(case: UseCase, model: CompiledModel, *, limit: int | None = None) -> Accuracy:
    """Accuracy on the held-out split: the float ONNX model versus the compiled circuit."""
    import onnxruntime as ort

    case.require("classifier")
    data = case.data
    x = np.asarray(data["test_x"], dtype=np.float32)[:limit]
    y = np.asarray(data["test_y"], dtype=np.int64)[:limit]
    session = ort.InferenceSession(str(case.onnx_path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    float_pred = np.asarray([np.argmax(session.run(None, {name: row[None, :]})[0]) for row in x])
    zero = [0] * SALT_SLOTS
    circuit = run(model, [salted_input(row.tolist(), zero) for row in x])
    circuit_pred = np.asarray([int(np.argmax(out[0])) for out in circuit])
    return Accuracy(
        use_case=case.name,
        samples=len(y),
        float_accuracy=float((float_pred == y).mean()),
        circuit_accuracy=float((circuit_pred == y).mean()),
        agreement=float((float_pred == circuit_pred).mean()),
    )


def ensure_registered(
    case: UseCase | str,
    model: CompiledModel,
    registry: ModelRegistryClient,
    owner: LocalAccount,
    *,
    name: str | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> bool:
    """Register ``model`` from ``owner`` unless the registry knows it; True when registered now.

    ``case`` (a use case or its name) names the registration, unless ``name`` is given.
    """
    case_name = case if isinstance(case, str) else case.name
    try:
        registry.get(model.model_id)
        return False
    except TransactionReverted as exc:
        if exc.error_name != "UnknownModel":
            raise
    if on_progress:
        on_progress("register")
    registry.register(
        model, owner, name=name or f"aiweb3 {case_name} use case", metadata_uri=f"aiweb3:usecase/{case_name}"
    )
    return True


@dataclass
class Decision:
    """One scored subject: the proof, the salted opening, the on-chain record."""

    index: int
    label: str
    outputs: list[float]
    proof: InferenceProof
    opening: Opening
    tx_hash: str
    gas_used: int
    caller: str


@dataclass
class UseCaseReport:
    """What :func:`run_usecase` did."""

    case: UseCase
    model: CompiledModel
    registry: str
    owner: str
    newly_registered: bool
    decisions: list[Decision] = field(default_factory=list)
    trail: list[VerifiedInference] = field(default_factory=list)

    def same_model_for_all(self) -> bool:
        """Every decision was verified on chain against this one registered model id."""
        mine = {d.tx_hash for d in self.decisions}
        seen = {t.tx_hash for t in self.trail if t.model_id == self.model.model_id}
        return bool(mine) and mine <= seen


def run_usecase(
    case: UseCase,
    *,
    home: Path,
    chain: Chain,
    owner: LocalAccount,
    subjects: list[LocalAccount],
    indices: list[int] | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> UseCaseReport:
    """Run the use case end to end (see the module docstring); one subject account per record."""
    case.require("classifier")
    step = on_progress or (lambda _s: None)
    model = compile_usecase(case, home, on_progress=step)
    registry = ModelRegistryClient.from_home(chain, home)
    newly = ensure_registered(case, model, registry, owner, on_progress=step)
    record = registry.get(model.model_id)
    report = UseCaseReport(case, model, registry.address, record.owner, newly)
    test_x = case.data["test_x"]
    for n, subject in enumerate(subjects):
        index = indices[n] if indices else n
        features = [float(v) for v in test_x[index]]
        salt = new_salt()
        step("prove")
        proof = model.prove(salted_input(features, salt))
        proof.verify()
        step("verify on chain")
        check = proof.verify_onchain(chain, signer=subject, registry=registry)
        opening = Opening(model.model_id, features, salt, check.input_commitment)
        check_opening(model, proof, opening, verify_proof=False)
        scores = proof.outputs[0]
        report.decisions.append(
            Decision(
                index=index,
                label=case.decision[int(np.argmax(scores))],
                outputs=scores,
                proof=proof,
                opening=opening,
                tx_hash=str(check.tx_hash),
                gas_used=int(check.gas_used or 0),
                caller=str(check.caller),
            )
        )
    report.trail = audit(registry, model.model_id)
    return report
