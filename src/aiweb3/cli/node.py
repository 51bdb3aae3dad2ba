"""``aiweb3 node start|stop|status|reset`` — the supervised local anvil node."""

from __future__ import annotations

import typer

from aiweb3.cli.context import Context, console
from aiweb3.cli.service_link import service_using_node
from aiweb3.errors import InputError
from aiweb3.presence import ServiceRecord

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
    service = service_using_node(ctx, info.url)
    if service is not None:
        console.print(_used_by(service), highlight=False, soft_wrap=True)


def _used_by(service: ServiceRecord) -> str:
    return f"used by `aiweb3 up` (pid {service.pid}, dashboard {service.api_url})"


def _refuse_if_served(ctx: Context, what: str, force: bool) -> None:
    info = ctx.node.info()
    service = service_using_node(ctx, info.url) if info is not None else None
    if service is None or force:
        return
    owner = "stops the node it started" if service.owns_node else "leaves the node running"
    raise InputError(
        f"the node is {_used_by(service)}; {what} it would break the service. Stop the service "
        f"first (Ctrl-C in its terminal; it {owner}), or pass --force"
    )


@app.command()
def stop(
    force: bool = typer.Option(False, "--force", help="Stop it even while `aiweb3 up` uses it."),
) -> None:
    """Stop the local node; its state is saved and reloaded on the next start."""
    ctx = Context()
    _refuse_if_served(ctx, "stopping", force)
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
    service = service_using_node(ctx, info.url)
    if service is not None:
        console.print(_used_by(service), highlight=False, soft_wrap=True)
    if not healthy:
        raise typer.Exit(1)


@app.command()
def reset(
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    force: bool = typer.Option(False, "--force", help="Erase it even while `aiweb3 up` uses it."),
) -> None:
    """Stop the node and erase the local chain (all blocks, balances and contracts)."""
    ctx = Context()
    _refuse_if_served(ctx, "erasing", force)
    if not yes and not typer.confirm(f"Erase the local chain in {ctx.node.dir}?", default=False):
        console.print("nothing changed")
        raise typer.Exit(1)
    ctx.node.reset()
    deployments = ctx.settings.home / "deployments" / "31337.json"
    deployments.unlink(missing_ok=True)
    console.print("local chain erased; `aiweb3 node start` begins a fresh one")
