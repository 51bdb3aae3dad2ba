"""Load on the HTTP API over loopback versus the same feature functions called in-process (issue 9).

``aiweb3 up`` runs in its own process (node, contracts, demo, API). For each route (three read
routes, ``POST /api/verify`` of the demo's signed WAV with its sidecar, ``GET /api/models`` and
``POST /api/verify`` of the demo's proof of inference), CONCURRENCY client
threads call that server for SLICE seconds, then the same threads call
the function the route wraps for SLICE seconds, alternating for ROUNDS rounds (~30 s in all by
default). Each comparison prints p50 and p99 latency (ms) and requests per second; the ratio
ours/peer is the server's overhead (HTTP, JSON, multipart, thread hand-off).

A last comparison (issue 13) measures ``GET /api/chain`` while the server holds as many open
event streams as it allows (``streams_total``, 64; opened from four loopback addresses, 16 each)
against the same server with none, alternating the two. It runs on a second server over the same
home and node, started by this script with one job held open for the streams to follow.

Environment: BENCH_ROUNDS (3), BENCH_SLICE seconds (1.25), BENCH_CONCURRENCY (4).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from _common import log, report

from aiweb3.chain import Chain, LocalNode, NodeConfig
from aiweb3.provenance import sidecar_path, verify_file
from aiweb3.server import ServerConfig, Services, chaininfo
from aiweb3.server.modeljobs import models_overview
from aiweb3.server.routers.overview import overview_data
from aiweb3.server.verifiers import ProofVerifier

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SLICE = float(os.environ.get("BENCH_SLICE", "1.25"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))


def _load(
    call: Callable[[Any], object], make_ctx: Callable[[], Any], seconds: float
) -> tuple[list[float], float]:
    """Run ``call`` from CONCURRENCY threads for ``seconds``; returns latencies (s) and requests/s."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker() -> None:
        ctx = make_ctx()
        mine: list[float] = []
        try:
            while time.perf_counter() < stop_at:
                start = time.perf_counter()
                call(ctx)
                mine.append(time.perf_counter() - start)
        finally:
            if isinstance(ctx, httpx.Client):
                ctx.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, len(latencies) / (time.perf_counter() - started)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _start_up(home: Path) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    env.update({"AIWEB3_HOME": str(home), "COLUMNS": "200"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiweb3.cli.main", "up", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    url = ""
    for line in proc.stdout:
        if line.startswith("dashboard: "):
            url = line.split(" ", 1)[1].strip()
        if "aiweb3 is up" in line:
            return proc, url
    raise SystemExit("`aiweb3 up` did not start")


def _held_server(home: Path, node_url: str) -> None:
    """Child mode: serve ``home`` with one job held open until standard input closes."""
    from aiweb3.server import serve

    services = Services.open(ServerConfig(home=home, port=0), Chain(node_url))
    release = threading.Event()

    def hold(_: object) -> dict[str, Any]:
        release.wait()
        return {}

    job = services.jobs.submit("hold", "bench: held open", hold)
    handle = serve(services)
    print(handle.url, job.id, services.config.streams_per_client, services.config.streams_total, flush=True)
    sys.stdin.read()
    release.set()
    handle.stop()


def _stream_load(home: Path, node_url: str) -> None:
    """p50 of GET /api/chain with the most open event streams the server allows, and with none."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--held-server", str(home), node_url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    url, job_id, per_client, total = child.stdout.readline().split()
    per, n = int(per_client), int(total)
    sources = [f"127.0.0.{1 + i // per}" for i in range(n)]
    clients = {src: httpx.Client(base_url=url, timeout=60, transport=httpx.HTTPTransport(local_address=src))
               for src in set(sources)}  # fmt: skip

    def chain_call(c: httpx.Client) -> object:
        return c.get("/api/chain").raise_for_status()

    with_streams: list[float] = []
    without: list[float] = []
    try:
        log(f"GET /api/chain with {n} open event streams vs none ({url})")
        for _ in range(ROUNDS):
            lat, _rps = _load(chain_call, lambda: httpx.Client(base_url=url, timeout=60), SLICE)
            without.append(_pct(lat, 0.50))
            with contextlib.ExitStack() as stack:
                for src in sources:
                    r = stack.enter_context(clients[src].stream("GET", f"/api/jobs/{job_id}/events"))
                    if r.status_code != 200:
                        raise SystemExit(f"stream refused below the cap: {r.status_code} {r.read()!r}")
                lat, _rps = _load(chain_call, lambda: httpx.Client(base_url=url, timeout=60), SLICE)
                with_streams.append(_pct(lat, 0.50))
        report("api_load", f"get_chain_p50_ms_with_{n}_open_streams", with_streams, "no open streams",
               without, "lower")  # fmt: skip
    finally:
        for c in clients.values():
            c.close()
        child.stdin.close()
        child.wait(60)


def main() -> None:
    if sys.argv[1:2] == ["--held-server"]:
        _held_server(Path(sys.argv[2]), sys.argv[3])
        return
    home = Path(tempfile.mkdtemp(prefix="aiweb3-bench-api-"))
    proc, url = _start_up(home)
    services = None
    try:
        info = LocalNode(NodeConfig(home=home)).info()
        assert info is not None
        services = Services.open(ServerConfig(home=home, port=0), Chain(info.url))
        entry = services.library.entries()[0]
        file_bytes = entry.path.read_bytes()
        sidecar_bytes = entry.sidecar.read_bytes()
        log(f"`aiweb3 up` at {url}; {CONCURRENCY} threads, {ROUNDS} rounds x {SLICE} s per side and route")

        def client() -> httpx.Client:
            return httpx.Client(base_url=url, timeout=30)

        def get(path: str) -> Callable[[httpx.Client], object]:
            def call(c: httpx.Client) -> object:
                r = c.get(path)
                r.raise_for_status()
                return r.json()

            return call

        def post_verify(c: httpx.Client) -> object:
            files = {"file": (entry.path.name, file_bytes), "sidecar": ("s.aiw.json", sidecar_bytes)}
            r = c.post("/api/verify", files=files)
            r.raise_for_status()
            assert r.json()["ok"] is True
            return r

        def verify_in_process(_: object) -> object:
            # the same work the route does: write the upload and its sidecar to disk, verify, clean up
            tmp = Path(tempfile.mkdtemp(dir=home))
            try:
                path = tmp / entry.path.name
                path.write_bytes(file_bytes)
                sidecar_path(path).write_bytes(sidecar_bytes)
                report_ = verify_file(path, registry=services.registry)
                assert report_.ok
                return report_.to_json()
            finally:
                shutil.rmtree(tmp, ignore_errors=True)

        demo = json.loads((services.server_dir / "demo.json").read_text())
        proof_bytes = (services.server_dir / "proofs" / f"{demo['model']['proof_id']}.json").read_bytes()
        proof_verifier = ProofVerifier()

        def post_verify_proof(c: httpx.Client) -> object:
            r = c.post("/api/verify", files={"proof": ("proof.json", proof_bytes)})
            r.raise_for_status()
            assert r.json()["ok"] is True
            return r

        def verify_proof_in_process(_: object) -> object:
            # the route's work: the upload on disk, local ezkl verification, the on-chain view check
            tmp = Path(tempfile.mkdtemp(dir=home))
            try:
                path = tmp / "proof.json"
                path.write_bytes(proof_bytes)
                verdict = proof_verifier.verify(services, {"proof": path}, {"proof": path.name})
                assert verdict["ok"] is True
                return verdict
            finally:
                shutil.rmtree(tmp, ignore_errors=True)

        routes: list[tuple[str, Callable[[Any], object], Callable[[Any], object], str]] = [
            ("get_overview", get("/api/overview"), lambda _: overview_data(services), "overview_data()"),
            (
                "get_content",
                get("/api/content"),
                lambda _: [e.to_json() for e in services.library.entries()],
                "ContentLibrary.entries()",
            ),
            (
                "get_blocks",
                get("/api/chain/blocks?count=20"),
                lambda _: chaininfo.recent_blocks(services, 20),
                "chaininfo.recent_blocks()",
            ),
            ("post_verify", post_verify, verify_in_process, "provenance.verify_file()"),
            (
                "get_models",
                get("/api/models"),
                lambda _: models_overview(services),
                "modeljobs.models_overview()",
            ),
            ("post_verify_proof", post_verify_proof, verify_proof_in_process, "ProofVerifier.verify()"),
        ]
        for name, http_call, local_call, peer_name in routes:
            ours: dict[str, list[float]] = {"p50": [], "p99": [], "rps": []}
            peer: dict[str, list[float]] = {"p50": [], "p99": [], "rps": []}
            for _ in range(ROUNDS):
                for side, call, ctx in ((ours, http_call, client), (peer, local_call, lambda: None)):
                    lat, rps = _load(call, ctx, SLICE)
                    side["p50"].append(_pct(lat, 0.50))
                    side["p99"].append(_pct(lat, 0.99))
                    side["rps"].append(rps)
            http_ms, local_ms = statistics.median(ours["p50"]), statistics.median(peer["p50"])
            log(f"{name}: http p50 {http_ms:.2f} ms, in-process {local_ms:.2f} ms")
            label = f"in-process {peer_name}"
            report("api_load", f"{name}_p50_ms", ours["p50"], label, peer["p50"], "lower")
            report("api_load", f"{name}_p99_ms", ours["p99"], label, peer["p99"], "lower")
            report("api_load", f"{name}_req_per_s", ours["rps"], label, peer["rps"], "higher")
        _stream_load(home, info.url)
    finally:
        if services is not None:
            services.close()
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
