"""SRS management: a development SRS is made once and kept; an imported one is recorded by hash
and replaces it for new keys; keys always name the SRS they were made with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aiweb3.errors import InputError
from aiweb3.zkml import Model, ZkmlHome
from aiweb3.zkml._ezkl import gen_srs
from aiweb3.zkml.srs import file_cid

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "zkml"


def test_dev_srs_kept_and_import_replaces_it(tmp_path: Path, mlp_samples: Any) -> None:
    home = tmp_path / "home"
    srs = ZkmlHome(home).srs
    first = srs.get(4)
    assert first.development and srs.get(4) == first  # generated once, then kept
    assert srs.list() == [first]

    samples = mlp_samples["samples"][:4]
    dev_model = Model.from_onnx(EXAMPLES / "mlp.onnx", home=home).compile(samples)
    assert dev_model.development_srs
    assert dev_model.srs_cid == srs.find(dev_model.logrows).cid  # type: ignore[union-attr]

    ceremony = tmp_path / f"kzg{dev_model.logrows}.srs"
    gen_srs(ceremony, dev_model.logrows)  # stands in for a downloaded ceremony file
    imported = srs.import_file(ceremony)
    assert (imported.origin, imported.logrows, imported.cid) == (
        "imported",
        dev_model.logrows,
        file_cid(ceremony),
    )
    assert imported.source == str(ceremony.resolve())

    steps: list[str] = []
    new_model = Model.from_onnx(EXAMPLES / "mlp.onnx", home=home).compile(samples, on_progress=steps.append)
    assert "setup" in steps  # not reused: the keys must be made with the imported SRS
    assert new_model.srs_cid == imported.cid and not new_model.development_srs
    assert new_model.model_id != dev_model.model_id  # the key (the commitment) depends on the SRS
    # the old keys still work with the SRS they name, which stays in the store
    dev_model.prove(samples[0]).verify()
    new_model.prove(samples[0]).verify()


def test_import_refuses_non_srs(tmp_path: Path) -> None:
    junk = tmp_path / "junk.srs"
    junk.write_bytes(b"\xff" * 64)
    with pytest.raises(InputError, match="not an SRS"):
        ZkmlHome(tmp_path).srs.import_file(junk)
