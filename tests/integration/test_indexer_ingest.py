"""Ingest from a real anvil node: completeness, resume after failures, retries, reorgs, export."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from aiweb3.chain import Chain, LocalNode, NodeConfig, TxRequest, dev_account
from aiweb3.errors import ChainError, InputError
from aiweb3.indexer import FetchConfig, Indexer, IndexStore
from aiweb3.indexer.schema import BLOCK_TABLES
from aiweb3.indexer.seed import SeedReport, seed_chain


class Proxy:
    """A JSON-RPC proxy in front of anvil whose ``policy(n)`` decides each request's fate:
    "ok" forwards it, "429" answers rate-limited, "slow" answers after the client's timeout,
    "down" answers HTTP 502 without JSON (a broken gateway)."""

    def __init__(self, upstream: str, policy: Callable[[int], str], deny: tuple[str, ...] = ()) -> None:
        self.upstream = upstream
        self.policy = policy
        self.deny = deny  # methods answered with "method not found", as many providers do
        self.count = 0
        self.outcomes: list[str] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with proxy._lock:
                    proxy.count += 1
                    fate = proxy.policy(proxy.count)
                    proxy.outcomes.append(fate)
                if fate == "429":
                    self._reply(429, b"Too Many Requests", "text/plain")
                    return
                if fate == "down":
                    self._reply(502, b"<html>bad gateway</html>", "text/html")
                    return
                if fate == "slow":
                    time.sleep(1.5)
                calls = json.loads(body)
                if isinstance(calls, list) and any(c["method"] in proxy.deny for c in calls):
                    error = {"code": -32601, "message": "the method does not exist/is not available"}
                    reply = [{"jsonrpc": "2.0", "id": c["id"], "error": error} for c in calls]
                    self._reply(200, json.dumps(reply).encode(), "application/json")
                    return
                resp = httpx.post(proxy.upstream, content=body, headers={"Content-Type": "application/json"})
                self._reply(200, resp.content, "application/json")

            def _reply(self, code: int, data: bytes, ctype: str) -> None:
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalNode, Path]]:
    home = tmp_path_factory.mktemp("indexer-ingest")
    n = LocalNode(NodeConfig(home=home))
    n.start()
    try:
        yield n, home
    finally:
        n.stop()


@pytest.fixture(scope="module")
def seeded(node: tuple[LocalNode, Path]) -> Iterator[tuple[Chain, SeedReport, Path]]:
    local, home = node
    chain = Chain(local.url)
    report = seed_chain(chain, home, accounts=12, days=3, per_day=25)
    try:
        yield chain, report, home
    finally:
        chain.close()


def _snapshot(store: IndexStore) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table in (*BLOCK_TABLES, "tokens"):
        out[table] = sorted(store.con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
    return out


@pytest.fixture(scope="module")
def reference(
    seeded: tuple[Chain, SeedReport, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A straight, uninterrupted index of the seeded chain up to its head at seeding time."""
    chain, _, _ = seeded
    path = tmp_path_factory.mktemp("ref") / "ref.duckdb"
    with IndexStore(path) as store:
        report = Indexer(chain, store).run()
        return {"head": report.end, "tables": _snapshot(store), "counts": store.counts()}


def test_index_matches_the_chain(seeded: tuple[Chain, SeedReport, Path], reference: dict[str, Any]) -> None:
    chain, seed, _ = seeded
    head = reference["head"]
    counts = reference["counts"]
    assert counts["blocks"] == head + 1
    tx_total = sum(
        len(b["transactions"])
        for b in chain.rpc_batch([("eth_getBlockByNumber", [hex(n), False]) for n in range(head + 1)])
    )
    assert counts["transactions"] == counts["receipts"] == tx_total
    assert tx_total >= seed.transactions
    logs = chain.rpc("eth_getLogs", [{"fromBlock": "0x0", "toBlock": hex(head)}])
    assert counts["logs"] == len(logs)
    tables = reference["tables"]
    # ERC-20 balances rebuilt from decoded transfers equal balanceOf on chain.
    from aiweb3.chain import artifact

    token = chain.contract(artifact("TestToken").abi, seed.tokens["GLD"])
    rows = [r for r in tables["token_transfers"] if r[3] == seed.tokens["GLD"]]
    for account in seed.accounts[:6]:
        received = sum(r[7] for r in rows if r[6] == account)
        sent = sum(r[7] for r in rows if r[5] == account)
        assert received - sent == chain.call(token.functions.balanceOf(chain.w3.to_checksum_address(account)))
    kinds = {r[4] for r in tables["token_transfers"]}
    assert kinds == {"erc20", "erc721"}
    assert any(r[5] == "AuthorizationUsed" for r in tables["decoded_events"])
    symbols = {r[3] for r in tables["tokens"]}
    assert {"AIUSD", "TT", "GLD", "TNFT"} <= symbols


