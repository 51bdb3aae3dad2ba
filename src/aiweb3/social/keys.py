"""Named Nostr identities kept under ``<home>/social/keys`` (one 0600 file per name)."""

from __future__ import annotations

import re
from pathlib import Path

from aiweb3.errors import InputError
from aiweb3.files import ensure_private_dir
from aiweb3.social.events import Identity

__all__ = ["KeyRing"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class KeyRing:
    """The Nostr identities of one ``AIWEB3_HOME``."""

    def __init__(self, home: Path) -> None:
        self.dir = Path(home) / "social" / "keys"

    def _path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise InputError(
                f"identity name {name!r} is not allowed; use 1-40 lowercase letters, digits, '-' or '_'"
            )
        return self.dir / f"{name}.key"

    def create(self, name: str, secret: str | None = None) -> Identity:
        """Make (or import, from ``secret``) identity ``name``; refuses to overwrite one."""
        path = self._path(name)
        if path.exists():
            raise InputError(f"identity {name!r} already exists; pick another name")
        identity = Identity.from_secret(secret) if secret else Identity.generate()
        ensure_private_dir(self.dir)
        identity.save(path)
        return identity

    def get(self, name: str) -> Identity:
        """Load identity ``name``."""
        path = self._path(name)
        if not path.exists():
            raise InputError(f"no identity {name!r}; create it with `aiweb3 social key {name}`")
        return Identity.load(path)

    def get_or_create(self, name: str) -> Identity:
        """Load identity ``name``, making it first if it does not exist."""
        return self.get(name) if self._path(name).exists() else self.create(name)

    def names(self) -> list[str]:
        """Every stored identity name."""
        return sorted(p.stem for p in self.dir.glob("*.key")) if self.dir.is_dir() else []
