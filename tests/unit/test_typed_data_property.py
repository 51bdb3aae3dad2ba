"""EIP-712 digests for random types, domains and values equal eth-account's and a spec-level
encoder written here from EIP-712; bad values are one-line InputErrors naming the field path."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiweb3.crypto.typed_data import DOMAIN_FIELDS, Domain, typed_digest
from aiweb3.errors import InputError

# ---- an independent encoder, straight from the EIP-712 text (hashStruct / encodeType / encodeData)


def _deps(name: str, types: dict[str, list[dict[str, str]]], found: set[str]) -> set[str]:
    if name in found or name not in types:
        return found
    found.add(name)
    for f in types[name]:
        _deps(f["type"].split("[")[0], types, found)
    return found


def _encode_type(name: str, types: dict[str, list[dict[str, str]]]) -> str:
    deps = sorted(_deps(name, types, set()) - {name})
    return "".join(f"{t}({','.join(f['type'] + ' ' + f['name'] for f in types[t])})" for t in [name, *deps])


def _encode_value(typ: str, value: Any, types: dict[str, list[dict[str, str]]]) -> tuple[str, Any]:
    if typ.endswith("]"):
        inner = typ[: typ.rindex("[")]
        parts = [_encode_value(inner, v, types) for v in value]
        return "bytes32", keccak(encode([p[0] for p in parts], [p[1] for p in parts]))
    if typ in types:
        return "bytes32", _hash_struct(typ, value, types)
    if typ == "string":
        return "bytes32", keccak(text=value)
    if typ == "bytes":
        return "bytes32", keccak(value)
    return typ, value


def _hash_struct(name: str, data: dict[str, Any], types: dict[str, list[dict[str, str]]]) -> bytes:
    fields = [_encode_value(f["type"], data[f["name"]], types) for f in types[name]]
    type_hash = keccak(text=_encode_type(name, types))
    return keccak(encode(["bytes32", *(f[0] for f in fields)], [type_hash, *(f[1] for f in fields)]))


def _spec_digest(
    domain: dict[str, Any], domain_type: list[dict[str, str]], types: dict, primary: str, msg: dict
) -> bytes:
    separator = _hash_struct("EIP712Domain", domain, {"EIP712Domain": domain_type})
    return keccak(b"\x19\x01" + separator + _hash_struct(primary, msg, types))


# ---- strategies

ATOMIC = ["bool", "address", "string", "bytes", "bytes1", "bytes20", "bytes32", "uint8", "uint64", "uint256",
          "int8", "int128", "int256"]  # fmt: skip


def _atomic_value(typ: str) -> st.SearchStrategy[Any]:
    if typ == "bool":
        return st.booleans()
    if typ == "address":
        return st.binary(min_size=20, max_size=20).map(lambda b: to_checksum_address(b))
    if typ == "string":
        return st.text(max_size=12)
    if typ == "bytes":
        return st.binary(max_size=40)
    if typ.startswith("bytes"):
        n = int(typ[5:])
        return st.binary(min_size=n, max_size=n)
    bits = int(typ.lstrip("uint"))
    if typ.startswith("u"):
        return st.integers(0, 2**bits - 1)
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


@st.composite
def typed_cases(draw: st.DrawFn) -> tuple[dict[str, list[dict[str, str]]], str, dict[str, Any]]:
    """Up to three struct types; each may use the ones defined before it (so no cycles)."""
    n_types = draw(st.integers(1, 3))
    names = [f"T{i}" for i in range(n_types)]
    types: dict[str, list[dict[str, str]]] = {}
    for i, name in enumerate(names):
        choices = ATOMIC + names[:i]
        n_fields = draw(st.integers(0 if i else 1, 4))
        fields = []
        for j in range(n_fields):
            base = draw(st.sampled_from(choices))
            suffix = draw(st.sampled_from(["", "", "", "[]", "[2]"]))
            fields.append({"name": f"f{j}", "type": base + suffix})
        types[name] = fields
    primary = names[-1]

    def value(typ: str) -> Any:
        if typ.endswith("]"):
            inner, size = typ[: typ.rindex("[")], typ[typ.rindex("[") + 1 : -1]
            count = int(size) if size else draw(st.integers(0, 2))
            return [value(inner) for _ in range(count)]
        if typ in types:
            return {f["name"]: value(f["type"]) for f in types[typ]}
        return draw(_atomic_value(typ))

    return types, primary, value(primary)


@st.composite
def domains(draw: st.DrawFn) -> Domain:
    keys = draw(st.sets(st.sampled_from([k for k, _ in DOMAIN_FIELDS])))
    return Domain(
        name=draw(st.text(max_size=8)) if "name" in keys else None,
        version=draw(st.text(max_size=4)) if "version" in keys else None,
        chain_id=draw(st.integers(1, 2**256 - 1)) if "chainId" in keys else None,
        verifying_contract=to_checksum_address(draw(st.binary(min_size=20, max_size=20)))
        if "verifyingContract" in keys
        else None,
        salt=draw(st.binary(min_size=32, max_size=32)) if "salt" in keys else None,
    )


# ---- properties

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(domain=domains(), case=typed_cases())
def test_digest_equals_eth_account_and_the_spec(domain: Domain, case: tuple) -> None:
    types, primary, message = case
    ours = typed_digest(domain, types, primary, message)
    # eth-account's three-argument form derives the EIP712Domain type from the domain's keys itself
    domain_data = domain.to_json()
    if domain.salt is not None:
        domain_data["salt"] = domain.salt
    # eth-account wants exactly the types the primary type uses (it derives the primary type)
    used = {t: types[t] for t in _deps(primary, types, set())}
    theirs = _hash_eip191_message(encode_typed_data(domain_data, used, message))
    assert ours == bytes(theirs)
    spec_domain = {k: (domain.salt if k == "salt" else v) for k, v in domain.to_json().items()}
    assert ours == _spec_digest(spec_domain, domain.eip712_type, types, primary, message)
    assert Domain.from_json(domain.to_json()) == domain


@SETTINGS
@given(domain=domains())
def test_domain_type_lists_the_present_fields_in_the_standards_order(domain: Domain) -> None:
    order = [k for k, _ in DOMAIN_FIELDS]
    listed = [f["name"] for f in domain.eip712_type]
    assert listed == [k for k in order if k in domain.to_json()]
    assert list(domain.to_json()) == listed


BAD_VALUES: list[tuple[str, Any, str]] = [
    ("uint256", -1, "out of range for uint256"),
    ("uint8", 256, "out of range for uint8"),
    ("int8", -129, "out of range for int8"),
    ("bytes4", b"\x00" * 5, "bytes4 needs exactly 4 bytes, not 5"),
    ("bytes32", "0x" + "ab" * 33, "bytes32 needs exactly 32 bytes, not 33"),
    ("address", "0x1234", "is not a 20-byte address"),
    ("address", "0x5fbDB2315678afecb367f032d93F642f64180aa3", "checksum"),
    ("bool", "false", "must be true or false"),
    ("string", 7, "must be text"),
    ("uint64", "12abc", "is not an integer"),
    ("uint64[2]", [1], "needs exactly 2 items"),
]


@pytest.mark.parametrize(("typ", "bad", "reason"), BAD_VALUES)
def test_bad_value_is_a_one_line_input_error_naming_the_field_path(typ: str, bad: Any, reason: str) -> None:
    types = {
        "Inner": [{"name": "v", "type": typ}],
        "Outer": [{"name": "items", "type": "Inner[]"}, {"name": "note", "type": "string"}],
    }
    good = {"items": [{"v": _atomic_default(typ)}, {"v": _atomic_default(typ)}], "note": "x"}
    typed_digest(Domain(chain_id=1), types, "Outer", good)  # the good message encodes
    message = {"items": [{"v": _atomic_default(typ)}, {"v": bad}], "note": "x"}
    with pytest.raises(InputError) as info:
        typed_digest(Domain(chain_id=1), types, "Outer", message)
    text = str(info.value)
    assert "\n" not in text and text.startswith("Outer.items[1].v: ") and reason in text


def _atomic_default(typ: str) -> Any:
    return {
        "bool": True,
        "string": "s",
        "address": "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "bytes4": b"\x01" * 4,
        "bytes32": b"\x01" * 32,
        "uint64[2]": [1, 2],
    }.get(typ, 1)


def test_wrong_primary_type_undefined_type_and_missing_or_extra_fields() -> None:
    types = {"Note": [{"name": "text", "type": "string"}, {"name": "who", "type": "Person"}]}
    person = {"Person": [{"name": "wallet", "type": "address"}]}
    domain = Domain("app", "1", 1)
    with pytest.raises(InputError, match=r"^primaryType 'Mail' is not one of the types \['Note'\]$"):
        typed_digest(domain, types, "Mail", {})
    with pytest.raises(InputError, match=r"^Note\.who: type 'Person' is not defined$"):
        typed_digest(domain, types, "Note", {})
    both = {**types, **person}
    with pytest.raises(InputError, match=r"^Note\.who: missing \(Person\)$"):
        typed_digest(domain, both, "Note", {"text": "hi"})
    with pytest.raises(InputError, match=r"^Note\.who: Person has no field\(s\) \['name'\]$"):
        typed_digest(domain, both, "Note", {"text": "hi", "who": {"wallet": "0x" + "11" * 20, "name": "x"}})
    with pytest.raises(InputError, match="not as an EIP712Domain type"):
        typed_digest(domain, {**both, "EIP712Domain": []}, "Note", {})
    # a type not reachable from the primary type is left out, as EIP-712's encodeType does
    extra = {**both, "Unused": [{"name": "x", "type": "uint8"}]}
    msg = {"text": "hi", "who": {"wallet": "0x" + "11" * 20}}
    assert typed_digest(domain, extra, "Note", msg) == typed_digest(domain, both, "Note", msg)


def test_domain_from_json_refuses_unknown_keys_and_keeps_salt() -> None:
    salt = "0x" + "5a" * 32
    parsed = Domain.from_json({"name": "app", "chainId": "0x1", "salt": salt})
    assert parsed == Domain(name="app", chain_id=1, salt=bytes.fromhex("5a" * 32))
    assert parsed.to_json() == {"name": "app", "chainId": 1, "salt": salt}
    with pytest.raises(InputError, match=r"unknown field\(s\) \['chainID', 'extra'\]"):
        Domain.from_json({"name": "app", "chainID": 1, "extra": 2})
    with pytest.raises(InputError, match="salt must be 0x followed by 64 hex digits"):
        Domain.from_json({"salt": "abc"})
    with pytest.raises(InputError, match="salt must be exactly 32 bytes"):
        Domain.from_json({"salt": "0x" + "00" * 31})
    with pytest.raises(InputError, match=r"domain\.chainId: 'one' is not an integer"):
        Domain.from_json({"chainId": "one"})
    with pytest.raises(InputError, match="name must be a string"):
        Domain.from_json({"name": 5})
    # the salt is part of the digest: dropping it would change what was signed
    types = {"Note": [{"name": "text", "type": "string"}]}
    assert typed_digest(parsed, types, "Note", {"text": "x"}) != typed_digest(
        Domain(name="app", chain_id=1), types, "Note", {"text": "x"}
    )
