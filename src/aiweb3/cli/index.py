"""``aiweb3 index`` — ingest a chain into DuckDB, follow it, export Parquet, show status."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from aiweb3.chain import Chain, Deployments, all_artifacts
from aiweb3.cli.context import Context, console, err_console
from aiweb3.cli.service_link import holds_index, open_index, service_of
from aiweb3.errors import InputError
from aiweb3.files import atomic_write_json
from aiweb3.indexer import EventDecoder, FetchConfig, Indexer, IndexStore, IngestReport

__all__ = ["app", "default_db"]

app = typer.Typer(
    help="Index a chain into DuckDB/Parquet (blocks, transactions, logs, tokens, events).",
    no_args_is_help=True,
)


def default_db(ctx: Context) -> Path:
    """``<home>/index/index.duckdb``."""
    return ctx.settings.home / "index" / "index.duckdb"


def _abi_dir(ctx: Context) -> Path:
    return ctx.settings.home / "index" / "abis"


def _load_abi(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable JSON ABI ({exc})") from None
    abi = data.get("abi") if isinstance(data, dict) else data
    if not isinstance(abi, list):
        raise InputError(f"{path}: expected a JSON list (an ABI) or an object with an 'abi' list")
    return abi


def _decoder(ctx: Context, chain: Chain, extra: list[Path]) -> EventDecoder:
    abis = {name: art.abi for name, art in all_artifacts().items()}
    deployed = Deployments(ctx.settings.home, chain.chain_id).load()
    addresses = {name: [d.address] for name, d in deployed.items()}
    for path in sorted(_abi_dir(ctx).glob("*.json")) + list(extra):
        abis[path.stem] = _load_abi(path)
    return EventDecoder(abis, addresses)


class _Rate(ProgressColumn):
    """blocks/s and rows/s of the task."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        if elapsed <= 0:
            return Text("")
        rows = int(task.fields.get("rows", 0))
        return Text(f"{task.completed / elapsed:,.0f} blocks/s  {rows / elapsed:,.0f} rows/s", style="cyan")


def _summary(report: IngestReport) -> str:
    text = (
        f"indexed blocks {report.start}..{report.end}: {report.blocks} blocks, {report.rows} rows in "
        f"{report.seconds:.1f}s ({report.blocks_per_s:,.0f} blocks/s, {report.rows_per_s:,.0f} rows/s)"
    )
    if report.reorgs:
        text += f"; {report.reorgs} reorg(s), {report.rolled_back} block(s) rolled back"
    if report.retries:
        text += f"; {report.retries} retried request(s)"
    return text


