"""Signing files and cutting verifiable clips of them."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from aiweb3.crypto.merkle import MerkleTree, RangeProof, merkle_root, root_from_range, sub_range_proof
from aiweb3.crypto.typed_data import Domain
from aiweb3.errors import ContentError, InputError
from aiweb3.files import atomic_write_json
from aiweb3.provenance.manifest import Claim, Manifest, SignedManifest, sidecar_path
from aiweb3.provenance.segment import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_SEGMENT_SECONDS,
    segment_file,
    segment_leaves,
    write_clip,
)

__all__ = ["Clip", "clip_file", "segment_range", "segment_seconds", "sign_file"]


def sign_file(
    path: Path,
    signer: LocalAccount,
    domain: Domain,
    *,
    claims: tuple[Claim, ...] = (),
    parents: tuple[str, ...] = (),
    scheme: str | None = None,
    segment_seconds: float = DEFAULT_SEGMENT_SECONDS,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    created: int | None = None,
    write_sidecar: bool = True,
) -> SignedManifest:
    """Segment, hash and sign ``path``; writes ``FILE.aiw.json`` unless told not to.

    Args:
        domain: the CreatorRegistry domain (chain id + registry address) to sign in.
        claims: captured / edited / ai-generated claims.
        parents: manifest ids this content was edited from.
    """
    path = Path(path)
    seg = segment_file(path, scheme=scheme, segment_seconds=segment_seconds, chunk_size=chunk_size)
    manifest = Manifest.for_content(
        seg, name=path.name, creator=signer.address, claims=claims, parents=parents, created=created
    )
    signed = manifest.sign(signer, domain).with_leaves(seg.leaves)
    if write_sidecar:
        signed.save(sidecar_path(path))
    return signed


def _hls_bounds(manifest: Manifest) -> list[float]:
    bounds = [0.0]
    for d in manifest.params["durations"]:
        bounds.append(bounds[-1] + float(d))
    return bounds


def segment_seconds(manifest: Manifest, first: int, last: int) -> tuple[float, float] | None:
    """The time span of segments ``first..last`` (None for media without time)."""
    if manifest.scheme == "hls-v1":
        bounds = _hls_bounds(manifest)
        return round(bounds[first], 6), round(bounds[last + 1], 6)
    if manifest.scheme != "wav-v1" or manifest.duration is None:
        return None
    per = int(manifest.params["frames_per_segment"]) / int(manifest.params["sample_rate"])
    return first * per, min((last + 1) * per, manifest.duration)


def segment_range(manifest: Manifest, start: float, end: float) -> tuple[int, int]:
    """The whole segments covering ``start..end`` (seconds for timed media, bytes otherwise)."""
    if end <= start or start < 0:
        raise InputError(f"the clip must have 0 <= start < end (got {start}..{end})")
    n = manifest.segments
    if manifest.scheme == "hls-v1":
        bounds = _hls_bounds(manifest)
        if start >= bounds[-1]:
            raise InputError(f"the clip starts at {start} seconds, after the end ({bounds[-1]:g} seconds)")
        first = max(k for k in range(n) if bounds[k] <= start)
        last = max(first, max(k for k in range(n) if bounds[k] < end))
        return first, last
    if manifest.scheme == "wav-v1":
        per = int(manifest.params["frames_per_segment"]) / int(manifest.params["sample_rate"])
        unit, length = "seconds", manifest.duration or 0.0
    elif manifest.scheme == "bytes-v1":
        per, unit, length = float(manifest.params["chunk_size"]), "bytes", float(manifest.size)
    else:
        raise ContentError(f"{manifest.scheme} content is a single segment and cannot be clipped")
    if start >= length:
        raise InputError(f"the clip starts at {start} {unit}, after the end ({length:g} {unit})")
    first = int(start // per)
    last = min(n - 1, max(first, math.ceil(end / per) - 1))
    return first, last


@dataclass(frozen=True)
class Clip:
    """A clip and its proof: segments ``proof.first..proof.last`` of the signed original."""

    source: SignedManifest
    proof: RangeProof

    def to_json(self) -> dict[str, Any]:
        """The clip sidecar document (the original manifest without its leaf list)."""
        return {
            "aiw": "clip",
            "source": self.source.to_json(with_leaves=False),
            "proof": self.proof.to_json(),
        }

    @classmethod
    def from_json(cls, data: Any) -> Clip:
        """Parse a clip sidecar; raises ContentError when malformed."""
        try:
            if data.get("aiw") != "clip":
                raise ContentError("not an aiweb3 clip document")
            return cls(SignedManifest.from_json(data["source"]), RangeProof.from_json(data["proof"]))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ContentError(f"malformed clip sidecar: {exc}") from None
        except InputError as exc:
            raise ContentError(f"malformed clip sidecar: {exc}") from None


def _tree_of(path: Path, signed: SignedManifest) -> MerkleTree:
    """The original's tree, from the sidecar's leaves when they match the signed root."""
    m = signed.manifest
    if len(signed.leaves) == m.segments:
        leaves = [bytes.fromhex(x[2:]) for x in signed.leaves]
        if "0x" + merkle_root(leaves).hex() == m.content_root:
            return MerkleTree(leaves)
    leaves, _, _ = segment_leaves(path, m.scheme, m.params)
    tree = MerkleTree(leaves)
    if "0x" + tree.root.hex() != m.content_root:
        raise ContentError(f"{path.name} no longer matches its manifest; it cannot be clipped")
    return tree


def clip_file(path: Path, start: float, end: float, out: Path) -> Clip:
    """Cut the whole segments covering ``start..end`` of a signed file into ``out``.

    Writes ``out`` (a playable file of the same kind) and ``out.aiw.json`` (the clip proof:
    segment range, Merkle range proof, the original signed manifest). No new signature.
    """
    path, out = Path(path), Path(out)
    if out.resolve() == path.resolve():
        raise InputError("the clip would overwrite its source; choose another -o path")
    doc = _read_doc(sidecar_path(path))
    if isinstance(doc, dict) and doc.get("aiw") == "clip":
        return _clip_of_clip(path, Clip.from_json(doc), start, end, out)
    signed = SignedManifest.from_json(doc)
    m = signed.manifest
    first, last = segment_range(m, start, end)
    tree = _tree_of(path, signed)
    clip = Clip(signed.with_leaves([]), tree.prove_range(first, last))
    write_clip(path, out, m.scheme, m.params, first, last)
    atomic_write_json(sidecar_path(out), clip.to_json())
    return clip


def _read_doc(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ContentError(f"no manifest at {path}; sign the file first (`aiweb3 content sign`)") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path} is not valid JSON ({exc})") from None


def _clip_of_clip(path: Path, clip: Clip, start: float, end: float, out: Path) -> Clip:
    """Cut a clip from a clip: ``start..end`` count from the clip's own beginning.

    The new proof is derived from the clip's segments and its proof (no original needed).
    """
    m, proof = clip.source.manifest, clip.proof
    leaves, _, _ = segment_leaves(path, m.scheme, m.params, span=(proof.first, proof.last))
    try:
        ok = len(leaves) == proof.last - proof.first + 1 and root_from_range(leaves, proof) == bytes.fromhex(
            m.content_root[2:]
        )
    except InputError:
        ok = False
    if not ok:
        raise ContentError(f"{path.name} does not verify as a clip; it cannot be clipped further")
    span = segment_seconds(m, proof.first, proof.first)
    offset = span[0] if span is not None else proof.first * float(m.params.get("chunk_size", 0))
    first, last = segment_range(m, start + offset, end + offset)
    first, last = max(first, proof.first), min(last, proof.last)
    if first > last:
        raise InputError(f"{start}..{end} is outside the clip")
    sub = sub_range_proof(leaves, proof, first, last)
    write_clip(path, out, m.scheme, m.params, first - proof.first, last - proof.first)
    result = Clip(clip.source, sub)
    atomic_write_json(sidecar_path(out), result.to_json())
    return result
