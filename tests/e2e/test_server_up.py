"""`aiweb3 up` serves the API and dashboard, seeds the demo once, stops cleanly, reuses state."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    env.update({"AIWEB3_HOME": str(home), "COLUMNS": "200"})
    return env


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    subprocess.run([*AIWEB3, "node", "stop"], env=_env(tmp_path), capture_output=True, timeout=60)


def _start(home: Path, *args: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [*AIWEB3, "up", "--no-llm", *args],
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "aiweb3 is up" in line:
            return proc, lines
    proc.kill()
    raise AssertionError(f"`aiweb3 up` did not come up: {lines} {proc.stderr.read() if proc.stderr else ''}")


def _dashboard(lines: list[str]) -> str:
    """The URL on the ``dashboard: URL`` line ``aiweb3 up`` prints."""
    (url,) = [line.split(" ", 1)[1].strip() for line in lines if line.startswith("dashboard: ")]
    return url


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in out + err
    return out


def test_up_serves_the_dashboard_seeds_the_demo_once_and_reuses_state(home: Path) -> None:
    proc, lines = _start(home, "--port", "0")  # a free port, named on the dashboard line
    try:
        url = _dashboard(lines)
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0"), lines
        seeded = "demo: seeded content, model, agent (/content/0x"
        assert any(line.startswith(seeded) for line in lines), lines
        assert any(line.startswith("indexer: following the chain into ") for line in lines), lines
        models = httpx.get(f"{url}/api/models", timeout=30).json()["models"]
        assert [(m["name"], m["verified_inferences"]) for m in models] == [("breast-cancer-mlp", 1)]
        assert httpx.get(f"{url}/api/analytics", timeout=30).json()["index"]["running"] is True
        agents = httpx.get(f"{url}/api/agents", timeout=30).json()["agents"]
        assert [(a["name"], a["models"]) for a in agents] == [("proving agent", [models[0]["model_id"]])]
        content = httpx.get(f"{url}/api/content", timeout=30).json()["content"]
        assert [c["name"] for c in content] == ["demo-tone.wav"]
        demo_id = content[0]["manifest_id"]
        assert content[0]["anchored"]["block"] > 0
        assert "demo-tone.wav" in httpx.get(f"{url}/content", timeout=30).text
        made = subprocess.run(
            [*AIWEB3, "token", "new", "--name", "e2e"],
            env=_env(home),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip()
        assert token.startswith("aiw_") and token not in (home / "server" / "tokens.json").read_text()
        # other users of the machine can neither list the home nor read what it keeps
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        server_dir = home / "server"
        private = [server_dir / "tokens.json", *(server_dir / "proofs").glob("*.json")]
        private += [p for p in (server_dir / "content").rglob("*") if p.is_file()]
        assert len(private) >= 4 and {oct(stat.S_IMODE(p.stat().st_mode)) for p in private} == {"0o600"}
        r = httpx.post(f"{url}/api/content/anchor", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert r.status_code == 202
        assert httpx.post(f"{url}/api/content/anchor", timeout=30).status_code == 401
    finally:
        out = _stop(proc)
    assert "server stopped" in out and "node stopped" in out
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/api/health", timeout=5)

    proc, lines = _start(home, "--port", url.rsplit(":", 1)[1])
    try:
        assert not any(line.startswith("demo:") for line in lines), lines
        assert "reused" in "".join(lines) or "AIUSD" in "".join(lines)
        again = httpx.get(f"{url}/api/content", timeout=30).json()["content"]
        assert [c["manifest_id"] for c in again] == [demo_id]
        index = httpx.get(f"{url}/api/analytics", timeout=30).json()["index"]
        assert index["running"] is True and index["last_block"] >= 0  # reopened after the clean stop
    finally:
        _stop(proc)


def test_up_refuses_a_busy_port_with_one_line(home: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [*AIWEB3, "up", "--no-llm", "--port", str(port), "--no-demo"],
            env=_env(home),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "--port" in proc.stderr


def test_up_refuses_a_port_out_of_range_with_one_line(home: Path) -> None:
    proc = subprocess.run(
        [*AIWEB3, "up", "--no-llm", "--port", "99999", "--no-demo"],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "port 99999 is not a TCP port" in proc.stderr and "--port" in proc.stderr


def test_up_refuses_an_unreachable_ray_cluster_it_was_told_to_require(home: Path) -> None:
    with socket.socket() as closed:  # bound, never listening, then closed: nothing answers there
        closed.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{closed.getsockname()[1]}"
    proc = subprocess.run(
        [*AIWEB3, "up", "--no-llm", "--port", "0", "--no-demo", "--no-index"],
        env={**_env(home), "AIWEB3_RAY_ADDRESS": address, "AIWEB3_RAY_REQUIRED": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert f"error: the Ray cluster at {address} is unreachable; start it" in proc.stderr, proc.stderr
    assert "aiweb3 is up" not in proc.stdout
