"""The chain platform: a supervised local node, a client, signers, contracts."""

from aiweb3.chain.accounts import Keystore, KeystoreEntry, checksum, dev_account, dev_accounts
from aiweb3.chain.client import BulkResult, Chain, NonceManager, TxRequest, encode_call
from aiweb3.chain.contracts import (
    SYSTEM_CONTRACTS,
    Artifact,
    Deployment,
    Deployments,
    SystemContract,
    all_artifacts,
    artifact,
    check_artifacts_fresh,
    deploy_system,
    system_contract,
)
from aiweb3.chain.node import DEV_MNEMONIC, LocalNode, NodeConfig, NodeInfo

__all__ = [
    "DEV_MNEMONIC",
    "SYSTEM_CONTRACTS",
    "Artifact",
    "BulkResult",
    "Chain",
    "Deployment",
    "Deployments",
    "Keystore",
    "KeystoreEntry",
    "LocalNode",
    "NodeConfig",
    "NodeInfo",
    "NonceManager",
    "SystemContract",
    "TxRequest",
    "all_artifacts",
    "artifact",
    "check_artifacts_fresh",
    "checksum",
    "deploy_system",
    "dev_account",
    "dev_accounts",
    "encode_call",
    "system_contract",
]
