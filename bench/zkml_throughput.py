"""Benchmark proving throughput on the example MLP, 64 inferences per path (issue 17).

Paths, alternated in rounds of 16 inferences each (peer, hot, batched, then the next round in
another order) so machine noise hits them alike:

- peer: one cold ezkl call per inference, as a proving service without a hot path runs it:
  a fresh Python process imports ezkl, runs gen_witness and prove on the stored artifacts;
- hot: aiweb3's hot prover (one long-lived worker process for the model);
- batched: a circuit of N inferences (``CompileOptions(batch_size=N)``), one proof per N.

Gas per inference: ``verifyInference`` for one proof of one inference (peer and hot), and
``verifyInferenceBatch`` divided by N for the batched circuit. Then the curve: for each N,
one proof's time and gas per inference. The Ray cluster path of the issue is not built.
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


def main() -> None:
    """Run every comparison."""
    out = json_only_stdout()
    samples: list[Any] = json.loads((EXAMPLES / "mlp_samples.json").read_text())["samples"]
    inputs = [samples[i % len(samples)] for i in range(TOTAL)]
    per_round = TOTAL // ROUNDS
    with tempfile.TemporaryDirectory() as tmp:
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
    log("not measured: the Ray cluster path (not built; see docs/scaling.md)")


if __name__ == "__main__":
    main()
