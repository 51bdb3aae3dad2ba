"""aiweb3: verifiable AI on Ethereum-style chains.

The curated public API; tests/unit/test_platform.py guards this list. The platform (chain,
store, settings, errors) loads eagerly; each feature loads on first use of one of its names,
so ``import aiweb3`` (and every CLI command) does not pay for ezkl, DuckDB or FastAPI.
"""

from __future__ import annotations

import importlib
from typing import Any

from aiweb3 import _recursion  # noqa: F401  (first: undoes py_ecc's recursion limit of 100000)
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
    ContentError,
    CredentialError,
    InputError,
    ProofError,
    TransactionReverted,
)
from aiweb3.store import LocalStore

__version__ = "0.1.0"

# Feature names, imported lazily from their packages' public API.
_LAZY: dict[str, str] = {
    # verifiable inference
    "Model": "aiweb3.zkml",
    "CompiledModel": "aiweb3.zkml",
    "CompileOptions": "aiweb3.zkml",
    "InferenceProof": "aiweb3.zkml",
    "ModelRegistryClient": "aiweb3.zkml",
    "SrsStore": "aiweb3.zkml",
    "VerifiedInference": "aiweb3.zkml",
    "audit": "aiweb3.zkml",
    # private data: salted commitments and split inference
    "Opening": "aiweb3.private",
    "check_opening": "aiweb3.private",
    "salted_input": "aiweb3.private",
    # content authenticity
    "CreatorRegistry": "aiweb3.provenance",
    "Manifest": "aiweb3.provenance",
    "SignedManifest": "aiweb3.provenance",
    "Claim": "aiweb3.provenance",
    "Clip": "aiweb3.provenance",
    "sign_file": "aiweb3.provenance",
    "clip_file": "aiweb3.provenance",
    "verify_file": "aiweb3.provenance",
    # verifiable anonymized datasets
    "DatasetPool": "aiweb3.datasets",
    "IssuerRegistry": "aiweb3.datasets",
    "RecordIssuer": "aiweb3.datasets",
    "DisclosurePolicy": "aiweb3.datasets",
    "issue_record": "aiweb3.datasets",
    "present_record": "aiweb3.datasets",
    "verify_dataset": "aiweb3.datasets",
    # chain analytics
    "Indexer": "aiweb3.indexer",
    "IndexStore": "aiweb3.indexer",
    "Asker": "aiweb3.indexer",
    "METRICS": "aiweb3.indexer",
    "LLMConfig": "aiweb3.llm",
    # agents
    "AgentWallet": "aiweb3.agents",
    "SpendPolicy": "aiweb3.agents",
    "TaskEscrow": "aiweb3.agents",
    "TaskTerms": "aiweb3.agents",
    "AgentRegistry": "aiweb3.agents",
    "AgentCard": "aiweb3.agents",
    "PayingClient": "aiweb3.agents",
    "PaymentGate": "aiweb3.agents",
    "Facilitator": "aiweb3.agents",
    # the service
    "create_app": "aiweb3.server",
    "serve": "aiweb3.server",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aiweb3' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "AIWeb3Error",
    "Chain",
    "ChainError",
    "ContentError",
    "CredentialError",
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
    *_LAZY,
]
