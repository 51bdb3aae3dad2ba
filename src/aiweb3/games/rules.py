"""The arena's rules in Python: an exact mirror of ``GameArena.step`` and its match logic.

Fighters stand on a 7x7 grid with hit points and energy. Each turn both players act at once:
rest (+2 energy), move one cell (1 energy), attack (2 energy; range 2, damage 2+roll at distance 1
and 1+roll at distance 2, roll 0..2, halved by a defending target) or defend (+1 energy). An action
the fighter cannot afford becomes rest. Moves into the other's cell, off the grid, or both into one
cell do not happen. The turn's roll comes from ``keccak256(saltA ++ saltB)``: the low byte's value
mod 3 for the first player's attack, the next byte's for the second's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import IntEnum

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from aiweb3.errors import InputError

__all__ = [
    "ACTION_COST",
    "MAX_ENERGY",
    "MAX_HP",
    "MAX_TURNS",
    "SIZE",
    "START_ENERGY",
    "Action",
    "EndReason",
    "Fighter",
    "Outcome",
    "commitment",
    "distance",
    "outcome_after",
    "start_fighters",
    "step",
    "turn_seed",
]

SIZE = 7
MAX_HP = 10
MAX_ENERGY = 10
START_ENERGY = 5
MAX_TURNS = 40


class Action(IntEnum):
    """The seven actions (their numbers are the contract's)."""

    REST = 0
    UP = 1
    DOWN = 2
    LEFT = 3
    RIGHT = 4
    ATTACK = 5
    DEFEND = 6


ACTION_COST = {
    Action.REST: 0,
    Action.UP: 1,
    Action.DOWN: 1,
    Action.LEFT: 1,
    Action.RIGHT: 1,
    Action.ATTACK: 2,
    Action.DEFEND: 0,
}


class EndReason(IntEnum):
    """Why a match ended (the contract's ``EndReason``)."""

    NONE = 0
    KNOCKOUT = 1
    TURN_LIMIT = 2
    TIMEOUT = 3
    BAD_REVEAL = 4


@dataclass(frozen=True)
class Fighter:
    """One fighter: position, hit points, energy."""

    x: int
    y: int
    hp: int
    energy: int

    def as_tuple(self) -> tuple[int, int, int, int]:
        """The contract's ``Fighter`` tuple."""
        return (self.x, self.y, self.hp, self.energy)


@dataclass(frozen=True)
class Outcome:
    """How a match ended: ``winner`` 0 (first player), 1 (second) or None (draw)."""

    winner: int | None
    reason: EndReason


def start_fighters() -> tuple[Fighter, Fighter]:
    """Both fighters as a match starts: opposite edges of the middle row."""
    mid = SIZE // 2
    return Fighter(0, mid, MAX_HP, START_ENERGY), Fighter(SIZE - 1, mid, MAX_HP, START_ENERGY)


def distance(a: Fighter, b: Fighter) -> int:
    """Manhattan distance between two fighters."""
    return abs(a.x - b.x) + abs(a.y - b.y)


def _affordable(f: Fighter, action: int) -> int:
    return Action.REST if f.energy < ACTION_COST[Action(action)] else action


def _spend(f: Fighter, action: int) -> Fighter:
    if action == Action.REST:
        return replace(f, energy=min(f.energy + 2, MAX_ENERGY))
    if action == Action.DEFEND:
        return replace(f, energy=min(f.energy + 1, MAX_ENERGY))
    return replace(f, energy=f.energy - ACTION_COST[Action(action)])


def _target(f: Fighter, action: int) -> tuple[int, int]:
    x, y = f.x, f.y
    if action == Action.UP and y > 0:
        y -= 1
    elif action == Action.DOWN and y < SIZE - 1:
        y += 1
    elif action == Action.LEFT and x > 0:
        x -= 1
    elif action == Action.RIGHT and x < SIZE - 1:
        x += 1
    return x, y


def _damage(dist: int, roll: int, defended: bool) -> int:
    if dist > 2:
        return 0
    dmg = (2 if dist <= 1 else 1) + roll
    return dmg // 2 if defended else dmg


def step(a: Fighter, b: Fighter, act_a: int, act_b: int, seed: bytes) -> tuple[Fighter, Fighter]:
    """One turn: both actions at once (``GameArena.step``).

    Raises:
        InputError: an action number outside 0..6.
    """
    for act in (act_a, act_b):
        if not 0 <= act < len(Action):
            names = ", ".join(a.name.lower() for a in Action)
            raise InputError(f"unknown action {act}: use 0..6 ({names})")
    act_a, act_b = _affordable(a, act_a), _affordable(b, act_b)
    a, b = _spend(a, act_a), _spend(b, act_b)
    ta, tb = _target(a, act_a), _target(b, act_b)
    if ta == (b.x, b.y):
        ta = (a.x, a.y)
    if tb == (a.x, a.y):
        tb = (b.x, b.y)
    if ta == tb:
        ta, tb = (a.x, a.y), (b.x, b.y)
    a, b = replace(a, x=ta[0], y=ta[1]), replace(b, x=tb[0], y=tb[1])
    dist = distance(a, b)
    r = int.from_bytes(seed, "big")
    to_b = _damage(dist, r % 3, act_b == Action.DEFEND) if act_a == Action.ATTACK else 0
    to_a = _damage(dist, (r >> 8) % 3, act_a == Action.DEFEND) if act_b == Action.ATTACK else 0
    return replace(a, hp=max(a.hp - to_a, 0)), replace(b, hp=max(b.hp - to_b, 0))


def outcome_after(a: Fighter, b: Fighter, turn: int) -> Outcome | None:
    """The match's end after turn ``turn`` (0-based) resolved, or None while it goes on."""
    if a.hp == 0 or b.hp == 0:
        return Outcome(None if a.hp == b.hp else (1 if a.hp == 0 else 0), EndReason.KNOCKOUT)
    if turn + 1 >= MAX_TURNS:
        return Outcome(None if a.hp == b.hp else (1 if a.hp < b.hp else 0), EndReason.TURN_LIMIT)
    return None


def turn_seed(salt_a: bytes, salt_b: bytes) -> bytes:
    """The turn's randomness: keccak256 of both revealed salts."""
    return keccak(salt_a + salt_b)


def commitment(match_id: int, turn: int, player: str, action: int, salt: bytes) -> bytes:
    """What a player commits: keccak256(abi.encode(matchId, turn, player, action, salt))."""
    return keccak(
        encode(
            ["uint256", "uint8", "address", "uint8", "bytes32"],
            [match_id, turn, to_checksum_address(player), action, salt],
        )
    )
