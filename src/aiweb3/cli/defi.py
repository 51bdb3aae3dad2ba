"""``aiweb3 defi`` — real Uniswap v3 on the local chain, market simulation and LP backtests."""

from __future__ import annotations

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
