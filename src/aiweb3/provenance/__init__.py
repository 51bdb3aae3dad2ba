"""Content authenticity: segment media, sign manifests with wallet keys, clip without re-signing,
verify creators and anchors against the on-chain ``CreatorRegistry``."""

from aiweb3.provenance.content import Clip, clip_file, segment_range, sign_file
from aiweb3.provenance.manifest import (
    Anchoring,
    Claim,
    Manifest,
    SignedManifest,
    registry_domain,
    sidecar_path,
)
from aiweb3.provenance.registry import AnchorRecord, CreatorRegistry, KeyStatus
from aiweb3.provenance.segment import Segmentation, segment_file
from aiweb3.provenance.verify import Check, Report, verify_file

__all__ = [
    "AnchorRecord",
    "Anchoring",
    "Check",
    "Claim",
    "Clip",
    "CreatorRegistry",
    "KeyStatus",
    "Manifest",
    "Report",
    "Segmentation",
    "SignedManifest",
    "clip_file",
    "registry_domain",
    "segment_file",
    "segment_range",
    "sidecar_path",
    "sign_file",
    "verify_file",
]