def test_failing_rpc_leaves_a_consistent_index_and_the_next_run_resumes(
    seeded: tuple[Chain, SeedReport, Path], reference: dict[str, Any], tmp_path: Path
) -> None:
    chain, _, _ = seeded
    upstream = chain.url
    # Requests 1-7 pass, then the gateway goes down for good.
    proxy = Proxy(upstream, lambda n: "ok" if n <= 7 else "down")
    db = tmp_path / "ix.duckdb"
    try:
        flaky = Chain(proxy.url)
        with IndexStore(db) as store:
            config = FetchConfig(batch_size=5, concurrency=2, max_retries=1, backoff=0.01)
            with pytest.raises(ChainError):
                Indexer(flaky, store, fetch=config).run(end=reference["head"])
            cp = store.checkpoint()
            assert cp is not None and -1 <= cp.last_block < reference["head"]
            # Nothing above the checkpoint was written.
            for table in BLOCK_TABLES:
                above = store.con.execute(
                    f"SELECT count(*) FROM {table} WHERE block_number > ?", [cp.last_block]
                ).fetchone()
                assert above == (0,)
            stopped_at = cp.last_block
        with IndexStore(db) as store:
            report = Indexer(chain, store, fetch=FetchConfig(batch_size=7, concurrency=3)).run(
                end=reference["head"]
            )
            assert report.start == stopped_at + 1
            assert _snapshot(store) == reference["tables"]
    finally:
        proxy.close()


def test_rate_limits_and_timeouts_are_retried(
    seeded: tuple[Chain, SeedReport, Path], reference: dict[str, Any], tmp_path: Path
) -> None:
    chain, _, _ = seeded
    fates = {3: "429", 4: "429", 8: "slow", 11: "429", 15: "down"}
    proxy = Proxy(chain.url, lambda n: fates.get(n, "ok"))
    try:
        provider = Chain(proxy.url, timeout=0.5)
        notes: list[str] = []
        with IndexStore(tmp_path / "ix.duckdb") as store:
            config = FetchConfig(batch_size=10, concurrency=2, rate_limit=400, backoff=0.01, max_retries=5)
            report = Indexer(provider, store, fetch=config, on_note=notes.append).run(end=reference["head"])
            assert report.retries >= 5
            assert any("retry" in n for n in notes)
            assert _snapshot(store) == reference["tables"]
        assert proxy.outcomes.count("429") == 3
    finally:
        proxy.close()


def test_range_beyond_head_is_clamped_and_gaps_refused(
    seeded: tuple[Chain, SeedReport, Path], reference: dict[str, Any], tmp_path: Path
) -> None:
    chain, _, _ = seeded
    with IndexStore(tmp_path / "ix.duckdb") as store:
        indexer = Indexer(chain, store)
        first = indexer.run(start=0, end=9)
        assert (first.start, first.end, first.clamped) == (0, 9, False)
        with pytest.raises(InputError, match="gap"):
            indexer.run(start=20)
        head = chain.block_number()
        second = indexer.run(end=head + 1000)
        assert second.clamped and second.end == head
        assert any("beyond the chain head" in n for n in second.notes)
        again = indexer.run()  # nothing new: no duplicates
        assert again.blocks == 0
        assert store.counts()["blocks"] == head + 1


def test_parquet_export_is_hive_partitioned(reference: dict[str, Any], seeded: Any, tmp_path: Path) -> None:
    chain, _, _ = seeded
    with IndexStore(tmp_path / "ix.duckdb") as store:
        Indexer(chain, store).run(end=reference["head"])
        counts = store.export_parquet(tmp_path / "out")
    days = sorted(p.name for p in (tmp_path / "out" / "blocks").iterdir())
    assert len(days) >= 3 and all(d.startswith("day=") for d in days)
    con = duckdb.connect()
    glob = str(tmp_path / "out" / "token_transfers" / "**" / "*.parquet")
    got = con.execute(f"SELECT count(*) FROM read_parquet('{glob}', hive_partitioning = true)").fetchone()
    assert got == (counts["token_transfers"],) and counts == reference["counts"]


def _transfers(chain: Chain, value_eth: int, count: int) -> list[str]:
    sender = dev_account(7)
    to = dev_account(8).address
    receipts = [chain.send(sender, TxRequest(to, b"", value_eth * 10**15 + i)) for i in range(count)]
    return [str(r["transactionHash"]).lower() for r in receipts]  # one block each (automine)


