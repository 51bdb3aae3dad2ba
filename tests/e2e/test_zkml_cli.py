"""The `aiweb3 model` / `aiweb3 srs` commands end to end: the real entry point, node and prover."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "zkml"
AIWEB3 = str(Path(sys.executable).parent / "aiweb3")


class Cli:
    def __init__(self, home: Path) -> None:
        self.env = {**os.environ, "AIWEB3_HOME": str(home), "COLUMNS": "200"}

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([AIWEB3, *args], env=self.env, capture_output=True, text=True, timeout=300)
        if ok:
            assert done.returncode == 0, done.stderr
        else:
            assert done.returncode == 1, (done.stdout, done.stderr)
            assert "Traceback" not in done.stderr
        return done


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    run = Cli(tmp_path_factory.mktemp("zkml-cli-home"))
    try:
        yield run
    finally:
        subprocess.run([AIWEB3, "node", "stop"], env=run.env, capture_output=True, timeout=60)


def test_model_cli_end_to_end(cli: Cli, tmp_path: Path) -> None:
    compiled = cli(
        "model", "compile", str(EXAMPLES / "mlp.onnx"), "--samples", str(EXAMPLES / "mlp_samples.json")
    )
    model_id = re.search(r"model id: (0x[0-9a-f]{64})", compiled.stdout)
    assert model_id, compiled.stdout
    mid = model_id.group(1)
    assert "development only" in compiled.stdout
    assert "making the proving and verifying keys" in compiled.stderr  # progress shown
    again = cli(
        "model", "compile", str(EXAMPLES / "mlp.onnx"), "--samples", str(EXAMPLES / "mlp_samples.json")
    )
    assert mid in again.stdout and "reusing the compiled artifacts" in again.stderr
    assert "development" in cli("srs", "list").stdout
    assert mid in cli("model", "list").stdout

    cli("deploy")
    cli("model", "register", mid[:10], "--price", "0.25", "--metadata-uri", "ipfs://card")
    listed = cli("model", "list", "--onchain").stdout
    assert mid in listed and "0.25" in listed
    shown = json.loads(cli("model", "show", mid, "--onchain").stdout)
    assert shown["onchain"]["price"] == 250_000 and shown["onchain"]["metadata_uri"] == "ipfs://card"

    sample = json.loads((EXAMPLES / "mlp_samples.json").read_text())["samples"][3]
    proof_path = tmp_path / "proof.json"
    proved = cli("model", "prove", mid, "--input", json.dumps(sample), "--out", str(proof_path))
    assert "proving" in proved.stderr and proof_path.is_file()
    outputs = json.loads(proof_path.read_text())["outputs"]
    assert json.dumps(outputs) in proved.stdout
    assert "verified locally" in cli("model", "verify", str(proof_path)).stdout
    assert "verified on chain" in cli("model", "verify", str(proof_path), "--onchain").stdout
    sent = cli("model", "verify", str(proof_path), "--onchain", "--send").stdout
    assert re.search(r"tx 0x[0-9a-f]{64}, gas \d+", sent)

    tampered = json.loads(proof_path.read_text())
    raw = bytearray.fromhex(tampered["proof"][2:])
    raw[100] ^= 1
    tampered["proof"] = "0x" + raw.hex()
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(tampered))
    assert "does not verify" in cli("model", "verify", str(bad), ok=False).stderr
    assert "does not verify on chain" in cli("model", "verify", str(bad), "--onchain", ok=False).stderr
    assert "InvalidProof" in cli("model", "verify", str(bad), "--onchain", "--send", ok=False).stderr

    wrong = cli("model", "prove", mid, "--input", "[1, 2, 3]", ok=False)
    assert "expected [1, 8]" in wrong.stderr

    dev1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # anvil's dev account 1
    cli("model", "transfer", mid, dev1)
    assert "NotModelOwner" in cli("model", "deprecate", mid, ok=False).stderr  # dev 0 lost it
    cli("model", "set-price", mid, "1.5", "--account", "dev:1")
    assert json.loads(cli("model", "show", mid, "--onchain").stdout)["onchain"]["price"] == 1_500_000
    cli("model", "deprecate", mid, "--account", "dev:1")
    refused = cli("model", "verify", str(proof_path), "--onchain", ok=False)
    assert "ModelIsDeprecated" in refused.stderr


def test_srs_cli(tmp_path: Path) -> None:
    from aiweb3.zkml import ZkmlHome

    home = tmp_path / "home"
    cli = Cli(home)
    made = cli("srs", "dev", "4")
    assert "development only" in made.stdout and "logrows 4" in made.stdout
    entry = ZkmlHome(home).srs.find(4)
    assert entry is not None
    copy = tmp_path / "kzg4.srs"
    copy.write_bytes(ZkmlHome(home).store.get_bytes(entry.cid))
    assert f"imported SRS for logrows 4: {entry.cid}" in cli("srs", "import", str(copy)).stdout
    listed = cli("srs", "list").stdout
    assert "imported" in listed and entry.cid in listed
    junk = tmp_path / "junk.srs"
    junk.write_bytes(b"junk")
    assert "not an SRS" in cli("srs", "import", str(junk), ok=False).stderr
