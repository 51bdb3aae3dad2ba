"""Data contributions as personal work: DatasetPool records that are rows of the training data.

Each contributor presents one medical record (a real row of scikit-learn's breast-cancer data, see
``aiweb3.datasets.example``) to a DatasetPool dataset, and the curator accepts it or not. The
subnet is bound to that dataset; after each epoch the records *used* by its round are the accepted
ones whose row sits in the shard of a miner the epoch's consensus rewarded (incentive > 0), and
their contributors share the epoch's data reward (``Subnet.reward_data``). A record in the test or
a validator's split, in the shard of a miner whose work earned nothing, or never accepted, is not
paid, and the report says which of these it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain
from aiweb3.crypto.sdjwt import SigningKey
from aiweb3.datasets import (
    MEDICAL_RECORD,
    DatasetPool,
    DatasetRef,
    RecordIssuer,
    issue_record,
    present_record,
)
from aiweb3.datasets.example import breast_cancer_policy, breast_cancer_records
from aiweb3.errors import InputError
from aiweb3.network.federation import Shards
from aiweb3.network.subnet import EpochOutcome, Subnet

__all__ = ["DataContribution", "DataSource", "contribute_rows", "reward_used_records"]


@dataclass(frozen=True)
class DataContribution:
    """One contributed record: its DatasetPool id, who is paid for it, which data row it is."""

    contribution_id: int
    contributor: str
    row: int
    accepted: bool


@dataclass(frozen=True)
class DataSource:
    """The DatasetPool dataset a subnet is bound to and the contributions made to it."""

    pool: str
    dataset_id: int
    contributions: list[DataContribution]


def contribute_rows(
    chain: Chain,
    home: Path,
    governance: LocalAccount,
    creator: LocalAccount,
    curator: LocalAccount,
    holders: Sequence[LocalAccount],
    rows: Sequence[int],
    accepted: Sequence[bool],
) -> DataSource:
    """A hospital issues each holder the record of one breast-cancer row; each presents it to a new
    dataset, and the curator accepts those marked ``accepted``. ``governance`` registers the
    hospital's key (the IssuerRegistry's owner); ``creator`` funds the dataset's own rewards."""
    if not len(holders) == len(rows) == len(accepted):
        raise InputError("give one row and one accepted flag per data contributor")
    pool = DatasetPool.from_home(chain, home)
    hospital = RecordIssuer("https://hospital.example", SigningKey.generate("ES256"))
    pool.registry.register(governance, hospital.thumbprint, hospital.name, [MEDICAL_RECORD])
    policy = breast_cancer_policy(1)
    dataset_id = pool.create_dataset(
        creator, MEDICAL_RECORD, policy, "bafy-network-training-data", curator=curator.address,
        reward=10**6, budget=len(rows) * 10**6, review_window=3600,
    )  # fmt: skip
    records = breast_cancer_records(max(rows) + 1) if rows else []
    ref = DatasetRef(chain.chain_id, pool.address, dataset_id)
    made = []
    for holder, row, accept in zip(holders, rows, accepted, strict=True):
        held = issue_record(MEDICAL_RECORD, records[row], hospital, copies=1)
        shown = present_record(held, MEDICAL_RECORD, policy, ref, holder.address, iat=chain.block_time())
        cid, _ = pool.contribute(
            holder, dataset_id, shown.content_digest, holder.address, shown.authorization
        )
        if accept:
            pool.accept(curator, cid, hospital.thumbprint)
        made.append(DataContribution(cid, holder.address, row, accept))
    return DataSource(pool.address, dataset_id, made)


def _use(c: DataContribution, owner: dict[int, int], paid_miners: set[int]) -> str | None:
    """Why the record was not used in the epoch's rewarded work (None: it was)."""
    if not c.accepted:
        return "not accepted by the curator"
    if c.row not in owner:
        return "in a test/validator split, not trained on"
    if owner[c.row] not in paid_miners:
        return "its miner's work earned nothing"
    return None


def reward_used_records(
    subnet: Subnet, sponsor: LocalAccount, data: DataSource, shards: Shards, outcomes: Sequence[EpochOutcome]
) -> list[dict[str, Any]]:
    """Pay each finalized epoch's data reward to the contributors whose records its round used;
    per contribution: its row, the miner holding it, what it earned and why."""
    owner = {row: j for j, rows in enumerate(shards.miner_rows) for row in rows}
    earned = {c.contribution_id: 0 for c in data.contributions}
    epochs_used = {c.contribution_id: 0 for c in data.contributions}
    for outcome in outcomes:
        paid = {j for j, share in enumerate(outcome.incentive) if share > 0}
        used = [c.contribution_id for c in data.contributions if _use(c, owner, paid) is None]
        if not used:
            continue
        per_record = subnet.reward_data(sponsor, outcome.epoch, used)
        for cid in used:
            earned[cid] += per_record
            epochs_used[cid] += 1
    last_paid = {j for j, share in enumerate(outcomes[-1].incentive) if share > 0} if outcomes else set()
    lines = []
    for c in data.contributions:
        rounds = epochs_used[c.contribution_id]
        why = _use(c, owner, last_paid) if rounds == 0 else None
        lines.append(
            {
                "contribution_id": c.contribution_id,
                "contributor": c.contributor,
                "row": c.row,
                "miner": owner.get(c.row),
                "earned": earned[c.contribution_id],
                "epochs_used": rounds,
                "why": why or f"trained on in {rounds} rewarded round(s)",
            }
        )
    return lines
