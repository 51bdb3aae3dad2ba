"""Check and run untrusted SQL: one read-only query over known tables, bounded in rows and time.

The checks are done on the sqlglot syntax tree (DuckDB dialect), never on the text:
exactly one statement, and it is a query (SELECT/UNION/WITH ...); every table it reads is
an index table, a metric view or one of its own CTEs; no table functions (``read_csv``,
``glob`` ...); every function is a known built-in or on a short allowlist. Queries are also
run on a read-only connection, with a row limit added and a timer that interrupts them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from aiweb3.errors import IndexerError, QueryRefused

__all__ = ["QueryResult", "checked_sql", "run_query"]

# DuckDB functions sqlglot does not model as classes that are safe on our tables.
_ALLOWED_ANONYMOUS = {
    "any_value",
    "arg_max",
    "arg_min",
    "approx_count_distinct",
    "bit_length",
    "ceil",
    "ceiling",
    "concat_ws",
    "contains",
    "count_if",
    "date_diff",
    "datediff",
    "date_part",
    "datepart",
    "day",
    "dayname",
    "ends_with",
    "epoch",
    "epoch_ms",
    "fsum",
    "greatest",
    "hex",
    "hour",
    "ifnull",
    "isodow",
    "json_extract",
    "json_extract_string",
    "json_keys",
    "least",
    "left",
    "list",
    "median",
    "minute",
    "month",
    "monthname",
    "nullif",
    "prefix",
    "printf",
    "right",
    "round_even",
    "sign",
    "starts_with",
    "strftime",
    "string_agg",
    "suffix",
    "time_bucket",
    "to_hex",
    "today",
    "week",
    "weekday",
    "year",
    "yearweek",
    "regexp_matches",
    "regexp_extract",
    "format",
    "log10",
    "log2",
    "mode",
    "quantile",
    "quantile_cont",
    "quantile_disc",
    "histogram",
    "list_sort",
    "unnest",
    "current_date",
    "now",
}
_DENIED_NAMES = (
    "read",
    "glob",
    "getenv",
    "system",
    "query",
    "copy",
    "attach",
    "install",
    "load",
    "export",
    "import",
    "http",
    "file",
    "csv",
    "parquet",
    "pragma",
    "checkpoint",
)


@dataclass
class QueryResult:
    """Rows of a query, with the SQL that actually ran."""

    sql: str
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False


def _function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    return str(node.sql_name()).lower()


def checked_sql(sql: str, known_tables: Iterable[str], *, row_limit: int = 1000) -> str:
    """Return ``sql`` as a single read-only query with at most ``row_limit`` rows.

    Raises:
        QueryRefused: not one statement, not a query, unknown tables or functions.
    """
    text = sql.strip().rstrip(";").strip()
    if not text:
        raise QueryRefused("the query is empty")
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except ParseError as exc:
        first = str(exc).splitlines()[0]
        raise QueryRefused(f"the SQL does not parse: {first}") from None
    if len(statements) != 1:
        raise QueryRefused(f"one statement expected, got {len(statements)}")
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        raise QueryRefused(f"only read-only queries (SELECT) are allowed, not {type(tree).__name__.upper()}")
    for bad in (
        exp.Insert,
        exp.Update,
        exp.Delete,
        exp.Drop,
        exp.Create,
        exp.Alter,
        exp.Command,
        exp.Copy,
        exp.Pragma,
        exp.Set,
        exp.Merge,
        exp.Into,
    ):
        found = tree.find(bad)
        if found is not None:
            raise QueryRefused(f"{type(found).__name__.upper()} is not allowed: queries only read")
    known = {t.lower() for t in known_tables}
    ctes = {str(c.alias_or_name).lower() for c in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        name = str(table.name).lower()
        if not name or isinstance(table.this, exp.Func):
            raise QueryRefused(f"table functions are not allowed: {table.sql(dialect='duckdb')[:60]}")
        if table.args.get("db") or table.args.get("catalog"):
            raise QueryRefused(f"qualified table names are not allowed: {table.sql(dialect='duckdb')}")
        if name not in known and name not in ctes:
            raise QueryRefused(f"unknown table {name!r}; known tables and views: {', '.join(sorted(known))}")
    for func in tree.find_all(exp.Func):
        name = _function_name(func)
        if isinstance(func, exp.Anonymous):
            if name not in _ALLOWED_ANONYMOUS:
                raise QueryRefused(f"unknown or disallowed function {name}()")
        elif any(word in name for word in _DENIED_NAMES) or type(func).__name__.startswith("Read"):
            raise QueryRefused(f"function {name}() is not allowed")
    limit = tree.args.get("limit")
    value = None
    if isinstance(limit, exp.Limit) and isinstance(limit.expression, exp.Literal):
        value = int(limit.expression.this) if limit.expression.is_int else None
    if limit is None or value is None or value > row_limit:
        tree = tree.limit(row_limit) if limit is None else tree.limit(min(value or row_limit, row_limit))
    return str(tree.sql(dialect="duckdb"))


def run_query(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    known_tables: Iterable[str],
    *,
    row_limit: int = 1000,
    timeout: float = 10.0,
) -> QueryResult:
    """Check ``sql`` with :func:`checked_sql` and run it, interrupting it after ``timeout`` s.

    Raises:
        QueryRefused: the SQL failed a check.
        IndexerError: the query failed or ran out of time (the message has DuckDB's reason).
    """
    safe = checked_sql(sql, known_tables, row_limit=row_limit)
    timed_out = threading.Event()

    def _stop() -> None:
        timed_out.set()
        con.interrupt()

    timer = threading.Timer(timeout, _stop)
    timer.start()
    try:
        cur = con.execute(safe)
        columns = [d[0] for d in cur.description or []]
        rows = cur.fetchall()
    except duckdb.Error as exc:
        if timed_out.is_set():
            raise IndexerError(f"the query ran longer than {timeout:g}s and was stopped") from None
        raise IndexerError(f"the query failed: {str(exc).splitlines()[0]}") from None
    finally:
        timer.cancel()
    return QueryResult(safe, columns, rows, truncated=len(rows) >= row_limit)
