"""Federated training on Flower: data shards, the Flower environment, and each round's record.

Flower's pins clash with aiweb3's, so Flower runs in its own environment (``.venv-flower``, made
by ``make setup`` from ``requirements-flower.lock``) and the app is the self-contained package
``aiweb3_flower``. ``run_inprocess`` runs the whole federation in one such process (tests);
``aiweb3.network.deployment`` runs it as real SuperLink and SuperNode processes. Either way
every round's updates land in ``<workdir>/rounds`` for the validators to score.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from aiweb3.errors import ConfigError, InputError
from aiweb3.files import atomic_write_json
from aiweb3_flower.task import BEHAVIOURS, MALFORMED

__all__ = [
    "STRATEGIES",
    "FederationConfig",
    "RoundRecord",
    "Shards",
    "TrainingRecord",
    "flower_python",
    "load_record",
    "make_shards",
    "run_inprocess",
]

#: Aggregation strategies (Flower's FedAvg, FedMedian, FedTrimmedAvg, Krum).
STRATEGIES = ("fedavg", "fedmedian", "trimmed", "krum")
DATASETS = ("digits", "breast_cancer")

Params = list[NDArray[np.float64]]


@dataclass(frozen=True)
class FederationConfig:
    """How the miners train.

    Args:
        rounds: Flower rounds (one on-chain epoch scores each round).
        strategy: robust aggregation, one of ``STRATEGIES``.
        lr, local_epochs: miners' local gradient descent.
        seed: initial parameters and data split.
        byzantine: how many attackers Krum should assume.
    """

    rounds: int = 8
    strategy: str = "trimmed"
    lr: float = 1.0
    local_epochs: int = 5
    seed: int = 0
    byzantine: int = 0

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise InputError(f"unknown strategy {self.strategy!r}; use one of {', '.join(STRATEGIES)}")
        if self.rounds < 1 or self.local_epochs < 1 or not self.lr > 0:
            raise InputError("rounds and local epochs must be >= 1 and the learning rate > 0")


@dataclass(frozen=True)
class Shards:
    """The data each party holds, as ``.npz`` files with ``x`` and ``y``; ``miner_rows``: which
    rows of the scikit-learn data set each miner's shard holds."""

    miners: list[Path]
    behaviours: list[str]
    validators: list[Path]
    test: Path
    n_features: int
    n_classes: int
    miner_rows: list[list[int]] = field(default_factory=list)

    def load(self, path: Path) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """One shard's rows and labels."""
        with np.load(path) as f:
            return np.asarray(f["x"], dtype=np.float64), np.asarray(f["y"], dtype=np.int64)


def _dataset(name: str) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    from sklearn import datasets  # scikit-learn ships both data sets (no download)

    if name == "digits":
        d = datasets.load_digits()
        return np.asarray(d.data, dtype=np.float64) / 16.0, np.asarray(d.target, dtype=np.int64)
    if name == "breast_cancer":
        d = datasets.load_breast_cancer()
        x = np.asarray(d.data, dtype=np.float64)
        return (x - x.mean(axis=0)) / x.std(axis=0), np.asarray(d.target, dtype=np.int64)
    raise InputError(f"unknown data set {name!r}; use one of {', '.join(DATASETS)}")


def make_shards(
    workdir: Path, behaviours: list[str], n_validators: int, *, dataset: str = "digits", seed: int = 0
) -> Shards:
    """Split a scikit-learn data set: a test set (20%), a hidden evaluation split per validator
    (5% each) and equal shards for the miners; write them under ``workdir/data``."""
    unknown = [b for b in behaviours if b not in BEHAVIOURS + MALFORMED]
    if unknown:
        raise InputError(
            f"unknown miner behaviour {unknown[0]!r}; use one of {', '.join(BEHAVIOURS + MALFORMED)}"
        )
    if len(behaviours) < 2 or n_validators < 1:
        raise InputError("a network needs at least 2 miners and 1 validator")
    x, y = _dataset(dataset)
    order = np.random.default_rng(seed).permutation(len(y))
    x, y = x[order], y[order]
    n_test, n_eval = len(y) // 5, len(y) // 20
    folder = workdir / "data"
    folder.mkdir(parents=True, exist_ok=True)

    def write(name: str, lo: int, hi: int) -> Path:
        path = folder / f"{name}.npz"
        tmp = folder / f"{name}.tmp.npz"
        np.savez(tmp, x=x[lo:hi], y=y[lo:hi])
        os.replace(tmp, path)
        return path

    test = write("test", 0, n_test)
    validators = [
        write(f"validator-{i}", n_test + i * n_eval, n_test + (i + 1) * n_eval) for i in range(n_validators)
    ]
    start = n_test + n_validators * n_eval
    bounds = np.linspace(start, len(y), len(behaviours) + 1).astype(int)
    miners = [write(f"miner-{j}", int(bounds[j]), int(bounds[j + 1])) for j in range(len(behaviours))]
    rows = [order[int(bounds[j]) : int(bounds[j + 1])].tolist() for j in range(len(behaviours))]
    return Shards(miners, list(behaviours), validators, test, x.shape[1], int(y.max()) + 1, rows)


