"""Audits of private models, attested with the Ethereum Attestation Service.

An auditor receives a model's ONNX file from its owner, and:

1. re-derives the model id: compiles the ONNX with the model's recorded circuit settings and
   SRS, makes the verifying key and checks that its artifact's digest *is* the model id
   (:func:`rederive`; anything else is refused);
2. runs that circuit on the auditor's own labelled data and measures accuracy, calibration
   (Brier score, expected calibration error) and, when the data names a group attribute,
   the error rate of each group (:func:`evaluate`);
3. attests model id, ONNX hash, settings hash, the figures and the data set's content id under
   the ``model-audit`` schema, with a validity period (:func:`attest_audit`), on chain or off
   chain (EIP-712). The auditor can revoke it.

Users read the audits of a model (:func:`model_audits`) and count only those by auditors they
trust, still valid and not revoked (:func:`require_audit`, :class:`AuditorTrust`).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from aiweb3.chain import Chain, checksum
from aiweb3.chain.eas import (
    AIWEB3_SCHEMAS,
    Attestation,
    EASClient,
    OffchainAttestation,
    decode_data,
    encode_data,
    schema_uid,
)
from aiweb3.errors import DeploymentError, InputError, ProofError
from aiweb3.files import atomic_write_json
from aiweb3.zkml import _ezkl
from aiweb3.zkml.model import CompiledModel, Model, ZkmlHome, parse_vka

__all__ = [
    "MODEL_AUDIT_SCHEMA",
    "AuditFigures",
    "AuditResult",
    "AuditorTrust",
    "ModelAudit",
    "Rederived",
    "attest_audit",
    "audit_model",
    "audit_report",
    "audit_summary",
    "check_audited",
    "evaluate",
    "load_eval_data",
    "measure",
    "model_audits",
    "offchain_audit",
    "rederive",
    "require_audit",
]

#: The EAS schema string of a model audit (see :data:`aiweb3.chain.eas.AIWEB3_SCHEMAS`).
MODEL_AUDIT_SCHEMA = AIWEB3_SCHEMAS["model-audit"]
PPM = 1_000_000
ECE_BINS = 10


@dataclass(frozen=True)
class Rederived:
    """A model id re-derived from an ONNX file; ``circuit`` stays usable inside ``workdir``."""

    model_id: str
    onnx_sha256: str
    settings_sha256: str
    circuit: Path
    output_scales: list[int]
    input_sizes: list[int]


def _sha256(data: bytes) -> str:
    return "0x" + hashlib.sha256(data).hexdigest()


def rederive(
    home: Path,
    model_id: str,
    onnx_bytes: bytes,
    workdir: Path,
    *,
    settings: Path | None = None,
    srs: Path | None = None,
) -> Rederived:
    """Compile ``onnx_bytes`` with the model's recorded settings and SRS; refuse unless the
    verifying-key artifact's digest equals ``model_id``.

    ``settings`` and ``srs`` default to those recorded when the model was compiled in ``home``
    (the owner hands them to the auditor with the ONNX file otherwise).

    Raises:
        InputError: the digest differs (another model, or other weights), or nothing is recorded.
        ProofError: ezkl failed.
    """
    model_id = model_id.lower()
    Model(onnx_bytes, home=home, name="the ONNX file")  # refuses what is not ONNX, in one line
    if settings is None or srs is None:
        try:
            recorded = CompiledModel.load(home, model_id)
        except ProofError:
            raise InputError(
                f"model {model_id} is not compiled here: pass its circuit settings (--settings) "
                "and SRS (--srs) as the owner recorded them"
            ) from None
        settings = settings or recorded.artifact_path("settings")
        srs = srs or recorded.artifact_path("srs")
    onnx_path, circuit = workdir / "model.onnx", workdir / "network.ezkl"
    onnx_path.write_bytes(onnx_bytes)
    settings_bytes = Path(settings).read_bytes()
    (workdir / "settings.json").write_bytes(settings_bytes)
    _ezkl.compile_circuit(onnx_path, circuit, workdir / "settings.json")
    _ezkl.setup(circuit, workdir / "vk.key", workdir / "pk.key", Path(srs))
    _ezkl.create_vka(workdir / "vk.key", workdir / "settings.json", workdir / "vka.bin", Path(srs))
    digest = "0x" + keccak(b"".join(parse_vka((workdir / "vka.bin").read_bytes()))).hex()
    if digest != model_id:
        raise InputError(
            f"this ONNX file compiles to model {digest}, not {model_id}: it is not the committed "
            "model (other weights or settings); ask the owner for the model's own file"
        )
    info = json.loads(settings_bytes)
    sizes = [spec.size for spec in Model(onnx_bytes, home=home, name="the audited model").inputs]
    return Rederived(
        model_id=digest,
        onnx_sha256=_sha256(onnx_bytes),
        settings_sha256=_sha256(settings_bytes),
        circuit=circuit,
        output_scales=[int(x) for x in info.get("model_output_scales", [])],
        input_sizes=sizes,
    )


@dataclass(frozen=True)
class AuditFigures:
    """What an audit measured on the auditor's data (ratios between 0 and 1)."""

    samples: int
    accuracy: float
    brier: float
    ece: float
    group_attribute: str = ""
    group_errors: dict[str, float] = field(default_factory=dict)


