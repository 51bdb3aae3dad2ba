"""The indexer inside the server: follow the chain into DuckDB, answer metrics and questions.

DuckDB lets one process hold a database file for writing. The follower owns the
:class:`~aiweb3.indexer.IndexStore` (one connection, opened for writing) and ingests in a
background thread; every read (charts, ``ask``) goes through a *cursor* of that same
connection — a second connection to the same in-process database, safe to use from another
thread, which reads the last committed batch (DuckDB's MVCC) while the follower writes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb

from aiweb3.chain import Chain
from aiweb3.errors import AIWeb3Error, IndexerError
from aiweb3.indexer import Asker, Indexer, IndexStore, IngestReport, Metric, address_history
from aiweb3.indexer.ask import default_engine
from aiweb3.indexer.metric_library import MetricLibrary, all_metrics
from aiweb3.llm import LLMConfig

__all__ = ["CHARTS", "IndexFollower", "answer_json", "default_index_path"]

# Metrics the analytics page charts: (metric, label column, value column, unit, x-axis title).
CHARTS = (
    ("daily_transactions", "day", "transactions", "transactions", "day (UTC)"),
    ("verified_inferences_per_model", "model", "verified_inferences", "verified inferences", "model"),
    ("event_counts", "event_name", "events", "events", "event"),
    ("content_anchored", "day", "manifests", "manifests", "day (UTC)"),
    ("dataset_contributions", "day", "contributions", "contributions", "day (UTC)"),
    ("daily_gas", "day", "gas_used", "gas", "day (UTC)"),
)


def default_index_path(home: Path) -> Path:
    """``<home>/index/index.duckdb`` (the same file ``aiweb3 index run`` uses)."""
    return home / "index" / "index.duckdb"


class IndexFollower:
    """Follows one chain into one DuckDB file from a background thread.

    Args:
        chain: the chain to index.
        path: the DuckDB file (created if missing; resumed from its checkpoint).
        poll_interval: seconds between head polls.
    """

    def __init__(self, chain: Chain, path: Path, *, poll_interval: float = 1.0) -> None:
        self.chain = chain
        self.path = path
        self.poll_interval = poll_interval
        self.store: IndexStore | None = None
        self.last: IngestReport | None = None
        self.error: str | None = None
        self.synced = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._snapshot_lock = threading.Lock()
        self._snapshot_block: int | None = None

    def start(self) -> IndexFollower:
        """Open the database (IndexerError when another process holds it) and start following."""
        self.store = IndexStore(self.path)
        indexer = Indexer(self.chain, self.store)

        def on_step(report: IngestReport) -> None:
            self.last = report
            self.error = None
            self.synced.set()

        def run() -> None:
            try:
                indexer.follow(self._stop, poll_interval=self.poll_interval, on_step=on_step)
            except AIWeb3Error as exc:  # a bad block or a broken file: say so on the page
                self.error = str(exc)
            except duckdb.Error as exc:
                self.error = f"the index database failed: {str(exc).splitlines()[0]}"

        self._thread = threading.Thread(target=run, name="aiweb3-indexer", daemon=True)
        self._thread.start()
        return self

    def wait_synced(self, timeout: float = 60.0) -> bool:
        """Wait for the first complete pass to the head."""
        return self.synced.wait(timeout)

    def sync_to(self, block: int, timeout: float = 60.0) -> bool:
        """Wait until the index holds ``block`` (True) or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.last_block() >= block:
                return True
            time.sleep(0.1)
        return False

    def stop(self, timeout: float = 30.0) -> None:
        """Stop following (the batch in flight commits or rolls back), then close the database."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.store is not None:
            self.store.close()
            self.store = None

    @property
    def running(self) -> bool:
        """True while the follower thread runs."""
        return self._thread is not None and self._thread.is_alive()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor on the follower's database for one read (closed afterwards)."""
        with self._lock:
            if self.store is None:
                raise IndexerError("the indexer is not running; start the server with `aiweb3 up`")
            cursor = self.store.con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def last_block(self) -> int:
        """The last block in the index (-1 when empty)."""
        with self.reader() as con:
            row = con.execute("SELECT last_block FROM index_state").fetchone()
        return -1 if row is None else int(row[0])

    def status(self) -> dict[str, Any]:
        """Running, last indexed block, chain head, the latest error."""
        last = -1
        with suppress(AIWeb3Error, duckdb.Error):
            last = self.last_block()
        return {
            "running": self.running,
            "last_block": last,
            "head": self.chain.block_number(),
            "db": str(self.path),
            "error": self.error,
        }

    def metrics(self) -> list[Metric]:
        """The built-in metrics and the ones saved in this index's library (`aiweb3 metric new`)."""
        return all_metrics(MetricLibrary.beside(self.path))

    def metric_rows(self, name: str, limit: int = 60) -> dict[str, Any]:
        """One parameterless metric's rows (a saved metric runs its SQL on the live tables)."""
        metric = next(m for m in self.metrics() if m.name == name)
        source = metric.name if metric.group != "saved" else f"({metric.sql()})"
        with self.reader() as con:
            cur = con.execute(f"SELECT * FROM {source} LIMIT {int(limit)}")
            columns = [d[0] for d in cur.description or []]
            rows = [[_plain(v) for v in r] for r in cur.fetchall()]
        return {
            "name": metric.name,
            "title": metric.title,
            "description": metric.description,
            "columns": columns,
            "rows": rows,
        }

    def charts(self) -> list[dict[str, Any]]:
        """The page's small charts: labels and values from the metric library."""
        out = []
        saved = [
            (m.name, m.columns[0], m.columns[-1], m.columns[-1], m.columns[0])
            for m in self.metrics()
            if m.group == "saved"
        ]
        for name, label, value, unit, x in [*CHARTS, *(c for c in saved if c[1] != c[2])]:
            data = self.metric_rows(name)
            li, vi = data["columns"].index(label), data["columns"].index(value)
            day = x.startswith("day")
            pairs = [
                ((str(r[li])[:10] if day else str(r[li])) if r[li] is not None else "—", _number(r[vi]))
                for r in data["rows"]
            ]
            if day:
                pairs.sort()
            out.append(
                {
                    **data,
                    "labels": [p[0] for p in pairs],
                    "values": [p[1] for p in pairs],
                    "unit": unit,
                    "x": x,
                    "kind": "bar",
                }
            )
        return out

    def snapshot(self, *, sync_timeout: float = 10.0) -> dict[str, Any]:
        """Write a snapshot of the index for readers in other processes (the CLI).

        Waits (up to ``sync_timeout``) for the follower to reach the current head, so a
        reader sees what it just sent; copies only when the index moved since the last one.
        """
        with suppress(AIWeb3Error):
            self.sync_to(self.chain.block_number(), timeout=sync_timeout)
        target = self.snapshot_path
        with self._snapshot_lock:
            last = self.last_block()
            if not (target.exists() and self._snapshot_block == last):
                with self._lock:
                    if self.store is None:
                        raise IndexerError("the indexer is not running; start the server with `aiweb3 up`")
                    store = self.store
                cp = store.snapshot_to(target)
                self._snapshot_block = cp.last_block if cp else -1
        return {"path": str(target), "last_block": self._snapshot_block}

    @property
    def snapshot_path(self) -> Path:
        """Where :meth:`snapshot` writes: ``<index dir>/snapshot/<name>``."""
        return self.path.parent / "snapshot" / self.path.name

    def address_history(self, address: str, limit: int = 50) -> dict[str, Any]:
        """An address's indexed transactions, token transfers and holdings (see the indexer's)."""
        with self.reader() as con:
            return address_history(con, address, limit=limit)

    def ask(self, question: str, home: Path) -> dict[str, Any]:
        """Answer a question with the engine the CLI would pick (see ``default_engine``)."""
        engine, model = default_engine(LLMConfig.from_env(), home)
        with self.reader() as con:
            answer = Asker(con, model, row_limit=200, timeout=10.0).ask(question, engine=engine)
        return answer_json(answer)


def _number(v: Any) -> float:
    try:
        return float(v or 0)
    except (TypeError, ValueError):
        return 0.0


def _plain(v: Any) -> Any:
    return v if isinstance(v, int | float | str | None) else str(v)


def answer_json(answer: Any) -> dict[str, Any]:
    """An :class:`~aiweb3.indexer.Answer` as JSON data."""
    data: dict[str, Any] = answer.to_json()
    return data
