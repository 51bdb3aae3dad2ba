"""EIP-712 typed data: one domain type and sign / hash / recover helpers.

Built on eth-account's ``encode_typed_data`` (which does the EIP-712 struct hashing); this
module only fixes how aiweb3 describes a domain and turns signatures into addresses with
errors from our tree. Every aiweb3 domain binds a chain id and a verifying contract, so a
signature made for one chain or contract never verifies for another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, _hash_eip191_message, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import is_address, to_checksum_address

from aiweb3.errors import InputError

__all__ = [
    "DOMAIN_TYPE",
    "Domain",
    "recover_typed",
    "sign_typed",
    "typed_digest",
    "typed_message",
]

#: The EIP712Domain fields every aiweb3 domain uses.
DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


@dataclass(frozen=True)
class Domain:
    """An EIP-712 domain: name, version, chain id and verifying contract (checksummed)."""

    name: str
    version: str
    chain_id: int
    verifying_contract: str

    def __post_init__(self) -> None:
        if not is_address(self.verifying_contract):
            raise InputError(f"{self.verifying_contract!r} is not an address")
        object.__setattr__(self, "verifying_contract", to_checksum_address(self.verifying_contract))
        if self.chain_id <= 0:
            raise InputError(f"chain id must be positive, not {self.chain_id}")

    def to_json(self) -> dict[str, Any]:
        """The EIP-712 domain object (as wallets and ``eth_signTypedData_v4`` expect it)."""
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": self.verifying_contract,
        }

    @classmethod
    def from_json(cls, data: Any) -> Domain:
        """Parse :meth:`to_json` output; raises InputError when a field is missing or wrong."""
        try:
            return cls(
                name=str(data["name"]),
                version=str(data["version"]),
                chain_id=int(data["chainId"]),
                verifying_contract=str(data["verifyingContract"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"malformed EIP-712 domain: {exc}") from None


def typed_message(
    domain: Domain, types: dict[str, list[dict[str, str]]], primary_type: str, message: dict[str, Any]
) -> dict[str, Any]:
    """The full EIP-712 JSON document (``eth_signTypedData_v4`` format)."""
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, **types},
        "primaryType": primary_type,
        "domain": domain.to_json(),
        "message": message,
    }


def _signable(
    domain: Domain, types: dict[str, list[dict[str, str]]], primary_type: str, message: dict[str, Any]
) -> SignableMessage:
    try:
        return encode_typed_data(full_message=typed_message(domain, types, primary_type, message))
    except (TypeError, ValueError, KeyError) as exc:
        raise InputError(f"cannot encode {primary_type} as EIP-712 typed data: {exc}") from None


def typed_digest(
    domain: Domain, types: dict[str, list[dict[str, str]]], primary_type: str, message: dict[str, Any]
) -> bytes:
    """The 32-byte EIP-712 digest ``keccak256(0x1901 || domainSeparator || structHash)``."""
    return bytes(_hash_eip191_message(_signable(domain, types, primary_type, message)))


def sign_typed(
    signer: LocalAccount,
    domain: Domain,
    types: dict[str, list[dict[str, str]]],
    primary_type: str,
    message: dict[str, Any],
) -> bytes:
    """Sign typed data; returns the 65-byte ``r || s || v`` signature."""
    signed = signer.sign_message(_signable(domain, types, primary_type, message))
    return bytes(signed.signature)


def recover_typed(
    signature: bytes,
    domain: Domain,
    types: dict[str, list[dict[str, str]]],
    primary_type: str,
    message: dict[str, Any],
) -> str:
    """The checksummed address that made ``signature`` over this typed data.

    Raises:
        InputError: the signature is malformed (wrong length, bad ``v`` or ``s``).
    """
    if len(signature) != 65:
        raise InputError(f"a signature is 65 bytes, not {len(signature)}")
    try:
        address = Account.recover_message(
            _signable(domain, types, primary_type, message), signature=signature
        )
    except (ValueError, TypeError) as exc:
        raise InputError(f"malformed signature: {exc}") from None
    return to_checksum_address(address)
