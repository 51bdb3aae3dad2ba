"""Revert data decoding: Error(string), Panic(uint256), custom errors from artifacts."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector

from aiweb3.chain import artifact
from aiweb3.chain.revert import ErrorDecoder


def test_error_string_and_panic() -> None:
    dec = ErrorDecoder()
    exc = dec.decode(bytes.fromhex("08c379a0") + encode(["string"], ["not allowed"]))
    assert exc.reason == "not allowed" and exc.error_name == "Error"
    panic = dec.decode(bytes.fromhex("4e487b71") + encode(["uint256"], [0x11]))
    assert panic.error_name == "Panic" and "overflow" in panic.reason


def test_custom_error_from_artifact_abi() -> None:
    dec = ErrorDecoder([artifact("AIUSD").abi])
    sender = "0x" + "ab" * 20
    data = function_signature_to_4byte_selector("ERC20InsufficientBalance(address,uint256,uint256)") + encode(
        ["address", "uint256", "uint256"], [sender, 3, 9]
    )
    exc = dec.decode(data, tx_hash="0x01")
    assert exc.error_name == "ERC20InsufficientBalance"
    assert exc.error_args == {"sender": sender, "balance": 3, "needed": 9}
    assert "needed=9" in exc.reason and exc.tx_hash == "0x01"


def test_unknown_and_empty_revert_data() -> None:
    dec = ErrorDecoder()
    assert "unknown custom error 0xdeadbeef" in dec.decode(bytes.fromhex("deadbeef")).reason
    assert "no reason given" in dec.decode(b"").reason
    truncated = bytes.fromhex("08c379a0") + b"\x00" * 5
    assert "malformed" in dec.decode(truncated).reason