def load_eval_data(path: Path) -> tuple[bytes, list[Any], list[int], dict[str, list[Any]]]:
    """Read an evaluation file: JSON ``{"samples": [...], "labels": [...], "attributes": {name:
    [value per sample]}}`` (attributes optional); returns its bytes, samples, labels, attributes.

    Raises:
        InputError: unreadable, not JSON, or the lists do not line up.
    """
    try:
        raw = Path(path).read_bytes()
        data = json.loads(raw)
    except OSError as exc:
        raise InputError(f"cannot read evaluation data {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise InputError(f"evaluation data {path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("samples"), list):
        raise InputError(f"{path}: expected an object with 'samples' and 'labels' lists")
    samples, labels = data["samples"], data.get("labels")
    if not isinstance(labels, list) or len(labels) != len(samples) or not samples:
        raise InputError(f"{path}: 'labels' must list one class index per sample")
    attributes = data.get("attributes") or {}
    if not isinstance(attributes, dict) or any(
        not isinstance(v, list) or len(v) != len(samples) for v in attributes.values()
    ):
        raise InputError(f"{path}: each attribute must list one value per sample")
    try:
        classes = [int(y) for y in labels]
    except (TypeError, ValueError):
        raise InputError(f"{path}: labels must be class indexes (integers)") from None
    return raw, samples, classes, attributes


def _probabilities(outputs: list[float]) -> np.ndarray:
    """Class probabilities from one output vector (softmax unless it already is a distribution;
    one value: the probability of class 1, squashed with a sigmoid when outside [0, 1])."""
    v = np.asarray(outputs, dtype=np.float64)
    if v.size == 1:
        p = float(v[0]) if 0.0 <= v[0] <= 1.0 else float(1.0 / (1.0 + np.exp(-v[0])))
        return np.array([1.0 - p, p])
    if np.all(v >= 0) and abs(float(v.sum()) - 1.0) < 1e-3:
        return np.asarray(v / v.sum())
    e = np.exp(v - v.max())
    return np.asarray(e / e.sum())


def measure(
    probabilities: list[np.ndarray], labels: list[int], groups: list[Any] | None = None, attribute: str = ""
) -> AuditFigures:
    """Accuracy, multi-class Brier score, expected calibration error (10 bins) and per-group
    error rates from class probabilities and true labels."""
    probs = np.vstack(probabilities)
    y = np.asarray(labels)
    if y.min() < 0 or y.max() >= probs.shape[1]:
        raise InputError(f"labels must be class indexes between 0 and {probs.shape[1] - 1}")
    predicted = probs.argmax(axis=1)
    correct = predicted == y
    onehot = np.eye(probs.shape[1])[y]
    brier = float(((probs - onehot) ** 2).sum(axis=1).mean())
    confidence = probs.max(axis=1)
    bins = np.minimum((confidence * ECE_BINS).astype(int), ECE_BINS - 1)
    ece = sum(
        abs(float(correct[bins == b].mean()) - float(confidence[bins == b].mean())) * int((bins == b).sum())
        for b in range(ECE_BINS)
        if (bins == b).any()
    ) / len(y)
    group_errors: dict[str, float] = {}
    if groups is not None:
        keys = [str(g) for g in groups]
        for key in sorted(set(keys)):
            mask = np.array([k == key for k in keys])
            group_errors[key] = float(1.0 - correct[mask].mean())
    return AuditFigures(len(y), float(correct.mean()), brier, float(ece), attribute, group_errors)


def evaluate(
    derived: Rederived, samples: list[Any], labels: list[int], groups: list[Any] | None, attribute: str
) -> AuditFigures:
    """Run the re-derived circuit (the quantized model a proof attests) on every sample."""
    from aiweb3.zkml.proof import _witness_outputs

    workdir = derived.circuit.parent
    probabilities = []
    for sample in samples:
        flat = [float(x) for x in np.asarray(sample, dtype=np.float64).reshape(-1)]
        if derived.input_sizes and len(flat) != sum(derived.input_sizes):
            raise InputError(f"a sample has {len(flat)} values; the model takes {sum(derived.input_sizes)}")
        (workdir / "input.json").write_text(json.dumps({"input_data": [flat]}))
        witness = _ezkl.gen_witness(workdir / "input.json", derived.circuit, workdir / "witness.json")
        probabilities.append(_probabilities(_witness_outputs(witness, derived.output_scales)[0]))
    return measure(probabilities, labels, groups, attribute)


def _ppm(x: float) -> int:
    return max(0, min(PPM, round(x * PPM)))


@dataclass(frozen=True)
class ModelAudit:
    """One model-audit attestation, decoded."""

    uid: str
    model_id: str
    auditor: str
    time: int
    expiration_time: int
    revocation_time: int
    onnx_hash: str
    settings_hash: str
    dataset_cid: str
    figures: AuditFigures
    offchain: bool = False

    @classmethod
    def from_attestation(cls, att: Attestation, *, offchain: bool = False) -> ModelAudit:
        """Decode an attestation; raises InputError when it is not a model audit."""
        if att.schema != schema_uid(MODEL_AUDIT_SCHEMA):
            raise InputError(f"attestation {att.uid} is of schema {att.schema}, not a model audit")
        v = decode_data(MODEL_AUDIT_SCHEMA, att.data)
        try:
            groups = {str(k): int(x) / PPM for k, x in json.loads(v["groupErrors"] or "{}").items()}
        except (ValueError, AttributeError, TypeError):
            raise InputError(f"attestation {att.uid} has malformed group error rates") from None
        return cls(
            uid=att.uid,
            model_id=str(v["modelId"]),
            auditor=att.attester,
            time=att.time,
            expiration_time=att.expiration_time,
            revocation_time=att.revocation_time,
            onnx_hash=str(v["onnxHash"]),
            settings_hash=str(v["settingsHash"]),
            dataset_cid=str(v["datasetCid"]),
            figures=AuditFigures(
                samples=int(v["samples"]),
                accuracy=int(v["accuracyPpm"]) / PPM,
                brier=int(v["brierPpm"]) / PPM,
                ece=int(v["ecePpm"]) / PPM,
                group_attribute=str(v["groupAttribute"]),
                group_errors=groups,
            ),
            offchain=offchain,
        )

    def problem(self, now: int) -> str | None:
        """Why this audit does not count at ``now`` (revoked or expired), or None."""
        if self.revocation_time:
            return f"the audit by {self.auditor} was revoked"
        if self.expiration_time and self.expiration_time <= now:
            return f"the audit by {self.auditor} expired"
        return None

    def to_json(self) -> dict[str, Any]:
        """As JSON data."""
        return {**self.__dict__, "figures": self.figures.__dict__}


def attest_audit(
    eas: EASClient,
    auditor: LocalAccount,
    derived: Rederived,
    figures: AuditFigures,
    dataset_cid: str,
    *,
    valid_days: float,
    offchain: bool = False,
) -> ModelAudit | OffchainAttestation:
    """Attest an audit under the model-audit schema, valid ``valid_days`` from now; on chain
    (returns the decoded :class:`ModelAudit`) or, with ``offchain``, signed only (returns it)."""
    if valid_days <= 0:
        raise InputError("the validity period must be positive (days)")
    data = encode_data(
        MODEL_AUDIT_SCHEMA,
        {
            "modelId": bytes.fromhex(derived.model_id[2:]),
            "onnxHash": bytes.fromhex(derived.onnx_sha256[2:]),
            "settingsHash": bytes.fromhex(derived.settings_sha256[2:]),
            "datasetCid": dataset_cid,
            "samples": figures.samples,
            "accuracyPpm": _ppm(figures.accuracy),
            "brierPpm": _ppm(figures.brier),
            "ecePpm": _ppm(figures.ece),
            "groupAttribute": figures.group_attribute,
            "groupErrors": json.dumps({k: _ppm(x) for k, x in figures.group_errors.items()}, sort_keys=True),
        },
    )
    schema = schema_uid(MODEL_AUDIT_SCHEMA)
    expires = eas.now() + int(valid_days * 86400)
    if offchain:
        return eas.sign_offchain(auditor, schema, data, expiration_time=expires, when=eas.now())
    uid, _receipt = eas.attest(auditor, schema, data, expiration_time=expires)
    att = eas.get(uid)
    assert att is not None
    return ModelAudit.from_attestation(att)


@dataclass(frozen=True)
class AuditResult:
    """What :func:`audit_model` did: the re-derived hashes, the figures and the attestation."""

    model_id: str
    onnx_sha256: str
    settings_sha256: str
    dataset_cid: str
    figures: AuditFigures
    attestation: ModelAudit | OffchainAttestation


def audit_model(
    home: Path,
    eas: EASClient,
    auditor: LocalAccount,
    model_id: str,
    onnx: Path,
    eval_data: Path,
    *,
    group: str | None = None,
    valid_days: float = 365,
    settings: Path | None = None,
    srs: Path | None = None,
    registered_settings_hash: str | None = None,
    offchain: bool = False,
) -> AuditResult:
    """Audit a model end to end: :func:`rederive` (refused unless the ONNX file compiles to
    ``model_id``), :func:`evaluate` on ``eval_data`` (grouped by attribute ``group`` when
    given), store the data set content-addressed and :func:`attest_audit`.

    ``registered_settings_hash`` (the registry's record) must equal the settings' sha-256.
    """
    try:
        onnx_bytes = Path(onnx).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read ONNX file {onnx}: {exc.strerror}") from None
    raw, samples, labels, attributes = load_eval_data(eval_data)
    if group is not None and group not in attributes:
        known = ", ".join(sorted(attributes)) or "none"
        raise InputError(f"the evaluation data has no attribute {group!r} (it has: {known})")
    with scratch_dir(home) as tmp:
        derived = rederive(home, model_id, onnx_bytes, Path(tmp), settings=settings, srs=srs)
        if registered_settings_hash is not None and registered_settings_hash != derived.settings_sha256:
            raise InputError(
                f"the circuit settings hash {derived.settings_sha256} differs from the registered "
                f"{registered_settings_hash}; use the settings the model was registered with"
            )
        measured = evaluate(derived, samples, labels, attributes.get(group) if group else None, group or "")
    dataset_cid = ZkmlHome(home).store.put_bytes(raw)
    made = attest_audit(
        eas, auditor, derived, measured, dataset_cid, valid_days=valid_days, offchain=offchain
    )
    return AuditResult(
        derived.model_id, derived.onnx_sha256, derived.settings_sha256, dataset_cid, measured, made
    )


def model_audits(eas: EASClient, model_id: str) -> list[ModelAudit]:
    """Every on-chain audit of ``model_id`` (oldest first), revoked and expired ones included."""
    wanted = model_id.lower()
    found = [ModelAudit.from_attestation(a) for a in eas.attestations(schema_uid(MODEL_AUDIT_SCHEMA))]
    return [a for a in found if a.model_id == wanted]


def offchain_audit(eas: EASClient, signed: OffchainAttestation) -> ModelAudit:
    """Verify a signed off-chain audit (signature, UID, domain, schema, on-chain revocation)."""
    return ModelAudit.from_attestation(eas.verify_offchain(signed), offchain=True)


class AuditorTrust:
    """The auditors a user trusts: ``<home>/auditors.json``, address -> label."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / "auditors.json"

    def load(self) -> dict[str, str]:
        """Trusted auditors by checksummed address."""
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except ValueError:
            raise InputError(f"{self.path} is not valid JSON; fix or delete it") from None
        return {checksum(a): str(label) for a, label in data.items()}

    def trust(self, address: str, label: str = "") -> None:
        """Add (or relabel) an auditor."""
        atomic_write_json(self.path, {**self.load(), checksum(address): label})

    def untrust(self, address: str) -> bool:
        """Remove an auditor; False when it was not trusted."""
        current = self.load()
        if current.pop(checksum(address), None) is None:
            return False
        atomic_write_json(self.path, current)
        return True


def require_audit(audits: list[ModelAudit], trusted: dict[str, str], now: int, model_id: str) -> ModelAudit:
    """The latest audit of ``model_id`` that counts: by a trusted auditor, not revoked, not
    expired. Raises InputError naming why none counts (what a requester checks before
    accepting a proof of this model)."""
    mine = [a for a in audits if a.model_id == model_id.lower()]
    if not mine:
        raise InputError(f"model {model_id} has no audit; ask its owner to have it audited")
    by_trusted = [a for a in mine if a.auditor in trusted]
    if not by_trusted:
        names = ", ".join(sorted({a.auditor for a in mine}))
        raise InputError(
            f"model {model_id} is audited only by auditors you do not trust ({names}); "
            "`aiweb3 auditor trust ADDRESS` if you do"
        )
    good = [a for a in by_trusted if a.problem(now) is None]
    if not good:
        raise InputError(f"model {model_id} has no audit that counts: {by_trusted[-1].problem(now)}")
    return max(good, key=lambda a: a.time)


def audit_summary(audits: list[ModelAudit], trusted: dict[str, str], now: int, model_id: str) -> str:
    """``audited by X on D, accuracy A`` for the latest audit that counts, or ``no audit (why)``."""
    try:
        a = require_audit(audits, trusted, now, model_id)
    except InputError as exc:
        return "no audit" if not any(x.model_id == model_id.lower() for x in audits) else f"no audit ({exc})"
    who = trusted.get(a.auditor) or a.auditor
    day = datetime.fromtimestamp(a.time, UTC).strftime("%Y-%m-%d")
    return f"audited by {who} on {day}, accuracy {a.figures.accuracy:.1%} ({a.figures.samples} samples)"


def audit_report(chain: Chain, home: Path, model_id: str) -> tuple[list[dict[str, Any]], str]:
    """The model's on-chain audits as JSON (each with ``trusted`` and ``status``) and the line a
    user sees (:func:`audit_summary` with the trust list of ``home``); ``no audit (...)`` when EAS
    is not deployed."""
    try:
        eas = EASClient.from_home(chain, home)
    except DeploymentError:
        return [], "no audit (EAS is not deployed; run `aiweb3 deploy`)"
    audits = model_audits(eas, model_id)
    trusted = AuditorTrust(home).load()
    now = eas.now()
    rows = [
        {**a.to_json(), "trusted": a.auditor in trusted, "status": a.problem(now) or "valid"} for a in audits
    ]
    return rows, audit_summary(audits, trusted, now, model_id)


def check_audited(chain: Chain, home: Path, model_id: str) -> ModelAudit:
    """The audit that makes ``model_id`` count for the user of ``home`` (trusted auditor, not
    revoked, not expired); raises InputError naming why there is none. A client-side check: a
    requester runs it before posting a proof-gated escrow task or approving a delivery."""
    try:
        eas = EASClient.from_home(chain, home)
    except DeploymentError:
        raise InputError(
            "EAS is not deployed on this chain, so no model is audited; run `aiweb3 deploy`"
        ) from None
    return require_audit(model_audits(eas, model_id), AuditorTrust(home).load(), eas.now(), model_id)


def scratch_dir(home: Path) -> tempfile.TemporaryDirectory[str]:
    """A temporary directory inside the artifact store (same file system as the SRS)."""
    root = ZkmlHome(home).store.root
    root.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=root)
