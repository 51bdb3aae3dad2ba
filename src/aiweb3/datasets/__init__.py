"""Verifiable anonymized datasets: issuer-signed records (SD-JWT), selective disclosure under a
policy, and an on-chain pool that pays holders for contributions a curator verified.

    schemas   record schemas (identifying / quasi / payload fields) and disclosure policies
    records   issuing records, the holder's copies, presenting under a policy, nullifiers
    pool      IssuerRegistry and DatasetPool contract clients
    curator   verifying contributions, k-anonymity, reviewing, re-verifying a whole dataset
    example   breast-cancer rows with synthetic identities
"""

from aiweb3.datasets.curator import (
    CheckedContribution,
    DatasetReport,
    ReviewResult,
    Submission,
    k_anonymity,
    review,
    row_of,
    verify_contribution,
    verify_dataset,
)
from aiweb3.datasets.pool import ContributionInfo, DatasetInfo, DatasetPool, IssuerRegistry
from aiweb3.datasets.records import (
    Contribution,
    DatasetRef,
    HeldRecord,
    RecordIssuer,
    authorize_contribution,
    check_disclosure,
    issue_record,
    kb_nonce,
    nullifier_for,
    nullifier_key,
    present_record,
)
from aiweb3.datasets.schemas import (
    FINANCIAL_RECORD,
    MEDICAL_RECORD,
    SCHEMAS,
    DisclosurePolicy,
    Field,
    FieldKind,
    RecordSchema,
    coarsen,
    schema_by_id,
)

__all__ = [
    "FINANCIAL_RECORD",
    "MEDICAL_RECORD",
    "SCHEMAS",
    "CheckedContribution",
    "Contribution",
    "ContributionInfo",
    "DatasetInfo",
    "DatasetPool",
    "DatasetRef",
    "DatasetReport",
    "DisclosurePolicy",
    "Field",
    "FieldKind",
    "HeldRecord",
    "IssuerRegistry",
    "RecordIssuer",
    "RecordSchema",
    "ReviewResult",
    "Submission",
    "authorize_contribution",
    "check_disclosure",
    "coarsen",
    "issue_record",
    "k_anonymity",
    "kb_nonce",
    "nullifier_for",
    "nullifier_key",
    "present_record",
    "review",
    "row_of",
    "schema_by_id",
    "verify_contribution",
    "verify_dataset",
]
