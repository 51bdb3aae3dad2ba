"""What a stress run simulates: the paths, the agents and the grid of market parameters."""

from __future__ import annotations

import math
from dataclasses import dataclass

from aiweb3.errors import InputError

__all__ = ["GRIDS", "GridPoint", "StressConfig", "parse_grid"]


@dataclass(frozen=True)
class StressConfig:
    """Paths and agents of a stress run (amounts in whole tokens; TUSD is worth 1).

    Paths: ``steps`` steps of ``step_seconds`` each, prices from a jump-diffusion (or GBM)
    fitted to an offline ``history``; on a share ``shock_probability`` of the paths a crash of
    ``shock`` (a fraction, drawn uniformly) hits at a random step.
    Agents: ``borrowers`` passive borrowers using a share ``utilisation`` of their borrow limit
    (their health factors follow), ``liquidators`` with capital and ``flash_liquidators`` who
    borrow their capital inside the block, and an oracle manipulator (when ``manipulator``) who
    once per path pushes the pool's price up by ``push`` and borrows ``hold`` seconds later
    (0: in the same block, as a flash loan would).
    """

    paths: int = 100
    seed: int = 0
    steps: int = 24
    step_seconds: int = 300
    history: str = "BTCUSD"
    jumps: bool = True
    shock_probability: float = 0.5
    shock: tuple[float, float] = (0.2, 0.45)
    price: float = 2000.0
    pool_depth: float = 1000.0  # TETH in the pool's full-range liquidity
    supply: float = 2_000_000.0
    borrowers: int = 6
    collateral: float = 20.0  # TETH per borrower
    utilisation: tuple[float, float] = (0.7, 0.98)
    liquidators: int = 2
    flash_liquidators: int = 1
    flash_fee: float = 0.0009
    manipulator: bool = True
    push: float = 2.0
    attack_collateral: float = 100.0
    hold: int = 12
    tolerance: float = 0.0  # lender loss (share of supply) allowed at the 99th percentile

    def __post_init__(self) -> None:
        if self.paths < 1 or self.steps < 4:
            raise InputError("a stress run needs at least 1 path of at least 4 steps")
        if self.step_seconds < self.hold + 8:
            raise InputError("--step-seconds must exceed the manipulator's hold by 8 s or more")
        if self.hold < 0:
            raise InputError("the manipulator's hold is a number of seconds, 0 for a single block")
        if not 0.0 <= self.shock_probability <= 1.0:
            raise InputError("shock_probability must be between 0 and 1")
        if not 0.0 <= self.shock[0] <= self.shock[1] < 0.95:
            raise InputError("a shock is a fall between 0 and 0.95 of the price, low then high")
        if not 0.0 < self.utilisation[0] <= self.utilisation[1] <= 1.0:
            raise InputError("utilisation is a share of the borrow limit in (0, 1], low then high")
        if self.borrowers < 1 or self.liquidators < 0 or self.flash_liquidators < 0:
            raise InputError("at least one borrower, and no negative agent counts")
        if self.push <= 1.0:
            raise InputError("the manipulator's push must raise the price (above 1.0)")
        if not 0.0 <= self.tolerance < 1.0:
            raise InputError("tolerance is a share of the supply between 0 and 1")


@dataclass(frozen=True)
class GridPoint:
    """One market setting: collateral (borrow) factor, liquidation bonus and TWAP window.

    The liquidation threshold is the collateral factor plus :attr:`THRESHOLD_GAP`.
    """

    collateral_factor: float
    bonus: float
    window: int

    THRESHOLD_GAP = 0.05

    @property
    def threshold(self) -> float:
        """The liquidation threshold."""
        return self.collateral_factor + self.THRESHOLD_GAP

    @property
    def label(self) -> str:
        """A short name used in run ids, e.g. ``cf0.80-b0.05-w12``."""
        return f"cf{self.collateral_factor:.2f}-b{self.bonus:.2f}-w{self.window}"

    def valid(self) -> bool:
        """True when LendingMarket accepts the factors: (threshold + 0.1) * (1 + bonus) < 1."""
        return (
            self.collateral_factor > 0
            and self.bonus >= 0
            and self.window > 0
            and (self.threshold + 0.1) * (1 + self.bonus) < 1
        )


#: named grids for ``--grid``
GRIDS = {
    "default": "cf=0.5,0.65,0.8;bonus=0.05,0.08;window=12,600,1800",
    "small": "cf=0.5,0.8;bonus=0.05;window=12,1800",
    "window": "cf=0.65;bonus=0.05;window=12,60,300,600,1800",
}
_KEYS = {"cf": "cf", "collateral_factor": "cf", "bonus": "bonus", "window": "window"}


def parse_grid(spec: str) -> tuple[list[GridPoint], list[GridPoint]]:
    """Grid points of a ``--grid`` value (a name in :data:`GRIDS` or ``cf=..;bonus=..;window=..``).

    Returns the valid points and those LendingMarket would refuse (skipped, reported).
    """
    text = GRIDS.get(spec.strip(), spec)
    values: dict[str, list[float]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, rest = part.partition("=")
        name = _KEYS.get(key.strip().lower())
        if not sep or name is None:
            raise InputError(
                f"bad --grid part {part!r}: use cf=..;bonus=..;window=.. or one of {', '.join(GRIDS)}"
            )
        try:
            values[name] = [float(v) for v in rest.split(",") if v.strip()]
        except ValueError:
            raise InputError(f"bad --grid values in {part!r}: comma-separated numbers expected") from None
        if not values[name] or not all(math.isfinite(v) for v in values[name]):
            raise InputError(f"--grid part {part!r} has no usable values")
    cfs = values.get("cf", [0.65])
    bonuses = values.get("bonus", [0.05])
    windows = values.get("window", [600.0])
    if any(w < 1 or w != int(w) for w in windows):
        raise InputError("TWAP windows are whole seconds, at least 1")
    if any(not 0 < c < 1 for c in cfs) or any(not 0 <= b < 1 for b in bonuses):
        raise InputError("collateral factors lie in (0, 1) and bonuses in [0, 1)")
    points = [GridPoint(c, b, int(w)) for c in cfs for b in bonuses for w in windows]
    valid = [p for p in points if p.valid()]
    if not valid:
        raise InputError("no grid point is a valid market: (cf + 0.15) * (1 + bonus) must stay below 1")
    return valid, [p for p in points if not p.valid()]
