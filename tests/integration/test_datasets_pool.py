"""IssuerRegistry and DatasetPool on a real anvil node: payments, nullifiers, budget, no lost funds."""

from __future__ import annotations

from pathlib import Path

import pytest
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
    nullifier_key,
    present_record,
    review,
    verify_dataset,
)
from aiweb3.datasets.example import breast_cancer_policy, breast_cancer_records
from aiweb3.datasets.local import DatasetHome
from aiweb3.errors import TransactionReverted
from aiweb3.store import LocalStore

pytestmark = pytest.mark.usefixtures("chain_isolation")
REWARD = 5 * 10**6


@pytest.fixture
def pool(chain: Chain, deployments: dict[str, Deployment], aiweb3_home: Path) -> DatasetPool:
    return DatasetPool.from_home(chain, aiweb3_home)


@pytest.fixture(scope="module")
def hospital() -> RecordIssuer:
    return RecordIssuer("https://hospital.example", SigningKey.generate("ES256"))


def _setup(
    pool: DatasetPool,
    deployer: LocalAccount,
    accounts: list[LocalAccount],
    hospital: RecordIssuer,
    budget: int = 3 * REWARD,
    min_k: int = 1,
) -> int:
    pool.registry.register(deployer, hospital.thumbprint, hospital.name, [MEDICAL_RECORD])
    policy = breast_cancer_policy(min_k=min_k)
    return pool.create_dataset(
        accounts[0],
        MEDICAL_RECORD,
        policy,
        "bafy-policy",
        curator=accounts[1].address,
        reward=REWARD,
        budget=budget,
        review_window=3600,
    )


def _contribute(
    pool: DatasetPool,
    dataset_id: int,
    hospital: RecordIssuer,
    sender: LocalAccount,
    record_index: int = 0,
    min_k: int = 1,
    iat: int | None = None,
) -> tuple[int, Submission]:
    c, _ = _present(pool, dataset_id, hospital, sender, record_index, min_k, iat)
    cid, _ = pool.contribute(sender, dataset_id, c.content_digest, sender.address, c.authorization)
    return cid, Submission(cid, c.presentation, c.secret_disclosure)


def _present(
    pool: DatasetPool,
    dataset_id: int,
    hospital: RecordIssuer,
    holder: LocalAccount,
    record_index: int = 0,
    min_k: int = 1,
    iat: int | None = None,
) -> tuple[Contribution, LocalAccount]:
    """A presentation of one record to the dataset, and the holder's nullifier key for it."""
    record = breast_cancer_records(record_index + 1)[record_index]
    held = issue_record(MEDICAL_RECORD, record, hospital, copies=1)
    ref = DatasetRef(pool.chain.chain_id, pool.address, dataset_id)
    iat = pool.chain.block_time() if iat is None else iat  # the clock the pool stamps submissions with
    c = present_record(held, MEDICAL_RECORD, breast_cancer_policy(min_k), ref, holder.address, iat=iat)
    return c, nullifier_key(held.secret, ref)


def test_registry_governance_and_revocation(
    pool: DatasetPool, deployer: LocalAccount, accounts: list[LocalAccount], hospital: RecordIssuer
) -> None:
    with pytest.raises(TransactionReverted, match="OwnableUnauthorizedAccount"):
        pool.registry.register(accounts[0], hospital.thumbprint, "me", [MEDICAL_RECORD])
    pool.registry.register(deployer, hospital.thumbprint, hospital.name, [MEDICAL_RECORD])
    assert pool.registry.is_authorized(hospital.thumbprint, MEDICAL_RECORD.schema_id)
    assert not pool.registry.is_authorized(hospital.thumbprint, b"\x01" * 32)
    with pytest.raises(TransactionReverted, match="IssuerAlreadyRegistered"):
        pool.registry.register(deployer, hospital.thumbprint, hospital.name, [MEDICAL_RECORD])
    pool.registry.revoke(deployer, hospital.thumbprint)
    assert not pool.registry.is_authorized(hospital.thumbprint, MEDICAL_RECORD.schema_id)


