"""The one error tree of aiweb3.

Every message says what went wrong and what to do about it. Adapters convert library
exceptions at the boundary: ``raise ChainError("...") from exc``.

    AIWeb3Error
    ├── ConfigError                 bad settings or aiweb3.toml
    ├── InputError (ValueError)     bad input from the user: a path, an address, a shape
    │   ├── QueryRefused            a question or SQL that writes or touches unknown names
    │   ├── JSONTooDeep             untrusted JSON nested deeper than the parser allows
    │   └── JSONTooLarge            untrusted JSON larger than the parser allows
    ├── StoreError                  content-addressed store: missing or corrupted objects
    ├── AccountError                keystore and signers
    │   ├── UnknownAccount (KeyError)
    │   └── WrongPassword
    ├── ChainError                  anything the chain said or did not say
    │   ├── NodeError               the local node could not start, stop or be found
    │   ├── RPCUnreachable (ConnectionError)
    │   ├── ChainIdMismatch
    │   ├── InsufficientFunds
    │   └── TransactionReverted     with the decoded reason, custom errors included
    ├── ContractError               artifacts and deployments
    │   ├── StaleArtifact
    │   └── DeploymentError
    ├── ProofError                  zero-knowledge proofs: compile, keys, prove, verify
    ├── ContentError                content authenticity: unsupported, truncated or unsigned media
    ├── CredentialError (ValueError) SD-JWT credentials: malformed, tampered, untrusted
    │   └── DisclosurePolicyError   a disclosure the policy or schema forbids
    ├── IndexerError                the index database: missing, locked, another chain
    ├── LLMUnavailable              no language model configured or reachable
    │   └── LLMOutputInvalid        an answer that breaks the requested schema after retries
    ├── PolicyViolation             an agent payment its spend policy refuses (never signed)
    └── PaymentError                an HTTP 402 payment that is malformed, replayed or unsettled
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AIWeb3Error",
    "AccountError",
    "ChainError",
    "ChainIdMismatch",
    "ConfigError",
    "ContentError",
    "ContractError",
    "CredentialError",
    "DeploymentError",
    "DisclosurePolicyError",
    "IndexerError",
    "InputError",
    "InsufficientFunds",
    "JSONTooDeep",
    "JSONTooLarge",
    "LLMOutputInvalid",
    "LLMUnavailable",
    "NodeError",
    "PaymentError",
    "PolicyViolation",
    "ProofError",
    "QueryRefused",
    "RPCUnreachable",
    "StaleArtifact",
    "StoreError",
    "TransactionReverted",
    "UnknownAccount",
    "WrongPassword",
]


class AIWeb3Error(Exception):
    """Base of every error aiweb3 raises on purpose."""


class ConfigError(AIWeb3Error):
    """Settings are missing or malformed."""


class InputError(AIWeb3Error, ValueError):
    """The caller passed something unusable (a path, an address, a shape)."""


class StoreError(AIWeb3Error):
    """An object is missing from the artifact store or does not match its hash."""


class AccountError(AIWeb3Error):
    """A keystore or signer problem."""


class UnknownAccount(AccountError, KeyError):
    """No account with that name or address."""

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0]) if self.args else "unknown account"


class WrongPassword(AccountError):
    """The keystore password does not decrypt the key."""


class ChainError(AIWeb3Error):
    """The chain refused, failed or could not be reached."""


class NodeError(ChainError):
    """The local node could not be started, stopped or found."""


class RPCUnreachable(ChainError, ConnectionError):
    """Nothing answers JSON-RPC at the given URL."""


class ChainIdMismatch(ChainError):
    """The endpoint serves a different chain than the one expected."""


class InsufficientFunds(ChainError):
    """The sender cannot pay for the transaction."""


class TransactionReverted(ChainError):
    """A transaction or call reverted; ``reason`` is decoded from the ABI when possible.

    Attributes:
        reason: human-readable reason, e.g. ``ERC20InsufficientBalance(sender=0x.., ...)``.
        error_name: the Solidity error name (``Error``, ``Panic`` or a custom error) or None.
        args: decoded error arguments.
        tx_hash: the transaction hash when the revert happened on chain.
    """

    def __init__(
        self,
        reason: str,
        *,
        error_name: str | None = None,
        error_args: dict[str, Any] | None = None,
        tx_hash: str | None = None,
        data: bytes = b"",
    ) -> None:
        super().__init__(f"transaction reverted: {reason}")
        self.reason = reason
        self.error_name = error_name
        self.error_args = error_args or {}
        self.tx_hash = tx_hash
        self.data = data


class ContractError(AIWeb3Error):
    """A contract artifact or deployment problem."""


class StaleArtifact(ContractError):
    """A compiled artifact no longer matches its Solidity source."""


class DeploymentError(ContractError):
    """A system contract could not be deployed or its recorded deployment is wrong."""


class ProofError(AIWeb3Error):
    """A zero-knowledge proof could not be made or did not verify."""


class ContentError(AIWeb3Error):
    """Media, a manifest or a clip cannot be read: unsupported, truncated or malformed."""


class CredentialError(AIWeb3Error, ValueError):
    """A signed credential (SD-JWT) is malformed, tampered, unbound or from an untrusted issuer."""


class DisclosurePolicyError(CredentialError):
    """A presentation would disclose what a dataset's policy or a record schema forbids."""


class LLMUnavailable(AIWeb3Error):
    """No language model is configured, or the configured one cannot be reached."""


class LLMOutputInvalid(LLMUnavailable):
    """The model's answer did not match the requested schema, even after retries."""


class IndexerError(AIWeb3Error):
    """The chain indexer's database is missing, locked or belongs to another chain."""


class QueryRefused(InputError):
    """A query or question was refused: it writes, or touches unknown tables or functions."""


class JSONTooDeep(InputError):
    """Untrusted JSON nests arrays/objects deeper than allowed (refused before parsing)."""


class JSONTooLarge(InputError):
    """Untrusted JSON is larger than allowed (refused before parsing)."""

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class PolicyViolation(AIWeb3Error):
    """An agent's spend policy refuses a payment; nothing was signed."""


class PaymentError(AIWeb3Error):
    """An x402 payment is malformed, expired, replayed, for the wrong amount or payee, or unsettled."""
