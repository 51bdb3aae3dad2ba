"""After a SIGKILL of the node, the service's records that depend on the chain are back and consistent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiweb3.chain import Chain, LocalNode, NodeConfig, deploy_system, dev_account
from aiweb3.provenance import Claim
from aiweb3.server import ServerConfig, Services
from aiweb3.server.jobs import JobFn
from aiweb3.server.reconcile import reconcile
from aiweb3.server.tasks import anchor_pending, demo_wav, sign_uploads, staging_dir


def _open(home: Path) -> tuple[LocalNode, Chain, Services]:
    node = LocalNode(NodeConfig(home=home, state_interval=3600))  # nothing after a start is dumped
    chain = Chain(node.start().url, journal=node.journal)
    return node, chain, Services.open(ServerConfig(home=home, port=0), chain)


def _run(services: Services, kind: str, fn: JobFn) -> dict[str, Any]:
    snap = services.jobs.wait(services.jobs.submit(kind, kind, fn).id, timeout=120)
    assert snap["state"] == "succeeded", snap
    return snap


def _sign(services: Services, name: str, anchor: bool = True) -> JobFn:
    stage = staging_dir(services, "sign")
    return sign_uploads(services, stage, [demo_wav(stage / name, seconds=1)], (Claim("captured"),), anchor)


def _consistent(services: Services) -> list[tuple[int, int]]:
    """Every anchored entry's block and time, checked against the registry's own record."""
    out = []
    for entry in services.library.entries():
        a = entry.signed.anchoring
        assert a is not None
        record = services.registry.earliest_anchor(bytes.fromhex(a.root[2:]), a.proof.n)
        assert (record.block, record.timestamp) == (a.block, a.timestamp)
        receipt = services.chain.rpc("eth_getTransactionReceipt", [a.tx_hash])
        assert receipt is not None and int(receipt["blockNumber"], 16) == a.block
        out.append((a.block, a.timestamp))
    return out


def _shutdown(node: LocalNode, chain: Chain, services: Services, stop: Callable[[], None]) -> None:
    services.close()
    chain.close()
    stop()


def test_anchors_and_jobs_are_back_and_consistent_after_a_node_sigkill(tmp_path: Path) -> None:
    node, chain, services = _open(tmp_path)
    deploy_system(chain, dev_account(0), tmp_path)
    _shutdown(node, chain, services, node.stop)  # the contracts are in the dumped state

    node, chain, services = _open(tmp_path)
    _run(services, "sign", _sign(services, "first.wav"))  # registers the creator, signs, anchors
    before = {e.manifest_id: e.signed.anchoring for e in services.library.entries()}
    _shutdown(node, chain, services, node.kill)  # right after the confirmation: all of it was lost

    node, chain, services = _open(tmp_path)
    try:
        report = node.last_replay
        assert report is not None and len(report.resent) == 2 and report.calls == 1  # fund, register, anchor
        reconcile(services)
        _consistent(services)
        after = {e.manifest_id: e.signed.anchoring for e in services.library.entries()}
        assert {m: a.tx_hash for m, a in after.items() if a} == {m: a.tx_hash for m, a in before.items() if a}
        assert reconcile(services) == []  # repaired once, consistent since
    finally:
        _shutdown(node, chain, services, node.stop)


def test_records_whose_transactions_are_gone_are_marked_and_anchor_again(tmp_path: Path) -> None:
    node, chain, services = _open(tmp_path)
    deploy_system(chain, dev_account(0), tmp_path)
    _run(services, "sign", _sign(services, "kept.wav"))
    _shutdown(node, chain, services, node.stop)

    node, chain, services = _open(tmp_path)
    lost = _run(services, "sign", _sign(services, "lost.wav", anchor=False))["result"]["manifest_ids"][0]
    job = services.jobs.submit("anchor", "anchor", anchor_pending(services), params={})
    anchor_tx = services.jobs.wait(job.id, 120)["result"]["tx_hash"]
    _shutdown(node, chain, services, node.kill)
    # what another client sent is not in this journal: forget these transactions as if it had sent them
    for suffix in ("", "-wal", "-shm"):
        Path(f"{node.dir / 'journal.sqlite'}{suffix}").unlink(missing_ok=True)

    node, chain, services = _open(tmp_path)
    try:
        assert node.last_replay is not None and node.last_replay.resent == []
        notes = reconcile(services)
        assert any(lost in n and "marked not anchored" in n for n in notes), notes
        assert any(job.id in n and anchor_tx in n for n in notes), notes
        entry = services.library.get(lost)
        assert entry is not None and entry.signed.anchoring is None
        marked = services.jobs.get(job.id)
        assert marked is not None and marked.result is not None
        assert marked.result["missing_transactions"] == [anchor_tx]
        # no longer stuck: the anchor job anchors it again, and everything is consistent
        again = _run(services, "anchor", anchor_pending(services))
        assert again["result"]["count"] == 1
        assert len(_consistent(services)) == 2
    finally:
        _shutdown(node, chain, services, node.stop)
