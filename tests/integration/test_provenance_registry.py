"""CreatorRegistry on a real anvil node: handles, rotation, revocation, batch anchoring."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment, dev_account
from aiweb3.errors import TransactionReverted
from aiweb3.provenance import (
    CreatorRegistry,
    SignedManifest,
    clip_file,
    registry_domain,
    sidecar_path,
    sign_file,
    verify_file,
)
from aiweb3.provenance.watch import anchor_sidecars


@pytest.fixture
def registry(chain: Chain, deployments: dict[str, Deployment], chain_isolation: Chain) -> CreatorRegistry:
    return CreatorRegistry(chain, deployments["CreatorRegistry"].address)


@pytest.fixture
def alice(registry: CreatorRegistry) -> LocalAccount:
    acct = dev_account(1)
    registry.register(acct, "alice")
    return acct


def _file(tmp_path: Path, name: str, seed: int = 0) -> Path:
    path = tmp_path / name
    path.write_bytes(random.Random(seed).randbytes(5000))
    return path


def _advance(chain: Chain, seconds: int) -> None:
    chain.rpc("evm_increaseTime", [seconds])
    chain.rpc("evm_mine", [])


def test_registered_creator_verifies(registry: CreatorRegistry, alice: LocalAccount, tmp_path: Path) -> None:
    path = _file(tmp_path, "a.bin")
    sign_file(path, alice, registry.domain, chunk_size=1024)
    report = verify_file(path, registry=registry)
    assert report.ok, report.reason
    assert report.handle == "alice"
    assert f"by @alice ({alice.address})" in report.headline()
    assert {c.name: c.ok for c in report.checks}["anchor"] is None  # not anchored yet
    assert registry.current_key("alice") == alice.address


def test_unregistered_key_is_rejected(registry: CreatorRegistry, tmp_path: Path) -> None:
    path = _file(tmp_path, "a.bin")
    sign_file(path, dev_account(5), registry.domain)
    report = verify_file(path, registry=registry)
    assert not report.ok
    assert "is not a registered key of any handle" in (report.reason or "")


def test_other_registry_domain_is_rejected(
    registry: CreatorRegistry, alice: LocalAccount, tmp_path: Path
) -> None:
    path = _file(tmp_path, "a.bin")
    sign_file(path, alice, registry_domain(registry.chain.chain_id, "0x" + "33" * 20))
    report = verify_file(path, registry=registry)
    assert not report.ok
    assert "signed for registry" in (report.reason or "")


def test_rotation_keeps_old_content_and_refuses_new_content_from_the_old_key(
    registry: CreatorRegistry, alice: LocalAccount, tmp_path: Path
) -> None:
    new = dev_account(2)
    before = _file(tmp_path, "before.bin", 1)
    created = registry.chain.block_time() - 60
    sign_file(before, alice, registry.domain, created=created)
    receipt = registry.rotate("alice", alice, new)
    events = registry.chain.events(registry.contract, "KeyRotated", receipt)
    assert events[0]["newKey"] == new.address
    status = registry.key_status(alice.address)
    assert status.retired_at > 0 and not status.current
    assert registry.current_key("alice") == new.address
    report = verify_file(before, registry=registry)
    assert report.ok, report.reason
    after = _file(tmp_path, "after.bin", 2)
    sign_file(after, alice, registry.domain, created=status.retired_at + 5)
    report = verify_file(after, registry=registry)
    assert not report.ok
    assert "rotated out" in (report.reason or "")
    fresh = _file(tmp_path, "fresh.bin", 3)
    sign_file(fresh, new, registry.domain)
    assert verify_file(fresh, registry=registry).handle == "alice"


def test_rotation_needs_both_signatures(registry: CreatorRegistry, alice: LocalAccount) -> None:
    mallory = dev_account(3)
    with pytest.raises(TransactionReverted) as exc:
        # mallory signs as the "old" key: the contract expects alice's signature
        registry.rotate("alice", mallory, dev_account(4))
    assert exc.value.error_name == "InvalidRotationSignature"
    assert registry.current_key("alice") == alice.address


def test_revoked_key_needs_an_anchor_before_revocation(
    registry: CreatorRegistry, alice: LocalAccount, tmp_path: Path
) -> None:
    anchored = _file(tmp_path, "anchored.bin", 1)
    loose = _file(tmp_path, "loose.bin", 2)
    sign_file(anchored, alice, registry.domain)
    sign_file(loose, alice, registry.domain, created=registry.chain.block_time() - 3600)  # claims to be old
    anchor_sidecars(registry, alice, [anchored])
    _advance(registry.chain, 100)
    registry.revoke_key(alice, alice.address)
    ok = verify_file(anchored, registry=registry)
    assert ok.ok, ok.reason
    assert ok.anchored is not None
    bad = verify_file(loose, registry=registry)
    assert not bad.ok
    assert "is revoked from" in (bad.reason or "")
    assert registry.current_key("alice") is None


def test_revoked_manifest_is_rejected(registry: CreatorRegistry, alice: LocalAccount, tmp_path: Path) -> None:
    path = _file(tmp_path, "a.bin")
    signed = sign_file(path, alice, registry.domain)
    registry.revoke_manifest(alice, signed.manifest_id)
    report = verify_file(path, registry=registry)
    assert not report.ok
    assert "@alice revoked this manifest" in (report.reason or "")
    with pytest.raises(TransactionReverted) as exc:
        registry.revoke_manifest(dev_account(6), signed.manifest_id)  # no handle
    assert exc.value.error_name == "NotCurrentKey"


def test_batch_anchor_one_transaction_many_manifests(
    registry: CreatorRegistry, alice: LocalAccount, tmp_path: Path
) -> None:
    files = [_file(tmp_path, f"f{i}.bin", i) for i in range(5)]
    for f in files:
        sign_file(f, alice, registry.domain)
    head = registry.chain.block_number()
    anchored = anchor_sidecars(registry, alice, files)
    assert registry.chain.block_number() == head + 1  # one transaction
    roots = {a.anchoring.root for a in anchored if a.anchoring}
    assert len(roots) == 1
    for f in files:
        report = verify_file(f, registry=registry)
        assert report.ok, report.reason
        assert report.anchored is not None and report.anchored[0] == head + 1
        loaded = SignedManifest.load(sidecar_path(f))
        assert loaded.leaves  # the leaf list survived the rewrite
        assert registry.anchored_at(loaded) == report.anchored  # the contract checks the proof too
    # a clip of an anchored original carries the anchor too
    out = tmp_path / "clip.bin"
    clip_file(files[0], 1024, 3000, out)
    clip_report = verify_file(out, registry=registry)
    assert clip_report.ok and clip_report.anchored is not None
    # a forged inclusion proof is rejected
    side = sidecar_path(files[1])
    doc = json.loads(side.read_text())
    doc["anchoring"]["proof"]["siblings"][0] = "0x" + "00" * 32
    side.write_text(json.dumps(doc))
    report = verify_file(files[1], registry=registry)
    assert not report.ok
    assert "anchor" in (report.reason or "")
    with pytest.raises(TransactionReverted) as forged:
        registry.anchored_at(SignedManifest.load(side))
    assert forged.value.error_name == "NotAnchored"
    with pytest.raises(TransactionReverted) as exc:
        registry.chain.transact(
            alice, registry.contract.functions.anchor(bytes.fromhex(doc["anchoring"]["root"][2:]), 5)
        )
    assert exc.value.error_name == "AlreadyAnchored"


@pytest.mark.parametrize(
    ("handle", "error"), [("ab", "InvalidHandle"), ("Alice", "InvalidHandle"), ("alice", "HandleTaken")]
)
def test_register_guards(registry: CreatorRegistry, alice: LocalAccount, handle: str, error: str) -> None:
    with pytest.raises(TransactionReverted) as exc:
        registry.register(dev_account(7), handle)
    assert exc.value.error_name == error
    with pytest.raises(TransactionReverted) as exc2:
        registry.register(alice, "alice2")
    assert exc2.value.error_name == "KeyAlreadyRegistered"
    with pytest.raises(TransactionReverted) as exc3:
        registry.revoke_key(alice, alice.address, since=registry.chain.block_time() + 1000)
    assert exc3.value.error_name == "RevocationInFuture"


def test_ai_generated_claim_must_name_a_real_inference_tx(
    registry: CreatorRegistry, alice: LocalAccount, tmp_path: Path, deployments: dict[str, Deployment]
) -> None:
    from aiweb3.provenance import Claim

    # a successful transaction that is not an inference (a real one: tests/adversarial/)
    receipt = registry.chain.transact(alice, registry.contract.functions.anchor(b"\x07" * 32, 1))
    other = Claim("ai-generated", model_id="0x" + "01" * 32, inference_tx=str(receipt["transactionHash"]))
    made_up = Claim("ai-generated", inference_tx="0x" + "ee" * 32)
    good, bad = _file(tmp_path, "good.bin", 1), _file(tmp_path, "bad.bin", 2)
    sign_file(good, alice, registry.domain, claims=(other,))
    sign_file(bad, alice, registry.domain, claims=(made_up,))
    unchecked = verify_file(good, registry=registry)  # no ModelRegistry to check against: unchecked
    assert unchecked.ok and any(c.name == "claim" and c.ok is None for c in unchecked.checks)
    models = deployments["ModelRegistry"].address
    refused = verify_file(good, registry=registry, model_registry=models)
    assert not refused.ok and "holds no InferenceVerified" in (refused.reason or "")
    rejected = verify_file(bad, registry=registry, model_registry=models)
    assert not rejected.ok
    assert "is not on this chain" in (rejected.reason or "")


def test_watcher_anchors_after_the_interval(
    registry: CreatorRegistry, alice: LocalAccount, tmp_path: Path
) -> None:
    import time

    from aiweb3.provenance.watch import Watcher, WatchEvent

    events: list[WatchEvent] = []
    watcher = Watcher(tmp_path, registry, alice, every=100, interval=0.2, poll=0.05, on_event=events.append)
    _file(tmp_path, "a.bin", 1)
    (tmp_path / ".hidden").write_bytes(b"x")
    (tmp_path / "partial.part").write_bytes(b"x")
    watcher.step()  # first sight: not signed until its size is stable
    assert not events
    watcher.step()
    assert [e.kind for e in events] == ["signed"]
    time.sleep(0.25)
    watcher.step()
    assert [e.kind for e in events] == ["signed", "anchored"]
    assert verify_file(tmp_path / "a.bin", registry=registry).anchored is not None
    assert (
        not sidecar_path(tmp_path / ".hidden").exists()
        and not sidecar_path(tmp_path / "partial.part").exists()
    )
