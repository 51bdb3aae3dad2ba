"""encode_call (web3's per-function encoder) against plain eth_abi, for the shapes we send."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import function_abi_to_4byte_selector, get_abi_input_types, keccak
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3

from aiweb3.chain import artifact, encode_call

W3 = Web3()
ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
addresses = st.binary(min_size=20, max_size=20).map(lambda b: Web3.to_checksum_address(b))
uint256 = st.integers(min_value=0, max_value=2**256 - 1)
bytes32 = st.binary(min_size=32, max_size=32)


def _plain(contract_abi: list[dict[str, object]], signature: str, args: list[object]) -> bytes:
    (entry,) = [
        e
        for e in contract_abi
        if e.get("type") == "function" and f"{e['name']}({','.join(get_abi_input_types(e))})" == signature  # type: ignore[arg-type]
    ]
    return function_abi_to_4byte_selector(entry) + encode(get_abi_input_types(entry), args)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None)
@given(addresses, addresses, uint256, uint256, uint256, bytes32, st.binary(max_size=130))
def test_overloaded_function_with_dynamic_bytes(
    payer: str, payee: str, value: int, after: int, before: int, nonce: bytes, sig: bytes
) -> None:
    abi = artifact("AIUSD").abi
    token = W3.eth.contract(abi=abi, address=ADDRESS)
    signature = "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"
    args = [payer, payee, value, after, before, nonce, sig]
    fn = token.get_function_by_signature(signature)(*args)
    assert encode_call(fn) == _plain(abi, signature, args)
    assert encode_call(fn)[:4] == keccak(text=signature)[:4]


@settings(max_examples=25, deadline=None)
@given(bytes32, st.lists(uint256, max_size=6))
def test_hex_strings_are_normalized_like_bytes(model: bytes, instances: list[int]) -> None:
    abi = artifact("ModelRegistry").abi
    registry = W3.eth.contract(abi=abi, address=ADDRESS)
    proof = bytes(range(7))
    as_bytes = encode_call(registry.functions.verifyInference(model, proof, instances))
    fn = registry.functions.verifyInference("0x" + model.hex(), "0x" + proof.hex(), instances)
    plain = _plain(abi, "verifyInference(bytes32,bytes,uint256[])", [model, proof, instances])
    assert as_bytes == encode_call(fn) == plain
