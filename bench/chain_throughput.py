"""2,000 AIUSD transfers three ways per round, each round on a fresh local node, the running
order rotated every round (no side always goes first).

- plain web3.py: ``contract.functions.transfer(...).transact()`` and wait for each receipt
- aiweb3: ``Chain.bulk_send`` (signing included in the time)
- ceiling: transactions signed before the clock starts, sent as raw JSON-RPC batches of 100
  over one HTTP connection, receipts collected in batches — no library in between.

anvil sometimes misses its automine wake-up (foundry-rs/foundry#10122): a transaction then waits
until the next one arrives, and the sequential web3.py peer flushes it with ``evm_mine`` after
50 ms. That is the node's bug, not the peer's, so the headline compares only the rounds where the
peer flushed at most one transfer in 200; the other rounds' figures are printed beside it.

Goal (issue 2): aiweb3 >= 20x plain web3.py and >= 0.7x the ceiling.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _common import fail, log, report, turns  # bench/ is on sys.path when run as a script
from eth_account import Account
from web3 import Web3
from web3.exceptions import TimeExhausted
from web3.types import RPCEndpoint

from aiweb3.chain import (
    Chain,
    LocalNode,
    NodeConfig,
    TxRequest,
    deploy_system,
    dev_account,
    encode_call,
    system_contract,
)

BENCH = "chain_throughput"
N = 2000
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
# A round is hit by anvil's missed automine wake-ups when the peer had to flush more than one
# transfer in 200 (each flush costs it 50 ms); those rounds are reported beside the headline.
MAX_MISSED = N // 200
RECEIPT_DEADLINE = 120.0  # seconds without progress before a side is declared stuck


def plain_web3(url: str, token: str, abi: list, sender: str, recipients: list[str]) -> tuple[float, int]:
    """Transfers per second and how many of them anvil's automine forgot to mine."""
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60}))
    contract = w3.eth.contract(address=token, abi=abi)
    missed = 0
    started = time.perf_counter()
    for i in range(N):
        tx = contract.functions.transfer(recipients[i % len(recipients)], 1).transact({"from": sender})
        waited_since = time.perf_counter()
        flushes = 0
        while True:
            # a transfer mines within milliseconds; after 50 ms the peer assumes anvil missed its
            # automine wake-up (foundry issue #10122) and mines a block, so the bug costs it little
            try:
                w3.eth.wait_for_transaction_receipt(tx, timeout=0.05, poll_latency=0.005)
                break
            except TimeExhausted:
                missed += 1
                flushes += 1
                if flushes % 20 == 0:
                    # a flush that raced a block anvil was still mining can strand the transfer
                    # in the pool for good: take it out and send it again (it gets the same nonce)
                    w3.provider.make_request(RPCEndpoint("anvil_removePoolTransactions"), [sender])
                    tx = contract.functions.transfer(recipients[i % len(recipients)], 1).transact(
                        {"from": sender}
                    )
                w3.provider.make_request(RPCEndpoint("evm_mine"), [])
            if time.perf_counter() - waited_since > RECEIPT_DEADLINE:
                fail(BENCH, f"web3.py peer: transfer {i} ({tx.hex()}) not mined in {RECEIPT_DEADLINE:.0f} s")
    return N / (time.perf_counter() - started), missed


def ours(chain: Chain, usd, recipients: list[str], sender_index: int) -> float:
    signer = dev_account(sender_index)
    reqs = [
        TxRequest(usd.address, encode_call(usd.functions.transfer(recipients[i % len(recipients)], 1)))
        for i in range(N)
    ]
    started = time.perf_counter()
    result = chain.bulk_send(signer, reqs)
    elapsed = time.perf_counter() - started
    result.raise_on_failure()
    return N / elapsed


