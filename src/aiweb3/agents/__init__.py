"""Payment and execution rails for AI agents: wallets with spend policies, escrow, x402, a registry."""

from aiweb3.agents.eip3009 import Authorization, TokenInfo, sign_authorization, sign_permit
from aiweb3.agents.escrow import EscrowTask, TaskEscrow, TaskStatus, TaskTerms, spec_hash
from aiweb3.agents.facilitator import Facilitator, FacilitatorLike, facilitator_app
from aiweb3.agents.http402 import PaidResponse, PayingClient, PaymentGate, PaymentReceiver
from aiweb3.agents.policy import PRIVACY_MODES, Payment, PaymentLog, PaymentRecord, SpendPolicy
from aiweb3.agents.registry import (
    AgentCard,
    AgentRecord,
    AgentRegistry,
    Feedback,
    PriceItem,
    Reputation,
    Validation,
    WalletConsent,
    sign_wallet_consent,
)
from aiweb3.agents.routes import PaymentRoute, PrivateDestination
from aiweb3.agents.wallet import AgentWallet, PrivateAuthorization, PrivateTransfer

__all__ = [
    "PRIVACY_MODES",
    "AgentCard",
    "AgentRecord",
    "AgentRegistry",
    "AgentWallet",
    "Authorization",
    "EscrowTask",
    "Facilitator",
    "FacilitatorLike",
    "Feedback",
    "PaidResponse",
    "PayingClient",
    "Payment",
    "PaymentGate",
    "PaymentLog",
    "PaymentReceiver",
    "PaymentRecord",
    "PaymentRoute",
    "PriceItem",
    "PrivateAuthorization",
    "PrivateDestination",
    "PrivateTransfer",
    "Reputation",
    "SpendPolicy",
    "TaskEscrow",
    "TaskStatus",
    "TaskTerms",
    "TokenInfo",
    "Validation",
    "WalletConsent",
    "facilitator_app",
    "sign_authorization",
    "sign_permit",
    "sign_wallet_consent",
    "spec_hash",
]
