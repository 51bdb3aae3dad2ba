"""What the verify page and ``POST /api/verify`` can check, one :class:`Verifier` per kind.

Content (a file and its ``.aiw.json`` sidecar, an original or a clip) is the first kind. A new
kind (a zero-knowledge proof, a data-set disclosure) appends a Verifier to ``VERIFIERS``: it
names the form parts it reads, and the first verifier whose ``accepts`` is true answers.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from aiweb3.provenance import verify_file
from aiweb3.server.services import Services

__all__ = ["VERIFIERS", "ContentVerifier", "Verifier", "upload_parts"]


class Verifier(Protocol):
    """One kind of thing the server verifies."""

    @property
    def name(self) -> str:
        """Short name shown with the verdict."""

    @property
    def parts(self) -> tuple[str, ...]:
        """The multipart parts (files) it reads."""

    def accepts(self, uploads: dict[str, Path]) -> bool:
        """True when these uploads are for this verifier."""

    def verify(self, services: Services, uploads: dict[str, Path], names: dict[str, str]) -> dict[str, Any]:
        """A verdict: ``{"ok", "kind", "verdict", "checks": [{"name", "ok", "detail"}], ...}``."""


@dataclass(frozen=True)
class ContentVerifier:
    """Signed content: ``file`` (an original or a clip) and ``sidecar`` (its FILE.aiw.json)."""

    name: str = "content"
    parts: tuple[str, ...] = ("file", "sidecar")

    def accepts(self, uploads: dict[str, Path]) -> bool:
        """Any upload with a ``file`` part (without a sidecar the verdict says what is missing)."""
        return "file" in uploads

    def verify(self, services: Services, uploads: dict[str, Path], names: dict[str, str]) -> dict[str, Any]:
        """Verify against the chain's CreatorRegistry."""
        path = uploads["file"]
        if "sidecar" in uploads:
            target = path.parent / (path.name + ".aiw.json")
            shutil.move(str(uploads["sidecar"]), str(target))
        report = verify_file(path, registry=services.registry)
        out = report.to_json()
        out["path"] = names.get("file", path.name)
        out["verifier"] = self.name
        return out


VERIFIERS: list[Verifier] = [ContentVerifier()]


def upload_parts() -> tuple[str, ...]:
    """Every multipart part some verifier reads."""
    seen: list[str] = []
    for v in VERIFIERS:
        seen += [p for p in v.parts if p not in seen]
    return tuple(seen)
