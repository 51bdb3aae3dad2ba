"""Verification: a list of named checks and one verdict, never a traceback.

Checks, in order: the sidecar parses; the signature is the creator's; the signing domain is
the trusted chain and registry; the content (the whole file, or a clip's segments with its
Merkle range proof) matches the signed root; and, with a registry, the creator's handle, the
key's status at signing time, manifest revocation and the anchoring.

Signing time: a manifest's ``created`` is the signer's own claim. When the manifest is
anchored, the anchor's block time is a trusted upper bound; a key revoked from time ``T``
is accepted only for manifests anchored before ``T`` (a thief could backdate ``created``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_utils import keccak, to_checksum_address

from aiweb3.crypto.merkle import leaf_hash, merkle_root, root_from_range
from aiweb3.crypto.typed_data import Domain
from aiweb3.errors import AIWeb3Error, ChainError, ContentError, InputError
from aiweb3.jsonlimits import loads_untrusted
from aiweb3.provenance.c2pa_read import C2PA_SUFFIXES, C2paInfo, read_c2pa
from aiweb3.provenance.content import Clip, segment_seconds
from aiweb3.provenance.manifest import SignedManifest, sidecar_path
from aiweb3.provenance.registry import CreatorRegistry
from aiweb3.provenance.segment import segment_leaves, wav_header_matches

__all__ = ["Check", "Report", "verify_file", "verify_signed"]


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass
class Check:
    """One verification step: ``ok`` True (passed), False (failed) or None (not checked)."""

    name: str
    ok: bool | None
    detail: str


@dataclass
class Report:
    """The outcome of verifying one file."""

    path: Path
    kind: str | None = None  # "original", "clip" or "c2pa" (C2PA credentials only)
    checks: list[Check] = field(default_factory=list)
    signed: SignedManifest | None = None
    handle: str | None = None
    segments: tuple[int, int, int] | None = None  # first, last, n
    seconds: tuple[float, float] | None = None
    anchored: tuple[int, int] | None = None  # block, timestamp
    c2pa: C2paInfo | None = None

    @property
    def ok(self) -> bool:
        """True when at least one check ran and none failed."""
        return bool(self.checks) and all(c.ok is not False for c in self.checks)

    @property
    def reason(self) -> str | None:
        """The first failed check's detail."""
        return next((f"{c.name}: {c.detail}" for c in self.checks if c.ok is False), None)

    def add(self, name: str, ok: bool | None, detail: str) -> bool:
        """Record a check; returns ``ok is not False``."""
        self.checks.append(Check(name, ok, detail))
        return ok is not False

    def headline(self) -> str:
        """One line: the verdict."""
        if self.ok and self.kind == "c2pa" and self.c2pa is not None:
            return f"no aiweb3 manifest; {self.c2pa.summary()}"
        if not self.ok or self.signed is None:
            return f"REJECTED: {self.reason or 'nothing could be verified'}"
        m = self.signed.manifest
        mid = "0x" + self.signed.manifest_id.hex()
        who = f"@{self.handle} ({m.creator})" if self.handle else f"{m.creator} (handle not checked)"
        if self.kind == "clip" and self.segments is not None:
            first, last, n = self.segments
            text = f"authentic excerpt of {m.name} (manifest {mid}) by {who}, segments {first}..{last} of {n}"
            if self.seconds is not None:
                text += f", seconds {self.seconds[0]:g}..{self.seconds[1]:g}"
        else:
            text = f"authentic: {m.name} (manifest {mid}) by {who}"
        if self.anchored is not None:
            text += f", anchored at block {self.anchored[0]} ({_when(self.anchored[1])})"
        return text

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "path": str(self.path),
            "ok": self.ok,
            "verdict": self.headline(),
            "kind": self.kind,
            "manifest_id": "0x" + self.signed.manifest_id.hex() if self.signed else None,
            "creator": self.signed.manifest.creator if self.signed else None,
            "handle": self.handle,
            "segments": list(self.segments) if self.segments else None,
            "seconds": list(self.seconds) if self.seconds else None,
            "anchored": {"block": self.anchored[0], "timestamp": self.anchored[1]} if self.anchored else None,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
            "c2pa": self.c2pa.to_json() if self.c2pa else None,
        }


