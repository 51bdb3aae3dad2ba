"""Benchmark split inference (issue 4).

Same run, alternating: the aiweb3 split pipeline (user's preprocessing proof with hashed output,
operator's proof with hashed input, both verifications and the link check) versus the sum of the
two proofs made directly with ezkl (gen_witness + prove on the same stored artifacts). Then gas:
SplitVerifier.verifySplit (both proofs + link, one transaction) versus two verifyInference
transactions. Models: the trained breast-cancer split example (``examples/private/train_split.py``:
30 measurements -> 4 features, then the operator's 4-16-2 MLP). One JSON line per figure on
stdout (BENCHMARKS.md); everything else on stderr.

    make bench B=split_inference
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import ezkl
from _common import alternate, json_only_stdout, report  # bench/ is on sys.path when run as a script

from aiweb3.chain import Chain, LocalNode, NodeConfig, deploy_system, dev_account
from aiweb3.private.split import SplitVerifierClient, operator_prove, user_prove
from aiweb3.usecases.split import SplitFiles, compile_operator, compile_pre
from aiweb3.zkml import ModelRegistryClient

RUNS = 5
BENCH = "split_inference"


def main() -> None:
    """Run both comparisons."""
    out = json_only_stdout()
    files = SplitFiles()
    raw = [[float(v) for v in r] for r in files.data["test_x"][:8]]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        pre = compile_pre(home, files=files)
        op = compile_operator(home, files=files)
        print(f"logrows: preprocessing {pre.logrows}, operator {op.logrows}", file=sys.stderr)
        work = home / "direct"
        work.mkdir()
        handoff = user_prove(pre, raw[0])
        (work / "pre_in.json").write_text(json.dumps({"input_data": [raw[0]]}))
        (work / "op_in.json").write_text(json.dumps({"input_data": [handoff.features]}))
        art = {
            m: {k: str(model.artifact_path(k)) for k in ("circuit", "pk", "srs")}
            for m, model in (("pre", pre), ("op", op))
        }

        def ours() -> None:
            operator_prove(op, user_prove(pre, raw[0]), pre=pre)

        def direct() -> None:
            for m, data in (("pre", "pre_in.json"), ("op", "op_in.json")):
                a = art[m]
                ezkl.gen_witness(str(work / data), a["circuit"], str(work / f"{m}_w.json"))
                ezkl.prove(
                    str(work / f"{m}_w.json"),
                    a["circuit"],
                    a["pk"],
                    str(work / f"{m}_p.json"),
                    srs_path=a["srs"],
                )

        a, b = alternate(ours, direct, RUNS)
        report(
            BENCH, "pipeline_s", a, "sum of two direct ezkl gen_witness+prove", b, "lower", goal=1.15, out=out
        )

        node = LocalNode(NodeConfig(home=home))
        node.start()
        try:
            chain = Chain(node.url)
            signer = dev_account(0)
            deploy_system(chain, signer, home)
            registry = ModelRegistryClient.from_home(chain, home)
            pre.register(chain, signer)
            op.register(chain, signer)
            verifier = SplitVerifierClient.deploy(chain, signer, registry.address)
            result = operator_prove(op, handoff, pre=pre)
            one: list[int] = []
            two: list[int] = []
            for _ in range(3):
                one.append(verifier.verify(result, signer)[1])
                g1 = int(registry.verify(result.pre_proof, signer).gas_used or 0)
                g2 = int(registry.verify(result.proof, signer).gas_used or 0)
                two.append(g1 + g2)
            report(BENCH, "verify_split_gas", [float(g) for g in one],
                   "two verifyInference transactions (no link check)", [float(g) for g in two],
                   "lower", out=out)  # fmt: skip
            chain.close()
        finally:
            node.stop()
    print("done", file=sys.stderr)


if __name__ == "__main__":
    main()
