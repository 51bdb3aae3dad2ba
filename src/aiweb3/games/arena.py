"""Client of the ``GameArena`` contract: open, join, commit, reveal, time out, and play a match.

:meth:`Arena.play` runs a whole match between two move-choosing callables on chain, turn by
turn: both players commit a salted move, then both reveal; the contract resolves the turn.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3.contract import Contract

from aiweb3.agents import AgentWallet, Payment
from aiweb3.chain import Chain, Deployments, artifact
from aiweb3.errors import DeploymentError, InputError
from aiweb3.games.botlang import Bot, decide
from aiweb3.games.rules import EndReason, Fighter, commitment

__all__ = ["Arena", "MatchStatus", "MatchView", "Mover", "PlayedMatch", "Signer", "TurnRecord", "bot_mover"]

ZERO = "0x0000000000000000000000000000000000000000"
ZERO32 = b"\0" * 32

#: Who signs: a plain key, or an agent wallet bound by its spend policy (stakes are checked and logged).
Signer = LocalAccount | AgentWallet

#: Chooses a move: (match view, index of the player it plays: 0 or 1) -> action number.
Mover = Callable[["MatchView", int], int]


class MatchStatus(IntEnum):
    """The contract's ``Status``."""

    NONE = 0
    OPEN = 1
    COMMITTING = 2
    REVEALING = 3
    FINISHED = 4
    CANCELLED = 5


@dataclass(frozen=True)
class MatchView:
    """A match as the contract holds it."""

    match_id: int
    a: str
    b: str | None
    stake: int
    status: MatchStatus
    reason: EndReason
    turn: int
    timeout: int
    deadline: int
    fighters: tuple[Fighter, Fighter]
    committed: tuple[bool, bool]
    revealed: tuple[bool, bool]
    winner: str | None
    bots: tuple[bytes, bytes]

    def player_index(self, address: str) -> int:
        """0 for the creator, 1 for the joiner."""
        if to_checksum_address(address) == self.a:
            return 0
        if self.b is not None and to_checksum_address(address) == self.b:
            return 1
        raise InputError(f"{address} does not play match {self.match_id}")


@dataclass(frozen=True)
class TurnRecord:
    """One resolved turn: both actions, the fighters after it and the turn's seed."""

    turn: int
    actions: tuple[int, int]
    fighters: tuple[Fighter, Fighter]
    seed: bytes


@dataclass
class PlayedMatch:
    """A match played through :meth:`Arena.play`: its final view, turns, gas and transactions."""

    view: MatchView
    turns: list[TurnRecord] = field(default_factory=list)
    gas: int = 0
    transactions: int = 0


def bot_mover(bot: Bot) -> Mover:
    """A :data:`Mover` that plays ``bot``."""

    def move(view: MatchView, i: int) -> int:
        return int(decide(bot, view.fighters[i], view.fighters[1 - i], view.turn))

    return move


def _fighter(t: Any) -> Fighter:
    return Fighter(int(t[0]), int(t[1]), int(t[2]), int(t[3]))


def _addr(value: str) -> str | None:
    return None if int(value, 16) == 0 else to_checksum_address(value)


