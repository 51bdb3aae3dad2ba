"""Execution accuracy of the question engines on the evaluation set.

Each question's gold SQL and the engine's SQL are both executed; the answer counts as
correct when the engine's result contains the gold result: the same number of rows, and
for every gold column a column of the engine's result such that the rows match as a
multiset (numbers compared to 6 significant digits). Extra columns are allowed (a metric
may return more than was asked), extra or missing rows are not.

Run it on a fresh seeded local chain: ``python -m aiweb3.indexer.evaluation``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from aiweb3.errors import AIWeb3Error
from aiweb3.indexer.ask import Asker
from aiweb3.indexer.eval_questions import HELDOUT, QUESTIONS
from aiweb3.llm import LanguageModel

__all__ = ["EvalResult", "evaluate", "results_match"]


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
    """Score the offline engine (``model`` None) or the model on ``questions``."""
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
            result.failures.append((question, "declined: " + ", ".join(answer.closest)))
        elif results_match(gold, answer.rows):
            result.correct += 1
        else:
            result.failures.append((question, f"wrong: {answer.metric or answer.sql}"))
    return result


def main() -> None:  # pragma: no cover - exercised by the benchmark and by hand
    """Seed a fresh local chain, index it, print each engine's accuracy as JSON lines."""
    import tempfile
    from pathlib import Path

    from aiweb3.chain import Chain, LocalNode, NodeConfig
    from aiweb3.indexer.ingest import Indexer
    from aiweb3.indexer.seed import seed_chain
    from aiweb3.indexer.store import IndexStore
    from aiweb3.llm import LLMConfig, load_model

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        node = LocalNode(NodeConfig(home=home))
        node.start()
        try:
            chain = Chain(node.url)
            seed_chain(chain, home)
            with IndexStore(home / "eval.duckdb") as store:
                Indexer(chain, store).run()
                runs = [("main", evaluate(store.con)), ("heldout", evaluate(store.con, questions=HELDOUT))]
                model = load_model(LLMConfig.from_env())
                if model.available:
                    runs.append(("main", evaluate(store.con, model=model)))
                    runs.append(("heldout", evaluate(store.con, model=model, questions=HELDOUT)))
            for name, run in runs:
                for q, why in run.failures:
                    print(f"  [{run.engine}/{name}] {q} -> {why}", file=sys.stderr)
                print(
                    json.dumps(
                        {
                            "engine": run.engine,
                            "set": name,
                            "questions": run.total,
                            "correct": run.correct,
                            "accuracy": round(run.accuracy, 3),
                        }
                    )
                )
        finally:
            node.stop()


if __name__ == "__main__":  # pragma: no cover
    main()
