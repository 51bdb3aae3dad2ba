"""``aiweb3 ask`` — questions about the indexed chain in plain English; the SQL is always shown."""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer

from aiweb3.cli.context import Context, console
from aiweb3.cli.index import default_db
from aiweb3.cli.metric import pretty_sql, render_rows
from aiweb3.cli.service_link import open_index
from aiweb3.errors import InputError
from aiweb3.indexer.ask import Asker
from aiweb3.indexer.explain import explain_sql
from aiweb3.llm import LLMConfig, load_model

__all__ = ["ask"]

_SQL_START = re.compile(r"^\s*(select|with|from)\b", re.I)


def ask(
    question: str = typer.Argument(
        ..., help="A question, e.g. 'top 5 AIUSD holders' (or SQL with --explain)."
    ),
    explain: bool = typer.Option(False, "--explain", help="Explain the SQL in plain English."),
    engine: str | None = typer.Option(None, help="'offline' or 'model' (default: model if configured)."),
    db: Path | None = typer.Option(None, "--db", help="DuckDB file."),
    limit: int = typer.Option(1000, help="Most rows returned."),
    timeout: float = typer.Option(10.0, help="Seconds a query may run."),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
) -> None:
    """Ask a question about the indexed chain (set AIWEB3_LLM_URL to use a language model)."""
    if engine not in (None, "offline", "model"):
        raise InputError("--engine must be 'offline' or 'model'")
    model = load_model(LLMConfig.from_env())
    if engine == "model" and not model.available:
        raise InputError("--engine model needs AIWEB3_LLM_URL (an OpenAI-compatible endpoint)")
    if explain and _SQL_START.match(question):
        console.print(pretty_sql(question))
        console.print(explain_sql(question, model))
        return
    ctx = Context()
    with open_index(ctx, db or default_db(ctx)) as store:
        asker = Asker(store.con, model, row_limit=limit, timeout=timeout)
        answer = asker.ask(question, engine=engine)
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "question": answer.question,
                    "engine": answer.engine,
                    "answered": answer.answered,
                    "sql": answer.sql,
                    "metric": answer.metric,
                    "columns": answer.columns,
                    "rows": [
                        [v if isinstance(v, int | float | str | None) else str(v) for v in r]
                        for r in answer.rows
                    ],
                    "message": answer.message,
                    "closest": answer.closest,
                }
            )
        )
        if not answer.answered:
            raise typer.Exit(1)
        return
    if not answer.answered:
        console.print(answer.message)
        raise typer.Exit(1)
    console.print(f"[dim]{answer.engine}: {answer.message}[/dim]")
    assert answer.sql is not None
    console.print(pretty_sql(answer.sql))
    if explain:
        console.print(explain_sql(answer.sql, model))
    console.print(render_rows(answer.columns, answer.rows))
