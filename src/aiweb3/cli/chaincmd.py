"""``aiweb3 deploy`` and ``aiweb3 up`` — bring the system up on a chain."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer
from rich.table import Table

from aiweb3.chain import Deployment, deploy_system
from aiweb3.cli.context import Context, console, err_console

__all__ = ["register"]


def _deploy(ctx: Context, account: str | None) -> dict[str, Deployment]:
    signer = ctx.signer(account)
    return deploy_system(
        ctx.chain,
        signer,
        ctx.settings.home,
        on_progress=lambda name, what: err_console.print(f"  {name}: {what}"),
    )


def _table(ctx: Context, deployments: dict[str, Deployment]) -> Table:
    table = Table("contract", "address", "deployed in block", title=f"chain {ctx.chain.chain_id}")
    for dep in deployments.values():
        table.add_row(dep.name, dep.address, str(dep.block))
    return table


def deploy(
    account: str | None = typer.Option(None, help="Deployer: keystore name/address or dev:N."),
) -> None:
    """Deploy the system contracts (idempotent: verified deployments are reused)."""
    ctx = Context()
    deployments = _deploy(ctx, account)
    console.print(_table(ctx, deployments))


def up(
    account: str | None = typer.Option(None, help="Deployer: keystore name/address or dev:N."),
) -> None:
    """Start (or find) the node, deploy the contracts, and run until Ctrl-C."""
    ctx = Context()
    started_here = ctx.is_local and ctx.node.info() is None
    deployments = _deploy(ctx, account)
    console.print(_table(ctx, deployments))
    console.print(f"chain: {ctx.chain.url} (chain id {ctx.chain.chain_id}, head {ctx.chain.block_number()})")
    console.print(f"state: {ctx.settings.home}")
    console.print("[bold green]aiweb3 is up.[/bold green] Press Ctrl-C to stop.")
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    stop.wait()
    if started_here:
        ctx.node.stop()
        console.print("node stopped; state saved")
    else:
        console.print("stopped (the node was already running before and keeps running)")


def register(app: typer.Typer) -> None:
    """Add the top-level commands to ``app``."""
    app.command()(deploy)
    app.command()(up)