def verify_file(
    path: Path,
    *,
    trust: Domain | None = None,
    registry: CreatorRegistry | Callable[[], CreatorRegistry] | None = None,
    model_registry: str | Callable[[], str | None] | None = None,
    sidecar: Path | None = None,
) -> Report:
    """Verify ``path`` against its sidecar ``path.aiw.json`` (an original or a clip).

    Args:
        sidecar: the manifest or clip proof when it is not beside the file.
        trust: the registry domain this verifier trusts; a manifest signed in another
            domain (another chain or registry) is rejected. Defaults to the registry's domain.
        registry: the on-chain registry, for handles, revocations and anchors (None: offline),
            or a function that returns it: called only when the verdict needs the chain (the
            file has an aiweb3 manifest that parses), never for a file with only C2PA
            credentials or no manifest at all.
        model_registry: the chain's ModelRegistry address (or a function that returns it, called
            only when a claim needs it): an ai-generated claim's inference transaction must carry
            its ``InferenceVerified`` log for the claimed model (None: such claims are reported
            unchecked).
    """
    path = Path(path)
    report = Report(path)
    if not path.is_file():
        report.add("file", False, f"{path} is not a file")
        return report
    c2pa_error = None
    if path.suffix.lower() in C2PA_SUFFIXES:
        try:
            report.c2pa = read_c2pa(path)
        except ContentError as exc:
            c2pa_error = str(exc)
    side = Path(sidecar) if sidecar is not None else sidecar_path(path)
    if not side.exists():
        if report.c2pa is not None:  # C2PA credentials only: report them as the verdict
            report.kind = "c2pa"
            report.add("c2pa", report.c2pa.valid, report.c2pa.summary())
        else:
            why = f"; {c2pa_error}" if c2pa_error else ""
            report.add("manifest", False, f"no aiweb3 manifest beside the file (expected {side.name}){why}")
        return report
    if report.c2pa is not None:  # reported next to ours; ours decides the verdict
        report.add("c2pa", None, report.c2pa.summary())
    try:
        data = loads_untrusted(side.read_bytes(), what=side.name)
        kind = data.get("aiw") if isinstance(data, dict) else None
        if kind == "clip":
            clip = Clip.from_json(data)
            signed, report.kind = clip.source, "clip"
        elif kind == "manifest":
            clip, signed, report.kind = None, SignedManifest.from_json(data), "original"
        else:
            raise ContentError(f"{side.name} is neither an aiweb3 manifest nor a clip proof")
    except FileNotFoundError:
        report.add("manifest", False, f"no aiweb3 manifest beside the file (expected {side.name})")
        return report
    except (ValueError, ContentError) as exc:
        report.add("manifest", False, str(exc))
        return report
    report.signed = signed
    report.add("manifest", True, f"manifest {'0x' + signed.manifest_id.hex()} ({signed.manifest.name})")
    if callable(registry):
        registry = registry()
    if trust is None and registry is not None:
        trust = registry.domain
    if not verify_signed(signed, report, trust):
        return report
    ok = _check_clip(path, clip, report) if clip is not None else _check_original(path, signed, report)
    if not ok:
        return report
    if registry is None:
        report.add("creator", None, "not checked on chain (offline)")
        return report
    try:
        _check_registry(signed, registry, report)
        if callable(model_registry) and any(c.inference_tx for c in signed.manifest.claims):
            model_registry = model_registry()
        _check_inference_claims(
            signed, registry, model_registry if isinstance(model_registry, str) else None, report
        )
    except ChainError as exc:
        report.add("registry", False, f"could not read the registry: {exc}")
    return report


def verify_signed(signed: SignedManifest, report: Report, trust: Domain | None) -> bool:
    """Check the signature and the signing domain; records checks and returns False on failure."""
    m = signed.manifest
    try:
        signer = signed.recover_signer()
    except InputError as exc:
        return report.add("signature", False, str(exc))
    if signer != m.creator:
        return report.add("signature", False, f"made by {signer}, not by the creator {m.creator} it names")
    report.add("signature", True, f"EIP-712 signature by the creator {m.creator}")
    d = signed.domain
    if trust is None:
        return report.add("domain", None, f"{d.describe()} (not compared)")
    if d.name != trust.name or d.version != trust.version:
        return report.add("domain", False, f"signed in domain {d.name!r} v{d.version}, not {trust.name!r}")
    if d.chain_id != trust.chain_id:
        return report.add(
            "domain", False, f"signed for chain {d.chain_id}, but this verifier trusts chain {trust.chain_id}"
        )
    if d.verifying_contract != trust.verifying_contract:
        return report.add(
            "domain",
            False,
            f"signed for registry {d.verifying_contract}, "
            f"but this verifier trusts {trust.verifying_contract}",
        )
    if d != trust:  # the same name, version, chain and registry, but another salt
        return report.add("domain", False, f"signed in domain {d.describe()}, not {trust.describe()}")
    return report.add("domain", True, f"chain {d.chain_id}, registry {d.verifying_contract}")


