"""``aiweb3 defi`` — real Uniswap v3 on the local chain, market simulation and LP backtests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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
    table = Table(
        "strategy", "runs", "fees", "IL", "net vs hold", "after gas", "gas", "rebalances", "proving s"
    )
    for name, s in summary.items():
        table.add_row(
            name, f"{s['runs']:.0f}",
            f"{100 * s['fee_return']:+.3f}%", f"{100 * s['impermanent_loss']:+.3f}%",
            f"{100 * s['net_vs_hold']:+.3f}%", f"{100 * s['net_after_gas']:+.3f}%",
            f"{s['gas']:.0f}", f"{s['rebalances']:.0f}", f"{s['prove_seconds']:.1f}",
        )  # fmt: skip
    console.print(table)
    console.print("medians over held-out seeds; every run was rewound on the chain after it")
    if plot is not None:
        console.print(f"plot: {plot_results(results, plot)}")
    if json_out is not None:
        atomic_write_json(json_out, {"summary": summary, "runs": [r.to_json() for r in results]})
        console.print(f"runs: {json_out}")
    _keep_report(home, "lp", summary, [r.to_json() for r in results], plot)


def _keep_report(
    home: Path, kind: str, summary: dict[str, dict[str, float]], runs: list[dict[str, Any]], plot: Path | None
) -> None:
    """Save the backtest as the last of its kind for the dashboard's DeFi page."""
    from aiweb3.defi.reports import save_backtest_report

    seeds = sorted({int(r["seed"]) for r in runs})
    path = save_backtest_report(home, kind, summary, runs, seeds=seeds, png=plot)
    err_console.print(f"[dim]kept for the dashboard's DeFi page: {path}[/dim]")


def _vault(ctx: Context, name: str) -> tuple[Any, dict[str, Any]]:
    from aiweb3.defi.uniswap import recorded
    from aiweb3.defi.vault import Vault

    vaults = recorded(ctx.settings.home, ctx.chain.chain_id, "vaults")
    if name not in vaults:
        known = ", ".join(sorted(vaults)) or "none"
        raise InputError(f"no vault {name!r} (known: {known}); create one with `aiweb3 defi vault NAME`")
    return Vault(ctx.chain, vaults[name]["address"]), vaults[name]


@app.command()
def vault(
    name: str = typer.Argument(..., help="A name for the vault."),
    proven: bool = typer.Option(
        False, "--proven", help="AI vault: rebalances only with a proof of the model."
    ),
    limit_width: int = typer.Option(1200, help="Limit-order width in ticks (0: none)."),
    twap_window: int = typer.Option(6 * 3600, help="TWAP window in seconds."),
    account: str | None = typer.Option(None, help="Deployer and keeper: keystore name/address or dev:N."),
) -> None:
    """Create a LiquidityVault on the TETH/TUSD pool (`aiweb3 defi up` first)."""
    from aiweb3.defi import load_market
    from aiweb3.defi.backtest import default_price_model, prepare_ai_model
    from aiweb3.defi.uniswap import record_entry
    from aiweb3.defi.vault import Vault, VaultConfig, system_registry
    from aiweb3.defi.vault_model import StrategyConfig

    ctx = Context()
    chain, home, signer = ctx.chain, ctx.settings.home, ctx.signer(account)
    market = load_market(chain, home)
    config = VaultConfig(twap_window=twap_window, limit_width=limit_width)
    model = None
    if proven:
        err_console.print("[dim]training, compiling and registering the strategy model…[/dim]")
        model = prepare_ai_model(chain, signer, home, default_price_model(), StrategyConfig())
    created = Vault.deploy(
        chain, signer, market.pool, keeper=signer.address, config=config,
        model=model, registry=system_registry(chain, home) if proven else None,
    )  # fmt: skip
    record_entry(
        home, chain.chain_id, "vaults", name,
        {"address": created.address, "proven": proven, "model_id": model.model_id if model else None},
    )  # fmt: skip
    console.print(f"vault {name}: {created.address} ({'proven AI' if proven else 'keeper-managed'})")


lp_app = typer.Typer(help="Deposit into and withdraw from a vault.", no_args_is_help=True)
app.add_typer(lp_app, name="lp")


