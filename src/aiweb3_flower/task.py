"""The model miners train: multinomial logistic regression in numpy, and the Byzantine behaviours."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BEHAVIOURS",
    "MALFORMED",
    "accuracy",
    "check_update",
    "init_params",
    "local_update",
    "loss",
    "predict_logits",
    "train",
]

Array = NDArray[np.float64]
Params = list[Array]

#: What a miner does with a round: honest work or one of the attacks the network must survive.
BEHAVIOURS = ("honest", "label_flip", "sign_flip", "free_rider", "noise")
#: Updates the aggregator must refuse outright: a wrong shape, non-finite values.
MALFORMED = ("wrong_shape", "non_finite")


def init_params(n_features: int, n_classes: int, seed: int = 0) -> Params:
    """Small random weights and zero bias."""
    rng = np.random.default_rng(seed)
    return [rng.normal(0.0, 0.01, (n_features, n_classes)), np.zeros(n_classes)]


def predict_logits(params: Params, x: Array) -> Array:
    """Class scores for each row of ``x``."""
    return np.asarray(x @ params[0] + params[1], dtype=np.float64)


def _softmax(z: Array) -> Array:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)


def loss(params: Params, x: Array, y: NDArray[np.int64]) -> float:
    """Mean cross-entropy."""
    p = _softmax(predict_logits(params, x))
    return float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))


def accuracy(params: Params, x: Array, y: NDArray[np.int64]) -> float:
    """Share of rows classified right."""
    return float(np.mean(np.argmax(predict_logits(params, x), axis=1) == y))


def train(
    params: Params, x: Array, y: NDArray[np.int64], *, epochs: int, lr: float, batch: int = 32, seed: int = 0
) -> Params:
    """Mini-batch gradient descent on cross-entropy (with a little L2), from ``params``."""
    w, b = params[0].copy(), params[1].copy()
    n_classes = w.shape[1]
    rng = np.random.default_rng(seed)
    onehot = np.eye(n_classes)[y]
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch):
            idx = order[start : start + batch]
            p = _softmax(x[idx] @ w + b)
            grad = (p - onehot[idx]) / len(idx)
            w -= lr * (x[idx].T @ grad + 1e-4 * w)
            b -= lr * grad.sum(axis=0)
    return [w, b]


def local_update(
    params: Params,
    x: Array,
    y: NDArray[np.int64],
    behaviour: str,
    *,
    epochs: int,
    lr: float,
    seed: int,
) -> Params:
    """What a miner sends back for one round, honest or not.

    ``label_flip`` trains on wrong labels; ``sign_flip`` sends the honest step reversed and
    magnified; ``free_rider`` does no work and returns the global model (a copy of what everyone
    already has) with a trace of noise; ``noise`` sends random parameters of a plausible size.
    """
    rng = np.random.default_rng(seed)
    n_classes = params[0].shape[1]
    if behaviour == "honest":
        return train(params, x, y, epochs=epochs, lr=lr, seed=seed)
    if behaviour == "label_flip":
        return train(params, x, (n_classes - 1) - y, epochs=epochs, lr=lr, seed=seed)
    if behaviour == "sign_flip":
        honest = train(params, x, y, epochs=epochs, lr=lr, seed=seed)
        return [g - 4.0 * (h - g) for g, h in zip(params, honest, strict=True)]
    if behaviour == "free_rider":
        return [g + rng.normal(0.0, 1e-6, g.shape) for g in params]
    if behaviour == "noise":
        return [g + rng.normal(0.0, max(float(np.std(g)), 0.05), g.shape) for g in params]
    if behaviour == "wrong_shape":
        return [params[0][:-1], params[1]]
    if behaviour == "non_finite":
        return [np.full_like(params[0], np.nan), params[1]]
    raise ValueError(f"unknown behaviour {behaviour!r}; use one of {', '.join(BEHAVIOURS)}")


def check_update(update: Params, reference: Params) -> str | None:
    """Why an update cannot be aggregated (wrong shape, non-finite values), or None if it can."""
    if len(update) != len(reference):
        return f"{len(update)} arrays, expected {len(reference)}"
    for k, (u, r) in enumerate(zip(update, reference, strict=True)):
        if u.shape != r.shape:
            return f"array {k} has shape {tuple(u.shape)}, expected {tuple(r.shape)}"
        if not np.all(np.isfinite(u)):
            return f"array {k} has non-finite values"
    return None
