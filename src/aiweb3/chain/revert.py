"""Decoding revert data into readable reasons, custom errors included.

OpenZeppelin 5 reverts with custom errors (``ERC20InsufficientBalance(...)``) that web3.py
leaves undecoded, so we index every error of every known ABI by its 4-byte selector.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eth_abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from aiweb3.errors import TransactionReverted

__all__ = ["ErrorDecoder"]

_PANIC_CODES = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "invalid storage byte array",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an invalid internal function",
}


def _canonical_type(item: dict[str, Any]) -> str:
    typ = str(item["type"])
    if typ.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in item.get("components", []))
        return f"({inner}){typ[5:]}"
    return typ


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return str(to_checksum_address(value))
    return repr(value) if isinstance(value, str) else str(value)


class ErrorDecoder:
    """Maps revert data to :class:`TransactionReverted` using a set of ABIs."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]] = ()) -> None:
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
        self._errors[bytes.fromhex("08c379a0")] = ("Error", ["string"], ["message"])
        self._errors[bytes.fromhex("4e487b71")] = ("Panic", ["uint256"], ["code"])
        for abi in abis:
            self.add_abi(abi)

    def add_abi(self, abi: list[dict[str, Any]]) -> None:
        """Learn every ``error`` entry of ``abi``."""
        for item in abi:
            if item.get("type") != "error":
                continue
            types = [_canonical_type(i) for i in item.get("inputs", [])]
            names = [i.get("name") or f"arg{n}" for n, i in enumerate(item.get("inputs", []))]
            selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
            self._errors[selector] = (item["name"], types, names)

    def decode(self, data: bytes, tx_hash: str | None = None) -> TransactionReverted:
        """Turn revert ``data`` into an exception (not raised)."""
        if not data:
            return TransactionReverted(
                "no reason given (a require without message, out of gas, or a missing function)",
                tx_hash=tx_hash,
            )
        entry = self._errors.get(data[:4])
        if entry is None:
            return TransactionReverted(
                f"unknown custom error 0x{data[:4].hex()} (data 0x{data.hex()})",
                tx_hash=tx_hash,
                data=data,
            )
        name, types, names = entry
        try:
            values = decode(types, data[4:])
        except DecodingError:
            return TransactionReverted(
                f"{name} with malformed data 0x{data.hex()}", tx_hash=tx_hash, data=data
            )
        args = dict(zip(names, values, strict=True))
        if name == "Error":
            reason = str(values[0])
        elif name == "Panic":
            code = int(values[0])
            reason = f"panic 0x{code:02x}: {_PANIC_CODES.get(code, 'unknown panic')}"
        else:
            reason = f"{name}({', '.join(f'{k}={_show(v)}' for k, v in args.items())})"
        return TransactionReverted(reason, error_name=name, error_args=args, tx_hash=tx_hash, data=data)
