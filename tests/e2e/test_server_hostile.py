"""`aiweb3 up` outlives hostile requests, answers only its own host names, and takes anvil down with it."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]
DEEP = b"[" * 100_000 + b"]" * 100_000


def _alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    env.update({"AIWEB3_HOME": str(home), "COLUMNS": "200"})
    return env


def _start(home: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """Run `aiweb3 up ARGS` until it says it is up; returns the process and the dashboard URL."""
    proc = subprocess.Popen(
        [*AIWEB3, "up", "--no-llm", *args],
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if "aiweb3 is up" in line:
            (url,) = [x.split(" ", 1)[1].strip() for x in lines if x.startswith("dashboard: ")]
            return proc, url
    proc.kill()
    raise AssertionError(f"`aiweb3 up` did not come up: {lines}")


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "home"
    subprocess.run([*AIWEB3, "node", "stop"], env=_env(tmp_path / "home"), capture_output=True, timeout=60)


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
        assert _alive(anvil)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        deadline = time.monotonic() + 30
        while _alive(anvil) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(anvil), f"anvil (pid {anvil}) outlived the `aiweb3 up` that started it"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)


def test_a_node_started_by_hand_keeps_running_after_up_is_killed(home: Path) -> None:
    started = subprocess.run(
        [*AIWEB3, "node", "start"], env=_env(home), capture_output=True, text=True, timeout=60
    )
    assert started.returncode == 0, started.stderr
    anvil = json.loads((home / "node" / "node.json").read_text())["pid"]
    proc, _ = _start(home, "--port", "0", "--no-demo", "--no-index")
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    time.sleep(0.5)
    assert _alive(anvil), "a node `aiweb3 node start` started belongs to no `aiweb3 up`"
