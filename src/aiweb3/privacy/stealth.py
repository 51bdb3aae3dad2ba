"""Stealth addresses, ERC-5564 scheme 1 (secp256k1 with view tags).

A recipient publishes a *stealth meta-address*: its spending and viewing public keys (33-byte
compressed each), written ``st:eth:0x<spending><viewing>``. A sender derives a fresh one-time
address from it and announces the ephemeral public key; only the recipient can recognise the
address (with the viewing key) and spend from it (with the spending key). The arithmetic, as the
ERC specifies it:

- shared secret ``s = p_ephemeral · P_view`` (= ``p_view · P_ephemeral``), as a compressed point;
- ``s_h = keccak256(s)``; the view tag is its first byte;
- stealth public key ``P_spend + s_h · G``; stealth private key ``p_spend + s_h (mod n)``.

The curve arithmetic is coincurve's (libsecp256k1); what is written here is only the scheme's
composition of those operations, which no maintained Python package provides.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from coincurve import PrivateKey, PublicKey
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address

from aiweb3.errors import InputError

__all__ = [
    "SCHEME_ID",
    "GeneratedStealth",
    "StealthKeys",
    "StealthMeta",
    "ViewingKeys",
    "check_stealth_address",
    "compute_stealth_key",
    "generate_stealth_address",
    "view_tag_of",
]

#: ERC-5564's scheme id of secp256k1 with view tags.
SCHEME_ID = 1
#: the order of secp256k1's group
CURVE_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_URI = re.compile(r"^st:([a-z0-9-]+):0x([0-9a-fA-F]*)$")


def _public(data: bytes, what: str) -> PublicKey:
    try:
        return PublicKey(data)
    except (ValueError, TypeError):
        raise InputError(f"the {what} is not a secp256k1 public key") from None


def _address(point: PublicKey) -> str:
    return to_checksum_address(keccak(point.format(compressed=False)[1:])[-20:])


@dataclass(frozen=True)
class StealthMeta:
    """A stealth meta-address: the spending and viewing public keys (33 bytes, compressed)."""

    spending: bytes
    viewing: bytes

    def __post_init__(self) -> None:
        _public(self.spending, "spending key of the meta-address")
        _public(self.viewing, "viewing key of the meta-address")

    @property
    def raw(self) -> bytes:
        """The bytes the ERC-6538 registry stores: spending key then viewing key, compressed."""
        return PublicKey(self.spending).format() + PublicKey(self.viewing).format()

    def uri(self, chain: str = "eth") -> str:
        """``st:<chain short name>:0x<spending><viewing>``."""
        return f"st:{chain}:0x{self.raw.hex()}"

    @classmethod
    def parse(cls, text: str | bytes) -> StealthMeta:
        """From a ``st:...`` URI, hex, or the registry's bytes; 66 bytes (two keys) or 33 (one key
        for both). Raises InputError naming what is wrong."""
        if isinstance(text, bytes):
            raw = text
        else:
            text = text.strip()
            found = _URI.match(text)
            body = found.group(2) if found else text.removeprefix("0x")
            try:
                raw = bytes.fromhex(body)
            except ValueError:
                raise InputError(
                    f"{text[:40]!r} is not a stealth meta-address (st:eth:0x followed by 132 hex digits)"
                ) from None
        if len(raw) == 33:
            return cls(raw, raw)
        if len(raw) != 66:
            raise InputError(
                f"a stealth meta-address is 66 bytes (two compressed public keys), not {len(raw)}"
            )
        return cls(raw[:33], raw[33:])


@dataclass(frozen=True)
class ViewingKeys:
    """What finding payments needs, and cannot spend them: the viewing private key and the
    spending *public* key."""

    viewing_key: bytes
    spending_public: bytes

    def __repr__(self) -> str:  # never print the key
        return f"ViewingKeys(spending_public=0x{self.spending_public.hex()})"


@dataclass(frozen=True)
class StealthKeys:
    """A recipient's two private keys. The viewing key finds payments; the spending key spends."""

    spending_key: bytes
    viewing_key: bytes

    @classmethod
    def generate(cls) -> StealthKeys:
        """Two fresh random keys."""
        return cls(PrivateKey().secret, PrivateKey().secret)

    @property
    def meta(self) -> StealthMeta:
        """The public meta-address of these keys."""
        return StealthMeta(
            PrivateKey(self.spending_key).public_key.format(),
            PrivateKey(self.viewing_key).public_key.format(),
        )

    @property
    def viewing(self) -> ViewingKeys:
        """The scanning half of these keys."""
        return ViewingKeys(self.viewing_key, self.meta.spending)

    def __repr__(self) -> str:  # never print the keys
        return f"StealthKeys(meta={self.meta.uri()})"


