"""``aiweb3 node start|stop|status|reset`` — the supervised local anvil node."""

from __future__ import annotations

import typer

from aiweb3.cli.context import Context, console

app = typer.Typer(help="Run the local development chain (a real anvil node).", no_args_is_help=True)


@app.command()
def start() -> None:
    """Start the local node, or report the one already running."""
    ctx = Context()
    before = ctx.node.info()
    info = ctx.node.start()
    verb = "already running" if before else "started"
    console.print(f"node {verb}: {info.url} (chain id {info.chain_id}, pid {info.pid})")
    replayed = ctx.node.last_replay
    if replayed is not None and (replayed.resent or replayed.calls or replayed.rejected):
        console.print(f"journal: {replayed.summary()}", soft_wrap=True, highlight=False)


@app.command()
def stop() -> None:
    """Stop the local node; its state is saved and reloaded on the next start."""
    ctx = Context()
    if ctx.node.stop():
        console.print(f"node stopped; state saved in {ctx.node.state_file}")
    else:
        console.print("no node was running")


@app.command()
def status() -> None:
    """Show whether the node runs, where, and its head block."""
    ctx = Context()
    info = ctx.node.info()
    if info is None:
        console.print("node: stopped (start it with `aiweb3 node start`)")
        raise typer.Exit(3)
    healthy = ctx.node.healthy()
    head = ctx.chain.block_number() if healthy else None
    console.print(
        f"node: {'running' if healthy else 'NOT ANSWERING'} at {info.url} "
        f"(chain id {info.chain_id}, pid {info.pid}, head block {head})"
    )
    if not healthy:
        raise typer.Exit(1)


@app.command()
def reset(yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")) -> None:
    """Stop the node and erase the local chain (all blocks, balances and contracts)."""
    ctx = Context()
    if not yes and not typer.confirm(f"Erase the local chain in {ctx.node.dir}?", default=False):
        console.print("nothing changed")
        raise typer.Exit(1)
    ctx.node.reset()
    deployments = ctx.settings.home / "deployments" / "31337.json"
    deployments.unlink(missing_ok=True)
    console.print("local chain erased; `aiweb3 node start` begins a fresh one")
