"""SD-JWT presentations verified per second (aiweb3 vs the reference ``sd-jwt`` package on the
same presentations, alternating, medians), and the pool's gas per accepted contribution.

Prints one JSON line per comparison (see BENCHMARKS.md); progress goes to stderr.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import interleave  # bench/ is on sys.path when run as a script
from jwcrypto.jwk import JWK
from sd_jwt.verifier import SDJWTVerifier

from aiweb3.chain import Chain, LocalNode, NodeConfig, deploy_system, dev_account, system_contract
from aiweb3.crypto.sdjwt import SigningKey, verify
from aiweb3.datasets import (
    MEDICAL_RECORD,
    DatasetPool,
    DatasetRef,
    RecordIssuer,
    issue_record,
    present_record,
)
from aiweb3.datasets.example import breast_cancer_policy, breast_cancer_records
from aiweb3.datasets.records import kb_nonce

BENCH = "sdjwt_verify"
PRESENTATIONS = 100
RUNS = 5
REF = DatasetRef(31337, "0x00000000000000000000000000000000000000AA", 1)
PAYEE = "0x00000000000000000000000000000000000000bb"


def emit(
    figure: str, ours: float, peer: str | None, peer_value: float | None, better: str, **extra: Any
) -> None:
    ratio = round(ours / peer_value, 3) if peer_value else None
    line = {
        "bench": BENCH,
        "figure": figure,
        "ours": round(ours, 1),
        "peer": peer,
        "peer_value": None if peer_value is None else round(peer_value, 1),
        "ratio": ratio,
        "better": better,
        **extra,
    }
    print(json.dumps(line), flush=True)


def presentations() -> tuple[SigningKey, list[tuple[str, str]]]:
    issuer = RecordIssuer("https://hospital.example", SigningKey.generate("ES256"))
    policy = breast_cancer_policy(min_k=1)
    out = []
    for record in breast_cancer_records(PRESENTATIONS):
        held = issue_record(MEDICAL_RECORD, record, issuer, copies=1)
        c = present_record(held, MEDICAL_RECORD, policy, REF, PAYEE)
        out.append((c.presentation, kb_nonce(c.nullifier, PAYEE)))
    return issuer.key, out


def run_ours(key: SigningKey, items: list[tuple[str, str]]) -> float:
    public = key.public
    start = time.perf_counter()
    for text, nonce in items:
        verify(text, public, expected_aud=REF.aud, expected_nonce=nonce)
    return len(items) / (time.perf_counter() - start)


def run_reference(key: SigningKey, items: list[tuple[str, str]]) -> float:
    jwk = JWK.from_json(json.dumps(key.public.jwk))
    start = time.perf_counter()
    for text, nonce in items:
        SDJWTVerifier(
            text, lambda iss, header: jwk, expected_aud=REF.aud, expected_nonce=nonce
        ).get_verified_payload()
    return len(items) / (time.perf_counter() - start)


def gas_per_contribution(contributions: int = 10) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        node = LocalNode(NodeConfig(home=home))
        node.start()
        try:
            chain = Chain(node.url, expected_chain_id=node.config.chain_id)
            deployer, creator, curator = dev_account(0), dev_account(1), dev_account(2)
            deploy_system(chain, deployer, home)
            aiusd = system_contract(chain, home, "AIUSD")
            chain.transact(creator, aiusd.functions.faucet(creator.address, 10**12))
            pool = DatasetPool.from_home(chain, home)
            issuer = RecordIssuer("https://hospital.example", SigningKey.generate("ES256"))
            pool.registry.register(deployer, issuer.thumbprint, issuer.name, [MEDICAL_RECORD])
            policy = breast_cancer_policy(min_k=1)
            ds = pool.create_dataset(
                creator,
                MEDICAL_RECORD,
                policy,
                "policy",
                curator=curator.address,
                reward=10**6,
                budget=contributions * 10**6,
            )
            ref = DatasetRef(chain.chain_id, pool.address, ds)
            contribute_gas, accept_gas = [], []
            for i, record in enumerate(breast_cancer_records(contributions)):
                held = issue_record(MEDICAL_RECORD, record, issuer, copies=1)
                sender = dev_account(3 + i % 5)
                c = present_record(held, MEDICAL_RECORD, policy, ref, sender.address, iat=chain.block_time())
                cid, receipt = pool.contribute(sender, ds, c.content_digest, sender.address, c.authorization)
                contribute_gas.append(int(receipt["gasUsed"]))
                accept_gas.append(int(pool.accept(curator, cid, issuer.thumbprint)["gasUsed"]))
            chain.close()
        finally:
            node.stop()
    return statistics.median(contribute_gas), statistics.median(accept_gas)


def main() -> None:
    print(f"building {PRESENTATIONS} presentations…", file=sys.stderr)
    key, items = presentations()
    run_ours(key, items[:10])
    run_reference(key, items[:10])  # warm up both
    # the side going first alternates every round (ours, reference; reference, ours; ...)
    ours, peer = interleave(lambda: run_ours(key, items), lambda: run_reference(key, items), RUNS)
    for i, (a, b) in enumerate(zip(ours, peer, strict=True)):
        print(f"run {i + 1}: ours {a:.0f}/s, reference {b:.0f}/s", file=sys.stderr)
    emit(
        "presentations_verified_per_s",
        statistics.median(ours),
        "sd-jwt 0.10.4 (reference, jwcrypto)",
        statistics.median(peer),
        "higher",
        goal=1,
        runs=RUNS,
    )
    print("measuring pool gas…", file=sys.stderr)
    contribute, accept = gas_per_contribution()
    emit("gas_per_accepted_contribution", contribute + accept, None, None, "lower", runs=10)
    emit("gas_contribute", contribute, None, None, "lower", runs=10)
    emit("gas_accept_and_pay", accept, None, None, "lower", runs=10)


if __name__ == "__main__":
    main()
