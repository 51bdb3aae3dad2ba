"""Execution accuracy of the question engines on the evaluation set.

Each question's gold SQL and the engine's SQL are both executed; the answer counts as
correct when the engine's result contains the gold result: the same number of rows, and
for every gold column a column of the engine's result such that the rows match as a
multiset (numbers compared to 6 significant digits). Extra columns are allowed (a metric
may return more than was asked), extra or missing rows are not.

Two sets: the blind set (:mod:`aiweb3.indexer.eval_set`, scored per half, with declines,
wrong declines and latency) and the older sets (:mod:`aiweb3.indexer.eval_questions`, kept
for comparison; they flatter, see ``docs/indexer.md``). Run it on a fresh seeded local
chain: ``python -m aiweb3.indexer.evaluation`` (``make eval-nlq``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from aiweb3.errors import AIWeb3Error
from aiweb3.indexer.ask import Answer, Asker
from aiweb3.indexer.eval_questions import HELDOUT, QUESTIONS
from aiweb3.indexer.eval_set import EVAL_SET, facts, fill, split
from aiweb3.llm import LanguageModel

__all__ = ["BlindResult", "EvalResult", "evaluate", "evaluate_blind", "results_match"]


def _norm(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | decimal.Decimal):
        number = float(value)
        return 0.0 if number == 0 else float(f"{number:.6g}")
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def results_match(gold: Sequence[Sequence[Any]], got: Sequence[Sequence[Any]]) -> bool:
    """True when ``got`` contains the gold result (see the module docstring)."""
    if len(gold) != len(got):
        return False
    if not gold:
        return True
    g = [[_norm(v) for v in row] for row in gold]
    p = [[_norm(v) for v in row] for row in got]
    ng, npred = len(g[0]), len(p[0])
    if npred < ng:
        return False
    # Candidate engine columns for each gold column: same multiset of values.
    gcols = [Counter(row[j] for row in g) for j in range(ng)]
    pcols = [Counter(row[k] for row in p) for k in range(npred)]
    candidates = [[k for k in range(npred) if pcols[k] == gcols[j]] for j in range(ng)]
    if any(not c for c in candidates):
        return False
    target = Counter(tuple(row) for row in g)
    for choice in itertools.islice(itertools.product(*candidates), 2000):
        if len(set(choice)) < len(choice):
            continue
        if Counter(tuple(row[k] for k in choice) for row in p) == target:
            return True
    return False


@dataclass
class EvalResult:
    """Accuracy of one engine and the questions it got wrong."""

    engine: str
    total: int
    correct: int
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Share of questions answered correctly."""
        return self.correct / self.total if self.total else 0.0


def evaluate(
    con: duckdb.DuckDBPyConnection,
    *,
    model: LanguageModel | None = None,
    questions: Sequence[tuple[str, str]] = QUESTIONS,
) -> EvalResult:
    """Score the parser (``model`` None) or the model on an old (question, gold SQL) set."""
    asker = Asker(con, model)
    engine = "offline" if model is None else "model"
    result = EvalResult(engine, len(questions), 0)
    for question, gold_sql in questions:
        gold = con.execute(gold_sql).fetchall()
        try:
            answer = asker.ask(question, engine=engine)
        except AIWeb3Error as exc:
            result.failures.append((question, f"error: {exc}"))
            continue
        if not answer.answered:
            result.failures.append((question, f"declined: {answer.message}"))
        elif results_match(gold, answer.rows):
            result.correct += 1
        else:
            result.failures.append((question, f"wrong: {answer.sql}"))
    return result


