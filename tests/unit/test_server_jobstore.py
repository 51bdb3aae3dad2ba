"""Jobs kept in SQLite: they outlive the manager, interrupted ones come back failed, retries."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from aiweb3.errors import InputError
from aiweb3.server.jobs import INTERRUPTED, JobFn, JobManager, Progress
from aiweb3.server.jobstore import JobStore, clean_uploads


def _done(progress: Progress) -> dict[str, Any]:
    progress.update(1, 1, "done")
    return {"tx_hash": "0x" + "ab" * 32}


def test_jobs_outlive_the_manager_and_interrupted_ones_come_back_failed(tmp_path: Path) -> None:
    db = tmp_path / "jobs.sqlite"
    first = JobManager(workers=1, store=JobStore(db))
    finished = first.submit("anchor", "Anchor", _done, params={})
    first.wait(finished.id, 5)
    gate = threading.Event()

    def stuck(progress: Progress) -> dict[str, Any]:
        progress.update(2, 6, "calibrate (mlp.onnx)")
        gate.wait(10)
        return {}

    running = first.submit("compile", "Compile mlp.onnx", stuck)
    queued = first.submit(
        "prove", "Prove", _done, params={"model_id": "0x01", "inputs": [1], "onchain": False}
    )
    while first.get(running.id).message != "calibrate (mlp.onnx)":  # type: ignore[union-attr]
        first.wait_change(running, running.version, 1)
    # the process dies here: a second manager opens the same store (the first never closed it)
    second = JobManager(workers=1, store=JobStore(db))
    try:
        assert second.get(finished.id).snapshot()["result"] == {"tx_hash": "0x" + "ab" * 32}  # type: ignore[union-attr]
        assert {j.id for j in second.interrupted} == {running.id, queued.id}
        lost = second.get(running.id).snapshot()  # type: ignore[union-attr]
        assert lost["state"] == "failed" and lost["error"]["code"] == INTERRUPTED
        assert "calibrate (mlp.onnx)" in lost["message"] and "submit it again" in lost["message"]
        assert lost["retryable"] is False
        assert second.get(queued.id).snapshot()["retryable"] is True  # type: ignore[union-attr]

        def build(kind: str, params: dict[str, Any]) -> JobFn:
            assert kind == "prove" and params["model_id"] == "0x01"
            return _done

        again = second.retry(queued.id, build)
        assert second.wait(again.id, 5)["state"] == "succeeded" and again.retry_of == queued.id
        with pytest.raises(InputError, match="submit the files again"):
            second.retry(running.id, build)
        with pytest.raises(InputError, match="only a failed job"):
            second.retry(finished.id, build)
        with pytest.raises(KeyError):
            second.retry("nope", build)
    finally:
        gate.set()
        first.close()
        second.close()
    third = JobManager(workers=1, store=JobStore(db))
    try:
        assert third.interrupted == [] and len(third.list()) == 4
    finally:
        third.close()


def test_only_the_newest_finished_jobs_are_kept(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite")
    manager = JobManager(workers=1, keep=2, store=store)
    ids = []
    for i in range(4):  # one at a time: a finished job may be trimmed before a later wait sees it
        ids.append(manager.submit("anchor", f"#{i}", _done, params={}).id)
        manager.wait(ids[-1], 5)
    manager.submit("anchor", "last", _done, params={})  # trims
    manager.close()
    again = JobManager(workers=1, keep=2, store=JobStore(tmp_path / "jobs.sqlite"))
    try:
        assert ids[0] not in {j.id for j in again.list()}
    finally:
        again.close()


def test_clean_uploads_removes_staging_folders(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    (uploads / "compile-abc").mkdir(parents=True)
    (uploads / "compile-abc" / "mlp.onnx").write_bytes(b"x")
    assert [p.name for p in clean_uploads(uploads)] == ["compile-abc"]
    assert list(uploads.iterdir()) == []
    assert clean_uploads(tmp_path / "missing") == []
