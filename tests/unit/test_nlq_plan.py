"""The deterministic parser, the plan compiler and the answerability check, without a database.

Each failure class the issue names has a case here: windows in hours, date ranges,
exclusions, totals vs breakdowns, "how many" vs lists, supply vs volume, questions the
index cannot answer, and bad input.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlglot

from aiweb3.errors import InputError, QueryRefused
from aiweb3.indexer.answerable import Decline
from aiweb3.indexer.ask import known_tables
from aiweb3.indexer.lexicon import Lexicon
from aiweb3.indexer.nlq import MAX_QUESTION, parse_question
from aiweb3.indexer.plan import ZERO, Filter, Plan, Window, plan_json_schema
from aiweb3.indexer.plan_sql import ambiguities, compile_plan
from aiweb3.indexer.sqlguard import checked_sql

AIUSD = "0x" + "aa" * 20
LEX = Lexicon(
    symbols={"aiusd": "AIUSD", "gld": "GLD"},
    token_addresses={AIUSD: "AIUSD", "0x" + "bb" * 20: "GLD"},
    events={"taskpaid": "TaskPaid", "inferenceverified": "InferenceVerified"},
    contracts={"taskescrow": "TaskEscrow"},
    first_day=dt.date(2026, 12, 1),
    last_day=dt.date(2026, 12, 8),
)


def plan(question: str) -> Plan:
    parsed = parse_question(question, LEX)
    assert isinstance(parsed, Plan), (question, parsed)
    checked_sql(compile_plan(parsed), known_tables())  # every plan compiles and passes the guard
    return parsed


def test_windows_in_hours_minutes_weeks_and_calendar_days() -> None:
    p = plan("how many transactions in the last 2 hours")
    assert (p.measure, p.subject, p.window) == (
        "count",
        "transactions",
        Window(kind="rolling", n=2, unit="hour"),
    )
    assert "INTERVAL '2' HOUR" in compile_plan(p) and p.group_by is None
    assert plan("AIUSD transfers in the past 90 minutes").window == Window(
        kind="rolling", n=90, unit="minute"
    )
    assert "INTERVAL '14' DAY" in compile_plan(plan("how many transactions in the last 2 weeks"))
    assert plan("how many blocks today").window == Window(kind="today")
    assert plan("gas used yesterday").window == Window(kind="yesterday")


def test_date_ranges_and_block_ranges() -> None:
    p = plan("top 10 AIUSD transfers between 2026-12-03 and 2026-12-05")
    assert p.window == Window(kind="dates", start="2026-12-03", end="2026-12-05")
    assert (p.measure, p.limit, p.amount, p.group_by) == ("list", 10, "amount", None)
    assert "2026-12-03" in compile_plan(p) and "2026-12-05" in compile_plan(p)
    assert plan("transactions since block 40").window == Window(kind="blocks", first=40)
    assert plan("transactions in blocks 50 to 20").window == Window(kind="blocks", first=20, last=50)


def test_exclusions_and_thresholds() -> None:
    p = plan("largest GLD transfers between users, not mints")
    assert Filter(column="sender", op="!=", value=ZERO) in p.filters
    p = plan("how many AIUSD transfers excluding mints")
    assert Filter(column="sender", op="!=", value=ZERO) in p.filters and p.measure == "count"
    assert Filter(column="sender", value=ZERO) in plan("how much AIUSD was minted").filters
    p = plan("how many transfers of more than 1000 AIUSD")
    assert Filter(column="amount", op=">", value=1000) in p.filters


def test_totals_are_not_breakdowns_and_how_many_is_a_count() -> None:
    p = plan("total AIUSD volume")
    assert (p.measure, p.group_by, p.amount) == ("sum", None, "amount")
    p = plan("how many contracts have been deployed")
    assert (p.measure, p.subject, p.group_by) == ("count", "contracts", None)
    p = plan("AIUSD volume per day")
    assert (p.measure, p.group_by) == ("sum", "day")
    p = plan("top 3 GLD holders")
    assert (p.subject, p.group_by, p.limit, p.measure) == ("holdings", "holder", 3, "sum")


def test_supply_is_not_transfer_volume() -> None:
    supply, volume = plan("what is the total supply of AIUSD"), plan("total AIUSD transferred")
    assert supply.amount == "net_minted" and volume.amount == "amount"
    assert compile_plan(supply) != compile_plan(volume)


def test_shares_distinct_events_and_addresses() -> None:
    p = plan("what share of transactions failed")
    assert p.measure == "share" and p.share_of == [Filter(column="status", value=0)]
    p = plan("what percentage of token transfers are AIUSD")
    assert p.share_of == [Filter(column="symbol", value="AIUSD")] and not p.filters
    p = plan("how many unique senders of GLD")
    assert (p.measure, p.distinct_of) == ("distinct", "sender")
    assert plan("how many TaskPaid events").filters == [Filter(column="event", value="TaskPaid")]


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        ("What is the price of ETH?", "price"),
        ("market cap of AIUSD", "price"),
        ("How many Twitter followers does AIUSD have?", "offchain"),
        ("what will the gas price be tomorrow", "future"),
        ("how many transactions are in the mempool", "mempool"),
        ("how many transactions on 2027-03-01", "future"),
        ("how many transactions on 2020-01-01", "genesis"),
    ],
)
def test_unanswerable_questions_are_declined_with_a_reason_and_a_suggestion(
    question: str, reason: str
) -> None:
    declined = parse_question(question, LEX)
    assert isinstance(declined, Decline) and declined.reason == reason
    assert "Nearest answerable" in declined.text()


def test_gas_prices_in_gwei_are_answerable() -> None:
    assert plan("what is the highest gas price paid").amount == "gas_price"


def test_bad_input_is_one_line() -> None:
    for question, match in (
        ("   ", "empty"),
        ("x" * (MAX_QUESTION + 1), "characters long"),
        ("how many XYZ transfers", "unknown token 'XYZ'"),
    ):
        with pytest.raises(InputError, match=match) as err:
            parse_question(question, LEX)
        assert "\n" not in str(err.value)
    for question, match in (
        ("how many transactions on 2026-13-45", "'2026-13-45' is not a date"),
        ("select * from blocks", "that is SQL"),
        ("how many 0xdeadbeef transfers", "'0xdeadbeef' is neither an address"),
        ("transactions in the last -3 hours", "must be positive"),
        ("transactions in the last 0 days", "the window length 0 is out of range"),
        ("top 100000 senders", "top N 100000 is out of range"),
    ):
        with pytest.raises(InputError, match=match):
            parse_question(question, LEX)
    with pytest.raises(QueryRefused, match="read-only"):
        parse_question("delete all AIUSD transfers", LEX)
    assert parse_question("tell me a joke", LEX) is None  # not understood: no subject


def test_plans_are_typed_and_values_never_become_sql() -> None:
    schema = plan_json_schema()
    assert "transfers" in schema["description"] and schema["properties"]["measure"]["enum"]
    with pytest.raises(ValueError):
        Plan.model_validate({"measure": "drop", "subject": "blocks"})
    with pytest.raises(ValueError):
        Plan.model_validate({"measure": "count", "subject": "blocks", "sql": "DROP TABLE blocks"})
    with pytest.raises(InputError, match="no column"):
        compile_plan(Plan(measure="count", subject="blocks", filters=[Filter(column="secret", value=1)]))
    with pytest.raises(InputError, match="unknown subject"):
        compile_plan(Plan(measure="count", subject="secrets"))
    evil = "x' OR 1=1 --"
    sql = compile_plan(
        Plan(measure="count", subject="transfers", filters=[Filter(column="symbol", value=evil)])
    )
    where = sqlglot.parse_one(sql, read="duckdb").find(sqlglot.exp.EQ)
    assert where is not None and where.expression.this == evil  # one string literal, not SQL


def test_ambiguous_readings_are_stated() -> None:
    assert any("tokens mixed" in n for n in ambiguities(plan("what was the largest transfer")))
    assert any("ERC-721" in n for n in ambiguities(plan("how many transfers were there")))
    assert any("top one" in n for n in ambiguities(plan("who sent the most AIUSD")))
    assert any("rolling" in n for n in ambiguities(plan("how many transactions in the last 3 days")))
    assert ambiguities(plan("how many AIUSD transfers in the last 2 hours")) == []


def test_number_formats_ranges_medians_balances_and_token_lists() -> None:
    assert plan("transactions in blocks 100\u2013120").window == Window(kind="blocks", first=100, last=120)
    assert Filter(column="amount", op=">", value=1e30) in plan("how many transfers over 1e30 AIUSD").filters
    assert Filter(column="amount", op=">", value=1000) in plan("how many transfers over 1,000 AIUSD").filters
    assert plan("median gas price").measure == "median"
    balance = plan(f"AIUSD balance of {AIUSD} yesterday")
    assert "max(day) - 1" in compile_plan(balance).lower() and "<=" in compile_plan(balance)
    assert (plan("how many tokens").measure, plan("list tokens").measure) == ("count", "list")
    assert plan("how many events per contract").group_by == "contract"
