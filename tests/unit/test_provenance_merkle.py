"""Merkle trees: range proofs for every range, domain separation, tampered proofs rejected."""

from __future__ import annotations

import hashlib
import math

import pytest

from aiweb3.crypto.merkle import (
    MerkleTree,
    RangeProof,
    leaf_hash,
    merkle_root,
    node_hash,
    root_from_range,
    sub_range_proof,
)
from aiweb3.errors import InputError


def _leaves(n: int) -> list[bytes]:
    return [leaf_hash(f"segment {i}".encode()) for i in range(n)]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 16, 17])
def test_every_range_proves_and_roots_agree(n: int) -> None:
    leaves = _leaves(n)
    tree = MerkleTree(leaves)
    assert tree.root == merkle_root(leaves)
    for first in range(n):
        for last in range(first, n):
            proof = tree.prove_range(first, last)
            assert root_from_range(leaves[first : last + 1], proof) == tree.root


def test_domain_separation_matches_an_independent_computation() -> None:
    a, b, c = b"a", b"b", b"c"
    la = hashlib.sha256(b"\x00a").digest()
    lb = hashlib.sha256(b"\x00b").digest()
    lc = hashlib.sha256(b"\x00c").digest()
    expected = hashlib.sha256(b"\x01" + hashlib.sha256(b"\x01" + la + lb).digest() + lc).digest()
    assert merkle_root([leaf_hash(a), leaf_hash(b), leaf_hash(c)]) == expected
    # an inner node never equals the leaf hash of its children's concatenation
    assert node_hash(la, lb) != leaf_hash(la + lb)


def test_proof_size_depends_on_log_n_not_on_the_tree() -> None:
    n = 4096
    tree = MerkleTree(_leaves(n))
    proof = tree.prove_range(1000, 1009)
    assert len(proof.siblings) <= 2 * math.ceil(math.log2(n))


def test_altered_leaf_or_sibling_or_range_gives_another_root() -> None:
    leaves = _leaves(10)
    tree = MerkleTree(leaves)
    proof = tree.prove_range(3, 6)
    bad = list(leaves[3:7])
    bad[2] = leaf_hash(b"forged")
    assert root_from_range(bad, proof) != tree.root
    forged_sibs = (leaf_hash(b"x"), *proof.siblings[1:])
    assert root_from_range(leaves[3:7], RangeProof(3, 6, 10, forged_sibs)) != tree.root
    # the same leaves claimed at another position do not reach the root
    shifted = tree.prove_range(4, 7)
    assert root_from_range(leaves[3:7], shifted) != tree.root
    # reordered leaves do not either
    assert root_from_range([leaves[4], leaves[3], leaves[5], leaves[6]], proof) != tree.root


def test_malformed_proofs_are_refused() -> None:
    leaves = _leaves(10)
    tree = MerkleTree(leaves)
    proof = tree.prove_range(3, 6)
    with pytest.raises(InputError, match="too short"):
        root_from_range(leaves[3:7], RangeProof(3, 6, 10, proof.siblings[:-1]))
    with pytest.raises(InputError, match="more sibling"):
        root_from_range(leaves[3:7], RangeProof(3, 6, 10, (*proof.siblings, leaf_hash(b"x"))))
    with pytest.raises(InputError, match="covers 4 leaves"):
        root_from_range(leaves[3:6], proof)
    with pytest.raises(InputError, match="not inside"):
        tree.prove_range(5, 3)
    with pytest.raises(InputError, match="at least one leaf"):
        MerkleTree([])
    assert RangeProof.from_json(proof.to_json()) == proof
    with pytest.raises(InputError, match="malformed"):
        RangeProof.from_json({"first": 1})


@pytest.mark.parametrize("n", [1, 6, 11])
def test_sub_range_proof_equals_the_full_trees_proof(n: int) -> None:
    leaves = _leaves(n)
    tree = MerkleTree(leaves)
    for first in range(n):
        for last in range(first, n):
            proof = tree.prove_range(first, last)
            for a in range(first, last + 1):
                for b in range(a, last + 1):
                    assert sub_range_proof(leaves[first : last + 1], proof, a, b) == tree.prove_range(a, b)
    with pytest.raises(InputError, match="not inside"):
        sub_range_proof(leaves[1:3], tree.prove_range(1, 2), 0, 2)
