"""Manifests: what a creator signs about a piece of content, and the sidecar that carries it.

A manifest is versioned JSON with a canonical encoding (sorted keys, no spaces). The creator
signs it with EIP-712 in the domain of the ``CreatorRegistry`` (name, version, chain id,
registry address), so a signature never verifies for another chain or registry. The
*manifest id* is that EIP-712 digest: it names the manifest, is what gets anchored and what
a creator revokes.

The sidecar ``FILE.aiw.json`` holds the signed manifest, the leaf hashes (so a tampered file
names its first bad segment) and, once anchored, the anchoring proof.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import is_address, keccak, to_checksum_address

from aiweb3.crypto.merkle import MerkleTree, RangeProof
from aiweb3.crypto.typed_data import Domain, recover_typed, sign_typed, typed_digest
from aiweb3.errors import ContentError, InputError
from aiweb3.files import atomic_write_json, canonical_json
from aiweb3.provenance.segment import Segmentation

__all__ = [
    "CLAIM_TYPES",
    "MANIFEST_TYPES",
    "MANIFEST_VERSION",
    "REGISTRY_DOMAIN_NAME",
    "REGISTRY_DOMAIN_VERSION",
    "SIDECAR_SUFFIX",
    "Anchoring",
    "Claim",
    "Manifest",
    "SignedManifest",
    "registry_domain",
    "sidecar_path",
]

MANIFEST_VERSION = 1
CLAIM_TYPES = ("captured", "edited", "ai-generated")
REGISTRY_DOMAIN_NAME = "aiweb3 CreatorRegistry"
REGISTRY_DOMAIN_VERSION = "1"
SIDECAR_SUFFIX = ".aiw.json"
_MANIFEST_KEYS = {"version", "content", "creator", "created", "claims", "parents"}
_CONTENT_KEYS = {"root", "scheme", "params", "segments", "media_type", "size", "duration", "name"}

#: The EIP-712 struct a creator signs; ``manifestHash`` is keccak256 of the canonical JSON,
#: the other fields repeat what a wallet should show the signer.
MANIFEST_TYPES = {
    "ContentManifest": [
        {"name": "creator", "type": "address"},
        {"name": "contentRoot", "type": "bytes32"},
        {"name": "segments", "type": "uint64"},
        {"name": "created", "type": "uint64"},
        {"name": "manifestHash", "type": "bytes32"},
    ]
}


def registry_domain(chain_id: int, registry: str) -> Domain:
    """The EIP-712 domain of the CreatorRegistry at ``registry`` on ``chain_id``."""
    return Domain(REGISTRY_DOMAIN_NAME, REGISTRY_DOMAIN_VERSION, chain_id, registry)


def sidecar_path(path: Path) -> Path:
    """``FILE`` -> ``FILE.aiw.json``."""
    path = Path(path)
    return path.with_name(path.name + SIDECAR_SUFFIX)


def _hex32(value: Any, what: str) -> str:
    text = str(value)
    if not (text.startswith("0x") and len(text) == 66):
        raise InputError(f"{what} must be 0x followed by 64 hex digits, not {text!r}")
    try:
        bytes.fromhex(text[2:])
    except ValueError:
        raise InputError(f"{what} is not hex: {text!r}") from None
    return text.lower()


@dataclass(frozen=True)
class Claim:
    """How the content came to be: ``captured``, ``edited`` or ``ai-generated``.

    An AI-generated claim may name the ``ModelRegistry`` model id and the transaction of its
    verified inference.
    """

    type: str
    model_id: str | None = None
    inference_tx: str | None = None

    def __post_init__(self) -> None:
        if self.type not in CLAIM_TYPES:
            raise InputError(f"unknown claim {self.type!r} (known: {', '.join(CLAIM_TYPES)})")
        if (self.model_id or self.inference_tx) and self.type != "ai-generated":
            raise InputError("a model id or inference transaction belongs to an ai-generated claim")
        if self.model_id is not None:
            object.__setattr__(self, "model_id", _hex32(self.model_id, "model id"))
        if self.inference_tx is not None:
            object.__setattr__(self, "inference_tx", _hex32(self.inference_tx, "inference tx hash"))

    def to_json(self) -> dict[str, Any]:
        """JSON form (absent fields left out)."""
        out: dict[str, Any] = {"type": self.type}
        if self.model_id:
            out["model_id"] = self.model_id
        if self.inference_tx:
            out["inference_tx"] = self.inference_tx
        return out


@dataclass(frozen=True)
class Manifest:
    """The signed statement about one piece of content (see the module docstring)."""

    content_root: str
    scheme: str
    params: dict[str, Any]
    segments: int
    media_type: str
    size: int
    duration: float | None
    name: str
    creator: str
    created: int
    claims: tuple[Claim, ...] = ()
    parents: tuple[str, ...] = ()
    version: int = MANIFEST_VERSION

    @classmethod
    def for_content(
        cls,
        seg: Segmentation,
        *,
        name: str,
        creator: str,
        claims: tuple[Claim, ...] = (),
        parents: tuple[str, ...] = (),
        created: int | None = None,
    ) -> Manifest:
        """A manifest for segmented content, created now unless ``created`` is given."""
        root = MerkleTree(seg.leaves).root
        return cls(
            content_root="0x" + root.hex(),
            scheme=seg.scheme,
            params=dict(seg.params),
            segments=len(seg.leaves),
            media_type=seg.media_type,
            size=seg.size,
            duration=seg.duration,
            name=name,
            creator=to_checksum_address(creator),
            created=int(time.time()) if created is None else created,
            claims=claims,
            parents=tuple(_hex32(p, "parent manifest id") for p in parents),
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON form that is hashed and signed."""
        return {
            "version": self.version,
            "content": {
                "root": self.content_root,
                "scheme": self.scheme,
                "params": self.params,
                "segments": self.segments,
                "media_type": self.media_type,
                "size": self.size,
                "duration": self.duration,
                "name": self.name,
            },
            "creator": self.creator,
            "created": self.created,
            "claims": [c.to_json() for c in self.claims],
            "parents": list(self.parents),
        }

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        """Parse and validate; raises ContentError on anything malformed or of another version."""
        try:
            if int(data["version"]) != MANIFEST_VERSION:
                raise ContentError(
                    f"manifest version {data['version']} is not supported (this aiweb3 reads "
                    f"version {MANIFEST_VERSION}); upgrade aiweb3"
                )
            c = data["content"]
            extra = (set(data) - _MANIFEST_KEYS) | {f"content.{k}" for k in set(c) - _CONTENT_KEYS}
            if extra:
                raise ContentError(f"malformed manifest: unknown fields {', '.join(sorted(extra))}")
            creator = str(data["creator"])
            if not is_address(creator):
                raise InputError(f"creator {creator!r} is not an address")
            duration = c["duration"]
            return cls(
                content_root=_hex32(c["root"], "content root"),
                scheme=str(c["scheme"]),
                params=dict(c["params"]),
                segments=int(c["segments"]),
                media_type=str(c["media_type"]),
                size=int(c["size"]),
                duration=None if duration is None else float(duration),
                name=str(c["name"]),
                creator=to_checksum_address(creator),
                created=int(data["created"]),
                claims=tuple(Claim(**claim) for claim in data["claims"]),
                parents=tuple(_hex32(p, "parent manifest id") for p in data["parents"]),
                version=MANIFEST_VERSION,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ContentError(f"malformed manifest: {exc}") from None

    @property
    def manifest_hash(self) -> bytes:
        """keccak256 of the canonical JSON."""
        return bytes(keccak(canonical_json(self.to_json())))

    def typed_message(self) -> dict[str, Any]:
        """The EIP-712 ``ContentManifest`` message."""
        return {
            "creator": self.creator,
            "contentRoot": bytes.fromhex(self.content_root[2:]),
            "segments": self.segments,
            "created": self.created,
            "manifestHash": self.manifest_hash,
        }

    def manifest_id(self, domain: Domain) -> bytes:
        """The EIP-712 digest in ``domain``: the id that is anchored and revoked."""
        return typed_digest(domain, MANIFEST_TYPES, "ContentManifest", self.typed_message())

    def sign(self, signer: LocalAccount, domain: Domain) -> SignedManifest:
        """Sign as the creator (the signer must be the manifest's creator)."""
        if to_checksum_address(signer.address) != self.creator:
            raise InputError(f"the manifest names creator {self.creator}, not the signer {signer.address}")
        sig = sign_typed(signer, domain, MANIFEST_TYPES, "ContentManifest", self.typed_message())
        return SignedManifest(self, domain, sig)


@dataclass(frozen=True)
class Anchoring:
    """Where a manifest id was anchored: a batch root, its inclusion proof and the transaction."""

    root: str
    proof: RangeProof
    tx_hash: str
    block: int
    timestamp: int

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "root": self.root,
            "proof": self.proof.to_json(),
            "tx": self.tx_hash,
            "block": self.block,
            "timestamp": self.timestamp,
        }

    @classmethod
    def from_json(cls, data: Any) -> Anchoring:
        """Parse; raises ContentError when malformed."""
        try:
            return cls(
                root=_hex32(data["root"], "anchor root"),
                proof=RangeProof.from_json(data["proof"]),
                tx_hash=str(data["tx"]),
                block=int(data["block"]),
                timestamp=int(data["timestamp"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ContentError(f"malformed anchoring record: {exc}") from None


@dataclass(frozen=True)
class SignedManifest:
    """A manifest, the domain it was signed in, the signature, and unsigned helpers.

    ``leaves`` (hex leaf hashes) and ``anchoring`` travel in the sidecar but are not signed:
    verification recomputes the root from the leaves and checks the anchoring on chain.
    """

    manifest: Manifest
    domain: Domain
    signature: bytes
    leaves: tuple[str, ...] = ()
    anchoring: Anchoring | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def manifest_id(self) -> bytes:
        """The EIP-712 digest (see :meth:`Manifest.manifest_id`)."""
        return self.manifest.manifest_id(self.domain)

    def recover_signer(self) -> str:
        """The address that made the signature (raises InputError if it is malformed)."""
        return recover_typed(
            self.signature, self.domain, MANIFEST_TYPES, "ContentManifest", self.manifest.typed_message()
        )

    def with_leaves(self, leaves: list[bytes]) -> SignedManifest:
        """A copy carrying the leaf hashes."""
        return replace(self, leaves=tuple("0x" + leaf.hex() for leaf in leaves))

    def with_anchoring(self, anchoring: Anchoring) -> SignedManifest:
        """A copy carrying an anchoring record."""
        return replace(self, anchoring=anchoring)

    def to_json(self, *, with_leaves: bool = True) -> dict[str, Any]:
        """The sidecar document."""
        out: dict[str, Any] = {
            "aiw": "manifest",
            "id": "0x" + self.manifest_id.hex(),
            "manifest": self.manifest.to_json(),
            "domain": self.domain.to_json(),
            "signature": "0x" + self.signature.hex(),
        }
        if with_leaves and self.leaves:
            out["leaves"] = list(self.leaves)
        if self.anchoring is not None:
            out["anchoring"] = self.anchoring.to_json()
        return out

    @classmethod
    def from_json(cls, data: Any) -> SignedManifest:
        """Parse a sidecar document; raises ContentError when malformed."""
        try:
            if data.get("aiw") != "manifest":
                raise ContentError("not an aiweb3 manifest document")
            sig_hex = str(data["signature"])
            signature = bytes.fromhex(sig_hex.removeprefix("0x"))
            anchoring = Anchoring.from_json(data["anchoring"]) if data.get("anchoring") else None
            return cls(
                manifest=Manifest.from_json(data["manifest"]),
                domain=Domain.from_json(data["domain"]),
                signature=signature,
                leaves=tuple(str(x) for x in data.get("leaves", [])),
                anchoring=anchoring,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ContentError(f"malformed manifest sidecar: {exc}") from None

    def save(self, path: Path, mode: int = 0o644) -> None:
        """Write the sidecar atomically (``mode``: its permissions)."""
        atomic_write_json(Path(path), self.to_json(), mode)

    @classmethod
    def load(cls, path: Path) -> SignedManifest:
        """Read a sidecar file."""
        return cls.from_json(_read_json(Path(path)))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ContentError(f"no manifest at {path}; sign the file first (`aiweb3 content sign`)") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ContentError(f"{path} is not valid JSON ({exc})") from None
