"""Server building blocks without a chain: jobs (progress, failures) and hashed API tokens."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from aiweb3.errors import ContentError, InputError
from aiweb3.server.jobs import JobManager, Progress
from aiweb3.server.library import safe_filename
from aiweb3.server.tokens import TokenStore


def test_job_reports_progress_and_result() -> None:
    manager = JobManager(workers=1)
    gate = threading.Event()

    def work(progress: Progress) -> dict[str, object]:
        progress.update(1, 4, "first step")
        gate.wait(5)
        progress.update(4, 4, "last step")
        return {"answer": 42}

    try:
        job = manager.submit("test", "Work", work)
        snap = manager.wait_change(job, 0, 5)
        while snap["message"] != "first step":
            snap = manager.wait_change(job, snap["version"], 5)
        assert snap["state"] == "running" and snap["percent"] == 25.0
        gate.set()
        final = manager.wait(job.id, 5)
        assert final["state"] == "succeeded"
        assert final["result"] == {"answer": 42}
        assert final["percent"] == 100.0
        assert manager.counts()["succeeded"] == 1
    finally:
        manager.close()


def test_failed_job_says_why_and_bug_is_not_a_traceback() -> None:
    manager = JobManager(workers=1)

    def bad_input(progress: Progress) -> dict[str, object]:
        raise ContentError("upload.bin is empty; send a file with content")

    def bug(progress: Progress) -> dict[str, object]:
        return {"x": 1 // 0}

    try:
        failed = manager.wait(manager.submit("t", "bad", bad_input).id, 5)
        assert failed["state"] == "failed"
        assert failed["error"] == {
            "code": "ContentError",
            "message": "upload.bin is empty; send a file with content",
        }
        crashed = manager.wait(manager.submit("t", "bug", bug).id, 5)
        assert crashed["state"] == "failed"
        assert crashed["error"]["code"] == "internal_error"
        assert "Traceback" not in json.dumps(crashed)
    finally:
        manager.close()


def test_tokens_are_stored_hashed_and_revocable(tmp_path: Path) -> None:
    store = TokenStore(tmp_path)
    token, info = store.new("ci")
    text = store.path.read_text()
    assert token not in text and info.sha256 in text
    assert store.path.stat().st_mode & 0o077 == 0
    assert store.check(token) == info
    assert store.check(token + "x") is None
    assert store.check("") is None
    store.revoke(info.id)
    assert store.check(token) is None
    with pytest.raises(InputError):
        store.revoke(info.id)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("../../etc/passwd", "passwd"), ("a b?.wav", "a_b_.wav"), ("..", "upload.bin"), (None, "upload.bin")],
)
def test_upload_names_cannot_escape(given: str | None, expected: str) -> None:
    assert safe_filename(given) == expected
