"""Private payments: scanning announcements with and without view tags, the gas of a stealth
payment (register, announce, transfer, sweep), and the shielded pool on the local node.

Scan: 10,000 ERC-5564 announcements, 1% of them to the recipient, scanned with view tags (one ecMUL
and one hash for 255 in 256 foreign ones) and without (every check goes to the address), in
alternating rounds; medians. Gas: from the receipts of one of each transaction.

Pool: a withdrawal proof at depth 20 made our way (``prove_withdrawal``: Python -> the node script,
which also builds both Merkle paths) against ``snarkjs groth16 fullprove`` (its own CLI) on the same
circuit, input, wasm and proving key, alternating, medians; then the gas of a deposit, of the
withdrawal through a relayer, and of the verifier's ``verifyProof`` alone.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import report

from aiweb3.agents import TokenInfo
from aiweb3.chain import (
    Chain,
    Deployments,
    LocalNode,
    NodeConfig,
    TxRequest,
    artifact,
    deploy_system,
    dev_account,
    encode_call,
)
from aiweb3.privacy import (
    Announcement,
    NoteBook,
    ShieldedPool,
    StealthKeys,
    StealthRegistry,
    announcements,
    deposit_note,
    ensure_pool,
    generate_stealth_address,
    prepare_withdrawal,
    relay,
    scan,
    send_stealth,
    sweep,
    token_metadata,
    zk_artifacts,
)
from aiweb3.privacy.zk import WithdrawalWitness, circuit_input, prove_withdrawal
from aiweb3.tools import node_modules

BENCH = "privacy"
N = 10_000
ROUNDS = 3
PROOF_ROUNDS = 3


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


def _snarkjs_cli_prove(witness: WithdrawalWitness, wasm: Path, zkey: Path, work: Path) -> float:
    (work / "input.json").write_text(json.dumps(circuit_input(witness)))
    cli = node_modules() / "snarkjs" / "build" / "cli.cjs"
    started = time.perf_counter()
    args = [
        "groth16",
        "fullprove",
        work / "input.json",
        wasm,
        zkey,
        work / "proof.json",
        work / "public.json",
    ]
    subprocess.run(["node", str(cli), *map(str, args)], check=True, capture_output=True)
    return time.perf_counter() - started


def bench_pool() -> None:
    zk = zk_artifacts()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        node = LocalNode(NodeConfig(home=home))
        node.start()
        try:
            chain = Chain(node.url)
            deploy_system(chain, dev_account(0), home)
            aiusd = chain.contract(artifact("AIUSD").abi, system_contract_address(home, chain.chain_id))
            for i in (1, 2):
                chain.transact(dev_account(i), aiusd.functions.faucet(dev_account(i).address, 10**9))
            pool = ensure_pool(
                chain, home, dev_account(0), zk, denomination=10**6, provider=dev_account(0).address
            )
            book = NoteBook(home)
            note = deposit_note(chain, pool, dev_account(1), book, "bench")
            deposit_gas = int(chain.rpc("eth_getTransactionReceipt", [note.deposit_tx])["gasUsed"], 16)
            deposit_note(chain, pool, dev_account(2), book, "bench")
            pool.publish_association_set(dev_account(0))
            secrets = book.secrets(note, "bench")
            leaves = [d.commitment for d in pool.deposits()]
            witness = WithdrawalWitness(leaves, 0, leaves, 0, secrets.nullifier, secrets.secret,
                                        dev_account(5).address, dev_account(3).address, 10_000,
                                        chain.chain_id, pool.address)  # fmt: skip
            ours: list[float] = []
            peer: list[float] = []
            for _ in range(PROOF_ROUNDS):
                started = time.perf_counter()
                prove_withdrawal(zk, witness)
                ours.append(time.perf_counter() - started)
                peer.append(_snarkjs_cli_prove(witness, zk.wasm, zk.zkey, home))
            request = prepare_withdrawal(chain, pool, note, secrets, zk, recipient=dev_account(5).address,
                                         relayer=dev_account(3).address, fee=10_000)  # fmt: skip
            verifier = chain.contract(artifact("ShieldedPoolVerifier").abi, pool_verifier(chain, pool))
            proof = list(request.proof)
            call = verifier.functions.verifyProof(proof[0:2], [proof[2:4], proof[4:6]], proof[6:8],
                                                  request.public_signals())  # fmt: skip
            if not chain.call(call):
                sys.exit("the verifier refused the benchmark's proof")
            # a transaction, not eth_estimateGas: a verifier starved of gas returns false instead of
            # reverting, so estimation settles on a gas limit too low for the pairing
            sent = chain.send(dev_account(3), TxRequest(verifier.address, encode_call(call), 0, 1_000_000))
            verify_gas = int(sent["gasUsed"])
            withdraw_gas = int(relay(chain, pool, dev_account(3), request, zk)["gasUsed"])
        finally:
            node.stop()
    peer_name = "snarkjs groth16 fullprove (CLI)"
    report(BENCH, "withdrawal_proof_depth20_s", ours, peer_name, peer, "lower", goal=1.1,
           extra={"constraints": zk.manifest["constraints"]})  # fmt: skip
    for figure, gas in (
        ("pool_deposit_gas", deposit_gas),
        ("pool_withdrawal_gas", withdraw_gas),
        ("groth16_verify_tx_gas", verify_gas),
    ):
        report(BENCH, figure, [float(gas)], None, None, "lower")


def system_contract_address(home: Path, chain_id: int) -> str:
    return Deployments(home, chain_id).address("AIUSD")


def pool_verifier(chain: Chain, pool: ShieldedPool) -> str:
    return str(chain.call(pool.contract.functions.verifier()))


if __name__ == "__main__":
    bench_scan()
    bench_gas()
    bench_pool()
