"""A bounded, append-only log of language-model calls, one JSON line per call, in the home.

Each line is a :class:`~aiweb3.llm.openai.CallRecord`: model, kind, purpose, tokens, latency,
outcome — never the prompt or the answer, so nothing secret reaches it. Lines are appended with
one ``write`` on a file opened for appending (whole lines, even from several processes); when the
file passes ``max_bytes`` it is cut to its newest ``keep`` lines through a temporary file and a
rename. The service reads it to show recent calls on the dashboard.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from aiweb3.files import atomic_write_bytes
from aiweb3.llm.openai import CallRecord

__all__ = ["CallLog", "call_log_path"]


def call_log_path(home: Path) -> Path:
    """Where the call log of ``home`` lives: ``<home>/llm/calls.jsonl``."""
    return home / "llm" / "calls.jsonl"


class CallLog:
    """Appends and reads call records (see the module docstring).

    Args:
        path: the log file (:func:`call_log_path`).
        keep: lines kept when the file is cut; max_bytes: the size that triggers the cut.
    """

    def __init__(self, path: Path, *, keep: int = 500, max_bytes: int = 256_000) -> None:
        self.path = path
        self.keep = keep
        self.max_bytes = max_bytes

    def append(self, record: CallRecord) -> None:
        """Add one record (best effort: a full disk must not fail the call it describes)."""
        line = (json.dumps(dataclasses.asdict(record), separators=(",", ":")) + "\n").encode()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                size = os.fstat(fd).st_size
            finally:
                os.close(fd)
            if size > self.max_bytes:
                self._cut()
        except OSError:
            pass

    def _cut(self) -> None:
        lines = self.path.read_bytes().splitlines(keepends=True)
        atomic_write_bytes(self.path, b"".join(lines[-self.keep :]), mode=0o600)

    def recent(self, n: int = 20) -> list[CallRecord]:
        """The newest ``n`` records, newest first (lines that do not parse are skipped)."""
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        names = {f.name for f in dataclasses.fields(CallRecord)}
        out: list[CallRecord] = []
        for raw in reversed(lines):
            if len(out) >= n:
                break
            try:
                data = json.loads(raw)
                out.append(CallRecord(**{k: v for k, v in data.items() if k in names}))
            except (ValueError, TypeError):
                continue
        return out
