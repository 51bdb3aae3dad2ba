"""Benchmark model audits on EAS (issue 25).

Prints: the gas of attesting a model audit on chain (EAS ``attest`` under the model-audit schema)
and of checking one on chain (``getAttestation`` as a transaction would pay for it, estimated,
21,000 base included), with a plain attestation under the small dataset-audit schema as the peer;
the gas of a TaskEscrow delivery that requires an audit versus the same delivery without one;
and the time to re-derive a model id from its ONNX file with the recorded settings and SRS
(what an auditor does) versus compiling the model from scratch (settings, calibration, circuit,
keys), alternated. One JSON line per figure on stdout (BENCHMARKS.md).

    make bench B=attest
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from _common import json_only_stdout, log, report  # bench/ is on sys.path when run as a script

from aiweb3.agents import AgentWallet, SpendPolicy, TaskEscrow, TaskTerms
from aiweb3.chain import Chain, LocalNode, NodeConfig, artifact, deploy_system, dev_account
from aiweb3.chain.eas import AIWEB3_SCHEMAS, EASClient, encode_data, schema_uid
from aiweb3.zkml import CompiledModel, Model, rederive
from aiweb3.zkml.attest import attest_audit, evaluate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "zkml"
RUNS = 3
BENCH = "attest"


def main() -> None:
    """Run every comparison."""
    out = json_only_stdout()
    data = json.loads((EXAMPLES / "mlp_samples.json").read_text())
    samples, labels = data["samples"], data["labels"]
    onnx_bytes = (EXAMPLES / "mlp.onnx").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        model = Model.from_onnx(EXAMPLES / "mlp.onnx", home=home).compile(samples[:8])  # makes the SRS
        rederive_s: list[float] = []
        compile_s: list[float] = []
        for i in range(RUNS):
            start = time.perf_counter()
            with tempfile.TemporaryDirectory(dir=home) as work:
                derived = rederive(home, model.model_id, onnx_bytes, Path(work))
            rederive_s.append(time.perf_counter() - start)
            start = time.perf_counter()  # other calibration samples: a cache miss, a full compile
            Model.from_onnx(EXAMPLES / "mlp.onnx", home=home).compile(samples[i + 1 : i + 9])
            compile_s.append(time.perf_counter() - start)
            log(f"run {i}: re-derive {rederive_s[-1]:.2f} s, compile {compile_s[-1]:.2f} s")
        report(BENCH, "rederive_model_id_s", rederive_s, "compile from scratch", compile_s, "lower", out=out)

        node = LocalNode(NodeConfig(home=home))
        node.start()
        try:
            chain = Chain(node.url)
            auditor = dev_account(1)
            deploy_system(chain, dev_account(0), home)
            eas = EASClient.from_home(chain, home)
            with tempfile.TemporaryDirectory(dir=home) as work:
                derived = rederive(home, model.model_id, onnx_bytes, Path(work))
                figures = evaluate(derived, samples, labels, None, "")
                dataset = AIWEB3_SCHEMAS["dataset-audit"]
                small = encode_data(
                    dataset, {"datasetCid": "bafy", "records": 1, "findings": "", "approved": True}
                )
                ours_gas: list[float] = []
                peer_gas: list[float] = []
                check_gas: list[float] = []
                for _ in range(RUNS):
                    before = chain.block_number()
                    audit = attest_audit(eas, auditor, derived, figures, "bafy-eval", valid_days=365)
                    receipt = chain.rpc("eth_getBlockReceipts", [hex(chain.block_number())])[0]
                    assert chain.block_number() == before + 1
                    ours_gas.append(float(int(receipt["gasUsed"], 16)))
                    _uid, plain = eas.attest(auditor, schema_uid(dataset), small)
                    peer_gas.append(float(plain["gasUsed"]))
                    fn = eas.contract.functions.getAttestation(bytes.fromhex(audit.uid[2:]))  # type: ignore[union-attr]
                    check_gas.append(float(fn.estimate_gas({"from": auditor.address})))
            report(BENCH, "attest_model_audit_gas", ours_gas, "EAS attest, dataset-audit schema", peer_gas,
                   "lower", out=out)  # fmt: skip
            report(BENCH, "check_attestation_gas", check_gas, None, None, "lower", out=out)
            audited, plain_gas = _escrow_delivery_gas(chain, home, model, samples, auditor.address)
            peer = "the same delivery, no audit required"
            report(BENCH, "escrow_delivery_requiring_audit_gas", audited, peer, plain_gas, "lower", out=out)
            chain.close()
        finally:
            node.stop()
    print("done", file=sys.stderr)


def _escrow_delivery_gas(
    chain: Chain, home: Path, model: CompiledModel, samples: list[list[float]], auditor: str
) -> tuple[list[float], list[float]]:
    """Gas of a proof-gated TaskEscrow delivery that requires an audit (the escrow reads the EAS
    attestation in the same transaction) and of the same delivery without one, alternated."""
    model.register(chain, dev_account(0))
    escrow = TaskEscrow.from_home(chain, home)
    requester, provider = dev_account(2), dev_account(3)
    aiusd = chain.contract(artifact("AIUSD").abi, escrow.token.address)
    chain.transact(requester, aiusd.functions.faucet(requester.address, 10**9))
    policy = SpendPolicy(10**8, 10**9).allowing(
        tokens=[escrow.token.address], contracts=[escrow.address], counterparties=[escrow.address]
    )
    wallet = AgentWallet(requester, policy)
    model_id = bytes.fromhex(model.model_id[2:])
    audited: list[float] = []
    plain: list[float] = []
    for i in range(RUNS):
        for who, into in ((auditor, audited), (None, plain)):
            task = escrow.post(
                wallet, TaskTerms(1_000, dev_account(4).address, model_id=model_id, auditor=who)
            )
            escrow.accept(provider, task)
            proof = model.prove(samples[i % len(samples)])
            receipt = escrow.deliver_with_proof(provider, task, "bafy-result", proof.proof, proof.instances)
            into.append(float(receipt["gasUsed"]))
    return audited, plain


if __name__ == "__main__":
    main()
