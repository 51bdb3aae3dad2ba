"""The blind evaluation set keeps its promises: size, unanswerable share, a fixed split, parsable gold SQL."""

from __future__ import annotations

from collections import Counter

import sqlglot

from aiweb3.indexer.eval_set import EVAL_SET, fill, split
from aiweb3.indexer.metrics import METRICS


def test_size_kinds_and_unanswerable_share() -> None:
    assert len(EVAL_SET) >= 200
    assert len({i.question for i in EVAL_SET}) == len(EVAL_SET)
    unanswerable = [i for i in EVAL_SET if i.gold is None]
    assert len(unanswerable) / len(EVAL_SET) >= 0.20
    assert {i.reason for i in unanswerable} == {"price", "offchain", "future", "mempool", "genesis"}
    kinds = Counter(i.kind for i in EVAL_SET)
    assert set(kinds) == {"count", "sum", "average", "minmax", "distinct", "share", "group", "unanswerable"}
    subjects = {i.subject for i in EVAL_SET if i.gold}
    for s in ("blocks", "transactions", "transfers", "tokens", "gas", "failures", "contracts", "events"):
        assert s in subjects
    for s in ("models", "content", "datasets", "agents"):
        assert s in subjects


def test_split_is_fixed_and_both_halves_hold_every_kind() -> None:
    halves = {h: [i for i in EVAL_SET if split(i) == h] for h in ("dev", "test")}
    assert [split(i) for i in EVAL_SET] == [split(i) for i in EVAL_SET]
    for items in halves.values():
        assert len(items) >= 100
        assert {i.kind for i in items} == {i.kind for i in EVAL_SET}


def test_questions_are_not_metric_examples_and_gold_sql_parses() -> None:
    examples = {e.lower().rstrip("?") for m in METRICS for e in m.examples}
    values = {k: "0" for k in ("D0", "D1", "D2", "D3", "D4", "D5", "B", "B2", "M0")}
    for item in EVAL_SET:
        assert item.question.lower().rstrip("?") not in examples, item.question
        if item.gold is not None:
            sqlglot.parse_one(fill(item.gold, values), read="duckdb")
