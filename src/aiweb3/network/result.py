"""The network's result: the final model as ONNX, registered in the ModelRegistry with its lineage.

The lineage (stored content-addressed; its CID is the model's ``metadataURI``) names the subnet
and chain, every round's commitments (sha-256 of the global model and of each accepted update,
the refused updates with their reason), the miners who took part with what each earned, and the
data behind it (the data set and a hash of every shard). A proven inference of the registered
model therefore points back to who trained it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from eth_account.signers.local import LocalAccount
from onnx import TensorProto, helper, numpy_helper

from aiweb3.chain import Chain
from aiweb3.network.federation import Params, Shards, TrainingRecord
from aiweb3.network.run import NetworkReport
from aiweb3.zkml import CompiledModel, Model, ZkmlHome

__all__ = ["LINEAGE_VERSION", "RegisteredResult", "build_lineage", "export_onnx", "register_result"]

LINEAGE_VERSION = "aiweb3-network-lineage/1"


def export_onnx(params: Params, path: Path) -> Path:
    """Write the softmax-regression model as ONNX: ``input [1, features] -> logits [1, classes]``."""
    weights, bias = (np.asarray(p, dtype=np.float32) for p in params)
    n_features, n_classes = weights.shape
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["input", "W", "b"], ["logits"])],
        "aiweb3_network_model",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, n_features])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, n_classes])],
        [numpy_helper.from_array(weights, "W"), numpy_helper.from_array(bias, "b")],
    )
    proto = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="aiweb3.network"
    )
    proto.ir_version = 8
    onnx.checker.check_model(proto)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(proto.SerializeToString())
    tmp.replace(path)
    return path


def _sha256(arrays: Params) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype=np.float64).tobytes())
    return "0x" + h.hexdigest()


def build_lineage(
    report: NetworkReport,
    record: TrainingRecord,
    shards: Shards,
    miners: list[str],
    *,
    chain_id: int,
    dataset: str,
    dataset_ids: list[int] | None = None,
) -> dict[str, Any]:
    """Everything that made the model, as a JSON-ready dict."""

    def file_hash(p: Path) -> str:
        return "0x" + hashlib.sha256(p.read_bytes()).hexdigest()

    return {
        "version": LINEAGE_VERSION,
        "chain_id": chain_id,
        "subnet": report.subnet,
        "dataset": {
            "name": dataset,
            "pool_dataset_ids": list(dataset_ids or []),
            "miner_shards": [file_hash(p) for p in shards.miners],
        },
        "miners": [{"uid": j, "account": a, "earned": report.miner_earned[j]} for j, a in enumerate(miners)],
        "rounds": [
            {
                "round": r.number,
                "epoch": report.epochs[k].epoch if k < len(report.epochs) else None,
                "global": _sha256(r.after),
                "updates": {str(m): _sha256(u) for m, u in sorted(r.updates.items())},
                "refused": {str(m): why for m, why in sorted(r.rejected.items())},
            }
            for k, r in enumerate(record.rounds)
        ],
        "final_model": _sha256(record.final),
        "test_accuracy": report.accuracy[-1] if report.accuracy else None,
    }


@dataclass(frozen=True)
class RegisteredResult:
    """The registered final model and where its lineage lives."""

    model: CompiledModel
    model_id: str
    lineage_cid: str
    onnx_path: Path


def register_result(
    chain: Chain,
    owner: LocalAccount,
    home: Path,
    record: TrainingRecord,
    lineage: dict[str, Any],
    samples: list[list[float]],
    workdir: Path,
) -> RegisteredResult:
    """Export the final model, compile it for proofs, store the lineage and register the model
    with ``metadataURI = ipfs://<lineage CID>`` in the home's ModelRegistry."""
    path = export_onnx(record.final, workdir / "network-model.onnx")
    compiled = Model.from_onnx(path, home=home).compile(samples)
    cid = ZkmlHome(Path(home)).store.put_bytes(json.dumps(lineage, sort_keys=True).encode())
    model_id = compiled.register(chain, owner, name="network-model", metadata_uri=f"ipfs://{cid}")
    return RegisteredResult(compiled, model_id, cid, path)
