"""Answer questions about the index in plain English, through a typed query plan.

A question is parsed into a :class:`~aiweb3.indexer.plan.Plan` by the deterministic parser
(:mod:`aiweb3.indexer.nlq`); when it cannot tell what is asked and a language model is
configured, the model writes the same plan as JSON under :func:`plan_json_schema` (one
retry with the validation error). The plan compiles to SQL (:mod:`aiweb3.indexer.plan_sql`),
which the SQL guard checks before it runs. Questions the index cannot answer (prices,
off-chain facts, the future, the mempool) are declined with the reason and the nearest
answerable question. Every answer carries one line saying what was understood.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from pydantic import ValidationError

from aiweb3.errors import InputError, LLMUnavailable, QueryRefused
from aiweb3.indexer.answerable import Decline
from aiweb3.indexer.lexicon import Lexicon
from aiweb3.indexer.metrics import METRICS
from aiweb3.indexer.nlq import parse_question, refuse_writes
from aiweb3.indexer.plan import Plan, plan_json_schema
from aiweb3.indexer.plan_sql import ambiguities, compile_plan, describe_plan, unit_of, window_sql
from aiweb3.indexer.schema import ALL_TABLES
from aiweb3.indexer.sqlguard import QueryResult, run_query
from aiweb3.llm import ChatMessage, LanguageModel, LLMConfig, NoModel, load_model

__all__ = ["ENGINES", "ROUTES", "Answer", "Asker", "default_engine", "known_tables"]

#: The engines :meth:`Asker.ask` knows.
ENGINES = ("offline", "model", "auto")

#: Which engine ``auto`` sends a question the parser understood to, by the plan's measure (absent:
#: "offline"). From ``bench/nlq.py --model-sample 8`` (docs/llm.md): the embedded SmolLM2-135M
#: wrote a right plan for none of the 7 answerable questions the parser got right, so no measure
#: routes to the model. Questions the parser does not understand go to the model (the only engine
#: that can try), and its plan must still compile and pass the SQL guard.
ROUTES: dict[str, str] = {}

_EXAMPLES = (
    "'how many transactions in the last 2 hours', 'total AIUSD transferred yesterday, not mints', "
    "'top 5 GLD holders', 'share of transactions that failed'"
)


def known_tables() -> set[str]:
    """Tables and metric views a query may read."""
    return set(ALL_TABLES) | {m.name for m in METRICS if not m.required}


def default_engine(config: LLMConfig, home: Path) -> tuple[str, LanguageModel]:
    """The engine and model a question gets when the asker names none (the CLI and the service).

    "auto" with a model when one is available (``AIWEB3_LLM_URL``, ``AIWEB3_LLM=embedded``, or the
    embedded model found running for ``home``), else "offline" with no model.
    """
    from aiweb3.llm.runtime import ModelRuntime, RuntimeConfig

    running = ModelRuntime(RuntimeConfig(home=config.home or home)).info() is not None
    if config.url or config.embedded or running:
        return "auto", load_model(config, embedded=True)
    return "offline", load_model(config)


@dataclass
class Answer:
    """An answer: the rows first, what was understood, and the SQL that ran (or why there is none)."""

    question: str
    engine: str
    sql: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    plan: Plan | None = None
    interpretation: str = ""
    unit: str = ""
    answered: bool = True
    reason: str = ""
    message: str = ""
    attempts: int = 1
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        """The answer as JSON data (values that are not JSON types become text)."""
        plain = [[v if isinstance(v, int | float | str | None) else str(v) for v in r] for r in self.rows]
        return {
            "question": self.question,
            "engine": self.engine,
            "answered": self.answered,
            "columns": self.columns,
            "rows": plain,
            "interpretation": self.interpretation,
            "unit": self.unit,
            "reason": self.reason,
            "message": self.message,
            "plan": self.plan.model_dump(exclude_defaults=True) if self.plan else None,
            "sql": self.sql,
            "truncated": self.truncated,
        }


class Asker:
    """Turns questions into plans, plans into checked SQL, and runs it on the index.

    Args:
        con: a DuckDB connection to the index (read-only is best).
        model: a language model for questions the parser does not understand (optional).
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
        self._lexicon: Lexicon | None = None

    @property
    def lexicon(self) -> Lexicon:
        """Token symbols, event and contract names and indexed days (read once)."""
        if self._lexicon is None:
            self._lexicon = Lexicon.from_index(self.con)
        return self._lexicon

    def run_sql(self, sql: str) -> QueryResult:
        """Check and run SQL with the row and time limits."""
        return run_query(self.con, sql, known_tables(), row_limit=self.row_limit, timeout=self.timeout)

    def ask(self, question: str, *, engine: str | None = None) -> Answer:
        """Answer ``question``.

        Args:
            engine: "offline" (the deterministic parser only), "model" (the language model
                writes the plan), "auto" (each question to the engine measured better for it,
                the other one when the first yields no valid SQL; see :meth:`route`), or None
                (the parser, then the model when one is configured).

        Raises:
            InputError: empty or overlong question, unknown token or address.
            QueryRefused: the question asks to change data, or the model's plan failed twice.
        """
        refuse_writes(question)
        parsed = parse_question(question, self.lexicon)
        if isinstance(parsed, Decline):
            return Answer(question, "offline", answered=False, reason=parsed.reason, message=parsed.text())
        if engine == "auto":
            return self._auto(question, parsed)
        if engine == "model" or (parsed is None and engine is None and self.model.available):
            plan, attempts = self._model_plan(question)
            return self._run(question, f"model {self.model.name}", plan, attempts)
        if parsed is None:
            return Answer(
                question,
                "offline",
                answered=False,
                reason="not understood",
                message="I cannot tell what to measure in that question. Try e.g. "
                + _EXAMPLES
                + " (or configure a language model: AIWEB3_LLM_URL).",
            )
        return self._run(question, "offline", parsed)

    def route(self, parsed: Plan | None) -> tuple[str, str]:
        """The engine ``auto`` tries first for a question the parser read as ``parsed``, and why."""
        if not self.model.available:
            return "offline", "no language model"
        if parsed is None:
            return "model", "the parser did not understand"
        first = ROUTES.get(parsed.measure, "offline")
        return first, f"measured better for {parsed.measure} questions"

    def _auto(self, question: str, parsed: Plan | None) -> Answer:
        first, why = self.route(parsed)
        order = [first] + [e for e in ("offline", "model") if e != first and self.model.available]
        problems: list[str] = []
        for name in order:
            try:
                if name == "offline":
                    if parsed is None:
                        problems.append("offline: the parser did not understand")
                        continue
                    answer = self._run(question, "offline", parsed)
                else:
                    plan, attempts = self._model_plan(question)
                    answer = self._run(question, f"model {self.model.name}", plan, attempts)
            except (QueryRefused, InputError, LLMUnavailable) as exc:  # no valid SQL here: try the next
                problems.append(f"{name}: {str(exc).splitlines()[0]}")
                continue
            note = why if name == first else f"fallback; {'; '.join(problems)}"
            answer.engine = f"{answer.engine} (auto: {note})"
            return answer
        return Answer(
            question,
            "auto",
            answered=False,
            reason="not understood",
            message="Neither engine could answer (" + "; ".join(problems) + "). Try e.g. " + _EXAMPLES + ".",
        )

    def answer_plan(self, question: str, plan: Plan) -> Answer:
        """Compile, check and run ``plan`` as the answer to ``question``."""
        return self._run(question, "plan", plan)

    def _run(self, question: str, engine: str, plan: Plan, attempts: int = 1) -> Answer:
        result = self.run_sql(compile_plan(plan))
        return Answer(
            question,
            engine,
            sql=result.sql,
            columns=result.columns,
            rows=result.rows,
            plan=plan,
            interpretation=self.interpret(plan),
            unit=unit_of(plan),
            attempts=attempts,
            truncated=result.truncated,
        )

    def interpret(self, plan: Plan) -> str:
        """One line: what was measured, over which blocks and UTC times, rolling or calendar."""
        what = describe_plan(plan)
        if plan.subject == "tokens":
            return what
        cond = window_sql(plan.window) if plan.window else "TRUE"
        row = self.con.execute(
            "SELECT min(block_number), max(block_number), min(block_time), max(block_time) "
            f"FROM blocks WHERE {cond}"
        ).fetchone()
        if not row or row[0] is None:
            return f"{what}; no indexed blocks in that window"
        lo, hi, t0, t1 = row
        span = f"blocks {lo}-{hi}, {t0:%Y-%m-%d %H:%M} to {t1:%Y-%m-%d %H:%M} UTC"
        w = plan.window
        if w is None:
            kind = "all indexed blocks"
        elif w.kind == "rolling":
            kind = f"rolling {w.n} {w.unit}{'s' if (w.n or 0) > 1 else ''} up to the newest block"
        elif w.kind in ("today", "yesterday"):
            kind = f"calendar day (UTC) {w.kind}, relative to the newest block"
        elif w.kind == "dates":
            kind = f"calendar days {w.start} to {w.end} inclusive (UTC)"
        else:
            kind = "block range"
        notes = ambiguities(plan)
        return f"{what}; {span}; {kind}" + (f" (note: {'; '.join(notes)})" if notes else "")

    # -- the language model -----------------------------------------------------------------
    def _prompt(self, question: str) -> list[ChatMessage]:
        lex = self.lexicon
        system = (
            "You translate questions about an Ethereum chain index into a JSON query plan. "
            "Reply with one JSON object only, valid under this JSON schema:\n"
            + json.dumps(plan_json_schema())
            + "\nToken symbols (filter column 'symbol'): "
            + ", ".join(sorted(lex.symbols.values()))
            + ". Decoded events (filter column 'event' on subject 'events'): "
            + ", ".join(sorted(lex.events.values()))
            + ". Addresses are lowercase hex. Windows end at the newest indexed block."
        )
        return [{"role": "system", "content": system}, {"role": "user", "content": question}]

    def _model_reply(self, messages: list[ChatMessage]) -> str:
        chat = getattr(self.model, "chat", None)
        if chat is None:
            return self.model.complete(messages)
        # An OpenAI-compatible client: ask for the plan under its JSON schema (aiweb3's embedded
        # runtime enforces it with a grammar while generating; other servers may too).
        fmt = {"type": "json_schema", "json_schema": {"name": "Plan", "schema": plan_json_schema()}}
        return str(chat(messages, response_format=fmt, max_tokens=512, purpose="ask: query plan").text)

    def _model_plan(self, question: str) -> tuple[Plan, int]:
        messages = self._prompt(question)
        last_error: Exception | None = None
        for attempt in (1, 2):
            reply = self._model_reply(messages)
            try:
                plan = Plan.model_validate_json(_json_object(reply))
                compile_plan(plan)
                return plan, attempt
            except (ValidationError, InputError, ValueError) as exc:
                last_error = exc
                error = str(exc).splitlines()[0]
                messages = [
                    *messages,
                    {"role": "assistant", "content": reply},
                    {
                        "role": "user",
                        "content": f"That plan is invalid: {error}. Reply with a corrected one.",
                    },
                ]
        raise QueryRefused(f"the model's plan failed twice; last error: {str(last_error).splitlines()[0]}")


def _json_object(reply: str) -> str:
    """The JSON object in a model reply (inside a fenced block or bare)."""
    fenced = re.search(r"```(?:json)?\s*(.*?)```", reply, re.S | re.I)
    text = fenced.group(1) if fenced else reply
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError("the reply holds no JSON object")
    return text[start : end + 1]
