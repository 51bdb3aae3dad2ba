"""EIP-712 typed data: a domain type, value checks, and sign / hash / recover helpers.

Built on eth-account's ``encode_typed_data`` (which does the EIP-712 struct hashing); this
module fixes how aiweb3 describes a domain, checks every value against its declared type first
(so a bad value is a one-line :class:`~aiweb3.errors.InputError` naming its field path, e.g.
``Mail.from.wallet``, never an eth_abi traceback), and turns signatures into addresses with
errors from our tree. A :class:`Domain` holds any subset of the five ``EIP712Domain`` fields in
the order the standard gives; aiweb3's own domains bind a chain id and a verifying contract, so
a signature made for one chain or contract never verifies for another.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi.exceptions import EncodingError
from eth_account import Account
from eth_account.messages import SignableMessage, _hash_eip191_message, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import is_checksum_address, is_hex_address, to_checksum_address
from eth_utils.exceptions import ValidationError

from aiweb3.errors import InputError

__all__ = [
    "DOMAIN_FIELDS",
    "Domain",
    "Types",
    "recover_typed",
    "sign_typed",
    "typed_digest",
    "typed_message",
]

Types = dict[str, list[dict[str, str]]]

#: The EIP712Domain fields, in the order EIP-712 gives them: (JSON key, Solidity type).
DOMAIN_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
    ("salt", "bytes32"),
)
_DOMAIN_KEYS = tuple(key for key, _ in DOMAIN_FIELDS)
_HEX = re.compile(r"^0x([0-9a-fA-F]{2})*$")
_INT = re.compile(r"^(u?)int(\d{0,3})$")
_BYTES_N = re.compile(r"^bytes(\d{1,2})$")
_ARRAY = re.compile(r"^(.+)\[(\d*)\]$")
_HEX_INT = re.compile(r"^0x[0-9a-fA-F]+$")
_DEC_INT = re.compile(r"^-?[0-9]+$")
_UINT256 = 2**256


@dataclass(frozen=True)
class Domain:
    """An EIP-712 domain: any subset of name, version, chain id, verifying contract and salt.

    Absent fields are ``None`` and are left out of the ``EIP712Domain`` type (the standard's
    "unused fields are left out"). The contract address is stored checksummed; ``salt`` is 32 bytes.
    """

    name: str | None = None
    version: str | None = None
    chain_id: int | None = None
    verifying_contract: str | None = None
    salt: bytes | None = None

    def __post_init__(self) -> None:
        for what in ("name", "version"):
            value = getattr(self, what)
            if value is not None and not isinstance(value, str):
                raise InputError(f"EIP-712 domain {what} must be a string, not {type(value).__name__}")
        if self.chain_id is not None:
            if isinstance(self.chain_id, bool) or not isinstance(self.chain_id, int):
                raise InputError(f"EIP-712 domain chainId must be an integer, not {self.chain_id!r}")
            if not 0 < self.chain_id < _UINT256:
                raise InputError(f"chain id must be positive and below 2**256, not {self.chain_id}")
        if self.verifying_contract is not None:
            if not _is_address(self.verifying_contract):
                raise InputError(f"{self.verifying_contract!r} is not an address (or its checksum is wrong)")
            object.__setattr__(self, "verifying_contract", to_checksum_address(self.verifying_contract))
        if self.salt is not None and (not isinstance(self.salt, bytes) or len(self.salt) != 32):
            raise InputError("EIP-712 domain salt must be exactly 32 bytes")

    def _values(self) -> dict[str, Any]:
        values = {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": self.verifying_contract,
            "salt": self.salt,
        }
        return {key: values[key] for key in _DOMAIN_KEYS if values[key] is not None}

    @property
    def eip712_type(self) -> list[dict[str, str]]:
        """The ``EIP712Domain`` type: the fields this domain has, in the standard's order."""
        present = self._values()
        return [{"name": key, "type": typ} for key, typ in DOMAIN_FIELDS if key in present]

    def to_json(self) -> dict[str, Any]:
        """The EIP-712 domain object (as wallets and ``eth_signTypedData_v4`` expect it)."""
        out = self._values()
        if self.salt is not None:
            out["salt"] = "0x" + self.salt.hex()
        return out

    def describe(self) -> str:
        """One line naming the fields that bind the domain (for reports)."""
        parts = [f"{self.name!r} v{self.version}" if self.name is not None else "no name"]
        parts.append(f"chain {self.chain_id}" if self.chain_id is not None else "no chain id")
        parts.append(
            f"contract {self.verifying_contract}" if self.verifying_contract is not None else "no contract"
        )
        if self.salt is not None:
            parts.append(f"salt 0x{self.salt.hex()}")
        return ", ".join(parts)

    @classmethod
    def from_json(cls, data: Any) -> Domain:
        """Parse an EIP-712 domain object; raises InputError on an unknown key or a wrong value."""
        if not isinstance(data, Mapping):
            raise InputError("malformed EIP-712 domain: expected a JSON object")
        unknown = sorted(str(k) for k in data if k not in _DOMAIN_KEYS)
        if unknown:
            raise InputError(
                f"EIP-712 domain has unknown field(s) {unknown}; allowed: {', '.join(_DOMAIN_KEYS)}"
            )
        chain_id = data.get("chainId")
        if isinstance(chain_id, str):
            chain_id = _parse_int(chain_id, "domain.chainId")
        salt = data.get("salt")
        if salt is not None:
            if not isinstance(salt, str) or not _HEX.match(salt):
                raise InputError("EIP-712 domain salt must be 0x followed by 64 hex digits")
            salt = bytes.fromhex(salt[2:])
        return cls(data.get("name"), data.get("version"), chain_id, data.get("verifyingContract"), salt)


