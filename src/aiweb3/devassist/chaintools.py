"""The chain as a coding assistant sees it: status, read a contract, simulate a call.

Calls go through :class:`aiweb3.chain.Chain` (``eth_call``; nothing is signed or sent), so a
simulated call that would revert reports the decoded reason, custom errors included.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eth_utils import is_address, to_checksum_address
from web3.exceptions import Web3Exception

from aiweb3.chain import Chain, Deployments, artifact, encode_call
from aiweb3.errors import InputError, TransactionReverted

__all__ = ["chain_status", "read_contract", "simulate_call"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        return str(value)  # JSON numbers lose precision past 2**53
    return value


def chain_status(chain: Chain, home: Path) -> dict[str, Any]:
    """Chain id, latest block and the system contracts recorded for this chain in ``home``."""
    deployments = Deployments(home, chain.chain_id).load()
    return {
        "chain_id": chain.chain_id,
        "block": chain.block_number(),
        "contracts": {name: d.address for name, d in sorted(deployments.items())},
    }


def _function(chain: Chain, home: Path, contract: str, function: str, args: Sequence[Any]) -> Any:
    """The bound web3 function; ``contract`` is a system contract name or ``Name@0xADDRESS``."""
    name, _, address = contract.partition("@")
    art = artifact(name)
    if address:
        if not is_address(address):
            raise InputError(f"{address!r} is not an address: write {name}@0x... (40 hex digits)")
        address = to_checksum_address(address)
    else:
        address = Deployments(home, chain.chain_id).address(name)
    abi_fns = [f for f in art.abi if f.get("type") == "function" and f.get("name") == function]
    if not abi_fns:
        known = sorted({str(f["name"]) for f in art.abi if f.get("type") == "function"})
        raise InputError(f"{name} has no function {function!r}; its functions: {', '.join(known)}")
    fitting = [f for f in abi_fns if len(f.get("inputs", [])) == len(args)]
    if not fitting:
        counts = sorted({len(f.get("inputs", [])) for f in abi_fns})
        raise InputError(
            f"{name}.{function} takes {' or '.join(map(str, counts))} arguments, not {len(args)}"
        )
    inputs = fitting[0].get("inputs", [])
    converted = [_convert(str(i.get("type")), a) for i, a in zip(inputs, args, strict=True)]
    bound = chain.contract(art.abi, address)
    try:
        fn = bound.get_function_by_signature(f"{function}({','.join(str(i['type']) for i in inputs)})")(
            *converted
        )
        encode_call(fn)  # fails here, not at the node, when an argument does not fit its type
    except (TypeError, ValueError, Web3Exception) as exc:
        lines = [ln for ln in str(exc).splitlines() if "not compatible" in ln] or str(exc).splitlines()[:1]
        raise InputError(f"arguments do not fit {name}.{function}: {lines[0].strip()[:200]}") from None
    return fn


def _convert(abi_type: str, value: Any) -> Any:
    """JSON arguments to ABI values: checksummed addresses, integers written as strings."""
    if abi_type == "address":
        if not (isinstance(value, str) and is_address(value)):
            raise InputError(f"{value!r} is not an address (0x and 40 hex digits)")
        return to_checksum_address(value)
    if abi_type.startswith(("uint", "int")) and "[" not in abi_type and isinstance(value, str):
        try:
            return int(value, 0)
        except ValueError:
            raise InputError(f"{value!r} is not an integer (for {abi_type})") from None
    return value


def _args(args: str | Sequence[Any] | None) -> list[Any]:
    if args is None or args == "":
        return []
    if isinstance(args, str):
        try:
            parsed = json.loads(args)
        except ValueError:
            raise InputError("args must be a JSON list, e.g. '[\"0xabc...\", 5]'") from None
        if not isinstance(parsed, list):
            raise InputError("args must be a JSON list, e.g. '[\"0xabc...\", 5]'")
        return parsed
    return list(args)


def read_contract(
    chain: Chain, home: Path, contract: str, function: str, args: str | Sequence[Any] | None = None
) -> dict[str, Any]:
    """Call a view function and return its result (JSON-ready)."""
    fn = _function(chain, home, contract, function, _args(args))
    return {"contract": contract, "function": function, "result": _jsonable(chain.call(fn))}


def simulate_call(
    chain: Chain,
    home: Path,
    contract: str,
    function: str,
    args: str | Sequence[Any] | None = None,
    sender: str | None = None,
) -> dict[str, Any]:
    """Run a (state-changing) call with ``eth_call`` as ``sender``: what it would return, or why it
    would revert. Nothing is signed or sent."""
    if sender is not None and not is_address(sender):
        raise InputError(f"sender {sender!r} is not an address")
    fn = _function(chain, home, contract, function, _args(args))
    try:
        result = chain.call(fn, sender=to_checksum_address(sender) if sender else None)
    except TransactionReverted as exc:
        return {"ok": False, "reverted": str(exc), "error": exc.error_name, "args": _jsonable(exc.error_args)}
    return {"ok": True, "result": _jsonable(result)}
