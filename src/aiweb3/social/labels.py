"""What every AI post carries: a NIP-32 label, its operator, and a signed content manifest.

An AI post's tags hold:

- ``["L", "content-origin"]`` and ``["l", "ai-generated", "content-origin"]`` (NIP-32);
- ``["operator", <operator's Nostr pubkey>, <operator's Ethereum address>, <name>]``;
- ``["manifest", <JSON>]``: a content manifest of :mod:`aiweb3.provenance` over the post's text
  (bytes-v1, one Merkle root), with an ``ai-generated`` claim that names, when a proven model made
  the decision, the model id and the transaction of its verified inference; signed with EIP-712 by
  the operator's wallet key in the ``CreatorRegistry`` domain, so it checks like any signed media
  and its creator is the one registered on chain.

:func:`check_ai_post` recomputes the text's root, recovers the manifest's signer and compares
both with what the tags claim.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from aiweb3.crypto.typed_data import Domain
from aiweb3.errors import AIWeb3Error
from aiweb3.provenance import Claim, Manifest, Segmentation, SignedManifest, segment_file
from aiweb3.social.events import AI_LABEL, AI_LABEL_NAMESPACE, NostrEvent

__all__ = ["AIPostCheck", "Operator", "ai_post_tags", "check_ai_post", "text_manifest"]


@dataclass(frozen=True)
class Operator:
    """Who runs an AI account: a name, a Nostr pubkey and the wallet that signs manifests."""

    name: str
    pubkey: str
    wallet: LocalAccount
    domain: Domain

    def __repr__(self) -> str:  # the wallet holds a private key: never print it
        return f"Operator(name={self.name!r}, pubkey={self.pubkey!r}, wallet={self.wallet.address})"


def _segment(text: str) -> Segmentation:
    """The bytes-v1 segmentation of a post's UTF-8 text (what the manifest's root covers)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "post.txt"
        path.write_bytes(text.encode())
        return segment_file(path, scheme="bytes-v1")


def text_manifest(
    text: str,
    operator: Operator,
    *,
    model_id: str | None = None,
    inference_tx: str | None = None,
) -> SignedManifest:
    """A manifest over ``text`` with an ``ai-generated`` claim, signed by the operator's wallet."""
    manifest = Manifest.for_content(
        _segment(text),
        name="nostr-note",
        creator=operator.wallet.address,
        claims=(Claim("ai-generated", model_id=model_id, inference_tx=inference_tx),),
    )
    return manifest.sign(operator.wallet, operator.domain)


def _content_root(text: str) -> str:
    return Manifest.for_content(_segment(text), name="-", creator="0x" + "00" * 20).content_root


def ai_post_tags(
    text: str,
    operator: Operator,
    *,
    model_id: str | None = None,
    inference_tx: str | None = None,
) -> list[list[str]]:
    """The label, operator and manifest tags of an AI post whose content is ``text``."""
    signed = text_manifest(text, operator, model_id=model_id, inference_tx=inference_tx)
    return [
        ["L", AI_LABEL_NAMESPACE],
        ["l", AI_LABEL, AI_LABEL_NAMESPACE],
        ["operator", operator.pubkey, operator.wallet.address, operator.name],
        ["manifest", json.dumps(signed.to_json(with_leaves=False), separators=(",", ":"), sort_keys=True)],
    ]


@dataclass(frozen=True)
class AIPostCheck:
    """The outcome of :func:`check_ai_post`: ``ok`` or the reason it failed, and what was found."""

    ok: bool
    reason: str
    operator: str | None = None
    wallet: str | None = None
    manifest_id: str | None = None
    model_id: str | None = None
    inference_tx: str | None = None


def check_ai_post(event: NostrEvent, trusted_domains: Sequence[Domain] = ()) -> AIPostCheck:
    """Check that ``event`` is a well-formed AI post: labelled, naming its operator, with a
    manifest over exactly its text signed by the operator's wallet (in one of ``trusted_domains``
    when given)."""
    if not event.ai_labelled:
        return AIPostCheck(False, "no NIP-32 ai-generated label")
    op = event.tag_values("operator")
    if not op or len(op[0]) < 2:
        return AIPostCheck(False, "no operator tag")
    raw = event.first("manifest")
    if raw is None:
        return AIPostCheck(False, "no content manifest", operator=op[0][0])
    try:
        signed = SignedManifest.from_json(json.loads(raw))
        signer = signed.recover_signer()
        wallet = to_checksum_address(op[0][1])
    except (AIWeb3Error, ValueError, TypeError) as exc:
        return AIPostCheck(False, f"unreadable manifest ({exc})", operator=op[0][0])
    manifest = signed.manifest
    claim = next((c for c in manifest.claims if c.type == "ai-generated"), None)
    found = {
        "operator": op[0][0],
        "wallet": wallet,
        "manifest_id": "0x" + signed.manifest_id.hex(),
        "model_id": claim.model_id if claim else None,
        "inference_tx": claim.inference_tx if claim else None,
    }
    if signer != manifest.creator or manifest.creator != wallet:
        return AIPostCheck(False, "the manifest is not signed by the operator's wallet", **found)
    if manifest.content_root != _content_root(event.content):
        return AIPostCheck(False, "the manifest does not cover this text (altered?)", **found)
    if claim is None:
        return AIPostCheck(False, "the manifest has no ai-generated claim", **found)
    if trusted_domains and signed.domain not in trusted_domains:
        return AIPostCheck(False, "the manifest was signed for another chain or registry", **found)
    return AIPostCheck(True, "ok", **found)