def _check_original(path: Path, signed: SignedManifest, report: Report) -> bool:
    m = signed.manifest
    try:
        leaves, size, _ = segment_leaves(path, m.scheme, m.params)
    except (ContentError, InputError) as exc:
        return report.add("content", False, str(exc))
    n = len(leaves)
    report.segments = (0, n - 1, m.segments)
    if n != m.segments or size != m.size:
        what = "truncated" if size < m.size else "changed in length"
        return report.add(
            "content",
            False,
            f"file {what}: {size} bytes in {n} segments, "
            f"but {m.size} bytes in {m.segments} segments were signed",
        )
    if "0x" + merkle_root(leaves).hex() != m.content_root:
        return report.add("content", False, _first_bad(signed, leaves))
    if m.scheme == "wav-v1" and not wav_header_matches(path, m.params):
        return report.add(
            "content", False, "the bytes outside the audio samples (header, metadata) were changed"
        )
    report.seconds = segment_seconds(m, 0, n - 1)
    return report.add("content", True, f"all {n} segments match the signed root {m.content_root}")


def _first_bad(signed: SignedManifest, leaves: list[bytes]) -> str:
    m = signed.manifest
    try:
        signed_leaves = [bytes.fromhex(x[2:]) for x in signed.leaves]
    except ValueError:
        signed_leaves = []
    if len(signed_leaves) == m.segments and "0x" + merkle_root(signed_leaves).hex() == m.content_root:
        bad = next(i for i, (a, b) in enumerate(zip(leaves, signed_leaves, strict=True)) if a != b)
        span = segment_seconds(m, bad, bad)
        where = f" (seconds {span[0]:g}..{span[1]:g})" if span else ""
        return f"tampered: segment {bad} of {m.segments}{where} differs from the signed content"
    return "tampered: the content does not match the signed root (the sidecar's segment list is missing)"


def _check_clip(path: Path, clip: Clip, report: Report) -> bool:
    m, proof = clip.source.manifest, clip.proof
    if proof.n != m.segments:
        return report.add(
            "clip", False, f"the proof is for {proof.n} segments, the manifest signed {m.segments}"
        )
    try:
        leaves, _, _ = segment_leaves(path, m.scheme, m.params, span=(proof.first, proof.last))
    except (ContentError, InputError) as exc:
        return report.add("clip", False, str(exc))
    report.segments = (proof.first, proof.last, proof.n)
    want = proof.last - proof.first + 1
    if len(leaves) != want:
        return report.add(
            "clip",
            False,
            f"the clip holds {len(leaves)} segments "
            f"but its proof covers {want} (segments {proof.first}..{proof.last})",
        )
    try:
        root = root_from_range(leaves, proof)
    except InputError as exc:
        return report.add("clip", False, str(exc))
    if "0x" + root.hex() != m.content_root:
        return report.add(
            "clip",
            False,
            f"tampered: the clip is not segments {proof.first}..{proof.last} of the signed original "
            "(a segment was altered, reordered, or the segments are not contiguous)",
        )
    report.seconds = segment_seconds(m, proof.first, proof.last)
    return report.add(
        "clip", True, f"segments {proof.first}..{proof.last} of {proof.n} match the signed root"
    )


