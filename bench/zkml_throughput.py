"""Benchmark proving throughput on the example MLP, 64 inferences per path (issue 17).

Paths, alternated in rounds of 16 inferences each (peer, hot, batched, then the next round in
another order) so machine noise hits them alike:

- peer: one cold ezkl call per inference, as a proving service without a hot path runs it:
  a fresh Python process imports ezkl, runs gen_witness and prove on the stored artifacts;
- hot: aiweb3's hot prover (one long-lived worker process for the model);
- batched: a circuit of N inferences (``CompileOptions(batch_size=N)``), one proof per N;
- ray: the batched proofs as tasks on a 3-process Ray cluster started here (a head and two
  worker nodes of one CPU each, as the service runs them: each worker proves through its own
  hot pool), all 64 inferences at once (4 proofs, 2 in flight), after one untimed warm-up
  proof per worker. The machine has 2 cores, so 2 workers are its ceiling; the per-worker
  rates and the scaling efficiency (cluster rate / (2 x the single-process batched rate)) are
  reported beside the headline.

Gas per inference: ``verifyInference`` for one proof of one inference (peer and hot), and
``verifyInferenceBatch`` divided by N for the batched circuit. Then the curve: for each N,
one proof's time and gas per inference.
One JSON line per figure on stdout (BENCHMARKS.md); everything else goes to stderr.

    make bench B=zkml_throughput
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import json_only_stdout, log, report  # bench/ is on sys.path when run as a script

from aiweb3.chain import Chain, LocalNode, NodeConfig, deploy_system, dev_account
from aiweb3.server.cluster import RayWorkers
from aiweb3.server.raycluster import LocalRayCluster
from aiweb3.zkml import CompiledModel, CompileOptions, Model, ModelRegistryClient, ProverPool, prove_batch

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "zkml"
BENCH = "zkml_throughput"
TOTAL = 64
ROUNDS = 4
BATCH = 16  # the chosen N (docs/scaling.md)
CURVE = tuple(int(n) for n in os.environ.get("AIWEB3_BENCH_CURVE", "1,4,8,16").split(","))

_COLD = """
import json, sys, ezkl
work, circuit, pk, srs, x = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
open(work + "/in.json", "w").write(json.dumps({"input_data": [x]}))
ezkl.gen_witness(work + "/in.json", circuit, work + "/wit.json")
ezkl.prove(work + "/wit.json", circuit, pk, work + "/proof.json", srs_path=srs)
"""


def cold(model: CompiledModel, work: Path, x: list[float]) -> None:
    """One inference proved by a fresh process calling ezkl (the peer)."""
    paths = [str(model.artifact_path(k)) for k in ("circuit", "pk", "srs")]
    subprocess.run(
        [sys.executable, "-c", _COLD, str(work), *paths, json.dumps(x)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def on_ray(
    cluster: LocalRayCluster, home: Path, batched: CompiledModel, inputs: list[Any]
) -> tuple[list[float], dict[str, float]]:
    """Path (d): every batch of ``inputs`` as a Ray task on a head + two worker nodes.

    Returns the rate of each run and, for the last run, each worker node's own rate
    (the inferences it proved over the run's wall time).
    """
    from concurrent.futures import ThreadPoolExecutor

    chunks = [inputs[i : i + BATCH] for i in range(0, len(inputs), BATCH)]
    rates: list[float] = []
    done: dict[str, int] = {}
    workers = RayWorkers(home, cluster.address)
    try:

        def prove_chunk(chunk: list[Any]) -> None:
            seen: list[str] = []

            def prove_one(stacked: Any) -> Any:
                return workers.prove(batched, stacked, lambda _step, where: seen.append(where))

            prove_batch(batched, chunk, prove=prove_one)
            node = seen[-1].split(" pid ")[0] if seen else "unknown"
            done[node] = done.get(node, 0) + len(chunk)

        with ThreadPoolExecutor(max_workers=2) as threads:
            list(threads.map(prove_chunk, chunks[:2]))  # warm-up: each worker starts its prover
            for run in range(2):
                done.clear()
                start = time.perf_counter()
                list(threads.map(prove_chunk, chunks))
                elapsed = time.perf_counter() - start
                rates.append(len(inputs) / elapsed)
                log(f"ray run {run + 1}: {rates[-1]:.3f} proven inferences/s, per node {done}")
    finally:
        workers.close()
    return rates, {node: round(count / elapsed, 3) for node, count in done.items()}


def main() -> None:
    """Run every comparison."""
    out = json_only_stdout()
    samples: list[Any] = json.loads((EXAMPLES / "mlp_samples.json").read_text())["samples"]
    inputs = [samples[i % len(samples)] for i in range(TOTAL)]
    per_round = TOTAL // ROUNDS
    cluster = LocalRayCluster(workers=2)
    log(f"starting a Ray cluster (head + 2 workers) at {cluster.address}")
    cluster.start(timeout=600)  # before compiling: it comes up while the circuits compile
    os.environ.update(cluster.auth_env)  # this process joins it as a driver
    with cluster, tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        work = home / "cold"
        work.mkdir()
        models: dict[int, CompiledModel] = {}
        for n in sorted({1, BATCH, *CURVE}):
            start = time.perf_counter()
            models[n] = Model.from_onnx(EXAMPLES / "mlp.onnx", home=home).compile(
                samples[:8], CompileOptions(batch_size=n)
            )
            log(f"compiled N={n}: logrows {models[n].logrows} in {time.perf_counter() - start:.1f} s")
        single, batched = models[1], models[BATCH]

        rates: dict[str, list[float]] = {"peer": [], "hot": [], "batched": []}
        with ProverPool(max_provers=1) as pool:
            pool.prover(single)  # started once, outside the timed rounds (that is its point)

            def run_peer(chunk: list[Any]) -> None:
                for x in chunk:
                    cold(single, work, x)

            def run_hot(chunk: list[Any]) -> None:
                for x in chunk:
                    pool.prove(single, x)

            def run_batched(chunk: list[Any]) -> None:
                prove_batch(batched, chunk)

            paths = [("peer", run_peer), ("hot", run_hot), ("batched", run_batched)]
            for r in range(ROUNDS):
                chunk = inputs[r * per_round : (r + 1) * per_round]
                order = paths[r % 3 :] + paths[: r % 3]
                for name, fn in order:
                    start = time.perf_counter()
                    fn(chunk)
                    rates[name].append(len(chunk) / (time.perf_counter() - start))
                    log(f"round {r + 1} {name}: {rates[name][-1]:.3f} proven inferences/s")
        peer = "one cold ezkl process per inference (gen_witness+prove)"
        report(BENCH, "hot_inferences_per_s", rates["hot"], peer, rates["peer"], "higher", goal=5, out=out)
        report(BENCH, f"batched_n{BATCH}_inferences_per_s", rates["batched"], peer, rates["peer"], "higher",
               goal=5, out=out)  # fmt: skip
        ray_rates, per_worker = on_ray(cluster, home, batched, inputs)
        single_batched = statistics.median(rates["batched"])
        report(BENCH, f"ray2_batched_n{BATCH}_inferences_per_s", ray_rates, peer, rates["peer"], "higher",
               goal=5, out=out, extra={
                   "workers": 2, "cores": os.cpu_count(), "per_worker_inferences_per_s": per_worker,
                   "scaling_efficiency": round(statistics.median(ray_rates) / (2 * single_batched), 3),
               })  # fmt: skip

        node = LocalNode(NodeConfig(home=home))
        node.start()
        try:
            chain = Chain(node.url)
            signer = dev_account(0)
            deploy_system(chain, signer, home)
            registry = ModelRegistryClient.from_home(chain, home)
            gas: dict[int, float] = {}
            prove_s: dict[int, float] = {}
            for n, model in models.items():
                model.register(chain, signer)
                start = time.perf_counter()
                if n == 1:
                    proof = model.prove(samples[0])
                    prove_s[n] = time.perf_counter() - start
                    gas[n] = float(registry.verify(proof, signer).gas_used or 0)
                else:
                    (proof,) = prove_batch(model, samples[:n])
                    prove_s[n] = (time.perf_counter() - start) / n
                    checks = registry.verify_batch(proof, signer)
                    assert len(checks) == n
                    gas[n] = float(checks[0].gas_used or 0) / n
                log(f"N={n}: logrows {model.logrows}, {prove_s[n]:.2f} s and {gas[n]:.0f} gas per inference")
            peer_gas = "verifyInference, one proof per inference"
            report(BENCH, "hot_gas_per_inference", [gas[1]], peer_gas, [gas[1]], "lower", out=out)
            report(BENCH, f"batched_n{BATCH}_gas_per_inference", [gas[BATCH]], peer_gas, [gas[1]], "lower",
                   goal=0.2, out=out)  # fmt: skip
            for n in sorted(models):
                if n in CURVE and n != 1:
                    figure = f"curve_n{n}_gas_per_inference"
                    report(BENCH, figure, [gas[n]], peer_gas, [gas[1]], "lower", out=out)
                    report(BENCH, f"curve_n{n}_prove_s_per_inference", [prove_s[n]], "unbatched proof",
                           [prove_s[1]], "lower", out=out)  # fmt: skip
            chain.close()
        finally:
            node.stop()
    log(f"median rates: { {k: round(statistics.median(v), 3) for k, v in rates.items()} }")


if __name__ == "__main__":
    main()
