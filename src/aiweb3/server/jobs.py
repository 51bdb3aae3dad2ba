"""Long work as jobs: an id, live progress, a result or the reason it failed.

Jobs run on a small thread pool. Each job gets a :class:`Progress` to report ``done/total``
and a message; watchers poll :meth:`Job.snapshot` or wait on :meth:`JobManager.wait_change`
(the server-sent-events stream does). The newest ``keep`` finished jobs are remembered; with a
:class:`~aiweb3.server.jobstore.JobStore` they survive a restart, and jobs a dead service left
queued or running come back ``failed`` (error code ``interrupted``). A job submitted with
``params`` (JSON) can be run again from them (:meth:`JobManager.retry`).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aiweb3.errors import AIWeb3Error, InputError
from aiweb3.server.jobstore import JobStore

__all__ = ["INTERRUPTED", "TERMINAL", "Job", "JobFn", "JobManager", "Progress"]

TERMINAL = frozenset({"succeeded", "failed"})
#: the error code of a job the service died under
INTERRUPTED = "interrupted"


@dataclass
class Job:
    """One unit of long work and its state."""

    id: str
    kind: str
    title: str
    state: str = "queued"  # queued | running | succeeded | failed
    done: float = 0.0
    total: float | None = None
    message: str = "waiting to start"
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    params: dict[str, Any] | None = None  # what a retry needs; None: cannot be retried
    retry_of: str | None = None
    version: int = 0

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy of the job's state."""
        percent = None
        if self.total:
            percent = round(100.0 * min(self.done, self.total) / self.total, 1)
        if self.state == "succeeded":
            percent = 100.0
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "percent": percent,
            "message": self.message,
            "result": self.result,
            "error": self.error,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "retryable": self.state == "failed" and self.params is not None,
            "retry_of": self.retry_of,
            "seconds": round((self.finished or time.time()) - self.started, 3) if self.started else None,
            "version": self.version,
        }


class Progress:
    """Handed to a job function to report how far it got."""

    def __init__(self, manager: JobManager, job: Job) -> None:
        self._manager = manager
        self._job = job

    def update(self, done: float, total: float | None = None, message: str | None = None) -> None:
        """Report ``done`` of ``total`` units (total may stay unknown) and what is happening."""
        self._manager._update(self._job, done=done, total=total, message=message)


JobFn = Callable[[Progress], dict[str, Any]]


