"""Watch a directory: sign each new file as it appears, anchor the manifests in batches.

Polling (no inotify dependency): a file is signed once its size and modification time stay
the same across two polls, so files still being written are not signed half-way. Files that
already have a sidecar, sidecars themselves and hidden or temporary files are skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount

from aiweb3.errors import AIWeb3Error, InputError
from aiweb3.provenance.content import sign_file
from aiweb3.provenance.manifest import SIDECAR_SUFFIX, SignedManifest, sidecar_path
from aiweb3.provenance.registry import CreatorRegistry

__all__ = ["WatchEvent", "Watcher", "anchor_sidecars"]


@dataclass(frozen=True)
class WatchEvent:
    """Something the watcher did: ``signed``, ``anchored`` or ``failed`` (with a detail)."""

    kind: str
    paths: tuple[Path, ...]
    detail: str


def anchor_sidecars(
    registry: CreatorRegistry, signer: LocalAccount, files: list[Path], sidecars: list[Path] | None = None
) -> list[SignedManifest]:
    """Anchor the manifests of ``files`` in one transaction and rewrite their sidecars.

    ``sidecars`` name where the manifests are when not beside the files (``FILE.aiw.json``).
    """
    sides = sidecars if sidecars is not None else [sidecar_path(f) for f in files]
    signed = [SignedManifest.load(side) for side in sides]
    anchored = registry.anchor(signer, signed)
    for side, item in zip(sides, anchored, strict=True):
        # keep the leaf list the sidecar carried
        item.save(side)
    return anchored


def _candidate(path: Path) -> bool:
    name = path.name
    return (
        path.is_file()
        and not name.startswith(".")
        and not name.endswith((SIDECAR_SUFFIX, ".tmp", ".part", ".crdownload"))
        and not sidecar_path(path).exists()
    )


@dataclass
class Watcher:
    """Signs new files in ``directory`` and anchors every ``every`` files or ``interval`` seconds."""

    directory: Path
    registry: CreatorRegistry
    signer: LocalAccount
    every: int = 10
    interval: float = 30.0
    poll: float = 0.5
    on_event: Callable[[WatchEvent], None] = lambda event: None
    pending: list[Path] = field(default_factory=list)
    signed_count: int = 0
    _seen: dict[Path, tuple[int, int]] = field(default_factory=dict)
    _failed: set[Path] = field(default_factory=set)
    _oldest: float | None = None

    def __post_init__(self) -> None:
        self.directory = Path(self.directory)
        if not self.directory.is_dir():
            raise InputError(f"{self.directory} is not a directory")
        if self.every < 1 or self.interval <= 0:
            raise InputError("anchor every N >= 1 files and every T > 0 seconds")

    def step(self) -> None:
        """One poll: sign the files that are stable, anchor when a batch is due."""
        for path in sorted(self.directory.iterdir()):
            if path in self._failed or not _candidate(path):
                continue
            st = path.stat()
            stamp = (st.st_size, st.st_mtime_ns)
            if self._seen.get(path) != stamp:
                self._seen[path] = stamp  # new or still growing: look again next poll
                continue
            self._sign(path)
            if len(self.pending) >= self.every:
                self.flush()
        if self._oldest is not None and time.monotonic() - self._oldest >= self.interval:
            self.flush()

    def _sign(self, path: Path) -> None:
        try:
            signed = sign_file(path, self.signer, self.registry.domain)
        except AIWeb3Error as exc:
            self._failed.add(path)
            self.on_event(WatchEvent("failed", (path,), str(exc)))
            return
        self.signed_count += 1
        self.pending.append(path)
        if self._oldest is None:
            self._oldest = time.monotonic()
        self.on_event(WatchEvent("signed", (path,), "0x" + signed.manifest_id.hex()))

    def flush(self) -> None:
        """Anchor every pending manifest now."""
        if not self.pending:
            return
        batch, self.pending, self._oldest = self.pending, [], None
        anchored = anchor_sidecars(self.registry, self.signer, batch)
        a = anchored[0].anchoring
        detail = f"root {a.root} at block {a.block}" if a else ""
        self.on_event(WatchEvent("anchored", tuple(batch), detail))

    def run(self, *, max_files: int | None = None, duration: float | None = None) -> None:
        """Poll until ``max_files`` were signed, ``duration`` passed, or Ctrl-C; then anchor the rest."""
        started = time.monotonic()
        try:
            while True:
                self.step()
                if max_files is not None and self.signed_count >= max_files:
                    break
                if duration is not None and time.monotonic() - started >= duration:
                    break
                time.sleep(self.poll)
        finally:
            self.flush()