def _assert_matches_chain(chain: Chain, store: IndexStore) -> None:
    cp = store.checkpoint()
    assert cp is not None
    assert cp.last_block == chain.block_number()
    numbers = list(range(max(0, cp.last_block - 15), cp.last_block + 1))
    blocks = chain.rpc_batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
    for n, b in zip(numbers, blocks, strict=True):
        assert store.stored_hash(n) == b["hash"].lower()


def test_follow_handles_reorgs(seeded: tuple[Chain, SeedReport, Path], tmp_path: Path) -> None:
    chain, _, _ = seeded
    snap = chain.snapshot()
    try:
        with IndexStore(tmp_path / "ix.duckdb") as store:
            indexer = Indexer(chain, store, fetch=FetchConfig(batch_size=4))
            indexer.sync()
            fork_base = chain.block_number()
            branch = chain.snapshot()
            orphaned = _transfers(chain, 1, 3)  # 3 blocks on the first branch
            assert indexer.sync().blocks == 3
            # A longer competing branch replaces them.
            chain.revert(branch)  # a snapshot is used up by reverting to it: take it again
            branch = chain.snapshot()
            winners = _transfers(chain, 2, 4)
            report = indexer.sync()
            assert report.reorgs == 1 and report.rolled_back == 3
            _assert_matches_chain(chain, store)
            stored = {r[0] for r in store.con.execute("SELECT hash FROM transactions").fetchall()}
            assert not stored & set(orphaned) and set(winners) <= stored
            assert store.con.execute(
                "SELECT count(*) FROM blocks WHERE block_number > ?", [fork_base]
            ).fetchone() == (4,)
            # A shorter branch (the chain's head drops below the index) is also undone.
            chain.revert(branch)
            shorter = _transfers(chain, 3, 2)
            report = indexer.sync()
            assert report.reorgs >= 1 and report.rolled_back == 4
            _assert_matches_chain(chain, store)
            stored = {r[0] for r in store.con.execute("SELECT hash FROM transactions").fetchall()}
            assert set(shorter) <= stored and not stored & set(winners)
            # Follow mode in a thread picks up new blocks until stopped.
            steps: list[int] = []
            stop = threading.Event()
            thread = threading.Thread(
                target=indexer.follow,
                args=(stop,),
                kwargs={"poll_interval": 0.05, "on_step": lambda r: steps.append(r.blocks)},
            )
            thread.start()
            more = _transfers(chain, 4, 2)
            deadline = time.monotonic() + 30
            while sum(steps) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            stop.set()
            thread.join()
            assert sum(steps) >= 2
            stored = {r[0] for r in store.con.execute("SELECT hash FROM transactions").fetchall()}
            assert set(more) <= stored
            _assert_matches_chain(chain, store)
    finally:
        chain.revert(snap)


def test_database_of_another_chain_is_refused(seeded: Any, tmp_path: Path) -> None:
    chain, _, _ = seeded
    with IndexStore(tmp_path / "ix.duckdb") as store:
        store.bind_chain(1, 0)
        from aiweb3.errors import IndexerError

        with pytest.raises(IndexerError, match="indexes chain 1"):
            Indexer(chain, store).run()


def test_user_abi_events_are_decoded(tmp_path: Path) -> None:
    from aiweb3.indexer import EventDecoder

    abi = [
        {
            "type": "event",
            "name": "Ping",
            "anonymous": False,
            "inputs": [
                {"name": "who", "type": "address", "indexed": True},
                {"name": "n", "type": "uint256", "indexed": False},
            ],
        }
    ]
    decoder = EventDecoder({"Pinger": abi})
    from eth_utils import keccak

    topic0 = "0x" + keccak(text="Ping(address,uint256)").hex()
    who = "0x" + "00" * 12 + "ab" * 20
    event = decoder.decode("0x" + "11" * 20, [topic0, who], "0x" + f"{42:064x}")
    assert event is not None and event.contract_name == "Pinger"
    assert json.loads(event.args_json) == {"who": "0x" + "ab" * 20, "n": "42"}
    assert decoder.decode("0x" + "11" * 20, [topic0], "0x") is None  # wrong indexed count


def test_provider_without_block_receipts(
    seeded: tuple[Chain, SeedReport, Path], reference: dict[str, Any], tmp_path: Path
) -> None:
    chain, _, _ = seeded
    proxy = Proxy(chain.url, lambda n: "ok", deny=("eth_getBlockReceipts",))
    try:
        with IndexStore(tmp_path / "ix.duckdb") as store:
            Indexer(Chain(proxy.url), store, fetch=FetchConfig(batch_size=9)).run(end=reference["head"])
            assert _snapshot(store) == reference["tables"]
    finally:
        proxy.close()