class JobManager:
    """Runs jobs on ``workers`` threads and keeps their state.

    Args:
        workers: how many jobs run at once.
        keep: how many finished jobs are remembered.
        store: where jobs are kept across restarts (None: in memory only).
    """

    def __init__(self, workers: int = 2, keep: int = 200, store: JobStore | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="aiweb3-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._cond = threading.Condition()
        self._keep = keep
        self._closed = False
        self._store = store
        self.interrupted: list[Job] = []
        if store is not None:
            for job in store.load(keep + 100):
                if job.state not in TERMINAL:
                    self._mark_interrupted(job)
                    self.interrupted.append(job)
                self._jobs[job.id] = job

    def _mark_interrupted(self, job: Job) -> None:
        again = "retry it (POST /api/jobs/{id}/retry)" if job.params is not None else "submit it again"
        reason = (
            f"interrupted: the service stopped while this job was {job.state} (last step: {job.message}); "
            f"its uploads were removed; {again.format(id=job.id)}"
        )
        job.state, job.message, job.finished = "failed", reason, time.time()
        job.error = {"code": INTERRUPTED, "message": reason}
        if self._store is not None:
            self._store.save(job)

    def submit(
        self,
        kind: str,
        title: str,
        fn: JobFn,
        *,
        params: dict[str, Any] | None = None,
        retry_of: str | None = None,
    ) -> Job:
        """Queue ``fn``; returns the job at once. ``fn`` returns the JSON-ready result.

        ``params`` (JSON-ready) is what :meth:`retry` needs to build ``fn`` again; jobs whose
        input was an upload pass None (their uploads are gone after they end).
        """
        job = Job(id=secrets.token_hex(6), kind=kind, title=title, params=params, retry_of=retry_of)
        with self._cond:
            if self._closed:
                raise AIWeb3Error("the server is shutting down; no new jobs are accepted")
            self._jobs[job.id] = job
            self._save(job)
            self._trim()
        self._pool.submit(self._run, job, fn)
        return job

    def retry(self, job_id: str, build: Callable[[str, dict[str, Any]], JobFn]) -> Job:
        """Submit a failed job again: ``build(kind, params)`` makes its function.

        Raises:
            KeyError: no such job.
            InputError: the job did not fail, or cannot be retried (an upload job: submit it again).
        """
        old = self.get(job_id)
        if old is None:
            raise KeyError(job_id)
        if old.state != "failed":
            raise InputError(f"job {job_id} is {old.state}; only a failed job can be retried")
        if old.params is None:
            raise InputError(
                f"job {job_id} ({old.kind}) worked on uploads that are gone; submit the files again"
            )
        return self.submit(
            old.kind, old.title, build(old.kind, old.params), params=old.params, retry_of=old.id
        )

    def _save(self, job: Job) -> None:
        if self._store is not None:
            self._store.save(job)

    def _trim(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in TERMINAL]
        dropped = finished[: max(0, len(finished) - self._keep)]
        for old in dropped:
            del self._jobs[old.id]
        if self._store is not None:
            self._store.forget([j.id for j in dropped])

    def _run(self, job: Job, fn: JobFn) -> None:
        self._update(job, state="running", message="started", started=time.time())
        try:
            result = fn(Progress(self, job))
        except AIWeb3Error as exc:
            self._update(
                job,
                state="failed",
                message=str(exc),
                error={"code": type(exc).__name__, "message": str(exc)},
                finished=time.time(),
            )
        except Exception as exc:  # a bug: report it on the job instead of losing it
            self._update(
                job,
                state="failed",
                message=f"internal error ({type(exc).__name__}); see the server log",
                error={"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"},
                finished=time.time(),
            )
        else:
            self._update(job, state="succeeded", message="done", result=result, finished=time.time())

    def _update(self, job: Job, **changes: Any) -> None:
        with self._cond:
            for key, value in changes.items():
                if value is not None or key == "total":
                    if key == "total" and value is None:
                        continue
                    setattr(job, key, value)
            job.version += 1
            self._save(job)
            self._cond.notify_all()

    def amend(self, job: Job, *, message: str, result: dict[str, Any] | None = None) -> None:
        """Change a finished job's message (and result): what a check after a restart found."""
        self._update(job, message=message, result=result)

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None."""
        with self._cond:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        """Every remembered job, newest first."""
        with self._cond:
            return list(reversed(self._jobs.values()))

    def wait_change(self, job: Job, seen_version: int, timeout: float) -> dict[str, Any]:
        """Block until the job's version passes ``seen_version`` (or ``timeout``); return its snapshot."""
        with self._cond:
            self._cond.wait_for(lambda: job.version > seen_version or self._closed, timeout)
            return job.snapshot()

    def wait(self, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
        """Block until the job finishes (or ``timeout``); return its snapshot."""
        job = self.get(job_id)
        if job is None:
            raise KeyError(job_id)
        with self._cond:
            self._cond.wait_for(lambda: job.state in TERMINAL, timeout)
            return job.snapshot()

    def counts(self) -> dict[str, int]:
        """How many jobs are in each state."""
        out: dict[str, int] = {"queued": 0, "running": 0, "succeeded": 0, "failed": 0}
        with self._cond:
            for job in self._jobs.values():
                out[job.state] = out.get(job.state, 0) + 1
        return out

    def close(self, wait: bool = True) -> None:
        """Stop accepting jobs; running ones finish when ``wait``; queued ones are dropped."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._pool.shutdown(wait=wait, cancel_futures=True)
        if wait and self._store is not None:
            with self._cond:
                for job in self._jobs.values():
                    if job.state == "queued":  # dropped by the shutdown: say so
                        self._mark_interrupted(job)
                self._store.close()
                self._store = None
