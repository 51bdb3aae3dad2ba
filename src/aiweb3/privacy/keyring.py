"""Stealth keys at rest: ``<home>/stealth/<name>.json``, both private keys scrypt-encrypted
(keystore v3, the same format as the account keystore), the public meta-address in clear, 0600.

Scanning needs only the viewing key, so it is decrypted alone; the spending key is decrypted
only to sweep.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from eth_account import Account

from aiweb3.errors import InputError, WrongPassword
from aiweb3.files import atomic_write_json, ensure_private_dir
from aiweb3.privacy.stealth import StealthKeys, StealthMeta, ViewingKeys

__all__ = ["StealthKeyring"]

_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class StealthKeyring:
    """The named stealth key pairs of one aiweb3 home."""

    def __init__(self, home: Path) -> None:
        self.root = Path(home) / "stealth"

    def _path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise InputError(f"stealth key name {name!r}: use letters, digits, '.', '_' or '-'")
        return self.root / f"{name}.json"

    def names(self) -> list[str]:
        """Every stored name, sorted."""
        return sorted(p.stem for p in self.root.glob("*.json"))

    def new(self, name: str, password: str) -> StealthMeta:
        """Create a fresh pair under ``name``; returns its meta-address."""
        path = self._path(name)
        if path.exists():
            raise InputError(f"stealth keys named {name!r} exist already; pick another name")
        if not password:
            raise InputError("an empty password would leave the keys unprotected; choose one")
        keys = StealthKeys.generate()
        record = {
            "meta": keys.meta.uri(),
            "spending": Account.encrypt(keys.spending_key, password, kdf="scrypt"),
            "viewing": Account.encrypt(keys.viewing_key, password, kdf="scrypt"),
        }
        ensure_private_dir(self.root)
        atomic_write_json(path, record, mode=0o600)
        return keys.meta

    def _record(self, name: str) -> dict[str, Any]:
        path = self._path(name)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            known = ", ".join(self.names()) or "none yet"
            hint = f"create them with `aiweb3 privacy meta new {name}`"
            raise InputError(f"no stealth keys named {name!r} (known: {known}); {hint}") from None
        except ValueError:
            raise InputError(f"{path} is not valid JSON") from None
        if not isinstance(data, dict) or not {"meta", "spending", "viewing"} <= data.keys():
            raise InputError(f"{path} is not a stealth key file")
        return data

    def meta(self, name: str) -> StealthMeta:
        """The public meta-address (no password needed)."""
        return StealthMeta.parse(str(self._record(name)["meta"]))

    def _decrypt(self, name: str, which: str, password: str) -> bytes:
        try:
            return bytes(Account.decrypt(self._record(name)[which], password))
        except ValueError:
            raise WrongPassword(
                f"wrong password for stealth keys {name!r}; set AIWEB3_PASSWORD or retry"
            ) from None

    def viewing(self, name: str, password: str) -> ViewingKeys:
        """What scanning needs: the viewing key and the spending public key."""
        return ViewingKeys(self._decrypt(name, "viewing", password), self.meta(name).spending)

    def unlock(self, name: str, password: str) -> StealthKeys:
        """Both private keys (to sweep)."""
        keys = StealthKeys(
            self._decrypt(name, "spending", password), self._decrypt(name, "viewing", password)
        )
        if keys.meta != self.meta(name):
            raise InputError(
                f"the stealth key file of {name!r} is inconsistent (keys do not match its meta-address)"
            )
        return keys
