"""Attack 5 (issue 12): griefing CreatorRegistry anchors by front-running them.

Before the fix a front-runner copied a creator's pending ``anchor(root, 3)`` as ``anchor(root, 1)``:
the real anchoring reverted with ``AlreadyAnchored`` and ``anchoredAt`` failed for that batch for
good. Anchorings are now kept per anchorer, and ``anchoredAt`` answers with the earliest anchoring
of the batch (root and size): these tests run the front-run for real and show no harm.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment, dev_account
from aiweb3.crypto.merkle import MerkleTree, leaf_hash
from aiweb3.errors import TransactionReverted
from aiweb3.provenance import CreatorRegistry, SignedManifest, sidecar_path, sign_file, verify_file
from aiweb3.provenance.watch import anchor_sidecars


@pytest.fixture
def registry(chain: Chain, deployments: dict[str, Deployment]) -> CreatorRegistry:
    return CreatorRegistry(chain, deployments["CreatorRegistry"].address)


def _signed_files(registry: CreatorRegistry, creator: LocalAccount, tmp_path: Path) -> list[Path]:
    files = []
    for i in range(3):
        path = tmp_path / f"f{i}.bin"
        path.write_bytes(random.Random(i).randbytes(3000))
        sign_file(path, creator, registry.domain, chunk_size=1024)
        files.append(path)
    return files


def _tree(files: list[Path]) -> tuple[MerkleTree, list[bytes]]:
    ids = [SignedManifest.load(sidecar_path(f)).manifest_id for f in files]
    return MerkleTree([leaf_hash(i) for i in ids]), ids


def test_front_run_anchor_in_the_same_block_blocks_nothing(
    registry: CreatorRegistry, tmp_path: Path, mempool: Any
) -> None:
    creator, attacker, copier = dev_account(1), dev_account(6), dev_account(7)
    mempool.automine()
    registry.register(creator, "carol")
    files = _signed_files(registry, creator, tmp_path)
    mempool.automine(False)
    tree, ids = _tree(files)
    f = registry.contract.functions
    honest = mempool.submit(creator, f.anchor(tree.root, 3), tip_gwei=1)
    mempool.submit(attacker, f.anchor(tree.root, 1), tip_gwei=50)  # the griefing copy
    mempool.submit(copier, f.anchor(tree.root, 3), tip_gwei=40)  # an exact copy, also first
    receipts = {r["transactionHash"]: r for r in mempool.mine()}
    assert all(r["status"] == 1 for r in receipts.values())  # the honest anchoring did not revert
    assert min(r["transactionIndex"] for r in receipts.values()) < receipts[honest]["transactionIndex"]
    block = receipts[honest]["blockNumber"]
    for index, manifest_id in enumerate(ids):
        proof = tree.prove(index)
        blk, _ = registry.chain.call(f.anchoredAt(manifest_id, proof.first, proof.n, list(proof.siblings)))
        assert blk == block
    assert registry.anchor_of(creator.address, tree.root).count == 3  # the creator's own record
    assert registry.anchor_of(attacker.address, tree.root).count == 1  # the griefer's, apart
    assert registry.earliest_anchor(tree.root, 3).by == copier.address  # same facts, earlier in the block


def test_earlier_griefing_anchor_leaves_verification_working(
    registry: CreatorRegistry, tmp_path: Path, chain_isolation: Chain
) -> None:
    creator, attacker = dev_account(1), dev_account(6)
    registry.register(creator, "carol")
    files = _signed_files(registry, creator, tmp_path)
    tree, _ = _tree(files)
    # the attacker anchors the root with the wrong size blocks before the creator gets to it
    registry.chain.transact(attacker, registry.contract.functions.anchor(tree.root, 1))
    chain_isolation.rpc("evm_mine", [])
    anchored = anchor_sidecars(registry, creator, files)  # does not revert
    assert len(anchored) == 3
    for path in files:
        report = verify_file(path, registry=registry)
        assert report.ok, report.reason
        signed = SignedManifest.load(sidecar_path(path))
        assert report.anchored is not None and registry.anchored_at(signed) == report.anchored
        assert signed.anchoring is not None and signed.anchoring.block == report.anchored[0]
    # the size-1 "batch" cannot stand for any of the manifests: only its own leaf could prove it
    assert registry.earliest_anchor(tree.root, 1).by == attacker.address
    # anchoring the same root twice is refused for the same anchorer only
    with pytest.raises(TransactionReverted) as exc:
        registry.chain.transact(creator, registry.contract.functions.anchor(tree.root, 3))
    assert exc.value.error_name == "AlreadyAnchored"
