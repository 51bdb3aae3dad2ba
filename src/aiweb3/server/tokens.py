"""API tokens for the write routes, stored hashed under ``<home>/server/tokens.json``.

A token is shown once, when it is created; only its SHA-256 is kept. Tokens are 32 random
bytes, so a fast hash is enough (there is nothing to brute-force, unlike a password).
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from aiweb3.errors import ConfigError, InputError
from aiweb3.files import atomic_write_json

__all__ = ["TOKEN_PREFIX", "TokenInfo", "TokenStore"]

TOKEN_PREFIX = "aiw_"


@dataclass(frozen=True)
class TokenInfo:
    """What is kept of a token: never the token itself."""

    id: str
    name: str
    sha256: str
    created: int


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """The hashed API tokens of one ``AIWEB3_HOME``.

    Args:
        home: the state directory; tokens live in ``<home>/server/tokens.json`` (mode 0600).
    """

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / "server" / "tokens.json"
        self._lock = threading.Lock()
        self._cache: tuple[float, list[TokenInfo]] | None = None

    def list(self) -> list[TokenInfo]:
        """Every token's record (id, name, hash, creation time)."""
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return []
        with self._lock:
            if self._cache is not None and self._cache[0] == mtime:
                return list(self._cache[1])
            try:
                data = json.loads(self.path.read_text())
                tokens = [TokenInfo(**entry) for entry in data["tokens"]]
            except (ValueError, KeyError, TypeError) as exc:
                raise ConfigError(
                    f"{self.path} is damaged ({exc}); delete it and create tokens again"
                ) from None
            self._cache = (mtime, tokens)
            return list(tokens)

    def _save(self, tokens: builtins.list[TokenInfo]) -> None:
        atomic_write_json(self.path, {"tokens": [asdict(t) for t in tokens]}, mode=0o600)

    def new(self, name: str = "default") -> tuple[str, TokenInfo]:
        """Create a token; returns ``(token, info)``. The token is not stored, only its hash."""
        if not name or len(name) > 64:
            raise InputError("a token name must be 1-64 characters")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        info = TokenInfo(secrets.token_hex(4), name, _digest(token), int(time.time()))
        self._save([*self.list(), info])
        return token, info

    def revoke(self, token_id: str) -> TokenInfo:
        """Delete a token by id; raises InputError if there is none."""
        tokens = self.list()
        keep = [t for t in tokens if t.id != token_id]
        if len(keep) == len(tokens):
            raise InputError(f"no token with id {token_id!r}; see `aiweb3 token list`")
        self._save(keep)
        return next(t for t in tokens if t.id == token_id)

    def check(self, token: str) -> TokenInfo | None:
        """The token's record if ``token`` is valid, else None (constant-time comparison)."""
        digest = _digest(token)
        found = None
        for info in self.list():
            if hmac.compare_digest(info.sha256, digest):
                found = info
        return found
