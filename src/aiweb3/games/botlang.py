"""The bot language: rules on the visible state that pick an action, run top to bottom each turn.

A program is a few lines::

    # keep distance, attack when the enemy is low
    when enemy_hp <= 4 and distance <= 2: attack
    when my_energy < 3: defend
    when distance < 2: retreat
    otherwise: rest

Each ``when`` line holds up to four conditions ``<variable> <op> <number>`` joined by ``and``; the
first line whose conditions all hold gives the action, else ``otherwise`` (rest if absent). There
are no loops, calls, variables or I/O, so a turn takes at most ``MAX_RULES x MAX_CONDITIONS``
comparisons. A bot is named by the keccak256 of its canonical text (:attr:`Bot.bot_id`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from eth_utils import keccak

from aiweb3.errors import InputError
from aiweb3.games.rules import SIZE, Action, Fighter, distance

__all__ = [
    "ACTIONS",
    "MAX_CONDITIONS",
    "MAX_PROGRAM_BYTES",
    "MAX_RULES",
    "OPS",
    "VARIABLES",
    "Bot",
    "BotError",
    "Condition",
    "Rule",
    "decide",
    "describe",
    "parse_bot",
]

VarName = Literal[
    "my_hp", "my_energy", "enemy_hp", "enemy_energy", "distance", "turn", "my_x", "my_y", "enemy_x", "enemy_y"
]
OpName = Literal["<", "<=", ">", ">=", "==", "!="]
ActionName = Literal["rest", "up", "down", "left", "right", "attack", "defend", "approach", "retreat"]

VARIABLES: tuple[str, ...] = get_args(VarName)
OPS: tuple[str, ...] = get_args(OpName)
ACTIONS: tuple[str, ...] = get_args(ActionName)
MAX_RULES = 24
MAX_CONDITIONS = 4
MAX_PROGRAM_BYTES = 4096
MAX_VALUE = 99
_LOOP_WORDS = ("while", "repeat", "loop", "for", "goto", "until", "each")


class BotError(InputError):
    """A bot program the language refuses; the message names the line and the reason."""


@dataclass(frozen=True)
class Condition:
    """``variable op value``."""

    var: str
    op: str
    value: int

    def holds(self, state: dict[str, int]) -> bool:
        """Whether the condition is true in ``state``."""
        left = state[self.var]
        return {
            "<": left < self.value,
            "<=": left <= self.value,
            ">": left > self.value,
            ">=": left >= self.value,
            "==": left == self.value,
            "!=": left != self.value,
        }[self.op]

    def text(self) -> str:
        """Canonical text."""
        return f"{self.var} {self.op} {self.value}"


@dataclass(frozen=True)
class Rule:
    """``when <conditions>: <action>``."""

    conditions: tuple[Condition, ...]
    action: str


@dataclass(frozen=True)
class Bot:
    """A checked bot program."""

    rules: tuple[Rule, ...]
    otherwise: str = "rest"

    def __post_init__(self) -> None:
        if len(self.rules) > MAX_RULES:
            raise BotError(f"too large: {len(self.rules)} rules, at most {MAX_RULES}")
        for n, rule in enumerate(self.rules, 1):
            if not rule.conditions or len(rule.conditions) > MAX_CONDITIONS:
                raise BotError(f"rule {n}: needs 1 to {MAX_CONDITIONS} conditions")
            if rule.action not in ACTIONS:
                raise BotError(f"rule {n}: unknown action {rule.action!r} (use {', '.join(ACTIONS)})")
            for c in rule.conditions:
                if c.var not in VARIABLES or c.op not in OPS or not 0 <= c.value <= MAX_VALUE:
                    raise BotError(f"rule {n}: bad condition {c.text()!r}")
        if self.otherwise not in ACTIONS:
            raise BotError(f"unknown action {self.otherwise!r} after otherwise (use {', '.join(ACTIONS)})")

    def source(self) -> str:
        """The canonical program text (what :attr:`bot_id` hashes)."""
        lines = [f"when {' and '.join(c.text() for c in r.conditions)}: {r.action}" for r in self.rules]
        return "\n".join([*lines, f"otherwise: {self.otherwise}"]) + "\n"

    @property
    def bot_id(self) -> bytes:
        """keccak256 of the canonical text: the bot's content address."""
        return keccak(self.source().encode())

    def actions_used(self) -> set[str]:
        """Every action the program can choose."""
        return {r.action for r in self.rules} | {self.otherwise}


_COND = re.compile(r"^([a-z_]+)\s*(<=|>=|==|!=|<|>)\s*(-?\d+)$")


