"""2,000 AIUSD transfers on one fresh local node, three ways, alternated in the same run.

- plain web3.py: ``contract.functions.transfer(...).transact()`` and wait for each receipt
- aiweb3: ``Chain.bulk_send`` (signing included in the time)
- ceiling: transactions signed before the clock starts, sent as raw JSON-RPC batches of 100
  over one HTTP connection, receipts collected in batches — no library in between.

Goal (issue 2): aiweb3 >= 20x plain web3.py and >= 0.7x the ceiling.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx
from _common import log, report  # bench/ is on sys.path when run as a script
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

N = 2000
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def plain_web3(url: str, token: str, abi: list, sender: str, recipients: list[str]) -> float:
    w3 = Web3(Web3.HTTPProvider(url))
    contract = w3.eth.contract(address=token, abi=abi)
    flushes = 0
    started = time.perf_counter()
    for i in range(N):
        tx = contract.functions.transfer(recipients[i % len(recipients)], 1).transact({"from": sender})
        while True:
            # a transfer mines within milliseconds; after 50 ms the peer assumes anvil missed its
            # automine wake-up (foundry issue #10122) and mines a block, so the bug costs it little
            try:
                w3.eth.wait_for_transaction_receipt(tx, timeout=0.05, poll_latency=0.005)
                break
            except TimeExhausted:
                flushes += 1
                w3.provider.make_request(RPCEndpoint("evm_mine"), [])
    rate = N / (time.perf_counter() - started)
    log(f"web3.py: {flushes} missed automine wake-ups flushed")
    return rate


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
        client.post(chain.url, json=payload).raise_for_status()
    pending = [h for _, h in raws]
    last_progress = time.perf_counter()
    while pending:
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
            last_progress = time.perf_counter()
        elif time.perf_counter() - last_progress > 0.25:
            # the same flush aiweb3 does for anvil's missed automine wake-ups (docs/chain.md)
            client.post(chain.url, json={"jsonrpc": "2.0", "id": 0, "method": "evm_mine", "params": []})
            last_progress = time.perf_counter()
        pending = missing
        time.sleep(0.005)
    elapsed = time.perf_counter() - started
    client.close()
    return N / elapsed


def main() -> None:
    # a terminated benchmark still stops its node (the finally below runs on SystemExit)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
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
        recipients = [Account.create().address for _ in range(50)]
        results: dict[str, list[float]] = {"web3": [], "ours": [], "ceiling": []}
        for round_ in range(ROUNDS):
            results["web3"].append(
                plain_web3(info.url, usd.address, usd.abi, dev_account(1).address, recipients)
            )
            results["ours"].append(ours(chain, usd, recipients, 2))
            results["ceiling"].append(ceiling(chain, usd, recipients, 3))
            log(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in results.items()))
        figure = "erc20_transfers_per_s"
        ceiling_name = "raw JSON-RPC batches, pre-signed (ceiling)"
        report("chain_throughput", figure, results["ours"], "web3.py transact+wait",
               results["web3"], "higher", goal=20)  # fmt: skip
        report("chain_throughput", figure, results["ours"], ceiling_name,
               results["ceiling"], "higher", goal=0.7)  # fmt: skip
    finally:
        node.stop()


if __name__ == "__main__":
    main()
