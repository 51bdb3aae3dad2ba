"""Answer questions about the index in plain English, always with the SQL shown.

With a language model (:mod:`aiweb3.llm`), the model writes SQL from the schema, the metric
library and examples; the SQL is checked (:mod:`aiweb3.indexer.sqlguard`), run, and on an
error the model gets one retry with the error. Without a model, the offline engine
(:mod:`aiweb3.indexer.nlq`) picks a metric and fills its parameters, or says it cannot
answer and names the closest metrics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import duckdb

from aiweb3.errors import AIWeb3Error, IndexerError, QueryRefused
from aiweb3.indexer.metrics import METRICS, Metric, Params
from aiweb3.indexer.nlq import MetricMatcher, extract_params, refuse_writes
from aiweb3.indexer.schema import ALL_TABLES, describe_schema
from aiweb3.indexer.sqlguard import QueryResult, run_query
from aiweb3.llm import ChatMessage, LanguageModel, NoModel

__all__ = ["Answer", "Asker", "known_tables"]

#: Below this similarity the offline engine declines to answer.
MIN_SCORE = 0.18


def known_tables() -> set[str]:
    """Tables and metric views a query may read."""
    return set(ALL_TABLES) | {m.name for m in METRICS if not m.required}


@dataclass
class Answer:
    """An answer: the SQL that ran and its rows, or why there is none."""

    question: str
    engine: str
    sql: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    metric: str | None = None
    params: Params | None = None
    answered: bool = True
    message: str = ""
    closest: list[str] = field(default_factory=list)
    attempts: int = 1
    truncated: bool = False


_EXAMPLES = [
    ("How many transactions were there per day?", "SELECT * FROM daily_transactions"),
    (
        "Which 3 addresses received the most ether?",
        "SELECT to_address, CAST(sum(value) AS DOUBLE) / 1e18 AS eth FROM transactions "
        "WHERE to_address IS NOT NULL GROUP BY to_address ORDER BY eth DESC LIMIT 3",
    ),
    (
        "How many distinct addresses sent AIUSD in the last 7 days?",
        "SELECT count(DISTINCT t.from_address) FROM token_transfers t JOIN tokens k ON k.address = t.token "
        "WHERE k.symbol = 'AIUSD' AND t.block_time > (SELECT max(block_time) FROM blocks) - INTERVAL 7 DAY",
    ),
]


class Asker:
    """Turns questions into checked SQL and runs it on the index.

    Args:
        con: a DuckDB connection to the index (read-only is best).
        model: a language model, or :class:`~aiweb3.llm.NoModel` for the offline engine.
        row_limit: most rows a query returns.
        timeout: seconds a query may run.
    """

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        model: LanguageModel | None = None,
        *,
        row_limit: int = 1000,
        timeout: float = 10.0,
    ) -> None:
        self.con = con
        self.model: LanguageModel = model or NoModel()
        self.row_limit = row_limit
        self.timeout = timeout
        self.matcher = MetricMatcher()

    def _tokens(self) -> tuple[list[str], list[str]]:
        rows = self.con.execute("SELECT symbol, address FROM tokens").fetchall()
        return [r[0] for r in rows if r[0]], [r[1] for r in rows]

    def run_sql(self, sql: str) -> QueryResult:
        """Check and run SQL with the row and time limits."""
        return run_query(self.con, sql, known_tables(), row_limit=self.row_limit, timeout=self.timeout)

    def ask(self, question: str, *, engine: str | None = None) -> Answer:
        """Answer ``question`` with the model if one is configured, else offline.

        Args:
            engine: force "offline" or "model" (default: the model when available).

        Raises:
            QueryRefused: the question asks to change data, or the SQL failed the checks twice.
        """
        refuse_writes(question)
        use_model = self.model.available if engine is None else engine == "model"
        if use_model:
            return self._ask_model(question)
        return self.ask_offline(question)

    # -- offline ----------------------------------------------------------------
    def plan_offline(self, question: str) -> tuple[Metric | None, Params, list[str]]:
        """The metric and parameters the offline engine picks (metric None: cannot answer)."""
        symbols, addresses = self._tokens()
        params = extract_params(question, symbols, addresses)
        ranked = self.matcher.rank(question, params)
        closest = [m.metric.name for m in ranked[:3]]
        best = ranked[0]
        if best.score < MIN_SCORE or any(getattr(params, r) is None for r in best.metric.required):
            return None, params, closest
        return best.metric, params, closest

    def ask_offline(self, question: str) -> Answer:
        """Answer with the metric library only."""
        refuse_writes(question)
        metric, params, closest = self.plan_offline(question)
        if metric is None:
            return Answer(
                question,
                "offline",
                answered=False,
                params=params,
                closest=closest,
                message="I cannot answer that from the metric library. Closest metrics: "
                + ", ".join(closest)
                + " (see `aiweb3 metric list`), or configure a language model.",
            )
        sql = metric.sql(params)
        result = self.run_sql(sql)
        used = [f"{k}={getattr(params, k)}" for k in metric.params if getattr(params, k) is not None]
        return Answer(
            question,
            "offline",
            sql=result.sql,
            columns=result.columns,
            rows=result.rows,
            metric=metric.name,
            params=params,
            closest=closest,
            truncated=result.truncated,
            message=f"metric {metric.name}" + (f" ({', '.join(used)})" if used else ""),
        )

    # -- with a model -----------------------------------------------------------
    def _prompt(self, question: str) -> list[ChatMessage]:
        metrics = "\n".join(
            f"- view {m.name}({', '.join(m.columns)}): {m.documentation}" for m in METRICS if not m.required
        )
        examples = "\n".join(
            f"Q: {m.examples[0]}\nSQL: SELECT * FROM {m.name}" for m in METRICS[:6] if not m.required
        )
        examples += "\n" + "\n".join(f"Q: {q}\nSQL: {s}" for q, s in _EXAMPLES[::2])
        system = (
            "You translate questions about an Ethereum chain index into one DuckDB SQL query.\n"
            "Rules: a single read-only SELECT; only the tables and views below; addresses are lowercase "
            "hex; token amounts are in base units (divide by 10^tokens.decimals); 'last N days' means "
            "block_time > (SELECT max(block_time) FROM blocks) - INTERVAL N DAY. "
            "Reply with the SQL only, in a ```sql block.\n\n"
            f"Schema:\n{describe_schema()}\n\nMetric views:\n{metrics}\n\nExamples:\n{examples}"
        )
        return [{"role": "system", "content": system}, {"role": "user", "content": question}]

    def _ask_model(self, question: str) -> Answer:
        messages = self._prompt(question)
        last_error: AIWeb3Error | None = None
        for attempt in (1, 2):
            reply = self.model.complete(messages)
            sql = extract_sql(reply)
            try:
                result = self.run_sql(sql)
            except (QueryRefused, IndexerError) as exc:
                last_error = exc
                messages = [
                    *messages,
                    {"role": "assistant", "content": reply},
                    {"role": "user", "content": f"That query failed: {exc}. Reply with a corrected query."},
                ]
                continue
            return Answer(
                question,
                f"model {self.model.name}",
                sql=result.sql,
                columns=result.columns,
                rows=result.rows,
                attempts=attempt,
                truncated=result.truncated,
                message="SQL written by the language model and checked before running",
            )
        assert last_error is not None
        raise type(last_error)(f"the model's SQL failed twice; last error: {last_error}")


def extract_sql(reply: str) -> str:
    """The SQL in a model reply (a fenced block if there is one, else the whole text)."""
    fenced = re.search(r"```(?:sql|duckdb)?\s*(.*?)```", reply, re.S | re.I)
    text = fenced.group(1) if fenced else reply
    return text.strip().rstrip(";").strip()


__all__ += ["extract_sql"]
