"""Autonomous AI players: an agent wallet with a spend policy, a stable of bots, and a record.

An :class:`AIPlayer` picks an opponent among the open matches, chooses the bot from its stable that
does best against the opponent's bot (simulated with the mirrored rules), and decides how much to
wager from its record on chain — all within the wallet's spend policy, which refuses anything over
its limits before a transaction is signed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiweb3.agents import AgentWallet
from aiweb3.games.arena import Arena, MatchStatus, MatchView
from aiweb3.games.botlang import Bot
from aiweb3.games.simulate import REFERENCE_BOTS, Record, reference_bot, win_rate

__all__ = ["AIPlayer", "Choice"]

#: Looks a bot up by its id (None when unknown), e.g. ``BotStore.load`` wrapped.
BotLookup = Callable[[bytes], Bot | None]


@dataclass(frozen=True)
class Choice:
    """What the player decided for one match, and why."""

    match_id: int
    bot: Bot
    wager: int
    expected_win_rate: float
    reason: str


class AIPlayer:
    """An AI player.

    Args:
        wallet: its agent wallet; the policy must allow AIUSD, and the arena as contract and counterparty.
        bots: the bots it may field.
        base_wager: the stake (AIUSD base units) it puts up with an even record.
        sims: matches simulated per candidate bot when choosing.
    """

    def __init__(self, wallet: AgentWallet, bots: list[Bot], *, base_wager: int, sims: int = 60) -> None:
        if not bots:
            raise ValueError("an AI player needs at least one bot")
        self.wallet = wallet
        self.bots = bots
        self.base_wager = base_wager
        self.sims = sims

    def record(self, arena: Arena) -> Record:
        """Wins, losses and draws in the arena, from its ``MatchFinished`` events."""
        wins = losses = draws = 0
        me = self.wallet.address
        for log in arena.contract.events.MatchFinished().get_logs(from_block=0):
            view = arena.match(int(log["args"]["matchId"]))
            if me not in (view.a, view.b):
                continue
            winner = log["args"]["winner"]
            if int(winner, 16) == 0:
                draws += 1
            elif winner == me:
                wins += 1
            else:
                losses += 1
        return Record(wins, losses, draws)

    def wager(self, record: Record) -> int:
        """The stake it is willing to put up: the base stake scaled by its record (x0.5 .. x2),
        never over the wallet's per-payment limit. Fewer than three games: the base stake."""
        if record.games < 3:
            scaled = self.base_wager
        else:
            edge = (record.wins - record.losses) / record.games  # -1 .. 1
            scaled = int(self.base_wager * (1 + edge)) if edge >= 0 else int(self.base_wager * (1 + edge / 2))
        return max(0, min(scaled, self.wallet.policy.per_payment_limit))

    def choose_bot(self, opponent: Bot | None) -> tuple[Bot, float]:
        """Its best bot against ``opponent`` (or against the reference bots on average)."""
        rivals = [opponent] if opponent is not None else [reference_bot(n) for n in REFERENCE_BOTS]
        scored = []
        for bot in self.bots:
            rates = [win_rate(bot, rival, self.sims).win_rate for rival in rivals]
            scored.append((sum(rates) / len(rates), bot))
        rate, best = max(scored, key=lambda pair: pair[0])
        return best, rate

    def pick_match(self, arena: Arena, lookup: BotLookup, *, scan: int = 50) -> Choice | None:
        """The open match (of the last ``scan``) it most expects to win, at a stake it accepts."""
        limit = self.wager(self.record(arena))
        best: Choice | None = None
        count = arena.match_count()
        for match_id in range(count, max(0, count - scan), -1):
            view = arena.match(match_id)
            if not self._may_join(view, limit):
                continue
            opponent = lookup(view.bots[0]) if any(view.bots[0]) else None
            bot, rate = self.choose_bot(opponent)
            if rate <= 0.5 or (best is not None and rate <= best.expected_win_rate):
                continue
            why = f"expects to win {rate:.0%} with this bot; stake {view.stake} within its limit {limit}"
            best = Choice(match_id, bot, view.stake, rate, why)
        return best

    def _may_join(self, view: MatchView, limit: int) -> bool:
        me = self.wallet.address
        invited = view.b is None or view.b == me
        return view.status == MatchStatus.OPEN and view.a != me and invited and view.stake <= limit

    def join(self, arena: Arena, choice: Choice) -> None:
        """Join the chosen match with the chosen bot (the stake goes through the spend policy)."""
        arena.join(self.wallet, choice.match_id, bot=choice.bot.bot_id)

    def open_match(self, arena: Arena, *, opponent: str | None = None, timeout: int = 300) -> Choice:
        """Open a match at the stake its record supports, fielding its best bot against the references."""
        stake = self.wager(self.record(arena))
        bot, rate = self.choose_bot(None)
        match_id = arena.create(self.wallet, stake=stake, opponent=opponent, timeout=timeout, bot=bot.bot_id)
        return Choice(match_id, bot, stake, rate, f"its record supports a stake of {stake}")
