"""The AI liquidity manager's strategy model: pool features -> half-width of the next range.

Inputs are the four integers :class:`LiquidityVault` recomputes from the pool (tick minus TWAP,
TWAP trend over two windows, the summed size of TWAP steps over three windows, tick minus the
base range's centre), presented to the model divided by ``2**input_scale`` so that ezkl
quantizes them back to exactly those integers. The output is the half-width of the next base
range in tick spacings. The label it learns: the smallest symmetric range that would have held
the price until the next rebalance, on simulated paths from the *training* seeds only.

The model is a small MLP (``|x| -> 8 -> 1``) trained with numpy and written as ONNX with
``onnx.helper``; :func:`build_strategy_model` compiles it with public inputs for ezkl.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from aiweb3.defi.market import PriceModel, price_path
from aiweb3.errors import InputError

__all__ = [
    "TRAINING_SEEDS",
    "StrategyConfig",
    "TrainedStrategy",
    "features_from_ticks",
    "strategy_onnx",
    "train_strategy",
    "training_set",
]

#: path seeds the model trains on; backtests use seeds from 1000 on (held out)
TRAINING_SEEDS = range(0, 40)


@dataclass(frozen=True)
class StrategyConfig:
    """Rebalance cadence and window sizes, in market steps (an hour each by default)."""

    window_steps: int = 6
    rebalance_steps: int = 24
    tick_spacing: int = 60
    max_half_width: int = 200
    input_divisor: int = 128


def _trunc_div(a: int, b: int) -> int:
    """Solidity's signed division (toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def features_from_ticks(ticks: Sequence[int], t: int, window: int, centre: int | None) -> list[int]:
    """The vault's features at step ``t`` from a per-step tick series (one tick per step, so a
    window's TWAP is the truncated mean of its ticks), as ``LiquidityVault.features`` does."""
    if t < 3 * window:
        raise InputError("features need three whole windows of history")
    sums = [sum(ticks[t - (i + 1) * window : t - i * window]) for i in range(3)]
    a1, a2, a3 = (_trunc_div(s, window) for s in sums)
    tick = ticks[t]
    return [tick - a1, a1 - a3, abs(a1 - a2) + abs(a2 - a3), tick - centre if centre is not None else 0]


def training_set(
    model: PriceModel, config: StrategyConfig, seeds: Sequence[int], steps: int = 24 * 30
) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels (half-width in spacings) from seeded paths, both price orientations."""
    xs: list[list[int]] = []
    ys: list[float] = []
    for seed in seeds:
        prices = price_path(model, steps, 2000.0, seed)
        for sign in (1, -1):
            ticks = [sign * math.floor(math.log(p) / math.log(1.0001)) for p in prices]
            centre: int | None = None
            t = 3 * config.window_steps
            while t + config.rebalance_steps < len(ticks):
                xs.append(features_from_ticks(ticks, t, config.window_steps, centre))
                future = ticks[t + 1 : t + config.rebalance_steps + 1]
                reach = max(abs(f - ticks[t]) for f in future)
                ys.append(min(max(math.ceil(reach / config.tick_spacing), 1), config.max_half_width))
                centre = ticks[t]
                t += config.rebalance_steps
    return np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)


@dataclass(frozen=True)
class TrainedStrategy:
    """MLP weights: hidden = relu(|x / divisor| @ w1 + b1); out = hidden @ w2 + b2."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    divisor: int

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Half-widths in spacings for rows of integer features."""
        h = np.maximum(np.abs(features / self.divisor) @ self.w1 + self.b1, 0.0)
        return np.asarray(h @ self.w2 + self.b2).reshape(-1)


def train_strategy(
    x: np.ndarray, y: np.ndarray, divisor: int, *, seed: int = 0, epochs: int = 3000
) -> TrainedStrategy:
    """Fit the MLP by full-batch Adam on squared error (seeded, deterministic)."""
    if len(x) == 0 or len(x) != len(y):
        raise InputError("training needs as many labels as feature rows, and at least one")
    rng = np.random.default_rng(seed)
    z = np.abs(x / divisor)
    params = [
        rng.normal(0, 0.3, (4, 8)),
        np.full(8, 0.1),
        rng.normal(0, 0.3, (8, 1)),
        np.array([float(y.mean())]),
    ]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, beta1, beta2 = 0.01, 0.9, 0.999
    target = y.reshape(-1, 1)
    for step in range(1, epochs + 1):
        w1, b1, w2, b2 = params
        pre = z @ w1 + b1
        h = np.maximum(pre, 0.0)
        err = (h @ w2 + b2) - target
        g_out = 2 * err / len(z)
        g_h = (g_out @ w2.T) * (pre > 0)
        grads = [z.T @ g_h, g_h.sum(0), h.T @ g_out, g_out.sum(0)]
        for i, g in enumerate(grads):
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            params[i] = params[i] - lr * (m[i] / (1 - beta1**step)) / (
                np.sqrt(v[i] / (1 - beta2**step)) + 1e-8
            )
    return TrainedStrategy(params[0], params[1], params[2], params[3], divisor=divisor)


def strategy_onnx(trained: TrainedStrategy, path: Path) -> Path:
    """Write the model as ONNX (input ``features`` of shape [1, 4], already divided by the divisor)."""
    f32 = np.float32
    nodes = [
        helper.make_node("Abs", ["features"], ["absx"]),
        helper.make_node("Gemm", ["absx", "w1", "b1"], ["pre"]),
        helper.make_node("Relu", ["pre"], ["hidden"]),
        helper.make_node("Gemm", ["hidden", "w2", "b2"], ["half_width"]),
    ]
    inits = [
        numpy_helper.from_array(trained.w1.astype(f32), "w1"),
        numpy_helper.from_array(trained.b1.astype(f32), "b1"),
        numpy_helper.from_array(trained.w2.astype(f32), "w2"),
        numpy_helper.from_array(trained.b2.astype(f32), "b2"),
    ]
    graph = helper.make_graph(
        nodes,
        "lp_strategy",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("half_width", TensorProto.FLOAT, [1, 1])],
        inits,
    )
    proto = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="aiweb3.defi", ir_version=8
    )
    onnx.checker.check_model(proto)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    onnx.save(proto, str(tmp))
    tmp.replace(path)
    return path
