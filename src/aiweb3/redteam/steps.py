"""The small step language of ``target.json``: deploy, call, send, sign, check, move time.

A step is a JSON object with ``do`` naming its kind. Values are converted by the ABI type they
fill: ``"@attacker"`` is a role's address, ``"$vault"`` a contract of the setup, ``"#pay.v"`` a
value a ``sign`` (or ``view`` with ``as``) step saved, ``"10 ether"`` / ``"5 gwei"`` amounts,
``"max"`` the largest uint256, and ``{"encode": "Vault", "fn": "deposit", "args": []}`` calldata.

    {"do": "deploy", "id": "vault", "contract": "Vault", "from": "deployer", "args": [], "value": 0}
    {"do": "deploy", "id": "tusd", "artifact": "TestToken", "args": ["Test USD", "TUSD", 18]}
    {"do": "call", "from": "user", "to": "$vault", "fn": "withdraw", "args": ["1 ether"]}
    {"do": "call", ..., "expect": "revert"}                 the call must revert
    {"do": "send", "from": "victim", "to": "$vault", "value": "1 ether"}   plain ether transfer
    {"do": "at", "id": "proxied", "contract": "Logic", "address": "$proxy"}   an ABI at an address
    {"do": "fund", "of": "$vault", "value": "10 ether"}     set a balance (anvil_setBalance)
    {"do": "view", "to": "$vault", "fn": "owner", "expect": "@deployer"}
    {"do": "view", ..., "expect": {"op": ">=", "value": "1 ether"}}
    {"do": "balance", "of": "$vault", "expect": "11 ether"}
    {"do": "sign", "by": "victim", "as": "pay", "hash": {"to": "$w", "fn": "digest", "args": [...]}}
    {"do": "time", "seconds": 3600}      {"do": "mine", "blocks": 5}
    {"do": "v3pool", "id": "pool", "base": "$teth", "quote": "$tusd", "price": 2000,
     "base_amount": "100 ether", "from": "deployer"}   a real Uniswap v3 pool, full-range liquidity

Any step may carry ``"only": "vulnerable"`` (or ``"patched"``) to run for one variant.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3.contract import Contract

from aiweb3.chain import Chain, TxRequest, artifact, encode_call
from aiweb3.errors import ChainError, ContractError, InputError, TransactionReverted

__all__ = ["ROLES", "CheckFailed", "Roles", "StepContext", "request", "run_step", "run_steps", "view_value"]

#: the four parties of every target, each a distinct funded account
ROLES = ("deployer", "victim", "user", "attacker")
_UNITS = {"wei": 1, "gwei": 10**9, "ether": 10**18}
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


class CheckFailed(ContractError):
    """A target's setup or functional check did not behave as its ``target.json`` says."""


@dataclass(frozen=True)
class Roles:
    """The accounts playing deployer, victim, user and attacker (all distinct)."""

    deployer: LocalAccount
    victim: LocalAccount
    user: LocalAccount
    attacker: LocalAccount

    def get(self, name: str) -> LocalAccount:
        """The account of role ``name``."""
        if name not in ROLES:
            raise InputError(f"unknown role {name!r}; roles are {', '.join(ROLES)}")
        acct: LocalAccount = getattr(self, name)
        return acct

    @classmethod
    def of(cls, accounts: Mapping[str, LocalAccount] | Sequence[LocalAccount]) -> Roles:
        """Roles from a mapping by role name, or from the first four accounts in role order."""
        if isinstance(accounts, Mapping):
            missing = [r for r in ROLES if r not in accounts]
            if missing:
                raise InputError(f"accounts lack the role(s) {', '.join(missing)}")
            chosen = [accounts[r] for r in ROLES]
        else:
            if len(accounts) < len(ROLES):
                raise InputError(f"need {len(ROLES)} accounts ({', '.join(ROLES)}), got {len(accounts)}")
            chosen = list(accounts[: len(ROLES)])
        if len({a.address for a in chosen}) != len(ROLES):
            raise InputError("the deployer, victim, user and attacker must be distinct accounts")
        return cls(*chosen)