def test_contribute_accept_pay_and_nullifier(
    pool: DatasetPool, deployer: LocalAccount, accounts: list[LocalAccount], hospital: RecordIssuer
) -> None:
    creator, curator, holder = accounts[0], accounts[1], accounts[2]
    before = pool.balance(creator.address)
    ds = _setup(pool, deployer, accounts, hospital)
    assert pool.balance(creator.address) == before - 3 * REWARD  # pulled with a permit
    c, key = _present(pool, ds, hospital, holder)
    cid, _ = pool.contribute(holder, ds, c.content_digest, holder.address, c.authorization)
    sub = Submission(cid, c.presentation, c.secret_disclosure)
    assert pool.contribution(cid).nullifier == c.nullifier == bytes.fromhex(key.address[2:]).rjust(32, b"\0")
    # the same record (same nullifier key) cannot be contributed again, nor the same signature reused
    again = authorize_contribution(key, c.ref, b"\x02" * 32, holder.address)
    with pytest.raises(TransactionReverted, match="NullifierAlreadyUsed"):
        pool.contribute(holder, ds, b"\x02" * 32, holder.address, again)
    with pytest.raises(TransactionReverted, match="AuthorizationUsed"):
        pool.contribute(holder, ds, c.content_digest, holder.address, c.authorization)
    with pytest.raises(TransactionReverted, match="NotCurator"):
        pool.accept(holder, cid, hospital.thumbprint)
    with pytest.raises(TransactionReverted, match="IssuerNotAuthorized"):
        pool.accept(curator, cid, b"\x03" * 32)
    paid_before = pool.balance(holder.address)
    result = review(pool, curator, ds, breast_cancer_policy(1), MEDICAL_RECORD, [sub], [])
    assert result.accepted == [cid]
    assert pool.balance(holder.address) == paid_before + REWARD
    with pytest.raises(TransactionReverted, match="NotPending"):
        pool.accept(curator, cid, hospital.thumbprint)  # never paid twice
    d = pool.dataset(ds)
    assert (d.budget, d.pending, d.accepted) == (2 * REWARD, 0, 1)


def test_budget_exhaustion_reject_expire_close_withdraw(
    chain: Chain,
    pool: DatasetPool,
    deployer: LocalAccount,
    accounts: list[LocalAccount],
    hospital: RecordIssuer,
) -> None:
    creator, curator = accounts[0], accounts[1]
    ds = _setup(pool, deployer, accounts, hospital, budget=2 * REWARD)
    # contributions reserve nothing: three may wait for a budget of two rewards
    c1, s1 = _contribute(pool, ds, hospital, accounts[2], 0)
    c2, s2 = _contribute(pool, ds, hospital, accounts[3], 1)
    c3, _ = _contribute(pool, ds, hospital, accounts[4], 2)
    # a tampered presentation is rejected on chain by the curator
    bad = Submission(c2, s2.presentation.replace("~", "~x", 1), s2.secret_disclosure)
    result = review(pool, curator, ds, breast_cancer_policy(1), MEDICAL_RECORD, [bad], [])
    assert c2 in result.rejected and "content id" in result.rejected[c2]
    assert pool.contribution(c2).status == "rejected"
    # the unreviewed one expires after the review window
    with pytest.raises(TransactionReverted, match="ReviewWindowOpen"):
        pool.expire(accounts[5], c3)
    chain.rpc("evm_increaseTime", [3601])
    chain.rpc("evm_mine", [])
    pool.expire(accounts[5], c3)
    c4, s4 = _contribute(pool, ds, hospital, accounts[6], 3)
    pool.close(creator, ds)
    with pytest.raises(TransactionReverted, match="DatasetIsClosed"):
        _contribute(pool, ds, hospital, accounts[5], 4)
    # c1 and c4 are pending: closing gives them their review window before the creator withdraws
    with pytest.raises(TransactionReverted, match="ContributionsUnderReview"):
        pool.withdraw(creator, ds)
    review(pool, curator, ds, breast_cancer_policy(1), MEDICAL_RECORD, [s1, s4], [])
    assert pool.contribution(c1).status == pool.contribution(c4).status == "accepted"
    # the budget is spent: nothing left to pay or withdraw, nothing locked
    with pytest.raises(TransactionReverted, match="NothingToWithdraw"):
        pool.withdraw(creator, ds)
    assert pool.balance(pool.address) == 0