@app.command("run")
def run(
    rpc_url: str | None = typer.Option(
        None, "--rpc-url", help="JSON-RPC URL (default: settings or local node)."
    ),
    start: int | None = typer.Option(None, "--from", help="First block (default: resume at the checkpoint)."),
    end: int | None = typer.Option(None, "--to", help="Last block (default: the head; clamped to it)."),
    follow: bool = typer.Option(False, "--follow", help="Keep ingesting new blocks; handle reorgs."),
    db: Path | None = typer.Option(None, "--db", help="DuckDB file (default: <home>/index/index.duckdb)."),
    batch_size: int = typer.Option(50, help="Blocks per JSON-RPC batch."),
    concurrency: int = typer.Option(4, help="Batches in flight."),
    rate_limit: float | None = typer.Option(None, help="Most JSON-RPC calls per second."),
    retries: int = typer.Option(6, help="Retries per batch on rate limits or timeouts."),
    poll: float = typer.Option(1.0, help="Seconds between head polls in --follow mode."),
    abi: list[Path] = typer.Option(
        [], "--abi", help="Extra ABI JSON file to decode events with (repeatable)."
    ),
) -> None:
    """Ingest blocks, transactions, receipts, logs, token transfers/approvals and aiweb3 events."""
    if follow and end is not None:
        raise InputError("--follow and --to exclude each other")
    if batch_size < 1 or concurrency < 1 or retries < 0:
        raise InputError("--batch-size and --concurrency must be >= 1 and --retries >= 0")
    ctx = Context()
    target = db or default_db(ctx)
    service = service_of(ctx)
    if holds_index(service, target):
        assert service is not None
        console.print(
            f"`aiweb3 up` (pid {service.pid}) already follows the chain into {target}; nothing to do. "
            "Ask it with `aiweb3 ask`, check it with `aiweb3 index status`, "
            "or index into another file with --db.",
            soft_wrap=True,
            highlight=False,
        )
        return
    chain = Chain(rpc_url) if rpc_url else ctx.chain
    config = FetchConfig(
        batch_size=batch_size, concurrency=concurrency, rate_limit=rate_limit, max_retries=retries
    )
    with _stop_on_sigint() as stop, IndexStore(target) as store:
        decoder = _decoder(ctx, chain, abi)
        columns = (
            TextColumn("[bold]indexing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("blocks"),
            _Rate(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=err_console, transient=False) as bar:
            task = bar.add_task("index", total=None, rows=0)

            def on_progress(done: int, total: int, rows: int) -> None:
                bar.update(task, completed=done, total=total, rows=rows)

            indexer = Indexer(
                chain,
                store,
                decoder=decoder,
                fetch=config,
                on_progress=on_progress,
                on_note=lambda s: bar.console.print(f"[yellow]{s}[/yellow]"),
            )
            report = indexer.run(start, end, stop=stop)
            bar.update(task, completed=report.blocks, total=max(report.blocks, 1))
        console.print(_summary(report))
        if follow and not stop.is_set():
            console.print(f"following {chain.url} (Ctrl-C to stop)")
            indexer.on_progress = None

            def on_step(step: IngestReport) -> None:
                if step.blocks or step.reorgs:
                    console.print(_summary(step))

            indexer.follow(stop, poll_interval=poll, on_step=on_step)
        if stop.is_set():
            cp = store.checkpoint()
            console.print(f"stopped; the index is complete up to block {cp.last_block if cp else -1}")


@contextmanager
def _stop_on_sigint() -> Iterator[threading.Event]:
    """Turn the first Ctrl-C into a stop request the ingest loop sees between batches.

    A KeyboardInterrupt raised at an arbitrary point (inside DuckDB, a worker wait, a
    retry sleep) is what made shutdown slow or messy; the event lets the batch in flight
    commit and the command print where the index ends. A second Ctrl-C interrupts at once.
    """
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, request_stop)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


@app.command("status")
def status(db: Path | None = typer.Option(None, "--db", help="DuckDB file.")) -> None:
    """Show the checkpoint and row counts."""
    ctx = Context()
    with open_index(ctx, db or default_db(ctx)) as store:
        cp = store.checkpoint()
        if cp is None:
            console.print("the index is empty; run `aiweb3 index run`")
            return
        table = Table("table", "rows", title=f"chain {cp.chain_id}: blocks {cp.first_block}..{cp.last_block}")
        for name, count in store.counts().items():
            table.add_row(name, f"{count:,}")
        console.print(table)


@app.command("export")
def export(
    out: Path = typer.Option(..., "--out", help="Directory for the Parquet files (replaced atomically)."),
    db: Path | None = typer.Option(None, "--db", help="DuckDB file."),
) -> None:
    """Export every table as hive-partitioned Parquet (<table>/day=YYYY-MM-DD/*.parquet)."""
    ctx = Context()
    with open_index(ctx, db or default_db(ctx)) as store:
        counts = store.export_parquet(out)
    console.print(f"exported {sum(counts.values()):,} rows to {out}")


@app.command("add-abi")
def add_abi(
    path: Path = typer.Argument(..., help="ABI JSON (a list, or an object with an 'abi' key)."),
    name: str | None = typer.Option(None, help="Contract name (default: the file name)."),
) -> None:
    """Remember an ABI: its events are decoded into decoded_events from the next run on."""
    ctx = Context()
    abi = _load_abi(path)
    EventDecoder({name or path.stem: abi})  # refuses malformed ABIs before saving
    target = _abi_dir(ctx) / f"{name or path.stem}.json"
    atomic_write_json(target, abi)
    console.print(f"saved {target}; re-index (or keep following) to decode its events")


@app.command("reset")
def reset(
    db: Path | None = typer.Option(None, "--db", help="DuckDB file."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask."),
) -> None:
    """Delete the index database (the chain is untouched)."""
    ctx = Context()
    path = db or default_db(ctx)
    if not yes and not typer.confirm(f"delete {path}?"):
        raise typer.Exit(1)
    for p in (path, path.with_name(path.name + ".wal")):
        if p.exists():
            p.unlink()
    console.print(f"deleted {path}")
