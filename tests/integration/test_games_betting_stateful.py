"""Property-based stateful test of BetMarket (with a fresh GameArena) on the real node.

Hypothesis opens matches, places and withdraws bets, starts matches, ends them every way the arena
allows (a draw, a win for either side through a forfeit, a cancellation) and claims. After every
step the market holds exactly the bets not yet paid out; at the end every bettor can claim, the
market is empty, winners never get back less than they bet and losers get nothing — no sequence
locks or loses funds.
"""

from __future__ import annotations

import secrets

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from web3.contract import Contract

from aiweb3.chain import Chain, Deployment, artifact
from aiweb3.errors import TransactionReverted
from aiweb3.games import Arena, MatchStatus
from aiweb3.games.betting import BetMarket

AIUSD = 10**6


@pytest.mark.timeout(300)
def test_bet_market_never_locks_or_loses_funds(
    chain: Chain,
    deployer: LocalAccount,
    deployments: dict[str, Deployment],
    aiusd: Contract,
    accounts: list[LocalAccount],
) -> None:
    arena_art, market_art = artifact("GameArena"), artifact("BetMarket")
    arena_addr, _ = chain.deploy(deployer, arena_art.abi, arena_art.bytecode, deployments["AIUSD"].address)
    market_addr, _ = chain.deploy(deployer, market_art.abi, market_art.bytecode, arena_addr)
    arena, market = Arena(chain, arena_addr), BetMarket(chain, market_addr)
    players, bettors = accounts[0:2], accounts[2:6]

    def balance(who: str) -> int:
        return int(chain.call(aiusd.functions.balanceOf(who)))

    class Machine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.matches: list[int] = []
            self.bets: dict[tuple[int, int], list[int]] = {}  # (match, bettor) -> [on A, on B]
            self.paid: dict[tuple[int, int], int] = {}
            self.outstanding = balance(market.address)

        def _status(self, m: int) -> MatchStatus:
            return arena.match(m).status

        @rule()
        def open_match(self) -> None:
            if len(self.matches) < 4:
                self.matches.append(arena.create(players[0], opponent=players[1].address, timeout=30))

        @precondition(lambda self: self.matches)
        @rule(data=st.data(), bettor=st.integers(0, 3), side=st.integers(0, 1), amount=st.integers(1, 5))
        def bet(self, data: st.DataObject, bettor: int, side: int, amount: int) -> None:
            m = data.draw(st.sampled_from(self.matches))
            try:
                market.bet(bettors[bettor], m, side, amount * AIUSD)
            except TransactionReverted as exc:
                assert exc.error_name == "BettingClosed" and self._status(m) != MatchStatus.OPEN
                return
            self.bets.setdefault((m, bettor), [0, 0])[side] += amount * AIUSD
            self.outstanding += amount * AIUSD

        @precondition(lambda self: self.bets)
        @rule(data=st.data())
        def withdraw(self, data: st.DataObject) -> None:
            m, bettor = data.draw(st.sampled_from(sorted(self.bets)))
            try:
                market.withdraw(bettors[bettor], m)
            except TransactionReverted as exc:
                assert exc.error_name in ("BettingClosed", "NothingToClaim")
                return
            self.outstanding -= sum(self.bets.pop((m, bettor)))

        @precondition(lambda self: self.matches)
        @rule(data=st.data(), how=st.sampled_from(["draw", "a", "b", "cancel"]))
        def end(self, data: st.DataObject, how: str) -> None:
            m = data.draw(st.sampled_from(self.matches))
            status = self._status(m)
            if how == "cancel":
                if status == MatchStatus.OPEN:
                    arena.cancel(players[0], m)
                return
            if status == MatchStatus.OPEN:
                arena.join(players[1], m)
            if self._status(m) != MatchStatus.COMMITTING:
                return
            if how in ("a", "b"):  # the other player never commits and forfeits
                arena.commit(players[0 if how == "a" else 1], m, 0, 0, secrets.token_bytes(32))
            chain.rpc("evm_increaseTime", [31])
            chain.rpc("evm_mine", [])
            arena.claim_timeout(players[0], m)

        @precondition(lambda self: self.bets)
        @rule(data=st.data())
        def claim(self, data: st.DataObject) -> None:
            m, bettor = data.draw(st.sampled_from(sorted(self.bets)))
            self._claim(m, bettor)

        def _claim(self, m: int, bettor: int) -> None:
            try:
                amount = market.claim(bettors[bettor], m)
            except TransactionReverted as exc:
                assert exc.error_name in ("NotSettled", "NothingToClaim")
                if exc.error_name == "NotSettled":
                    assert self._status(m) not in (MatchStatus.FINISHED, MatchStatus.CANCELLED)
                return
            self.paid[(m, bettor)] = amount
            self.outstanding -= amount
            assert amount >= 0

        @invariant()
        def market_holds_exactly_what_it_owes(self) -> None:
            assert balance(market.address) == self.outstanding

        def teardown(self) -> None:
            # end every match and let everyone claim: the market ends empty
            for m in self.matches:
                status = self._status(m)
                if status == MatchStatus.OPEN:
                    arena.cancel(players[0], m)
                elif status in (MatchStatus.COMMITTING, MatchStatus.REVEALING):
                    chain.rpc("evm_increaseTime", [31])
                    chain.rpc("evm_mine", [])
                    arena.claim_timeout(players[0], m)
            for m, bettor in sorted(self.bets):
                if (m, bettor) not in self.paid:
                    self._claim(m, bettor)
            assert balance(market.address) == self.outstanding == 0
            for (m, bettor), amount in self.paid.items():
                view = arena.match(m)
                placed = self.bets[(m, bettor)]
                if view.winner is None:
                    assert amount == sum(placed)  # refund
                else:
                    side = 0 if view.winner == view.a else 1
                    pool = market.pools(m)
                    on_winner = pool.on_a if side == 0 else pool.on_b
                    if on_winner:
                        assert amount >= placed[side]  # a winner never gets back less than it bet
                        assert placed[side] > 0
                    else:
                        assert amount == sum(placed)

    Machine.TestCase.settings = settings(
        max_examples=6, stateful_step_count=14, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )  # fmt: skip
    Machine.TestCase().runTest()
