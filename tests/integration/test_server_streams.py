"""Event streams are capped per client and in total, and open streams do not stall plain routes."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aiweb3.chain import Chain, Deployment
from aiweb3.server import Job, Progress, ServerConfig, ServerHandle, Services, serve

PER_CLIENT, TOTAL = 45, 50  # both above the 40 worker threads plain routes run on


@pytest.fixture(scope="module")
def server(module_home: Path, chain: Chain, deployments: dict[str, Deployment]) -> Iterator[ServerHandle]:
    config = ServerConfig(home=module_home, port=0, streams_per_client=PER_CLIENT, streams_total=TOTAL)
    handle = serve(Services.open(config, chain))
    try:
        yield handle
    finally:
        handle.stop()


def _held_job(server: ServerHandle) -> tuple[Job, threading.Event]:
    release = threading.Event()

    def run(progress: Progress) -> dict[str, Any]:
        progress.update(0, 1, "held open by the test")
        release.wait(120)
        return {"released": True}

    return server.services.jobs.submit("hold", "held open", run), release


def _client(server: ServerHandle, source: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=source)
    return httpx.Client(base_url=server.url, transport=transport, timeout=30)


def _open(stack: contextlib.ExitStack, client: httpx.Client, job: Job) -> httpx.Response:
    return stack.enter_context(client.stream("GET", f"/api/jobs/{job.id}/events"))


def test_streams_are_capped_per_client_and_in_total_and_reads_stay_fast(server: ServerHandle) -> None:
    job, release = _held_job(server)
    try:
        with (
            contextlib.ExitStack() as stack,
            _client(server, "127.0.0.1") as one,
            _client(server, "127.0.0.2") as two,
            _client(server, "127.0.0.3") as three,
        ):
            for _ in range(PER_CLIENT):
                assert _open(stack, one, job).status_code == 200
            refused = one.get(f"/api/jobs/{job.id}/events")
            assert refused.status_code == 429 and refused.json()["code"] == "too_many_requests"
            assert f"127.0.0.1 already has {PER_CLIENT} open event streams" in refused.json()["message"]
            for _ in range(TOTAL - PER_CLIENT):
                assert _open(stack, two, job).status_code == 200
            full = three.get(f"/api/jobs/{job.id}/events")
            assert full.status_code == 429 and f"already serves {TOTAL} open event streams" in full.text
            assert server.services.streams.open_count() == TOTAL
            # 50 open streams hold no worker thread: plain routes still answer (they waited
            # up to the 10 s keep-alive for a thread before; 5 s is a liveness bound, not a timing)
            for _ in range(3):
                r = three.get("/api/chain", timeout=5)
                assert r.status_code == 200 and r.json()["chain_id"] == server.services.chain.chain_id
        # the streams closed: their slots are free again
        with _client(server, "127.0.0.3") as three:
            for _ in range(100):
                if server.services.streams.open_count() == 0:
                    break
                threading.Event().wait(0.05)
            assert server.services.streams.open_count() == 0
            with three.stream("GET", f"/api/jobs/{job.id}/events") as r:
                assert r.status_code == 200
                release.set()
                events = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]
        assert events[-1]["state"] == "succeeded" and events[-1]["result"] == {"released": True}
    finally:
        release.set()
