"""ERC-5564 scheme 1 in Python: generate, check, compute the key; meta-address parsing.

Cross-checked against an independent implementation of the curve (eth-keys' pure-Python
backend), so the composition is tested, not only its agreement with itself."""

from __future__ import annotations

import pytest
from eth_keys import KeyAPI
from eth_keys.backends import NativeECCBackend
from eth_utils import keccak, to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from aiweb3.errors import InputError
from aiweb3.privacy import (
    StealthKeys,
    StealthMeta,
    check_stealth_address,
    compute_stealth_key,
    generate_stealth_address,
    view_tag_of,
)
from aiweb3.privacy.stealth import CURVE_ORDER

keys_api = KeyAPI(NativeECCBackend)
scalars = st.integers(min_value=1, max_value=CURVE_ORDER - 1).map(lambda k: k.to_bytes(32, "big"))


def _independent_stealth(spend_pub: bytes, view_pub: bytes, ephemeral: bytes) -> tuple[str, int]:
    """The ERC's steps with eth-keys' pure-Python curve: shared secret, hash, tag, P_spend + s_h·G."""
    from eth_keys.backends.native.ecdsa import G, fast_add, fast_multiply

    def point(compressed: bytes) -> tuple[int, int]:
        raw = keys_api.PublicKey.from_compressed_bytes(compressed).to_bytes()
        return int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")

    vx, vy = fast_multiply(point(view_pub), int.from_bytes(ephemeral, "big"))
    shared = bytes([2 + (vy & 1)]) + vx.to_bytes(32, "big")
    hashed = keccak(shared)
    sx, sy = fast_add(point(spend_pub), fast_multiply(G, int.from_bytes(hashed, "big")))
    address = to_checksum_address(keccak(sx.to_bytes(32, "big") + sy.to_bytes(32, "big"))[-20:])
    return address, hashed[0]


@settings(max_examples=25, deadline=None)
@given(spend=scalars, view=scalars, ephemeral=scalars)
def test_generate_check_and_key_agree_with_an_independent_curve(
    spend: bytes, view: bytes, ephemeral: bytes
) -> None:
    keys = StealthKeys(spend, view)
    made = generate_stealth_address(keys.meta, ephemeral_key=ephemeral)
    assert (made.address, made.view_tag) == _independent_stealth(
        keys.meta.spending, keys.meta.viewing, ephemeral
    )
    assert made.view_tag == view_tag_of(view, made.ephemeral_public_key)
    assert check_stealth_address(made.address, made.ephemeral_public_key, view, keys.meta.spending,
                                 view_tag=made.view_tag)  # fmt: skip
    assert compute_stealth_key(made.address, made.ephemeral_public_key, keys).address == made.address


def test_only_the_recipient_finds_and_spends() -> None:
    alice, bob = StealthKeys.generate(), StealthKeys.generate()
    made = generate_stealth_address(alice.meta)
    assert made != generate_stealth_address(alice.meta)  # a fresh address every time
    assert not check_stealth_address(
        made.address, made.ephemeral_public_key, bob.viewing_key, bob.meta.spending
    )
    # alice's viewing key with bob's spending key: another address
    assert not check_stealth_address(
        made.address, made.ephemeral_public_key, alice.viewing_key, bob.meta.spending
    )
    with pytest.raises(InputError, match="not a stealth address of these keys"):
        compute_stealth_key(made.address, made.ephemeral_public_key, bob)
    # a tampered announcement: another ephemeral key, or garbage, is nobody's
    other = generate_stealth_address(alice.meta)
    assert not check_stealth_address(
        made.address, other.ephemeral_public_key, alice.viewing_key, alice.meta.spending
    )
    assert not check_stealth_address(
        made.address, b"\x02" + b"\x00" * 32, alice.viewing_key, alice.meta.spending
    )
    assert "viewing" not in repr(alice) and alice.viewing_key.hex() not in repr(alice)


def test_meta_address_forms_and_errors() -> None:
    keys = StealthKeys.generate()
    meta = keys.meta
    uri = meta.uri()
    assert uri.startswith("st:eth:0x") and len(uri) == len("st:eth:0x") + 132
    assert (
        StealthMeta.parse(uri)
        == meta
        == StealthMeta.parse(meta.raw)
        == StealthMeta.parse("0x" + meta.raw.hex())
    )
    single = StealthMeta.parse(meta.spending)  # 33 bytes: one key for both roles
    assert single.spending == single.viewing == meta.spending
    with pytest.raises(InputError, match="66 bytes"):
        StealthMeta.parse("st:eth:0x" + meta.raw.hex()[:-2])
    with pytest.raises(InputError, match="not a stealth meta-address"):
        StealthMeta.parse("st:eth:0xzz")
    with pytest.raises(InputError, match="not a secp256k1 public key"):
        StealthMeta.parse(b"\x05" * 66)
