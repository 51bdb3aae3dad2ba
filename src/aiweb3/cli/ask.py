"""``aiweb3 ask`` — questions about the indexed chain in plain English.

The answer leads with the number or table, then one line saying what was understood
(blocks, UTC times, rolling or calendar window) and the unit; the SQL is folded away
(``--sql`` shows it, ``--explain`` explains it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer

from aiweb3.cli.context import Context, console
from aiweb3.cli.index import default_db
from aiweb3.cli.metric import pretty_sql, render_rows
from aiweb3.cli.service_link import open_index
from aiweb3.config import Settings
from aiweb3.errors import InputError
from aiweb3.indexer.ask import ENGINES, Answer, Asker, default_engine
from aiweb3.indexer.explain import explain_sql
from aiweb3.llm import LLMConfig, load_model

__all__ = ["ask", "render_answer"]

_SQL_START = re.compile(r"^\s*(select|with|from)\b", re.I)


def render_answer(answer: Answer, *, show_sql: bool = False) -> None:
    """Print an answer: the value or table first, then the interpretation line and unit."""
    if len(answer.rows) == 1 and len(answer.columns) == 1:
        value = answer.rows[0][0]
        text = str(value)
        if isinstance(value, float):
            text = f"{value:,.6g}"
        elif isinstance(value, int):
            text = f"{value:,}"
        unit = f" {answer.unit}" if answer.unit and answer.unit != "count" else ""
        console.print(f"[bold]{text}[/bold]{unit}")
    else:
        console.print(render_rows(answer.columns, answer.rows))
    unit = f"; unit: {answer.unit}" if answer.unit else ""
    console.print(f"[dim]{answer.interpretation}{unit} ({answer.engine})[/dim]")
    if show_sql and answer.sql:
        console.print(pretty_sql(answer.sql))
    elif answer.sql:
        console.print("[dim]SQL folded: --sql shows it, --explain explains it[/dim]")


def ask(
    question: str = typer.Argument(
        ..., help="A question, e.g. 'AIUSD transferred in the last 2 hours' (or SQL with --explain)."
    ),
    explain: bool = typer.Option(False, "--explain", help="Show the SQL and explain it in plain English."),
    sql: bool = typer.Option(False, "--sql", help="Show the SQL that ran."),
    engine: str | None = typer.Option(
        None,
        help="'auto' (each question to the engine measured better for it, the other as fallback), "
        "'offline' (the parser) or 'model' (a language model writes the plan: AIWEB3_LLM_URL, else the "
        "embedded model). Default: auto when a model is available (AIWEB3_LLM_URL, AIWEB3_LLM=embedded, "
        "or the embedded model running), else offline.",
    ),
    db: Path | None = typer.Option(None, "--db", help="DuckDB file."),
    limit: int = typer.Option(1000, help="Most rows returned."),
    timeout: float = typer.Option(10.0, help="Seconds a query may run."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
) -> None:
    """Ask a question about the indexed chain (a language model helps when one is available)."""
    if engine not in (None, *ENGINES):
        raise InputError("--engine must be 'auto', 'offline' or 'model'")
    config = LLMConfig.from_env()
    if engine is None:
        engine, model = default_engine(config, Settings.load().home)
    else:
        # model and auto without AIWEB3_LLM_URL use the embedded model (started, or found running)
        model = load_model(config, embedded=engine in ("model", "auto"))
    if engine == "model" and not model.available:
        raise InputError("--engine model needs a language model: the embedded one, or AIWEB3_LLM_URL")
    if explain and _SQL_START.match(question):
        console.print(pretty_sql(question))
        console.print(explain_sql(question, model))
        return
    ctx = Context()
    with open_index(ctx, db or default_db(ctx)) as store:
        asker = Asker(store.con, model, row_limit=limit, timeout=timeout)
        answer = asker.ask(question, engine=engine)
    if as_json:
        console.print_json(json.dumps(answer.to_json()))
        if not answer.answered:
            raise typer.Exit(1)
        return
    if not answer.answered:
        console.print(answer.message)
        raise typer.Exit(1)
    render_answer(answer, show_sql=sql or explain)
    if explain and answer.sql:
        console.print(explain_sql(answer.sql, model))