@lp_app.command("deposit")
def lp_deposit(
    name: str = typer.Argument(..., help="The vault's name."),
    base: float = typer.Argument(..., help="TETH to deposit (at most)."),
    quote: float = typer.Argument(..., help="TUSD to deposit (at most)."),
    mint: bool = typer.Option(False, "--mint", help="Mint the test tokens first (test chains)."),
    account: str | None = typer.Option(None, help="Depositor: keystore name/address or dev:N."),
) -> None:
    """Deposit in the ratio of the vault's holdings; prints the shares received."""
    from aiweb3.defi import load_market, mint_tokens

    if base < 0 or quote < 0 or base + quote == 0:
        raise InputError("deposit amounts must not be negative and not both zero")
    ctx = Context()
    chain, signer = ctx.chain, ctx.signer(account)
    handle, _ = _vault(ctx, name)
    market = load_market(chain, ctx.settings.home)
    b, q = int(base * 10**18), int(quote * 10**18)
    if mint:
        mint_tokens(chain, signer, market.base.address, signer.address, b)
        mint_tokens(chain, signer, market.quote.address, signer.address, q)
    a0, a1 = (b, q) if market.base_is_token0 else (q, b)
    shares, d0, d1 = handle.deposit(signer, a0, a1)
    console.print(f"deposited {d0 / 1e18:.6f} token0 and {d1 / 1e18:.6f} token1 for {shares} shares")


@lp_app.command("withdraw")
def lp_withdraw(
    name: str = typer.Argument(..., help="The vault's name."),
    shares: int | None = typer.Option(None, help="Shares to burn (default: all you hold)."),
    account: str | None = typer.Option(None, help="Holder: keystore name/address or dev:N."),
) -> None:
    """Withdraw your part of the vault."""
    ctx = Context()
    signer = ctx.signer(account)
    handle, _ = _vault(ctx, name)
    held = handle.shares_of(signer.address)
    amount = held if shares is None else shares
    if amount <= 0 or amount > held:
        raise InputError(f"you hold {held} shares of {name}; pass --shares between 1 and that")
    a0, a1 = handle.withdraw(signer, amount)
    console.print(f"withdrew {a0 / 1e18:.6f} token0 and {a1 / 1e18:.6f} token1")


@lp_app.command("show")
def lp_show(name: str = typer.Argument(..., help="The vault's name.")) -> None:
    """The vault's holdings, ranges and features."""
    ctx = Context()
    handle, info = _vault(ctx, name)
    t0, t1 = handle.total_amounts()
    lower, upper = handle.base_range()
    console.print(
        f"vault {name} {handle.address} ({'proven AI' if info.get('proven') else 'keeper-managed'})"
    )
    console.print(f"holds {t0 / 1e18:.6f} token0, {t1 / 1e18:.6f} token1; base range [{lower}, {upper})")


@app.command()
def rebalance(
    name: str = typer.Argument(..., help="The vault's name."),
    half_width: int = typer.Option(600, help="Keeper-managed vaults: base half-width in ticks."),
    account: str | None = typer.Option(None, help="Keeper (or, for AI vaults, anyone)."),
) -> None:
    """Rebalance: a proven vault proves its model on the pool's features now; others re-centre."""
    from aiweb3.defi.vault import ProvenKeeper
    from aiweb3.zkml import CompiledModel

    ctx = Context()
    signer = ctx.signer(account)
    handle, info = _vault(ctx, name)
    if info.get("proven"):
        model = CompiledModel.load(ctx.settings.home, str(info["model_id"]))
        keeper = ProvenKeeper(handle, model, signer)
        proof = keeper.propose()
        receipt = handle.rebalance_with_proof(signer, proof)
        console.print(f"model chose ±{keeper.half_width(proof):.2f} tick spacings; proof verified on chain")
    else:
        spacing = handle.pool.tick_spacing
        tick = handle.pool.slot0()[1]
        centre = tick // spacing * spacing
        half = max(spacing, half_width // spacing * spacing)
        receipt = handle.rebalance(signer, centre - half, centre + half)
    lower, upper = handle.base_range()
    console.print(f"base range [{lower}, {upper}), gas {receipt['gasUsed']}")
