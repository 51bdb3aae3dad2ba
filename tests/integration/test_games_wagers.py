"""Wagers and betting on the real node: a player's bot from plain language fights an autonomous AI
player's bot for a stake; spectators' parimutuel bets settle on the arena's result; bets after the
start revert; the AI player's spend policy bounds what it wagers."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.agents import AgentWallet, SpendPolicy
from aiweb3.chain import Chain, Deployment
from aiweb3.errors import PolicyViolation, TransactionReverted
from aiweb3.games import Arena, MatchStatus, deploy_games
from aiweb3.games.arena import bot_mover
from aiweb3.games.betting import BetMarket
from aiweb3.games.botlang import Bot
from aiweb3.games.compose import write_bot
from aiweb3.games.league import leaderboard
from aiweb3.games.players import AIPlayer
from aiweb3.games.simulate import reference_bot

pytestmark = pytest.mark.timeout(300)
AIUSD = 10**6


@pytest.fixture(scope="module")
def games(
    chain: Chain, deployer: LocalAccount, module_home: Path, deployments: dict[str, Deployment]
) -> tuple[Arena, BetMarket]:
    deployed = deploy_games(chain, deployer, module_home)
    return Arena(chain, deployed["GameArena"].address), BetMarket(chain, deployed["BetMarket"].address)


def _ai(arena: Arena, market: BetMarket, key: LocalAccount, limit: int, bots: list[Bot]) -> AIPlayer:
    token = arena.token.address
    policy = SpendPolicy(limit, 100 * limit).allowing(
        tokens=[token], counterparties=[arena.address], contracts=[arena.address]
    )
    return AIPlayer(AgentWallet(key, policy, name="ai-player"), bots, base_wager=limit // 2, sims=30)


def _balance(chain: Chain, aiusd: Contract, who: str) -> int:
    return int(chain.call(aiusd.functions.balanceOf(who)))


def test_player_bot_fights_ai_player_for_a_wager_and_spectators_bets_settle(
    games: tuple[Arena, BetMarket], accounts: list[LocalAccount], aiusd: Contract, chain: Chain
) -> None:
    arena, market = games
    human, ai_key, fan_a, fan_b, fan_c = accounts[0], accounts[1], accounts[2], accounts[3], accounts[4]
    bot = write_bot("keep distance, attack when the enemy is low, defend when my energy is under 3").bot
    stake = 4 * AIUSD
    match_id = arena.create(human, stake=stake, timeout=600, bot=bot.bot_id)

    market.bet(fan_a, match_id, 0, 3 * AIUSD)
    market.bet(fan_b, match_id, 1, 2 * AIUSD)
    market.bet(fan_c, match_id, 1, 1 * AIUSD)
    market.bet(fan_c, match_id, 0, 5 * AIUSD)
    market.withdraw(fan_c, match_id)  # changed their mind before the start
    assert market.pools(match_id).total == 5 * AIUSD

    stable = [reference_bot("rusher"), reference_bot("kiter"), reference_bot("turtle")]
    ai = _ai(arena, market, ai_key, 10 * AIUSD, stable)
    known = {bot.bot_id: bot}
    choice = ai.pick_match(arena, known.get)
    assert choice is not None and choice.match_id == match_id and choice.wager == stake
    assert choice.expected_win_rate > 0.5
    ai.join(arena, choice)
    assert ai.wallet.log.records[-1].amount == stake  # the stake went through the spend policy
    with pytest.raises(TransactionReverted, match="BettingClosed"):
        market.bet(fan_c, match_id, 0, AIUSD)

    before = {x.address: _balance(chain, aiusd, x.address) for x in (human, ai_key, fan_a, fan_b)}
    played = arena.play(match_id, (human, ai.wallet), (bot_mover(bot), bot_mover(choice.bot)))
    view = played.view
    assert view.status == MatchStatus.FINISHED and view.bots == (bot.bot_id, choice.bot.bot_id)
    assert view.winner in (human.address, ai_key.address)  # one of them won: no draw in this pairing
    winner_side = 0 if view.winner == human.address else 1
    assert _balance(chain, aiusd, view.winner) == before[view.winner] + 2 * stake

    winner_fan, loser_fan = (fan_a, fan_b) if winner_side == 0 else (fan_b, fan_a)
    assert market.claim(winner_fan, match_id) == 5 * AIUSD  # the whole pool: alone on the winning side
    with pytest.raises(TransactionReverted, match="NothingToClaim"):
        market.claim(loser_fan, match_id)
    assert _balance(chain, aiusd, market.address) == 0
    record = ai.record(arena)
    assert record.games == 1 and record.wins == (1 if winner_side == 1 else 0)
    by_bot = {s.key: s for s in leaderboard(arena)}
    winning_bot = (bot if winner_side == 0 else choice.bot).bot_id.hex()
    assert by_bot[winning_bot].wins == 1 and by_bot[winning_bot].points == 3
    by_player = {s.key: s for s in leaderboard(arena, by="player")}
    assert by_player[view.winner].wins == 1


def test_ai_player_wager_follows_its_record_within_its_policy(
    games: tuple[Arena, BetMarket], accounts: list[LocalAccount]
) -> None:
    arena, market = games
    ai = _ai(arena, market, accounts[5], 2 * AIUSD, [reference_bot("rusher")])
    from aiweb3.games.simulate import Record

    assert ai.wager(Record(0, 0, 0)) == AIUSD
    assert ai.wager(Record(6, 0, 0)) == 2 * AIUSD  # doubled, capped at the per-payment limit
    assert ai.wager(Record(0, 6, 0)) == AIUSD // 2
    big = arena.create(accounts[6], stake=5 * AIUSD, timeout=600)
    picked = ai.pick_match(arena, lambda _: None)
    assert picked is None or picked.match_id != big  # over what its record lets it stake
    with pytest.raises(PolicyViolation, match="per-payment limit"):
        arena.join(ai.wallet, big)
    assert arena.match(big).status == MatchStatus.OPEN
    arena.cancel(accounts[6], big)
    with pytest.raises(TransactionReverted, match="NotSettled"):
        market.claim(accounts[6], arena.create(accounts[6], timeout=600))
