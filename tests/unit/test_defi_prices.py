"""Price paths for the DeFi market: fitted to the offline histories, seeded, with jumps."""

from __future__ import annotations

import numpy as np
import pytest

from aiweb3.defi.market import HISTORIES, fit_price_model, load_history, price_path
from aiweb3.errors import InputError


def test_histories_load_from_the_backtesting_package() -> None:
    for name in HISTORIES:
        closes = load_history(name)
        assert len(closes) > 100 and min(closes) > 0
    with pytest.raises(InputError, match="unknown price history"):
        load_history("DOGE")


def test_fitted_gbm_paths_have_the_fitted_volatility_and_are_seeded() -> None:
    model = fit_price_model(load_history("BTCUSD"), steps_per_bar=HISTORIES["BTCUSD"])
    monthly = float(np.diff(np.log(load_history("BTCUSD"))).std(ddof=1))
    assert model.kind == "gbm" and model.sigma == pytest.approx(monthly / HISTORIES["BTCUSD"] ** 0.5)
    path = price_path(model, 20_000, 2000.0, seed=7)
    assert np.diff(np.log(path)).std() == pytest.approx(model.sigma, rel=0.05)
    assert (price_path(model, 50, 2000.0, seed=7) == path[:51]).all()
    assert (price_path(model, 50, 2000.0, seed=8) != path[:51]).any()


def test_jump_diffusion_finds_the_jumps_of_a_history() -> None:
    model = fit_price_model(load_history("GOOG"), steps_per_bar=24, jumps=True)
    plain = fit_price_model(load_history("GOOG"), steps_per_bar=24)
    assert model.kind == "jump" and model.jump_rate > 0 and model.sigma < plain.sigma
    path = price_path(model, 5_000, 100.0, seed=1)
    r = np.diff(np.log(path))
    assert (np.abs(r) > 6 * model.sigma).sum() > 0  # jumps a pure diffusion would almost never make


def test_bad_histories_are_refused() -> None:
    with pytest.raises(InputError, match="at least 10 positive"):
        fit_price_model([1.0, 2.0, 3.0], steps_per_bar=1)
    with pytest.raises(InputError, match="at least one step"):
        price_path(fit_price_model(load_history("GOOG"), 1), 0, 1.0, seed=0)
