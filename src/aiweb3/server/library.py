"""The content the server signed with its creator key: ``<home>/server/content/<manifest id>/``.

Each directory holds the file and its sidecar ``FILE.aiw.json``, exactly as ``aiweb3 content
sign`` leaves them, so the CLI can verify or clip them too.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiweb3.errors import ContentError
from aiweb3.provenance import SignedManifest, sidecar_path

__all__ = ["ContentEntry", "ContentLibrary", "safe_filename"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_ID = re.compile(r"^0x[0-9a-f]{64}$")
#: signed files and their sidecars are readable by the server's user only
PRIVATE_FILE = 0o600


def safe_filename(name: str | None, default: str = "upload.bin") -> str:
    """A file name that cannot leave its directory: the base name, limited characters, 1-120 chars."""
    base = Path((name or "").replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip("._")[:120]
    return base or default


@dataclass(frozen=True)
class ContentEntry:
    """One signed file in the library."""

    manifest_id: str
    path: Path
    signed: SignedManifest

    @property
    def sidecar(self) -> Path:
        """The sidecar beside the file."""
        return sidecar_path(self.path)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (the manifest is public; nothing secret is in it)."""
        m = self.signed.manifest
        a = self.signed.anchoring
        return {
            "manifest_id": self.manifest_id,
            "name": m.name,
            "size": m.size,
            "media_type": m.media_type,
            "scheme": m.scheme,
            "segments": m.segments,
            "duration": m.duration,
            "creator": m.creator,
            "created": m.created,
            "claims": [c.to_json() for c in m.claims],
            "content_root": m.content_root,
            "anchored": {"block": a.block, "timestamp": a.timestamp, "tx_hash": a.tx_hash} if a else None,
        }


class ContentLibrary:
    """The signed files under ``root`` (one directory per manifest id)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, ContentEntry]] = {}

    def _load(self, folder: Path) -> ContentEntry | None:
        sidecars = list(folder.glob("*.aiw.json"))
        if len(sidecars) != 1:
            return None
        side = sidecars[0]
        mtime = side.stat().st_mtime
        cached = self._cache.get(folder.name)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        try:
            signed = SignedManifest.load(side)
        except ContentError:
            return None
        entry = ContentEntry(folder.name, side.with_name(side.name.removesuffix(".aiw.json")), signed)
        self._cache[folder.name] = (mtime, entry)
        return entry

    def entries(self) -> list[ContentEntry]:
        """Every signed file, newest first."""
        if not self.root.is_dir():
            return []
        with self._lock:
            found = [self._load(d) for d in self.root.iterdir() if d.is_dir() and _ID.match(d.name)]
        entries = [e for e in found if e is not None]
        return sorted(entries, key=lambda e: (e.signed.manifest.created, e.manifest_id), reverse=True)

    def get(self, manifest_id: str) -> ContentEntry | None:
        """The entry for ``manifest_id`` (0x + 64 hex digits), or None."""
        mid = manifest_id.lower()
        if not _ID.match(mid):
            return None
        folder = self.root / mid
        if not folder.is_dir():
            return None
        with self._lock:
            return self._load(folder)

    def add(self, path: Path, signed: SignedManifest) -> ContentEntry:
        """Move a signed file and its sidecar (written beside it) into the library."""
        mid = "0x" + signed.manifest_id.hex()
        folder = self.root / mid
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        shutil.move(str(sidecar_path(path)), str(sidecar_path(target)))
        shutil.move(str(path), str(target))
        for stored in (target, sidecar_path(target)):
            os.chmod(stored, PRIVATE_FILE)
        entry = self.get(mid)
        if entry is None:
            raise ContentError(f"could not store the signed file {path.name}")
        return entry

    def save(self, entry: ContentEntry, signed: SignedManifest) -> None:
        """Rewrite an entry's sidecar (e.g. after anchoring)."""
        signed.save(entry.sidecar, mode=PRIVATE_FILE)
