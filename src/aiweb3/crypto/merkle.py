"""Binary Merkle trees with domain-separated hashing and proofs for ranges of leaves.

Hand-written because no maintained Python library offers *range* proofs (one proof for the
contiguous leaves ``i..j``), which clips need: a clip of segments ``i..j`` proves its place in
the original with ``O(log n)`` sibling hashes while hashing only its own segments.

Hashing (SHA-256, as RFC 6962 does, so a leaf can never pass for an inner node)::

    leaf(data)      = sha256(0x00 || data)
    node(left, right) = sha256(0x01 || left || right)

Shape: levels are built bottom-up by pairing neighbours; an odd last node is carried up
unchanged (never duplicated, so no two leaf lists share a root). The number of leaves ``n`` is
part of what a verifier must know (the manifest records it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aiweb3.errors import InputError

__all__ = [
    "MerkleTree",
    "RangeProof",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "root_from_range",
    "sub_range_proof",
]

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes | memoryview) -> bytes:
    """The hash of one leaf's data (domain-separated from inner nodes)."""
    h = hashlib.sha256(LEAF_PREFIX)
    h.update(data)
    return h.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node from its two children."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _next_level(level: Sequence[bytes]) -> list[bytes]:
    out = [node_hash(level[k], level[k + 1]) for k in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        out.append(level[-1])
    return out


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The root over already-hashed leaves (see :func:`leaf_hash`)."""
    if not leaves:
        raise InputError("a Merkle tree needs at least one leaf")
    level = list(leaves)
    while len(level) > 1:
        level = _next_level(level)
    return level[0]


@dataclass(frozen=True)
class RangeProof:
    """Proof that leaves ``first..last`` (inclusive) sit at those positions in a tree of ``n``.

    ``siblings`` are the hashes the verifier cannot compute itself, in the order
    :func:`root_from_range` consumes them (level by level, left boundary before right).
    """

    first: int
    last: int
    n: int
    siblings: tuple[bytes, ...]

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict (hashes as 0x hex)."""
        return {
            "first": self.first,
            "last": self.last,
            "n": self.n,
            "siblings": ["0x" + s.hex() for s in self.siblings],
        }

    @classmethod
    def from_json(cls, data: object) -> RangeProof:
        """Parse :meth:`to_json` output; raises InputError on a malformed proof."""
        try:
            assert isinstance(data, dict)
            sibs = tuple(bytes.fromhex(str(s).removeprefix("0x")) for s in data["siblings"])
            proof = cls(int(data["first"]), int(data["last"]), int(data["n"]), sibs)
        except (AssertionError, KeyError, TypeError, ValueError) as exc:
            raise InputError("malformed Merkle range proof") from exc
        if any(len(s) != 32 for s in proof.siblings):
            raise InputError("malformed Merkle range proof: a sibling is not 32 bytes")
        return proof


def _check_range(first: int, last: int, n: int) -> None:
    if n < 1 or not 0 <= first <= last < n:
        raise InputError(f"leaf range {first}..{last} is not inside a tree of {n} leaves")


class MerkleTree:
    """A tree over already-hashed leaves, keeping every level for proofs."""

    def __init__(self, leaves: Iterable[bytes]) -> None:
        level = list(leaves)
        if not level:
            raise InputError("a Merkle tree needs at least one leaf")
        self.levels: list[list[bytes]] = [level]
        while len(level) > 1:
            level = _next_level(level)
            self.levels.append(level)

    @property
    def n(self) -> int:
        """Number of leaves."""
        return len(self.levels[0])

    @property
    def root(self) -> bytes:
        """The root hash."""
        return self.levels[-1][0]

    def prove_range(self, first: int, last: int) -> RangeProof:
        """A proof for the contiguous leaves ``first..last`` (inclusive)."""
        _check_range(first, last, self.n)
        siblings: list[bytes] = []
        lo, hi = first, last
        for level in self.levels[:-1]:
            if lo % 2 == 1:
                siblings.append(level[lo - 1])
            if hi % 2 == 0 and hi + 1 < len(level):
                siblings.append(level[hi + 1])
            lo, hi = lo // 2, hi // 2
        return RangeProof(first, last, self.n, tuple(siblings))

    def prove(self, index: int) -> RangeProof:
        """A proof for one leaf."""
        return self.prove_range(index, index)


def root_from_range(leaves: Sequence[bytes], proof: RangeProof) -> bytes:
    """Recompute the root from the hashed leaves ``proof.first..proof.last`` and the proof.

    Costs ``O(len(leaves) + log n)`` hashes. Compare the result with the trusted root.

    Raises:
        InputError: the leaf count does not match the range, or the proof has too few or
            too many sibling hashes.
    """
    _check_range(proof.first, proof.last, proof.n)
    if len(leaves) != proof.last - proof.first + 1:
        raise InputError(
            f"the proof covers {proof.last - proof.first + 1} leaves but {len(leaves)} were given"
        )
    sibs = iter(proof.siblings)
    used = 0
    lo, hi, width = proof.first, proof.last, proof.n
    current = list(leaves)
    try:
        while width > 1:
            if lo % 2 == 1:
                current.insert(0, next(sibs))
                used += 1
            if hi % 2 == 0 and hi + 1 < width:
                current.append(next(sibs))
                used += 1
            # `current` now starts at an even index, so neighbours pair as in the tree.
            current = _next_level(current)
            lo, hi, width = lo // 2, hi // 2, (width + 1) // 2
    except StopIteration:
        raise InputError("the Merkle proof is too short for its range") from None
    if used != len(proof.siblings):
        raise InputError("the Merkle proof has more sibling hashes than its range needs")
    return current[0]


def _known_nodes(leaves: Sequence[bytes], proof: RangeProof) -> list[dict[int, bytes]]:
    """Every node a range proof lets one compute, per level, keyed by index."""
    known: list[dict[int, bytes]] = []
    sibs = iter(proof.siblings)
    lo, hi, width = proof.first, proof.last, proof.n
    level = {proof.first + k: leaf for k, leaf in enumerate(leaves)}
    while True:
        try:
            if width > 1 and lo % 2 == 1:
                level[lo - 1] = next(sibs)
            if width > 1 and hi % 2 == 0 and hi + 1 < width:
                level[hi + 1] = next(sibs)
        except StopIteration:
            raise InputError("the Merkle proof is too short for its range") from None
        known.append(level)
        if width == 1:
            return known
        up: dict[int, bytes] = {}
        for i in range(lo // 2, hi // 2 + 1):
            left, right = level[2 * i], level.get(2 * i + 1)
            up[i] = node_hash(left, right) if right is not None else left
        level, lo, hi, width = up, lo // 2, hi // 2, (width + 1) // 2


def sub_range_proof(leaves: Sequence[bytes], proof: RangeProof, first: int, last: int) -> RangeProof:
    """A proof for leaves ``first..last`` inside a proven range, without the rest of the tree.

    Everything a sub-range needs is either inside the proven range (computed from its leaves)
    or a sibling the original proof already holds, so a clip of a clip still proves its place.
    Check the original first: ``root_from_range(leaves, proof)`` must equal the trusted root.
    """
    if not proof.first <= first <= last <= proof.last:
        raise InputError(
            f"leaves {first}..{last} are not inside the proven range {proof.first}..{proof.last}"
        )
    if len(leaves) != proof.last - proof.first + 1:
        raise InputError("the leaves do not match the proof's range")
    known = _known_nodes(leaves, proof)
    siblings: list[bytes] = []
    lo, hi, width = first, last, proof.n
    for level in known[:-1]:
        if lo % 2 == 1:
            siblings.append(level[lo - 1])
        if hi % 2 == 0 and hi + 1 < width:
            siblings.append(level[hi + 1])
        lo, hi, width = lo // 2, hi // 2, (width + 1) // 2
    return RangeProof(first, last, proof.n, tuple(siblings))
