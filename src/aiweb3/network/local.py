"""Where a home keeps its subnet: ``<home>/network/<chain_id>.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiweb3.errors import InputError
from aiweb3.files import atomic_write_json

__all__ = ["NetworkHome"]


class NetworkHome:
    """The subnet address ``aiweb3 network up`` deployed on one chain."""

    def __init__(self, home: Path, chain_id: int) -> None:
        self.path = Path(home) / "network" / f"{chain_id}.json"

    def save(self, subnet: str, block: int) -> None:
        """Record the subnet (atomically)."""
        atomic_write_json(self.path, {"subnet": subnet, "block": block})

    def subnet(self) -> tuple[str, int]:
        """(address, deployment block).

        Raises:
            InputError: no subnet on this chain yet.
        """
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            raise InputError("no subnet on this chain yet; create one with `aiweb3 network up`") from None
        return str(data["subnet"]), int(data["block"])

    @property
    def report_path(self) -> Path:
        """Where the last demo's report (accuracy per round, earnings) is kept."""
        return self.path.with_name(self.path.stem + "-report.json")

    def save_report(self, report: dict[str, Any]) -> None:
        """Keep the last demo's report (atomically)."""
        atomic_write_json(self.report_path, report)

    def report(self) -> dict[str, Any] | None:
        """The last demo's report, or None."""
        try:
            return dict(json.loads(self.report_path.read_text()))
        except FileNotFoundError:
            return None
