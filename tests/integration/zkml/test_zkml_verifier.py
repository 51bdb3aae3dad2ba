"""The committed reusable verifier is what ezkl renders today (through the solc-js stand-in)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from aiweb3.chain import artifact
from aiweb3.zkml import CompiledModel
from aiweb3.zkml.evm import VERIFIER_SOURCE, render_reusable_verifier


def test_committed_verifier_is_current(mlp_model: CompiledModel, tmp_path: Path) -> None:
    paths = [mlp_model.artifact_path(k) for k in ("vk", "settings", "srs")]
    rendered = render_reusable_verifier(paths[0], paths[1], paths[2], tmp_path)
    assert rendered.read_bytes() == VERIFIER_SOURCE.read_bytes(), (
        "ezkl renders a different verifier: run `python -m aiweb3.zkml.evm` and `make artifacts`"
    )
    art = artifact("Halo2VerifierReusable")
    assert art.source_hash == hashlib.sha256(VERIFIER_SOURCE.read_bytes()).hexdigest()
    assert len(bytes.fromhex(art.deployed_bytecode[2:])) < 24_576
