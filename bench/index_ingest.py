"""Ingest throughput: aiweb3's indexer vs cryo on the same local chain (and a labelled extra line
against a plain web3.py loop).

Seeds a local anvil node with ERC-20 transfers packed into blocks (default 50,000 transfers
over 2,000 blocks), then runs ours and cryo in turns, the side going first alternating every
round, each extracting blocks, transactions, receipts, logs and decoded transfers of the whole
range, and prints one JSON line per comparison (BENCHMARKS.md format). cryo runs through its
Python package in its own virtual environment, which ``make bench`` installs from
``bench/peers/cryo.lock`` into ``.venv-cryo`` (``CRYO_PYTHON`` overrides the interpreter). A cryo
that cannot run stops the benchmark with a non-zero exit and the reason; if it fails part-way,
the lines report only the rounds both sides completed and the exit is still non-zero.

The web3.py loop (sequential, one request per receipt, against our batched and concurrent
fetcher) is not a like-for-like peer: its line is marked ``"headline": false``. (The question
engine's figures are in ``bench/nlq.py``.)

Usage: python bench/index_ingest.py [--transfers N] [--blocks N] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from _common import fail, interleave, log, report, turns  # bench/ is on sys.path when run as a script
from coincurve import PrivateKey
from eth_account import Account
from eth_utils import keccak

from aiweb3.chain import Chain, LocalNode, NodeConfig, TxRequest, artifact, dev_account, encode_call
from aiweb3.chain.txsign import sign_eip1559
from aiweb3.indexer import FetchConfig, Indexer, IndexStore

BENCH = "index_ingest"
LOOP_NOTE = "a labelled extra, not a headline: the sequential loop is not a like-for-like peer (cryo is)"
ROOT = Path(__file__).resolve().parents[1]
CRYO_PYTHON = os.environ.get("CRYO_PYTHON") or str(ROOT / ".venv-cryo" / "bin" / "python")


def seed(chain: Chain, transfers: int, blocks: int) -> tuple[str, int]:
    """Deploy a token and mine ``transfers`` pre-signed transfers into ``blocks`` blocks."""
    deployer = dev_account(0)
    art = artifact("TestToken")
    token_addr, _ = chain.deploy(deployer, art.abi, art.bytecode, "Bench Token", "BENCH", 18)
    token = chain.contract(art.abi, token_addr)
    n_senders = 200
    senders = [Account.from_key(keccak(f"bench-{i}".encode())) for i in range(n_senders)]
    for s in senders:
        chain.set_balance(s.address, 10**21)
    mints = [TxRequest(token_addr, encode_call(token.functions.mint(s.address, 10**30))) for s in senders]
    chain.bulk_send(deployer, mints).raise_on_failure()
    per_block = -(-transfers // blocks)
    template = encode_call(token.functions.transfer(senders[0].address, 1))
    keys = [PrivateKey(bytes(s.key)) for s in senders]
    nonces = [0] * n_senders
    chain.rpc("evm_setAutomine", [False])
    started = time.perf_counter()
    sent = 0
    try:
        for b in range(blocks):
            raws = []
            for _ in range(min(per_block, transfers - sent)):
                i = sent % n_senders
                to = senders[(i * 7 + sent) % n_senders].address
                data = template[:16] + bytes.fromhex(to[2:]) + (sent + 1).to_bytes(32, "big")
                tx = sign_eip1559(
                    keys[i],
                    chain_id=chain.chain_id,
                    nonce=nonces[i],
                    max_priority_fee_per_gas=10**9,
                    max_fee_per_gas=20 * 10**9,
                    gas=80_000,
                    to=bytes.fromhex(token_addr[2:]),
                    value=0,
                    data=data,
                )
                nonces[i] += 1
                raws.append(("eth_sendRawTransaction", ["0x" + tx.raw.hex()]))
                sent += 1
            if raws:
                errors = [r for r in chain.rpc_batch(raws) if isinstance(r, Exception)]
                if errors:
                    raise errors[0]
            chain.rpc("evm_mine", [])
            if b % 250 == 0:
                log(f"  seeded {b}/{blocks} blocks ({sent} transfers)")
    finally:
        chain.rpc("evm_setAutomine", [True])
    log(f"seeded {sent} transfers in {blocks} blocks in {time.perf_counter() - started:.1f}s")
    return token_addr, chain.block_number()


def run_ours(url: str, first: int, last: int, workdir: Path) -> tuple[float, int]:
    db = workdir / "ours.duckdb"
    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    chain = Chain(url)
    with IndexStore(db) as store:
        started = time.perf_counter()
        report = Indexer(chain, store, fetch=FetchConfig(batch_size=50, concurrency=4)).run(first, last)
        seconds = time.perf_counter() - started
    chain.close()
    return seconds, report.rows


_CRYO_SCRIPT = """
import json, sys, time, glob, cryo
url, first, last, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
t = time.perf_counter()
cryo.freeze(["blocks", "transactions", "logs", "erc20_transfers"], rpc=url, blocks=[f"{first}:{last + 1}"],
            output_dir=out, no_verbose=True, max_concurrent_requests=16, chunk_size=1000)
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "files": len(glob.glob(out + "/*.parquet"))}))
"""


class PeerFailed(Exception):
    """The peer could not complete a run."""


def cryo_version() -> str:
    """The installed cryo's version; stops the benchmark loudly when the peer cannot run."""
    how = "run `make bench B=index_ingest`, which installs bench/peers/cryo.lock into .venv-cryo"
    if not Path(CRYO_PYTHON).exists():
        fail(BENCH, f"the cryo peer is not installed ({CRYO_PYTHON} does not exist); {how}")
    proc = subprocess.run(
        [CRYO_PYTHON, "-c", "import cryo; print(cryo.__version__)"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        fail(BENCH, f"the cryo peer cannot run ({last}); {how}")
    return proc.stdout.strip()


def run_cryo(url: str, first: int, last: int, workdir: Path) -> tuple[float, int]:
    """Seconds (measured inside the cryo process, so without its start-up) and rows written."""
    out = workdir / "cryo"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    proc = subprocess.run(
        [CRYO_PYTHON, "-c", _CRYO_SCRIPT, url, str(first), str(last), str(out)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if proc.returncode != 0:
        log(proc.stderr[-2000:])
        lines = proc.stderr.strip().splitlines()
        raise PeerFailed(f"exit status {proc.returncode}: {lines[-1] if lines else 'no output'}")
    seconds = json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]
    import duckdb

    con = duckdb.connect()
    rows = int(
        con.execute(f"SELECT count(*) FROM read_parquet('{out}/*.parquet', union_by_name=true)").fetchone()[0]
    )
    return seconds, rows


def run_web3_loop(url: str, first: int, last: int, workdir: Path) -> tuple[float, int]:
    """The plain way: web3.py, one block and its receipts at a time, rows into DuckDB."""
    import duckdb
    from web3 import Web3

    w3 = Web3(Web3.HTTPProvider(url))
    db = workdir / "loop.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE blocks(n UBIGINT, hash VARCHAR, ts UBIGINT)")
    con.execute("CREATE TABLE txs(hash VARCHAR, n UBIGINT, sender VARCHAR, to_ VARCHAR, gas_used UBIGINT)")
    con.execute("CREATE TABLE logs(tx VARCHAR, idx INTEGER, address VARCHAR, topic0 VARCHAR, data VARCHAR)")
    con.execute("CREATE TABLE transfers(tx VARCHAR, token VARCHAR, src VARCHAR, dst VARCHAR, value VARCHAR)")
    transfer = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
    started = time.perf_counter()
    rows = 0
    for n in range(first, last + 1):
        block = w3.eth.get_block(n, full_transactions=True)
        b, t, lg, tr = [(n, block["hash"].hex(), block["timestamp"])], [], [], []
        for tx in block["transactions"]:
            rc = w3.eth.get_transaction_receipt(tx["hash"])
            t.append((tx["hash"].hex(), n, tx["from"], tx.get("to"), rc["gasUsed"]))
            for log_ in rc["logs"]:
                topics = [x.to_0x_hex() for x in log_["topics"]]
                lg.append(
                    (
                        tx["hash"].hex(),
                        log_["logIndex"],
                        log_["address"],
                        topics[0] if topics else None,
                        log_["data"].hex(),
                    )
                )
                if topics and topics[0] == transfer and len(topics) == 3:
                    tr.append(
                        (
                            tx["hash"].hex(),
                            log_["address"],
                            topics[1],
                            topics[2],
                            str(int(log_["data"].hex() or "0", 16)),
                        )
                    )
        for table, values in (("blocks", b), ("txs", t), ("logs", lg), ("transfers", tr)):
            if values:
                con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(values[0]))})", values)
                rows += len(values)
    seconds = time.perf_counter() - started
    con.close()
    return seconds, rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transfers", type=int, default=50_000)
    parser.add_argument("--blocks", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--loop-blocks", type=int, default=100, help="blocks for the slow web3.py loop")
    args = parser.parse_args()
    cryo_label = f"cryo {cryo_version()} (freeze to parquet)"
    failure: str | None = None
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        node = LocalNode(NodeConfig(home=work / "node"))
        node.start()
        try:
            chain = Chain(node.url)
            _, head = seed(chain, args.transfers, args.blocks)
            first, last = head - args.blocks + 1, head
            nblocks = last - first + 1
            # (blocks/s, rows/s) per completed round, kept only for rounds both sides finished
            pairs: list[tuple[tuple[float, float], tuple[float, float]]] = []
            for run, order in turns(["ours", "cryo"], args.runs):
                got: dict[str, tuple[float, float]] = {}
                for side in order:
                    if side == "ours":
                        s, rows = run_ours(node.url, first, last, work)
                    else:
                        try:
                            s, rows = run_cryo(node.url, first, last, work)
                        except (PeerFailed, subprocess.TimeoutExpired) as exc:
                            failure = f"cryo failed in round {run + 1}: {exc}"
                            break
                    got[side] = (nblocks / s, rows / s)
                    log(f"run {run}: {side} {nblocks / s:,.0f} blocks/s {rows / s:,.0f} rows/s ({rows} rows)")
                if failure is not None:
                    log(f"{failure}; reporting the {len(pairs)} round(s) both sides completed")
                    break
                pairs.append((got["ours"], got["cryo"]))
            if pairs:
                ours_runs, cryo_runs = [p[0] for p in pairs], [p[1] for p in pairs]
                for i, figure in enumerate(("blocks_per_s", "rows_per_s")):
                    report(BENCH, figure, [r[i] for r in ours_runs], cryo_label,
                           [r[i] for r in cryo_runs], "higher", goal=1)  # fmt: skip
            # The plain web3.py loop is slow: compare on the first --loop-blocks blocks only.
            small_last = first + min(args.loop_blocks, nblocks) - 1
            small = small_last - first + 1
            ours_small, loop_small = interleave(
                lambda: small / run_ours(node.url, first, small_last, work)[0],
                lambda: small / run_web3_loop(node.url, first, small_last, work)[0],
                args.runs,
            )
            report(BENCH, "blocks_per_s_vs_web3py_loop", ours_small,
                   "web3.py get_block+receipts loop (sequential, one request per receipt)", loop_small,
                   "higher", extra={"headline": False, "note": LOOP_NOTE})  # fmt: skip
            chain.close()
        finally:
            node.stop()
    if failure is not None:
        fail(BENCH, failure)


if __name__ == "__main__":
    main()
