"""The games demo on the local chain: a player's bot from plain language fights an AI player's bot
for a wager while a spectator bets, then NPC epochs are committed and a false challenge fails.

Every step reports one line through ``say``; the result holds what a caller checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiweb3.agents import AgentWallet, SpendPolicy
from aiweb3.chain import Chain, dev_account
from aiweb3.games.arena import Arena, bot_mover
from aiweb3.games.betting import BetMarket
from aiweb3.games.botlang import Bot, describe
from aiweb3.games.botstore import BotStore
from aiweb3.games.compose import write_bot
from aiweb3.games.deploy import deploy_games
from aiweb3.games.npc import Npc, NpcWorld, run_epoch
from aiweb3.games.players import AIPlayer, Choice
from aiweb3.games.simulate import reference_bot
from aiweb3.llm import LanguageModel

__all__ = ["DemoResult", "run_demo"]

AIUSD = 10**6


@dataclass(frozen=True)
class DemoResult:
    """What the demo did: the match, its winner, the bettor's payout and the NPC epochs."""

    match_id: int
    winner: str | None
    player: str
    ai_player: str
    bettor_paid: int
    bettor_side: int
    epochs_final: int
    false_challenge_failed: bool


def run_demo(
    chain: Chain,
    home: Path,
    description: str,
    *,
    llm: LanguageModel | None = None,
    stake: int = 5 * AIUSD,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Run the whole demo with dev accounts 1 (the player), 2 (the AI player), 3 and 4 (spectators),
    5 (a challenger) and 0 (the NPC operator). The accounts need AIUSD (the dev faucet)."""
    deployed = deploy_games(chain, dev_account(0), home)
    arena, market = (
        Arena(chain, deployed["GameArena"].address),
        BetMarket(chain, deployed["BetMarket"].address),
    )
    player, ai_key, fans = dev_account(1), dev_account(2), (dev_account(3), dev_account(4))
    for acct in (player, ai_key, *fans, dev_account(5), dev_account(0)):
        chain.transact(acct, arena.token.functions.faucet(acct.address, 100 * AIUSD))

    draft = write_bot(description, llm)
    bot = draft.bot
    BotStore(home).save(bot)
    author = "the model" if draft.author == "model" else "the rule reader"
    say(f"your bot {bot.bot_id.hex()[:12]} (written by {author}):")
    for line in describe(bot).splitlines():
        say(f"  {line}")
    match_id = arena.create(player, stake=stake, timeout=600, bot=bot.bot_id)
    say(f"match {match_id} open with a stake of {stake / AIUSD:g} AIUSD")

    market.bet(fans[0], match_id, 0, 3 * AIUSD)
    market.bet(fans[1], match_id, 1, 2 * AIUSD)
    say("spectators bet 3 AIUSD on your bot and 2 AIUSD on the opponent")

    policy = SpendPolicy(10 * AIUSD, 50 * AIUSD).allowing(
        tokens=[arena.token.address], counterparties=[arena.address], contracts=[arena.address]
    )
    stable = [reference_bot(name) for name in ("rusher", "kiter", "turtle")]
    ai = AIPlayer(AgentWallet(ai_key, policy, name="ai-player"), stable, base_wager=5 * AIUSD, sims=40)
    known: dict[bytes, Bot] = {bot.bot_id: bot}
    choice = ai.pick_match(arena, known.get)
    if choice is None:  # it expects to lose with every bot: it still takes the challenge, with its best
        best, rate = ai.choose_bot(bot)
        choice = Choice(match_id, best, stake, rate, f"takes the challenge, expecting to win {rate:.0%}")
    ai.join(arena, choice)
    say(f"AI player {ai_key.address[:10]}… joins: {choice.reason}")

    played = arena.play(match_id, (player, ai.wallet), (bot_mover(bot), bot_mover(choice.bot)))
    view = played.view
    who: dict[str, str] = {player.address: "your bot", ai_key.address: "the AI player"}
    ending = "a draw" if view.winner is None else f"{who[view.winner]} wins {2 * stake / AIUSD:g} AIUSD"
    say(f"match {match_id}: {len(played.turns)} turns, {played.transactions} transactions; {ending}")

    side = 0 if view.winner in (None, player.address) else 1
    paid = market.claim(fans[side], match_id)
    say(f"spectator {fans[side].address[:10]}… collects {paid / AIUSD:g} AIUSD from the pool")

    npcs = [Npc(0, 90, x=i, y=i, hp=10) for i in range(6)] + [
        Npc(1, 130, price=20, stock=4) for _ in range(6)
    ]
    seed = b"\x05" * 32
    world = NpcWorld.deploy(chain, dev_account(0), arena.token.address, npcs, world_seed=seed, ticks=8,
                            bond=10 * AIUSD, challenge_bond=2 * AIUSD, window=30)  # fmt: skip
    run = run_epoch(npcs, 0, 8, seed)
    world.post(dev_account(0), run)
    say(f"NPC epoch 0: {len(run.actions)} actions of {len(npcs)} NPCs committed in one transaction")
    _, _, before, after = run.actions[run.index(7, 3)]
    fraud = world.challenge_step(dev_account(5), 0, 7, 3, before, after, run.action_proof(7, 3))
    outcome = "proved fraud (unexpected)" if fraud else "fails and costs the challenger 2 AIUSD"
    say(f"a challenge of a correct NPC action {outcome}")
    chain.rpc("evm_increaseTime", [31])
    chain.rpc("evm_mine", [])
    world.finalize(dev_account(0), 0)
    say("epoch 0 is final")
    return DemoResult(match_id, view.winner, player.address, ai_key.address, paid, side,
                      1 if world.status(0) == "final" else 0, not fraud)  # fmt: skip