def test_withdraw_after_review_window_even_with_pending(
    chain: Chain,
    pool: DatasetPool,
    deployer: LocalAccount,
    accounts: list[LocalAccount],
    hospital: RecordIssuer,
) -> None:
    creator, curator = accounts[0], accounts[1]
    ds = _setup(pool, deployer, accounts, hospital, budget=2 * REWARD)
    c1, _ = _contribute(pool, ds, hospital, accounts[2], 0)
    pool.close(creator, ds)
    chain.rpc("evm_increaseTime", [3601])
    chain.rpc("evm_mine", [])
    before = pool.balance(creator.address)
    assert pool.withdraw(creator, ds) == 2 * REWARD  # the curator had its window
    assert pool.balance(creator.address) == before + 2 * REWARD
    with pytest.raises(TransactionReverted, match="BudgetExhausted"):
        pool.accept(curator, c1, hospital.thumbprint)
    pool.expire(accounts[5], c1)
    assert pool.balance(pool.address) == 0


def test_k_anonymity_gate_holds_small_classes(
    pool: DatasetPool, deployer: LocalAccount, accounts: list[LocalAccount], hospital: RecordIssuer
) -> None:
    ds = _setup(pool, deployer, accounts, hospital, budget=20 * REWARD, min_k=50)
    _, sub = _contribute(pool, ds, hospital, accounts[2], 0, min_k=50)
    result = review(pool, accounts[1], ds, breast_cancer_policy(50), MEDICAL_RECORD, [sub], [])
    assert result.waiting == [sub.contribution_id] and not result.accepted
    assert pool.contribution(sub.contribution_id).status == "pending"


def test_revoked_issuer_contribution_rejected(
    pool: DatasetPool, deployer: LocalAccount, accounts: list[LocalAccount], hospital: RecordIssuer
) -> None:
    ds = _setup(pool, deployer, accounts, hospital)
    cid, sub = _contribute(pool, ds, hospital, accounts[2])
    pool.registry.revoke(deployer, hospital.thumbprint)
    before = pool.balance(accounts[2].address)
    result = review(pool, accounts[1], ds, breast_cancer_policy(1), MEDICAL_RECORD, [sub], [])
    assert "revoked" in result.rejected[cid]
    assert pool.balance(accounts[2].address) == before
    assert pool.dataset(ds).budget == 3 * REWARD


def test_create_with_approval_fund_and_resubmit_after_reject(
    pool: DatasetPool, deployer: LocalAccount, accounts: list[LocalAccount], hospital: RecordIssuer
) -> None:
    creator, curator, holder = accounts[0], accounts[1], accounts[2]
    pool.registry.register(deployer, hospital.thumbprint, hospital.name, [MEDICAL_RECORD])
    policy = breast_cancer_policy(min_k=1)
    with pytest.raises(TransactionReverted, match="ERC20InsufficientAllowance"):
        pool.create_dataset(
            creator,
            MEDICAL_RECORD,
            policy,
            "p",
            curator=curator.address,
            reward=REWARD,
            budget=REWARD,
            permit=False,
        )
    pool.chain.transact(creator, pool.token.functions.approve(pool.address, REWARD))
    ds = pool.create_dataset(
        creator,
        MEDICAL_RECORD,
        policy,
        "p",
        curator=curator.address,
        reward=REWARD,
        budget=REWARD,
        permit=False,
    )
    pool.fund(accounts[5], ds, REWARD)  # anyone may top up
    assert pool.dataset(ds).budget == 2 * REWARD
    record = breast_cancer_records(1)[0]
    held = issue_record(MEDICAL_RECORD, record, hospital, copies=1)
    ref = DatasetRef(pool.chain.chain_id, pool.address, ds)
    c = present_record(held, MEDICAL_RECORD, policy, ref, holder.address, iat=pool.chain.block_time())
    key = nullifier_key(held.secret, ref)
    # first submitted with a wrong content id (e.g. a broken upload): the curator rejects it...
    wrong = authorize_contribution(key, ref, b"\x09" * 32, holder.address)
    cid, _ = pool.contribute(holder, ds, b"\x09" * 32, holder.address, wrong)
    result = review(
        pool, curator, ds, policy, MEDICAL_RECORD, [Submission(cid, c.presentation, c.secret_disclosure)], []
    )
    assert cid in result.rejected
    # ...which frees the nullifier: the holder resubmits correctly and is paid once
    cid2, _ = pool.contribute(holder, ds, c.content_digest, holder.address, c.authorization)
    before = pool.balance(holder.address)
    review(
        pool, curator, ds, policy, MEDICAL_RECORD, [Submission(cid2, c.presentation, c.secret_disclosure)], []
    )
    assert pool.balance(holder.address) == before + REWARD
    with pytest.raises(TransactionReverted, match="AuthorizationUsed"):  # a signature counts once
        pool.contribute(holder, ds, b"\x09" * 32, holder.address, wrong)
    with pytest.raises(TransactionReverted, match="NullifierAlreadyUsed"):
        pool.contribute(
            holder,
            ds,
            b"\x0a" * 32,
            holder.address,
            authorize_contribution(key, ref, b"\x0a" * 32, holder.address),
        )
    with pytest.raises(TransactionReverted, match="NotCreator"):
        pool.close(holder, ds)
    with pytest.raises(TransactionReverted, match="DatasetNotClosed"):
        pool.withdraw(creator, ds)


