"""``aiweb3 index seed`` — fill the local chain with activity for every indexed contract.

Registered on the ``index`` command group (``aiweb3.cli.index``) from here, so the group's
module stays as it is; ``aiweb3.cli.main`` loads the group through this module.
"""

from __future__ import annotations

import typer

from aiweb3.cli.context import Context, console
from aiweb3.cli.index import app
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import InputError

__all__ = ["app", "seed"]


@app.command("seed")
def seed(
    days: int = typer.Option(8, min=1, max=60, help="Days of chain time to fill."),
    accounts: int = typer.Option(24, min=8, max=200, help="Accounts taking part."),
    per_day: int = typer.Option(60, min=1, max=2000, help="Token transfers per day."),
) -> None:
    """Seed the LOCAL chain: tokens, NFTs, ether, approvals, payments, escrow tasks, content,
    agents, dataset contributions and verified inferences (mints freely, moves the clock)."""
    from aiweb3.indexer.seed import seed_chain

    ctx = Context()
    chain = ctx.chain
    if chain.chain_id != LOCAL_CHAIN_ID:
        raise InputError(
            f"index seed only runs on the local chain (id {LOCAL_CHAIN_ID}), not chain {chain.chain_id}"
        )
    report = seed_chain(chain, ctx.settings.home, accounts=accounts, days=days, per_day=per_day)
    console.print(
        f"seeded {report.transactions} transactions over {report.days} days between {len(report.accounts)} "
        f"accounts; tokens {', '.join(sorted(report.tokens))}; `aiweb3 index run` indexes them"
    )
