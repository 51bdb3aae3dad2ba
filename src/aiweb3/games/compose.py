"""Bots from plain language: the language model writes a program under the bot language's schema,
which is checked against what the description asked for; a deterministic reading of the
description is the fallback (and the check).

``write_bot("keep distance, attack when the enemy is low, defend when my energy is under 3")``
gives a :class:`BotDraft`; :func:`refine_bot` applies a follow-up instruction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from aiweb3.errors import AIWeb3Error, InputError
from aiweb3.games.botlang import (
    MAX_CONDITIONS,
    MAX_RULES,
    ActionName,
    Bot,
    BotError,
    Condition,
    OpName,
    Rule,
    VarName,
)

if TYPE_CHECKING:
    from aiweb3.llm import LanguageModel

__all__ = ["BotDraft", "BotSpec", "read_strategy", "refine_bot", "write_bot"]

MAX_DESCRIPTION = 600


class ConditionSpec(BaseModel):
    """One condition, as the model writes it."""

    var: VarName
    op: OpName
    value: int = Field(ge=0, le=99)


class RuleSpec(BaseModel):
    """One rule, as the model writes it."""

    conditions: list[ConditionSpec] = Field(min_length=1, max_length=MAX_CONDITIONS)
    action: ActionName


class BotSpec(BaseModel):
    """A bot program in JSON: the schema the language model is held to."""

    rules: list[RuleSpec] = Field(max_length=12)
    otherwise: ActionName

    def to_bot(self) -> Bot:
        """The checked program."""
        return Bot(
            tuple(
                Rule(tuple(Condition(c.var, c.op, c.value) for c in r.conditions), r.action)
                for r in self.rules
            ),
            self.otherwise,
        )


@dataclass(frozen=True)
class BotDraft:
    """A generated bot: ``author`` is "model" or "rules" (the deterministic reading); ``note``
    says why the model's program was set aside, if it was, and ``rejected`` holds that program."""

    bot: Bot
    author: str
    note: str = ""
    rejected: Bot | None = None


# -- the deterministic reading ------------------------------------------------------------------

_ACTION_WORDS: list[tuple[str, str]] = [
    (
        r"keep (?:your |my )?distance|keep away|stay away|stay back|retreat|flee|run away|back off|kite",
        "retreat",
    ),
    (r"approach|close in|chase|rush|charge|advance|move toward|go toward|get close|hunt", "approach"),
    (r"attack|hit(?! points)|strike|shoot|fight|punch", "attack"),
    (r"defend|block|guard|shield|brace", "defend"),
    (r"rest|recharge|recover|wait|save energy", "rest"),
]
_COMPARATORS: list[tuple[str, str]] = [
    (r"at most|no more than|<=", "<="),
    (r"at least|no less than|>=", ">="),
    (r"under|below|less than|fewer than|lower than|<", "<"),
    (r"over|above|more than|greater than|higher than|>", ">"),
    (r"is exactly|equals|is|==|=", "=="),
]


def _subject(text: str) -> str | None:
    enemy = re.search(r"\b(enemy|opponent|foe|they|their|them|target)\b", text) is not None
    near_words = re.search(r"\b(distance|close|near|adjacent|far|in range|next to|away)\b", text)
    if near_words and not re.search(r"\b(energy|hp|health|life)\b", text):
        return "distance"
    if "energy" in text:
        return "enemy_energy" if enemy and not re.search(r"\bmy energy\b", text) else "my_energy"
    if re.search(r"\b(hp|health|life|low|weak|hurt|wounded|dying|strong|high)\b", text):
        if re.search(r"\b(my|i am|i'm|i)\b", text) and not enemy:
            return "my_hp"
        return "enemy_hp"
    return None


def _condition(text: str) -> list[Condition]:
    var = _subject(text)
    if var is None:
        return []
    number = re.search(r"(\d+)", text)
    if number is not None:
        value = min(int(number.group(1)), 99)
        for pattern, op in _COMPARATORS:
            if re.search(rf"(?:^|\s)(?:{pattern})(?:\s|$|\d)", text):
                return [Condition(var, op, value)]
        return [Condition(var, "<=", value)]
    if var == "distance":
        if re.search(r"\bfar\b|\baway\b", text):
            return [Condition("distance", ">=", 3)]
        if re.search(r"in range", text):
            return [Condition("distance", "<=", 2)]
        return [Condition("distance", "<=", 1)]
    if re.search(r"\b(high|full|strong)\b", text):
        return [Condition(var, ">=", 7)]
    return [Condition(var, "<", 3)] if "energy" in var else [Condition(var, "<=", 4)]


def _clauses(description: str) -> list[tuple[str, str]]:
    """(action, condition text) per clause, in the order written."""
    out: list[tuple[str, str]] = []
    for clause in re.split(r"[,;.]|\bthen\b|\botherwise\b|\bbut\b", description.lower()):
        clause = clause.strip()
        if not clause:
            continue
        found = sorted(
            (m.start(), action)
            for pattern, action in _ACTION_WORDS
            for m in re.finditer(rf"\b(?:{pattern})\b", clause)
        )
        # one clause may name several actions ("rush the enemy and attack when close"): each
        # action word starts a part that runs to the next one
        for n, (start, action) in enumerate(found):
            end = found[n + 1][0] if n + 1 < len(found) else len(clause)
            cond = re.search(r"\b(?:when|if|whenever|while|once|as soon as)\b(.*)", clause[start:end])
            out.append((action, cond.group(1).strip() if cond else ""))
    return out


