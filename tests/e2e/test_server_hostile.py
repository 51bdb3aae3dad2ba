"""`aiweb3 up` outlives hostile requests, answers only its own host names, and takes anvil down with it."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from up_process import AIWEB3, aiweb3_env, start_up

from aiweb3.presence import process_alive

DEEP = b"[" * 100_000 + b"]" * 100_000


def _start(home: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """Run `aiweb3 up ARGS` until it says it is up; returns the process and the dashboard URL."""
    proc, url, _ = start_up(home, *args, stderr=subprocess.DEVNULL)
    return proc, url


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "home"
    subprocess.run(
        [*AIWEB3, "node", "stop"], env=aiweb3_env(tmp_path / "home"), capture_output=True, timeout=60
    )


def _still_up(proc: subprocess.Popen[str], url: str) -> None:
    assert proc.poll() is None, f"`aiweb3 up` died (exit code {proc.returncode})"
    assert httpx.get(f"{url}/api/health", timeout=30).status_code == 200


def test_hostile_bodies_and_hosts_are_refused_and_a_killed_up_takes_anvil_along(home: Path) -> None:
    proc, url = _start(home, "--port", "0", "--no-demo")
    try:
        port = url.rsplit(":", 1)[1]
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        anvil = json.loads((home / "node" / "node.json").read_text())["pid"]

        # 100,000 nested arrays: a segfault of the whole process before the fix
        for headers in ({"content-type": "application/json"}, {}):
            body = b'{"question": ' + DEEP + b"}"
            r = httpx.post(f"{url}/api/ask", content=body, headers=headers, timeout=30)
            assert r.status_code == 400, r.text
            assert r.json()["code"] == "bad_request" and "nested more than 64 levels" in r.json()["message"]
            _still_up(proc, url)
        r = httpx.post(f"{url}/api/ask", json={"question": "x" * (2 * 1024 * 1024)}, timeout=30)
        assert r.status_code == 413 and "JSON" in r.json()["message"]
        _still_up(proc, url)
        # the same nesting in multipart parts (a cross-origin form can send these without a preflight)
        for files in (
            {"proof": ("proof.json", DEEP)},
            {"file": ("a.bin", b"data"), "sidecar": ("a.bin.aiw.json", DEEP)},
        ):
            r = httpx.post(f"{url}/api/verify", files=files, timeout=30)
            assert r.status_code == 400 and "nested more than 64 levels" in r.json()["message"], r.text
            _still_up(proc, url)
        lone = b'{"format": "aiweb3-proof/1", "x": ' + DEEP + b"}"
        r = httpx.post(f"{url}/api/verify", files={"file": ("proof.json", lone)}, timeout=30)
        assert r.status_code == 200 and r.json()["ok"] is False
        assert "nested more than 64 levels" in r.json()["verdict"]
        _still_up(proc, url)
        assert not list((home / "server" / "uploads").iterdir())  # refused uploads are cleaned up

        # DNS rebinding: a page on evil.example whose name now points at 127.0.0.1
        evil = httpx.get(f"{url}/api/chain", headers={"Host": f"evil.example:{port}"}, timeout=30)
        assert evil.status_code == 400 and evil.json()["code"] == "bad_host"
        assert "evil.example" in evil.json()["message"]
        assert httpx.get(f"{url}/", headers={"Host": "evil.example"}, timeout=30).status_code == 400
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
            assert httpx.get(f"{url}/api/chain", headers={"Host": host}, timeout=30).status_code == 200
        ok = httpx.post(f"{url}/api/ask", json={"question": "transactions per day"}, timeout=60)
        assert ok.status_code == 200, ok.text

        # SIGKILL: no chance to clean up, yet the node it started must not be orphaned
        assert process_alive(anvil)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        deadline = time.monotonic() + 30
        while process_alive(anvil) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not process_alive(anvil), f"anvil (pid {anvil}) outlived the `aiweb3 up` that started it"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)


def test_a_node_started_by_hand_keeps_running_after_up_is_killed(home: Path) -> None:
    started = subprocess.run(
        [*AIWEB3, "node", "start"], env=aiweb3_env(home), capture_output=True, text=True, timeout=60
    )
    assert started.returncode == 0, started.stderr
    anvil = json.loads((home / "node" / "node.json").read_text())["pid"]
    proc, _ = _start(home, "--port", "0", "--no-demo", "--no-index")
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    time.sleep(0.5)
    assert process_alive(anvil), "a node `aiweb3 node start` started belongs to no `aiweb3 up`"
