"""Job functions the routers submit: signing uploads, anchoring in bulk, seeding the demo.

They call the provenance feature's public API; the server adds staging, storage and progress.
"""

from __future__ import annotations

import math
import secrets
import shutil
import struct
import wave
from pathlib import Path
from typing import Any

from aiweb3.provenance import Claim, sign_file
from aiweb3.server.http import human_bytes
from aiweb3.server.jobs import JobFn, Progress
from aiweb3.server.services import Services

__all__ = ["anchor_pending", "demo_wav", "sign_uploads", "staging_dir"]


def staging_dir(services: Services, what: str) -> Path:
    """A fresh directory for one request's uploads under ``<home>/server/uploads``."""
    path = services.server_dir / "uploads" / f"{what}-{secrets.token_hex(6)}"
    path.mkdir(parents=True)
    return path


def sign_uploads(
    services: Services, staging: Path, files: list[Path], claims: tuple[Claim, ...], anchor: bool
) -> JobFn:
    """A job: sign each staged file with the server's creator key, store it, optionally anchor them all.

    ``staging`` (the request's upload directory) is removed when the job ends.
    """

    def run(progress: Progress) -> dict[str, Any]:
        total = len(files) + (1 if anchor else 0) + 1
        try:
            progress.update(0, total, "checking the server's creator registration")
            handle = services.ensure_creator_registered()
            signed_ids: list[str] = []
            for i, path in enumerate(files):
                progress.update(
                    i + 1, total, f"hashing and signing {path.name} ({human_bytes(path.stat().st_size)})"
                )
                signed = sign_file(path, services.creator, services.registry.domain, claims=claims)
                entry = services.library.add(path, signed)
                signed_ids.append(entry.manifest_id)
            if anchor:
                progress.update(len(files) + 1, total, f"anchoring {len(signed_ids)} manifest(s) on chain")
                _anchor(services, signed_ids)
            progress.update(total, total, "stored")
            return {
                "manifest_ids": signed_ids,
                "creator": services.creator.address,
                "handle": handle,
                "anchored": anchor,
                "links": [f"/content/{m}" for m in signed_ids],
            }
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    return run


def _anchor(services: Services, manifest_ids: list[str]) -> dict[str, Any]:
    entries = [e for e in (services.library.get(m) for m in manifest_ids) if e is not None]
    with services.tx_lock:
        anchored = services.registry.anchor(services.creator, [e.signed for e in entries])
    for entry, signed in zip(entries, anchored, strict=True):
        services.library.save(entry, signed)
    a = anchored[0].anchoring
    return {"count": len(entries), "block": a.block if a else None, "tx_hash": a.tx_hash if a else None}


def anchor_pending(services: Services) -> JobFn:
    """A job: anchor every stored manifest not anchored yet, in one transaction."""

    def run(progress: Progress) -> dict[str, Any]:
        pending = [e.manifest_id for e in services.library.entries() if e.signed.anchoring is None]
        if not pending:
            progress.update(1, 1, "nothing to anchor: every manifest is anchored")
            return {"count": 0, "block": None, "tx_hash": None}
        progress.update(0, 2, f"anchoring {len(pending)} manifest(s) in one transaction")
        services.ensure_creator_registered()
        result = _anchor(services, pending)
        progress.update(2, 2, f"anchored {result['count']} manifest(s) in block {result['block']}")
        return result

    return run


def demo_wav(path: Path, seconds: int = 3, rate: int = 8000) -> Path:
    """Write a short mono 16-bit WAV (a rising tone), the demo's signed file."""
    frames = bytearray()
    for n in range(seconds * rate):
        freq = 330.0 + 110.0 * (n / rate)
        frames += struct.pack("<h", int(9000 * math.sin(2 * math.pi * freq * n / rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(bytes(frames))
    return path
