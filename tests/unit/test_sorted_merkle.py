"""OpenZeppelin-style sorted-pair Merkle trees: every proof folds back to the root, tampering does not."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from hypothesis import given
from hypothesis import strategies as st

from aiweb3.crypto.sorted_merkle import sorted_pair, sorted_proof, sorted_root
from aiweb3.errors import InputError


def _fold(leaf: bytes, proof: list[bytes]) -> bytes:
    # What OpenZeppelin's MerkleProof.processProof does: hash upward with each sibling, sorted.
    node = leaf
    for sibling in proof:
        node = sorted_pair(node, sibling)
    return node


@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40), st.data())
def test_every_proof_folds_to_the_root(leaves: list[bytes], data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(leaves) - 1))
    root = sorted_root(leaves)
    proof = sorted_proof(leaves, index)
    assert _fold(leaves[index], proof) == root
    if proof:
        bad = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
        assert _fold(leaves[index], bad) != root


def test_known_two_leaf_root_and_errors() -> None:
    a, b = keccak(b"a"), keccak(b"b")
    assert sorted_root([a, b]) == keccak(min(a, b) + max(a, b))
    assert sorted_root([a]) == a
    with pytest.raises(InputError, match="at least one receipt"):
        sorted_root([], "receipt")
    with pytest.raises(InputError, match="not in a tree of 2"):
        sorted_proof([a, b], 2)
