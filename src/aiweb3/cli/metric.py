"""``aiweb3 metric`` — the metrics library: list, show (and run) named SQL metrics."""

from __future__ import annotations

from pathlib import Path

import sqlglot
import sqlglot.errors
import typer
from rich.syntax import Syntax
from rich.table import Table

from aiweb3.cli.context import Context, console
from aiweb3.cli.index import default_db
from aiweb3.indexer import METRICS, IndexStore, Params, get_metric
from aiweb3.indexer.ask import Asker

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


@app.command("list")
def list_metrics() -> None:
    """List every metric with its parameters."""
    table = Table("name", "group", "what", "parameters")
    for m in METRICS:
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
    metric = get_metric(name)
    sql = metric.sql(Params(token=token, address=address, days=days, top_n=top))
    console.print(f"[bold]{metric.name}[/bold] — {metric.title}\n{metric.documentation}")
    console.print(f"columns: {', '.join(metric.columns)}")
    console.print(f"parameters: {', '.join(metric.params) or 'none'}")
    console.print(pretty_sql(sql))
    if run:
        ctx = Context()
        with IndexStore(db or default_db(ctx), read_only=True) as store:
            result = Asker(store.con).run_sql(sql)
        console.print(render_rows(result.columns, result.rows))
