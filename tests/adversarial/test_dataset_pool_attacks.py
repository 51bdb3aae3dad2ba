"""Attack 6 (issue 12): griefing the DatasetPool.

Before the fix a griefer copied a contributor's nullifier from the mempool and got it in first
(the real contribution reverted with ``NullifierAlreadyUsed``), and ten junk contributions
reserved the whole budget, blocking every honest one for the review window. Now the nullifier is
the address of a key only the record's holder can derive, whose signature also fixes the content
and payee; and contributions reserve nothing, so budget goes only to records the curator found
issuer-backed. These tests run both attacks for real and show no harm.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment
from aiweb3.crypto.sdjwt import SigningKey
from aiweb3.datasets import (
    MEDICAL_RECORD,
    Contribution,
    DatasetPool,
    DatasetRef,
    RecordIssuer,
    Submission,
    authorize_contribution,
    issue_record,
    present_record,
    review,
)
from aiweb3.datasets.example import breast_cancer_policy, breast_cancer_records
from aiweb3.errors import TransactionReverted

REWARD = 5 * 10**6


@pytest.fixture
def pool(chain: Chain, deployments: dict[str, Deployment], aiweb3_home: Path) -> DatasetPool:
    return DatasetPool.from_home(chain, aiweb3_home)


@pytest.fixture(scope="module")
def hospital() -> RecordIssuer:
    return RecordIssuer("https://hospital.example", SigningKey.generate("ES256"))


def _dataset(pool: DatasetPool, deployer: LocalAccount, accounts: list[LocalAccount], hospital: RecordIssuer,
             budget: int) -> int:  # fmt: skip
    if not pool.registry.is_authorized(hospital.thumbprint, MEDICAL_RECORD.schema_id):
        pool.registry.register(deployer, hospital.thumbprint, hospital.name, [MEDICAL_RECORD])
    return pool.create_dataset(
        accounts[0], MEDICAL_RECORD, breast_cancer_policy(1), "bafy-policy",
        curator=accounts[1].address, reward=REWARD, budget=budget, review_window=3600,
    )  # fmt: skip


def _present(pool: DatasetPool, ds: int, hospital: RecordIssuer, payee: str, index: int = 0) -> Contribution:
    held = issue_record(MEDICAL_RECORD, breast_cancer_records(index + 1)[index], hospital, copies=1)
    ref = DatasetRef(pool.chain.chain_id, pool.address, ds)
    return present_record(held, MEDICAL_RECORD, breast_cancer_policy(1), ref, payee)


def test_nullifier_copied_from_the_mempool_blocks_nothing(
    pool: DatasetPool,
    deployer: LocalAccount,
    accounts: list[LocalAccount],
    hospital: RecordIssuer,
    mempool: Any,
) -> None:
    mempool.automine()
    ds = _dataset(pool, deployer, accounts, hospital, budget=3 * REWARD)
    holder, griefer = accounts[2], accounts[6]
    c = _present(pool, ds, hospital, holder.address)
    mempool.automine(False)
    f = pool.contract.functions
    honest = mempool.submit(
        holder, f.contribute(ds, c.content_digest, holder.address, c.authorization), tip_gwei=1
    )
    # the griefer lifts the authorization (and so the nullifier) out of the pending transaction and
    # sends it first with his own payee, then with other content: both name another nullifier
    mempool.submit(griefer, f.contribute(ds, c.content_digest, griefer.address, c.authorization), tip_gwei=60)
    mempool.submit(griefer, f.contribute(ds, os.urandom(32), holder.address, c.authorization), tip_gwei=50)
    receipts = {r["transactionHash"]: r for r in mempool.mine()}
    assert all(r["status"] == 1 for r in receipts.values())  # the honest contribution went through
    assert min(r["transactionIndex"] for r in receipts.values()) < receipts[honest]["transactionIndex"]
    mempool.automine()
    rows = pool.contributions(ds)
    real = next(r for r in rows if r.nullifier == c.nullifier)
    assert (real.payee, real.content_digest, real.status) == (holder.address, c.content_digest, "pending")
    assert pool.nullifier_holder(ds, c.nullifier) == real.contribution_id
    assert {r.nullifier for r in rows if r.contribution_id != real.contribution_id}.isdisjoint({c.nullifier})
    # the curator pays the real one; the griefer's copies derive from no signed record
    paid_before = pool.balance(holder.address)
    subs = [Submission(r.contribution_id, c.presentation, c.secret_disclosure) for r in rows]
    result = review(pool, accounts[1], ds, breast_cancer_policy(1), MEDICAL_RECORD, subs, [])
    assert result.accepted == [real.contribution_id] and len(result.rejected) == 2
    assert pool.balance(holder.address) == paid_before + REWARD
    assert all(r.status == "rejected" for r in pool.contributions(ds) if r.payee == griefer.address)


@pytest.mark.usefixtures("chain_isolation")
def test_exact_copy_of_a_contribution_only_does_the_holders_work(
    pool: DatasetPool, deployer: LocalAccount, accounts: list[LocalAccount], hospital: RecordIssuer
) -> None:
    ds = _dataset(pool, deployer, accounts, hospital, budget=2 * REWARD)
    holder, griefer = accounts[2], accounts[6]
    c = _present(pool, ds, hospital, holder.address)
    cid, _ = pool.contribute(griefer, ds, c.content_digest, holder.address, c.authorization)  # copied
    with pytest.raises(TransactionReverted) as exc:  # the holder's own send finds it done
        pool.contribute(holder, ds, c.content_digest, holder.address, c.authorization)
    assert exc.value.error_name == "AuthorizationUsed"
    info = pool.contribution(cid)
    assert (info.payee, info.content_digest, info.nullifier) == (
        holder.address,
        c.content_digest,
        c.nullifier,
    )
    before = pool.balance(holder.address)
    review(pool, accounts[1], ds, breast_cancer_policy(1), MEDICAL_RECORD,
           [Submission(cid, c.presentation, c.secret_disclosure)], [])  # fmt: skip
    assert pool.balance(holder.address) == before + REWARD  # paid to the holder, not the copier


@pytest.mark.usefixtures("chain_isolation")
def test_replayed_authorization_cannot_block_a_resubmission(
    pool: DatasetPool, deployer: LocalAccount, accounts: list[LocalAccount], hospital: RecordIssuer
) -> None:
    ds = _dataset(pool, deployer, accounts, hospital, budget=2 * REWARD)
    holder, griefer = accounts[2], accounts[6]
    c = _present(pool, ds, hospital, holder.address)
    cid, _ = pool.contribute(holder, ds, c.content_digest, holder.address, c.authorization)
    pool.reject(accounts[1], cid, "upload broken")  # frees the nullifier
    # the griefer replays the old signature to take the nullifier again before the holder resubmits
    with pytest.raises(TransactionReverted) as exc:
        pool.contribute(griefer, ds, c.content_digest, holder.address, c.authorization)
    assert exc.value.error_name == "AuthorizationUsed"


@pytest.mark.usefixtures("chain_isolation")
def test_ten_junk_contributions_block_no_honest_one(
    pool: DatasetPool, deployer: LocalAccount, accounts: list[LocalAccount], hospital: RecordIssuer
) -> None:
    ds = _dataset(pool, deployer, accounts, hospital, budget=10 * REWARD)
    griefer = accounts[6]
    ref = DatasetRef(pool.chain.chain_id, pool.address, ds)
    junk = []
    for _ in range(10):  # ten junk contributions: any key signs, no record behind it
        digest = os.urandom(32)
        sig = authorize_contribution(Account.create(), ref, digest, griefer.address)
        junk.append(pool.contribute(griefer, ds, digest, griefer.address, sig)[0])
    d = pool.dataset(ds)
    assert (d.pending, d.budget) == (10, 10 * REWARD)  # nothing reserved by junk
    # honest contributions still go in and are paid at once, junk pending or not
    holders = accounts[2:5]
    subs = []
    for i, holder in enumerate(holders):
        c = _present(pool, ds, hospital, holder.address, i)
        cid, _ = pool.contribute(holder, ds, c.content_digest, holder.address, c.authorization)
        subs.append(Submission(cid, c.presentation, c.secret_disclosure))
    before = [pool.balance(h.address) for h in holders]
    result = review(pool, accounts[1], ds, breast_cancer_policy(1), MEDICAL_RECORD, subs, [])
    assert sorted(result.accepted) == [s.contribution_id for s in subs]
    assert [pool.balance(h.address) for h in holders] == [b + REWARD for b in before]
    # the junk earns nothing: the curator cannot attest it, so it is rejected (or expires)
    griefer_before = pool.balance(griefer.address)
    for cid in junk:
        pool.reject(accounts[1], cid, "no presentation")
    assert pool.balance(griefer.address) == griefer_before
    assert pool.dataset(ds).budget == 7 * REWARD
