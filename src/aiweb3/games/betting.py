"""Client of the ``BetMarket`` contract: parimutuel bets on arena matches, settled by the arena."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address
from web3.contract import Contract

from aiweb3.agents import AgentWallet, Payment
from aiweb3.chain import Chain, Deployments, artifact
from aiweb3.errors import InputError
from aiweb3.games.arena import Signer

__all__ = ["BetMarket", "Pools"]


@dataclass(frozen=True)
class Pools:
    """The AIUSD bet on each side of a match."""

    on_a: int
    on_b: int

    @property
    def total(self) -> int:
        """Both sides together."""
        return self.on_a + self.on_b

    def odds(self, side: int) -> float | None:
        """What one unit on ``side`` returns if it wins (None while nobody bet on it)."""
        on_side = self.on_a if side == 0 else self.on_b
        return self.total / on_side if on_side else None


class BetMarket:
    """The deployed ``BetMarket`` on one chain."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address = to_checksum_address(address)
        self.contract: Contract = chain.contract(artifact("BetMarket").abi, self.address)
        self.token: Contract = chain.contract(
            artifact("AIUSD").abi, chain.call(self.contract.functions.token())
        )

    @classmethod
    def from_home(cls, chain: Chain, home: Path) -> BetMarket:
        """The market recorded in ``<home>/deployments`` (``aiweb3 game up``)."""
        return cls(chain, Deployments(home, chain.chain_id).address("BetMarket"))

    def _send(self, signer: Signer, fn: Any, payment: Payment | None = None) -> dict[str, Any]:
        if isinstance(signer, AgentWallet):
            return dict(signer.transact(self.chain, fn, payment))
        return self.chain.transact(signer, fn)

    def bet(self, signer: Signer, match_id: int, side: int, amount: int) -> dict[str, Any]:
        """Bet ``amount`` AIUSD base units on ``side`` (0: the creator, 1: the joiner) of an open match.

        Raises:
            InputError: a side other than 0 or 1, or an amount that is not positive.
            TransactionReverted: ``BettingClosed`` once the match has started.
        """
        if side not in (0, 1):
            raise InputError(f"side must be 0 (the match's creator) or 1 (the joiner), not {side}")
        if amount <= 0:
            raise InputError("a bet must be a positive amount of AIUSD")
        approve = self.token.functions.approve(self.address, amount)
        purpose = f"bet on match {match_id}, side {side}"
        self._send(
            signer, approve, Payment("transaction", self.token.address, self.address, amount, None, purpose)
        )
        return self._send(signer, self.contract.functions.bet(match_id, side, amount))

    def withdraw(self, signer: Signer, match_id: int) -> dict[str, Any]:
        """Take back one's bets on a match that has not started."""
        return self._send(signer, self.contract.functions.withdraw(match_id))

    def claim(self, signer: Signer, match_id: int) -> int:
        """Collect winnings or a refund after the match; returns the amount paid."""
        receipt = self._send(signer, self.contract.functions.claim(match_id))
        return int(self.chain.events(self.contract, "BetPaid", receipt)[0]["amount"])

    def pools(self, match_id: int) -> Pools:
        """The pool on each side."""
        on_a, on_b = self.chain.call(self.contract.functions.totals(match_id))
        return Pools(int(on_a), int(on_b))

    def bets_of(self, match_id: int, bettor: str) -> tuple[int, int]:
        """A bettor's unclaimed bets on each side."""
        on_a, on_b = self.chain.call(self.contract.functions.betsOf(match_id, to_checksum_address(bettor)))
        return int(on_a), int(on_b)
