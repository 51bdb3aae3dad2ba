"""The real `aiweb3 index|metric|ask` entry point against a real node, including a killed run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from eth_utils import keccak

from aiweb3.chain import Chain, LocalNode, NodeConfig
from aiweb3.indexer.seed import seed_chain
from aiweb3.llm.runtime import RuntimeInfo

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("indexer-cli")
    node = LocalNode(NodeConfig(home=home / "node"))
    node.start()
    try:
        chain = Chain(node.url)
        seed_chain(chain, home / "node", accounts=10, days=2, per_day=20)
        head = chain.block_number()
        chain.close()
        variables = {**os.environ, "AIWEB3_HOME": str(home), "COLUMNS": "200"}
        variables.pop("AIWEB3_LLM_URL", None)
        yield {"home": home, "url": node.url, "head": head, "env": variables}
    finally:
        node.stop()


def cli(env: dict[str, Any], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*AIWEB3, *args], env=env["env"], capture_output=True, text=True, timeout=300)
    if check:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


def _rows(db: Path) -> dict[str, list[Any]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for table in ("blocks", "transactions", "receipts", "logs", "token_transfers", "decoded_events"):
            out[table] = sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
        return out
    finally:
        con.close()


def test_index_run_clamp_status_export(env: dict[str, Any], tmp_path: Path) -> None:
    db = str(env["home"] / "index" / "index.duckdb")
    first = cli(env, "index", "run", "--rpc-url", env["url"], "--to", "10")
    assert "indexed blocks 0..10" in first.stdout
    second = cli(env, "index", "run", "--rpc-url", env["url"], "--to", str(env["head"] + 500))
    assert f"beyond the chain head {env['head']}" in second.stderr
    assert f"indexed blocks 11..{env['head']}" in second.stdout
    status = cli(env, "index", "status")
    assert f"blocks 0..{env['head']}" in status.stdout and "token_transfers" in status.stdout
    out = tmp_path / "parquet"
    cli(env, "index", "export", "--out", str(out))
    assert any(p.name.startswith("day=") for p in (out / "transactions").iterdir())
    assert Path(db).is_file()
    gap = cli(env, "index", "run", "--rpc-url", env["url"], "--from", str(env["head"] + 5), check=False)
    assert gap.returncode == 1 and "gap" in gap.stderr and "Traceback" not in gap.stderr


def test_killed_run_resumes_without_gap_or_duplicate(env: dict[str, Any], tmp_path: Path) -> None:
    reference = tmp_path / "ref.duckdb"
    cli(env, "index", "run", "--rpc-url", env["url"], "--db", str(reference), "--to", str(env["head"]))
    db = tmp_path / "killed.duckdb"
    slow = [
        *AIWEB3,
        "index",
        "run",
        "--rpc-url",
        env["url"],
        "--db",
        str(db),
        "--to",
        str(env["head"]),
        "--rate-limit",
        "20",
        "--batch-size",
        "2",
        "--concurrency",
        "1",
    ]
    proc = subprocess.Popen(slow, env=env["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not db.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)  # the CLI is importing; the database appears when ingestion starts
    time.sleep(2)  # at 20 calls/s the run needs several seconds: kill it part-way
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    con = duckdb.connect(str(db), read_only=True)
    last = con.execute("SELECT last_block FROM index_state").fetchone()
    con.close()
    assert last is not None and last[0] < env["head"]  # it really was interrupted
    resumed = cli(env, "index", "run", "--rpc-url", env["url"], "--db", str(db), "--to", str(env["head"]))
    assert f"indexed blocks {last[0] + 1}..{env['head']}" in resumed.stdout
    assert _rows(db) == _rows(reference)


def test_metric_and_ask_commands(env: dict[str, Any]) -> None:
    cli(env, "index", "run", "--rpc-url", env["url"])
    listing = cli(env, "metric", "list").stdout
    assert "daily_active_addresses" in listing and "verified_inferences_per_model" in listing
    shown = cli(env, "metric", "show", "top_token_holders", "--token", "GLD", "--top", "3", "--run").stdout
    assert "SELECT" in shown and "3 row(s)" in shown and "GLD" in shown
    answer = cli(env, "ask", "top 3 GLD holders", "--json")
    data = json.loads(answer.stdout)
    assert data["plan"]["subject"] == "holdings" and len(data["rows"]) == 3 and "LIMIT 3" in data["sql"]
    text = cli(env, "ask", "how many transactions per day", "--explain").stdout
    assert "SELECT" in text and "It reads" in text
    plain = cli(env, "ask", "how many blocks are indexed?").stdout.splitlines()
    assert plain[0].strip().replace(",", "").isdigit()  # the number leads
    assert "blocks" in plain[1] and "UTC" in plain[1] and "unit: count" in plain[1]
    assert "SELECT" not in "\n".join(plain) and "--sql" in plain[-1]  # the SQL is folded
    assert "SELECT" in cli(env, "ask", "how many blocks are indexed?", "--sql").stdout
    refused = cli(env, "ask", "delete all transactions", check=False)
    assert refused.returncode == 1 and "read-only" in refused.stderr and "Traceback" not in refused.stderr
    unknown = cli(env, "ask", "what is the weather in Paris", check=False)
    assert unknown.returncode == 1 and "off-chain" in unknown.stdout
    assert "Nearest answerable" in unknown.stdout
    for question, reason in (("how many DOGE transfers", "unknown token 'DOGE'"), ("  ", "empty")):
        bad = cli(env, "ask", question, check=False)
        assert bad.returncode == 1 and reason in bad.stderr and "Traceback" not in bad.stderr
    explained = cli(env, "ask", "--explain", "SELECT day, count(*) FROM blocks GROUP BY day").stdout
    assert "groups the rows by day" in explained
    bad_sql = cli(env, "metric", "show", "nope", check=False)
    assert bad_sql.returncode == 1 and "no metric" in bad_sql.stderr


class _Lines:
    """Collects a child's stdout lines on a thread so the test can wait for one."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        import threading

        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, predicate: Any, timeout: float = 180) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not any(predicate(line) for line in self.lines):
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    return any(predicate(line) for line in self.lines)
                self._changed.wait(min(left, 1.0))
            return True

    def text(self) -> str:
        self._thread.join(timeout=60)
        return "".join(self.lines)


