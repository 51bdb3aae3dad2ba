"""A content-addressed store in a local directory.

Objects are named by a CIDv1 (raw codec, sha2-256, base32), the same name IPFS gives
the same bytes added with ``--cid-version 1 --raw-leaves`` when they fit one block, so a
remote store can serve them unchanged.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from multiformats import CID, multihash

from aiweb3.errors import StoreError
from aiweb3.files import atomic_write_bytes

__all__ = ["LocalStore", "cid_of"]

_CHUNK = 1 << 20


def cid_of(data: bytes) -> str:
    """The CIDv1 (raw, sha2-256) of ``data`` as a base32 string."""
    digest = multihash.wrap(hashlib.sha256(data).digest(), "sha2-256")
    return str(CID("base32", 1, "raw", digest))


def _cid_from_sha256(digest: bytes) -> str:
    return str(CID("base32", 1, "raw", multihash.wrap(digest, "sha2-256")))


class LocalStore:
    """A directory of immutable objects named by their CID.

    Args:
        root: the directory (created on first write).
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, cid: str) -> Path:
        try:
            parsed = CID.decode(cid)
        except Exception as exc:
            raise StoreError(f"{cid!r} is not a CID; pass the id printed when it was stored") from exc
        name = str(parsed.set(base="base32"))
        return self.root / name[-2:] / name

    def put_bytes(self, data: bytes) -> str:
        """Store ``data``; returns its CID. Storing the same bytes twice is a no-op."""
        cid = cid_of(data)
        path = self._path(cid)
        if not path.exists():
            atomic_write_bytes(path, data)
        return cid

    def put_file(self, source: Path) -> str:
        """Store a file by streaming it; returns its CID."""
        source = Path(source)
        if not source.is_file():
            raise StoreError(f"{source} is not a file")
        h = hashlib.sha256()
        self.root.mkdir(parents=True, exist_ok=True)
        with (
            tempfile.NamedTemporaryFile(dir=self.root, delete=False, suffix=".tmp") as tmp,
            source.open("rb") as fh,
        ):
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
                tmp.write(chunk)
        cid = _cid_from_sha256(h.digest())
        path = self._path(cid)
        if path.exists():
            Path(tmp.name).unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            Path(tmp.name).replace(path)
        return cid

    def has(self, cid: str) -> bool:
        """Whether the object is present."""
        return self._path(cid).is_file()

    def path(self, cid: str) -> Path:
        """The file holding ``cid``; raises :class:`StoreError` if it is absent."""
        path = self._path(cid)
        if not path.is_file():
            raise StoreError(f"object {cid} is not in the store at {self.root}")
        return path

    def get_bytes(self, cid: str, *, verify: bool = True) -> bytes:
        """Read an object, checking that its bytes still hash to its CID."""
        data = self.path(cid).read_bytes()
        if verify and cid_of(data) != str(CID.decode(cid).set(base="base32")):
            raise StoreError(f"object {cid} is corrupted on disk (its hash changed); delete it")
        return data

    def export(self, cid: str, dest: Path) -> Path:
        """Copy an object out of the store."""
        shutil.copyfile(self.path(cid), dest)
        return Path(dest)
