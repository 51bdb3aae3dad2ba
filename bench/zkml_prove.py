"""Benchmark verifiable inference on the example MLP (issue 3).

Compares, in the same run and alternating A B A B: proving through aiweb3 versus direct ezkl
calls (gen_witness + prove) on the same stored artifacts; local verification likewise; the
gas of ModelRegistry.verifyInference versus a direct call of the reusable verifier with the
same proof and VKA; key setup through aiweb3 versus ezkl.setup. Also prints the proof size.
One JSON line per figure on stdout (BENCHMARKS.md); everything else goes to stderr.

    make bench B=zkml_prove
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import ezkl

from aiweb3.chain import (
    Chain,
    LocalNode,
    NodeConfig,
    TxRequest,
    artifact,
    deploy_system,
    dev_account,
    encode_call,
)
from aiweb3.zkml import Model, ModelRegistryClient

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "zkml"
RUNS = 11


def emit(
    out: TextIO, figure: str, ours: float, peer: str | None, peer_value: float | None, **extra: Any
) -> None:
    """One BENCHMARKS.md line."""
    line: dict[str, Any] = {"bench": "zkml_prove", "figure": figure, "ours": round(ours, 6), "peer": peer}
    line["peer_value"] = None if peer_value is None else round(peer_value, 6)
    line["ratio"] = None if not peer_value else round(ours / peer_value, 4)
    line.update(extra)
    out.write(json.dumps(line) + "\n")
    out.flush()


def alternate(ours: Callable[[], None], peer: Callable[[], None], runs: int = RUNS) -> tuple[float, float]:
    """Median seconds of each, alternated A B B A A B ... (no side always goes first) after a warm-up."""
    ours()
    peer()
    a: list[float] = []
    b: list[float] = []
    for i in range(runs):
        pair = ((ours, a), (peer, b)) if i % 2 == 0 else ((peer, b), (ours, a))
        for fn, into in pair:
            start = time.perf_counter()
            fn()
            into.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


def main() -> None:
    """Run every comparison."""
    out = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # ezkl prints to fd 1: keep stdout for the JSON lines only
    samples = json.loads((EXAMPLES / "mlp_samples.json").read_text())["samples"]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        start = time.perf_counter()
        model = Model.from_onnx(EXAMPLES / "mlp.onnx", home=home).compile(samples[:8])
        compile_s = time.perf_counter() - start
        circuit, pk, srs = (str(model.artifact_path(k)) for k in ("circuit", "pk", "srs"))
        settings, vk = str(model.artifact_path("settings")), str(model.artifact_path("vk"))
        work = home / "direct"
        work.mkdir()
        x = samples[0]
        (work / "input.json").write_text(json.dumps({"input_data": [x]}))

        # key setup inside aiweb3's compile vs ezkl.setup on the same circuit and SRS
        def direct_setup() -> None:
            ezkl.setup(circuit, str(work / "vk.key"), str(work / "pk.key"), srs_path=srs)

        # ours: the setup step of fresh compiles (other calibration samples, same home and SRS)
        ours_setup: list[float] = []
        setup_runs: list[float] = []
        for i in range(1, 4):
            steps: dict[str, float] = {}
            Model.from_onnx(EXAMPLES / "mlp.onnx", home=home).compile(
                samples[i : i + 8], on_progress=lambda step, d=steps: d.setdefault(step, time.perf_counter())
            )
            ours_setup.append(steps["vka"] - steps["setup"])
            start = time.perf_counter()
            direct_setup()
            setup_runs.append(time.perf_counter() - start)
        setup_s = statistics.median(ours_setup)
        emit(out, "setup_s", setup_s, "ezkl.setup", statistics.median(setup_runs), better="lower", runs=3)
        emit(out, "compile_s", compile_s, None, None, better="lower", runs=1)

        def ours_prove() -> None:
            model.prove(x)

        def direct_prove() -> None:
            ezkl.gen_witness(str(work / "input.json"), circuit, str(work / "witness.json"))
            ezkl.prove(str(work / "witness.json"), circuit, pk, str(work / "proof.json"), srs_path=srs)

        ours_s, peer_s = alternate(ours_prove, direct_prove)
        emit(out, "prove_s", ours_s, "ezkl gen_witness+prove", peer_s, better="lower", goal=1.10, runs=RUNS)

        proof = model.prove(x)

        def ours_verify() -> None:
            model.verify(proof)

        def direct_verify() -> None:
            assert ezkl.verify(str(work / "proof.json"), settings, vk, srs_path=srs)

        ours_s, peer_s = alternate(ours_verify, direct_verify, runs=RUNS * 3)
        emit(out, "verify_local_s", ours_s, "ezkl.verify", peer_s, better="lower", runs=RUNS * 3)
        emit(out, "proof_bytes", float(len(proof.proof)), None, None, better="lower", runs=1)

        node = LocalNode(NodeConfig(home=home))
        node.start()
        try:
            chain = Chain(node.url)
            signer = dev_account(0)
            deployed = deploy_system(chain, signer, home)
            registry = ModelRegistryClient.from_home(chain, home)
            receipt_before = chain.block_number()
            model.register(chain, signer)
            register_gas = sum(
                int(chain.rpc("eth_getBlockReceipts", [hex(n)])[0]["gasUsed"], 16)
                for n in range(receipt_before + 1, chain.block_number() + 1)
            )
            verifier = chain.contract(
                artifact("Halo2VerifierReusable").abi, deployed["Halo2VerifierReusable"].address
            )
            direct_fn = verifier.functions.verifyProof(proof.proof, proof.instances, model.vka_words())
            ours_gas: list[int] = []
            peer_gas: list[int] = []
            for _ in range(3):
                ours_gas.append(int(registry.verify(proof, signer).gas_used or 0))
                peer_gas.append(
                    int(chain.send(signer, TxRequest(direct_fn.address, encode_call(direct_fn)))["gasUsed"])
                )
            emit(
                out,
                "verify_onchain_gas",
                float(statistics.median(ours_gas)),
                "reusable verifier verifyProof (VKA in calldata)",
                float(statistics.median(peer_gas)),
                better="lower",
                goal=1.15,
                runs=3,
            )
            emit(out, "register_gas", float(register_gas), None, None, better="lower", runs=1)
            chain.close()
        finally:
            node.stop()
    print("done", file=sys.stderr)


if __name__ == "__main__":
    main()
