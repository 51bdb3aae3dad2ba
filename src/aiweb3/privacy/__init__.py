"""Private payments: stealth addresses (ERC-5564 scheme 1, the ERC-6538 registry) and a shielded
pool (fixed AIUSD deposits withdrawn with Groth16 proofs, relayers, association sets), so that a
model trained on public chain data cannot tell who pays whom. See ``docs/privacy.md``."""

from aiweb3.privacy.agentpay import STEALTH_MODE, StealthReceiver, StealthRoute
from aiweb3.privacy.keyring import StealthKeyring
from aiweb3.privacy.notes import Note, NoteBook, NoteSecrets
from aiweb3.privacy.payments import (
    Announcement,
    FoundPayment,
    StealthPayment,
    StealthRegistry,
    announce,
    announcements,
    announcements_in,
    found_payments,
    scan,
    send_stealth,
    sweep,
    token_metadata,
)
from aiweb3.privacy.pool import AssociationSet, DepositEvent, ShieldedPool, ensure_pool
from aiweb3.privacy.stealth import (
    SCHEME_ID,
    GeneratedStealth,
    StealthKeys,
    StealthMeta,
    ViewingKeys,
    check_stealth_address,
    compute_stealth_key,
    generate_stealth_address,
    view_tag_of,
)
from aiweb3.privacy.withdraw import (
    WithdrawalRequest,
    check_request,
    deposit_note,
    prepare_withdrawal,
    relay,
    submit_withdrawal,
)
from aiweb3.privacy.zk import ZkArtifacts, check_zk_fresh, run_setup, verify_withdrawal, zk_artifacts

__all__ = [
    "SCHEME_ID",
    "STEALTH_MODE",
    "Announcement",
    "AssociationSet",
    "DepositEvent",
    "FoundPayment",
    "GeneratedStealth",
    "Note",
    "NoteBook",
    "NoteSecrets",
    "ShieldedPool",
    "StealthKeyring",
    "StealthKeys",
    "StealthMeta",
    "StealthPayment",
    "StealthReceiver",
    "StealthRegistry",
    "StealthRoute",
    "ViewingKeys",
    "WithdrawalRequest",
    "ZkArtifacts",
    "announce",
    "announcements",
    "announcements_in",
    "check_request",
    "check_stealth_address",
    "check_zk_fresh",
    "compute_stealth_key",
    "deposit_note",
    "ensure_pool",
    "found_payments",
    "generate_stealth_address",
    "prepare_withdrawal",
    "relay",
    "run_setup",
    "scan",
    "send_stealth",
    "submit_withdrawal",
    "sweep",
    "token_metadata",
    "verify_withdrawal",
    "view_tag_of",
    "zk_artifacts",
]
