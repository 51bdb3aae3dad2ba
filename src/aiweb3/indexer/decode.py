"""Decode logs: ERC-20/ERC-721 Transfer and Approval, and any event from known ABIs.

Token events are recognised by their signature and topic count (ERC-20 ``Transfer`` has
two indexed arguments and the amount in data; ERC-721 indexes the token id too). Every
other event is decoded with the ABIs of the aiweb3 contract artifacts and any ABIs the
user adds; the standard token events are left to the token tables so a remote chain's
token traffic is not mislabelled as an aiweb3 contract's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils import keccak

from aiweb3.errors import InputError

__all__ = [
    "APPROVAL_FOR_ALL_TOPIC",
    "APPROVAL_TOPIC",
    "TRANSFER_TOPIC",
    "DecodedEvent",
    "EventDecoder",
    "canonical_type",
    "event_signature",
]

TRANSFER_TOPIC = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
APPROVAL_TOPIC = "0x" + keccak(text="Approval(address,address,uint256)").hex()
APPROVAL_FOR_ALL_TOPIC = "0x" + keccak(text="ApprovalForAll(address,address,bool)").hex()
_TOKEN_TOPICS = {TRANSFER_TOPIC, APPROVAL_TOPIC, APPROVAL_FOR_ALL_TOPIC}


def canonical_type(item: Mapping[str, Any]) -> str:
    """The canonical ABI type of an input (tuples spelled out)."""
    typ = str(item["type"])
    if typ.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in item.get("components", []))
        return f"({inner}){typ[5:]}"
    return typ


def event_signature(event: Mapping[str, Any]) -> str:
    """``Name(type,...)`` of an event ABI entry."""
    return f"{event['name']}({','.join(canonical_type(i) for i in event.get('inputs', []))})"


def _jsonable(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") and len(value) == 42 else value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


@dataclass(frozen=True)
class _EventSpec:
    contract: str
    name: str
    signature: str
    indexed: list[tuple[str, str]]  # (name, type)
    plain: list[tuple[str, str]]
    addresses: frozenset[str] | None


@dataclass(frozen=True)
class DecodedEvent:
    """One decoded event: the defining contract, its name and signature, args as JSON text."""

    contract_name: str
    event_name: str
    signature: str
    args_json: str


class EventDecoder:
    """Decodes logs with a set of named ABIs.

    Args:
        abis: contract name -> ABI (the aiweb3 artifacts, plus user ABIs).
        addresses: optional contract name -> addresses; a contract listed here only
            claims logs emitted from those addresses (e.g. its deployments on this chain).
    """

    def __init__(
        self,
        abis: Mapping[str, list[dict[str, Any]]],
        addresses: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self._by_topic: dict[str, list[_EventSpec]] = {}
        addresses = addresses or {}
        for contract, abi in sorted(abis.items()):
            addrs = addresses.get(contract)
            self.add_abi(contract, abi, addrs)

    def add_abi(
        self, contract: str, abi: list[dict[str, Any]], addresses: Iterable[str] | None = None
    ) -> None:
        """Learn the events of one more ABI."""
        if not isinstance(abi, list):
            raise InputError(f"the ABI of {contract} must be a JSON list of entries")
        addrs = frozenset(a.lower() for a in addresses) if addresses is not None else None
        for item in abi:
            if not isinstance(item, dict) or item.get("type") != "event" or item.get("anonymous"):
                continue
            sig = event_signature(item)
            topic = "0x" + keccak(text=sig).hex()
            if topic in _TOKEN_TOPICS:
                continue
            inputs = item.get("inputs", [])
            spec = _EventSpec(
                contract=contract,
                name=str(item["name"]),
                signature=sig,
                indexed=[
                    (str(i.get("name") or f"arg{n}"), canonical_type(i))
                    for n, i in enumerate(inputs)
                    if i.get("indexed")
                ],
                plain=[
                    (str(i.get("name") or f"arg{n}"), canonical_type(i))
                    for n, i in enumerate(inputs)
                    if not i.get("indexed")
                ],
                addresses=addrs,
            )
            known = self._by_topic.setdefault(topic, [])
            # an ABI restricted to some addresses does not hide the same event elsewhere
            duplicate = any(
                s.signature == sig and len(s.indexed) == len(spec.indexed) and s.addresses is None
                for s in known
            )
            if not duplicate or addrs is not None:
                known.append(spec)

    @property
    def topics(self) -> set[str]:
        """Every topic0 the decoder knows."""
        return set(self._by_topic)

    def decode(self, address: str, topics: list[str], data: str) -> DecodedEvent | None:
        """Decode one log, or None when no known event matches it."""
        if not topics:
            return None
        specs = self._by_topic.get(topics[0])
        if not specs:
            return None
        for spec in specs:
            if len(spec.indexed) != len(topics) - 1:
                continue
            if spec.addresses is not None and address not in spec.addresses:
                continue
            args = self._decode_args(spec, topics, data)
            if args is None:
                continue
            return DecodedEvent(spec.contract, spec.name, spec.signature, json.dumps(args, sort_keys=True))
        return None

    @staticmethod
    def _decode_args(spec: _EventSpec, topics: list[str], data: str) -> dict[str, Any] | None:
        args: dict[str, Any] = {}
        try:
            for (name, typ), topic in zip(spec.indexed, topics[1:], strict=True):
                raw = bytes.fromhex(topic[2:])
                if typ in ("string", "bytes") or typ.endswith("]") or typ.startswith("("):
                    args[name] = topic  # dynamic indexed values are stored as their hash
                else:
                    args[name] = _jsonable(abi_decode([typ], raw)[0])
            if spec.plain:
                values = abi_decode([t for _, t in spec.plain], bytes.fromhex(data[2:]))
                for (name, _), value in zip(spec.plain, values, strict=True):
                    args[name] = _jsonable(value)
        except (DecodingError, ValueError, OverflowError):
            return None
        return args


def word_to_address(topic: str) -> str:
    """The address in the low 20 bytes of a 32-byte word."""
    return "0x" + topic[-40:]


__all__ += ["word_to_address"]
