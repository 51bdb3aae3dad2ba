"""The bot language: parsing, refusals with line and reason, decisions, content ids; and bots from
plain language (the deterministic reading) judged by their decisions."""

from __future__ import annotations

import pytest

from aiweb3.errors import InputError
from aiweb3.games.botlang import MAX_RULES, BotError, decide, describe, parse_bot
from aiweb3.games.compose import read_strategy, refine_bot, write_bot
from aiweb3.games.rules import Action, Fighter
from aiweb3.games.simulate import REFERENCE_BOTS, reference_bot, win_rate

PROGRAM = """# keep distance, finish them off
when enemy_hp <= 4 and distance <= 2: attack
when my_energy < 3: defend
when distance < 2: retreat
otherwise: rest
"""


def test_parse_decide_and_canonical_id() -> None:
    bot = parse_bot(PROGRAM)
    assert len(bot.rules) == 3 and bot.otherwise == "rest"
    me, enemy = Fighter(2, 3, 10, 5), Fighter(4, 3, 3, 5)
    assert decide(bot, me, enemy, 0) == Action.ATTACK
    assert decide(bot, Fighter(2, 3, 10, 2), Fighter(4, 3, 9, 5), 0) == Action.DEFEND
    assert decide(bot, me, Fighter(3, 3, 9, 5), 0) == Action.LEFT  # retreat: away from the enemy
    assert decide(bot, me, Fighter(6, 3, 9, 5), 0) == Action.REST
    # the id names the canonical text: comments, case and spacing do not change it
    messy = PROGRAM.upper().replace(" <= ", "<=").replace("# KEEP", "#  keep")
    assert parse_bot(messy).bot_id == bot.bot_id
    assert parse_bot(bot.source()) == bot
    assert parse_bot(PROGRAM.replace("<= 4", "<= 5")).bot_id != bot.bot_id
    assert "When the enemy's hit points is at most 4" in describe(bot)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("when distance < 2: teleport\n", "line 1: unknown action 'teleport'"),
        ("otherwise: rest\nwhile true: attack\n", "line 2: loops are not allowed"),
        ("when distance < 2: rest\nrepeat: attack\n", "line 2: loops are not allowed"),
        ("when mana > 2: attack\n", "line 1: unknown variable 'mana'"),
        ("when distance lots: attack\n", "line 1: cannot read condition"),
        ("attack\n", "line 1: expected 'when <condition>: <action>'"),
        ("otherwise: rest\nwhen distance < 1: attack\n", "line 2: nothing may follow 'otherwise'"),
        ("when distance < 1000: attack\n", "line 1: number 1000 out of range"),
        ("when turn > 1: rest\n" * (MAX_RULES + 1), f"line {MAX_RULES + 1}: too large"),
        ("#" * 5000, "too large: 5000 bytes"),
    ],
)
def test_invalid_bots_are_refused_with_line_and_reason(text: str, message: str) -> None:
    with pytest.raises(BotError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_bot(text)


def test_decisions_stay_on_the_grid() -> None:
    bot = parse_bot("otherwise: retreat\n")
    # cornered with the enemy next to it: no move gains distance, so it defends
    assert decide(bot, Fighter(0, 0, 5, 5), Fighter(1, 0, 5, 5), 0) == Action.DOWN
    assert decide(bot, Fighter(0, 0, 5, 5), Fighter(1, 1, 5, 5), 0) == Action.DEFEND


def test_the_issue_strategy_behaves_as_described() -> None:
    bot = read_strategy("keep distance, attack when the enemy is low, defend when my energy is under 3")
    # the enemy is low and in range: attack
    assert decide(bot, Fighter(1, 3, 8, 6), Fighter(3, 3, 3, 6), 5) == Action.ATTACK
    # the enemy is low but far: close in
    assert decide(bot, Fighter(0, 3, 8, 6), Fighter(5, 3, 3, 6), 5) == Action.RIGHT
    # my energy under 3 (and the enemy healthy): defend
    assert decide(bot, Fighter(1, 3, 8, 2), Fighter(3, 3, 9, 6), 5) == Action.DEFEND
    # enemy healthy and adjacent, energy fine: keep distance
    assert decide(bot, Fighter(2, 3, 8, 6), Fighter(3, 3, 9, 6), 5) == Action.LEFT
    # enemy far: close to distance 3, never into melee
    assert decide(bot, Fighter(0, 3, 8, 6), Fighter(6, 3, 9, 6), 5) == Action.RIGHT
    assert decide(bot, Fighter(3, 3, 8, 6), Fighter(6, 3, 9, 6), 5) == Action.REST


def test_other_phrasings() -> None:
    rush = read_strategy("rush the enemy and attack when close")
    assert decide(rush, Fighter(0, 3, 9, 5), Fighter(6, 3, 9, 5), 0) == Action.RIGHT
    assert decide(rush, Fighter(4, 3, 9, 5), Fighter(5, 3, 9, 5), 0) == Action.ATTACK
    careful = read_strategy("rest when my energy is below 2, attack when in range, otherwise approach")
    assert decide(careful, Fighter(4, 3, 9, 1), Fighter(5, 3, 9, 5), 0) == Action.REST
    assert decide(careful, Fighter(4, 3, 9, 4), Fighter(6, 3, 9, 5), 0) == Action.ATTACK
    with pytest.raises(InputError, match="could not find a strategy"):
        read_strategy("be excellent to each other")
    with pytest.raises(InputError, match="describe the strategy"):
        write_bot("   ")


def test_refine_puts_the_new_instruction_first() -> None:
    draft = write_bot("attack when in range, otherwise approach")
    assert draft.author == "rules"
    refined = refine_bot(draft.bot, "retreat when my hp is under 4").bot
    assert refined.rules[0].action == "retreat" and refined.rules[0].conditions[0].var == "my_hp"
    assert decide(refined, Fighter(3, 3, 3, 5), Fighter(4, 3, 9, 5), 0) == Action.LEFT
    assert decide(refined, Fighter(3, 3, 8, 5), Fighter(4, 3, 9, 5), 0) == Action.ATTACK
    assert refined.bot_id != draft.bot.bot_id


def test_simulation_is_deterministic_and_sides_alternate() -> None:
    rusher = reference_bot("rusher")
    record = win_rate(rusher, rusher, 40, seed=7)
    assert record.games == 40 and record == win_rate(rusher, rusher, 40, seed=7)
    assert set(REFERENCE_BOTS) == {"rusher", "turtle", "kiter"}
    # a bot that only rests never wins against one that attacks
    idle = parse_bot("otherwise: rest\n")
    assert win_rate(idle, rusher, 20).wins == 0
