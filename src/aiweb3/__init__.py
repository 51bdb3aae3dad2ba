"""aiweb3: verifiable AI on Ethereum-style chains.

The curated public API; tests/unit/test_public_api.py guards this list.
"""

from aiweb3.chain import (
    Chain,
    Deployments,
    Keystore,
    LocalNode,
    NodeConfig,
    TxRequest,
    deploy_system,
    dev_account,
    dev_accounts,
)
from aiweb3.config import Settings
from aiweb3.errors import (
    AIWeb3Error,
    ChainError,
    InputError,
    ProofError,
    TransactionReverted,
)
from aiweb3.store import LocalStore

__version__ = "0.1.0"

__all__ = [
    "AIWeb3Error",
    "Chain",
    "ChainError",
    "Deployments",
    "InputError",
    "Keystore",
    "LocalNode",
    "LocalStore",
    "NodeConfig",
    "ProofError",
    "Settings",
    "TransactionReverted",
    "TxRequest",
    "__version__",
    "deploy_system",
    "dev_account",
    "dev_accounts",
]
