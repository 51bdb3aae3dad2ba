"""The README tour, run while `aiweb3 up` serves the same home: the CLI shares the service's
node and index and never breaks the service (issue: a new user's first hour)."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from up_process import AIWEB3, aiweb3_env, start_up


def _cli_env(home: Path) -> dict[str, str]:
    return aiweb3_env(home, AIWEB3_PASSWORD="correct horse")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    home = tmp_path_factory.mktemp("tour")
    proc, url, _ = start_up(home, "--port", "0", "--no-demo")
    try:
        yield {"home": home, "url": url, "proc": proc}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        subprocess.run(
            [*AIWEB3, "node", "stop", "--force"], env=_cli_env(home), capture_output=True, timeout=60
        )


def cli(service: dict[str, object], *args: str, code: int = 0) -> str:
    home = service["home"]
    assert isinstance(home, Path)
    proc = subprocess.run([*AIWEB3, *args], env=_cli_env(home), capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out
    assert proc.returncode == code, f"exit {proc.returncode}: {out}"
    return out


def _chain(service: dict[str, object]) -> dict[str, object]:
    resp = httpx.get(f"{service['url']}/api/chain", timeout=30)
    assert resp.status_code == 200, resp.text
    data: dict[str, object] = resp.json()
    return data


def test_readme_tour_shares_the_services_node(service: dict[str, object]) -> None:
    before = _chain(service)
    started = cli(service, "node", "start")
    assert "already running" in started and "used by `aiweb3 up`" in started, started
    cli(service, "deploy")
    cli(service, "account", "new", "alice")
    cli(service, "account", "fund", "alice", "--amount", "250")
    assert "250" in cli(service, "account", "balance", "alice")
    status = cli(service, "node", "status")
    assert "running" in status and "used by `aiweb3 up`" in status, status
    refused = cli(service, "node", "stop", code=1)
    assert "would break the service" in refused and "--force" in refused, refused
    refused = cli(service, "node", "reset", "--yes", code=1)
    assert "would break the service" in refused, refused
    after = _chain(service)  # the service still answers, on the same node, which moved on
    assert after["rpc"] == before["rpc"]
    assert int(str(after["head"])) > int(str(before["head"]))


def test_index_commands_read_the_services_index(service: dict[str, object]) -> None:
    # a web page (or any client without the key in the private home) cannot make it copy the index
    for headers in ({}, {"X-Aiweb3-Local": "guess"}):
        denied = httpx.post(f"{service['url']}/api/analytics/snapshot", headers=headers, timeout=30)
        assert denied.status_code == 403, denied.text
    follow = cli(service, "index", "run", "--follow")
    assert "already follows the chain" in follow, follow
    status = cli(service, "index", "status")
    assert "reading its snapshot up to block" in status, status
    answer = cli(service, "ask", "how many transactions per day")
    assert "per day" in answer and "reading its snapshot" in answer, answer
    cli(service, "metric", "show", "daily_transactions")
    saved = cli(service, "metric", "new", "number of transactions per day", "--name", "tour_payers")
    assert "saved metric tour_payers" in saved, saved
    names = [m["name"] for m in httpx.get(f"{service['url']}/api/analytics", timeout=30).json()["metrics"]]
    assert "tour_payers" in names  # the service serves the metric the CLI saved
    refused = cli(service, "metric", "new", "events of Foo", "--abi", __file__, code=1)
    assert "holds" in refused and "stop the service" in refused, refused
    _chain(service)
    analytics = httpx.get(f"{service['url']}/api/analytics", timeout=30).json()
    assert analytics["index"]["running"] is True and analytics["index"]["error"] is None
