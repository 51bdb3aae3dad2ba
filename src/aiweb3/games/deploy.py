"""Deploy the game contracts (``aiweb3 game up``): the arena, the bot registry, the betting market."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment, SystemContract, deploy_system

__all__ = ["GAME_CONTRACTS", "deploy_games"]

#: The game contracts in deployment order (AIUSD first: the arena holds stakes in it).
GAME_CONTRACTS: list[SystemContract] = [
    SystemContract("AIUSD"),
    SystemContract("GameArena", args=lambda d: [d["AIUSD"]]),
    SystemContract("BotRegistry"),
    SystemContract("BetMarket", args=lambda d: [d["GameArena"]]),
]


def deploy_games(
    chain: Chain,
    deployer: LocalAccount,
    home: Path,
    *,
    on_progress: Callable[[str, str], None] | None = None,
) -> dict[str, Deployment]:
    """Deploy (or reuse, when unchanged) the game contracts; recorded in ``<home>/deployments``."""
    return deploy_system(chain, deployer, home, contracts=GAME_CONTRACTS, on_progress=on_progress)