def _spawn_follow(env: dict[str, Any], db: Path) -> subprocess.Popen[str]:
    cmd = [*AIWEB3, "index", "run", "--rpc-url", env["url"], "--db", str(db), "--follow", "--poll", "0.2"]
    # One pipe for both streams, read by one thread only (a second reader would steal lines).
    return subprocess.Popen(cmd, env=env["env"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_follow_picks_up_new_blocks_and_stops_cleanly(env: dict[str, Any], tmp_path: Path) -> None:
    from aiweb3.chain import TxRequest, dev_account

    db = tmp_path / "follow.duckdb"
    proc = _spawn_follow(env, db)
    out = _Lines(proc)
    try:
        assert out.wait_for(lambda line: line.startswith("following")), out.lines
        chain = Chain(env["url"])
        receipt = chain.send(dev_account(9), TxRequest(dev_account(8).address, b"", 12345))
        head = chain.block_number()
        chain.close()
        # Wait for the follower to report the block, not for a fixed time: under load a poll can
        # take seconds.
        assert out.wait_for(lambda line: line.startswith("indexed blocks") and f"..{head}:" in line), (
            out.lines
        )
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    text = out.text()
    assert proc.returncode == 0, text
    assert f"the index is complete up to block {head}" in text, text
    assert "nothing to do" not in text  # polling an unchanged head is quiet
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = con.execute(
            "SELECT value FROM transactions WHERE hash = ?", [receipt["transactionHash"]]
        ).fetchall()
    finally:
        con.close()
    assert got == [(12345,)]


def test_sigint_during_the_first_ingest_stops_at_a_committed_batch(
    env: dict[str, Any], tmp_path: Path
) -> None:
    """Ctrl-C before the follower is up (the slow-machine case) still ends cleanly and says where."""
    db = tmp_path / "early.duckdb"
    cmd = [*AIWEB3, "index", "run", "--rpc-url", env["url"], "--db", str(db), "--batch-size", "1"]
    proc = subprocess.Popen(cmd, env=env["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not db.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, out + err
    assert "Traceback" not in err
    assert "stopped; the index is complete up to block" in out, out + err
    last = int(out.rsplit("up to block", 1)[1].split()[0])
    con = duckdb.connect(str(db), read_only=True)
    try:
        (stored,) = con.execute("SELECT coalesce(max(block_number), -1) FROM blocks").fetchone() or (None,)
    finally:
        con.close()
    assert stored == last  # what it says is what is there: no half-written batch


def test_ask_with_a_model_configured_by_environment(env: dict[str, Any]) -> None:
    """`aiweb3 ask` reads AIWEB3_LLM_* and talks to a real OpenAI-compatible HTTP peer."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"auth": self.headers.get("Authorization"), **body})
            plan = json.dumps({"measure": "count", "subject": "blocks"})
            data = json.dumps({"choices": [{"message": {"role": "assistant", "content": plan}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cli(env, "index", "run", "--rpc-url", env["url"])
        with_model = {
            **env,
            "env": {
                **env["env"],
                "AIWEB3_LLM_URL": f"http://127.0.0.1:{server.server_address[1]}/v1",
                "AIWEB3_LLM_MODEL": "sql-test",
                "AIWEB3_LLM_API_KEY": "sk-cli-secret",
            },
        }
        out = cli(with_model, "ask", "how many blocks are indexed?", "--engine", "model", "--json")
        data = json.loads(out.stdout)
        con = duckdb.connect(str(env["home"] / "index" / "index.duckdb"), read_only=True)
        try:
            blocks = con.execute("SELECT count(*) FROM blocks").fetchone()
        finally:
            con.close()
        assert data["engine"] == "model sql-test@" + with_model["env"]["AIWEB3_LLM_URL"]
        assert data["rows"] == [[blocks[0] if blocks else None]]
        assert seen[-1]["auth"] == "Bearer sk-cli-secret" and seen[-1]["model"] == "sql-test"
        assert "sk-cli-secret" not in out.stdout + out.stderr
        offline = json.loads(cli(with_model, "ask", "blocks per day", "--engine", "offline", "--json").stdout)
        assert offline["engine"] == "offline" and offline["plan"]["group_by"] == "day"
    finally:
        server.shutdown()
        server.server_close()


# A contract no artifact knows: its runtime emits Pinged() (LOG1, no data) on every call.
_PINGED = "0x" + keccak(text="Pinged()").hex()
_PING_RUNTIME = "7f" + _PINGED[2:] + "60006000a100"
_PING_INIT = "6027600c60003960276000f3" + _PING_RUNTIME
_PING_ABI = [{"type": "event", "name": "Pinged", "inputs": [], "anonymous": False}]


def test_metric_new_drafts_saves_follows_and_backfills(env: dict[str, Any], tmp_path: Path) -> None:
    from aiweb3.chain import TxRequest, artifact, dev_account, encode_call, system_contract

    cli(env, "index", "run", "--rpc-url", env["url"])
    made = cli(env, "metric", "new", "weekly unique payers of TaskEscrow").stdout
    name = "weekly_unique_payers_of_taskescrow"
    assert "SELECT" in made and "COUNT(DISTINCT" in made and f"saved metric {name}" in made
    saved = env["home"] / "index" / "metrics" / f"{name}.json"
    assert json.loads(saved.read_text())["plan"]["group_by"] == "week"
    assert not list(saved.parent.glob("*.tmp"))  # written atomically
    assert name in cli(env, "metric", "list").stdout
    again = cli(env, "metric", "new", "weekly unique payers of TaskEscrow", check=False)
    assert again.returncode == 1 and "exists" in again.stderr

    def payers() -> int:
        assert "row(s)" in cli(env, "metric", "show", name, "--run").stdout
        con = duckdb.connect(str(env["home"] / "index" / "index.duckdb"), read_only=True)
        try:
            return sum(int(r[1]) for r in con.execute(json.loads(saved.read_text())["sql"]).fetchall())
        finally:
            con.close()

    before = payers()
    # a new payer posts a task; the index follows the chain and the saved metric follows the index
    chain = Chain(env["url"])
    payer = dev_account(7)
    aiusd = system_contract(chain, env["home"] / "node", "AIUSD")
    escrow = system_contract(chain, env["home"] / "node", "TaskEscrow")
    chain.send(payer, TxRequest(aiusd.address, encode_call(aiusd.functions.faucet(payer.address, 10**7))))
    chain.send(payer, TxRequest(aiusd.address, encode_call(aiusd.functions.approve(escrow.address, 10**7))))
    now = chain.block_time()
    terms = (
        10**6,
        "0x" + "0" * 40,
        dev_account(0).address,
        now + 3600,
        now + 7200,
        60,
        60,
        b"\0" * 32,
        b"\1" * 32,
        b"\0" * 32,  # no input fixed
        0,
        "0x" + "0" * 40,  # no audit required
    )
    chain.send(payer, TxRequest(escrow.address, encode_call(escrow.functions.post(terms)), gas=500_000))
    # and a contract no ABI covers yet emits three events
    receipt = chain.send(dev_account(6), TxRequest(None, bytes.fromhex(_PING_INIT), gas=200_000))
    pinger = str(receipt["contractAddress"])
    for _ in range(3):
        chain.send(dev_account(6), TxRequest(pinger, b"", gas=60_000))
    chain.close()
    assert artifact("TaskEscrow").name == "TaskEscrow"
    cli(env, "index", "run", "--rpc-url", env["url"])
    assert payers() == before + 1
    missing = cli(env, "metric", "new", "daily events of PingBeacon", check=False)
    assert missing.returncode == 1 and "'PingBeacon' is not indexed" in missing.stderr
    abi = tmp_path / "PingBeacon.json"
    abi.write_text(json.dumps(_PING_ABI))
    pinged = cli(env, "metric", "new", "daily events of PingBeacon", "--abi", str(abi)).stdout
    assert "decoded 3 past event(s)" in pinged and "saved metric daily_events_of_pingbeacon" in pinged
    assert (env["home"] / "index" / "abis" / "PingBeacon.json").exists()  # `index run` decodes new ones
    rows = cli(env, "ask", "how many Pinged events were emitted?", "--json").stdout
    assert json.loads(rows)["rows"] == [[3]]


def test_index_seed_drives_every_indexed_contract(env: dict[str, Any], tmp_path: Path) -> None:
    local = {**env, "env": {**env["env"], "AIWEB3_RPC_URL": env["url"], "AIWEB3_HOME": str(tmp_path)}}
    out = cli(local, "index", "seed", "--days", "1", "--accounts", "8", "--per-day", "5").stdout
    assert "seeded" in out and "AIUSD" in out
    db = tmp_path / "seeded.duckdb"
    cli(local, "index", "run", "--rpc-url", env["url"], "--db", str(db))
    con = duckdb.connect(str(db), read_only=True)
    try:
        events = {r[0] for r in con.execute("SELECT DISTINCT event_name FROM decoded_events").fetchall()}
    finally:
        con.close()
    wanted = {
        "TaskPosted",
        "TaskPaid",
        "BatchAnchored",
        "AgentRegistered",
        "Contributed",
        "InferenceVerified",
    }
    assert wanted <= events


def test_ask_routes_by_default_when_a_model_is_available(
    env: dict[str, Any], llm_runtime: RuntimeInfo
) -> None:
    """With a model available (here the embedded model's server, by URL) `aiweb3 ask` routes each
    question (--engine auto) and says which engine answered; --engine offline still works."""
    cli(env, "index", "run", "--rpc-url", env["url"])
    with_model = {**env, "env": {**env["env"], "AIWEB3_LLM_URL": llm_runtime.api_url}}
    routed = json.loads(cli(with_model, "ask", "how many blocks are indexed?", "--json").stdout)
    assert routed["engine"] == "offline (auto: measured better for count questions)"
    plain = cli(with_model, "ask", "how many blocks are indexed?").stdout
    assert "(offline (auto: measured better for count questions))" in plain
    offline = json.loads(
        cli(with_model, "ask", "how many blocks are indexed?", "--engine", "offline", "--json").stdout
    )
    assert offline["engine"] == "offline" and offline["rows"] == routed["rows"]
    bad = cli(with_model, "ask", "x", "--engine", "fast", check=False)
    assert bad.returncode == 1 and "--engine must be 'auto', 'offline' or 'model'" in bad.stderr
