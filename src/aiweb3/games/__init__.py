"""On-chain games with AI: an arena with committed moves, bots written in plain language.

The arena's rules live in ``GameArena`` (contracts/src/GameArena.sol) and, exactly mirrored, in
:mod:`aiweb3.games.rules`. See docs/games.md.
"""

from aiweb3.games.arena import Arena, MatchStatus, MatchView, Mover, PlayedMatch, TurnRecord
from aiweb3.games.deploy import GAME_CONTRACTS, deploy_games
from aiweb3.games.rules import (
    Action,
    EndReason,
    Fighter,
    Outcome,
    commitment,
    start_fighters,
    step,
    turn_seed,
)

__all__ = [
    "GAME_CONTRACTS",
    "Action",
    "Arena",
    "EndReason",
    "Fighter",
    "MatchStatus",
    "MatchView",
    "Mover",
    "Outcome",
    "PlayedMatch",
    "TurnRecord",
    "commitment",
    "deploy_games",
    "start_fighters",
    "step",
    "turn_seed",
]
