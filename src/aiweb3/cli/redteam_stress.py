"""``aiweb3 redteam stress`` — agent-based Monte Carlo on the real lending market and v3 pool.

:func:`register` adds the command to the ``redteam`` group (``aiweb3.cli.redteam``).
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from aiweb3.cli.context import console, err_console
from aiweb3.config import Settings

__all__ = ["register", "stress"]


def stress(
    paths: int = typer.Option(100, "--paths", min=1, max=100_000, help="Paths per grid point."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seeds every path, shock and agent ordering."),
    grid: str = typer.Option(
        "small",
        "--grid",
        help="A named grid (default, small, window) or cf=0.5,0.8;bonus=0.05;window=12,1800.",
    ),
    steps: int = typer.Option(24, "--steps", min=4, max=2000, help="Steps (blocks of prices) per path."),
    step_seconds: int = typer.Option(300, "--step-seconds", min=1, help="Seconds between steps."),
    shock_probability: float = typer.Option(0.5, help="Share of paths with a crash."),
    manipulator: bool = typer.Option(
        True, "--manipulator/--no-manipulator", help="Run the oracle manipulator."
    ),
    hold: int = typer.Option(
        12,
        "--hold",
        min=0,
        help="Seconds the manipulator holds the pushed price (0: one block, a flash loan).",
    ),
    tolerance: float = typer.Option(0.0, help="Lender loss (share of supply) allowed at the 99% VaR."),
    out: Path | None = typer.Option(
        None, "--out", help="Report folder (default: AIWEB3_HOME/redteam/stress/<run>)."
    ),
) -> None:
    """Stress the lending market on real bytecode: price shocks, liquidators, flash liquidators and an
    oracle manipulator; value at risk, bad-debt paths and parameter recommendations
    (on a throwaway local node; see docs/redteam-stress.md)."""
    from aiweb3.chain import Chain, LocalNode, NodeConfig, dev_account
    from aiweb3.redteam.stress import run_stress
    from aiweb3.redteam.stress_config import StressConfig, parse_grid
    from aiweb3.redteam.stress_report import report_dict, write_report

    config = StressConfig(
        paths=paths, seed=seed, steps=steps, step_seconds=step_seconds,
        shock_probability=shock_probability, manipulator=manipulator, hold=hold, tolerance=tolerance,
    )  # fmt: skip
    points, skipped = parse_grid(grid)
    for p in skipped:
        err_console.print(
            f"[yellow]skipping {p.label}: LendingMarket refuses (cf + 0.15) * (1 + bonus) >= 1[/yellow]"
        )
    settings = Settings.load()
    tag = hashlib.sha256(repr((config, points)).encode()).hexdigest()[:8]
    folder = out or settings.home / "redteam" / "stress" / f"seed{seed}-{paths}p-{tag}"
    with tempfile.TemporaryDirectory(prefix="aiweb3-stress-") as tmp:
        node = LocalNode(NodeConfig(home=Path(tmp), state_interval=3600))
        err_console.print("[dim]starting a throwaway local node…[/dim]")
        info = node.start(die_with_parent=True)
        try:
            with (
                Chain(info.url, expected_chain_id=node.config.chain_id) as chain,
                Progress(
                    TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=err_console, transient=True,
                ) as progress,
            ):  # fmt: skip
                task = progress.add_task("stress paths", total=paths * len(points))
                run = run_stress(
                    chain, dev_account(0), Path(tmp), config, points, skipped=skipped,
                    on_path=lambda r: progress.update(task, advance=1, description=r.run_id),
                )  # fmt: skip
        finally:
            node.stop()
    data = report_dict(run)
    json_path, md_path = write_report(data, folder)
    table = Table(
        "grid point", "VaR 95%", "VaR 99%", "bad-debt paths", "manipulation paid", "median manip. profit"
    )
    for s in data["summaries"]:
        table.add_row(
            s["label"], f"{s['var95']:.3%}", f"{s['var99']:.3%}", f"{len(s['bad_debt_runs'])}/{s['paths']}",
            f"{len(s['attack_profitable_runs'])}/{s['attacks']}", f"{s['attack_median_profit']:,.0f}",
        )  # fmt: skip
    console.print(table)
    for r in data["recommendations"]:
        console.print(f"recommend {r['parameter']} = {r['value']:g}: runs {', '.join(r['runs'][:5]) or '-'}")
    console.print(f"report: {md_path} and {json_path}")


def register(app: typer.Typer) -> None:
    """Add the ``stress`` command to ``app`` (the ``redteam`` group)."""
    app.command("stress")(stress)