def run_config(workdir: Path, shards: Shards, config: FederationConfig) -> dict[str, Any]:
    """The Flower run configuration ``aiweb3_flower.server_app`` reads."""
    return {
        "out-dir": str(workdir / "rounds"),
        "num-rounds": config.rounds,
        "strategy": config.strategy,
        "num-miners": len(shards.miners),
        "byzantine": config.byzantine,
        "lr": config.lr,
        "local-epochs": config.local_epochs,
        "num-features": shards.n_features,
        "num-classes": shards.n_classes,
        "seed": config.seed,
    }


def node_configs(shards: Shards) -> list[dict[str, Any]]:
    """Each SuperNode's configuration: its miner index, shard and behaviour."""
    return [
        {"miner": j, "data-path": str(path), "behaviour": b}
        for j, (path, b) in enumerate(zip(shards.miners, shards.behaviours, strict=True))
    ]


def flower_python() -> Path:
    """The Python of the Flower environment (``AIWEB3_FLOWER_VENV`` or ``.venv-flower`` in the
    checkout next to this one's ``.venv``).

    Raises:
        ConfigError: it is not installed.
    """
    configured = os.environ.get("AIWEB3_FLOWER_VENV")
    candidates = [Path(configured)] if configured else []
    candidates += [
        Path(sys.prefix).parent / ".venv-flower",
        Path(__file__).resolve().parents[3] / ".venv-flower",
    ]
    for venv in candidates:
        if (venv / "bin" / "python").is_file():
            return venv / "bin" / "python"
    raise ConfigError(
        "the Flower environment (.venv-flower) is missing; run `make setup` in the aiweb3 checkout "
        "or point AIWEB3_FLOWER_VENV at a virtualenv with requirements-flower.lock installed"
    )


def flower_env() -> dict[str, str]:
    """Environment for Flower processes: its tools first on PATH (a SuperLink starts its helpers
    by name), ``aiweb3_flower`` importable, no telemetry."""
    env = dict(os.environ)
    env["PATH"] = str(flower_python().parent) + os.pathsep + env.get("PATH", "")
    src = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["FLWR_TELEMETRY_ENABLED"] = "0"
    return env


def run_inprocess(workdir: Path, shards: Shards, config: FederationConfig) -> TrainingRecord:
    """Run every round in one Flower process (strategy and ClientApps joined in memory)."""
    spec = workdir / "federation.json"
    atomic_write_json(
        spec, {"run_config": run_config(workdir, shards, config), "nodes": node_configs(shards)}
    )
    proc = subprocess.run(
        [str(flower_python()), "-m", "aiweb3_flower.inprocess", str(spec)],
        env=flower_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    (workdir / "flower.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ConfigError(f"the Flower run failed ({tail[0]}); see {workdir / 'flower.log'}")
    return load_record(workdir / "rounds")


@dataclass
class RoundRecord:
    """One Flower round: the model before and after, and what each miner sent."""

    number: int
    before: Params
    after: Params
    updates: dict[int, Params] = field(default_factory=dict)
    rejected: dict[int, str] = field(default_factory=dict)


@dataclass
class TrainingRecord:
    """Every round of a federation."""

    initial: Params
    rounds: list[RoundRecord]

    @property
    def final(self) -> Params:
        """The last global model."""
        return self.rounds[-1].after if self.rounds else self.initial


def _load(path: Path) -> Params:
    with np.load(path) as f:
        return [
            np.asarray(f[k], dtype=np.float64) for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))
        ]


def load_record(out: Path) -> TrainingRecord:
    """Read the rounds ``aiweb3_flower.server_app`` wrote."""
    if not (out / "done.json").exists():
        raise ConfigError(f"{out} holds no finished Flower run")
    initial = _load(out / "initial.npz")
    rounds, before = [], initial
    for number in range(1, json.loads((out / "done.json").read_text())["rounds"] + 1):
        folder = out / f"round-{number}"
        after = _load(folder / "global.npz")
        updates = {int(p.stem.split("-")[1]): _load(p) for p in folder.glob("miner-*.npz")}
        rejected = {int(k): v for k, v in json.loads((folder / "rejected.json").read_text()).items()}
        rounds.append(RoundRecord(number, before, after, updates, rejected))
        before = after
    return TrainingRecord(initial, rounds)
