"""``aiweb3 deploy`` and ``aiweb3 up`` — bring the system up on a chain."""

from __future__ import annotations

import os
import secrets
import signal
import threading
from types import FrameType
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from aiweb3.chain import Deployment, deploy_system
from aiweb3.cli.context import Context, console, err_console
from aiweb3.errors import AIWeb3Error, IndexerError
from aiweb3.presence import ServiceRecord, clear_service_record, write_service_record

if TYPE_CHECKING:
    from aiweb3.llm.runtime import ModelRuntime
    from aiweb3.server import Services

__all__ = ["deploy", "up"]


def _deploy(ctx: Context, account: str | None) -> dict[str, Deployment]:
    signer = ctx.signer(account)
    return deploy_system(
        ctx.chain,
        signer,
        ctx.settings.home,
        on_progress=lambda name, what: err_console.print(f"  {name}: {what}"),
    )


def _table(ctx: Context, deployments: dict[str, Deployment]) -> Table:
    table = Table("contract", title=f"chain {ctx.chain.chain_id}")
    table.add_column("address", no_wrap=True, min_width=42)  # whole: 80 columns fit it
    table.add_column("block", justify="right")
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
    host: str | None = typer.Option(None, help="Address to serve on (default 127.0.0.1; AIWEB3_API_HOST)."),
    port: int | None = typer.Option(
        None, help="Port to serve on (default 8480; AIWEB3_API_PORT; 0 picks a free port)."
    ),
    demo: bool = typer.Option(
        True,
        "--demo/--no-demo",
        help="Seed the demo (a signed file, a model with a verified inference) on the first run.",
    ),
    max_upload_mb: int = typer.Option(256, help="Largest upload the API accepts, in MiB."),
    cors_origin: list[str] = typer.Option(
        [], help="Allow browser calls from this origin (repeat); none by default."
    ),
    index: bool = typer.Option(
        True, "--index/--no-index", help="Follow the chain into <home>/index/index.duckdb (analytics)."
    ),
    allowed_host: list[str] = typer.Option(
        [],
        help="Also answer requests for this host name (repeat); by default only 127.0.0.1, "
        "localhost, [::1] and --host (other Host headers get 400: DNS rebinding).",
    ),
    llm: bool = typer.Option(
        True, "--llm/--no-llm", help="Run the embedded language model (`aiweb3 llm`) alongside."
    ),
) -> None:
    """Start (or find) the node, deploy the contracts, serve the API and dashboard until Ctrl-C."""
    from aiweb3.server import ServerConfig, Services, serve
    from aiweb3.server.demo import seed_demo
    from aiweb3.server.reconcile import reconcile

    ctx = Context()
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    started_here = ctx.is_local and ctx.node.info() is None
    if started_here:
        err_console.print("[dim]starting the local node…[/dim]")
        ctx.node.start(die_with_parent=True)  # never outlives this process, even after a SIGKILL
    llm_runtime = _start_llm(ctx) if llm else None  # dies with this process, like the node
    deployments = _deploy(ctx, account)
    replayed = ctx.node.last_replay if ctx.is_local else None
    if replayed is not None and (replayed.resent or replayed.calls or replayed.rejected):
        err_console.print(f"[yellow]node:[/yellow] {replayed.summary()}", soft_wrap=True, highlight=False)
    console.print(_table(ctx, deployments))
    console.print(f"chain: {ctx.chain.url} (chain id {ctx.chain.chain_id}, head {ctx.chain.block_number()})")
    console.print(f"state: {ctx.settings.home}")
    config = ServerConfig(
        home=ctx.settings.home,
        host=host or ctx.settings.api_host,
        port=port if port is not None else ctx.settings.api_port,
        max_upload_bytes=max_upload_mb * 1024 * 1024,
        cors_origins=tuple(cors_origin),
        allowed_hosts=tuple(allowed_host),
        ray_address=ctx.settings.ray_address,
        ray_required=ctx.settings.ray_required,
    )
    services = Services.open(config, ctx.chain)
    index_path: str | None = None
    for lost in services.jobs.interrupted:
        err_console.print(
            f"[yellow]job {lost.id} ({lost.kind}):[/yellow] {lost.message}", soft_wrap=True, highlight=False
        )
    try:
        if ctx.settings.ray_required:  # refuse now, not at the first job, when the cluster is down
            _join_required_cluster(services)
        for note in reconcile(services):
            err_console.print(f"[yellow]repaired:[/yellow] {note}", soft_wrap=True, highlight=False)
        if index:
            try:
                follower = services.start_indexer()
                index_path = str(follower.path)
                console.print(
                    f"indexer: following the chain into {follower.path}", soft_wrap=True, highlight=False
                )
            except IndexerError as exc:
                err_console.print(f"[yellow]analytics off:[/yellow] {exc}")
        server = serve(services)
    except BaseException:
        services.close()
        _stop_llm(llm_runtime)
        _stop_node(ctx, started_here)
        raise
    # Other aiweb3 commands of this home find the service here: they share its node and read
    # its index through it instead of stopping the one or fighting over the other.
    write_service_record(
        ctx.settings.home,
        ServiceRecord(
            os.getpid(), server.url, ctx.chain.url, started_here, index_path, secrets.token_urlsafe(24)
        ),
    )
    try:
        if demo and not stop.is_set():
            job = seed_demo(services)
            if job is not None:
                snap = services.jobs.wait(job.id, timeout=600)
                if snap["state"] == "succeeded":
                    steps, links = snap["result"]["steps"], snap["result"]["links"]
                    console.print(
                        f"demo: seeded {', '.join(steps)} ({', '.join(links)})",
                        soft_wrap=True,
                        highlight=False,
                    )
                else:
                    err_console.print(f"[yellow]demo not seeded:[/yellow] {snap['message']}")
        if config.host not in ("127.0.0.1", "localhost", "::1"):
            err_console.print(
                f"[yellow]serving on {config.host}: the dashboard and read routes are reachable from "
                "the network; write routes still need a token[/yellow]"
            )
        if not services.tokens.list():
            console.print("write routes need an API token: create one with `aiweb3 token new`")
        console.print(f"dashboard: {server.url}", soft_wrap=True, highlight=False)
        console.print(
            f"API: {server.url}/api (reference at {server.url}/docs)", soft_wrap=True, highlight=False
        )
        _next_steps(server.url)
        console.print("[bold green]aiweb3 is up.[/bold green] Press Ctrl-C to stop.")
        stop.wait()
    finally:
        clear_service_record(ctx.settings.home, os.getpid())
        server.stop()
        console.print("server stopped")
        _stop_llm(llm_runtime)
        _stop_node(ctx, started_here)


