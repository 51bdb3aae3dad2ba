"""Retrain the lending market's proven models and rewrite the shipped ONNX files (seeded).

    .venv/bin/python -m aiweb3.defi.lending_train

The risk network imitates the forward rule tuned on the training crash paths
(``protect.TRAIN_SEEDS``); the credit network a stated scoring rule on synthetic activity.
"""

from __future__ import annotations

from pathlib import Path

from aiweb3.defi.credit import SHIPPED_CREDIT, credit_onnx, train_credit_network
from aiweb3.defi.protect import SHIPPED_RISK, risk_onnx, train_risk_network

__all__ = ["main"]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def main() -> None:
    """Train both networks and write them next to this module."""
    policy = train_risk_network()
    _write(SHIPPED_RISK, risk_onnx(policy))
    print(f"wrote {SHIPPED_RISK} (forward rule trigger {policy.trigger}, target {policy.target})")
    _write(SHIPPED_CREDIT, credit_onnx(train_credit_network()))
    print(f"wrote {SHIPPED_CREDIT}")


if __name__ == "__main__":
    main()