def test_stale_or_future_key_binding_is_rejected_and_datasets_stay_verifiable(
    chain: Chain,
    pool: DatasetPool,
    deployer: LocalAccount,
    accounts: list[LocalAccount],
    hospital: RecordIssuer,
    tmp_path: Path,
) -> None:
    """A presentation whose KB-JWT was made in 2001 (or an hour ahead of the chain) is rejected by
    the curator, and flagged by anyone re-verifying if a curator accepted it anyway; a fresh one
    still verifies a day after it was accepted (freshness is judged at the submission's block time)."""
    creator, curator = accounts[0], accounts[1]
    local = DatasetHome(tmp_path, LocalStore(tmp_path / "store"))
    policy = breast_cancer_policy(1)
    pool.registry.register(deployer, hospital.thumbprint, hospital.name, [MEDICAL_RECORD])
    ds = pool.create_dataset(
        creator, MEDICAL_RECORD, policy, local.publish_policy(policy),
        curator=curator.address, reward=REWARD, budget=3 * REWARD,
    )  # fmt: skip
    stale_cid, stale = _contribute(pool, ds, hospital, accounts[2], 0, iat=978_307_200)  # 2001-01-01
    future_cid, future = _contribute(pool, ds, hospital, accounts[3], 1, iat=chain.block_time() + 3600)
    result = review(pool, curator, ds, policy, MEDICAL_RECORD, [stale, future], [])
    assert "stale or replayed" in result.rejected[stale_cid]
    assert "in the future" in result.rejected[future_cid]
    assert pool.contribution(stale_cid).status == pool.contribution(future_cid).status == "rejected"

    # a curator that skips the check: the public re-verification still catches the stale one
    old = present_record(
        issue_record(MEDICAL_RECORD, breast_cancer_records(3)[2], hospital, copies=1),
        MEDICAL_RECORD, policy, DatasetRef(chain.chain_id, pool.address, ds), accounts[4].address,
        iat=978_307_200,
    )  # fmt: skip
    local.publish(old)
    old_cid, _ = pool.contribute(accounts[4], ds, old.content_digest, accounts[4].address, old.authorization)
    pool.accept(curator, old_cid, hospital.thumbprint)
    fresh_cid, fresh = _contribute(pool, ds, hospital, accounts[5], 3)
    local.store.put_bytes(fresh.presentation.encode("ascii"))
    assert review(pool, curator, ds, policy, MEDICAL_RECORD, [fresh], []).accepted == [fresh_cid]
    chain.rpc("evm_increaseTime", [86_400])
    chain.rpc("evm_mine", [])
    report = verify_dataset(
        pool, ds, local.fetch, local.load_policy, {MEDICAL_RECORD.schema_id: MEDICAL_RECORD}
    )
    assert report.checked == 2
    assert [p for p in report.problems if "stale or replayed" in p] == [report.problems[0]]
    assert report.problems[0].startswith(f"contribution {old_cid}:")
    assert len(report.rows) == 1  # the fresh contribution re-verified a day later