def _is_address(value: Any) -> bool:
    """A 0x hex address, all lower or upper case or with a valid EIP-55 checksum."""
    if not isinstance(value, str) or not is_hex_address(value):
        return False
    digits = value[2:]
    return digits == digits.lower() or digits == digits.upper() or is_checksum_address(value)


def _parse_int(text: str, path: str) -> int:
    if _HEX_INT.match(text):
        return int(text, 16)
    if _DEC_INT.match(text):
        return int(text, 10)
    raise InputError(f"{path}: {text!r:.60} is not an integer (decimal or 0x hex)")


def _check_types(types: Any, primary_type: Any) -> Types:
    """Validate the type definitions; returns those reachable from ``primary_type``."""
    if not isinstance(types, Mapping) or not all(isinstance(k, str) for k in types):
        raise InputError("EIP-712 types must be an object of type name -> field list")
    if "EIP712Domain" in types:
        raise InputError("pass the domain as a Domain, not as an EIP712Domain type")
    if not isinstance(primary_type, str) or primary_type not in types:
        raise InputError(f"primaryType {primary_type!r} is not one of the types {sorted(types)}")
    reachable: Types = {}
    todo = [primary_type]
    while todo:
        name = todo.pop()
        if name in reachable:
            continue
        fields = types[name]
        if not isinstance(fields, list) or not all(
            isinstance(f, Mapping) and isinstance(f.get("name"), str) and isinstance(f.get("type"), str)
            for f in fields
        ):
            raise InputError(f"type {name}: every field needs a string name and type")
        names = [f["name"] for f in fields]
        if len(set(names)) != len(names):
            raise InputError(f"type {name}: a field name appears twice")
        reachable[name] = [{"name": f["name"], "type": f["type"]} for f in fields]
        for f in fields:
            core = f["type"].split("[", 1)[0]
            if core in types:
                todo.append(core)
            elif not _is_atomic(core):
                raise InputError(f"{name}.{f['name']}: type {f['type']!r} is not defined")
    return reachable


def _is_atomic(typ: str) -> bool:
    if typ in ("bool", "address", "string", "bytes"):
        return True
    if m := _INT.match(typ):
        return m.group(2) != "" and int(m.group(2)) % 8 == 0 and 8 <= int(m.group(2)) <= 256
    if m := _BYTES_N.match(typ):
        return 1 <= int(m.group(1)) <= 32
    return False


def _as_bytes(value: Any, path: str, typ: str) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str) and _HEX.match(value):
        return bytes.fromhex(value[2:])
    raise InputError(f"{path}: a {typ} value must be bytes or 0x-prefixed hex, not {value!r:.60}")