def ceiling(chain: Chain, usd, recipients: list[str], sender_index: int) -> float:
    acct = dev_account(sender_index)
    nonce = int(chain.rpc("eth_getTransactionCount", [acct.address, "pending"]), 16)
    max_fee, tip = chain.fees()
    raws = []
    for i in range(N):
        data = encode_call(usd.functions.transfer(recipients[i % len(recipients)], 1))
        tx = {
            "type": 2,
            "chainId": chain.chain_id,
            "nonce": nonce + i,
            "to": usd.address,
            "data": data,
            "value": 0,
            "gas": 80_000,
            "maxFeePerGas": max_fee,
            "maxPriorityFeePerGas": tip,
        }
        signed = Account.sign_transaction(tx, acct.key)
        raws.append(("0x" + bytes(signed.raw_transaction).hex(), "0x" + bytes(signed.hash).hex()))
    client = httpx.Client(timeout=60)
    started = time.perf_counter()
    for start in range(0, N, 100):
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": [raw]}
            for i, (raw, _) in enumerate(raws[start : start + 100])
        ]
        reply = client.post(chain.url, json=payload)
        reply.raise_for_status()
        errors = [r["error"] for r in reply.json() if r.get("error")]
        if errors:  # a refused transaction would leave a nonce gap and the wait below would never end
            fail(BENCH, f"ceiling: the node refused a raw transaction in batch {start // 100}: {errors[0]}")
    raw_of = {h: raw for raw, h in raws}
    pending = [h for _, h in raws]
    last_progress = progressed = time.perf_counter()
    flushed_without_progress = False
    while pending:
        if time.perf_counter() - progressed > RECEIPT_DEADLINE:
            fail(BENCH, f"ceiling: {len(pending)} transactions not mined in {RECEIPT_DEADLINE:.0f} s")
        missing = []
        for start in range(0, len(pending), 200):
            chunk = pending[start : start + 200]
            payload = [
                {"jsonrpc": "2.0", "id": i, "method": "eth_getTransactionReceipt", "params": [h]}
                for i, h in enumerate(chunk)
            ]
            replies = {r["id"]: r for r in client.post(chain.url, json=payload).json()}
            missing += [h for i, h in enumerate(chunk) if not replies[i].get("result")]
        if len(missing) < len(pending):
            last_progress = progressed = time.perf_counter()
            flushed_without_progress = False
        elif time.perf_counter() - last_progress > 0.25:
            # the same flush, and the same recovery from a flush that raced the miner and stranded
            # transactions in the pool, that aiweb3 does (docs/chain.md)
            if flushed_without_progress:
                rpc = [
                    {
                        "jsonrpc": "2.0",
                        "id": 0,
                        "method": "anvil_removePoolTransactions",
                        "params": [acct.address],
                    }
                ]
                client.post(chain.url, json=rpc)
                client.post(chain.url, json=[
                    {"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": [raw_of[h]]}
                    for i, h in enumerate(missing)
                ])  # fmt: skip
            client.post(chain.url, json={"jsonrpc": "2.0", "id": 0, "method": "evm_mine", "params": []})
            flushed_without_progress = True
            last_progress = time.perf_counter()
        pending = missing
        time.sleep(0.005)
    elapsed = time.perf_counter() - started
    client.close()
    return N / elapsed


def one_round(order: list[str], recipients: list[str]) -> dict[str, float]:
    """One round on a fresh node (the same starting state for every round), sides in ``order``."""
    home = Path(tempfile.mkdtemp(prefix="aiweb3-bench-"))
    # anvil rewrites its whole state file every state interval; with thousands of blocks that
    # stalls the node for seconds, which would measure the dump, not the client: dump hourly
    node = LocalNode(NodeConfig(home=home, state_interval=3600))
    info = node.start()
    try:
        chain = Chain(info.url)
        deploy_system(chain, dev_account(0), home)
        usd = system_contract(chain, home, "AIUSD")
        for i in (1, 2, 3):
            chain.transact(dev_account(i), usd.functions.faucet(dev_account(i).address, 10**12))
        out: dict[str, float] = {}
        for side in order:
            if side == "web3":
                out["web3"], missed = plain_web3(
                    info.url, usd.address, usd.abi, dev_account(1).address, recipients
                )
                out["missed"] = missed
            elif side == "ours":
                out["ours"] = ours(chain, usd, recipients, 2)
            else:
                out["ceiling"] = ceiling(chain, usd, recipients, 3)
        chain.close()
        return out
    finally:
        node.stop()
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    # a terminated benchmark still stops its node (the finally above runs on SystemExit)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    recipients = [Account.create().address for _ in range(50)]
    rounds: list[dict[str, float]] = []
    for r, order in turns(["web3", "ours", "ceiling"], ROUNDS):
        rounds.append(one_round(order, recipients))
        got = rounds[-1]
        log(f"round {r + 1} ({' '.join(order)}): ours {got['ours']:.0f}/s, web3.py {got['web3']:.0f}/s "
            f"({got['missed']:.0f} missed wake-ups flushed), ceiling {got['ceiling']:.0f}/s")  # fmt: skip
    clean = [x for x in rounds if x["missed"] <= MAX_MISSED]
    hit = [x for x in rounds if x["missed"] > MAX_MISSED]
    figure = "erc20_transfers_per_s"
    beside: dict[str, object] = {
        "missed_wakeups_per_round": [int(x["missed"]) for x in rounds],
        "rounds_with_missed_wakeups": len(hit),
    }
    if hit:
        peer_hit = statistics.median(x["web3"] for x in hit)
        beside["peer_value_with_missed_wakeups"] = round(peer_hit, 4)
        beside["ratio_with_missed_wakeups"] = round(statistics.median(x["ours"] for x in hit) / peer_hit, 3)
    if clean:
        report(BENCH, figure, [x["ours"] for x in clean], "web3.py transact+wait",
               [x["web3"] for x in clean], "higher", goal=20, extra=beside)  # fmt: skip
    else:  # every round was hit: say so rather than print a ratio the node's bug inflated
        report(BENCH, figure, [x["ours"] for x in rounds], "web3.py transact+wait (every round hit by missed "
               "automine wake-ups: ratio inflated)", [x["web3"] for x in rounds], "higher", goal=20,
               extra=beside)  # fmt: skip
    report(BENCH, figure, [x["ours"] for x in rounds], "raw JSON-RPC batches, pre-signed (ceiling)",
           [x["ceiling"] for x in rounds], "higher", goal=0.7)  # fmt: skip


if __name__ == "__main__":
    main()
