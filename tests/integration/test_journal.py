"""The write-ahead journal: a SIGKILL of the node right after confirmations loses nothing aiweb3 sent."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from aiweb3.chain import Chain, LocalNode, NodeConfig, TxRequest, deploy_system, dev_account, system_contract
from aiweb3.chain.journal import TxJournal
from aiweb3.errors import InsufficientFunds
from aiweb3.provenance import CreatorRegistry

RECIPIENT = "0x000000000000000000000000000000000000bEEF"


def _open(node: LocalNode) -> Chain:
    return Chain(node.start().url, journal=node.journal)


def _state(chain: Chain, home: Path, addresses: list[str]) -> dict[str, Any]:
    """What users saw: nonces and AIUSD holdings of every account involved, ether received.

    Senders' ether balances are left out: the gas they paid depends on the base fee of the block
    a transaction lands in, and re-sent transactions land in new blocks.
    """
    aiusd = system_contract(chain, home, "AIUSD")
    state: dict[str, Any] = {
        a: (
            int(chain.rpc("eth_getTransactionCount", [a, "latest"]), 16),
            chain.call(aiusd.functions.balanceOf(a)),
        )
        for a in addresses
    }
    state["received"] = chain.balance(RECIPIENT)
    return state


def test_sigkill_right_after_confirmations_loses_nothing(tmp_path: Path) -> None:
    # A state interval far longer than the test: everything after the clean restart is lost on SIGKILL.
    node = LocalNode(NodeConfig(home=tmp_path, state_interval=3600))
    chain = _open(node)
    deploy_system(chain, dev_account(0), tmp_path)
    chain.close()
    node.stop()  # the deployments are in the dumped state
    chain = _open(node)
    assert node.last_replay is not None and not node.last_replay.resent
    aiusd = system_contract(chain, tmp_path, "AIUSD")
    registry = CreatorRegistry.from_home(chain, tmp_path)
    d0, d1, d2, d3 = (dev_account(i) for i in range(4))
    fresh = Account.create()
    receipts: list[dict[str, Any]] = []

    bulk = chain.bulk_send(
        d0, [TxRequest(aiusd.address, _faucet(aiusd, a.address, 500)) for a in (d1, d2, d3)]
    )
    bulk.raise_on_failure()
    receipts += bulk.receipts
    receipts.append(chain.transact(d1, aiusd.functions.transfer(d2.address, 123)))  # needs the faucet first
    chain.set_balance(fresh.address, 10**18)  # a dev call, journaled like a transaction
    receipts.append(chain.send(fresh, TxRequest(RECIPIENT, value=4242)))  # needs the balance first
    receipts.append(registry.register(d3, "journal-test"))
    receipts.append(chain.transact(d3, registry.contract.functions.anchor(b"\x11" * 32, 1)))
    accounts = [d0.address, d1.address, d2.address, d3.address, fresh.address, RECIPIENT]
    before = _state(chain, tmp_path, accounts)
    chain.close()
    node.kill()  # within a second of the last confirmation: anvil has dumped none of this

    chain = _open(node)
    try:
        report = node.last_replay
        assert report is not None
        assert report.resent == [str(r["transactionHash"]) for r in receipts]  # all of them, in order
        assert report.calls == 1 and not report.rejected and not report.status_changed
        for r in receipts:
            again = chain.rpc("eth_getTransactionReceipt", [r["transactionHash"]])
            assert again is not None and int(again["status"], 16) == r["status"] == 1
        assert _state(chain, tmp_path, accounts) == before
        # same hashes, new blocks: the report says where each one went
        assert set(report.moved) == set(report.resent) and chain.block_number() > 0
        registry = CreatorRegistry.from_home(chain, tmp_path)
        assert registry.key_status(d3.address).handle == "journal-test"
        assert registry.anchor_of(d3.address, b"\x11" * 32).block > 0
    finally:
        chain.close()
        node.stop()
    # a clean stop dumps the state: the next start re-sends nothing
    chain = _open(node)
    try:
        assert node.last_replay is not None and node.last_replay.resent == []
        assert _state(chain, tmp_path, accounts) == before
    finally:
        chain.close()
        node.stop()


def test_sigkill_between_frequent_dumps(tmp_path: Path) -> None:
    """With a one-second dump, part of the work is on disk and part is not: both end up on chain."""
    node = LocalNode(NodeConfig(home=tmp_path, state_interval=1))
    chain = _open(node)
    sender = dev_account(4)
    hashes = []
    for i in range(6):
        hashes.append(chain.send(sender, TxRequest(RECIPIENT, value=i + 1))["transactionHash"])
        time.sleep(0.3)
    chain.close()
    node.kill()
    chain = _open(node)
    try:
        assert all(chain.rpc("eth_getTransactionReceipt", [h]) for h in hashes)
        assert chain.balance(RECIPIENT) == sum(range(1, 7))
    finally:
        chain.close()
        node.stop()


def test_reverted_snapshot_and_refused_transactions_are_not_replayed(tmp_path: Path) -> None:
    node = LocalNode(NodeConfig(home=tmp_path, state_interval=3600))
    chain = _open(node)
    kept = chain.send(dev_account(5), TxRequest(RECIPIENT, value=1))
    snap = chain.snapshot()
    undone = chain.send(dev_account(5), TxRequest(RECIPIENT, value=1000))
    chain.revert(snap)
    poor = Account.create()
    with pytest.raises(InsufficientFunds):  # the node refuses a sender without gas money
        chain.send(poor, TxRequest(RECIPIENT, value=1, gas=21_000))
    journal = node.journal
    assert journal.get(undone["transactionHash"]).state == "dropped"  # type: ignore[union-attr]
    refused = [e for e in _all(journal) if e.sender == poor.address]
    assert refused and all(e.state == "rejected" for e in refused)
    chain.close()
    node.kill()
    chain = _open(node)
    try:
        assert node.last_replay is not None and node.last_replay.resent == [kept["transactionHash"]]
        assert chain.balance(RECIPIENT) == 1
    finally:
        chain.close()
        node.reset()
    assert node.journal.live(chain.chain_id) == []  # a reset chain has nothing to replay


def _all(journal: TxJournal) -> list[Any]:
    hashes = journal._db.execute("SELECT tx_hash FROM entries WHERE tx_hash IS NOT NULL").fetchall()
    return [journal.get(h) for (h,) in hashes]


def _faucet(aiusd: Any, to: str, whole: int) -> bytes:
    from aiweb3.chain import encode_call

    return encode_call(aiusd.functions.faucet(to, whole * 10**6))


def test_a_dump_cut_by_the_kill_is_rebuilt_from_the_journal(tmp_path: Path) -> None:
    """A SIGKILL while anvil writes its state leaves a truncated file: start from genesis and replay."""
    node = LocalNode(NodeConfig(home=tmp_path, state_interval=3600))
    chain = _open(node)
    hashes = [chain.send(dev_account(6), TxRequest(RECIPIENT, value=v))["transactionHash"] for v in (3, 4)]
    chain.set_balance(RECIPIENT, 10**18)
    hashes.append(chain.send(dev_account(7), TxRequest(RECIPIENT, value=5))["transactionHash"])
    chain.close()
    node.stop()
    node.state_file.write_text(node.state_file.read_text()[:100])  # what a kill mid-dump leaves
    chain = _open(node)
    try:
        assert node.last_replay is not None and node.last_replay.resent == hashes
        assert chain.balance(RECIPIENT) == 10**18 + 5
        assert list(node.dir.glob("state.broken-*.json"))
    finally:
        chain.close()
        node.stop()


def test_replay_puts_one_senders_transactions_in_nonce_order() -> None:
    from aiweb3.chain.journal import JournalEntry, _nonce_ordered

    def tx(seq: int, sender: str, nonce: int) -> JournalEntry:
        return JournalEntry(seq, 1, "tx", f"0x{seq}", sender, nonce, b"", "confirmed", None, None)

    call = JournalEntry(3, 1, "call", None, None, None, b"[]", "confirmed", None, None)
    entries = [tx(1, "a", 6), tx(2, "b", 0), call, tx(4, "a", 5), tx(5, "a", 7)]
    assert [(e.sender, e.nonce) for e in _nonce_ordered(entries)] == [
        ("a", 5), ("b", 0), (None, None), ("a", 6), ("a", 7)
    ]  # fmt: skip