def _next_steps(url: str) -> None:
    """Three things a newcomer can try next, each one line."""
    console.print("next, try:")
    for line in (
        f"open {url} - the dashboard: the demo's signed file, model and proof",
        "aiweb3 model list --onchain - registered models (`aiweb3 model audit ID`: their proofs)",
        "aiweb3 agents demo - an AI agent buys a proven diagnosis and pays through escrow",
    ):
        console.print(f"  {line}", soft_wrap=True, highlight=False)


def _start_llm(ctx: Context) -> ModelRuntime | None:
    """Start (or find) the embedded model server; returns it when this process started it."""
    from aiweb3.llm.runtime import ModelRuntime, RuntimeConfig

    runtime = ModelRuntime(RuntimeConfig(home=ctx.settings.home))
    running = runtime.info()
    try:
        info = runtime.start(die_with_parent=True)  # never outlives this process, even after a SIGKILL
    except AIWeb3Error as exc:
        err_console.print(f"[yellow]language model off:[/yellow] {exc}")
        return None
    console.print(
        f"llm: {info.model} (sha256 {info.sha256[:16]}…) at {info.api_url}", soft_wrap=True, highlight=False
    )
    return None if running is not None else runtime


def _stop_llm(runtime: ModelRuntime | None) -> None:
    if runtime is not None:
        runtime.stop()
        console.print("language model stopped")


def _stop_node(ctx: Context, started_here: bool) -> None:
    if started_here:
        ctx.node.stop()
        console.print("node stopped; state saved")
    else:
        console.print("stopped (the node was already running before and keeps running)")


def _join_required_cluster(services: Services) -> None:
    """Join the Ray cluster ``AIWEB3_RAY_REQUIRED`` insists on (ConfigError when unreachable)."""
    from aiweb3.server.cluster import RayWorkers

    workers = services.workers
    if isinstance(workers, RayWorkers):
        where = workers.describe_after_join()["where"]
        console.print(f"jobs: compile and prove on the Ray {where}", soft_wrap=True, highlight=False)
