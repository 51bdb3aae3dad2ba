"""EIP-3009 transfer authorizations and EIP-2612 permits for AIUSD-style tokens.

An :class:`Authorization` is what an x402 "exact" payment carries: the payer signs
``TransferWithAuthorization(from, to, value, validAfter, validBefore, nonce)`` in the token's
EIP-712 domain and anyone can submit it. Built on :mod:`aiweb3.crypto.typed_data`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import is_address, to_checksum_address

from aiweb3.crypto.typed_data import Domain, recover_typed, sign_typed
from aiweb3.errors import InputError

__all__ = [
    "PERMIT_TYPES",
    "TRANSFER_TYPES",
    "Authorization",
    "TokenInfo",
    "sign_authorization",
    "sign_permit",
]


def _fields(primary: str, names: list[tuple[str, str]]) -> dict[str, list[dict[str, str]]]:
    return {primary: [{"name": n, "type": t} for n, t in names]}


_AUTH_FIELDS = [
    ("from", "address"),
    ("to", "address"),
    ("value", "uint256"),
    ("validAfter", "uint256"),
    ("validBefore", "uint256"),
    ("nonce", "bytes32"),
]
TRANSFER_TYPES = _fields("TransferWithAuthorization", _AUTH_FIELDS)
PERMIT_TYPES = _fields(
    "Permit",
    [("owner", "address"), ("spender", "address"), ("value", "uint256"), ("nonce", "uint256"),
     ("deadline", "uint256")],
)  # fmt: skip


@dataclass(frozen=True)
class TokenInfo:
    """A token's EIP-712 identity (AIUSD: name "AI USD", version "1") and decimals."""

    address: str
    chain_id: int
    name: str = "AI USD"
    version: str = "1"
    decimals: int = 6
    symbol: str = "AIUSD"

    def __post_init__(self) -> None:
        if not is_address(self.address):
            raise InputError(f"token address {self.address!r} is not an address")
        object.__setattr__(self, "address", to_checksum_address(self.address))

    @property
    def domain(self) -> Domain:
        """The token's EIP-712 domain."""
        return Domain(self.name, self.version, self.chain_id, self.address)

    @property
    def network(self) -> str:
        """The CAIP-2 network id x402 uses (``eip155:<chain id>``)."""
        return f"eip155:{self.chain_id}"

    def units(self, amount: str | float | int) -> int:
        """Convert a decimal amount ("1.5") to base units, refusing sub-unit precision."""
        from decimal import Decimal, InvalidOperation

        try:
            value = Decimal(str(amount)) * (Decimal(10) ** self.decimals)
        except InvalidOperation:
            raise InputError(f"{amount!r} is not a number") from None
        if value != value.to_integral_value() or value < 0:
            raise InputError(f"{amount} {self.symbol} is not a whole number of base units")
        return int(value)

    def format(self, units: int) -> str:
        """Render base units as a decimal amount with the symbol."""
        whole, frac = divmod(units, 10**self.decimals)
        text = f"{whole}.{frac:0{self.decimals}d}".rstrip("0").rstrip(".")
        return f"{text} {self.symbol}"


@dataclass(frozen=True)
class Authorization:
    """A signed EIP-3009 ``TransferWithAuthorization``."""

    payer: str
    payee: str
    value: int
    valid_after: int
    valid_before: int
    nonce: bytes
    signature: bytes

    def message(self) -> dict[str, Any]:
        """The EIP-712 message."""
        return {
            "from": self.payer,
            "to": self.payee,
            "value": self.value,
            "validAfter": self.valid_after,
            "validBefore": self.valid_before,
            "nonce": self.nonce,
        }

    def recover(self, token: TokenInfo) -> str:
        """The address that signed this authorization in ``token``'s domain."""
        return recover_typed(self.signature, token.domain, TRANSFER_TYPES, "TransferWithAuthorization",
                             self.message())  # fmt: skip

    def to_x402(self) -> dict[str, Any]:
        """The x402 "exact" EVM payload: ``{"authorization": {...}, "signature": "0x.."}``."""
        return {
            "authorization": {
                "from": self.payer,
                "to": self.payee,
                "value": str(self.value),
                "validAfter": str(self.valid_after),
                "validBefore": str(self.valid_before),
                "nonce": "0x" + self.nonce.hex(),
            },
            "signature": "0x" + self.signature.hex(),
        }

    @classmethod
    def from_x402(cls, payload: Any) -> Authorization:
        """Parse an x402 "exact" EVM payload; InputError names the bad field."""
        if not isinstance(payload, dict) or not isinstance(payload.get("authorization"), dict):
            raise InputError("x402 payload: 'authorization' object missing")
        auth = payload["authorization"]

        def field(name: str) -> Any:
            if name not in auth:
                raise InputError(f"x402 payload: authorization.{name} missing")
            return auth[name]

        try:
            nonce = bytes.fromhex(str(field("nonce")).removeprefix("0x"))
            signature = bytes.fromhex(str(payload.get("signature", "")).removeprefix("0x"))
            payer, payee = str(field("from")), str(field("to"))
            if not (is_address(payer) and is_address(payee)):
                raise InputError("x402 payload: authorization.from/to must be addresses")
            if len(nonce) != 32:
                raise InputError("x402 payload: authorization.nonce must be 32 bytes")
            return cls(
                payer=to_checksum_address(payer),
                payee=to_checksum_address(payee),
                value=int(field("value")),
                valid_after=int(field("validAfter")),
                valid_before=int(field("validBefore")),
                nonce=nonce,
                signature=signature,
            )
        except ValueError as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"x402 payload: malformed authorization ({exc})") from None


def sign_authorization(
    signer: LocalAccount,
    token: TokenInfo,
    payee: str,
    value: int,
    *,
    valid_for: int = 300,
    valid_after: int = 0,
    nonce: bytes | None = None,
    now: float | None = None,
) -> Authorization:
    """Sign an EIP-3009 authorization (low level: agents go through :class:`AgentWallet`)."""
    started = int(time.time() if now is None else now)
    auth = Authorization(
        payer=signer.address,
        payee=to_checksum_address(payee),
        value=value,
        valid_after=valid_after,
        valid_before=started + valid_for,
        nonce=nonce if nonce is not None else os.urandom(32),
        signature=b"",
    )
    sig = sign_typed(signer, token.domain, TRANSFER_TYPES, "TransferWithAuthorization", auth.message())
    return Authorization(**{**auth.__dict__, "signature": sig})


def sign_permit(
    signer: LocalAccount, token: TokenInfo, spender: str, value: int, nonce: int, deadline: int
) -> tuple[int, bytes, bytes]:
    """Sign an EIP-2612 permit; returns ``(v, r, s)``."""
    message = {
        "owner": signer.address,
        "spender": to_checksum_address(spender),
        "value": value,
        "nonce": nonce,
        "deadline": deadline,
    }
    sig = sign_typed(signer, token.domain, PERMIT_TYPES, "Permit", message)
    return sig[64], sig[:32], sig[32:64]
