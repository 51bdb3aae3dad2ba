"""What input values a compiled circuit can represent, read from its ezkl settings.

ezkl quantizes each input to ``round(x * 2**scale)`` and range-checks it by decomposition in
``decomp_legs`` digits of base ``decomp_base`` (or against ``lookup_range`` in older settings).
A value outside that span cannot be proven; one far outside it makes ezkl panic while
quantizing. Checking first turns both into one clear :class:`InputError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiweb3.errors import InputError

__all__ = ["check_input_range", "input_bounds"]


def input_bounds(settings: dict[str, Any], count: int) -> list[tuple[float, int] | None]:
    """Per input: ``(bound, scale)``, the magnitude an input must stay under, or None if unknown."""
    run = settings.get("run_args") or {}
    scales = list(settings.get("model_input_scales") or [run.get("input_scale", 0)] * count)
    base, legs = run.get("decomp_base"), run.get("decomp_legs")
    lookup = run.get("lookup_range") or [0, 0]
    if base and legs:
        span = float(base) ** int(legs) / 2
    else:
        span = float(max(abs(int(lookup[0])), abs(int(lookup[1]))))
    out: list[tuple[float, int] | None] = []
    for i in range(count):
        scale = int(scales[i]) if i < len(scales) else int(run.get("input_scale", 0))
        out.append((span / 2.0**scale, scale) if span > 0 else None)
    return out


def check_input_range(
    settings: dict[str, Any], names: Sequence[str], values: Sequence[Sequence[float]], model: str
) -> None:
    """Raise InputError naming the first input whose values the circuit cannot represent."""
    for name, flat, bound in zip(names, values, input_bounds(settings, len(values)), strict=True):
        if bound is None or not flat:
            continue
        limit, scale = bound
        worst = max(flat, key=abs)
        if abs(worst) >= limit:
            raise InputError(
                f"input {name!r} of {model}: {worst:g} is outside the circuit's range (|x| < {limit:g}, "
                f"quantized at scale 2^{scale}); use values like the calibration samples"
            )