class Arena:
    """The deployed ``GameArena`` on one chain."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address = to_checksum_address(address)
        self.contract: Contract = chain.contract(artifact("GameArena").abi, self.address)
        token = self.chain.call(self.contract.functions.token())
        self.token: Contract = chain.contract(artifact("AIUSD").abi, token)

    @classmethod
    def from_home(cls, chain: Chain, home: Path) -> Arena:
        """The arena recorded in ``<home>/deployments`` for this chain (``aiweb3 game up``).

        Raises DeploymentError when none is recorded, or when the chain has no code at the
        recorded address (a node reset since, or a reverted snapshot).
        """
        address = Deployments(home, chain.chain_id).address("GameArena")
        if not chain.code(address):
            raise DeploymentError(
                f"GameArena is recorded at {address} but this chain has no code there "
                "(the node was reset?); run `aiweb3 game up`"
            )
        return cls(chain, address)

    def _send(self, signer: Signer, fn: Any) -> dict[str, Any]:
        if isinstance(signer, AgentWallet):
            return dict(signer.transact(self.chain, fn))
        return self.chain.transact(signer, fn)

    def _approve(self, signer: Signer, amount: int, purpose: str) -> None:
        if amount <= 0:
            return
        fn = self.token.functions.approve(self.address, amount)
        if isinstance(signer, AgentWallet):
            payment = Payment(
                "transaction", self.token.address, self.address, amount, self.token.address, purpose
            )
            signer.transact(self.chain, fn, payment)
        else:
            self.chain.transact(signer, fn)

    # -- lifecycle --------------------------------------------------------------------------------
    def create(
        self,
        signer: Signer,
        *,
        stake: int = 0,
        opponent: str | None = None,
        timeout: int = 300,
        bot: bytes = ZERO32,
    ) -> int:
        """Open a match (the stake in AIUSD base units is approved and pulled); returns its id."""
        if stake < 0:
            raise InputError("stake must be zero or positive (AIUSD base units)")
        self._approve(signer, stake, "arena stake (new match)")
        fn = self.contract.functions.create(
            to_checksum_address(opponent) if opponent else ZERO, stake, timeout, bot
        )
        receipt = self._send(signer, fn)
        return int(self.chain.events(self.contract, "MatchCreated", receipt)[0]["matchId"])

    def join(self, signer: Signer, match_id: int, *, bot: bytes = ZERO32) -> dict[str, Any]:
        """Join an open match, matching its stake."""
        self._approve(signer, self.match(match_id).stake, f"arena stake (match {match_id})")
        return self._send(signer, self.contract.functions.join(match_id, bot))

    def cancel(self, signer: Signer, match_id: int) -> dict[str, Any]:
        """Withdraw a match nobody joined (creator only); the stake comes back."""
        return self._send(signer, self.contract.functions.cancel(match_id))

    def commit(self, signer: Signer, match_id: int, turn: int, action: int, salt: bytes) -> dict[str, Any]:
        """Commit ``action`` with ``salt`` for ``turn``."""
        c = commitment(match_id, turn, signer.address, action, salt)
        return self._send(signer, self.contract.functions.commit(match_id, c))

    def reveal(self, signer: Signer, match_id: int, action: int, salt: bytes) -> dict[str, Any]:
        """Reveal the committed move (a mismatch loses the match)."""
        return self._send(signer, self.contract.functions.reveal(match_id, action, salt))

    def claim_timeout(self, signer: Signer, match_id: int) -> dict[str, Any]:
        """Settle a match whose phase deadline passed."""
        return self._send(signer, self.contract.functions.claimTimeout(match_id))

    # -- reads ------------------------------------------------------------------------------------
    def match(self, match_id: int) -> MatchView:
        """One match as stored (status NONE for an id never opened)."""
        m = self.chain.call(self.contract.functions.getMatch(match_id))
        return MatchView(
            match_id=match_id,
            a=to_checksum_address(m[0]),
            b=_addr(m[1]),
            stake=int(m[2]),
            status=MatchStatus(int(m[3])),
            reason=EndReason(int(m[4])),
            turn=int(m[5]),
            timeout=int(m[6]),
            deadline=int(m[7]),
            fighters=(_fighter(m[8]), _fighter(m[9])),
            committed=(bytes(m[10]) != ZERO32, bytes(m[11]) != ZERO32),
            revealed=(bool(m[16]), bool(m[17])),
            winner=_addr(m[18]),
            bots=(bytes(m[19]), bytes(m[20])),
        )

    def match_count(self) -> int:
        """How many matches were ever opened."""
        return int(self.chain.call(self.contract.functions.matchCount()))

    def chain_step(
        self, a: Fighter, b: Fighter, act_a: int, act_b: int, seed: bytes
    ) -> tuple[Fighter, Fighter]:
        """The contract's rules for one turn (an ``eth_call`` of ``step``)."""
        out = self.chain.call(self.contract.functions.step(a.as_tuple(), b.as_tuple(), act_a, act_b, seed))
        return _fighter(out[0]), _fighter(out[1])

    def turns(self, match_id: int, from_block: int = 0) -> list[TurnRecord]:
        """Every resolved turn of a match, from the chain's ``TurnResolved`` events (a replay)."""
        logs = self.contract.events.TurnResolved().get_logs(
            from_block=from_block, argument_filters={"matchId": match_id}
        )
        return [_turn_record(dict(log["args"])) for log in logs]

    # -- play -------------------------------------------------------------------------------------
    def play(
        self,
        match_id: int,
        players: tuple[Signer, Signer],
        movers: tuple[Mover, Mover],
        *,
        max_turns: int | None = None,
    ) -> PlayedMatch:
        """Play a joined match to its end (or ``max_turns``): commit, reveal, repeat."""
        played = PlayedMatch(view=self.match(match_id))
        while played.view.status in (MatchStatus.COMMITTING, MatchStatus.REVEALING):
            if max_turns is not None and len(played.turns) >= max_turns:
                break
            view = played.view
            moves = [(movers[i](view, i), secrets.token_bytes(32)) for i in (0, 1)]
            for i in (0, 1):
                self._count(played, self.commit(players[i], match_id, view.turn, *moves[i]))
            last: dict[str, Any] = {}
            for i in (0, 1):
                last = self.reveal(players[i], match_id, *moves[i])
                self._count(played, last)
            played.turns += [_turn_record(e) for e in self.chain.events(self.contract, "TurnResolved", last)]
            played.view = self.match(match_id)
        return played

    @staticmethod
    def _count(played: PlayedMatch, receipt: dict[str, Any]) -> None:
        played.gas += int(receipt["gasUsed"])
        played.transactions += 1


def _turn_record(args: dict[str, Any]) -> TurnRecord:
    return TurnRecord(
        turn=int(args["turn"]),
        actions=(int(args["actionA"]), int(args["actionB"])),
        fighters=(_fighter(_tuple(args["fa"])), _fighter(_tuple(args["fb"]))),
        seed=bytes(args["seed"]),
    )


def _tuple(value: Any) -> Any:
    if isinstance(value, Mapping):
        return (value["x"], value["y"], value["hp"], value["energy"])
    return value
