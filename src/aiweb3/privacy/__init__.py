"""Private payments: stealth addresses (ERC-5564 scheme 1, the ERC-6538 registry) so that a model
trained on public chain data cannot tell who pays whom. See ``docs/privacy.md``."""

from aiweb3.privacy.agentpay import STEALTH_MODE, StealthReceiver, StealthRoute
from aiweb3.privacy.keyring import StealthKeyring
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

__all__ = [
    "SCHEME_ID",
    "STEALTH_MODE",
    "Announcement",
    "FoundPayment",
    "GeneratedStealth",
    "StealthKeyring",
    "StealthKeys",
    "StealthMeta",
    "StealthPayment",
    "StealthReceiver",
    "StealthRegistry",
    "StealthRoute",
    "ViewingKeys",
    "announce",
    "announcements",
    "announcements_in",
    "check_stealth_address",
    "compute_stealth_key",
    "found_payments",
    "generate_stealth_address",
    "scan",
    "send_stealth",
    "sweep",
    "token_metadata",
    "view_tag_of",
]
