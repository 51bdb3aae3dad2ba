"""Find a running ``aiweb3 up`` of this home, and read its index through it.

The service holds the index's DuckDB file for writing (DuckDB allows one writer process and
no other readers), so a CLI reader asks the service for a snapshot and reads that instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from aiweb3.cli.context import Context, err_console
from aiweb3.errors import IndexerError
from aiweb3.indexer import IndexStore
from aiweb3.presence import ServiceRecord, running_service

__all__ = ["holds_index", "open_index", "service_of", "service_using_node"]


def service_of(ctx: Context) -> ServiceRecord | None:
    """The live ``aiweb3 up`` of this home, if any."""
    return running_service(ctx.settings.home)


def service_using_node(ctx: Context, node_url: str) -> ServiceRecord | None:
    """The live service whose chain is the node at ``node_url``, if any."""
    record = service_of(ctx)
    return record if record is not None and record.node_url == node_url else None


def holds_index(record: ServiceRecord | None, path: Path) -> bool:
    """True when ``record``'s service follows the chain into ``path``."""
    if record is None or record.index_path is None:
        return False
    return Path(record.index_path).resolve() == Path(path).resolve()


def _snapshot(record: ServiceRecord) -> dict[str, Any]:
    try:
        resp = httpx.post(
            f"{record.api_url}/api/analytics/snapshot",
            headers={"X-Aiweb3-Local": record.local_key},
            timeout=120,
        )
        data = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise IndexerError(
            f"the index is held by `aiweb3 up` (pid {record.pid}) and its API at {record.api_url} "
            f"did not answer ({type(exc).__name__}); try again, or stop the service"
        ) from None
    if resp.status_code != 200 or not isinstance(data, dict) or "path" not in data:
        detail = data.get("detail") if isinstance(data, dict) else None
        raise IndexerError(
            f"the index is held by `aiweb3 up` (pid {record.pid}), which could not share it: "
            f"{detail or resp.status_code}"
        )
    return data


def open_index(ctx: Context, path: Path) -> IndexStore:
    """Open ``path`` for reading, through the service's snapshot while the service holds it."""
    record = service_of(ctx)
    if not holds_index(record, path):
        return IndexStore(path, read_only=True)
    assert record is not None
    snap = _snapshot(record)
    err_console.print(
        f"[dim]the index is followed by `aiweb3 up` (pid {record.pid}); "
        f"reading its snapshot up to block {snap['last_block']}[/dim]",
        highlight=False,
    )
    return IndexStore(Path(snap["path"]), read_only=True)
