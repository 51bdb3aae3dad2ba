"""A real `aiweb3 up` process killed during a job: the job comes back failed with the reason,
its uploads are gone, and a job that can run again from its parameters is retried."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from up_process import AIWEB3, aiweb3_env, start_up

from aiweb3.server.modeljobs import EXAMPLE_DIR
from aiweb3.server.tasks import demo_wav

SAMPLES = json.loads((EXAMPLE_DIR / "mlp_samples.json").read_text())["samples"]


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    subprocess.run([*AIWEB3, "node", "stop"], env=aiweb3_env(tmp_path), capture_output=True, timeout=60)


def _up(home: Path) -> tuple[subprocess.Popen[str], str, list[str]]:
    return start_up(home, "--port", "0", "--no-demo", "--no-index")


def _interrupt(proc: subprocess.Popen[str], url: str, home: Path, submit: Callable[[], str]) -> str:
    """Submit jobs until one is caught running: freeze the service (SIGSTOP), check in the job store
    that the job is still running, then SIGKILL it. Returns the id of the interrupted job."""
    for _ in range(5):
        job_id = submit()
        while True:
            snap: dict[str, Any] = httpx.get(f"{url}/api/jobs/{job_id}", timeout=30).json()
            if snap["state"] in ("running", "succeeded", "failed"):
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGSTOP)
        with sqlite3.connect(home / "server" / "jobs.sqlite") as db:
            (state,) = db.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if state == "running":
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            return job_id
        proc.send_signal(signal.SIGCONT)  # it finished first: try again
    raise AssertionError("no job was caught running in five tries")


def _wait(url: str, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        snap: dict[str, Any] = httpx.get(f"{url}/api/jobs/{job_id}", timeout=30).json()
        if snap["state"] in ("succeeded", "failed"):
            return snap
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


def test_jobs_survive_a_killed_service(home: Path) -> None:
    proc, url, _ = _up(home)
    made = subprocess.run(
        [*AIWEB3, "token", "new", "--name", "crash"],
        env=aiweb3_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    auth = {"Authorization": f"Bearer {made.stdout.strip()}"}
    files = {
        "onnx": ("mlp.onnx", (EXAMPLE_DIR / "mlp.onnx").read_bytes()),
        "samples": ("s.json", json.dumps({"samples": SAMPLES[:8]}).encode()),
    }

    def compile_model() -> str:
        reply = httpx.post(f"{url}/api/models", files=files, headers=auth, timeout=60)
        assert reply.status_code == 202, reply.text
        return str(reply.json()["job"]["id"])

    try:
        compile_id = _interrupt(proc, url, home, compile_model)
    finally:
        proc.kill()
    uploads = home / "server" / "uploads"
    assert any(p.name.startswith("compile-") for p in uploads.iterdir())  # left behind by the dead process

    proc, url, lines = _up(home)
    try:
        assert any(f"job {compile_id} (compile)" in line for line in lines), lines
        assert list(uploads.iterdir()) == []  # staging cleaned on start
        snap = httpx.get(f"{url}/api/jobs/{compile_id}", timeout=30).json()
        assert snap["state"] == "failed" and snap["error"]["code"] == "interrupted", snap
        assert "submit it again" in snap["message"] and snap["retryable"] is False
        refused = httpx.post(f"{url}/api/jobs/{compile_id}/retry", headers=auth, timeout=30)
        assert refused.status_code == 409 and "submit the files again" in refused.json()["message"]
        assert httpx.post(f"{url}/api/jobs/{compile_id}/retry", timeout=30).status_code == 401

        compiled = _wait(url, compile_model())
        assert compiled["state"] == "succeeded", compiled
        model_id = compiled["result"]["model_id"]

        def prove() -> str:
            body = {"inputs": SAMPLES[0], "onchain": False}
            reply = httpx.post(f"{url}/api/models/{model_id}/prove", json=body, headers=auth, timeout=60)
            assert reply.status_code == 202, reply.text
            return str(reply.json()["job"]["id"])

        prove_id = _interrupt(proc, url, home, prove)
    finally:
        proc.kill()

    proc, url, _ = _up(home)
    try:
        snap = httpx.get(f"{url}/api/jobs/{prove_id}", timeout=30).json()
        assert snap["state"] == "failed" and snap["error"]["code"] == "interrupted" and snap["retryable"]
        assert httpx.get(f"{url}/api/jobs/{compiled['id']}", timeout=30).json()["state"] == "succeeded"
        reply = httpx.post(f"{url}/api/jobs/{prove_id}/retry", headers=auth, timeout=30)
        assert reply.status_code == 202, reply.text
        again = _wait(url, reply.json()["job"]["id"])
        assert again["state"] == "succeeded" and again["retry_of"] == prove_id, again
        assert again["result"]["model_id"] == model_id and again["result"]["proof_id"]
        assert (
            f'retry of <a class="mono" href="/jobs/{prove_id}">'
            in httpx.get(f"{url}/jobs/{again['id']}", timeout=30).text
        )
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)


def test_node_and_service_killed_right_after_an_anchor_come_back(home: Path) -> None:
    (home / "aiweb3.toml").write_text("state_interval = 3600\n")  # anvil dumps nothing before the kill
    wav = demo_wav(home / "tone.wav", seconds=1).read_bytes()
    proc, url, _ = _up(home)
    made = subprocess.run(
        [*AIWEB3, "token", "new", "--name", "crash"],
        env=aiweb3_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    auth = {"Authorization": f"Bearer {made.stdout.strip()}"}
    try:
        files = {"file": ("tone.wav", wav)}
        reply = httpx.post(
            f"{url}/api/content", files=files, data={"anchor": "true"}, headers=auth, timeout=60
        )
        assert reply.status_code == 202, reply.text
        signed = _wait(url, reply.json()["job"]["id"])
        assert signed["state"] == "succeeded", signed
        (before,) = httpx.get(f"{url}/api/content", timeout=30).json()["content"]
        assert before["anchored"] is not None
        node = json.loads((home / "node" / "node.json").read_text())
        os.kill(node["pid"], signal.SIGKILL)  # the node and the service die together
    finally:
        proc.kill()
        proc.wait(timeout=30)

    proc, url, lines = _up(home)
    try:
        text = "".join(lines)
        assert "re-sent" in text and "same hashes" in text, text
        assert "AIUSD: reused" in text and ": deployed" not in text  # the contracts came back as they were
        (after,) = httpx.get(f"{url}/api/content", timeout=30).json()["content"]
        assert after["anchored"]["tx_hash"] == before["anchored"]["tx_hash"]
        body = {"file": ("tone.wav", wav)}
        sidecar = (home / "server" / "content" / after["manifest_id"]).glob("*.aiw.json")
        body["sidecar"] = ("tone.wav.aiw.json", next(sidecar).read_bytes())
        verdict = httpx.post(f"{url}/api/verify", files=body, timeout=60).json()
        assert verdict["ok"] is True, verdict
        anchor = httpx.post(f"{url}/api/content/anchor", headers=auth, timeout=30)
        assert _wait(url, anchor.json()["job"]["id"])["result"]["count"] == 0  # nothing left pending
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
