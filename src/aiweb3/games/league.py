"""Leaderboards from the chain: every finished arena match, by bot and by player."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from aiweb3.games.arena import Arena

__all__ = ["Standing", "leaderboard"]


@dataclass(frozen=True)
class Standing:
    """One bot's (or player's) results; ``key`` is the bot id in hex or the player's address."""

    key: str
    wins: int
    losses: int
    draws: int

    @property
    def played(self) -> int:
        """Finished matches."""
        return self.wins + self.losses + self.draws

    @property
    def points(self) -> int:
        """Three per win, one per draw."""
        return 3 * self.wins + self.draws


def leaderboard(arena: Arena, *, by: str = "bot", from_block: int = 0) -> list[Standing]:
    """Standings from the ``MatchFinished`` events, best first (points, then wins, then fewest played).

    Args:
        by: "bot" (matches with no declared bot count under the zero id) or "player".
    """
    if by not in ("bot", "player"):
        raise ValueError("by must be 'bot' or 'player'")
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for log in arena.contract.events.MatchFinished().get_logs(from_block=from_block):
        view = arena.match(int(log["args"]["matchId"]))
        if view.b is None:
            continue
        winner = log["args"]["winner"]
        sides = [(view.a, view.bots[0]), (view.b, view.bots[1])]
        for player, bot in sides:
            key = player if by == "player" else bot.hex()
            if int(winner, 16) == 0:
                tally[key][2] += 1
            elif winner == player:
                tally[key][0] += 1
            else:
                tally[key][1] += 1
    rows = [Standing(k, w, lo, d) for k, (w, lo, d) in tally.items()]
    return sorted(rows, key=lambda s: (-s.points, -s.wins, s.played, s.key))
