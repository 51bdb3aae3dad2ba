"""Property-based stateful test of DatasetPool on the real node.

Hypothesis drives random sequences by several actors: creators opening, funding, closing and
withdrawing datasets (and strangers trying to); holders contributing real issuer-signed records;
griefers sending junk contributions, authorizations lifted from others' contributions (with their
own payee or content) and replays of used ones; an honest curator accepting what verifies and
rejecting the rest; anyone expiring stale contributions; time jumps. Many calls revert, as they
should. After every step the pool holds exactly the sum of the datasets' budgets, every account
holds exactly what the model of the ledger says (nothing appears, vanishes or goes to a griefer),
and each dataset's pending count matches; at the end every dataset can be drained back to its
creator, so no sequence locks or loses funds.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from aiweb3.chain import Chain, Deployment
from aiweb3.crypto.sdjwt import SigningKey
from aiweb3.datasets import (
    MEDICAL_RECORD,
    Contribution,
    DatasetPool,
    DatasetRef,
    RecordIssuer,
    authorize_contribution,
    issue_record,
    present_record,
)
from aiweb3.datasets.example import breast_cancer_policy, breast_cancer_records
from aiweb3.errors import TransactionReverted

REWARD = 10**6
WINDOW = 300


@dataclass
class Book:
    """The model of one dataset."""

    creator: LocalAccount
    budget: int
    closed: bool = False
    pending: set[int] = field(default_factory=set)


@pytest.mark.timeout(600)
def test_pool_never_locks_or_loses_funds(
    chain: Chain,
    deployments: dict[str, Deployment],
    deployer: LocalAccount,
    accounts: list[LocalAccount],
    aiweb3_home: Path,
) -> None:
    pool = DatasetPool.from_home(chain, aiweb3_home)
    hospital = RecordIssuer("https://hospital.example", SigningKey.generate("ES256"))
    pool.registry.register(deployer, hospital.thumbprint, hospital.name, [MEDICAL_RECORD])
    policy = breast_cancer_policy(1)
    records = breast_cancer_records(12)
    creators, curator, holders, griefers = accounts[0:2], accounts[2], accounts[3:6], accounts[6:8]
    stranger = accounts[8]
    people = [*creators, curator, *holders, *griefers, stranger]
    reached: Counter[str] = Counter()  # which paths the sequences took, over all examples

    class PoolMachine(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            self.snapshot = chain.snapshot()
            self.base = pool.balance(pool.address)
            self.ledger = {p.address: pool.balance(p.address) for p in people}
            self.books: dict[int, Book] = {}
            self.honest: dict[int, Contribution] = {}  # contribution id -> the real presentation
            self.junk: set[int] = set()
            self.used: list[Contribution] = []
            for creator in creators:  # two open datasets from the start, so every rule has work
                self.create(creator, 2)

        def teardown(self) -> None:
            try:
                self._drain()
            finally:
                chain.revert(self.snapshot)

        def _drain(self) -> None:
            """Close everything, let the windows pass, expire what is pending, withdraw the rest."""
            if not self.books:
                return
            for ds, book in self.books.items():
                if not book.closed:
                    pool.close(book.creator, ds)
            chain.rpc("evm_increaseTime", [WINDOW + 1])
            chain.rpc("evm_mine", [])
            for book in self.books.values():
                for cid in sorted(book.pending):
                    pool.expire(stranger, cid)
            for ds, book in self.books.items():
                if book.budget:
                    assert pool.withdraw(book.creator, ds) == book.budget
                    reached["withdraw"] += 1
                    self.ledger[book.creator.address] += book.budget
                    book.budget = 0
            assert pool.balance(pool.address) == self.base  # nothing locked
            for p in people:
                assert pool.balance(p.address) == self.ledger[p.address], p.address

        def _try(self, fn: object, *args: object) -> bool:
            try:
                fn(*args)  # type: ignore[operator]
            except TransactionReverted as exc:
                event(f"reverted {exc.error_name}")
                reached[f"reverted {exc.error_name}"] += 1
                return False
            reached[getattr(fn, "__name__", "call")] += 1
            return True

        # -- creators ----------------------------------------------------------------
        @rule(creator=st.sampled_from(creators), rewards=st.integers(0, 3))
        def create(self, creator: LocalAccount, rewards: int) -> None:
            budget = rewards * REWARD
            ds = pool.create_dataset(creator, MEDICAL_RECORD, policy, "p", curator=curator.address,
                                     reward=REWARD, budget=budget, review_window=WINDOW)  # fmt: skip
            self.books[ds] = Book(creator, budget)
            self.ledger[creator.address] -= budget

        @precondition(lambda self: self.books)
        @rule(data=st.data(), funder=st.sampled_from([*creators, stranger]))
        def fund(self, data: st.DataObject, funder: LocalAccount) -> None:
            ds = data.draw(st.sampled_from(sorted(self.books)))
            if self._try(pool.fund, funder, ds, REWARD):
                self.books[ds].budget += REWARD
                self.ledger[funder.address] -= REWARD

        @precondition(lambda self: sum(not b.closed for b in self.books.values()) > 1)  # keep one open
        @rule(data=st.data(), by_creator=st.booleans())
        def close(self, data: st.DataObject, by_creator: bool) -> None:
            ds = data.draw(st.sampled_from(sorted(self.books)))
            book = self.books[ds]
            if self._try(pool.close, book.creator if by_creator else stranger, ds):
                assert by_creator and not book.closed
                book.closed = True

        @precondition(lambda self: self.books)
        @rule(data=st.data(), by_creator=st.booleans())
        def withdraw(self, data: st.DataObject, by_creator: bool) -> None:
            ds = data.draw(st.sampled_from(sorted(self.books)))
            book = self.books[ds]
            who = book.creator if by_creator else stranger
            try:
                amount = pool.withdraw(who, ds)
            except TransactionReverted as exc:
                event(f"reverted {exc.error_name}")
                return
            assert by_creator and book.closed and amount == book.budget
            reached["withdraw"] += 1
            self.ledger[who.address] += amount
            book.budget = 0

        # -- holders and griefers ---------------------------------------------------------
        @precondition(lambda self: self.books)
        @rule(data=st.data(), holder=st.sampled_from(holders), record=st.integers(0, len(records) - 1))
        def contribute(self, data: st.DataObject, holder: LocalAccount, record: int) -> None:
            ds = data.draw(st.sampled_from(sorted(self.books)))
            held = issue_record(MEDICAL_RECORD, records[record], hospital, copies=1)
            c = present_record(held, MEDICAL_RECORD, policy, DatasetRef(chain.chain_id, pool.address, ds),
                               holder.address)  # fmt: skip
            try:
                cid, _ = pool.contribute(holder, ds, c.content_digest, c.payee, c.authorization)
            except TransactionReverted as exc:
                event(f"reverted {exc.error_name}")
                return
            self.honest[cid] = c
            reached["contribute"] += 1
            self.used.append(c)
            self.books[ds].pending.add(cid)

        @precondition(lambda self: self.books)
        @rule(data=st.data(), griefer=st.sampled_from(griefers))
        def junk(self, data: st.DataObject, griefer: LocalAccount) -> None:
            ds = data.draw(st.sampled_from(sorted(self.books)))
            digest = os.urandom(32)
            ref = DatasetRef(chain.chain_id, pool.address, ds)
            sig = authorize_contribution(Account.create(), ref, digest, griefer.address)
            self._junk(griefer, ds, digest, sig)

        @precondition(lambda self: self.used)
        @rule(
            data=st.data(),
            griefer=st.sampled_from(griefers),
            how=st.sampled_from(["payee", "content", "replay"]),
        )
        def lift(self, data: st.DataObject, griefer: LocalAccount, how: str) -> None:
            """Reuse a real contribution's authorization: with another payee or content (another,
            unbacked nullifier) or exactly (refused: each authorization counts once)."""
            c = data.draw(st.sampled_from(self.used))
            ds = c.ref.dataset_id
            if how == "replay":
                assert not self._try(pool.contribute, griefer, ds, c.content_digest, c.payee, c.authorization)
                return
            payee = griefer.address if how == "payee" else c.payee
            digest = c.content_digest if how == "payee" else os.urandom(32)
            self._junk(griefer, ds, digest, c.authorization, payee)

        def _junk(
            self, griefer: LocalAccount, ds: int, digest: bytes, sig: bytes, payee: str | None = None
        ) -> None:
            try:
                cid, _ = pool.contribute(griefer, ds, digest, payee or griefer.address, sig)
            except TransactionReverted as exc:
                event(f"reverted {exc.error_name}")
                return
            assert pool.contribution(cid).nullifier not in {h.nullifier for h in self.honest.values()}
            self.junk.add(cid)
            reached["junk"] += 1
            self.books[ds].pending.add(cid)

        # -- curator and anyone -----------------------------------------------------------
        @precondition(lambda self: any(b.pending for b in self.books.values()))
        @rule(data=st.data())
        def review(self, data: st.DataObject) -> None:
            """The honest curator accepts a real record and rejects junk."""
            cid = data.draw(st.sampled_from(sorted(c for b in self.books.values() for c in b.pending)))
            ds = pool.contribution(cid).dataset_id
            book = self.books[ds]
            if cid in self.honest:
                if self._try(pool.accept, curator, cid, hospital.thumbprint):
                    book.budget -= REWARD
                    book.pending.discard(cid)
                    self.ledger[self.honest[cid].payee] += REWARD
                else:
                    assert book.budget < REWARD  # the only reason an honest record is not paid
            else:
                assert not self._try(pool.accept, curator, cid, b"\x01" * 32)  # no issuer backs junk
                pool.reject(curator, cid, "junk")
                reached["reject"] += 1
                book.pending.discard(cid)

        @precondition(lambda self: any(b.pending for b in self.books.values()))
        @rule(data=st.data())
        def expire(self, data: st.DataObject) -> None:
            cid = data.draw(st.sampled_from(sorted(c for b in self.books.values() for c in b.pending)))
            if self._try(pool.expire, stranger, cid):
                self.books[pool.contribution(cid).dataset_id].pending.discard(cid)

        @rule(seconds=st.sampled_from([60, WINDOW + 1]))
        def wait(self, seconds: int) -> None:
            chain.rpc("evm_increaseTime", [seconds])
            chain.rpc("evm_mine", [])

        @invariant()
        def balanced(self) -> None:
            if not hasattr(self, "books"):
                return
            assert pool.balance(pool.address) == self.base + sum(b.budget for b in self.books.values())
            for ds, book in self.books.items():
                d = pool.dataset(ds)
                assert (d.budget, d.pending, d.closed) == (book.budget, len(book.pending), book.closed)
            for p in people:
                assert pool.balance(p.address) == self.ledger[p.address], p.address

    examples = int(os.environ.get("DATASETS_STATEFUL_EXAMPLES", "10"))
    PoolMachine.TestCase.settings = settings(
        max_examples=examples, stateful_step_count=30, deadline=None, derandomize=True, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )  # fmt: skip
    PoolMachine.TestCase().runTest()
    # the sequences reached the paths that matter (derandomized: the same sequences every run)
    wanted = {"contribute", "junk", "accept", "reject", "withdraw", "reverted AuthorizationUsed"}
    assert wanted <= set(reached), reached
