"""The aggregator: a Flower ServerApp running a robust strategy and recording every round.

Each round's replies are checked (shape, finite values) and written to
``<out-dir>/round-<r>/miner-<m>.npz`` before aggregation, with the new global model as
``global.npz``, so validators can score every miner's update afterwards.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context, Message, MetricRecord
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg, FedMedian, FedTrimmedAvg, Krum

from aiweb3_flower.task import check_update, init_params

STRATEGIES: dict[str, type[FedAvg]] = {
    "fedavg": FedAvg,
    "fedmedian": FedMedian,
    "trimmed": FedTrimmedAvg,
    "krum": Krum,
}

app = ServerApp()


def _save(path: Path, arrays: list[np.ndarray]) -> None:
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, *arrays)
    os.replace(tmp, path)


def _strategy(cfg: dict[str, Any], out: Path, reference: list[np.ndarray]) -> FedAvg:
    name = str(cfg.get("strategy", "fedmedian"))
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; use one of {', '.join(STRATEGIES)}")
    base = STRATEGIES[name]
    nodes = int(cfg["num-miners"])
    kwargs: dict[str, Any] = {
        "fraction_evaluate": 0.0,
        "min_train_nodes": nodes,
        "min_available_nodes": nodes,
    }
    if name == "krum":
        kwargs["num_malicious_nodes"] = int(cfg.get("byzantine", 0))
    if name == "trimmed":
        kwargs["beta"] = float(cfg.get("trim", 0.3))

    class Recording(base):  # type: ignore[valid-type,misc]
        """The chosen strategy, recording replies and refusing malformed updates."""

        def aggregate_train(
            self, server_round: int, replies: Iterable[Message]
        ) -> tuple[ArrayRecord | None, MetricRecord | None]:
            folder = out / f"round-{server_round}"
            folder.mkdir(parents=True, exist_ok=True)
            kept, rejected = [], {}
            for reply in replies:
                if reply.has_error():
                    continue
                miner = int(reply.content["metrics"]["miner"])
                update = reply.content["arrays"].to_numpy_ndarrays()
                reason = check_update(update, reference)
                if reason is not None:
                    rejected[str(miner)] = reason
                    continue
                _save(folder / f"miner-{miner}.npz", update)
                kept.append(reply)
            (folder / "rejected.json").write_text(json.dumps(rejected))
            arrays, metrics = super().aggregate_train(server_round, kept)
            if arrays is not None:
                _save(folder / "global.npz", arrays.to_numpy_ndarrays())
            return arrays, metrics

    return Recording(**kwargs)  # type: ignore[no-any-return]


def run_federation(grid: Grid, cfg: dict[str, Any]) -> None:
    """Run ``num-rounds`` rounds from ``<out-dir>/initial.npz`` (or fresh parameters)."""
    out = Path(str(cfg["out-dir"]))
    out.mkdir(parents=True, exist_ok=True)
    initial_path = out / "initial.npz"
    if initial_path.exists():
        with np.load(initial_path) as f:
            initial = [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]
    else:
        initial = init_params(int(cfg["num-features"]), int(cfg["num-classes"]), int(cfg.get("seed", 0)))
        _save(initial_path, initial)
    strategy = _strategy(cfg, out, initial)
    strategy.start(
        grid=grid,
        initial_arrays=ArrayRecord(initial),
        num_rounds=int(cfg["num-rounds"]),
        timeout=float(cfg.get("timeout", 600)),
        train_config=ConfigRecord({"lr": float(cfg["lr"]), "local-epochs": int(cfg["local-epochs"])}),
    )
    (out / "done.json").write_text(json.dumps({"rounds": int(cfg["num-rounds"])}))


@app.main()
def main(grid: Grid, context: Context) -> None:
    """Entry point under a SuperLink (``flwr run``)."""
    run_federation(grid, dict(context.run_config))
