"""What the verify page and ``POST /api/verify`` can check, one :class:`Verifier` per kind.

Content (a file and its ``.aiw.json`` sidecar, an original or a clip) is the first kind. A new
kind (a zero-knowledge proof, a data-set disclosure) appends a Verifier to ``VERIFIERS``: it
names the form parts it reads, and the first verifier whose ``accepts`` is true answers.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from aiweb3.errors import AIWeb3Error
from aiweb3.provenance import verify_file
from aiweb3.server.services import Services

__all__ = ["VERIFIERS", "ContentVerifier", "ProofVerifier", "Verifier", "upload_parts"]


class Verifier(Protocol):
    """One kind of thing the server verifies."""

    @property
    def name(self) -> str:
        """Short name shown with the verdict."""

    @property
    def parts(self) -> tuple[str, ...]:
        """The multipart parts (files) it reads."""

    def accepts(self, uploads: dict[str, Path]) -> bool:
        """True when these uploads are for this verifier."""

    def verify(self, services: Services, uploads: dict[str, Path], names: dict[str, str]) -> dict[str, Any]:
        """A verdict: ``{"ok", "kind", "verdict", "checks": [{"name", "ok", "detail"}], ...}``."""


@dataclass(frozen=True)
class ContentVerifier:
    """Signed content: ``file`` (an original or a clip) and ``sidecar`` (its FILE.aiw.json)."""

    name: str = "content"
    parts: tuple[str, ...] = ("file", "sidecar")

    def accepts(self, uploads: dict[str, Path]) -> bool:
        """Any upload with a ``file`` part (without a sidecar the verdict says what is missing)."""
        return "file" in uploads

    def verify(self, services: Services, uploads: dict[str, Path], names: dict[str, str]) -> dict[str, Any]:
        """Verify against the chain's CreatorRegistry."""
        path = uploads["file"]
        if "sidecar" in uploads:
            target = path.parent / (path.name + ".aiw.json")
            shutil.move(str(uploads["sidecar"]), str(target))
        report = verify_file(
            path, registry=lambda: services.registry, model_registry=lambda: services.model_registry.address
        )
        out = report.to_json()
        out["path"] = names.get("file", path.name)
        out["verifier"] = self.name
        return out


def _looks_like_proof(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(4096)
    return head.lstrip().startswith(b"{") and b"aiweb3-proof/" in head


@dataclass(frozen=True)
class ProofVerifier:
    """A proof of inference (``aiweb3-proof/1`` JSON) in the ``proof`` part, or dropped as ``file``.

    Checks it locally when the model was compiled on this server, and always against the
    model registered on chain (the ModelRegistry's ``checkInference`` view: no transaction).
    """

    name: str = "proof"
    parts: tuple[str, ...] = ("proof",)

    def accepts(self, uploads: dict[str, Path]) -> bool:
        """A ``proof`` part, or a lone ``file`` that is a proof file."""
        if "proof" in uploads:
            return True
        return "file" in uploads and "sidecar" not in uploads and _looks_like_proof(uploads["file"])

    def verify(self, services: Services, uploads: dict[str, Path], names: dict[str, str]) -> dict[str, Any]:
        """The verdict with one check per step (parse, local, registered, on chain)."""
        from aiweb3.server import modeljobs
        from aiweb3.zkml import audit_report, label_outputs, load_output_labels

        part = "proof" if "proof" in uploads else "file"
        checks: list[dict[str, Any]] = []
        out: dict[str, Any] = {"verifier": self.name, "path": names.get(part, "proof.json"), "checks": checks}
        try:
            proof = modeljobs.proof_of(uploads[part])
        except AIWeb3Error as exc:
            checks.append({"name": "proof file", "ok": False, "detail": str(exc)})
            return {**out, "ok": False, "verdict": f"REJECTED: {exc}"}
        checks.append({"name": "proof file", "ok": True, "detail": f"model {proof.model_id}"})
        out.update(model_id=proof.model_id, outputs=proof.outputs)
        model = modeljobs.load_compiled(services, proof.model_id)
        local: bool | None = None
        if model is None:
            checks.append({"name": "local", "ok": None, "detail": "the model is not compiled on this server"})
        else:
            try:
                model.verify(proof)
                local = True
                checks.append({"name": "local", "ok": True, "detail": "verified with the model's key here"})
            except AIWeb3Error as exc:
                local = False
                checks.append({"name": "local", "ok": False, "detail": str(exc)})
        reg = modeljobs.registry(services)
        try:
            record = reg.get(proof.model_id)
        except AIWeb3Error:
            checks.append({"name": "registered", "ok": False, "detail": "no such model in the ModelRegistry"})
            return {**out, "ok": False, "verdict": f"REJECTED: model {proof.model_id} is not registered"}
        checks.append(
            {
                "name": "registered",
                "ok": not record.deprecated,
                "detail": f"{record.name} owned by {record.owner}"
                + (" (deprecated)" if record.deprecated else ""),
            }
        )
        try:
            onchain = reg.check(proof).valid
            detail = "checkInference accepted the proof" if onchain else "checkInference refused the proof"
        except AIWeb3Error as exc:
            onchain, detail = False, str(exc)
        checks.append({"name": "on chain", "ok": onchain, "detail": detail})
        # informational: who audited the model (the user's trusted auditors), next to the verdict
        audit_line = audit_report(services.chain, services.home, proof.model_id)[1]
        checks.append({"name": "audit", "ok": True if audit_line.startswith("audited by") else None,
                       "detail": audit_line})  # fmt: skip
        ok = onchain and local is not False and not record.deprecated
        outputs = ", ".join(f"{v:.4g}" for v in _flat(proof.outputs))
        prediction = label_outputs(proof.outputs, load_output_labels(services.home, proof.model_id))
        said = f"outputs [{outputs}]"
        if prediction is not None:
            said = f"{prediction['label']} ({prediction['score']:.1%}), logits [{outputs}]"
        verdict = (
            f"verified inference of {record.name} ({proof.model_id[:10]}…): {said}"
            if ok
            else f"REJECTED: the proof does not verify for model {record.name} ({proof.model_id[:10]}…)"
        )
        return {
            **out,
            "ok": ok,
            "verdict": verdict,
            "registered": {"name": record.name, "owner": record.owner},
            "prediction": prediction,
        }


def _flat(values: Any) -> list[float]:
    if isinstance(values, list):
        return [x for v in values for x in _flat(v)]
    return [float(values)]


VERIFIERS: list[Verifier] = [ProofVerifier(), ContentVerifier()]


def upload_parts() -> tuple[str, ...]:
    """Every multipart part some verifier reads."""
    seen: list[str] = []
    for v in VERIFIERS:
        seen += [p for p in v.parts if p not in seen]
    return tuple(seen)
