"""A disk cache of each source file's passages and BM25 tokens, keyed by the file's content.

Parsing (``ast``, the Solidity and Markdown readers) and tokenizing every file is most of the time
an index takes; with this cache a command only does it for files that changed since the last one.
An entry is keyed by the SHA-256 of the file's path and text, so a stale entry is never used; the
file is written whole and renamed into place, and a damaged one is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from aiweb3.devassist.corpus import Passage, SourceFile, collect_passages
from aiweb3.files import atomic_write_text

__all__ = ["CACHE_FILE", "cached_passages"]

CACHE_FILE = "passages-v1.json"
#: Most files the cache keeps (entries of files not read by this command go first).
LIMIT_FILES = 20_000

Tokens = Callable[[Passage], tuple[list[str], list[str]]]


def _key(f: SourceFile) -> str:
    digest = hashlib.sha256(f.path.encode())
    for line in f.lines:
        digest.update(b"\n" + line.encode())
    return digest.hexdigest()


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def cached_passages(
    files: Sequence[SourceFile], cache: Path, tokens: Tokens
) -> tuple[list[Passage], list[list[str]], list[list[str]]]:
    """The passages of ``files`` with their body and title tokens (``tokens(passage)``), reusing
    the cached ones of unchanged files and saving the cache when something changed."""
    path = cache / CACHE_FILE
    stored = _load(path)
    used: dict[str, Any] = {}
    passages: list[Passage] = []
    body: list[list[str]] = []
    titles: list[list[str]] = []
    for f in files:
        key = _key(f)
        entry = stored.get(key)
        if not (isinstance(entry, list) and all(isinstance(e, list) and len(e) == 6 for e in entry)):
            entry = []
            for p in collect_passages([f]):
                b, t = tokens(p)
                entry.append([p.start, p.end, p.kind, p.title, b, t])
        used[key] = entry
        for start, end, kind, title, b, t in entry:
            passages.append(Passage(f.path, start, end, kind, title, "\n".join(f.lines[start - 1 : end])))
            body.append(b)
            titles.append(t)
    if used.keys() - stored.keys():
        kept = {k: v for k, v in stored.items() if k not in used}
        room = max(0, LIMIT_FILES - len(used))
        merged = dict(list(kept.items())[-room:]) if room else {}
        merged.update(used)
        cache.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(merged, separators=(",", ":")))
    return passages, body, titles
