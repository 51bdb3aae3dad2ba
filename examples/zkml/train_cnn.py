"""Train the example convolutional network and export it to ONNX (needs ``pip install torch==2.13.0``).

A small CNN on scikit-learn's 8x8 digits: Conv(1->4, 3x3) -> ReLU -> AvgPool(2) -> Linear(36->10).
Writes ``cnn.onnx`` (committed, so tests need no torch) and ``cnn_samples.json`` (held-out
images scaled to [0, 1], their labels).

    .venv/bin/python examples/zkml/train_cnn.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Train, report accuracy, export."""
    torch.manual_seed(0)
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    model = nn.Sequential(
        nn.Conv2d(1, 4, kernel_size=3),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 3 * 3, 10),
    )
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    for _ in range(400):
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
        (torch.zeros(1, 1, 8, 8),),
        HERE / "cnn.onnx",
        input_names=["image"],
        output_names=["logits"],
        opset_version=17,
        dynamo=False,
    )
    samples = {
        "samples": np.round(x_test[:8], 4).tolist(),
        "labels": y_test[:8].tolist(),
        "test_accuracy": float(accuracy),
    }
    (HERE / "cnn_samples.json").write_text(json.dumps(samples) + "\n")


if __name__ == "__main__":
    main()
