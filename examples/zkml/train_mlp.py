"""Train the example classifier and export it to ONNX (needs ``pip install torch==2.13.0``).

An 8-16-16-2 MLP on eight features of scikit-learn's breast-cancer data set (standardized).
Writes ``mlp.onnx`` (committed, so tests need no torch) and ``mlp_samples.json``: the
standardization, held-out samples (for calibration and examples) and their labels.

    .venv/bin/python examples/zkml/train_mlp.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from torch import nn

HERE = Path(__file__).resolve().parent
FEATURES = 8


def main() -> None:
    """Train, report accuracy, export."""
    torch.manual_seed(0)
    data = load_breast_cancer()
    x = data.data[:, :FEATURES].astype(np.float32)
    y = data.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std

    model = nn.Sequential(nn.Linear(FEATURES, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    for _ in range(300):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(torch.from_numpy(x_test)).argmax(1).numpy() == y_test).mean()
    print(f"test accuracy {accuracy:.3f}")

    torch.onnx.export(
        model,
        (torch.zeros(1, FEATURES),),
        HERE / "mlp.onnx",
        input_names=["input"],
        output_names=["logits"],
        opset_version=17,
        dynamo=False,
    )
    samples = {
        "features": list(data.feature_names[:FEATURES]),
        "mean": mean.tolist(),
        "std": std.tolist(),
        "samples": np.round(x_test[:16], 4).tolist(),
        "labels": y_test[:16].tolist(),
        "classes": list(data.target_names),
        "test_accuracy": float(accuracy),
    }
    (HERE / "mlp_samples.json").write_text(json.dumps(samples, indent=1) + "\n")


if __name__ == "__main__":
    main()
