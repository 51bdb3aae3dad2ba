"""The real `aiweb3 llm` command with the real default model: chat, status, add, receipts."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from aiweb3.chain import Chain, dev_account
from aiweb3.llm.receipts import InferenceRequest, load_receipt, receipt_domain, sign_receipt
from aiweb3.llm.runtime import RuntimeInfo

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    env.update({"AIWEB3_HOME": str(home), "COLUMNS": "250"})
    return env


def run(home: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    cmd = [*AIWEB3, "llm", *args]
    proc = subprocess.run(cmd, env=_env(home), capture_output=True, text=True, timeout=600)
    assert proc.returncode == code, proc.stderr + proc.stdout
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc


def test_status_models_and_chat(llm_runtime: RuntimeInfo, aiweb3_home: Path) -> None:
    status = run(aiweb3_home, "status").stdout
    assert f"running at {llm_runtime.api_url}" in status and llm_runtime.sha256 in status
    assert "smollm2-135m (default)" in run(aiweb3_home, "models").stdout
    answer = run(aiweb3_home, "chat", "Name one fruit.", "--max-tokens", "8")
    assert answer.stdout.strip()
    assert "answer tokens" in answer.stderr
    bench = run(aiweb3_home, "bench", "--rounds", "1", "--max-tokens", "4").stdout
    assert "time to first token" in bench and "tokens/s" in bench


def test_add_refuses_a_corrupt_file_in_one_line(aiweb3_home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\xff" * 40)
    proc = run(aiweb3_home, "add", str(bad), "--name", "bad", code=1)
    assert proc.stderr.strip().count("\n") == 0 and "GGUF" in proc.stderr
    missing = run(aiweb3_home, "chat", "hi", "--max-tokens", "0", code=2)
    assert "max-tokens" in missing.stderr


def test_receipt_confirmed_tampered_and_lying_provider_refuted(
    llm_runtime: RuntimeInfo, aiweb3_home: Path, chain: Chain, tmp_path: Path
) -> None:
    receipt = tmp_path / "r.json"
    out = run(aiweb3_home, "chat", "Name one planet.", "--max-tokens", "10", "--receipt", str(receipt))
    signed = load_receipt(receipt)
    assert out.stdout.strip() == signed.output.strip()
    assert signed.message["modelSha256"] == "0x" + llm_runtime.sha256
    assert signed.message["runtime"] == llm_runtime.runtime
    verdict = run(aiweb3_home, "verify", str(receipt))
    assert "confirmed" in verdict.stdout and dev_account(0).address in verdict.stdout

    # edit the output after signing: the hash binding no longer holds
    data = json.loads(receipt.read_text())
    data["output"] = "Pluto, definitely a planet."
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(data))
    refuted = run(aiweb3_home, "verify", str(tampered), code=1)
    assert "refuted" in refuted.stdout and "output" in refuted.stdout

    # a provider that signs an output the model does not produce: re-execution refutes it
    liar = sign_receipt(
        dev_account(3),
        receipt_domain(chain.chain_id),
        request=InferenceRequest.from_json(data["request"]),
        output="Pluto, definitely a planet.",
        model_sha256=llm_runtime.sha256,
        model_name=llm_runtime.model,
        runtime=llm_runtime.runtime,
    )
    lie = tmp_path / "lie.json"
    liar.save(lie)
    refuted = run(aiweb3_home, "verify", str(lie), code=1)
    assert "re-executed" in refuted.stdout and "differs" in refuted.stdout

    # a receipt for a model this machine does not have: signature checked, verdict inconclusive
    other = sign_receipt(
        dev_account(3),
        receipt_domain(chain.chain_id),
        request=InferenceRequest.from_json(data["request"]),
        output=signed.output,
        model_sha256=hashlib.sha256(b"another model").hexdigest(),
        model_name="other",
        runtime=llm_runtime.runtime,
    )
    elsewhere = tmp_path / "elsewhere.json"
    other.save(elsewhere)
    assert "inconclusive" in run(aiweb3_home, "verify", str(elsewhere), code=2).stdout

    not_a_receipt = tmp_path / "x.json"
    not_a_receipt.write_text("[]")
    assert "not an aiweb3 inference receipt" in run(aiweb3_home, "verify", str(not_a_receipt), code=1).stderr

    # post both on chain in one batch; the watcher challenges the lie, not the honest receipt
    deployed = run(aiweb3_home, "batch", "deploy", "--window", "3600").stdout
    contract = deployed.split(" at ", 1)[1].split()[0]
    batch = tmp_path / "batch.json"
    run(aiweb3_home, "batch", "post", str(receipt), str(lie), "--contract", contract, "--out", str(batch))
    assert "open to challenges" in run(aiweb3_home, "batch", "status", str(batch)).stdout
    nothing = run(aiweb3_home, "batch", "challenge", str(batch), str(receipt), "--account", "dev:2", code=1)
    assert "nothing to challenge: confirmed" in nothing.stderr
    done = run(aiweb3_home, "batch", "challenge", str(batch), str(lie), "--account", "dev:2")
    assert "challenged receipt" in done.stdout
    status = run(aiweb3_home, "batch", "status", str(batch)).stdout
    assert "1 challenged" in status and dev_account(2).address in status
    assert "not in batch" in run(aiweb3_home, "batch", "challenge", str(batch), str(elsewhere), code=1).stderr


def test_ask_with_the_embedded_model(
    llm_runtime: RuntimeInfo, aiweb3_home: Path, chain: Chain, tmp_path: Path
) -> None:
    """`aiweb3 ask --engine model` with no URL set: the embedded model writes the plan, the
    guard checks its SQL; right or wrong, the answer is one JSON document and names the engine."""
    db = tmp_path / "index.duckdb"
    indexed = subprocess.run(
        [*AIWEB3, "index", "run", "--rpc-url", chain.url, "--db", str(db)],
        env=_env(aiweb3_home),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert indexed.returncode == 0, indexed.stderr
    cmd = [*AIWEB3, "ask", "how many blocks are indexed?", "--engine", "model", "--db", str(db), "--json"]
    proc = subprocess.run(cmd, env=_env(aiweb3_home), capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    if not proc.stdout.strip():  # the tiny model's plan can fail validation twice, or (on a crowded
        # machine) miss the 60 s deadline: one line says so
        assert proc.returncode == 1
        one_liners = ("error: the model's plan failed twice", "error: the language model at ")
        assert proc.stderr.startswith(one_liners)
        assert len(proc.stderr.strip().splitlines()) == 1
        return
    answer = json.loads(proc.stdout)
    assert llm_runtime.model in answer["engine"]
    if answer["answered"]:
        assert answer["sql"] and answer["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
