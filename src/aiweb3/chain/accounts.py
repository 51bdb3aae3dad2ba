"""Signers: the local node's dev accounts and an encrypted keystore for everything else.

Keys at rest are eth-account keystore v3 files (scrypt KDF, AES-128-CTR) under
``<home>/keystore/<name>.json``. Passwords come from the caller (the CLI reads
``AIWEB3_PASSWORD`` or prompts); they never reach logs or error messages.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import is_address, is_checksum_address, to_checksum_address

from aiweb3.chain.node import DEV_MNEMONIC
from aiweb3.errors import AccountError, InputError, UnknownAccount, WrongPassword
from aiweb3.files import atomic_write_json, ensure_private_dir

__all__ = ["Keystore", "KeystoreEntry", "checksum", "dev_account", "dev_accounts"]

Account.enable_unaudited_hdwallet_features()

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@cache
def dev_account(index: int) -> LocalAccount:
    """The ``index``-th dev account of the local node (public keys: local chains only)."""
    acct: LocalAccount = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return acct


def dev_accounts(n: int = 10) -> list[LocalAccount]:
    """The first ``n`` dev accounts."""
    return [dev_account(i) for i in range(n)]


def checksum(address: str) -> str:
    """Return ``address`` checksummed; a mixed-case address with a wrong checksum is refused.

    Raises:
        InputError: not an address, or a mixed-case address whose checksum is wrong.
    """
    if not isinstance(address, str) or not is_address(address.lower()):
        raise InputError(f"{address!r} is not an Ethereum address (0x followed by 40 hex digits)")
    body = address[2:]
    if body != body.lower() and body != body.upper() and not is_checksum_address(address):
        raise InputError(f"{address} has a wrong checksum (a typo?); check it, or pass it in lower case")
    return str(to_checksum_address(address))


@dataclass(frozen=True)
class KeystoreEntry:
    """One encrypted key on disk."""

    name: str
    address: str
    path: Path


class Keystore:
    """A directory of scrypt-encrypted keystore v3 files, one per named account.

    Args:
        root: the keystore directory, usually ``<home>/keystore``.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def list(self) -> list[KeystoreEntry]:
        """Every account in the keystore, sorted by name."""
        entries = []
        for path in sorted(self.root.glob("*.json")):
            try:
                address = to_checksum_address("0x" + json.loads(path.read_text())["address"])
            except (ValueError, KeyError, TypeError):
                continue
            entries.append(KeystoreEntry(path.stem, address, path))
        return entries

    def find(self, name_or_address: str) -> KeystoreEntry:
        """Find by name or address; raises :class:`UnknownAccount`."""
        wanted = name_or_address.lower()
        for entry in self.list():
            if entry.name == name_or_address or entry.address.lower() == wanted:
                return entry
        known = ", ".join(e.name for e in self.list()) or "none yet"
        raise UnknownAccount(
            f"no account {name_or_address!r} in {self.root} (known: {known}); "
            "create one with `aiweb3 account new` or import one with `aiweb3 account import`"
        )

    def _save(self, name: str, key: bytes, password: str) -> KeystoreEntry:
        if not _NAME.match(name):
            raise InputError(f"account name {name!r}: use letters, digits, '.', '_' or '-'")
        if not password:
            raise InputError("an empty password would leave the key unprotected; choose one")
        path = self.root / f"{name}.json"
        if path.exists():
            raise AccountError(f"an account named {name!r} already exists; pick another name")
        acct: LocalAccount = Account.from_key(key)
        for entry in self.list():
            if entry.address == acct.address:
                raise AccountError(f"{acct.address} is already in the keystore as {entry.name!r}")
        encrypted = Account.encrypt(key, password, kdf="scrypt")
        ensure_private_dir(self.root)
        atomic_write_json(path, encrypted, mode=0o600)
        return KeystoreEntry(name, acct.address, path)

    def new(self, name: str, password: str) -> KeystoreEntry:
        """Create a fresh random key, encrypted with ``password``."""
        acct: LocalAccount = Account.create()
        return self._save(name, bytes(acct.key), password)

    def import_key(self, name: str, private_key: str, password: str) -> KeystoreEntry:
        """Encrypt an existing hex private key into the keystore."""
        try:
            key = bytes.fromhex(private_key.removeprefix("0x").strip())
            Account.from_key(key)
        except ValueError:
            raise InputError("that is not a private key (expected 32 bytes of hex)") from None
        if len(key) != 32:
            raise InputError("that is not a private key (expected 32 bytes of hex)")
        return self._save(name, key, password)

    def unlock(self, name_or_address: str, password: str) -> LocalAccount:
        """Decrypt a key into a signer; raises :class:`WrongPassword` on a bad password."""
        entry = self.find(name_or_address)
        try:
            key = Account.decrypt(json.loads(entry.path.read_text()), password)
        except ValueError as exc:
            if "MAC mismatch" in str(exc):
                raise WrongPassword(
                    f"wrong password for account {entry.name!r}; set AIWEB3_PASSWORD or retry"
                ) from None
            raise AccountError(f"keystore file {entry.path} is damaged") from None
        acct: LocalAccount = Account.from_key(key)
        return acct
