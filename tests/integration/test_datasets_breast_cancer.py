"""The worked example end to end on a real node: 100 breast-cancer patients (real rows, synthetic
identities) contribute, the pool pays, the dataset re-verifies, the exported table trains a model
whose metadata names the dataset's content id, and the creator recovers every unspent token."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment
from aiweb3.crypto.sdjwt import SigningKey
from aiweb3.datasets import (
    MEDICAL_RECORD,
    DatasetPool,
    DatasetRef,
    RecordIssuer,
    Submission,
    issue_record,
    present_record,
    review,
    verify_dataset,
)
from aiweb3.datasets.example import breast_cancer_policy, breast_cancer_records
from aiweb3.datasets.local import DatasetHome
from aiweb3.store import LocalStore

pytestmark = pytest.mark.usefixtures("chain_isolation")
PATIENTS = 100
REWARD = 2 * 10**6


def test_hundred_patients_contribute_and_the_table_trains_a_model(
    chain: Chain,
    deployments: dict[str, Deployment],
    aiweb3_home: Path,
    deployer: LocalAccount,
    accounts: list[LocalAccount],
    tmp_path: Path,
) -> None:
    from sklearn.linear_model import LogisticRegression

    pool = DatasetPool.from_home(chain, aiweb3_home)
    local = DatasetHome(tmp_path, LocalStore(tmp_path / "store"))
    hospital = RecordIssuer("https://hospital.example", SigningKey.generate("ES256K"))
    pool.registry.register(deployer, hospital.thumbprint, hospital.name, [MEDICAL_RECORD])
    creator, curator = accounts[0], accounts[1]
    policy = breast_cancer_policy(min_k=3)
    start = pool.balance(creator.address)
    ds = pool.create_dataset(
        creator,
        MEDICAL_RECORD,
        policy,
        local.publish_policy(policy),
        curator=curator.address,
        reward=REWARD,
        budget=PATIENTS * REWARD,
        review_window=600,
    )
    ref = DatasetRef(chain.chain_id, pool.address, ds)
    payees: list[str] = []
    subs: list[Submission] = []
    for i, record in enumerate(breast_cancer_records(PATIENTS)):
        held = issue_record(MEDICAL_RECORD, record, hospital, copies=1)
        payee = Account.create().address  # a fresh address per contribution: nothing links them
        c = present_record(held, MEDICAL_RECORD, policy, ref, payee, iat=chain.block_time())
        local.publish(c)
        cid, _ = pool.contribute(accounts[2 + i % 7], ds, c.content_digest, payee, c.authorization)
        subs.append(Submission(cid, c.presentation, c.secret_disclosure))
        payees.append(payee)

    result = review(pool, curator, ds, policy, MEDICAL_RECORD, subs, [])
    assert not result.rejected
    assert len(result.accepted) + len(result.waiting) == PATIENTS
    assert len(result.accepted) >= 80  # most (decade, postcode area) classes reach k = 3
    paid = sum(pool.balance(p) for p in payees)
    assert paid == len(result.accepted) * REWARD

    report = verify_dataset(
        pool, ds, local.fetch, local.load_policy, {MEDICAL_RECORD.schema_id: MEDICAL_RECORD}
    )
    assert report.ok and report.checked == len(result.accepted)
    assert report.k >= 3
    manifest_cid, table_cid = local.export(report, chain.chain_id, pool.address, pool.dataset(ds).policy_cid)
    rows = list(csv.DictReader(io.StringIO(local.store.get_bytes(table_cid).decode())))
    assert len(rows) == len(result.accepted)
    assert not {"name", "national_id", "address", "birth_year", "postcode", "record_secret"} & set(rows[0])

    features = sorted(k for k in rows[0] if k.startswith("tests_"))
    x = [[float(r[f]) for f in features] for r in rows]
    y = [r["diagnoses"] == "malignant" for r in rows]
    model = LogisticRegression(max_iter=5000).fit(x, y)
    assert model.score(x, y) > 0.85  # the anonymized table still carries the signal
    metadata = {"model": "logistic-regression", "features": features, "dataset": manifest_cid}
    meta_cid = local.store.put_bytes(json.dumps(metadata).encode())
    assert json.loads(local.store.get_bytes(meta_cid))["dataset"] == manifest_cid
    assert json.loads(local.store.get_bytes(manifest_cid))["table"] == table_cid

    # the creator closes; held-back contributions expire after the review window; nothing is stuck
    pool.close(creator, ds)
    d = pool.dataset(ds)
    assert d.budget == (PATIENTS - len(result.accepted)) * REWARD  # the rest was paid out
    chain.rpc("evm_increaseTime", [601])
    chain.rpc("evm_mine", [])
    for cid in result.waiting:
        pool.expire(accounts[8], cid)
    if result.waiting:
        pool.withdraw(creator, ds)
    assert pool.balance(pool.address) == 0
    assert pool.balance(creator.address) == start - paid
