"""Play bots against each other off chain with the mirrored rules (fast, deterministic per seed).

The reference bots are the scripted opponents a new bot is measured against.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from aiweb3.games.botlang import Bot, decide, parse_bot
from aiweb3.games.rules import Fighter, Outcome, outcome_after, start_fighters, step, turn_seed

__all__ = ["REFERENCE_BOTS", "Record", "play_local", "reference_bot", "win_rate"]

#: Scripted opponents, by name.
REFERENCE_BOTS: dict[str, str] = {
    "rusher": "when distance <= 2 and my_energy >= 2: attack\nwhen distance > 1: approach\notherwise: rest\n",
    "turtle": (
        "when distance <= 2 and my_energy >= 2 and enemy_hp <= 4: attack\n"
        "when distance <= 2: defend\notherwise: rest\n"
    ),
    "kiter": (
        "when distance == 2 and my_energy >= 2: attack\nwhen distance < 2: retreat\n"
        "when distance > 2 and my_energy >= 2: approach\notherwise: rest\n"
    ),
}


def reference_bot(name: str) -> Bot:
    """A reference bot by name (``rusher``, ``turtle``, ``kiter``)."""
    return parse_bot(REFERENCE_BOTS[name])


def play_local(a: Bot, b: Bot, rng: random.Random) -> tuple[Outcome, tuple[Fighter, Fighter], int]:
    """Play one match (``a`` is the first player); salts drawn from ``rng``.

    Returns the outcome, the final fighters and the number of turns.
    """
    fa, fb = start_fighters()
    turn = 0
    while True:
        act_a, act_b = decide(a, fa, fb, turn), decide(b, fb, fa, turn)
        seed = turn_seed(rng.randbytes(32), rng.randbytes(32))
        fa, fb = step(fa, fb, act_a, act_b, seed)
        end = outcome_after(fa, fb, turn)
        if end is not None:
            return end, (fa, fb), turn + 1
        turn += 1


@dataclass(frozen=True)
class Record:
    """Wins, losses and draws of one bot over a series."""

    wins: int
    losses: int
    draws: int

    @property
    def games(self) -> int:
        """Matches played."""
        return self.wins + self.losses + self.draws

    @property
    def win_rate(self) -> float:
        """Wins per match (0 when none were played)."""
        return self.wins / self.games if self.games else 0.0


def win_rate(bot: Bot, opponent: Bot, matches: int = 200, seed: int = 0) -> Record:
    """Play ``matches`` matches, alternating who moves as the first player."""
    rng = random.Random(seed)
    wins = losses = draws = 0
    for n in range(matches):
        first = n % 2 == 0
        end, _, _ = play_local(bot, opponent, rng) if first else play_local(opponent, bot, rng)
        mine = 0 if first else 1
        if end.winner is None:
            draws += 1
        elif end.winner == mine:
            wins += 1
        else:
            losses += 1
    return Record(wins, losses, draws)
