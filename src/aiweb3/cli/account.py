"""``aiweb3 account new|import|list|balance|fund``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import typer
from rich.table import Table
from web3.contract import Contract

from aiweb3.chain import Deployments, artifact, checksum, dev_accounts
from aiweb3.cli.context import Context, console
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import ChainError, DeploymentError, InputError

app = typer.Typer(help="Manage signing accounts (encrypted keystore) and balances.", no_args_is_help=True)

AIUSD_DECIMALS = 6


UINT256_MAX = 2**256 - 1


def parse_amount(text: str, decimals: int = AIUSD_DECIMALS) -> int:
    """``"12.5"`` -> base units; refuses negatives, more decimals than the token has, and overflow."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InputError(f"{text!r} is not an amount (write e.g. 100 or 12.5)") from None
    if not value.is_finite():
        raise InputError(f"{text!r} is not an amount (write e.g. 100 or 12.5)")
    units = value.scaleb(decimals)
    if value < 0 or units != units.to_integral_value():
        raise InputError(f"{text!r}: amounts are positive with at most {decimals} decimals")
    if units > UINT256_MAX:
        raise InputError(f"{text!r} is too large for a token amount")
    return int(units)


def fmt_amount(units: int, decimals: int = AIUSD_DECIMALS) -> str:
    """Base units -> a decimal string (``1.5e+40`` past a quadrillion, never dozens of digits)."""
    value = Decimal(units).scaleb(-decimals)
    if abs(value) >= 10**15:
        return f"{float(value):.6g}"
    return f"{value:,.{decimals}f}".rstrip("0").rstrip(".")


def check_faucet(ctx: Context, usd: Contract, units: int) -> None:
    """Refuse (before anything is sent) an amount over the AIUSD faucet's per-call limit."""
    limit = int(ctx.chain.call(usd.functions.FAUCET_LIMIT()))
    if units > limit:
        raise InputError(
            f"the faucet mints at most {fmt_amount(limit)} AIUSD per call, not {fmt_amount(units)} AIUSD; "
            "ask for less (or fund several times)"
        )


@app.command()
def new(name: str = typer.Argument(..., help="A name for the account.")) -> None:
    """Create a fresh key, encrypted with a password (AIWEB3_PASSWORD or a prompt)."""
    ctx = Context()
    entry = ctx.keystore.new(name, ctx.password("New keystore password: ", confirm=True))
    console.print(f"created {entry.name}: {entry.address} ({entry.path})")


@app.command("import")
def import_(
    name: str = typer.Argument(..., help="A name for the account."),
) -> None:
    """Import a hex private key (read from a hidden prompt or AIWEB3_PRIVATE_KEY)."""
    import getpass
    import os

    ctx = Context()
    key = os.environ.get("AIWEB3_PRIVATE_KEY") or getpass.getpass("Private key (hex): ")
    entry = ctx.keystore.import_key(name, key, ctx.password("New keystore password: ", confirm=True))
    console.print(f"imported {entry.name}: {entry.address}")


@app.command("list")
def list_(dev: bool = typer.Option(False, help="Also list the local chain's dev accounts.")) -> None:
    """List keystore accounts (and dev accounts with --dev)."""
    ctx = Context()
    table = Table("name", "address", "kind")
    for entry in ctx.keystore.list():
        table.add_row(entry.name, entry.address, "keystore")
    if dev:
        for i, acct in enumerate(dev_accounts()):
            table.add_row(f"dev:{i}", acct.address, "dev (local chain only)")
    if not table.rows:
        console.print("no accounts yet; create one with `aiweb3 account new NAME`")
        return
    console.print(table)


def _resolve_address(ctx: Context, who: str) -> str:
    if who.startswith("0x"):
        return checksum(who)
    if who.startswith("dev:"):
        try:
            return dev_accounts(int(who[4:]) + 1)[-1].address
        except ValueError:
            raise InputError(f"{who!r}: write dev:N with a number N") from None
    return ctx.keystore.find(who).address


def _aiusd_address(ctx: Context) -> str | None:
    try:
        return Deployments(ctx.settings.home, ctx.chain.chain_id).address("AIUSD")
    except DeploymentError:
        return None


@app.command()
def balance(who: str = typer.Argument("dev:0", help="Name, address or dev:N.")) -> None:
    """Show ETH and AIUSD balances."""
    ctx = Context()
    address = _resolve_address(ctx, who)
    eth = ctx.chain.balance(address)
    console.print(f"{address}\n  ETH    {fmt_amount(eth, 18)}")
    token = _aiusd_address(ctx)
    if token:
        usd = ctx.chain.contract(artifact("AIUSD").abi, token)
        console.print(f"  AIUSD  {fmt_amount(ctx.chain.call(usd.functions.balanceOf(address)))}")
    else:
        console.print("  AIUSD  (not deployed here; run `aiweb3 deploy`)")


@app.command()
def fund(
    who: str = typer.Argument(..., help="Name, address or dev:N."),
    amount: str = typer.Option("1000", help="AIUSD to mint."),
    eth: str = typer.Option("10", help="ETH to add for gas."),
) -> None:
    """Fund an account from the local chain's faucet (AIUSD and ETH)."""
    ctx = Context()
    if ctx.chain.chain_id != LOCAL_CHAIN_ID:
        raise ChainError("the faucet works on the local chain only; fund accounts another way")
    address = _resolve_address(ctx, who)
    token = _aiusd_address(ctx)
    if token is None:
        raise DeploymentError("AIUSD is not deployed on the local chain; run `aiweb3 deploy`")
    units = parse_amount(amount)
    usd = ctx.chain.contract(artifact("AIUSD").abi, token)
    check_faucet(ctx, usd, units)
    ctx.chain.set_balance(address, ctx.chain.balance(address) + parse_amount(eth, 18))
    ctx.chain.transact(ctx.signer("dev:0"), usd.functions.faucet(address, units))
    console.print(f"funded {address} with {amount} AIUSD and {eth} ETH")
