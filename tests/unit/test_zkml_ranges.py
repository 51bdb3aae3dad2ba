"""The input range a circuit represents, read from its ezkl settings."""

from __future__ import annotations

import pytest

from aiweb3.errors import InputError
from aiweb3.zkml.ranges import check_input_range, input_bounds

# the example MLP's settings (only the fields that matter)
MLP = {"run_args": {"input_scale": 13, "decomp_base": 1024, "decomp_legs": 3, "lookup_range": [0, 0]},
       "model_input_scales": [13]}  # fmt: skip


def test_the_decomposition_range_at_the_input_scale() -> None:
    assert input_bounds(MLP, 1) == [(1024**3 / 2 / 2**13, 13)]  # ±65536


def test_older_settings_use_the_lookup_range_and_unknown_ranges_are_not_checked() -> None:
    old = {"run_args": {"input_scale": 7, "lookup_range": [-32768, 32768]}}
    assert input_bounds(old, 2) == [(256.0, 7), (256.0, 7)]
    assert input_bounds({"run_args": {"input_scale": 7}}, 1) == [None]
    check_input_range({"run_args": {}}, ["x"], [[1e300]], "m")  # nothing to check against


def test_values_outside_the_range_are_one_input_error() -> None:
    check_input_range(MLP, ["input"], [[0.1, -65535.9]], "mlp")
    with pytest.raises(InputError, match=r"input 'input' of mlp: -1e\+300 is outside the circuit's range"):
        check_input_range(MLP, ["input"], [[0.0, -1e300, 5.0]], "mlp")
    with pytest.raises(InputError, match=r"65536 is outside .*\(\|x\| < 65536, quantized at scale 2\^13\)"):
        check_input_range(MLP, ["input"], [[65536.0]], "mlp")
