"""``aiweb3 defi`` — real Uniswap v3 on the local chain, market simulation and LP backtests."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from aiweb3.cli.context import Context, console, err_console
from aiweb3.errors import InputError

app = typer.Typer(help="AI for DeFi on real Uniswap v3 (see docs/defi.md).", no_args_is_help=True)


@app.command()
def up(
    price: float = typer.Option(2000.0, help="Initial price of TETH in TUSD."),
    fee: int = typer.Option(3000, help="Fee tier in hundredths of a basis point (500, 3000, 10000)."),
    seed: float = typer.Option(1000.0, help="TETH (and its value in TUSD) the deployer seeds full range."),
    account: str | None = typer.Option(None, help="Deployer: keystore name/address or dev:N."),
) -> None:
    """Deploy Uniswap v3 from its npm build, the TETH/TUSD test tokens and their seeded pool."""
    from aiweb3.defi import defi_up

    if seed < 0:
        raise InputError("--seed must not be negative")
    ctx = Context()
    market = defi_up(
        ctx.chain, ctx.signer(account), ctx.settings.home, price=price, fee=fee, seed_base=int(seed * 10**18)
    )
    table = Table("contract", "address")
    table.add_row("UniswapV3Factory", market.uni.factory)
    table.add_row("SwapRouter", market.uni.router)
    table.add_row("NonfungiblePositionManager", market.uni.position_manager)
    table.add_row("QuoterV2", market.uni.quoter)
    table.add_row(market.base.symbol, market.base.address)
    table.add_row(market.quote.symbol, market.quote.address)
    table.add_row(f"pool {market.base.symbol}/{market.quote.symbol}", market.pool.address)
    console.print(table)
    if market.seed is None:
        err_console.print("[dim]the pool already had liquidity: nothing seeded[/dim]")
    console.print(f"price: {market.base_price():.4f} {market.quote.symbol} per {market.base.symbol}")


@app.command()
def pools() -> None:
    """List the recorded pools with their price, tick, liquidity and TWAP."""
    from aiweb3.defi import Pool
    from aiweb3.defi.uniswap import recorded_pools, recorded_tokens

    ctx = Context()
    chain = ctx.chain
    found = recorded_pools(ctx.settings.home, chain.chain_id)
    if not found:
        console.print("no pools yet; create one with `aiweb3 defi up`")
        return
    symbols = {v["address"]: k for k, v in recorded_tokens(ctx.settings.home, chain.chain_id).items()}
    table = Table("pool", "address", "fee", "price", "tick", "liquidity")
    for name, rec in sorted(found.items()):
        pool = Pool(chain, rec["address"])
        tick = pool.slot0()[1]
        base = name.split("/")[0]
        price = pool.price() if symbols.get(pool.token0) == base else 1 / pool.price()
        liquidity = int(chain.call(pool.contract.functions.liquidity()))
        fee = f"{pool.fee / 10_000:.2f}%"
        table.add_row(name, pool.address, fee, f"{price:.4f}", str(tick), str(liquidity))
    console.print(table)


@app.command()
def backtest(
    strategy: str = typer.Option(
        "passive,fixed,charm,ai", help="Comma-separated strategies: passive, fixed, charm, ai."
    ),
    seeds: int = typer.Option(20, help="Held-out price paths to run (seeds 1000, 1001, ...)."),
    steps: int = typer.Option(24 * 7, help="Hours of market per run (after a day of warm-up)."),
    plot: Path | None = typer.Option(Path("defi-backtest.png"), help="Write the PNG plot here."),
    json_out: Path | None = typer.Option(None, "--json", help="Write every run's figures here (JSON)."),
) -> None:
    """Backtest LP strategies on the real pool (local node; each run is rewound after it)."""
    from aiweb3.chain import deploy_system, dev_account
    from aiweb3.defi import defi_up
    from aiweb3.defi.backtest import (
        HELD_OUT_SEED0,
        STRATEGIES,
        BacktestConfig,
        default_price_model,
        fund_trader,
        plot_results,
        prepare_ai_model,
        run_backtest,
        summarize,
    )
    from aiweb3.defi.vault import system_registry
    from aiweb3.files import atomic_write_json

    names = [s.strip() for s in strategy.split(",") if s.strip()]
    unknown = [n for n in names if n not in STRATEGIES] or ([] if names else ["(none)"])
    if unknown:
        raise InputError(f"unknown strategy {unknown[0]!r}; use one or more of {', '.join(STRATEGIES)}")
    if seeds < 1 or steps < 24:
        raise InputError("--seeds must be at least 1 and --steps at least 24 (one rebalance period)")
    ctx = Context()
    if not ctx.is_local:
        raise InputError("backtests mint test tokens and rewind the chain: run them on the local node")
    chain, home = ctx.chain, ctx.settings.home
    deployer, lp, trader = dev_account(0), dev_account(7), dev_account(8)
    config = BacktestConfig(steps=steps)
    prices = default_price_model()
    ai_model, registry = None, None
    if "ai" in names:
        deploy_system(chain, deployer, home)
        err_console.print("[dim]training, compiling and registering the strategy model…[/dim]")
        ai_model = prepare_ai_model(chain, deployer, home, prices, config.strategy)
        registry = system_registry(chain, home)
    market = defi_up(chain, deployer, home)
    fund_trader(chain, market, trader)
    results = run_backtest(
        chain, market, deployer, lp, trader,
        strategies=names, seeds=range(HELD_OUT_SEED0, HELD_OUT_SEED0 + seeds), config=config,
        price_model=prices, ai_model=ai_model, registry=registry,
        on_result=lambda r: err_console.print(
            f"[dim]{r.strategy} seed {r.seed}: {100 * r.net_after_gas:+.3f}% after gas[/dim]"
        ),
    )  # fmt: skip
    summary = summarize(results)
    table = Table("strategy", "runs", "net vs hold", "after gas", "gas", "rebalances", "proving s")
    for name, s in summary.items():
        table.add_row(
            name, f"{s['runs']:.0f}", f"{100 * s['net_vs_hold']:+.3f}%", f"{100 * s['net_after_gas']:+.3f}%",
            f"{s['gas']:.0f}", f"{s['rebalances']:.0f}", f"{s['prove_seconds']:.1f}",
        )  # fmt: skip
    console.print(table)
    console.print("medians over held-out seeds; every run was rewound on the chain after it")
    if plot is not None:
        console.print(f"plot: {plot_results(results, plot)}")
    if json_out is not None:
        atomic_write_json(json_out, {"summary": summary, "runs": [r.to_json() for r in results]})
        console.print(f"runs: {json_out}")
