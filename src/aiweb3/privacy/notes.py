"""Shielded pool notes at rest: ``<home>/privacy/notes/<commitment>.json``, 0600.

A note is what withdraws a deposit: a random 32-byte seed from which the nullifier and the
secret are derived. The seed is scrypt-encrypted (keystore v3, like the stealth keys); the pool,
the commitment and the leaf index are in clear (they are public on chain anyway). The note is
written *before* the deposit is sent, so a crash between the two never leaves funds in the pool
that nobody can withdraw.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils import keccak

from aiweb3.errors import InputError, WrongPassword
from aiweb3.files import atomic_write_json, ensure_private_dir
from aiweb3.privacy.zk import FIELD_SIZE

__all__ = ["Note", "NoteBook", "NoteSecrets", "derive_secrets"]

_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_ID = re.compile(r"^(0x)?[0-9a-fA-F]{4,64}$")


@dataclass(frozen=True)
class NoteSecrets:
    """The private part of a note."""

    nullifier: int
    secret: int


def derive_secrets(seed: bytes) -> NoteSecrets:
    """The nullifier and secret of a seed: two 248-bit values (below the field), domain-separated."""
    nullifier = int.from_bytes(keccak(b"aiweb3.pool.nullifier" + seed)[:31], "big")
    secret = int.from_bytes(keccak(b"aiweb3.pool.secret" + seed)[:31], "big")
    assert nullifier < FIELD_SIZE and secret < FIELD_SIZE
    return NoteSecrets(nullifier, secret)


@dataclass(frozen=True)
class Note:
    """A deposit's public facts (the secrets stay encrypted in the file)."""

    pool: str
    chain_id: int
    commitment: int
    denomination: int
    leaf_index: int | None = None
    deposit_tx: str | None = None

    @property
    def id(self) -> str:
        """The commitment as 64 hex digits (notes are named by it)."""
        return f"{self.commitment:064x}"


class NoteBook:
    """The notes of one aiweb3 home."""

    def __init__(self, home: Path) -> None:
        self.root = Path(home) / "privacy" / "notes"

    def _path(self, note_id: str) -> Path:
        return self.root / f"{note_id}.json"

    @staticmethod
    def new_seed() -> bytes:
        """A fresh random seed (a valid secp256k1 scalar, so the keystore format accepts it)."""
        while True:
            seed = os.urandom(32)
            if 0 < int.from_bytes(seed, "big") < _SECP256K1_N:
                return seed

    def save(self, note: Note, seed: bytes, password: str) -> None:
        """Store a new note with its seed encrypted under ``password``."""
        if not password:
            raise InputError("an empty password would leave the note unprotected; choose one")
        record = {**self._public(note), "seed": Account.encrypt(seed, password, kdf="scrypt")}
        ensure_private_dir(self.root)
        atomic_write_json(self._path(note.id), record, mode=0o600)

    def update(self, note: Note) -> None:
        """Rewrite a note's public facts (leaf index, deposit transaction), keeping its seed."""
        record = self._record(note.id)
        atomic_write_json(self._path(note.id), {**record, **self._public(note)}, mode=0o600)

    @staticmethod
    def _public(note: Note) -> dict[str, Any]:
        return {
            "pool": note.pool,
            "chainId": note.chain_id,
            "commitment": note.id,
            "denomination": str(note.denomination),
            "leafIndex": note.leaf_index,
            "depositTx": note.deposit_tx,
        }

    def _record(self, note_id: str) -> dict[str, Any]:
        try:
            data = json.loads(self._path(note_id).read_text())
        except FileNotFoundError:
            raise InputError(f"no note {note_id}; list them with `aiweb3 privacy notes`") from None
        except ValueError:
            raise InputError(f"{self._path(note_id)} is not valid JSON") from None
        if not isinstance(data, dict) or "seed" not in data:
            raise InputError(f"{self._path(note_id)} is not a note file")
        return data

    def notes(self) -> list[Note]:
        """Every stored note, oldest leaf first."""
        out = [self.get(p.stem) for p in self.root.glob("*.json")]
        return sorted(out, key=lambda n: (n.leaf_index is None, n.leaf_index or 0, n.id))

    def find(self, prefix: str) -> Note:
        """The one note whose commitment starts with ``prefix`` (hex, at least 4 digits)."""
        if not _ID.match(prefix):
            raise InputError(f"note id {prefix!r}: give the hex commitment (or its first digits)")
        wanted = prefix.lower().removeprefix("0x")
        matches = [p.stem for p in self.root.glob("*.json") if p.stem.startswith(wanted)]
        if len(matches) != 1:
            what = "no note" if not matches else f"{len(matches)} notes"
            raise InputError(f"{what} with id {prefix}; list them with `aiweb3 privacy notes`")
        return self.get(matches[0])

    def get(self, note_id: str) -> Note:
        """One note's public facts."""
        r = self._record(note_id)
        return Note(
            pool=str(r["pool"]),
            chain_id=int(r["chainId"]),
            commitment=int(str(r["commitment"]), 16),
            denomination=int(r["denomination"]),
            leaf_index=None if r.get("leafIndex") is None else int(r["leafIndex"]),
            deposit_tx=r.get("depositTx"),
        )

    def secrets(self, note: Note, password: str) -> NoteSecrets:
        """Decrypt a note's nullifier and secret."""
        try:
            seed = bytes(Account.decrypt(self._record(note.id)["seed"], password))
        except ValueError:
            raise WrongPassword(
                f"wrong password for note {note.id[:12]}; set AIWEB3_PASSWORD or retry"
            ) from None
        return derive_secrets(seed)

    def with_deposit(self, note: Note, leaf_index: int, tx: str) -> Note:
        """Record where a note's deposit landed."""
        updated = replace(note, leaf_index=leaf_index, deposit_tx=tx)
        self.update(updated)
        return updated
