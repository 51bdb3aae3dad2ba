"""Parsing of ``--grid`` and the stress configuration's checks (one-line InputErrors)."""

from __future__ import annotations

import pytest

from aiweb3.errors import InputError
from aiweb3.redteam.stress_config import GRIDS, GridPoint, StressConfig, parse_grid


def test_named_grids_and_specs_parse() -> None:
    points, skipped = parse_grid("default")
    assert len(points) == 15 and [p.label for p in skipped] == [
        "cf0.80-b0.08-w12", "cf0.80-b0.08-w600", "cf0.80-b0.08-w1800",
    ]  # fmt: skip
    assert all(p.valid() for p in points)
    points, skipped = parse_grid(" cf=0.5, 0.8 ; window=12 ")
    assert [p.label for p in points] == ["cf0.50-b0.05-w12", "cf0.80-b0.05-w12"] and skipped == []
    assert parse_grid(GRIDS["small"]) == parse_grid("small")
    assert GridPoint(0.8, 0.05, 12).threshold == pytest.approx(0.85)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("cf", "bad --grid part"),
        ("lev=2", "bad --grid part"),
        ("cf=a,b", "comma-separated numbers"),
        ("cf=", "no usable values"),
        ("window=1.5", "whole seconds"),
        ("cf=1.2", r"\(0, 1\)"),
        ("cf=0.9;bonus=0.2", "no grid point is a valid market"),
    ],
)
def test_bad_grids_are_refused_in_one_line(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        parse_grid(spec)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"paths": 0}, "at least 1 path"),
        ({"step_seconds": 15}, "step-seconds"),
        ({"shock": (0.5, 0.2)}, "low then high"),
        ({"shock_probability": 2.0}, "between 0 and 1"),
        ({"push": 0.9}, "raise the price"),
        ({"utilisation": (0.0, 0.5)}, "utilisation"),
    ],
)
def test_bad_configs_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        StressConfig(**kwargs)  # type: ignore[arg-type]
