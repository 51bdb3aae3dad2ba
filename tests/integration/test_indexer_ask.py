"""Metrics, the offline question engine, the SQL guard and the language-model path on a real index.

The language-model path runs against a tiny OpenAI-compatible HTTP server started by the
test (a peer speaking the real protocol over real HTTP), which answers with SQL; ``--engine
auto`` runs against aiweb3's embedded model.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from aiweb3.chain import Chain, LocalNode, NodeConfig, artifact
from aiweb3.errors import IndexerError, InputError, LLMUnavailable, QueryRefused
from aiweb3.indexer import METRICS, Indexer, IndexStore, Params
from aiweb3.indexer.ask import ROUTES, Asker
from aiweb3.indexer.evaluation import evaluate, evaluate_blind, results_match
from aiweb3.indexer.explain import explain_sql
from aiweb3.indexer.seed import SeedReport, seed_chain
from aiweb3.llm import LLMConfig, NoModel, OpenAICompatible, load_model
from aiweb3.llm.runtime import RuntimeInfo


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[IndexStore, SeedReport, Chain]]:
    home = tmp_path_factory.mktemp("indexer-ask")
    node = LocalNode(NodeConfig(home=home))
    node.start()
    try:
        chain = Chain(node.url)
        seed = seed_chain(chain, home, accounts=16, days=5, per_day=30)
        with IndexStore(home / "ix.duckdb") as store:
            Indexer(chain, store).run()
            yield store, seed, chain
        chain.close()
    finally:
        node.stop()


class ChatServer:
    """An OpenAI-compatible /v1/chat/completions endpoint that answers from a script:
    the first rule whose key occurs in the last user message decides the reply."""

    def __init__(self, rules: list[tuple[str, list[str]]]) -> None:
        self.rules = rules
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
                last = body["messages"][-1]["content"]
                first_user = next(m["content"] for m in body["messages"] if m["role"] == "user")
                reply = "SELECT 1"
                for key, replies in server.rules:
                    if key in first_user:
                        turn = sum(1 for m in body["messages"] if m["role"] == "assistant")
                        reply = replies[min(turn, len(replies) - 1)]
                        break
                else:
                    reply = f"Echo: {last[:40]}"
                data = json.dumps(
                    {
                        "id": "x",
                        "object": "chat.completion",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": reply},
                                "finish_reason": "stop",
                            }
                        ],
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_every_metric_view_has_rows_because_the_seed_uses_every_contract(indexed: Any) -> None:
    store, _, _ = indexed
    for metric in METRICS:
        if metric.required:
            continue
        rows = store.con.execute(f"SELECT * FROM {metric.name}").fetchall()
        assert rows, metric.name


def test_metrics_agree_with_the_chain(indexed: Any) -> None:
    store, seed, chain = indexed
    asker = Asker(store.con)
    token = chain.contract(artifact("TestToken").abi, seed.tokens["GLD"])
    holders = asker.run_sql(get_sql("top_token_holders", Params(token="GLD", top_n=5)))
    assert len(holders.rows) == 5
    for symbol, address, balance in holders.rows:
        assert symbol == "GLD"
        on_chain = chain.call(token.functions.balanceOf(chain.w3.to_checksum_address(address)))
        assert balance == pytest.approx(on_chain / 100)
    head = chain.block_number()
    tx_total = sum(
        len(b["transactions"])
        for b in chain.rpc_batch([("eth_getBlockByNumber", [hex(n), False]) for n in range(head + 1)])
    )
    daily = asker.run_sql("SELECT sum(transactions) FROM daily_transactions")
    assert daily.rows == [(tx_total,)]
    auths = asker.run_sql("SELECT sum(authorizations) FROM authorizations_used").rows[0][0]
    assert (
        auths
        == store.con.execute(
            "SELECT count(*) FROM logs WHERE topic0 = ?",
            ["0x" + _keccak("AuthorizationUsed(address,bytes32)")],
        ).fetchone()[0]
        and auths > 0
    )


def get_sql(name: str, params: Params) -> str:
    from aiweb3.indexer import get_metric

    return get_metric(name).sql(params)


def _keccak(text: str) -> str:
    from eth_utils import keccak

    return keccak(text=text).hex()


def test_questions_are_answered_as_asked_and_agree_with_the_chain(indexed: Any) -> None:
    store, seed, chain = indexed
    asker = Asker(store.con)
    answer = asker.ask("top 3 GLD holders")
    assert answer.plan is not None and answer.plan.subject == "holdings" and len(answer.rows) == 3
    gld = chain.contract(artifact("TestToken").abi, seed.tokens["GLD"])
    for address, balance in answer.rows:
        on_chain = chain.call(gld.functions.balanceOf(chain.w3.to_checksum_address(address)))
        assert balance == pytest.approx(on_chain / 100)
    aiusd = chain.contract(artifact("AIUSD").abi, seed.tokens["AIUSD"])
    supply = asker.ask("what is the total supply of AIUSD?")
    assert supply.rows[0][0] == pytest.approx(chain.call(aiusd.functions.totalSupply()) / 10**6)
    volume = asker.ask("total AIUSD transferred")
    assert volume.rows[0][0] > supply.rows[0][0]  # volume is not supply
    who = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
    balance = asker.ask(f"What is the AIUSD balance of {who}?")
    on_chain = chain.call(aiusd.functions.balanceOf(chain.w3.to_checksum_address(who)))
    assert balance.rows[0][0] == pytest.approx(on_chain / 10**6) and balance.unit.startswith("AIUSD")
    recent = asker.ask("how many transactions in the last 2 hours")
    expected = store.con.execute(
        "SELECT count(*), min(block_number), max(block_number) FROM transactions "
        "WHERE block_time > (SELECT max(block_time) FROM blocks) - INTERVAL 2 HOUR"
    ).fetchone()
    assert expected is not None and recent.rows == [(expected[0],)] and recent.columns == ["count"]
    assert "rolling 2 hours" in recent.interpretation and "UTC" in recent.interpretation
    assert recent.unit == "count" and recent.engine == "offline"
    total = asker.ask("how many transactions are there?")
    assert len(total.rows) == 1 and total.rows[0][0] > expected[0]  # a count, not a list or a breakdown


def test_unanswerable_and_bad_questions(indexed: Any) -> None:
    store, _, _ = indexed
    asker = Asker(store.con)
    for question, reason in (
        ("what is the weather in Paris", "offchain"),
        ("What is the price of ETH?", "price"),
        ("how many transactions will there be tomorrow", "future"),
        ("show the pending transactions in the mempool", "mempool"),
    ):
        answer = asker.ask(question)
        assert not answer.answered and answer.sql is None and answer.reason == reason, question
        assert "Nearest answerable" in answer.message
    with pytest.raises(InputError, match="0x00000000000000000000000000000000deadbeef does not occur"):
        asker.ask("how many transactions did 0x00000000000000000000000000000000DeadBeef send")
    with pytest.raises(InputError, match="unknown token 'DOGE'"):
        asker.ask("how many DOGE transfers yesterday")
    for question in ("delete all transactions", "drop the blocks table", "update balances to zero"):
        with pytest.raises(QueryRefused, match="read-only"):
            asker.ask(question)


def test_sql_guard_on_the_index(indexed: Any) -> None:
    store, _, _ = indexed
    asker = Asker(store.con, row_limit=7)
    assert len(asker.run_sql("SELECT * FROM transactions").rows) == 7
    bad = {
        "DELETE FROM blocks": "read-only",
        "SELECT * FROM blocks; DROP TABLE blocks": "one statement",
        "SELECT * FROM duckdb_settings()": "table functions",
        "SELECT * FROM read_csv('/etc/passwd')": "table functions",
        "SELECT getenv('HOME')": "function",
        "SELECT * FROM secrets": "unknown table",
        "COPY blocks TO '/tmp/x.csv'": "read-only",
        "ATTACH '/tmp/other.db'": "read-only",
    }
    for sql, reason in bad.items():
        with pytest.raises(QueryRefused, match=reason):
            asker.run_sql(sql)
    assert store.counts()["blocks"] > 0  # nothing was touched
    slow = Asker(store.con, timeout=0.3)
    with pytest.raises(IndexerError, match="longer than"):
        slow.run_sql("SELECT count(*) FROM logs a, logs b, logs c, logs d")


def test_parser_on_the_blind_development_half(indexed: Any) -> None:
    store, _, _ = indexed
    result = evaluate_blind(store.con, half="dev")
    summary = result.summary()
    assert summary["questions"] >= 100 and summary["unanswerable_declined"] == 1.0, result.failures
    assert result.accuracy >= 0.85, result.failures
    old = evaluate(store.con)  # the older set, kept for comparison (see docs/indexer.md)
    assert old.total >= 80 and old.correct > 0


def test_results_match_is_strict_about_rows_and_lenient_about_extra_columns() -> None:
    gold = [("a", 1), ("b", 2)]
    assert results_match(gold, [("b", 2, "x"), ("a", 1, "y")])
    assert not results_match(gold, [("a", 1)])
    assert not results_match(gold, [("a", 1), ("b", 3)])
    assert not results_match(gold, [("a", 2), ("b", 1)])  # right values, wrong pairing
    assert results_match([(1.0000001,)], [(1,)])


def test_model_writes_the_same_plan_over_http_with_one_retry(indexed: Any) -> None:
    store, _, _ = indexed
    busiest = {
        "measure": "count",
        "subject": "transactions",
        "group_by": "sender",
        "order": "desc",
        "limit": 3,
    }
    server = ChatServer(
        [
            ("busiest senders", ["```json\n" + json.dumps(busiest) + "\n```"]),
            (
                "nft owners",
                [
                    json.dumps({"measure": "count", "subject": "nft_owners"}),
                    json.dumps(
                        {"measure": "list", "subject": "transfers", "limit": 5,
                         "filters": [{"column": "standard", "value": "erc721"}]}
                    ),
                ],
            ),
            ("always wrong", ["DELETE FROM blocks", json.dumps({"measure": "drop", "subject": "blocks"})]),
            ("chain's pulse", [json.dumps({"measure": "count", "subject": "blocks"})]),
        ]
    )  # fmt: skip
    try:
        model = load_model(LLMConfig(url=server.url, model="test-sql", api_key="sk-test"))
        assert isinstance(model, OpenAICompatible)
        asker = Asker(store.con, model)
        answer = asker.ask("who are the busiest senders?", engine="model")
        assert answer.engine.startswith("model") and answer.attempts == 1
        gold = store.con.execute(
            "SELECT from_address, count(*) AS n FROM transactions GROUP BY 1 ORDER BY n DESC, 1 LIMIT 3"
        ).fetchall()
        assert answer.rows == gold and answer.plan is not None and answer.plan.group_by == "sender"
        req = server.requests[-1]
        assert req["path"] == "/v1/chat/completions" and req["model"] == "test-sql"
        assert req["auth"] == "Bearer sk-test"
        system = req["messages"][0]["content"]
        assert '"measure"' in system and "token_transfers" not in system  # a plan schema, not SQL
        assert "holdings" in system and "GLD" in system  # subjects and token symbols
        retried = asker.ask("list the nft owners", engine="model")
        assert retried.attempts == 2 and len(retried.rows) == 5
        assert "nft_owners" in server.requests[-1]["messages"][-1]["content"]  # the error went back
        with pytest.raises(QueryRefused, match="failed twice"):
            asker.ask("this is always wrong", engine="model")
        fallback = asker.ask("take the chain's pulse")  # the parser does not understand it: the model does
        assert fallback.engine.startswith("model") and fallback.rows[0][0] > 0
        offline = asker.ask("top 3 GLD holders", engine="offline")
        assert offline.engine == "offline"
        assert explain_sql("SELECT * FROM blocks", model).startswith("Echo:")
    finally:
        server.close()


def test_unreachable_model_and_no_model(indexed: Any) -> None:
    store, _, _ = indexed
    assert isinstance(load_model(LLMConfig()), NoModel)
    with pytest.raises(LLMUnavailable):
        NoModel().complete([{"role": "user", "content": "hi"}])
    model = OpenAICompatible(LLMConfig(url="http://127.0.0.1:9/v1", timeout=2))
    with pytest.raises(LLMUnavailable, match="no answer"):
        Asker(store.con, model).ask("how many blocks per day", engine="model")
    assert "sk-secret" not in repr(LLMConfig(url="http://x", api_key="sk-secret"))


def test_explain_without_a_model() -> None:
    text = explain_sql(
        "SELECT day, count(*) AS n FROM transactions WHERE value > 0 GROUP BY day ORDER BY n DESC LIMIT 5"
    )
    for part in (
        "transactions",
        "value > 0",
        "groups the rows by day",
        "counts rows",
        "descending",
        "At most 5",
    ):
        assert part in text
    assert "metric view daily_gas" in explain_sql("SELECT * FROM daily_gas")
    with pytest.raises(QueryRefused):
        explain_sql("SELEC nonsense FROM")


def test_store_paths(tmp_path: Path) -> None:
    with pytest.raises(IndexerError, match="no index"):
        IndexStore(tmp_path / "missing.duckdb", read_only=True)


def test_auto_routes_each_question_and_says_which_engine_answered(
    indexed: Any, llm_runtime: RuntimeInfo, aiweb3_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--engine auto with aiweb3's embedded model (real SmolLM2-135M): the measured routes send a
    question the parser understood to the parser; one it did not to the model; an engine that
    yields no valid SQL hands over to the other, and the answer says which one answered."""
    store, _, _ = indexed
    model = load_model(LLMConfig(home=aiweb3_home, timeout=120), embedded=True)
    assert isinstance(model, OpenAICompatible)
    asker = Asker(store.con, model)
    question = "how many transactions in the last 2 hours"
    offline = asker.ask(question, engine="offline")
    routed = asker.ask(question, engine="auto")
    assert routed.engine == "offline (auto: measured better for count questions)"
    assert routed.rows == offline.rows and routed.sql == offline.sql
    calls = len(model.calls)
    assert calls == 0 or model.calls[-1].purpose != "ask: query plan"  # the model was not asked

    pulse = asker.ask("take the chain's pulse", engine="auto")
    assert model.calls[-1].purpose == "ask: query plan"  # the parser did not understand: the model tried
    # SmolLM2-135M names a subject that does not exist, twice (or, on a crowded machine, misses
    # the deadline): no SQL is made up, and the message says what each engine did
    assert pulse.engine == "auto" and not pulse.answered and pulse.sql is None
    assert pulse.message.startswith("Neither engine could answer (model: ")
    assert "offline: the parser did not understand" in pulse.message

    # as if the model had measured better for counts: it goes first, misses its 1 s deadline, and
    # the parser answers instead, saying so
    monkeypatch.setitem(ROUTES, "count", "model")
    hurried = load_model(LLMConfig(home=aiweb3_home, timeout=1), embedded=True)
    swapped = Asker(store.con, hurried).ask(question, engine="auto")
    assert swapped.engine.startswith("offline (auto: fallback; model: the language model at ")
    assert "did not answer within 1s" in swapped.engine and swapped.rows == offline.rows

    none = Asker(store.con, NoModel()).ask(question, engine="auto")
    assert none.engine == "offline (auto: no language model)" and none.rows == offline.rows
