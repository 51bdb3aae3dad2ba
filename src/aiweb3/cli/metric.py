"""``aiweb3 metric`` — the metrics library: list, show (and run) named SQL metrics."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import sqlglot
import sqlglot.errors
import typer
from rich.syntax import Syntax
from rich.table import Table

from aiweb3.cli.context import Context, console
from aiweb3.cli.index import default_db
from aiweb3.cli.service_link import holds_index, open_index, service_of
from aiweb3.errors import InputError
from aiweb3.indexer import IndexStore, Metric, Params, get_metric
from aiweb3.indexer.ask import Asker
from aiweb3.indexer.decode import EventDecoder
from aiweb3.indexer.metric_library import MetricLibrary, all_metrics, backfill_events, draft_metric
from aiweb3.llm import LLMConfig, load_model

__all__ = ["app", "pretty_sql", "render_rows"]

app = typer.Typer(help="Named, documented SQL metrics over the index.", no_args_is_help=True)


def pretty_sql(sql: str) -> Syntax:
    """SQL laid out over several lines for reading (the text that runs is unchanged)."""
    try:
        text = sqlglot.transpile(sql, read="duckdb", write="duckdb", pretty=True)[0]
    except sqlglot.errors.ParseError:
        text = sql
    return Syntax(text, "sql", word_wrap=True)


def render_rows(columns: list[str], rows: list[tuple[object, ...]], limit: int = 50) -> Table:
    """A rich table of query rows (at most ``limit`` shown)."""
    table = Table(
        *columns, caption=f"{len(rows)} row(s)" + (f", first {limit} shown" if len(rows) > limit else "")
    )
    for row in rows[:limit]:
        table.add_row(*("" if v is None else f"{v:,.6g}" if isinstance(v, float) else str(v) for v in row))
    return table


def _library(ctx: Context, db: Path | None) -> MetricLibrary:
    return MetricLibrary.beside(db or default_db(ctx))


def _find(ctx: Context, db: Path | None, name: str) -> Metric:
    saved = _library(ctx, db).get(name)
    return saved.as_metric() if saved is not None else get_metric(name)


@app.command("list")
def list_metrics(
    db: Path | None = typer.Option(None, "--db", help="DuckDB file (its saved metrics)."),
) -> None:
    """List every metric (built-in and saved) with its parameters."""
    table = Table("name", "group", "what", "parameters")
    for m in all_metrics(_library(Context(), db)):
        table.add_row(m.name, m.group, m.title, ", ".join(m.params) or "-")
    console.print(table)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="Metric name (see `aiweb3 metric list`)."),
    token: str | None = typer.Option(None, help="Token symbol or address."),
    address: str | None = typer.Option(None, help="An address."),
    days: int | None = typer.Option(None, help="Only the last N days (ending at the newest block)."),
    top: int | None = typer.Option(None, help="Top N rows."),
    run: bool = typer.Option(False, "--run", help="Run it on the index and show the rows."),
    db: Path | None = typer.Option(None, "--db", help="DuckDB file."),
) -> None:
    """Show a metric's documentation and SQL (optionally with parameters, optionally run)."""
    metric = _find(Context(), db, name)
    sql = metric.sql(Params(token=token, address=address, days=days, top_n=top))
    console.print(f"[bold]{metric.name}[/bold] — {metric.title}\n{metric.documentation}")
    console.print(f"columns: {', '.join(metric.columns)}")
    console.print(f"parameters: {', '.join(metric.params) or 'none'}")
    console.print(pretty_sql(sql))
    if run:
        ctx = Context()
        with open_index(ctx, db or default_db(ctx)) as store:
            result = Asker(store.con).run_sql(sql)
        console.print(render_rows(result.columns, result.rows))


def _load_abi(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the ABI {path}: {exc}") from None
    abi = data.get("abi") if isinstance(data, dict) else data
    if not isinstance(abi, list):
        raise InputError(f"{path}: expected a JSON list (an ABI) or an object with an 'abi' list")
    return abi


def _register_abi(ctx: Context, db: Path, path: Path, contract: str) -> int:
    """Save the ABI where `aiweb3 index run` reads user ABIs, and decode past logs with it."""
    abi = _load_abi(path)
    decoder = EventDecoder({contract: abi})  # refuses a malformed ABI before anything is written
    target = ctx.settings.home / "index" / "abis" / f"{contract}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(abi, fh)
    os.replace(tmp, target)
    with IndexStore(db) as store:
        return backfill_events(store.con, decoder)


@app.command("new")
def new(
    description: str = typer.Argument(
        ..., help="What to measure, e.g. 'weekly unique payers of TaskEscrow'."
    ),
    name: str | None = typer.Option(None, help="View name (default: the description's words joined by _)."),
    abi: Path | None = typer.Option(
        None, "--abi", help="ABI JSON of a contract not indexed yet: registered, and past logs decoded."
    ),
    contract: str | None = typer.Option(None, help="Contract name for --abi (default: the file's name)."),
    replace: bool = typer.Option(False, "--replace", help="Overwrite a saved metric of the same name."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the draft and its sample without saving."),
    db: Path | None = typer.Option(None, "--db", help="DuckDB file."),
) -> None:
    """Draft a metric from plain words, show its SQL and a sample result, and save it to the library."""
    ctx = Context()
    path = db or default_db(ctx)
    if abi is not None:
        service = service_of(ctx)
        if holds_index(service, path):
            assert service is not None
            raise InputError(
                f"--abi decodes past logs into the index, which `aiweb3 up` (pid {service.pid}) holds "
                "for writing: stop the service, run this again, then start it (`aiweb3 index add-abi` "
                "registers an ABI for the next start without stopping it)"
            )
        added = _register_abi(ctx, path, abi, contract or abi.stem)
        console.print(f"registered the ABI of {contract or abi.stem}; decoded {added} past event(s)")
    with open_index(ctx, path) as store:
        asker = Asker(store.con, load_model(LLMConfig.from_env()), row_limit=10)
        metric, sample = draft_metric(asker, description, name)
    console.print(f"[bold]{metric.name}[/bold] — {metric.interpretation}")
    console.print(pretty_sql(metric.sql))
    console.print(render_rows(sample.columns, sample.rows, limit=10))
    if dry_run:
        console.print("dry run: not saved")
        return
    saved = _library(ctx, db).save(metric, replace=replace)
    console.print(
        f"saved metric {metric.name} to {saved}; `aiweb3 metric show {metric.name} --run` runs it, "
        "and the dashboard's metric list includes it"
    )
