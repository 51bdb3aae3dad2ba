"""``aiweb3 defi protect|credit`` — proven liquidation protection and credit scores across chains.

Registered on the ``defi`` command group (``aiweb3.cli.defi``) from here, so the group's module
stays as it is; ``aiweb3.cli.main`` loads the group through this module.
"""

from __future__ import annotations

import logging

import typer
from rich.table import Table

from aiweb3.cli.context import Context, console, err_console
from aiweb3.cli.defi import app
from aiweb3.cli.defi_structured import structured_app
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import InputError

__all__ = ["app", "credit_app", "protect_app", "structured_app"]

logging.getLogger("ezkl").setLevel(logging.CRITICAL)

protect_app = typer.Typer(
    help="Liquidation protection by a proven risk model (see docs/defi-credit.md).", no_args_is_help=True
)
credit_app = typer.Typer(help="Credit scores over wallets linked across chains.", no_args_is_help=True)
app.add_typer(protect_app, name="protect")
app.add_typer(credit_app, name="credit")


def _progress(text: str) -> None:
    err_console.print(f"[dim]{text}…[/dim]")


def _require_local(ctx: Context) -> None:
    if not ctx.is_local or ctx.chain.chain_id != LOCAL_CHAIN_ID:
        raise InputError("the demo mints test tokens and moves the clock: run it on the local chain only")


@protect_app.command("simulate")
def simulate(
    paths: int = typer.Option(200, min=10, max=5000, help="Held-out crash paths (seeds 0..N-1)."),
    calm: bool = typer.Option(False, "--calm", help="Paths without a crash (false alarms)."),
) -> None:
    """Compare no protection, the usual fixed rule, a tuned fixed rule and the risk model on
    simulated paths (off chain, seeded; the model was tuned on other seeds)."""
    from aiweb3.defi.protect import TRAIN_SEEDS, load_risk_policy, model_policy
    from aiweb3.defi.protect_sim import (
        PathConfig,
        crash_path,
        fixed_rule,
        no_protection,
        simulate,
        summarize,
        tune_rule,
    )

    config = PathConfig(crash=not calm)
    tuned = tune_rule(fixed_rule, TRAIN_SEEDS, PathConfig())
    policies = {
        "none": no_protection,
        "fixed rule (1.25 -> 1.5)": fixed_rule(1.25, 1.5),
        f"tuned fixed rule ({tuned[0]} -> {tuned[1]})": fixed_rule(*tuned),
        "risk model (proven on chain)": model_policy(load_risk_policy()),
    }
    runs = [crash_path(s, config) for s in range(paths)]
    table = Table("policy", "liquidations", "debt repaid early", "actions per path")
    for name, policy in policies.items():
        s = summarize([simulate(p, h, policy, config) for p, h in runs])
        table.add_row(name, f"{s.liquidations}/{s.paths}", f"{s.cost:.1%}", f"{s.actions:.2f}")
    console.print(table)


@protect_app.command("demo")
def protect_demo(
    crash: float = typer.Option(0.25, help="How far the whale's sale moves the spot price (0.25 = 25%)."),
    account: str | None = typer.Option(None, help="Deployer: keystore name/address or dev:N."),
) -> None:
    """On the local chain's TETH/TUSD pool (`aiweb3 defi up`): a crash, a proven protection and
    a liquidation of the unprotected borrower."""
    from aiweb3.defi.protect_demo import run_protection_demo

    if not 0.0 < crash < 0.9:
        raise InputError("--crash must be a fraction between 0 and 0.9, e.g. 0.25")
    ctx = Context()
    _require_local(ctx)
    demo = run_protection_demo(
        ctx.chain, ctx.signer(account), ctx.settings.home, crash=crash, on_progress=_progress
    )
    console.print(f"market {demo.market}, guard {demo.guard}, risk model {demo.model_id}")
    console.print(f"spot price {demo.price[0]:.2f} -> {demo.price[1]:.2f} TUSD per TETH")
    hf, move = demo.step.inputs
    console.print(f"proven inputs: health factor {hf:.4f}, spot / TWAP - 1 = {move:+.4f}")
    if demo.step.acted:
        console.print(f"decision: repay {demo.step.share:.1%} of the debt (guard gas {demo.step.gas_used})")
    else:
        console.print(f"decision: no action (share {demo.step.share:.3f})")
    p = demo.protected_health
    console.print(f"protected borrower: health {p[0]:.3f} -> {p[1]:.3f} -> {p[2]:.3f} after the TWAP lag")
    e = demo.exposed_health
    state = "liquidated" if demo.liquidated else "not liquidated"
    console.print(f"unprotected borrower: health {e[0]:.3f} -> {e[1]:.3f}, {state}")


@credit_app.command("demo")
def credit_demo(
    account: str | None = typer.Option(None, help="Deployer: keystore name/address or dev:N."),
) -> None:
    """Link a wallet on a second local chain, index both chains, prove a score, lower the
    collateral requirement (starts and stops the second node itself)."""
    from aiweb3.defi.credit_demo import run_credit_demo

    ctx = Context()
    _require_local(ctx)
    demo = run_credit_demo(ctx.chain, ctx.signer(account), ctx.settings.home, on_progress=_progress)
    a, b = demo.chain_ids
    console.print(f"primary {demo.primary} on chain {a}, linked {demo.linked} on chain {b}")
    console.print("features: " + ", ".join(f"{k} {v}" for k, v in demo.counts.items()))
    console.print(f"proven score {demo.score:.3f}: collateral factor +{demo.bonus:.3f} (gas {demo.gas})")
    before, after = (x / 10**18 for x in demo.limits)
    console.print(f"borrow limit {before:,.2f} -> {after:,.2f} TUSD")