@dataclass
class BlindResult:
    """Scores on (one half of) the blind set: per kind, declines, wrong declines, latency."""

    engine: str
    half: str
    correct: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    declined_unanswerable: int = 0
    wrongly_declined: int = 0
    skipped: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        """Share of all questions (answerable and not) handled correctly."""
        n = sum(self.total.values())
        return sum(self.correct.values()) / n if n else 0.0

    @property
    def answerable(self) -> int:
        """How many answerable questions were scored."""
        return sum(v for k, v in self.total.items() if k != "unanswerable")

    def summary(self) -> dict[str, Any]:
        """The figures as JSON data."""
        unanswerable = self.total["unanswerable"]
        return {
            "engine": self.engine,
            "set": f"blind-{self.half}",
            "questions": sum(self.total.values()),
            "correct": sum(self.correct.values()),
            "accuracy": round(self.accuracy, 3),
            "per_kind": {k: round(self.correct[k] / self.total[k], 3) for k in sorted(self.total)},
            "unanswerable_declined": _ratio(self.declined_unanswerable, unanswerable),
            "answerable_wrongly_declined": _ratio(self.wrongly_declined, self.answerable),
            "median_latency_ms": round(statistics.median(self.latencies) * 1000, 2)
            if self.latencies
            else None,
            "skipped_empty_gold": len(self.skipped),
        }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def evaluate_blind(
    con: duckdb.DuckDBPyConnection,
    *,
    half: str = "test",
    model: LanguageModel | None = None,
    engine: str | None = None,
    on_answer: Callable[[str, str, Answer | None, bool], None] | None = None,
    sample: int | None = None,
) -> BlindResult:
    """Score an engine on one half ("dev", "test" or "all") of :data:`~aiweb3.indexer.eval_set.EVAL_SET`.

    An unanswerable question is right when it is declined (a decline or a one-line input
    error); an answerable one when its rows match the gold result. A question whose gold
    result is empty (or all NULL) is skipped: the seed could not make it non-empty.
    ``engine`` defaults to "offline" without a model and "model" with one ("auto" routes);
    ``on_answer(question, kind, answer, correct)`` sees every scored question; ``sample`` keeps
    about that many questions of the half, evenly spaced (the same ones on every call).
    """
    asker = Asker(con, model)
    engine = engine or ("offline" if model is None else "model")
    values = facts(con)
    result = BlindResult(engine, half)
    items = [item for item in EVAL_SET if half == "all" or split(item) == half]
    if sample is not None and 0 < sample < len(items):
        step = len(items) / sample
        items = [items[int(i * step)] for i in range(sample)]
    for item in items:
        question = fill(item.question, values)
        gold: list[Any] = []
        if item.gold is not None:
            gold = con.execute(fill(item.gold, values)).fetchall()
            if not gold or all(v is None for row in gold for v in row):
                result.skipped.append(question)
                continue
        result.total[item.kind] += 1
        started = time.perf_counter()
        answer: Answer | None = None
        try:
            answer = asker.ask(question, engine=engine)
            answered, rows, why = answer.answered, answer.rows, answer.message or str(answer.sql)
        except AIWeb3Error as exc:
            answered, rows, why = False, [], f"error: {exc}"
        result.latencies.append(time.perf_counter() - started)
        right = False
        if item.gold is None:
            if not answered:
                right = True
                result.declined_unanswerable += 1
            else:
                result.failures.append((question, "answered, should decline"))
        elif not answered:
            result.wrongly_declined += 1
            result.failures.append((question, f"declined: {why}"))
        elif results_match(gold, rows):
            right = True
        else:
            result.failures.append((question, f"wrong: {why}"))
        if right:
            result.correct[item.kind] += 1
        if on_answer is not None:
            on_answer(question, item.kind, answer, right)
    return result


def seeded_index(home: Any) -> Any:  # pragma: no cover - exercised by the benchmark and by hand
    """Start a node under ``home``, seed it, index it; returns (node, store). Stop/close them after."""
    from aiweb3.chain import Chain, LocalNode, NodeConfig
    from aiweb3.indexer.ingest import Indexer
    from aiweb3.indexer.seed import seed_chain
    from aiweb3.indexer.store import IndexStore

    node = LocalNode(NodeConfig(home=home))
    node.start()
    chain = Chain(node.url)
    seed_chain(chain, home)
    store = IndexStore(home / "eval.duckdb")
    Indexer(chain, store).run()
    chain.close()
    return node, store


def main() -> None:  # pragma: no cover - exercised by the benchmark and by hand
    """Seed a fresh local chain, index it, print each engine's scores as JSON lines."""
    import tempfile
    from pathlib import Path

    from aiweb3.llm import LLMConfig, load_model

    with tempfile.TemporaryDirectory() as tmp:
        node, store = seeded_index(Path(tmp))
        try:
            model = load_model(LLMConfig.from_env())
            models: list[LanguageModel | None] = [None] + ([model] if model.available else [])
            for m in models:
                for half in ("dev", "test"):
                    blind = evaluate_blind(store.con, half=half, model=m)
                    for q, why in blind.failures:
                        print(f"  [{blind.engine}/blind-{half}] {q} -> {why}", file=sys.stderr)
                    print(json.dumps(blind.summary()))
                for name, qs in (("main", QUESTIONS), ("heldout", HELDOUT)):
                    run = evaluate(store.con, model=m, questions=qs)
                    line = {"engine": run.engine, "set": name, "questions": run.total, "correct": run.correct}
                    print(json.dumps({**line, "accuracy": round(run.accuracy, 3)}))
            if not model.available:
                note = "no language model configured (AIWEB3_LLM_URL unset)"
                print(json.dumps({"engine": "model", "set": "blind-test", "accuracy": None, "note": note}))
        finally:
            store.close()
            node.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
