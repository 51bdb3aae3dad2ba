"""``aiweb3 redteam`` — agents that attack and stress-test contracts on the local node (issue 19)."""

from __future__ import annotations

import typer

from aiweb3.cli.redteam_stress import register

__all__ = ["app"]

app = typer.Typer(help="Red-team agents: exploits, patches and economic stress tests.", no_args_is_help=True)


@app.callback()
def redteam() -> None:
    """Red-team agents: exploits, patches and economic stress tests (docs/redteam-stress.md)."""


register(app)
