"""The service's compile and prove jobs on a real Ray cluster started here: a head and two worker
nodes, one of them killed in the middle of a job (the job is run again on the other and
succeeds); an unreachable cluster falls back to a local runtime or is refused when required."""

from __future__ import annotations

import json
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aiweb3.chain import Chain, Deployment
from aiweb3.errors import ConfigError
from aiweb3.server import ServerConfig, Services
from aiweb3.server.cluster import RayWorkers
from aiweb3.server.modeljobs import EXAMPLE_DIR, compile_job, prove_job, register_model
from aiweb3.server.raycluster import LocalRayCluster
from aiweb3.zkml import CompiledModel, InferenceProof

SAMPLES = json.loads((EXAMPLE_DIR / "mlp_samples.json").read_text())["samples"]
WHERE = re.compile(r"on ray node (\w+) pid \d+ \(raylet (\d+)\)")


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalRayCluster]:
    with LocalRayCluster(workers=2) as started, pytest.MonkeyPatch.context() as env:
        for name, value in started.auth_env.items():  # this process joins it as a driver
            env.setenv(name, value)
        yield started


@pytest.fixture(scope="module")
def services(
    module_home: Path, chain: Chain, deployments: dict[str, Deployment], cluster: LocalRayCluster
) -> Iterator[Services]:
    opened = Services.open(ServerConfig(home=module_home, port=0, ray_address=cluster.address), chain)
    try:
        yield opened
    finally:
        opened.close()


@pytest.mark.usefixtures("cluster")  # its token in the environment: Ray writes none to ~/.ray
def test_an_unreachable_cluster_falls_back_to_local_or_is_refused(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nothing listens on (bound, then closed)
        sock.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{sock.getsockname()[1]}"
    warnings: list[str] = []
    required = RayWorkers(tmp_path, address, required=True, warn=warnings.append)
    with pytest.raises(ConfigError, match=r"unreachable.*AIWEB3_RAY_REQUIRED"):
        required.describe_after_join()
    with pytest.raises(ConfigError, match="not host:port"):
        RayWorkers(tmp_path, "nowhere").describe_after_join()
    assert not warnings

    fallback = RayWorkers(tmp_path, address, warn=warnings.append)
    try:
        where = fallback.describe_after_join()
    finally:
        fallback.close()
    assert where["where"] == "local" and where["fallback"] == f"the Ray cluster at {address} is unreachable"
    assert warnings == [
        f"the Ray cluster at {address} is unreachable: proving and compiling on a local Ray runtime instead"
    ]


def _watch(services: Services, job_id: str, on_message: Any) -> dict[str, Any]:
    """Follow a job's messages until it ends; ``on_message`` sees each new one."""
    job = services.jobs.get(job_id)
    assert job is not None
    version = -1
    while True:
        snap = services.jobs.wait_change(job, version, 5.0)
        version = snap["version"]
        on_message(snap["message"])
        if snap["state"] in ("succeeded", "failed"):
            return snap


@pytest.mark.usefixtures("chain_isolation")
def test_a_killed_worker_node_loses_no_job(
    services: Services, cluster: LocalRayCluster, module_home: Path
) -> None:
    staging = module_home / "server" / "uploads" / "ray-test"
    staging.mkdir(parents=True)
    onnx = Path(shutil.copy(EXAMPLE_DIR / "mlp.onnx", staging / "mlp.onnx"))
    job = services.jobs.submit(
        "compile", "compile on ray", compile_job(services, staging, onnx, SAMPLES[:8], None)
    )

    places: list[tuple[str, int]] = []
    killed: list[int] = []

    def kill_first_node(message: str) -> None:
        found = WHERE.search(message)
        if found is None:
            return
        places.append((found.group(1), int(found.group(2))))
        if not killed:  # the compile started on a worker node: crash that whole node
            killed.append(int(found.group(2)))
            cluster.kill_node_of(killed[0])

    snap = _watch(services, job.id, kill_first_node)
    assert snap["state"] == "succeeded", (snap["error"], places)
    assert killed, "the job never reported the node it ran on"
    assert places[-1][1] != killed[0], places  # it finished on the other node
    assert len(cluster.raylets()) == 2  # the head and the surviving worker
    compiled = CompiledModel.load(module_home, snap["result"]["model_id"])
    assert not staging.exists()  # the job's uploads are gone after it ends

    # the compiled model proves on the cluster and its proof verifies on chain
    register_model(services, compiled.model_id)
    proved = services.jobs.submit(
        "prove", "prove on ray", prove_job(services, compiled.model_id, SAMPLES[0], onchain=True)
    )
    messages: list[str] = []
    snap = _watch(services, proved.id, messages.append)
    assert snap["state"] == "succeeded", (snap["error"], places)
    assert any(WHERE.search(m) for m in messages), messages
    assert snap["result"]["onchain"]["gas_used"] > 0
    proof = InferenceProof.load(services.server_dir / "proofs" / f"{snap['result']['proof_id']}.json")
    proof.verify(compiled)
    assert services.workers.describe()["where"] == f"cluster {cluster.address}"

    # bad input fails the job with the model's own message, not a Ray error
    bad = services.jobs.submit(
        "prove", "bad", prove_job(services, compiled.model_id, [1.0, 2.0], onchain=False)
    )
    snap = services.jobs.wait(bad.id, 120)
    assert snap["state"] == "failed" and snap["error"]["code"] == "InputError", snap