@dataclass
class StepContext:
    """What steps read and write: the chain, roles, deployed contracts and saved values."""

    chain: Chain
    roles: Roles
    variant: str
    #: a contract of the compiled sources by name -> (ABI, creation bytecode)
    code: Callable[[str], tuple[list[dict[str, Any]], str]]
    contracts: dict[str, Contract] = field(default_factory=dict)
    saved: dict[str, Any] = field(default_factory=dict)
    tx_hashes: list[str] = field(default_factory=list)
    home: Path | None = None

    # -- values -----------------------------------------------------------
    def address(self, ref: Any) -> str:
        """The address a reference names (``@role``, ``$contract``, ``#saved`` or a literal)."""
        if not isinstance(ref, str):
            raise InputError(f"expected an address reference, got {ref!r}")
        if ref.startswith("@"):
            return self.roles.get(ref[1:]).address
        if ref.startswith("$"):
            return str(self.contract(ref[1:]).address)
        if ref.startswith("#"):
            return to_checksum_address(self.lookup(ref[1:]))
        try:
            return to_checksum_address(ref)
        except ValueError:
            raise InputError(f"{ref!r} is not an address, @role, $contract or #saved value") from None

    def contract(self, ident: str) -> Contract:
        """A contract the setup deployed, by its id."""
        try:
            return self.contracts[ident]
        except KeyError:
            known = ", ".join(sorted(self.contracts)) or "none yet"
            raise InputError(f"no contract with id {ident!r} (deployed: {known})") from None

    def lookup(self, path: str) -> Any:
        """A saved value: ``name`` or ``name.field``."""
        name, _, part = path.partition(".")
        if name not in self.saved:
            raise InputError(f"nothing saved as {name!r} (saved: {', '.join(self.saved) or 'none'})")
        value = self.saved[name]
        if part:
            if not isinstance(value, dict) or part not in value:
                raise InputError(f"saved value {name!r} has no field {part!r}")
            value = value[part]
        return value

    def amount(self, value: Any) -> int:
        """An integer from a number, ``"1.5 ether"``, ``"max"`` or a ``#saved`` value."""
        if isinstance(value, bool):
            raise InputError(f"expected a number, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("#"):
                return int(self.lookup(text[1:]))
            if text == "max":
                return 2**256 - 1
            match = re.fullmatch(r"(-?[\d.]+(?:e\d+)?)\s*(wei|gwei|ether)?", text)
            if match:
                try:
                    return int(Decimal(match.group(1)) * _UNITS[match.group(2) or "wei"])
                except InvalidOperation:
                    pass
        raise InputError(f'{value!r} is not an amount (write 123, "1.5 ether" or "max")')

    def convert(self, abi_type: dict[str, Any], value: Any) -> Any:
        """``value`` converted to what web3.py expects for the ABI parameter ``abi_type``."""
        typ = str(abi_type["type"])
        if typ.endswith("]"):
            inner = {**abi_type, "type": typ[: typ.rindex("[")]}
            if not isinstance(value, list):
                raise InputError(f"expected a list for {typ}, got {value!r}")
            return [self.convert(inner, v) for v in value]
        if typ == "tuple":
            comps = abi_type.get("components", [])
            if isinstance(value, dict):
                value = [value[c["name"]] for c in comps]
            return tuple(self.convert(c, v) for c, v in zip(comps, value, strict=True))
        if isinstance(value, str) and value.startswith("#") and typ != "string":
            value = self.lookup(value[1:]) if typ != "address" else value
        if typ == "address":
            return self.address(value)
        if typ.startswith(("uint", "int")):
            return self.amount(value)
        if typ == "bool":
            return bool(value)
        if typ == "bytes" and isinstance(value, dict):
            return self.calldata(value)
        if typ.startswith("bytes"):
            if isinstance(value, bytes):
                return value
            return bytes(HexBytes(str(value)))
        return value

    def calldata(self, spec: dict[str, Any]) -> bytes:
        """Calldata from ``{"encode": "Contract" or "$id", "fn": name, "args": [...]}``."""
        name = str(spec.get("encode", ""))
        abi = self.contract(name[1:]).abi if name.startswith("$") else self.code(name)[0]
        values = list(spec.get("args", []))
        fn_abi = _abi_function(abi, str(spec.get("fn")), len(values))
        bound = self.chain.w3.eth.contract(abi=abi).get_function_by_signature(_signature(fn_abi))
        return encode_call(bound(*self.args(fn_abi, values)))

    def args(self, fn_abi: dict[str, Any], values: list[Any]) -> list[Any]:
        """Arguments converted by the function's input types."""
        inputs = fn_abi.get("inputs", [])
        if len(inputs) != len(values):
            raise InputError(
                f"{fn_abi.get('name', 'constructor')} takes {len(inputs)} argument(s), got {len(values)}"
            )
        return [self.convert(t, v) for t, v in zip(inputs, values, strict=True)]

    def expected(self, abi_type: dict[str, Any] | None, value: Any) -> Any:
        """An expectation converted like an argument (addresses, amounts)."""
        if abi_type is None:
            return self.amount(value)
        return self.convert(abi_type, value)


def _abi_function(abi: list[dict[str, Any]] | Any, name: str, nargs: int) -> dict[str, Any]:
    found = [dict(i) for i in abi if i.get("type") == "function" and i.get("name") == name]
    exact = [i for i in found if len(i.get("inputs", [])) == nargs]
    if not found:
        raise InputError(f"the contract has no function {name!r}")
    if not exact:
        raise InputError(f"{name} takes {len(found[0].get('inputs', []))} argument(s), got {nargs}")
    return exact[0]


def _function(ctx: StepContext, step: dict[str, Any]) -> tuple[Contract, Any]:
    contract = ctx.contract(str(step["to"]).lstrip("$"))
    values = list(step.get("args", []))
    abi = _abi_function(contract.abi, str(step["fn"]), len(values))
    fn = contract.get_function_by_signature(_signature(abi))(*ctx.args(abi, values))
    return contract, fn


def _signature(fn_abi: dict[str, Any]) -> str:
    return f"{fn_abi['name']}({','.join(_canonical(t) for t in fn_abi.get('inputs', []))})"


def _canonical(abi_type: dict[str, Any]) -> str:
    typ = str(abi_type["type"])
    if typ.startswith("tuple"):
        inner = ",".join(_canonical(c) for c in abi_type.get("components", []))
        return f"({inner}){typ[5:]}"
    return typ


def _check(ctx: StepContext, label: str, actual: Any, expect: Any, abi_type: dict[str, Any] | None) -> None:
    if isinstance(expect, dict):
        op, want = str(expect.get("op", "==")), expect.get("value")
    else:
        op, want = "==", expect
    if op not in _OPS:
        raise InputError(f"unknown comparison {op!r}; use one of {', '.join(_OPS)}")
    wanted = ctx.expected(abi_type, want)
    if isinstance(actual, str) and isinstance(wanted, str):
        actual, wanted = actual.lower(), wanted.lower()
    if not _OPS[op](actual, wanted):
        raise CheckFailed(f"{label}: expected {op} {wanted!r}, got {actual!r}")


def view_value(ctx: StepContext, step: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
    """Call a view step's function; its value and the ABI type of its (first) output."""
    _, fn = _function(ctx, step)
    outputs = fn.abi.get("outputs", [])
    return ctx.chain.call(fn), (dict(outputs[0]) if len(outputs) == 1 else None)


def _sender(ctx: StepContext, step: dict[str, Any]) -> LocalAccount:
    return ctx.roles.get(str(step.get("from", "deployer")))


def _transact(ctx: StepContext, label: str, step: dict[str, Any], req: TxRequest) -> None:
    signer = _sender(ctx, step)
    want_revert = step.get("expect") == "revert"
    try:
        receipt = ctx.chain.send(signer, req)
    except TransactionReverted as exc:
        if want_revert:
            return
        raise CheckFailed(f"{label} reverted: {exc.reason}") from None
    if want_revert:
        raise CheckFailed(f"{label} was expected to revert but succeeded")
    ctx.tx_hashes.append(str(receipt["transactionHash"]))


def _deploy(ctx: StepContext, label: str, step: dict[str, Any]) -> None:
    ident = str(step["id"])
    name = str(step.get("contract") or step.get("artifact"))
    if "artifact" in step:
        art = artifact(name)
        abi, bytecode = art.abi, art.bytecode
    else:
        abi, bytecode = ctx.code(name)
    ctor: dict[str, Any] = next((i for i in abi if i.get("type") == "constructor"), {"inputs": []})
    args = ctx.args(ctor, list(step.get("args", [])))
    factory = ctx.chain.w3.eth.contract(abi=abi, bytecode=bytecode)
    data = bytes(HexBytes(factory.constructor(*args).data_in_transaction))
    value = ctx.amount(step.get("value", 0))
    try:
        receipt = ctx.chain.send(_sender(ctx, step), TxRequest(None, data, value))
    except TransactionReverted as exc:
        raise CheckFailed(f"{label}: deploying {name} reverted: {exc.reason}") from None
    ctx.tx_hashes.append(str(receipt["transactionHash"]))
    ctx.contracts[ident] = ctx.chain.contract(abi, str(receipt["contractAddress"]))


def _sign(ctx: StepContext, step: dict[str, Any]) -> None:
    digest, _ = view_value(ctx, dict(step["hash"]))
    signer = ctx.roles.get(str(step["by"]))
    signed = Account.sign_message(encode_defunct(primitive=bytes(digest)), signer.key)
    ctx.saved[str(step["as"])] = {
        "v": signed.v,
        "r": signed.r.to_bytes(32, "big"),
        "s": signed.s.to_bytes(32, "big"),
        "signature": bytes(signed.signature),
        "hash": bytes(digest),
    }


def _v3pool(ctx: StepContext, step: dict[str, Any]) -> None:
    from aiweb3.defi.uniswap import (
        approve_max,
        create_pool,
        deploy_uniswap,
        full_range,
        mint_position,
    )

    owner = _sender(ctx, step)
    base, quote = ctx.address(step["base"]), ctx.address(step["quote"])
    price = float(step["price"])
    base_amount = ctx.amount(step["base_amount"])
    quote_amount = int(Decimal(base_amount) * Decimal(str(price)))
    if ctx.home is not None:
        uni = deploy_uniswap(ctx.chain, owner, ctx.home, weth=base)
    else:  # the deployments book is not needed afterwards
        with tempfile.TemporaryDirectory(prefix="aiweb3-redteam-") as scratch:
            uni = deploy_uniswap(ctx.chain, owner, Path(scratch), weth=base)
    base_first = int(base, 16) < int(quote, 16)
    pool = create_pool(
        ctx.chain, owner, uni, base, quote, fee=int(step.get("fee", 3000)),
        price=price if base_first else 1 / price,
    )  # fmt: skip
    for token in (base, quote):
        approve_max(ctx.chain, owner, token, uni.position_manager)
    lower, upper = full_range(pool.tick_spacing)
    a0, a1 = (base_amount, quote_amount) if base_first else (quote_amount, base_amount)
    mint_position(ctx.chain, owner, uni, pool, lower, upper, a0, a1)
    ident = str(step["id"])
    ctx.contracts[ident] = pool.contract
    ctx.contracts[f"{ident}_router"] = uni.router_contract(ctx.chain)


def request(ctx: StepContext, step: dict[str, Any]) -> TxRequest:
    """The transaction a ``call`` or ``send`` step sends (not signed, not sent)."""
    value = ctx.amount(step.get("value", 0))
    if step.get("do", "call") == "send":
        return TxRequest(ctx.address(step["to"]), b"", value)
    _, fn = _function(ctx, step)
    return TxRequest(fn.address, encode_call(fn), value)


def run_step(ctx: StepContext, label: str, step: dict[str, Any]) -> None:
    """Run one step; CheckFailed when it does not behave as written, InputError when malformed."""
    kind = step.get("do")
    try:
        if kind == "deploy":
            _deploy(ctx, label, step)
        elif kind == "at":
            name = str(step.get("contract") or step.get("artifact"))
            abi = artifact(name).abi if "artifact" in step else ctx.code(name)[0]
            ctx.contracts[str(step["id"])] = ctx.chain.contract(abi, ctx.address(step["address"]))
        elif kind == "call":
            _transact(ctx, f"{label} ({step['fn']})", step, request(ctx, step))
        elif kind == "send":
            _transact(ctx, label, step, request(ctx, step))
        elif kind == "fund":
            ctx.chain.set_balance(ctx.address(step["of"]), ctx.amount(step["value"]))
        elif kind == "view":
            actual, typ = view_value(ctx, step)
            if "expect" in step:
                _check(ctx, f"{label} ({step['fn']})", actual, step["expect"], typ)
            if "as" in step:
                ctx.saved[str(step["as"])] = actual
        elif kind == "balance":
            _check(
                ctx,
                f"{label} (balance of {step['of']})",
                ctx.chain.balance(ctx.address(step["of"])),
                step["expect"],
                None,
            )
        elif kind == "sign":
            _sign(ctx, step)
        elif kind == "time":
            ctx.chain.rpc("evm_increaseTime", [int(step["seconds"])])
            ctx.chain.rpc("evm_mine", [])
        elif kind == "mine":
            ctx.chain.rpc("anvil_mine", [hex(int(step.get("blocks", 1)))])
        elif kind == "v3pool":
            _v3pool(ctx, step)
        else:
            raise InputError(f"unknown step kind {kind!r}")
    except KeyError as exc:
        raise InputError(f"{label}: a {kind!r} step needs the field {exc.args[0]!r}") from None
    except (InputError, CheckFailed) as exc:
        if str(exc).startswith(label):
            raise
        raise type(exc)(f"{label}: {exc}") from None
    except ChainError as exc:
        raise CheckFailed(f"{label}: {exc}") from None
    except (ValueError, TypeError) as exc:  # web3.py refused to encode a value for its ABI type
        raise InputError(f"{label}: a value does not fit its ABI type ({exc})") from None


def run_steps(ctx: StepContext, section: str, steps: list[dict[str, Any]]) -> None:
    """Run the steps of one section (``setup``, ``functional``...) that apply to the variant."""
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            raise InputError(f"{section} step {index + 1} is not an object")
        only = step.get("only")
        if only is not None and only != ctx.variant:
            continue
        run_step(ctx, f"{section} step {index + 1}", step)
