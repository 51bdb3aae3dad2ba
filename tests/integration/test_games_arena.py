"""GameArena on the real node: the Python rules mirror the contract exactly (hypothesis
differential tests of single turns and of whole matches played by commit and reveal), stakes go to
the winner, a bad reveal loses, a silent player forfeits at the deadline, and an unjoined match
refunds its creator."""

from __future__ import annotations

import secrets

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3.contract import Contract

from aiweb3.chain import Chain, Deployment
from aiweb3.errors import TransactionReverted
from aiweb3.games import (
    Action,
    Arena,
    EndReason,
    Fighter,
    MatchStatus,
    deploy_games,
    start_fighters,
    step,
    turn_seed,
)
from aiweb3.games.rules import SIZE, outcome_after

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def arena(
    chain: Chain, deployer: LocalAccount, module_home: object, deployments: dict[str, Deployment]
) -> Arena:
    from pathlib import Path

    games = deploy_games(chain, deployer, Path(str(module_home)))
    return Arena(chain, games["GameArena"].address)


coords = st.integers(0, SIZE - 1)
fighters = st.builds(Fighter, coords, coords, st.integers(0, 10), st.integers(0, 10))
actions = st.integers(0, len(Action) - 1)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=fighters, b=fighters, act_a=actions, act_b=actions, seed=st.binary(min_size=32, max_size=32))
def test_step_matches_contract(
    arena: Arena, a: Fighter, b: Fighter, act_a: int, act_b: int, seed: bytes
) -> None:
    if (a.x, a.y) == (b.x, b.y):
        b = Fighter((b.x + 1) % SIZE, b.y, b.hp, b.energy)
    assert step(a, b, act_a, act_b, seed) == arena.chain_step(a, b, act_a, act_b, seed)


def test_step_rejects_unknown_action(arena: Arena) -> None:
    a, b = start_fighters()
    with pytest.raises(TransactionReverted, match="BadAction"):
        arena.chain_step(a, b, 7, 0, b"\0" * 32)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=st.lists(st.tuples(actions, actions), min_size=1, max_size=8))
def test_matches_played_on_chain_follow_the_mirror(
    arena: Arena, accounts: list[LocalAccount], script: list[tuple[int, int]]
) -> None:
    p, q = accounts[0], accounts[1]
    match_id = arena.create(p, timeout=600)
    arena.join(q, match_id)
    played = arena.play(match_id, (p, q), (lambda v, i: script[v.turn][i], lambda v, i: script[v.turn][i]),
                        max_turns=len(script))  # fmt: skip
    fa, fb = start_fighters()
    for record in played.turns:
        fa, fb = step(fa, fb, *record.actions, record.seed)
        assert record.fighters == (fa, fb)
        assert record.actions == script[record.turn]
    assert played.view.fighters == (fa, fb)
    assert arena.turns(match_id) == played.turns  # the replay from chain events
    end = outcome_after(fa, fb, played.turns[-1].turn)
    if end is None:
        assert played.view.status == MatchStatus.COMMITTING
    else:
        assert played.view.status == MatchStatus.FINISHED and played.view.reason == end.reason
        expected = None if end.winner is None else (p.address, q.address)[end.winner]
        assert played.view.winner == expected


def _charge(view: object, i: int) -> int:
    """Walk toward the other fighter along the row and attack when in range (rest when tired)."""
    from aiweb3.games import MatchView
    from aiweb3.games.rules import distance

    assert isinstance(view, MatchView)
    me, other = view.fighters[i], view.fighters[1 - i]
    if distance(me, other) <= 1:
        return Action.ATTACK if me.energy >= 2 else Action.REST
    return Action.RIGHT if me.x < other.x else Action.LEFT


def _rest(view: object, i: int) -> int:
    return Action.REST


def test_winner_takes_both_stakes(
    arena: Arena, accounts: list[LocalAccount], aiusd: Contract, chain: Chain
) -> None:
    p, q = accounts[2], accounts[3]
    stake = 25 * 10**6
    before = [chain.call(aiusd.functions.balanceOf(x.address)) for x in (p, q)]
    match_id = arena.create(p, stake=stake, opponent=q.address, timeout=600)
    assert chain.call(aiusd.functions.balanceOf(arena.address)) >= stake
    arena.join(q, match_id)
    played = arena.play(match_id, (p, q), (_charge, _rest))
    view = played.view
    assert view.status == MatchStatus.FINISHED and view.reason == EndReason.KNOCKOUT
    assert view.winner == p.address and view.fighters[1].hp == 0
    after = [chain.call(aiusd.functions.balanceOf(x.address)) for x in (p, q)]
    assert after == [before[0] + stake, before[1] - stake]


