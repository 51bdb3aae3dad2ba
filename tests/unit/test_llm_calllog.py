"""The language-model call log: appended line by line, bounded, newest first, no prompts."""

from __future__ import annotations

import stat
from pathlib import Path

from aiweb3.llm import CallLog, CallRecord, call_log_path


def _record(i: int, **extra: object) -> CallRecord:
    return CallRecord(
        model="m", kind="json", started_at=1_700_000_000.0 + i, latency_s=0.5, prompt_tokens=10 + i,
        completion_tokens=i, purpose=f"p{i}", **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def test_append_and_read_newest_first(tmp_path: Path) -> None:
    log = CallLog(call_log_path(tmp_path))
    assert log.recent() == []
    for i in range(3):
        log.append(_record(i))
    log.append(_record(3, ok=False, error="unreachable"))
    got = log.recent(3)
    assert [r.purpose for r in got] == ["p3", "p2", "p1"]
    assert got[0].ok is False and got[0].error == "unreachable" and got[1].prompt_tokens == 12
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert log.path == tmp_path / "llm" / "calls.jsonl"


def test_bounded_and_tolerant_of_damaged_lines(tmp_path: Path) -> None:
    log = CallLog(tmp_path / "calls.jsonl", keep=5, max_bytes=1_000)
    for i in range(40):
        log.append(_record(i))
    lines = log.path.read_text().splitlines()
    assert len(lines) <= 12 and log.path.stat().st_size <= 1_300  # cut back to the newest 5 each time
    assert log.recent(1)[0].purpose == "p39"
    with log.path.open("a") as f:
        f.write('{"half a line\n')
        f.write('{"unknown": 1}\n')
    assert log.recent(1)[0].purpose == "p39"
