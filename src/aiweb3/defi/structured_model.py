"""The structured vault's allocation model: chain state -> share of value to provide as liquidity.

Inputs are the three integers :class:`StructuredVault` recomputes each epoch: the summed size of
the pool's TWAP steps over three windows (ticks: recent volatility), the lending market's
utilisation and its supply rate (basis points); the model sees each divided by
:data:`FEATURE_DIVISOR`, which ezkl quantizes back to exactly those integers. The output is the
share of the vault's value to put into a full-range Uniswap v3 position (the rest is lent),
clipped to [0, 1] inside the network (``relu(z) - relu(z - 1)``) so a proven output is always a
valid allocation.

Labels come from the *training* seeds only (:data:`TRAINING_SEEDS`): on simulated price paths,
whether a full-range position's fees minus its impermanent loss over the next epoch beat the
market's supply rate, with each path given a random utilisation. Fees are estimated from the
market simulator's traders (each noise trade and the arbitrage reversing it pay the pool fee on
``noise_size`` of the active liquidity; the arbitrage of the price move pays it on
``|d sqrt P|``). The network therefore learns the chance that liquidity beats lending.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from aiweb3.defi.lending_models import Network, fit_network
from aiweb3.defi.market import MarketConfig, PriceModel, price_path
from aiweb3.defi.vault_model import features_from_ticks
from aiweb3.errors import InputError

__all__ = [
    "FEATURE_DIVISOR",
    "TRAINING_SEEDS",
    "AllocationConfig",
    "allocation_onnx",
    "allocation_training_set",
    "predict_allocation",
    "supply_rate",
    "train_allocation",
]

#: the model sees each feature divided by this (a power of two: ezkl quantizes it back exactly)
FEATURE_DIVISOR = 128
#: path seeds the allocation model trains on; backtests use seeds from 1000 on (held out)
TRAINING_SEEDS = range(100, 160)
_BPS = 10_000


@dataclass(frozen=True)
class AllocationConfig:
    """Epoch and window sizes (market steps, an hour each by default), the market's yearly rates
    (the LendingMarket defaults), the pool fee and the traders the fee estimate assumes."""

    window_steps: int = 6
    epoch_steps: int = 24
    step_seconds: int = 3600
    base_rate: float = 0.02
    rate_slope: float = 0.20
    pool_fee: float = 0.003
    market: MarketConfig = field(default_factory=MarketConfig)


def supply_rate(utilisation: float, config: AllocationConfig = AllocationConfig()) -> float:
    """The yearly rate lenders earn at ``utilisation`` (the LendingMarket's linear model)."""
    return (config.base_rate + config.rate_slope * utilisation) * utilisation


def _lp_excess(prices: Sequence[float], config: AllocationConfig) -> float:
    """Full-range liquidity's return over the path relative to holding its two tokens."""
    noise_fee = config.pool_fee * config.market.noise_per_step * config.market.noise_size
    fees = 0.0
    for a, b in itertools.pairwise(prices):
        fees += config.pool_fee * abs(math.sqrt(b) - math.sqrt(a)) / (2 * math.sqrt(a)) + noise_fee
    ratio = prices[-1] / prices[0]
    impermanent = 2 * math.sqrt(ratio) / (1 + ratio) - 1
    return fees + impermanent


def allocation_training_set(
    model: PriceModel,
    config: AllocationConfig = AllocationConfig(),
    seeds: Sequence[int] = TRAINING_SEEDS,
    steps: int = 24 * 30,
) -> tuple[np.ndarray, np.ndarray]:
    """Integer features and 0/1 labels (liquidity beat lending over the next epoch)."""
    xs: list[list[int]] = []
    ys: list[float] = []
    epoch_years = config.epoch_steps * config.step_seconds / (365 * 86400)
    for seed in seeds:
        rng = np.random.default_rng(seed)
        prices = price_path(model, steps, 2000.0, seed)
        ticks = [math.floor(math.log(p) / math.log(1.0001)) for p in prices]
        t = 4 * config.window_steps
        while t + config.epoch_steps < len(prices):
            util = float(rng.uniform(0.02, 0.95))
            vol = features_from_ticks(ticks, t, config.window_steps, None)[2]
            xs.append([vol, int(util * _BPS), int(supply_rate(util, config) * _BPS)])
            lend = supply_rate(util, config) * epoch_years
            future = [float(v) for v in prices[t : t + config.epoch_steps + 1]]
            ys.append(1.0 if _lp_excess(future, config) > lend else 0.0)
            t += config.epoch_steps
    return np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)


def train_allocation(x: np.ndarray, y: np.ndarray, *, seed: int = 5, epochs: int = 2000) -> Network:
    """Fit the 3-16-16-1 network (inputs divided by :data:`FEATURE_DIVISOR`) to the labels."""
    if len(x) == 0 or len(x) != len(y):
        raise InputError("training needs as many labels as feature rows, and at least one")
    return fit_network(x / FEATURE_DIVISOR, y.reshape(-1, 1), hidden=16, seed=seed, epochs=epochs)


def predict_allocation(weights: Network, features: np.ndarray) -> np.ndarray:
    """The clipped allocations the ONNX model computes, for rows of integer features."""
    w1, b1, w2, b2, w3, b3 = weights
    h = np.maximum((features / FEATURE_DIVISOR) @ w1 + b1, 0.0)
    h = np.maximum(h @ w2 + b2, 0.0)
    z = np.asarray(h @ w3 + b3).reshape(-1)
    return np.asarray(np.clip(z, 0.0, 1.0))


def allocation_onnx(weights: Network, path: Path, *, offset: float = 0.0) -> Path:
    """Write the network as ONNX (input ``features`` [1, 3], already divided; output
    ``allocation`` [1, 1] clipped to [0, 1]). ``offset`` is added before the clip (tests use it
    to make a model whose output leaves the range)."""
    names = ["w1", "b1", "w2", "b2", "w3", "b3"]
    inits = [
        numpy_helper.from_array(np.asarray(a, dtype=np.float32), n)
        for a, n in zip(weights, names, strict=True)
    ]
    inits.append(numpy_helper.from_array(np.asarray([offset], dtype=np.float32), "offset"))
    inits.append(numpy_helper.from_array(np.asarray([1.0], dtype=np.float32), "one"))
    nodes = [
        helper.make_node("Gemm", ["features", "w1", "b1"], ["z1"]),
        helper.make_node("Relu", ["z1"], ["h1"]),
        helper.make_node("Gemm", ["h1", "w2", "b2"], ["z2"]),
        helper.make_node("Relu", ["z2"], ["h2"]),
        helper.make_node("Gemm", ["h2", "w3", "b3"], ["z3"]),
        helper.make_node("Add", ["z3", "offset"], ["z"]),
        helper.make_node("Relu", ["z"], ["low"]),
        helper.make_node("Sub", ["z", "one"], ["z_minus_one"]),
        helper.make_node("Relu", ["z_minus_one"], ["high"]),
        helper.make_node("Sub", ["low", "high"], ["allocation"]),
    ]
    if offset:  # an unclipped model, for tests of the contract's range check
        nodes = [*nodes[:6], helper.make_node("Identity", ["z"], ["allocation"])]
    graph = helper.make_graph(
        nodes,
        "structured_allocation",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("allocation", TensorProto.FLOAT, [1, 1])],
        inits,
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="aiweb3.defi")
    proto.ir_version = 8
    onnx.checker.check_model(proto)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    onnx.save(proto, str(tmp))
    tmp.replace(path)
    return path
