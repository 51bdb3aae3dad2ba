"""Atomic file writes: write to a temporary file in the same directory, then rename.

A crash or a bad input never leaves a half-written file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = [
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "canonical_json",
    "ensure_private_dir",
]


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` atomically (readers see the old or the new file, never a mix)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, mode: int = 0o644) -> None:
    """Write UTF-8 text atomically."""
    atomic_write_bytes(path, text.encode(), mode)


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def atomic_write_json(path: Path, value: Any, mode: int = 0o644) -> None:
    """Write pretty JSON atomically."""
    atomic_write_text(path, json.dumps(value, indent=2, sort_keys=True) + "\n", mode)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` readable by its owner only (0700), or tighten it to 0700 if it exists.

    ``AIWEB3_HOME`` holds keys, tokens, uploads, signed content and proofs: other users of the
    machine must not list or read it. Missing parents are created with the usual mode. A
    directory owned by someone else is left as it is.
    """
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.mkdir(mode=0o700, exist_ok=True)
    st = path.stat()
    if st.st_mode & 0o077 and st.st_uid == os.getuid():
        os.chmod(path, 0o700)
    return path
