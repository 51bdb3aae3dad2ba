"""The chain client on a real node: nonces under concurrency, bulk sends, errors, deployments."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.chain import (
    Chain,
    Deployments,
    LocalNode,
    TxRequest,
    deploy_system,
    dev_account,
    encode_call,
)
from aiweb3.errors import ChainIdMismatch, InsufficientFunds, RPCUnreachable, TransactionReverted

pytestmark = pytest.mark.usefixtures("chain_isolation")


def test_concurrent_senders_never_clash(chain: Chain, aiusd: Contract, accounts: list[LocalAccount]) -> None:
    sender = accounts[0]
    targets = [Account.create().address for _ in range(4)]

    def send(i: int) -> int:
        receipt = chain.transact(sender, aiusd.functions.transfer(targets[i % 4], 1 + i))
        return int(receipt["status"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(send, range(40)))
    assert statuses == [1] * 40
    total = sum(chain.call(aiusd.functions.balanceOf(t)) for t in targets)
    assert total == sum(1 + i for i in range(40))


def test_bulk_send_reports_each_failure(chain: Chain, aiusd: Contract, accounts: list[LocalAccount]) -> None:
    sender = accounts[1]
    balance = chain.call(aiusd.functions.balanceOf(sender.address))
    to = Account.create().address
    reqs = [TxRequest(aiusd.address, encode_call(aiusd.functions.transfer(to, 1))) for _ in range(150)]
    # the 100th request tries to move more than the sender will still hold
    reqs[99] = TxRequest(aiusd.address, encode_call(aiusd.functions.transfer(to, balance)), gas=120_000)
    result = chain.bulk_send(sender, reqs, batch_size=40)
    assert len(result.receipts) == 150
    assert [i for i, _ in result.failures] == [99]
    assert result.failures[0][1].error_name == "ERC20InsufficientBalance"
    assert chain.call(aiusd.functions.balanceOf(to)) == 149
    with pytest.raises(TransactionReverted, match="request #99"):
        result.raise_on_failure()


def test_bulk_send_survives_flushes_racing_the_miner(chain: Chain, accounts: list[LocalAccount]) -> None:
    """An ``evm_mine`` that races a block anvil is still automining can drop a transaction from
    its pool (every later nonce then waits for good): what a loaded machine does to the flush of
    missed automine wake-ups. Here another client flushes non-stop during bulk sends, which
    strands one within a few thousand transactions (before the fix: "N transactions were not
    mined in time"); bulk_send takes its stranded transactions out of the pool, sends them again,
    and every transfer lands."""
    sender, to = accounts[5], Account.create().address
    stop = threading.Event()

    def flush_non_stop() -> None:
        with httpx.Client(timeout=30) as http:
            while not stop.is_set():
                http.post(chain.url, json={"jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []})

    flusher = threading.Thread(target=flush_non_stop)
    flusher.start()
    try:
        for _ in range(3):
            result = chain.bulk_send(sender, [TxRequest(to, b"", 1, 21_000) for _ in range(3000)])
            result.raise_on_failure()
            assert len(result.receipts) == 3000
    finally:
        stop.set()
        flusher.join()
    assert chain.w3.eth.get_balance(to) == 9000  # type: ignore[arg-type]


def test_bulk_send_sends_nothing_when_an_estimate_reverts(
    chain: Chain, aiusd: Contract, accounts: list[LocalAccount]
) -> None:
    poor = Account.create()
    chain.set_balance(poor.address, 10**18)
    to = Account.create().address
    reqs = [TxRequest(aiusd.address, encode_call(aiusd.functions.transfer(to, 1)))] * 3
    with pytest.raises(TransactionReverted, match="ERC20InsufficientBalance"):
        chain.bulk_send(poor, reqs)
    assert int(chain.rpc("eth_getTransactionCount", [poor.address, "latest"]), 16) == 0


def test_insufficient_eth_is_a_clear_error(chain: Chain) -> None:
    broke = Account.create()
    with pytest.raises(InsufficientFunds, match="fund it"):
        chain.send(broke, TxRequest(dev_account(0).address, value=1, gas=21_000))


def test_unreachable_and_wrong_chain(local_node: LocalNode) -> None:
    with pytest.raises(RPCUnreachable, match="no JSON-RPC answer"):
        Chain("http://127.0.0.1:9")
    with pytest.raises(ChainIdMismatch, match="chain id 31337"):
        Chain(local_node.url, expected_chain_id=1)


def test_events_are_decoded(chain: Chain, aiusd: Contract, accounts: list[LocalAccount]) -> None:
    to = Account.create().address
    receipt = chain.transact(accounts[2], aiusd.functions.transfer(to, 42))
    assert chain.events(aiusd, "Transfer", receipt) == [{"from": accounts[2].address, "to": to, "value": 42}]


def test_deploy_is_idempotent_and_rechecks_code(
    chain: Chain, deployer: LocalAccount, aiweb3_home: Path, deployments: dict[str, object]
) -> None:
    first = deploy_system(chain, deployer, aiweb3_home)
    seen: list[tuple[str, str]] = []
    again = deploy_system(chain, deployer, aiweb3_home, on_progress=lambda n, w: seen.append((n, w)))
    assert again == first and seen == [(name, "reused") for name in first]
    # someone replaced the code at the recorded address: it must not be trusted
    chain.rpc("anvil_setCode", [first["AIUSD"].address, "0x6000"])
    seen.clear()
    fresh = deploy_system(chain, deployer, aiweb3_home, on_progress=lambda n, w: seen.append((n, w)))
    assert seen[0] == ("AIUSD", "deployed")  # and everything after it, which may hold its address
    assert {what for _, what in seen} == {"deployed"}
    assert fresh["AIUSD"].address != first["AIUSD"].address
    book = Deployments(aiweb3_home, chain.chain_id)
    assert book.address("AIUSD") == fresh["AIUSD"].address
    # restore the session's record for later tests (the chain itself is reverted)
    book.save(first)  # type: ignore[arg-type]


def test_block_time_follows_the_node_clock_not_the_wall_clock(chain: Chain) -> None:
    def latest() -> int:
        return int(chain.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    snap = chain.snapshot()
    before = latest()
    try:
        chain.rpc("evm_increaseTime", [7 * 86_400])
        chain.rpc("evm_mine", [])
        ahead = chain.block_time()
        assert ahead >= latest() >= before + 7 * 86_400
        assert ahead > time.time() + 6 * 86_400  # ahead of the wall clock, which it reports
    finally:
        chain.revert(snap)
    # back at the snapshot's time: the node is behind the moment it was a week ahead of
    behind = chain.block_time()
    assert behind < ahead - 6 * 86_400
    chain.rpc("evm_mine", [])
    assert behind <= latest() <= behind + 30  # the next block is where block_time said