def read_strategy(description: str) -> Bot:
    """The deterministic reading of a plain-language strategy.

    Conditional clauses become rules in the order written (an attack also needs the enemy in
    range and the energy to pay for it, and a conditional attack closes in when out of range);
    unconditional clauses set the stance the bot falls back to.

    Raises:
        InputError: nothing in the description names an action.
    """
    clauses = _clauses(description)
    if not clauses:
        raise InputError(
            "could not find a strategy in the description: say what to do and when "
            "(attack, defend, rest, keep distance, approach; e.g. 'defend when my energy is under 3')"
        )
    rules: list[Rule] = []
    stance: list[Rule] = []
    otherwise = "rest"
    in_range = Condition("distance", "<=", 2)
    can_attack = Condition("my_energy", ">=", 2)
    for action, cond_text in clauses:
        conds = [c for part in re.split(r"\band\b", cond_text) for c in _condition(part.strip())][:3]
        if conds:
            if action == "attack":
                extra = [] if any(c.var == "distance" for c in conds) else [in_range]
                rules.append(Rule((*conds, *extra, can_attack), "attack"))
                if extra:
                    rules.append(Rule(tuple(conds), "approach"))
            else:
                rules.append(Rule(tuple(conds), action))
        elif action == "retreat":
            stance += [
                Rule((Condition("distance", "<", 2),), "retreat"),
                Rule((Condition("distance", ">", 3),), "approach"),
            ]
        elif action == "approach":
            stance.append(Rule((Condition("distance", ">", 1),), "approach"))
        elif action == "attack":
            stance += [
                Rule((in_range, can_attack), "attack"),
                Rule((Condition("distance", ">", 2),), "approach"),
            ]
        else:
            otherwise = action
    merged: list[Rule] = []
    for rule in [*rules, *stance]:
        if rule not in merged:
            merged.append(rule)
    return Bot(tuple(merged[:MAX_RULES]), otherwise)


# -- the language model -------------------------------------------------------------------------

_SYSTEM = (
    "You write bots for a grid battle game. A bot is a list of rules checked in order; the first "
    "rule whose conditions all hold picks the action, else 'otherwise'. Variables: my_hp, "
    "enemy_hp (0-10), my_energy, enemy_energy (0-10), distance (0-12; attacks reach distance 2), "
    "turn. Actions: attack (costs 2 energy), defend, rest (+2 energy), approach, retreat, up, "
    "down, left, right. Answer with JSON only."
)
_EXAMPLE_IN = "attack when close, rest when my energy is under 2"
_EXAMPLE_OUT = (
    '{"rules": [{"conditions": [{"var": "my_energy", "op": "<", "value": 2}], "action": "rest"}, '
    '{"conditions": [{"var": "distance", "op": "<=", "value": 1}], "action": "attack"}], '
    '"otherwise": "approach"}'
)


def _asked_actions(text: str) -> set[str]:
    """The actions a description names (as the rule reader reads its clauses)."""
    return {action for action, _ in _clauses(text)}


def _check_intent(bot: Bot, asked: set[str]) -> str:
    """Empty when ``bot`` can take every action the description asked for, else the reason."""
    missing = asked - bot.actions_used()
    return f"the model's bot never does {', '.join(sorted(missing))}" if missing else ""


def _ask(llm: LanguageModel, messages: list[dict[str, str]]) -> Bot:
    from aiweb3.llm import OpenAICompatible

    if not isinstance(llm, OpenAICompatible):
        raise BotError("the model backend cannot answer under a schema")
    spec = llm.structured(messages, BotSpec, max_tokens=400, retries=1)  # type: ignore[arg-type]
    return spec.to_bot()


def _checked(description: str) -> str:
    text = description.strip()
    if not text:
        raise InputError("describe the strategy in words, e.g. 'attack when the enemy is close'")
    if len(text) > MAX_DESCRIPTION:
        raise InputError(f"the description is {len(text)} characters; keep it under {MAX_DESCRIPTION}")
    return text


def write_bot(description: str, llm: LanguageModel | None = None) -> BotDraft:
    """A bot for ``description``: the model's program when it is valid and does what was asked,
    else the deterministic reading."""
    text = _checked(description)
    wanted = read_strategy(text)
    if llm is None or not llm.available:
        return BotDraft(wanted, "rules", "no language model configured")
    messages = [
        {"role": "system", "content": _SYSTEM},
        {"role": "user", "content": _EXAMPLE_IN},
        {"role": "assistant", "content": _EXAMPLE_OUT},
        {"role": "user", "content": text},
    ]
    try:
        bot = _ask(llm, messages)
    except AIWeb3Error as exc:
        return BotDraft(wanted, "rules", f"the model's answer was refused: {exc}")
    reason = _check_intent(bot, _asked_actions(text))
    return BotDraft(wanted, "rules", reason, bot) if reason else BotDraft(bot, "model")


def refine_bot(bot: Bot, instruction: str, llm: LanguageModel | None = None) -> BotDraft:
    """Apply a follow-up instruction: new rules take priority over the existing ones."""
    text = _checked(instruction)
    extra = read_strategy(text)
    merged = [*extra.rules, *(r for r in bot.rules if r not in extra.rules)]
    otherwise = extra.otherwise if extra.otherwise != "rest" else bot.otherwise
    wanted = Bot(tuple(merged[:MAX_RULES]), otherwise)
    if llm is None or not llm.available:
        return BotDraft(wanted, "rules", "no language model configured")
    messages = [
        {"role": "system", "content": _SYSTEM},
        {"role": "user", "content": f"Current bot:\n{bot.source()}\nChange it: {text}"},
    ]
    try:
        new = _ask(llm, messages)
    except AIWeb3Error as exc:
        return BotDraft(wanted, "rules", f"the model's answer was refused: {exc}")
    reason = _check_intent(new, _asked_actions(text) | bot.actions_used())
    return BotDraft(wanted, "rules", reason, new) if reason else BotDraft(new, "model")
