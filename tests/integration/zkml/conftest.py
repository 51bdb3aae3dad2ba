"""zkml fixtures, shared per session: the example MLP compiled once (keys, SRS) and one proof.

The models are compiled in the session's ``aiweb3_home`` so the registry deployed there
(``deployments``) is found by ``ModelRegistryClient.from_home``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from aiweb3.zkml import CompiledModel, CompileOptions, InferenceProof, Model, prove_batch

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "zkml"


@pytest.fixture(scope="session")
def mlp_samples() -> dict[str, Any]:
    """The example's held-out samples and labels."""
    return dict(json.loads((EXAMPLES / "mlp_samples.json").read_text()))


@pytest.fixture(scope="session")
def mlp_model(aiweb3_home: Path, mlp_samples: dict[str, Any]) -> CompiledModel:
    """The example MLP, compiled (with a development SRS) once per session."""
    return Model.from_onnx(EXAMPLES / "mlp.onnx", home=aiweb3_home).compile(mlp_samples["samples"][:8])


@pytest.fixture(scope="session")
def mlp_proof(mlp_model: CompiledModel, mlp_samples: dict[str, Any]) -> InferenceProof:
    """One proof of the MLP on the first sample."""
    return mlp_model.prove(mlp_samples["samples"][0])


@pytest.fixture(scope="session")
def altered_onnx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MLP with one weight changed (its first layer's first weight, +0.5)."""
    proto = onnx.load(str(EXAMPLES / "mlp.onnx"))
    init = next(i for i in proto.graph.initializer if numpy_helper.to_array(i).ndim == 2)
    weights = numpy_helper.to_array(init).copy()
    weights.flat[0] += np.float32(0.5)
    init.CopyFrom(numpy_helper.from_array(weights, init.name))
    path = tmp_path_factory.mktemp("altered") / "mlp_altered.onnx"
    onnx.save(proto, str(path))
    return path


@pytest.fixture(scope="session")
def altered_model(aiweb3_home: Path, altered_onnx: Path, mlp_samples: dict[str, Any]) -> CompiledModel:
    """The one-weight-changed MLP, compiled in the same home (same SRS)."""
    return Model.from_onnx(altered_onnx, home=aiweb3_home).compile(mlp_samples["samples"][:8])


#: inferences per proof of the batched test circuit (logrows 13: small keys, proofs of seconds)
BATCH = 4


@pytest.fixture(scope="session")
def mlp_batch_model(aiweb3_home: Path, mlp_samples: dict[str, Any]) -> CompiledModel:
    """The example MLP compiled with a batch dimension of ``BATCH``, once per session."""
    options = CompileOptions(batch_size=BATCH)
    return Model.from_onnx(EXAMPLES / "mlp.onnx", home=aiweb3_home).compile(
        mlp_samples["samples"][:8], options
    )


@pytest.fixture(scope="session")
def mlp_batch_proof(mlp_batch_model: CompiledModel, mlp_samples: dict[str, Any]) -> InferenceProof:
    """One batched proof of the first ``BATCH`` samples."""
    (proof,) = prove_batch(mlp_batch_model, mlp_samples["samples"][:BATCH])
    return proof