def test_uninvited_player_cannot_join(arena: Arena, accounts: list[LocalAccount]) -> None:
    match_id = arena.create(accounts[0], opponent=accounts[1].address)
    with pytest.raises(TransactionReverted, match="NotInvited"):
        arena.join(accounts[2], match_id)
    with pytest.raises(TransactionReverted, match="NotInvited"):
        arena.join(accounts[0], match_id)


def test_reveal_that_does_not_match_its_commit_loses(
    arena: Arena, accounts: list[LocalAccount], aiusd: Contract, chain: Chain
) -> None:
    p, q = accounts[4], accounts[5]
    stake = 10**6
    match_id = arena.create(p, stake=stake)
    arena.join(q, match_id)
    salt_p, salt_q = secrets.token_bytes(32), secrets.token_bytes(32)
    arena.commit(p, match_id, 0, Action.REST, salt_p)
    arena.commit(q, match_id, 0, Action.DEFEND, salt_q)
    arena.reveal(p, match_id, Action.REST, salt_p)
    balance_q = chain.call(aiusd.functions.balanceOf(q.address))
    arena.reveal(q, match_id, Action.ATTACK, salt_q)  # not what q committed
    view = arena.match(match_id)
    assert view.status == MatchStatus.FINISHED and view.reason == EndReason.BAD_REVEAL
    assert view.winner == p.address
    assert chain.call(aiusd.functions.balanceOf(q.address)) == balance_q
    with pytest.raises(TransactionReverted, match="WrongStatus"):
        arena.commit(q, match_id, 1, Action.REST, salt_q)


def test_player_who_stops_revealing_forfeits(
    arena: Arena, accounts: list[LocalAccount], chain: Chain
) -> None:
    p, q = accounts[6], accounts[7]
    match_id = arena.create(p, timeout=60)
    arena.join(q, match_id)
    salt = secrets.token_bytes(32)
    arena.commit(p, match_id, 0, Action.REST, salt)
    arena.commit(q, match_id, 0, Action.REST, secrets.token_bytes(32))
    arena.reveal(p, match_id, Action.REST, salt)
    with pytest.raises(TransactionReverted, match="TooEarly"):
        arena.claim_timeout(p, match_id)
    chain.rpc("evm_increaseTime", [61])
    chain.rpc("evm_mine", [])
    with pytest.raises(TransactionReverted, match="DeadlinePassed"):
        arena.reveal(q, match_id, Action.REST, salt)
    arena.claim_timeout(accounts[8], match_id)  # anyone may settle it
    view = arena.match(match_id)
    assert view.winner == p.address and view.reason == EndReason.TIMEOUT


def test_nobody_committing_is_a_draw_and_cancel_refunds(
    arena: Arena, accounts: list[LocalAccount], aiusd: Contract, chain: Chain
) -> None:
    p, q = accounts[0], accounts[1]
    stake = 3 * 10**6
    before = [chain.call(aiusd.functions.balanceOf(x.address)) for x in (p, q)]
    match_id = arena.create(p, stake=stake, timeout=30)
    arena.join(q, match_id)
    chain.rpc("evm_increaseTime", [31])
    chain.rpc("evm_mine", [])
    arena.claim_timeout(p, match_id)
    view = arena.match(match_id)
    assert view.status == MatchStatus.FINISHED and view.winner is None
    assert [chain.call(aiusd.functions.balanceOf(x.address)) for x in (p, q)] == before
    open_id = arena.create(p, stake=stake)
    with pytest.raises(TransactionReverted, match="NotCreator"):
        arena.cancel(q, open_id)
    arena.cancel(p, open_id)
    assert arena.match(open_id).status == MatchStatus.CANCELLED
    assert chain.call(aiusd.functions.balanceOf(p.address)) == before[0]
    with pytest.raises(TransactionReverted, match="WrongStatus"):
        arena.join(q, open_id)


def test_turn_seed_uses_both_salts() -> None:
    s1, s2 = b"\x01" * 32, b"\x02" * 32
    assert turn_seed(s1, s2) != turn_seed(s2, s1) != turn_seed(s1, s1)
