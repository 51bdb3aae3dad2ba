"""Train the use cases' classifiers and export them to ONNX (needs ``pip install torch==2.13.0``).

    .venv/bin/python examples/private/train.py medical|credit|insurance

- medical: scikit-learn's breast-cancer data (569 records, 30 measurements); the 8 measurements
  most associated with the diagnosis on the training split (ANOVA F-test), standardized.
- credit: the ``islp`` package's Default data (10,000 card holders): balance, income, student.
- insurance: claims from ``aiweb3.usecases.insurance_data.generate`` (a documented generator:
  no public claims data set loads offline), 6,000 claims, 8 policy and claim fields.

Each becomes a small MLP (F-16-2). Writes ``NAME.onnx`` and ``NAME.json`` (feature names,
standardization, the held-out split); both are committed so the use cases and CI need no torch.
Then ``python -m aiweb3.usecases.evaluate NAME`` writes ``NAME_accuracy.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch import nn

HERE = Path(__file__).resolve().parent


def medical() -> tuple[np.ndarray, np.ndarray, list[str], dict[str, Any]]:
    """Breast-cancer measurements, 8 selected on the training split."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.feature_selection import SelectKBest, f_classif

    data = load_breast_cancer()
    x, y = data.data.astype(np.float64), data.target.astype(np.int64)
    x_train, _, y_train, _ = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    cols = [int(i) for i in np.flatnonzero(SelectKBest(f_classif, k=8).fit(x_train, y_train).get_support())]
    info = {
        "dataset": "scikit-learn load_breast_cancer (Wisconsin diagnostic), 569 records",
        "classes": [str(c) for c in data.target_names],
        "columns": cols,
    }
    return x[:, cols], y, [str(data.feature_names[i]) for i in cols], info


def credit() -> tuple[np.ndarray, np.ndarray, list[str], dict[str, Any]]:
    """ISLP Default: will the card holder default? (balance, income, student)."""
    from ISLP import load_data

    df = load_data("Default")
    x = np.column_stack(
        [
            df["balance"].to_numpy(float),
            df["income"].to_numpy(float),
            (df["student"] == "Yes").to_numpy(float),
        ]
    )
    y = (df["default"] == "Yes").to_numpy(np.int64)
    info = {"dataset": "ISLP Default (islp package), 10,000 card holders", "classes": ["repays", "defaults"]}
    return x, y, ["balance", "income", "student"], info


def insurance() -> tuple[np.ndarray, np.ndarray, list[str], dict[str, Any]]:
    """Generated claims (see aiweb3.usecases.insurance_data)."""
    from aiweb3.usecases.insurance_data import FIELDS, generate

    x, y = generate(6000, seed=7)
    info = {
        "dataset": "aiweb3.usecases.insurance_data.generate(6000, seed=7)",
        "classes": ["pay", "investigate"],
    }
    return x, y, list(FIELDS), info


def main(name: str) -> None:
    """Train one use case's model and export it."""
    torch.manual_seed(0)
    x, y, features, info = {"medical": medical, "credit": credit, "insurance": insurance}[name]()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train = ((x_train - mean) / std).astype(np.float32)
    x_test = np.round((x_test - mean) / std, 4).astype(np.float32)
    model = nn.Sequential(nn.Linear(x.shape[1], 16), nn.ReLU(), nn.Linear(16, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    for _ in range(500):
        opt.zero_grad()
        nn.functional.cross_entropy(model(xt), yt).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(torch.from_numpy(x_test)).argmax(1).numpy() == y_test).mean()
    print(f"{name}: held-out accuracy (torch, float) {accuracy:.4f} on {len(y_test)}")
    torch.onnx.export(
        model,
        (torch.zeros(1, x.shape[1]),),
        HERE / f"{name}.onnx",
        input_names=["record"],
        output_names=["logits"],
        opset_version=17,
        dynamo=False,
    )
    out = {
        **info,
        "split": "train_test_split(test_size=0.25, random_state=0, stratify=y)",
        "features": features,
        "mean": mean.tolist(),
        "std": std.tolist(),
        "test_x": x_test.tolist(),
        "test_y": y_test.tolist(),
    }
    (HERE / f"{name}.json").write_text(json.dumps(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
