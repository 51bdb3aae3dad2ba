"""The `aiweb3 model` / `aiweb3 srs` commands end to end: the real entry point, node and prover."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from aiweb3.agents.http402 import parse_payment_required

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
    # registering again (as the README does after `aiweb3 up` seeded the model) is not an error
    again = cli("model", "register", mid[:10], "--price", "0.25", "--account", "dev:1")
    assert f"{mid} is already registered (by 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" in again.stdout
    assert "nothing to do" in again.stdout
    listed = json.loads(cli("model", "list", "--onchain", "--json").stdout.splitlines()[0])
    assert listed["model_id"] == mid and listed["price"] == 250_000
    shown = json.loads(cli("model", "show", mid, "--onchain", "--json").stdout)
    assert shown["onchain"]["price"] == 250_000 and shown["onchain"]["metadata_uri"] == "ipfs://card"
    _tables_and_summary_fit_80_columns(cli, mid)
    _serve_asks_the_registered_price(cli, mid)

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
    # far outside the circuit's range: one line from the settings' bounds, no Rust panic
    huge = cli("model", "prove", mid, "--input", "[1e300, 0, 0, 0, 0, 0, 0, 0]", ok=False)
    assert "1e+300 is outside the circuit's range (|x| < 65536, quantized at scale 2^13)" in huge.stderr
    assert "panicked" not in huge.stderr and len(huge.stderr.strip().splitlines()) == 1

    dev1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # anvil's dev account 1
    cli("model", "transfer", mid, dev1)
    assert "NotModelOwner" in cli("model", "deprecate", mid, ok=False).stderr  # dev 0 lost it
    cli("model", "set-price", mid, "1.5", "--account", "dev:1")
    assert (
        json.loads(cli("model", "show", mid, "--onchain", "--json").stdout)["onchain"]["price"] == 1_500_000
    )
    cli("model", "deprecate", mid, "--account", "dev:1")
    refused = cli("model", "verify", str(proof_path), "--onchain", ok=False)
    assert "ModelIsDeprecated" in refused.stderr


def _serve_asks_the_registered_price(cli: Cli, mid: str) -> None:
    """`model serve` listens, asks the registered price (x402) and refuses bad input before it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [AIWEB3, "model", "serve", mid[:10], "--port", str(port)],
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith(f"serving {mid} on http://127.0.0.1:{port}: 0.25 AIUSD per inference"), first
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                info = httpx.get(url, timeout=5).json()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert info["model_id"] == mid and info["price"] == 250_000 and info["batch_size"] == 1
        sample = json.loads((EXAMPLES / "mlp_samples.json").read_text())["samples"][0]
        unpaid = httpx.post(f"{url}/infer", json={"inputs": sample}, timeout=30)
        assert unpaid.status_code == 402
        assert parse_payment_required(unpaid).accepts[0].amount == "250000"
        bad = httpx.post(f"{url}/infer", json={"inputs": [1, 2]}, timeout=30)
        assert bad.status_code == 400 and "expected [1, 8]" in bad.json()["detail"]
        assert httpx.get(f"{url}/proofs/nothing", timeout=5).status_code == 404
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in err, err
    busy = cli("model", "serve", mid[:10], "--port", "99999", ok=False)
    assert busy.stderr.strip() == "error: --port 99999 is not a TCP port: give 1 to 65535"


def _tables_and_summary_fit_80_columns(cli: Cli, mid: str) -> None:
    narrow = Cli(Path(cli.env["AIWEB3_HOME"]))
    narrow.env["COLUMNS"] = "80"
    for args in (("model", "list"), ("model", "list", "--onchain"), ("deploy",)):
        table = narrow(*args).stdout
        assert all(len(line) <= 80 for line in table.splitlines()), table
        assert (mid[:10] in table) != (args == ("deploy",)), table
    assert "0x5FbDB2315678afecb367f032d93F642f64180aa3" in narrow("deploy").stdout  # whole addresses
    shown = narrow("model", "show", mid[:10], "--onchain").stdout
    expected = [
        "name         mlp",
        "inputs       input [1, 8] (private)",
        "outputs      logits [1, 2]",
        "logrows 11",
        "owner        0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        "price        0.25 AIUSD per inference",
        "status       active",
    ]
    for line in expected:
        assert line in shown, shown
    assert "{" not in shown  # a summary; --json is for machines


def test_native_panics_stay_off_the_terminal(cli: Cli, tmp_path: Path) -> None:
    """A real ezkl panic (quantizing 1e300) under the CLI's capture: one error line, no backtrace."""
    from aiweb3.zkml import compiled_models

    cli("model", "compile", str(EXAMPLES / "mlp.onnx"), "--samples", str(EXAMPLES / "mlp_samples.json"))
    (model,) = compiled_models(Path(cli.env["AIWEB3_HOME"]))
    data = tmp_path / "input.json"
    data.write_text(json.dumps({"input_data": [[1e300] + [0.0] * 7]}))
    script = f"""
import os, sys
from pathlib import Path
from aiweb3.cli.context import err_console
from aiweb3.cli.native import native_stderr_captured
from aiweb3.errors import ProofError
from aiweb3.zkml import _ezkl
os.write(2, b"before\\n")
try:
    with native_stderr_captured(err_console):
        err_console.print("still shown")
        _ezkl.gen_witness(Path({str(data)!r}), Path({str(model.artifact_path("circuit"))!r}),
                          Path({str(tmp_path / "w.json")!r}))
except ProofError as exc:
    err_console.print(f"error: {{exc}}")
with native_stderr_captured(err_console):
    os.write(2, b"replayed after success\\n")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], env={**cli.env, "RUST_BACKTRACE": "1"}, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[:2] == ["before", "still shown"], lines
    assert lines[2].startswith("error: running the model failed (ezkl panicked"), lines
    assert lines[3:] == ["replayed after success"], lines
    assert "stack backtrace" not in done.stderr and "thread '" not in done.stderr


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
