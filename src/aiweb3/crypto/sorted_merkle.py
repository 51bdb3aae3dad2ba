"""Merkle trees in OpenZeppelin's ``MerkleProof`` convention (keccak-256, sorted pairs).

Hand-written because no maintained Python library builds these trees; the rules are small.
An inner node is ``keccak256(min(a, b) || max(a, b))``, so a proof is just the sibling hashes
(no left/right flags) and a contract checks it with ``MerkleProof.verify``. An odd last node is
carried up unchanged. Leaves are passed already hashed; the callers decide the leaf encoding
(OpenZeppelin's double hash, ``keccak256(keccak256(data))``, keeps a leaf from passing for a node).
"""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils import keccak

from aiweb3.errors import InputError

__all__ = ["sorted_pair", "sorted_proof", "sorted_root"]


def sorted_pair(a: bytes, b: bytes) -> bytes:
    """The parent of two nodes: ``keccak256`` of the smaller then the larger."""
    return keccak(min(a, b) + max(a, b))


def _levels(leaves: Sequence[bytes], what: str) -> list[list[bytes]]:
    if not leaves:
        raise InputError(f"a Merkle tree needs at least one {what}")
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        level = levels[-1]
        up = [sorted_pair(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            up.append(level[-1])
        levels.append(up)
    return levels


def sorted_root(leaves: Sequence[bytes], what: str = "leaf") -> bytes:
    """The root over already-hashed leaves; ``what`` names a leaf in the error for none."""
    return _levels(leaves, what)[-1][0]


def sorted_proof(leaves: Sequence[bytes], index: int, what: str = "leaf") -> list[bytes]:
    """The sibling hashes proving ``leaves[index]``, bottom up."""
    if not 0 <= index < len(leaves):
        raise InputError(f"{what} #{index} is not in a tree of {len(leaves)}")
    proof = []
    for level in _levels(leaves, what)[:-1]:
        if index ^ 1 < len(level):
            proof.append(level[index ^ 1])
        index //= 2
    return proof
