"""Client of the ``CreatorRegistry`` contract: handles, keys, revocations and batch anchors."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3.contract import Contract

from aiweb3.chain import Chain, artifact, system_contract
from aiweb3.crypto.merkle import MerkleTree, leaf_hash
from aiweb3.crypto.typed_data import Domain, sign_typed
from aiweb3.errors import InputError
from aiweb3.provenance.manifest import Anchoring, SignedManifest, registry_domain

__all__ = ["ROTATION_TYPES", "AnchorRecord", "CreatorRegistry", "KeyStatus"]

ROTATION_TYPES = {
    "Rotation": [
        {"name": "handle", "type": "string"},
        {"name": "oldKey", "type": "address"},
        {"name": "newKey", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}


@dataclass(frozen=True)
class KeyStatus:
    """What the registry knows about a key (``handle`` is empty for an unregistered key)."""

    key: str
    handle: str
    added_at: int
    retired_at: int
    revoked_since: int
    current: bool

    @property
    def registered(self) -> bool:
        """True when the key belongs (or belonged) to a handle."""
        return bool(self.handle)


@dataclass(frozen=True)
class AnchorRecord:
    """One anchoring of a batch root (``block`` 0: never anchored)."""

    root: bytes
    block: int
    timestamp: int
    count: int
    by: str


class CreatorRegistry:
    """The deployed ``CreatorRegistry`` on one chain."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address = to_checksum_address(address)
        self.contract: Contract = chain.contract(artifact("CreatorRegistry").abi, self.address)

    @classmethod
    def from_home(cls, chain: Chain, home: Path) -> CreatorRegistry:
        """The registry recorded in ``<home>/deployments`` for this chain."""
        return cls(chain, system_contract(chain, home, "CreatorRegistry").address)

    @property
    def domain(self) -> Domain:
        """The EIP-712 domain manifests and rotations are signed in."""
        return registry_domain(self.chain.chain_id, self.address)

    # -- writes ------------------------------------------------------------
    def register(self, signer: LocalAccount, handle: str) -> dict[str, Any]:
        """Bind ``handle`` to the signer's address; returns the receipt."""
        return self.chain.transact(signer, self.contract.functions.register(handle))

    def rotate(
        self,
        handle: str,
        old: LocalAccount,
        new: LocalAccount,
        *,
        submitter: LocalAccount | None = None,
        valid_for: int = 3600,
    ) -> dict[str, Any]:
        """Move ``handle`` from ``old`` to ``new``; both sign the EIP-712 Rotation."""
        nonce = int(self.chain.call(self.contract.functions.rotationNonce(_handle_hash(handle))))
        deadline = int(time.time()) + valid_for
        message = {
            "handle": handle,
            "oldKey": to_checksum_address(old.address),
            "newKey": to_checksum_address(new.address),
            "nonce": nonce,
            "deadline": deadline,
        }
        old_sig = sign_typed(old, self.domain, ROTATION_TYPES, "Rotation", message)
        new_sig = sign_typed(new, self.domain, ROTATION_TYPES, "Rotation", message)
        fn = self.contract.functions.rotateKey(handle, new.address, deadline, old_sig, new_sig)
        return self.chain.transact(submitter or new, fn)

    def revoke_key(self, signer: LocalAccount, key: str, since: int | None = None) -> dict[str, Any]:
        """Revoke ``key`` of the signer's handle from ``since`` (default: now, on the chain's clock)."""
        when = since if since is not None else self.chain.block_time()
        return self.chain.transact(signer, self.contract.functions.revokeKey(to_checksum_address(key), when))

    def revoke_manifest(self, signer: LocalAccount, manifest_id: bytes) -> dict[str, Any]:
        """Withdraw one manifest of the signer's handle."""
        return self.chain.transact(signer, self.contract.functions.revokeManifest(manifest_id))

    def anchor(self, signer: LocalAccount, manifests: list[SignedManifest]) -> list[SignedManifest]:
        """Anchor many manifests in one transaction; returns them with their anchoring proofs.

        The anchoring is kept under the signer's address, so nobody anchoring the same root
        first (a front-runner copying it from the mempool) can block it; the block and time
        recorded are of the earliest anchoring of this batch, which is what ``anchoredAt`` proves.
        """
        if not manifests:
            raise InputError("nothing to anchor")
        ids = [m.manifest_id for m in manifests]
        if len(set(ids)) != len(ids):
            raise InputError("the batch holds the same manifest twice")
        tree = MerkleTree([leaf_hash(i) for i in ids])
        receipt = self.chain.transact(signer, self.contract.functions.anchor(tree.root, len(ids)))
        record = self.earliest_anchor(tree.root, len(ids))
        out = []
        for index, signed in enumerate(manifests):
            anchoring = Anchoring(
                root="0x" + tree.root.hex(),
                proof=tree.prove(index),
                tx_hash=str(receipt["transactionHash"]),
                block=record.block,
                timestamp=record.timestamp,
            )
            out.append(signed.with_anchoring(anchoring))
        return out

    # -- reads -------------------------------------------------------------
    def key_status(self, key: str) -> KeyStatus:
        """The handle and lifetime of ``key``."""
        handle, added, retired, revoked, current = self.chain.call(
            self.contract.functions.keyInfo(to_checksum_address(key))
        )
        return KeyStatus(to_checksum_address(key), handle, added, retired, revoked, current)

    def current_key(self, handle: str) -> str | None:
        """The current key of ``handle`` (None when unknown or revoked)."""
        key = self.chain.call(self.contract.functions.currentKey(handle))
        return None if int(key, 16) == 0 else to_checksum_address(key)

    def manifest_revoked_at(self, handle: str, manifest_id: bytes) -> int:
        """When ``handle`` revoked the manifest (0: not revoked)."""
        return int(self.chain.call(self.contract.functions.manifestRevokedAt(handle, manifest_id)))

    def anchor_of(self, by: str, root: bytes) -> AnchorRecord:
        """The anchoring of a batch root by one address."""
        raw = self.chain.call(self.contract.functions.anchorOf(to_checksum_address(by), root))
        return _record(root, raw)

    def earliest_anchor(self, root: bytes, count: int) -> AnchorRecord:
        """The earliest anchoring of the batch ``root`` of ``count`` manifests, by anyone."""
        if not 0 < count < 2**32:
            raise InputError(f"a batch holds 1 to 2**32-1 manifests, not {count}")
        return _record(root, self.chain.call(self.contract.functions.earliestAnchor(root, count)))

    def anchored_at(self, signed: SignedManifest) -> tuple[int, int]:
        """``(block, timestamp)`` as the contract itself proves it from the sidecar's inclusion proof.

        Raises:
            InputError: the manifest carries no anchoring record.
            TransactionReverted: ``NotAnchored`` or ``BadInclusionProof``.
        """
        a = signed.anchoring
        if a is None or a.proof.first != a.proof.last:
            raise InputError("the manifest is not anchored; run `aiweb3 content anchor` first")
        fn = self.contract.functions.anchoredAt(
            signed.manifest_id, a.proof.first, a.proof.n, list(a.proof.siblings)
        )
        block, timestamp = self.chain.call(fn)
        return int(block), int(timestamp)


def _record(root: bytes, raw: Any) -> AnchorRecord:
    block, timestamp, count, by = raw
    return AnchorRecord(root, int(block), int(timestamp), int(count), to_checksum_address(by))


def _handle_hash(handle: str) -> bytes:
    from eth_utils import keccak

    return bytes(keccak(text=handle))
