"""``aiweb3 defi structured`` — the proven structured vault (lending or liquidity, each epoch)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from aiweb3.cli.context import Context, console, err_console
from aiweb3.cli.defi import _keep_report, app
from aiweb3.errors import InputError

__all__ = ["structured_app"]

structured_app = typer.Typer(
    help="A vault whose split between lending and liquidity a proven model sets each epoch.",
    no_args_is_help=True,
)
app.add_typer(structured_app, name="structured")


@structured_app.command("backtest")
def backtest(
    strategy: str = typer.Option("lending,lp,split,ai", help="Comma-separated: lending, lp, split, ai."),
    seeds: int = typer.Option(20, help="Held-out price paths to run (seeds 1000, 1001, ...)."),
    steps: int = typer.Option(24 * 7, help="Hours of market per run (after a day of warm-up)."),
    plot: Path | None = typer.Option(Path("defi-structured.png"), help="Write the PNG plot here."),
) -> None:
    """Backtest the structured vault against all-lending, all-LP and 50/50 (local node only)."""
    from aiweb3.chain import deploy_system, dev_account
    from aiweb3.defi import defi_up
    from aiweb3.defi.backtest import HELD_OUT_SEED0, default_price_model, fund_trader, plot_results
    from aiweb3.defi.structured import prepare_allocation_model
    from aiweb3.defi.structured_backtest import (
        STRUCTURED_STRATEGIES,
        StructuredBacktestConfig,
        run_structured_backtest,
        summarize_structured,
    )
    from aiweb3.defi.vault import system_registry

    names = [s.strip() for s in strategy.split(",") if s.strip()]
    unknown = [n for n in names if n not in STRUCTURED_STRATEGIES] or ([] if names else ["(none)"])
    if unknown:
        raise InputError(
            f"unknown strategy {unknown[0]!r}; use one or more of {', '.join(STRUCTURED_STRATEGIES)}"
        )
    if seeds < 1 or steps < 24:
        raise InputError("--seeds must be at least 1 and --steps at least 24 (one epoch)")
    ctx = Context()
    if not ctx.is_local:
        raise InputError("backtests mint test tokens and rewind the chain: run them on the local node")
    chain, home = ctx.chain, ctx.settings.home
    accounts = [dev_account(i) for i in (0, 7, 8, 5, 6)]
    prices = default_price_model()
    model, registry = None, None
    if "ai" in names:
        deploy_system(chain, accounts[0], home)
        err_console.print("[dim]training, compiling and registering the allocation model…[/dim]")
        model = prepare_allocation_model(chain, accounts[0], home, prices)
        registry = system_registry(chain, home)
    market = defi_up(chain, accounts[0], home)
    fund_trader(chain, market, accounts[2])
    results = run_structured_backtest(
        chain, market, accounts, strategies=names, seeds=range(HELD_OUT_SEED0, HELD_OUT_SEED0 + seeds),
        config=StructuredBacktestConfig(steps=steps), price_model=prices, ai_model=model, registry=registry,
        on_result=lambda r: err_console.print(
            f"[dim]{r.strategy} seed {r.seed} (utilisation {r.utilisation:.0%}): "
            f"{100 * r.net_after_gas:+.3f}% after gas[/dim]"
        ),
    )  # fmt: skip
    summary = summarize_structured(results)
    table = Table("strategy", "runs", "liquidity share", "net vs hold", "after gas", "gas", "proving s")
    for name, s in summary.items():
        table.add_row(
            name, f"{s['runs']:.0f}", f"{100 * s['mean_allocation']:.0f}%", f"{100 * s['net_vs_hold']:+.3f}%",
            f"{100 * s['net_after_gas']:+.3f}%", f"{s['gas']:.0f}", f"{s['prove_seconds']:.1f}",
        )  # fmt: skip
    console.print(table)
    console.print("medians over held-out seeds; every run was rewound on the chain after it")
    if plot is not None:
        console.print(f"plot: {plot_results(results, plot, title='Structured vault')}")
    _keep_report(home, "structured", summary, [r.to_json() for r in results], plot)