def _check_registry(signed: SignedManifest, registry: CreatorRegistry, report: Report) -> None:
    m = signed.manifest
    status = registry.key_status(m.creator)
    if not status.registered:
        report.add("creator", False, f"{m.creator} is not a registered key of any handle")
        return
    report.handle = status.handle
    report.add("creator", True, f"key of @{status.handle}" + ("" if status.current else " (a former key)"))
    anchored_at = _check_anchor(signed, registry, report)
    signed_at = anchored_at if anchored_at is not None else m.created
    basis = (
        f"anchored at {_when(anchored_at)}"
        if anchored_at is not None
        else f"claimed created {_when(m.created)}"
    )
    if status.revoked_since:
        if anchored_at is not None and anchored_at < status.revoked_since:
            report.add("key", True, f"revoked from {_when(status.revoked_since)}, but {basis}, before that")
        else:
            report.add(
                "key",
                False,
                f"key {m.creator} of @{status.handle} is revoked from {_when(status.revoked_since)} and the "
                f"manifest is not anchored before that ({basis})",
            )
            return
    elif status.retired_at and signed_at >= status.retired_at:
        report.add(
            "key",
            False,
            f"key {m.creator} was rotated out at {_when(status.retired_at)}; signed after ({basis})",
        )
        return
    else:
        report.add("key", True, f"not revoked at signing time ({basis})")
    revoked = registry.manifest_revoked_at(status.handle, signed.manifest_id)
    if revoked:
        report.add("revocation", False, f"@{status.handle} revoked this manifest at {_when(revoked)}")
    else:
        report.add("revocation", True, "manifest not revoked")


_INFERENCE_VERIFIED = "0x" + keccak(text="InferenceVerified(bytes32,bytes32,bytes32,address)").hex()


def _check_inference_claims(
    signed: SignedManifest, registry: CreatorRegistry, model_registry: str | None, report: Report
) -> None:
    """An ai-generated claim naming an inference transaction counts only when that transaction's
    receipt holds an ``InferenceVerified`` log emitted by the ModelRegistry for the claimed model
    (checked here, in the client, against the receipt's logs)."""
    for claim in signed.manifest.claims:
        if claim.inference_tx is None:
            continue
        receipt = registry.chain.rpc("eth_getTransactionReceipt", [claim.inference_tx])
        model = f" of model {claim.model_id}" if claim.model_id else ""
        if receipt is None:
            report.add("claim", False, f"the inference transaction {claim.inference_tx} is not on this chain")
            continue
        if int(receipt.get("status", "0x0"), 16) != 1:
            report.add("claim", False, f"the inference transaction {claim.inference_tx} reverted")
            continue
        block = int(receipt["blockNumber"], 16)
        if model_registry is None:
            report.add("claim", None, f"tx {claim.inference_tx} exists; no ModelRegistry given to check it")
            continue
        where = to_checksum_address(model_registry)
        models = [
            str(log["topics"][1])
            for log in receipt.get("logs", [])
            if to_checksum_address(log["address"]) == where
            and len(log["topics"]) == 3
            and log["topics"][0] == _INFERENCE_VERIFIED
        ]
        if claim.model_id is None and models:
            report.add(
                "claim", True, f"ai-generated: inference of model {models[0]} in tx {claim.inference_tx}"
            )
        elif claim.model_id is not None and claim.model_id in models:
            report.add(
                "claim",
                True,
                f"ai-generated: verified inference{model} in tx {claim.inference_tx}, block {block}",
            )
        else:
            report.add(
                "claim",
                False,
                f"tx {claim.inference_tx} holds no InferenceVerified{model} from the ModelRegistry {where}",
            )


def _check_anchor(signed: SignedManifest, registry: CreatorRegistry, report: Report) -> int | None:
    a = signed.anchoring
    if a is None:
        report.add("anchor", None, "not anchored (run `aiweb3 content anchor`)")
        return None
    try:
        root = root_from_range([leaf_hash(signed.manifest_id)], a.proof)
    except (InputError, AIWeb3Error) as exc:
        report.add("anchor", False, f"malformed anchoring proof: {exc}")
        return None
    if "0x" + root.hex() != a.root:
        report.add(
            "anchor", False, "the anchoring proof does not lead from this manifest to the anchored root"
        )
        return None
    # The earliest anchoring of this batch (root and size), whoever made it: a root copied with
    # another size is another batch and cannot stand in for this one.
    record = registry.earliest_anchor(root, a.proof.n)
    if record.block == 0:
        report.add("anchor", False, f"batch root {a.root} of {a.proof.n} is not anchored in this registry")
        return None
    report.anchored = (record.block, record.timestamp)
    report.add("anchor", True, f"anchored at block {record.block}, {_when(record.timestamp)}")
    return record.timestamp