def _check_value(types: Types, typ: str, value: Any, path: str) -> None:
    """Raise InputError naming ``path`` when ``value`` does not fit ``typ``."""
    if m := _ARRAY.match(typ):
        inner, length = m.group(1), m.group(2)
        if not isinstance(value, list | tuple):
            raise InputError(f"{path}: a {typ} value must be a list, not {type(value).__name__}")
        if length and len(value) != int(length):
            raise InputError(f"{path}: {typ} needs exactly {length} items, not {len(value)}")
        for i, item in enumerate(value):
            _check_value(types, inner, item, f"{path}[{i}]")
        return
    if typ in types:
        if not isinstance(value, Mapping):
            raise InputError(f"{path}: a {typ} value must be an object, not {type(value).__name__}")
        declared = {f["name"]: f["type"] for f in types[typ]}
        extra = sorted(str(k) for k in value if k not in declared)
        if extra:
            raise InputError(f"{path}: {typ} has no field(s) {extra}")
        for name, field_type in declared.items():
            if name not in value:
                raise InputError(f"{path}.{name}: missing ({field_type})")
            _check_value(types, field_type, value[name], f"{path}.{name}")
        return
    if typ == "bool":
        if not isinstance(value, bool):
            raise InputError(f"{path}: a bool value must be true or false, not {value!r:.60}")
    elif typ == "string":
        if not isinstance(value, str):
            raise InputError(f"{path}: a string value must be text, not {type(value).__name__}")
    elif typ == "address":
        if not _is_address(value) and not (isinstance(value, bytes) and len(value) == 20):
            raise InputError(f"{path}: {value!r:.60} is not a 20-byte address (or its checksum is wrong)")
    elif typ == "bytes":
        _as_bytes(value, path, typ)
    elif m := _BYTES_N.match(typ):
        size = len(_as_bytes(value, path, typ))
        if size != int(m.group(1)):
            raise InputError(f"{path}: {typ} needs exactly {m.group(1)} bytes, not {size}")
    elif m := _INT.match(typ):
        if isinstance(value, str):
            value = _parse_int(value, path)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{path}: a {typ} value must be an integer, not {value!r:.60}")
        bits = int(m.group(2))
        low, high = (0, 2**bits) if m.group(1) else (-(2 ** (bits - 1)), 2 ** (bits - 1))
        if not low <= value < high:
            raise InputError(f"{path}: {value} is out of range for {typ} [{low}, {high - 1}]")


def typed_message(domain: Domain, types: Types, primary_type: str, message: dict[str, Any]) -> dict[str, Any]:
    """The full EIP-712 JSON document (``eth_signTypedData_v4`` format), checked.

    Only the types reachable from ``primary_type`` are kept (the only ones its hash covers).

    Raises:
        InputError: a type is malformed or undefined, ``primary_type`` is not one of the types,
            or a value does not fit its type (the message names the field path).
    """
    reachable = _check_types(types, primary_type)
    _check_value(reachable, primary_type, message, primary_type)
    return {
        "types": {"EIP712Domain": domain.eip712_type, **reachable},
        "primaryType": primary_type,
        "domain": domain.to_json(),
        "message": message,
    }


def _signable(domain: Domain, types: Types, primary_type: str, message: dict[str, Any]) -> SignableMessage:
    doc = typed_message(domain, types, primary_type, message)
    try:
        return encode_typed_data(full_message=doc)
    except (TypeError, ValueError, KeyError, EncodingError, ValidationError) as exc:
        # values were checked above: what is left is a type graph eth-account cannot order
        # (a cycle through the primary type)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot encode {primary_type} as EIP-712 typed data: {reason}") from None


def typed_digest(domain: Domain, types: Types, primary_type: str, message: dict[str, Any]) -> bytes:
    """The 32-byte EIP-712 digest ``keccak256(0x1901 || domainSeparator || structHash)``."""
    return bytes(_hash_eip191_message(_signable(domain, types, primary_type, message)))


def sign_typed(
    signer: LocalAccount, domain: Domain, types: Types, primary_type: str, message: dict[str, Any]
) -> bytes:
    """Sign typed data; returns the 65-byte ``r || s || v`` signature."""
    signed = signer.sign_message(_signable(domain, types, primary_type, message))
    return bytes(signed.signature)


def recover_typed(
    signature: bytes, domain: Domain, types: Types, primary_type: str, message: dict[str, Any]
) -> str:
    """The checksummed address that made ``signature`` over this typed data.

    Raises:
        InputError: the signature is malformed (wrong length, bad ``v`` or ``s``) or the typed
            data does not fit its types.
    """
    if len(signature) != 65:
        raise InputError(f"a signature is 65 bytes, not {len(signature)}")
    signable = _signable(domain, types, primary_type, message)
    try:
        address = Account.recover_message(signable, signature=signature)
    except (ValueError, TypeError) as exc:
        raise InputError(f"malformed signature: {exc}") from None
    return to_checksum_address(address)
