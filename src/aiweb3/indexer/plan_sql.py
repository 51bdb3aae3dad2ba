"""Compile a :class:`~aiweb3.indexer.plan.Plan` to DuckDB SQL with sqlglot, and describe it.

Every identifier comes from the catalog (:data:`~aiweb3.indexer.plan.SOURCES`); values
from the question become sqlglot literals, never SQL text. The result still goes through
the SQL guard before it runs.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import sqlglot
from sqlglot import exp

from aiweb3.errors import InputError
from aiweb3.indexer.plan import ADDRESS_ACTORS, SOURCES, TIME_BUCKETS, ZERO, Filter, Plan, Source, Window

__all__ = ["ambiguities", "compile_plan", "describe_plan", "unit_of", "window_sql"]

_NOW = "(SELECT max(block_time) FROM blocks)"
_AGG = {"sum": "sum", "avg": "avg", "median": "median", "min": "min", "max": "max"}


def _source(plan: Plan) -> Source:
    try:
        return SOURCES[plan.subject]
    except KeyError:
        raise InputError(f"unknown subject {plan.subject!r}; known: {', '.join(SOURCES)}") from None


def _column(src: Source, name: str) -> str:
    if name in src.columns:
        return src.columns[name]
    raise InputError(f"{src.name} has no column {name!r}; it has {', '.join(src.columns)}")


def _literal(value: str | float | int) -> exp.Expression:
    if isinstance(value, bool):
        raise InputError("a filter value must be a number or text")
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def _condition(src: Source, f: Filter) -> exp.Expression:
    left = sqlglot.parse_one(_column(src, f.column), read="duckdb")
    right = _literal(f.value)
    ops: dict[str, type[exp.Binary]] = {
        "=": exp.EQ,
        "!=": exp.NEQ,
        ">": exp.GT,
        ">=": exp.GTE,
        "<": exp.LT,
        "<=": exp.LTE,
    }
    return cast(exp.Expression, ops[f.op](this=left, expression=right))


def window_sql(window: Window) -> str:
    """The window as a condition on ``block_time``/``day``/``block_number``."""
    if window.kind == "rolling":
        if window.n is None or window.unit is None:
            raise InputError("a rolling window needs a number and a unit")
        n, unit = (window.n * 7, "DAY") if window.unit == "week" else (window.n, window.unit.upper())
        return f"block_time > {_NOW} - INTERVAL {int(n)} {unit}"
    if window.kind == "today":
        return "day = (SELECT max(day) FROM blocks)"
    if window.kind == "yesterday":
        return "day = (SELECT max(day) - 1 FROM blocks)"
    if window.kind == "dates":
        start = dt.date.fromisoformat(window.start or "")
        end = dt.date.fromisoformat(window.end or window.start or "")
        return f"day BETWEEN DATE '{start.isoformat()}' AND DATE '{end.isoformat()}'"
    first = int(window.first or 0)
    if window.last is None:
        return f"block_number >= {first}"
    return f"block_number BETWEEN {first} AND {int(window.last)}"


def _as_of(window: Window) -> str:
    if window.kind == "yesterday":
        return "day <= (SELECT max(day) - 1 FROM blocks)"
    if window.kind == "dates":
        end = dt.date.fromisoformat(window.end or window.start or "")
        return f"day <= DATE '{end.isoformat()}'"
    if window.kind == "blocks" and window.last is not None:
        return f"block_number <= {int(window.last)}"
    return "TRUE"  # today, rolling, open block ranges: the balance now


def _measure(plan: Plan, src: Source) -> tuple[str, str]:
    """(SQL, alias) of the measured value."""
    if plan.measure == "count":
        return "count(*)", "count"
    if plan.measure == "distinct":
        col = plan.distinct_of or src.default_actor
        if col is None:
            raise InputError(f"distinct what? {src.name} has columns {', '.join(src.columns)}")
        return f"count(DISTINCT {_column(src, col)})", f"distinct_{col}"
    if plan.measure == "share":
        if not plan.share_of:
            raise InputError("a share needs the condition it measures")
        cond = " AND ".join(_condition(src, f).sql(dialect="duckdb") for f in plan.share_of)
        if plan.amount:
            amount = _amount(src, plan.amount)
            return f"100.0 * sum({amount}) FILTER (WHERE {cond}) / sum({amount})", "percent"
        return f"100.0 * count(*) FILTER (WHERE {cond}) / count(*)", "percent"
    name = plan.amount or src.default_amount
    if name is None:
        raise InputError(f"{src.name} has no amount to {plan.measure}")
    return f"{_AGG[plan.measure]}({_amount(src, name)})", f"{plan.measure}_{name}"


def _amount(src: Source, name: str) -> str:
    if name not in src.amounts:
        raise InputError(f"{src.name} has no amount {name!r}; it has {', '.join(src.amounts) or 'none'}")
    return src.amounts[name].sql


def compile_plan(plan: Plan) -> str:
    """DuckDB SQL for ``plan``.

    Raises:
        InputError: the plan names something its subject does not have.
    """
    src = _source(plan)
    where: list[exp.Expression | str] = [src.where]
    where += [_condition(src, f) for f in plan.filters]
    if plan.window is not None:
        if "time" not in src.columns:
            raise InputError(f"{src.noun} have no time; ask without a time window")
        if plan.subject == "holdings":
            where.append(_as_of(plan.window))  # a balance is everything up to the window's end
        else:
            where.append(window_sql(plan.window))
    keys: list[tuple[str, str]] = []
    if plan.group_by:
        if plan.group_by in TIME_BUCKETS:
            keys.append((TIME_BUCKETS[plan.group_by], plan.group_by))
        elif plan.group_by == "token" and "symbol" in src.columns:
            keys += [("symbol", "symbol"), ("token", "token")]
        else:
            col = _column(src, plan.group_by)
            keys.append((col, plan.group_by))
            if plan.group_by in ADDRESS_ACTORS:
                where.append(f"{col} <> '{ZERO}' AND {col} IS NOT NULL")
    if plan.measure == "distinct" and (plan.distinct_of or src.default_actor) in ADDRESS_ACTORS:
        col = _column(src, plan.distinct_of or str(src.default_actor))
        where.append(f"{col} <> '{ZERO}'")
    if plan.measure == "list":
        return _list_sql(plan, src, where)
    value, alias = _measure(plan, src)
    query = sqlglot.select(*[f"{k} AS {a}" for k, a in keys], f"{value} AS {alias}", dialect="duckdb")
    query = query.from_(f"{src.table} AS s", dialect="duckdb")
    query = query.where(*where, dialect="duckdb")
    if keys:
        query = query.group_by(*[a for _, a in keys], dialect="duckdb")
        if plan.limit or plan.order:
            direction = "ASC" if plan.order == "asc" else "DESC"
            query = query.order_by(f"{alias} {direction}", *[a for _, a in keys], dialect="duckdb")
        else:
            query = query.order_by(*[a for _, a in keys], dialect="duckdb")
        if plan.limit:
            query = query.limit(plan.limit)
    return str(query.sql(dialect="duckdb"))


def _list_sql(plan: Plan, src: Source, where: list[exp.Expression | str]) -> str:
    amount = plan.amount or src.default_amount
    cols = [c for c in src.list_columns if c != amount]
    selects = [f"{c}" for c in cols]
    order_expr = src.order_key
    if amount:
        selects.append(f"{_amount(src, amount)} AS {amount}")
        order_expr = amount
    if plan.order is None and amount is None:
        order_expr, direction = src.order_key, "DESC"
    else:
        direction = "ASC" if plan.order == "asc" else "DESC"
    query = sqlglot.select(*selects, dialect="duckdb").from_(f"{src.table} AS s", dialect="duckdb")
    query = query.where(*where, dialect="duckdb").order_by(f"{order_expr} {direction}", dialect="duckdb")
    return str(query.limit(plan.limit or 10).sql(dialect="duckdb"))


def unit_of(plan: Plan) -> str:
    """The unit of the measured value, in words."""
    src = _source(plan)
    if plan.measure in ("count", "distinct"):
        return "count"
    if plan.measure == "share":
        return "percent"
    name = plan.amount or src.default_amount
    if name is None or name not in src.amounts:
        return ""
    unit = src.amounts[name].unit
    if unit == "tokens":
        symbols = [str(f.value) for f in plan.filters if f.column == "symbol"]
        return f"{symbols[0]} (whole tokens)" if symbols else "whole tokens of each token"
    return unit


def describe_plan(plan: Plan) -> str:
    """What the plan computes, in one phrase (without the window, which the asker resolves)."""
    src = _source(plan)
    what = {
        "count": "number of",
        "distinct": f"distinct {plan.distinct_of or src.default_actor} of",
        "sum": f"total {plan.amount or src.default_amount} of",
        "avg": f"average {plan.amount or src.default_amount} of",
        "median": f"median {plan.amount or src.default_amount} of",
        "min": f"smallest {plan.amount or src.default_amount} of",
        "max": f"largest {plan.amount or src.default_amount} of",
        "share": "share (percent) of",
        "list": "rows of",
    }[plan.measure]
    parts = [f"{what} {src.noun}"]
    for f in plan.filters:
        parts.append(f"{f.column} {f.op} {f.value}")
    if plan.share_of:
        parts.append("where " + " and ".join(f"{f.column} {f.op} {f.value}" for f in plan.share_of))
    if plan.group_by:
        parts.append(f"per {plan.group_by}")
    if plan.limit:
        parts.append(f"{'bottom' if plan.order == 'asc' else 'top'} {plan.limit}")
    return ", ".join(parts)


def ambiguities(plan: Plan) -> list[str]:
    """Readings the plan chose where the question allowed others, said out loud."""
    notes = []
    names = {f.column for f in plan.filters} | {f.column for f in plan.share_of}
    if plan.subject == "transfers" and "symbol" not in names and plan.group_by != "token":
        if plan.measure in ("sum", "avg", "min", "max", "list") or plan.amount:
            notes.append(
                "amounts of different tokens mixed (each in whole tokens); name a token to separate them"
            )
        elif "standard" not in names and "sender" not in names:
            notes.append("counts ERC-20 and ERC-721 transfers, mints included")
    if plan.group_by and plan.limit == 1:
        notes.append("the top one only; ask for 'top N' to see more")
    if plan.window and plan.window.kind == "rolling" and plan.window.unit in ("day", "week"):
        notes.append("rolling window, not calendar days; say 'yesterday' or a date for calendar days")
    if plan.window and plan.window.kind in ("today", "yesterday"):
        notes.append("days are UTC days of the newest indexed block, not of the wall clock")
    return notes
