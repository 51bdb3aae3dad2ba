"""The fast EIP-1559 signer matches eth-account byte for byte."""

from __future__ import annotations

import rlp
from coincurve import PrivateKey
from eth_account import Account
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from aiweb3.chain.txsign import _rlp_bytes, _rlp_int, _rlp_list, sign_eip1559

KEY = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")


@settings(max_examples=30, deadline=None)
@given(
    nonce=st.integers(0, 2**64 - 1),
    gas=st.integers(21_000, 30_000_000),
    tip=st.integers(0, 10**12),
    extra=st.integers(0, 10**12),
    value=st.integers(0, 10**30),
    data=st.binary(max_size=600),  # 1-byte and 2-byte RLP length prefixes
    to=st.binary(min_size=20, max_size=20),
    chain_id=st.sampled_from([1, 10, 31337, 8453]),
)
def test_matches_eth_account(
    nonce: int, gas: int, tip: int, extra: int, value: int, data: bytes, to: bytes, chain_id: int
) -> None:
    tx = {
        "type": 2,
        "chainId": chain_id,
        "nonce": nonce,
        "to": to_checksum_address(to),
        "value": value,
        "data": data,
        "gas": gas,
        "maxFeePerGas": tip + extra,
        "maxPriorityFeePerGas": tip,
    }
    expected = Account.sign_transaction(tx, KEY)
    ours = sign_eip1559(
        PrivateKey(KEY),
        chain_id=chain_id,
        nonce=nonce,
        max_priority_fee_per_gas=tip,
        max_fee_per_gas=tip + extra,
        gas=gas,
        to=to,
        value=value,
        data=data,
    )
    assert ours.raw == bytes(expected.raw_transaction)
    assert ours.hash == bytes(expected.hash)


def test_contract_creation_has_empty_to() -> None:
    signed = sign_eip1559(
        PrivateKey(KEY), chain_id=1, nonce=0, max_priority_fee_per_gas=1, max_fee_per_gas=2,
        gas=100_000, to=b"", value=0, data=b"\x60\x00",
    )  # fmt: skip
    decoded = Account.recover_transaction(signed.raw)
    assert decoded == Account.from_key(KEY).address


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(0, 2**256 - 1),
            st.binary(max_size=80),
            st.integers(0, 70_000).map(lambda n: b"\x7f" * n),  # 3-byte length prefixes
        ),
        max_size=12,
    )
)
def test_rlp_matches_pyrlp(items: list[int | bytes]) -> None:
    ours = _rlp_list([_rlp_int(i) if isinstance(i, int) else _rlp_bytes(i) for i in items])
    assert ours == rlp.encode(items)
