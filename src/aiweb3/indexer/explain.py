"""Explain a SQL query in plain English (with a model if one is configured, else from its syntax tree)."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from aiweb3.errors import QueryRefused
from aiweb3.indexer.metrics import METRICS
from aiweb3.indexer.schema import TABLE_DOCS
from aiweb3.llm import LanguageModel

__all__ = ["explain_sql"]

_AGG_WORDS = {
    "count": "counts",
    "sum": "adds up",
    "avg": "averages",
    "min": "takes the smallest",
    "max": "takes the largest",
    "anyvalue": "takes any one value of",
}


def _short(node: exp.Expression) -> str:
    return str(node.sql(dialect="duckdb"))


def explain_sql(sql: str, model: LanguageModel | None = None) -> str:
    """A plain-English account of what ``sql`` reads, filters, groups, computes and returns.

    Raises:
        QueryRefused: the SQL does not parse.
    """
    if model is not None and model.available:
        return model.complete(
            [
                {
                    "role": "system",
                    "content": "Explain this DuckDB SQL over an Ethereum chain index in "
                    "plain English for a non-programmer, in at most five sentences.",
                },
                {"role": "user", "content": sql},
            ]
        ).strip()
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except ParseError as exc:
        raise QueryRefused(f"the SQL does not parse: {str(exc).splitlines()[0]}") from None
    if not isinstance(tree, exp.Query):
        return f"This is a {type(tree).__name__.upper()} statement, which changes data; it would be refused."
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    lines: list[str] = []
    ctes = {str(c.alias_or_name) for c in tree.find_all(exp.CTE)}
    tables = sorted({str(t.name) for t in tree.find_all(exp.Table) if t.name and str(t.name) not in ctes})
    metrics = {m.name: m for m in METRICS}
    described = []
    for t in tables:
        if t in metrics:
            described.append(f"the metric view {t} ({metrics[t].description.rstrip('.')})")
        elif t in TABLE_DOCS:
            described.append(f"{t} ({TABLE_DOCS[t]})")
        else:
            described.append(t)
    if described:
        lines.append("It reads " + "; ".join(described) + ".")
    if list(tree.find_all(exp.Join)):
        lines.append("It joins these tables on matching columns.")
    if select is not None:
        where = select.args.get("where")
        if where is not None:
            lines.append(f"It keeps only rows where {_short(where.this)}.")
        inner_filters: list[str] = []
        for inner in select.find_all(exp.Select):
            inner_where = inner.args.get("where")
            if inner is not select and inner_where is not None:
                text = _short(inner_where.this)
                if not any(text in done for done in inner_filters):
                    inner_filters.append(text)
        lines.extend(f"A subquery keeps rows where {text}." for text in inner_filters)
        group = select.args.get("group")
        if group is not None:
            cols = ", ".join(_short(e) for e in group.expressions)
            lines.append(f"It groups the rows by {cols}.")
        aggs = []
        for agg in select.find_all(exp.AggFunc):
            verb = _AGG_WORDS.get(type(agg).__name__.lower(), f"computes {type(agg).__name__.lower()} of")
            inner = agg.this
            target = "rows" if inner is None or isinstance(inner, exp.Star) else _short(inner)
            if isinstance(inner, exp.Distinct):
                target = "distinct " + ", ".join(_short(e) for e in inner.expressions)
            aggs.append(f"{verb} {target}")
        if aggs:
            lines.append("For each group it " + ", ".join(dict.fromkeys(aggs)) + ".")
        names = [str(e.alias_or_name) or _short(e) for e in select.expressions]
        if names:
            lines.append("It returns the columns " + ", ".join(names) + ".")
    order = tree.args.get("order")
    if order is not None:
        keys = [
            f"{_short(o.this)} {'descending' if o.args.get('desc') else 'ascending'}"
            for o in order.expressions
        ]
        lines.append("Rows are sorted by " + ", ".join(keys) + ".")
    limit = tree.args.get("limit")
    if isinstance(limit, exp.Limit):
        lines.append(f"At most {_short(limit.expression)} rows are returned.")
    return " ".join(lines) or "It is a query with no table."
