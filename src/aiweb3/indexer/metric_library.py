"""Metrics defined in plain words: drafted from a description, reviewed, saved beside the index.

``aiweb3 metric new "weekly unique payers of TaskEscrow"`` parses the description with the
question parser (or the language model), compiles the plan to SQL over the index tables,
shows the SQL with a sample result, and saves it as one JSON file in the library
directory next to the index database (``<index dir>/metrics/NAME.json``, written to a
temporary file and renamed). Saved metrics are computed from the live tables on every
read, so the follower that keeps the index current keeps them current too; the store
installs them as views when it opens the database for writing, and the dashboard lists
and charts them with the built-in ones.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from aiweb3.errors import IndexerError, InputError
from aiweb3.indexer.ask import Answer, Asker
from aiweb3.indexer.decode import EventDecoder
from aiweb3.indexer.metrics import METRICS, Metric
from aiweb3.indexer.plan_sql import compile_plan
from aiweb3.indexer.schema import ALL_TABLES

__all__ = ["MetricLibrary", "SavedMetric", "backfill_events", "metric_name"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def metric_name(description: str) -> str:
    """A view name from a description: lowercase words joined by underscores."""
    words = re.findall(r"[a-z0-9]+", description.lower())
    name = "_".join(words)[:60].strip("_")
    if not name or not name[0].isalpha():
        name = "m_" + name
    return name


@dataclass(frozen=True)
class SavedMetric:
    """A metric drafted from words: its SQL, the plan it came from, and what it means."""

    name: str
    description: str
    sql: str
    interpretation: str
    plan: dict[str, object]
    columns: list[str]

    def as_metric(self) -> Metric:
        """The same metric in the library's :class:`~aiweb3.indexer.metrics.Metric` form."""
        sql = self.sql
        return Metric(
            self.name,
            self.description,
            self.interpretation,
            tuple(self.columns),
            (),
            lambda _p: sql,
            group="saved",
        )


class MetricLibrary:
    """The saved metrics of one index (a directory of JSON files)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @classmethod
    def beside(cls, db_path: Path) -> MetricLibrary:
        """The library of the index at ``db_path`` (``<its directory>/metrics``)."""
        return cls(Path(db_path).parent / "metrics")

    def load(self) -> list[SavedMetric]:
        """Every saved metric, by name (unreadable files are skipped)."""
        out = []
        for path in sorted(self.directory.glob("*.json")) if self.directory.is_dir() else []:
            try:
                out.append(SavedMetric(**json.loads(path.read_text())))
            except (ValueError, TypeError):
                continue
        return out

    def get(self, name: str) -> SavedMetric | None:
        """The saved metric ``name``, or None."""
        return next((m for m in self.load() if m.name == name), None)

    def save(self, metric: SavedMetric, *, replace: bool = False) -> Path:
        """Write ``metric`` atomically (temporary file, then rename).

        Raises:
            InputError: a bad name, a built-in metric's or table's name, or a taken name
                (without ``replace``).
        """
        if not _NAME.match(metric.name):
            raise InputError(f"metric name {metric.name!r}: use lowercase letters, digits and _ (max 63)")
        if metric.name in {m.name for m in METRICS} or metric.name in ALL_TABLES:
            raise InputError(f"{metric.name!r} is a built-in metric or table; choose another --name")
        target = self.directory / f"{metric.name}.json"
        if target.exists() and not replace:
            raise InputError(f"a saved metric {metric.name!r} exists; pass --replace or another --name")
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{metric.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as fh:
                json.dump(asdict(metric), fh, indent=2, sort_keys=True)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def install(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        """Create (or replace) a view per saved metric; returns the names that failed."""
        failed = []
        for metric in self.load():
            try:
                con.execute(f"CREATE OR REPLACE VIEW {metric.name} AS {metric.sql}")
            except duckdb.Error:
                failed.append(metric.name)
        return failed


def all_metrics(library: MetricLibrary | None) -> list[Metric]:
    """The built-in metrics followed by the saved ones."""
    saved = [m.as_metric() for m in library.load()] if library is not None else []
    return [*METRICS, *saved]


def backfill_events(con: duckdb.DuckDBPyConnection, decoder: EventDecoder) -> int:
    """Decode the stored logs no decoded event covers yet with ``decoder``; returns rows added.

    Run after registering a new ABI, so events emitted before it was known are queryable.

    Raises:
        IndexerError: the index is open read-only.
    """
    rows = con.execute(
        "SELECT l.block_number, l.tx_hash, l.log_index, l.address, l.topic0, l.topic1, l.topic2, l.topic3, "
        "l.data, l.block_time, l.day FROM logs l WHERE NOT EXISTS (SELECT 1 FROM decoded_events d "
        "WHERE d.tx_hash = l.tx_hash AND d.log_index = l.log_index)"
    ).fetchall()
    found = []
    for block, tx, index, address, *topics_data, block_time, day in rows:
        topics, data = [t for t in topics_data[:4] if t], topics_data[4] or "0x"
        event = decoder.decode(address, topics, data)
        if event is not None:
            decoded = (event.contract_name, event.event_name, event.signature, event.args_json)
            found.append((block, tx, index, address, *decoded, block_time, day))
    if found:
        try:
            con.executemany("INSERT INTO decoded_events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", found)
        except duckdb.Error as exc:
            raise IndexerError(f"cannot backfill decoded events: {str(exc).splitlines()[0]}") from None
    return len(found)


def draft_metric(asker: Asker, description: str, name: str | None = None) -> tuple[SavedMetric, Answer]:
    """Draft a metric from ``description``: the plan, its SQL, and a sample answer.

    Raises:
        InputError: the description cannot be turned into a metric (with the reason).
    """
    answer = asker.ask(description)
    if not answer.answered or answer.plan is None:
        raise InputError(f"cannot draft a metric from {description!r}: {answer.message}")
    sql = compile_plan(answer.plan)
    metric = SavedMetric(
        name or metric_name(description),
        description,
        sql,
        answer.interpretation,
        answer.plan.model_dump(exclude_defaults=True),
        list(answer.columns),
    )
    return metric, answer


__all__ += ["all_metrics", "draft_metric"]
