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
import sys
import tempfile
import time
from pathlib import Path

import ezkl
from _common import alternate, json_only_stdout, report  # bench/ is on sys.path when run as a script

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
BENCH = "zkml_prove"


def main() -> None:
    """Run every comparison."""
    out = json_only_stdout()
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
        report(BENCH, "setup_s", ours_setup, "ezkl.setup", setup_runs, "lower", out=out)
        report(BENCH, "compile_s", [compile_s], None, None, "lower", out=out)

        def ours_prove() -> None:
            model.prove(x)

        def direct_prove() -> None:
            ezkl.gen_witness(str(work / "input.json"), circuit, str(work / "witness.json"))
            ezkl.prove(str(work / "witness.json"), circuit, pk, str(work / "proof.json"), srs_path=srs)

        ours_s, peer_s = alternate(ours_prove, direct_prove, RUNS)
        report(BENCH, "prove_s", ours_s, "ezkl gen_witness+prove", peer_s, "lower", goal=1.10, out=out)

        proof = model.prove(x)

        def ours_verify() -> None:
            model.verify(proof)

        def direct_verify() -> None:
            assert ezkl.verify(str(work / "proof.json"), settings, vk, srs_path=srs)

        ours_s, peer_s = alternate(ours_verify, direct_verify, RUNS * 3)
        report(BENCH, "verify_local_s", ours_s, "ezkl.verify", peer_s, "lower", out=out)
        report(BENCH, "proof_bytes", [float(len(proof.proof))], None, None, "lower", out=out)

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
            report(BENCH, "verify_onchain_gas", [float(g) for g in ours_gas],
                   "reusable verifier verifyProof (VKA in calldata)", [float(g) for g in peer_gas],
                   "lower", goal=1.15, out=out)  # fmt: skip
            report(BENCH, "register_gas", [float(register_gas)], None, None, "lower", out=out)
            chain.close()
        finally:
            node.stop()
    print("done", file=sys.stderr)


if __name__ == "__main__":
    main()
