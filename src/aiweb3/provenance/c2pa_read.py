"""Read and validate C2PA manifests (content credentials) embedded in JPEG, PNG and MP4 files.

Uses ``c2pa-python`` (the C2PA reference SDK); only this module imports it. The SDK checks the
claim signature and the hashes of the asset; it does not fetch anything here (OCSP is skipped
offline). A signing certificate not on a C2PA trust list is reported, not treated as tampering:
the state is then ``Valid`` rather than ``Trusted``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiweb3.errors import ContentError, InputError

__all__ = ["C2PA_SUFFIXES", "C2paInfo", "read_c2pa"]

#: File name suffixes whose embedded C2PA data is read.
C2PA_SUFFIXES = (".jpg", ".jpeg", ".png", ".mp4", ".m4v", ".mov")
_UNTRUSTED = "signingCredential.untrusted"
_AI_SOURCES = ("trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia", "algorithmicMedia")


@dataclass(frozen=True)
class C2paInfo:
    """The active C2PA manifest of a file and its validation.

    Attributes:
        state: the SDK's validation state: ``Trusted``, ``Valid`` or ``Invalid``.
        title: the manifest's title.
        generator: the claim generator (the tool that signed).
        signer: the signing certificate's subject (``common name, issuer``).
        actions: the recorded actions (``c2pa.created``, ``c2pa.edited``, ...).
        ai_generated: an action names an AI ``digitalSourceType``.
        failures: ``(code, explanation)`` of every failed check except an untrusted certificate.
        trusted_signer: False when the certificate is not on a trust list.
        manifests: how many manifests the store holds (edits add ingredients' manifests).
    """

    state: str
    title: str
    generator: str
    signer: str
    actions: tuple[str, ...]
    ai_generated: bool
    failures: tuple[tuple[str, str], ...]
    trusted_signer: bool
    manifests: int

    @property
    def valid(self) -> bool:
        """The signature and the asset hashes check out (trusted or not)."""
        return self.state in ("Valid", "Trusted") and not self.failures

    def summary(self) -> str:
        """One line for people."""
        who = self.signer + ("" if self.trusted_signer else " (certificate not on a C2PA trust list)")
        head = f"C2PA {self.state}: {self.title or 'untitled'} signed by {who} with {self.generator}"
        if self.actions:
            head += f"; actions {', '.join(self.actions)}"
        if self.ai_generated:
            head += "; AI-generated"
        if self.failures:
            head += "; failed: " + "; ".join(f"{code} ({text})" for code, text in self.failures)
        return head

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "state": self.state,
            "valid": self.valid,
            "title": self.title,
            "generator": self.generator,
            "signer": self.signer,
            "trusted_signer": self.trusted_signer,
            "actions": list(self.actions),
            "ai_generated": self.ai_generated,
            "failures": [list(f) for f in self.failures],
            "manifests": self.manifests,
        }


def read_c2pa(path: Path) -> C2paInfo | None:
    """The C2PA credentials embedded in ``path``, or None when it carries none.

    Raises:
        InputError: the file does not exist.
        ContentError: the file cannot be parsed as its format.
    """
    import c2pa  # imported lazily: a native library only this feature needs

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        reader = c2pa.Reader.try_create(str(path))
        if reader is None:
            return None
        try:
            store = json.loads(reader.json())
            state = reader.get_validation_state() or "Invalid"
        finally:
            reader.close()
    except c2pa.C2paError as exc:
        raise ContentError(f"{path.name}: C2PA data could not be read ({exc})") from None
    return _info(store, state)


def _info(store: dict[str, Any], state: str) -> C2paInfo:
    manifests = store.get("manifests") or {}
    active = manifests.get(store.get("active_manifest") or "", {})
    generators = active.get("claim_generator_info") or []
    generator = ", ".join(str(g.get("name", "?")) for g in generators) or str(
        active.get("claim_generator", "?")
    )
    sig = active.get("signature_info") or {}
    signer = ", ".join(str(sig[k]) for k in ("common_name", "issuer") if sig.get(k)) or "unknown signer"
    actions: list[str] = []
    ai = False
    for assertion in active.get("assertions") or []:
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in (assertion.get("data") or {}).get("actions") or []:
                actions.append(str(action.get("action", "?")))
                ai |= str(action.get("digitalSourceType", "")).rsplit("/", 1)[-1] in _AI_SOURCES
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    failed = results.get("failure") or store.get("validation_status") or []
    codes = [(str(f.get("code")), str(f.get("explanation", ""))) for f in failed]
    return C2paInfo(
        state=state,
        title=str(active.get("title", "")),
        generator=generator,
        signer=signer,
        actions=tuple(actions),
        ai_generated=ai,
        failures=tuple(c for c in codes if c[0] != _UNTRUSTED),
        trusted_signer=all(c[0] != _UNTRUSTED for c in codes),
        manifests=len(manifests),
    )
