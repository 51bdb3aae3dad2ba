"""Where jobs outlive the service: ``<home>/server/jobs.sqlite``.

Every change of a job is written here, so a restarted service still answers for jobs it ran
before. A job still queued or running when the service died was interrupted: on the next
start it is marked ``failed`` with the reason (error code ``interrupted``), and the upload
folders such jobs leave under ``<home>/server/uploads`` are removed.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiweb3.server.jobs import Job

__all__ = ["JobStore", "clean_uploads"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    done REAL NOT NULL,
    total REAL,
    message TEXT NOT NULL,
    result TEXT,
    error TEXT,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    params TEXT,
    retry_of TEXT
);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created);
"""

_COLUMNS = (
    "id", "kind", "title", "state", "done", "total", "message", "result", "error",
    "created", "started", "finished", "params", "retry_of",
)  # fmt: skip


_PLACES = ", ".join("?" * len(_COLUMNS))


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class JobStore:
    """Jobs in SQLite (one row per job, rewritten on every change).

    Args:
        path: the database file, e.g. ``<home>/server/jobs.sqlite``.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # survives a crash of the process
        self._db.executescript(_SCHEMA)

    def save(self, job: Job) -> None:
        """Insert or rewrite one job."""
        row = (
            job.id, job.kind, job.title, job.state, job.done, job.total, job.message,
            _dump(job.result), _dump(job.error), job.created, job.started, job.finished,
            _dump(job.params), job.retry_of,
        )  # fmt: skip
        with self._lock:
            self._db.execute(f"INSERT OR REPLACE INTO jobs ({', '.join(_COLUMNS)}) VALUES ({_PLACES})", row)

    def load(self, limit: int) -> list[Job]:
        """The newest ``limit`` jobs, oldest first."""
        from aiweb3.server.jobs import Job

        with self._lock:
            rows = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM jobs ORDER BY created DESC, rowid DESC LIMIT ?", (limit,)
            ).fetchall()
        jobs = []
        for row in reversed(rows):
            data = dict(zip(_COLUMNS, row, strict=True))
            for key in ("result", "error", "params"):
                data[key] = _load(data[key])
            jobs.append(Job(**data))
        return jobs

    def forget(self, job_ids: list[str]) -> None:
        """Delete jobs (the manager keeps only the newest finished ones)."""
        if job_ids:
            with self._lock:
                self._db.executemany("DELETE FROM jobs WHERE id = ?", [(i,) for i in job_ids])

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def clean_uploads(uploads: Path) -> list[Path]:
    """Remove every upload folder under ``uploads`` (call before any job runs); returns them."""
    if not uploads.is_dir():
        return []
    removed = [p for p in uploads.iterdir() if p.is_dir()]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed
