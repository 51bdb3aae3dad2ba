"""Structured reference strings (SRS): one per circuit size (logrows), kept and named by hash.

ezkl cannot download the public ceremony SRS here. A *development* SRS is generated locally
once per logrows and kept (keys only work with the SRS they were made with). Its maker knows
the secret behind it and could forge proofs, so it is marked development-only everywhere it
is shown. A ceremony SRS file is imported with :meth:`SrsStore.import_file` and recorded by
its hash; it then replaces the development SRS for its logrows.
"""

from __future__ import annotations

import functools
import hashlib
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from multiformats import CID, multihash

from aiweb3.errors import InputError, ProofError, StoreError
from aiweb3.files import atomic_write_json
from aiweb3.store import LocalStore
from aiweb3.zkml import _ezkl

__all__ = ["DEV_WARNING", "SrsEntry", "SrsStore", "file_cid", "srs_logrows", "store_path"]

DEV_WARNING = "development only: its maker could forge proofs; import a ceremony SRS for production"

Origin = Literal["development", "imported"]

_MAX_LOGROWS = 26


@dataclass(frozen=True)
class SrsEntry:
    """One SRS recorded in the store.

    Attributes:
        logrows: the circuit size it serves (2**logrows rows).
        cid: content id of the SRS file in the artifact store.
        origin: ``"development"`` (generated here; forgeable) or ``"imported"``.
        source: where an imported file came from (empty for development SRS).
        created: unix time it was recorded.
    """

    logrows: int
    cid: str
    origin: Origin
    source: str = ""
    created: float = 0.0

    @property
    def development(self) -> bool:
        """True for a locally generated (forgeable) SRS."""
        return self.origin == "development"


def srs_logrows(path: Path) -> int:
    """Read the logrows an SRS file was made for (its first 4 bytes, little-endian).

    Raises:
        InputError: the file is missing, too short or not an SRS.
    """
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(4)
        size = Path(path).stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read SRS file {path}: {exc.strerror}") from exc
    if len(head) < 4:
        raise InputError(f"{path} is not an SRS file (too short)")
    k = int.from_bytes(head, "little")
    # a KZG SRS holds at least 2**k G1 points of 64 bytes after the header
    if not 1 <= k <= _MAX_LOGROWS or size < 4 + (1 << k) * 64:
        raise InputError(f"{path} is not an SRS file (header says logrows {k}, size {size} bytes)")
    return k


class SrsStore:
    """The SRS files of one aiweb3 home: an index by logrows over the artifact store.

    Args:
        store: the content-addressed store holding the SRS files.
        index_path: the JSON index (``<home>/zkml/srs.json``).
    """

    def __init__(self, store: LocalStore, index_path: Path) -> None:
        self.store = store
        self.index_path = Path(index_path)

    def _load(self) -> dict[int, SrsEntry]:
        try:
            raw = json.loads(self.index_path.read_text())
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise ProofError(
                f"{self.index_path} is not valid JSON; delete it and import the SRS again"
            ) from exc
        return {int(k): SrsEntry(**v) for k, v in raw.items()}

    def _save(self, entries: dict[int, SrsEntry]) -> None:
        atomic_write_json(self.index_path, {str(k): asdict(v) for k, v in sorted(entries.items())})

    def list(self) -> list[SrsEntry]:
        """Every recorded SRS, by logrows."""
        return [e for _, e in sorted(self._load().items())]

    def find(self, logrows: int) -> SrsEntry | None:
        """The SRS recorded for ``logrows``, if any."""
        return self._load().get(logrows)

    def get(self, logrows: int, *, generate: bool = True) -> SrsEntry:
        """The SRS for ``logrows``; a development SRS is generated (once) when none is recorded.

        Raises:
            ProofError: none is recorded and ``generate`` is false.
        """
        entry = self.find(logrows)
        if entry is not None and self.store.has(entry.cid):
            return entry
        if not generate:
            raise ProofError(
                f"no SRS for logrows {logrows}; run `aiweb3 srs dev {logrows}` (development only) "
                "or `aiweb3 srs import FILE`"
            )
        return self.generate_dev(logrows)

    def generate_dev(self, logrows: int) -> SrsEntry:
        """Generate and record a development SRS for ``logrows`` (replacing the recorded one)."""
        if not 1 <= logrows <= _MAX_LOGROWS:
            raise InputError(f"logrows must be between 1 and {_MAX_LOGROWS}, not {logrows}")
        self.store.root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.store.root) as tmp:
            path = Path(tmp) / f"dev-{logrows}.srs"
            _ezkl.gen_srs(path, logrows)
            cid = self.store.put_file(path)
        return self._record(SrsEntry(logrows, cid, "development", "", time.time()))

    def import_file(self, path: Path) -> SrsEntry:
        """Import a ceremony SRS file; it becomes the SRS for its logrows.

        Raises:
            InputError: the file is not an SRS.
        """
        logrows = srs_logrows(path)
        cid = self.store.put_file(Path(path))
        return self._record(SrsEntry(logrows, cid, "imported", str(Path(path).resolve()), time.time()))

    def _record(self, entry: SrsEntry) -> SrsEntry:
        entries = self._load()
        entries[entry.logrows] = entry
        self._save(entries)
        return entry

    def by_cid(self, cid: str) -> SrsEntry | None:
        """The recorded entry with this content id, if it is still the one recorded."""
        return next((e for e in self._load().values() if e.cid == cid), None)

    def path(self, cid: str) -> Path:
        """The file of an SRS by content id.

        Raises:
            ProofError: the SRS is not in the store (keys made with it cannot be used).
        """
        try:
            path = store_path(self.store, cid)
        except StoreError:
            raise ProofError(
                f"the SRS {cid} these keys were made with is not in the store; import that SRS "
                "file (`aiweb3 srs import FILE`) or compile the model again"
            ) from None
        stat = path.stat()
        if not _hash_matches(str(path), stat.st_mtime_ns, stat.st_size, cid):
            raise ProofError(
                f"the SRS file {path} no longer matches its hash {cid}; it is not the SRS the keys were "
                "made with: import the right SRS file again (`aiweb3 srs import FILE`)"
            )
        return path


@functools.lru_cache(maxsize=256)
def _resolve(root: str, cid: str) -> Path:
    return LocalStore(Path(root)).path(cid)  # a miss raises, and exceptions are not cached


def store_path(store: LocalStore, cid: str) -> Path:
    """``store.path(cid)``, remembered: parsing a CID costs more than proving-time bookkeeping should.

    Raises:
        StoreError: the object is not in the store.
    """
    path = _resolve(str(store.root), cid)
    if not path.is_file():  # removed since it was resolved
        _resolve.cache_clear()
        return store.path(cid)
    return path


def file_cid(path: Path) -> str:
    """The content id of a file (as the store would name it), read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return str(CID("base32", 1, "raw", multihash.wrap(digest.digest(), "sha2-256")))


@functools.lru_cache(maxsize=64)
def _hash_matches(path: str, mtime_ns: int, size: int, cid: str) -> bool:
    # keyed by modification time and size: a file is re-hashed only after it changed
    return file_cid(Path(path)) == str(CID.decode(cid).set(base="base32"))