def parse_bot(text: str) -> Bot:
    """Parse and check a program.

    Raises:
        BotError: with the line number and reason (unknown action or variable, a loop, too large).
    """
    if len(text.encode()) > MAX_PROGRAM_BYTES:
        raise BotError(f"too large: {len(text.encode())} bytes, at most {MAX_PROGRAM_BYTES}")
    rules: list[Rule] = []
    otherwise: str | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip().lower()
        if not line:
            continue
        first = re.split(r"[\s:(]", line, maxsplit=1)[0]
        if first in _LOOP_WORDS:
            raise BotError(
                f"line {n}: loops are not allowed ({first!r}); each turn runs the rules once, top to bottom"
            )
        if otherwise is not None:
            raise BotError(f"line {n}: nothing may follow 'otherwise'")
        head, sep, action = line.rpartition(":")
        if not sep:
            raise BotError(f"line {n}: expected 'when <condition>: <action>' or 'otherwise: <action>'")
        action = action.strip()
        if action not in ACTIONS:
            raise BotError(f"line {n}: unknown action {action!r} (use {', '.join(ACTIONS)})")
        head = head.strip()
        if head == "otherwise":
            otherwise = action
            continue
        if not head.startswith("when "):
            raise BotError(f"line {n}: a rule starts with 'when' (or is 'otherwise: <action>')")
        parts = [p.strip() for p in head[5:].split(" and ")]
        if len(parts) > MAX_CONDITIONS:
            raise BotError(f"line {n}: {len(parts)} conditions, at most {MAX_CONDITIONS}")
        conds = []
        for part in parts:
            m = _COND.match(part)
            if not m:
                raise BotError(f"line {n}: cannot read condition {part!r}: write '<variable> <op> <number>'")
            var, op, value = m.group(1), m.group(2), int(m.group(3))
            if var not in VARIABLES:
                raise BotError(f"line {n}: unknown variable {var!r} (use {', '.join(VARIABLES)})")
            if not 0 <= value <= MAX_VALUE:
                raise BotError(f"line {n}: number {value} out of range 0..{MAX_VALUE}")
            conds.append(Condition(var, op, value))
        rules.append(Rule(tuple(conds), action))
        if len(rules) > MAX_RULES:
            raise BotError(f"line {n}: too large: more than {MAX_RULES} rules")
    return Bot(tuple(rules), otherwise or "rest")


def _state(me: Fighter, enemy: Fighter, turn: int) -> dict[str, int]:
    return {
        "my_hp": me.hp,
        "my_energy": me.energy,
        "enemy_hp": enemy.hp,
        "enemy_energy": enemy.energy,
        "distance": distance(me, enemy),
        "turn": turn,
        "my_x": me.x,
        "my_y": me.y,
        "enemy_x": enemy.x,
        "enemy_y": enemy.y,
    }


_MOVES = {Action.UP: (0, -1), Action.DOWN: (0, 1), Action.LEFT: (-1, 0), Action.RIGHT: (1, 0)}


def _moved(me: Fighter, action: Action) -> tuple[int, int] | None:
    dx, dy = _MOVES[action]
    x, y = me.x + dx, me.y + dy
    return (x, y) if 0 <= x < SIZE and 0 <= y < SIZE else None


def _approach(me: Fighter, enemy: Fighter) -> Action:
    dx, dy = enemy.x - me.x, enemy.y - me.y
    if abs(dx) + abs(dy) <= 1:
        return Action.REST
    if abs(dx) >= abs(dy):
        return Action.RIGHT if dx > 0 else Action.LEFT
    return Action.DOWN if dy > 0 else Action.UP


def _retreat(me: Fighter, enemy: Fighter) -> Action:
    here = distance(me, enemy)
    best, best_gain = Action.DEFEND, 0
    for action in (Action.LEFT, Action.RIGHT, Action.UP, Action.DOWN):
        cell = _moved(me, action)
        if cell is None:
            continue
        gain = abs(cell[0] - enemy.x) + abs(cell[1] - enemy.y) - here
        if gain > best_gain:
            best, best_gain = action, gain
    return best


def decide(bot: Bot, me: Fighter, enemy: Fighter, turn: int) -> Action:
    """The action ``bot`` picks, seeing itself as ``me`` (at most MAX_RULES x MAX_CONDITIONS steps)."""
    state = _state(me, enemy, turn)
    chosen = bot.otherwise
    for rule in bot.rules:
        if all(c.holds(state) for c in rule.conditions):
            chosen = rule.action
            break
    if chosen == "approach":
        return _approach(me, enemy)
    if chosen == "retreat":
        return _retreat(me, enemy)
    return Action[chosen.upper()]


_WORDS = {
    "my_hp": "my hit points",
    "my_energy": "my energy",
    "enemy_hp": "the enemy's hit points",
    "enemy_energy": "the enemy's energy",
    "distance": "the distance to the enemy",
    "turn": "the turn number",
    "my_x": "my column",
    "my_y": "my row",
    "enemy_x": "the enemy's column",
    "enemy_y": "the enemy's row",
}
_OP_WORDS = {
    "<": "is under",
    "<=": "is at most",
    ">": "is over",
    ">=": "is at least",
    "==": "is",
    "!=": "is not",
}
_ACTION_WORDS = {
    "rest": "rest (+2 energy)",
    "up": "move up",
    "down": "move down",
    "left": "move left",
    "right": "move right",
    "attack": "attack",
    "defend": "defend (halves damage, +1 energy)",
    "approach": "move toward the enemy",
    "retreat": "move away from the enemy",
}


def describe(bot: Bot) -> str:
    """The program in plain words, one sentence per rule."""
    lines = []
    for n, rule in enumerate(bot.rules, 1):
        cond = " and ".join(f"{_WORDS[c.var]} {_OP_WORDS[c.op]} {c.value}" for c in rule.conditions)
        lines.append(f"{n}. When {cond}: {_ACTION_WORDS[rule.action]}.")
    lines.append(f"{len(bot.rules) + 1}. Otherwise: {_ACTION_WORDS[bot.otherwise]}.")
    return "\n".join(lines)
