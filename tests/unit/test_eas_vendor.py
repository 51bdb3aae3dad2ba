"""The committed EAS artifacts are the npm package's compiled artifacts, unchanged."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from aiweb3.chain.contracts import VENDOR_DIR, artifact
from aiweb3.chain.eas import decode_data, encode_data, schema_types
from aiweb3.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def test_vendored_artifacts_equal_the_npm_package() -> None:
    spec = importlib.util.spec_from_file_location("vendor", ROOT / "contracts" / "vendor.py")
    assert spec is not None and spec.loader is not None
    vendor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vendor)
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]
    for name in vendor.VENDORED:
        committed = json.loads((VENDOR_DIR / f"{name}.json").read_text())
        assert committed == vendor.vendored_artifact(name, ROOT / "node_modules"), (
            f"{name}: run `.venv/bin/python contracts/vendor.py`"
        )
        assert pinned[committed["npmPackage"]] == committed["npmVersion"]
        assert artifact(name).bytecode == committed["bytecode"]


def test_schema_data_round_trip_and_bad_schema() -> None:
    schema = "bytes32 a,uint32 b,string c"
    values = {"a": "0x" + "ab" * 32, "b": 7, "c": "x"}
    assert decode_data(schema, encode_data(schema, {**values, "a": bytes.fromhex("ab" * 32)})) == values
    with pytest.raises(InputError, match="lacks c"):
        encode_data(schema, {"a": b"\0" * 32, "b": 1})
    with pytest.raises(InputError, match="malformed schema field"):
        schema_types("uint32")
    with pytest.raises(InputError, match="not of the schema"):
        decode_data(schema, b"\x01")