@dataclass(frozen=True)
class GeneratedStealth:
    """What a sender derives: the one-time address, the ephemeral public key to announce and the
    view tag (the first byte of the announcement's metadata)."""

    address: str
    ephemeral_public_key: bytes
    view_tag: int


def _hashed_secret(private_key: bytes, public: PublicKey) -> bytes:
    shared = public.multiply(private_key).format(compressed=True)
    return keccak(shared)


def generate_stealth_address(meta: StealthMeta, *, ephemeral_key: bytes | None = None) -> GeneratedStealth:
    """ERC-5564 ``generateStealthAddress``: a one-time address for ``meta``.

    ``ephemeral_key`` is drawn at random unless given (for test vectors and interop tests only:
    reusing one links payments).
    """
    key = ephemeral_key if ephemeral_key is not None else os.urandom(32)
    ephemeral = PrivateKey(key)
    hashed = _hashed_secret(key, PublicKey(meta.viewing))
    stealth = PublicKey.combine_keys([PublicKey(meta.spending), PrivateKey(hashed).public_key])
    return GeneratedStealth(_address(stealth), ephemeral.public_key.format(), hashed[0])


def view_tag_of(viewing_key: bytes, ephemeral_public_key: bytes) -> int:
    """The view tag the recipient expects for an announcement (one ecMUL and one hash)."""
    return _hashed_secret(viewing_key, _public(ephemeral_public_key, "ephemeral public key"))[0]


def check_stealth_address(
    stealth_address: str,
    ephemeral_public_key: bytes,
    viewing_key: bytes,
    spending_public_key: bytes,
    *,
    view_tag: int | None = None,
) -> bool:
    """ERC-5564 ``checkStealthAddress``; with ``view_tag`` (from the announcement) a mismatch
    returns False after one ecMUL and one hash, skipping the rest."""
    try:
        ephemeral = PublicKey(ephemeral_public_key)
    except (ValueError, TypeError):
        return False  # a malformed announcement is nobody's payment
    hashed = _hashed_secret(viewing_key, ephemeral)
    if view_tag is not None and hashed[0] != view_tag:
        return False
    stealth = PublicKey.combine_keys(
        [_public(spending_public_key, "spending public key"), PrivateKey(hashed).public_key]
    )
    return _address(stealth) == to_checksum_address(stealth_address)


def compute_stealth_key(stealth_address: str, ephemeral_public_key: bytes, keys: StealthKeys) -> LocalAccount:
    """ERC-5564 ``computeStealthKey``: the one-time address's private key, as a signer.

    Raises InputError when the key does not give ``stealth_address`` (not this recipient's).
    """
    hashed = _hashed_secret(keys.viewing_key, _public(ephemeral_public_key, "ephemeral public key"))
    secret = (int.from_bytes(keys.spending_key, "big") + int.from_bytes(hashed, "big")) % CURVE_ORDER
    account: LocalAccount = Account.from_key(secret.to_bytes(32, "big"))
    if account.address != to_checksum_address(stealth_address):
        raise InputError(f"{stealth_address} is not a stealth address of these keys")
    return account
