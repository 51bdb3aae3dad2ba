"""Private payments: scanning announcements with and without view tags, and the gas of a stealth
payment (register, announce, transfer, sweep) on the local node.

Scan: 10,000 ERC-5564 announcements, 1% of them to the recipient, scanned with view tags (one ecMUL
and one hash for 255 in 256 foreign ones) and without (every check goes to the address), in
alternating rounds; medians. Gas: from the receipts of one of each transaction.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

from _common import report

from aiweb3.agents import TokenInfo
from aiweb3.chain import Chain, LocalNode, NodeConfig, artifact, deploy_system, dev_account
from aiweb3.privacy import (
    Announcement,
    StealthKeys,
    StealthRegistry,
    announcements,
    generate_stealth_address,
    scan,
    send_stealth,
    sweep,
    token_metadata,
)

BENCH = "privacy"
N = 10_000
ROUNDS = 3


def _announcements(recipient: StealthKeys, n: int, share: float, seed: int) -> list[Announcement]:
    rng = random.Random(seed)
    others = [StealthKeys.generate().meta for _ in range(20)]
    items = []
    for i in range(n):
        meta = recipient.meta if rng.random() < share else rng.choice(others)
        made = generate_stealth_address(meta, ephemeral_key=rng.randbytes(31) + b"\1")
        items.append(Announcement(1, made.address, made.address, made.ephemeral_public_key,
                                  token_metadata(made.view_tag, made.address, 1), i, "0x"))  # fmt: skip
    return items


def bench_scan() -> None:
    recipient = StealthKeys.generate()
    items = _announcements(recipient, N, 0.01, seed=7)
    times: dict[str, list[float]] = {"tags": [], "plain": []}
    found: dict[str, int] = {}
    for _ in range(ROUNDS):
        for mode in ("tags", "plain"):
            started = time.perf_counter()
            mine = scan(items, recipient.viewing, use_view_tags=mode == "tags")
            times[mode].append(time.perf_counter() - started)
            found[mode] = len(mine)
    if found["tags"] != found["plain"]:
        sys.exit(f"view-tag scan found {found['tags']} payments, full scan {found['plain']}")
    peer = "the same scan without view tags"
    report(BENCH, f"scan_{N}_announcements_s", times["tags"], peer, times["plain"], "lower",
           extra={"payments_found": found["tags"]})  # fmt: skip


def bench_gas() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        node = LocalNode(NodeConfig(home=home))
        node.start()
        try:
            chain = Chain(node.url)
            system = deploy_system(chain, dev_account(0), home)
            token = TokenInfo(system["AIUSD"].address, chain.chain_id)
            aiusd = chain.contract(artifact("AIUSD").abi, token.address)
            chain.transact(dev_account(0), aiusd.functions.faucet(dev_account(0).address, 10**9))
            keys = StealthKeys.generate()
            registry = StealthRegistry.from_home(chain, home)
            registered = registry.register(dev_account(1), keys.meta)
            paid = send_stealth(chain, home, dev_account(0), token, keys.meta, 1_000_000)
            announce = chain.rpc("eth_getTransactionReceipt", [paid.announce_tx])
            transfer = chain.rpc("eth_getTransactionReceipt", [paid.transfer_tx])
            mine = scan(announcements(chain, home), keys.viewing)
            swept = sweep(chain, token, mine[0], keys, dev_account(3).address, dev_account(2), fee=10_000)
            sweep_gas = sum(int(chain.rpc("eth_getTransactionReceipt", [t])["gasUsed"], 16) for t in swept)
        finally:
            node.stop()
    for figure, gas in (
        ("register_meta_address_gas", int(registered["gasUsed"])),
        ("announce_gas", int(announce["gasUsed"], 16)),
        ("transfer_to_stealth_gas", int(transfer["gasUsed"], 16)),
        ("sweep_with_relayer_fee_gas", sweep_gas),
    ):
        report(BENCH, figure, [float(gas)], None, None, "lower")


if __name__ == "__main__":
    bench_scan()
    bench_gas()
