"""Hot provers: a long-lived worker per model gives valid proofs with the cold path's instances,
is restarted when killed, and the pool evicts the least recently used model."""

from __future__ import annotations

import os
import signal
from typing import Any

from aiweb3.zkml import CompiledModel, InferenceProof, ProverPool


def test_hot_prover_matches_cold_restarts_and_evicts(
    mlp_model: CompiledModel,
    mlp_batch_model: CompiledModel,
    mlp_proof: InferenceProof,
    mlp_samples: dict[str, Any],
) -> None:
    sample = mlp_samples["samples"][0]
    with ProverPool(max_provers=1) as pool:
        hot = pool.prover(mlp_model)
        first = hot.prove(sample)
        first.verify()
        # same public instances as the cold proof of the same input; Halo2 blinds every proof,
        # so the bytes differ from call to call (hot or cold) while both verify
        assert first.instances == mlp_proof.instances
        assert first.outputs == mlp_proof.outputs
        assert first.proof != mlp_proof.proof
        assert mlp_model.prove(sample).proof != mlp_proof.proof  # cold twice: different bytes too

        pid = hot.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        again = pool.prove(mlp_model, sample)  # the dead worker is started again
        again.verify()
        assert again.instances == mlp_proof.instances
        assert hot.restarts == 1 and hot.pid != pid and hot.alive

        # room for one model: asking for another ends the first one's worker
        other = pool.prover(mlp_batch_model)
        assert pool.models == [mlp_batch_model.model_id]
        assert pool.evictions == 1 and not hot.alive and other.alive
    assert not other.alive
