"""EIP-712 helpers: agree with eth-account's own recovery; domains bind chain and contract."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data

from aiweb3.chain import dev_account
from aiweb3.crypto.typed_data import Domain, recover_typed, sign_typed, typed_digest, typed_message
from aiweb3.errors import InputError

TYPES = {"Note": [{"name": "text", "type": "string"}, {"name": "n", "type": "uint256"}]}
MSG = {"text": "hello", "n": 7}
DOMAIN = Domain("test", "1", 31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")


def test_sign_recover_roundtrip_and_cross_check() -> None:
    signer = dev_account(1)
    sig = sign_typed(signer, DOMAIN, TYPES, "Note", MSG)
    assert recover_typed(sig, DOMAIN, TYPES, "Note", MSG) == signer.address
    # independent path: eth-account's full-message API on the same JSON document
    doc = typed_message(DOMAIN, TYPES, "Note", MSG)
    assert Account.recover_message(encode_typed_data(full_message=doc), signature=sig) == signer.address


def test_another_chain_or_contract_gives_another_digest_and_signer() -> None:
    signer = dev_account(1)
    sig = sign_typed(signer, DOMAIN, TYPES, "Note", MSG)
    other_chain = Domain("test", "1", 1, DOMAIN.verifying_contract)
    other_contract = Domain("test", "1", 31337, "0x" + "11" * 20)
    for domain in (other_chain, other_contract):
        assert typed_digest(domain, TYPES, "Note", MSG) != typed_digest(DOMAIN, TYPES, "Note", MSG)
        assert recover_typed(sig, domain, TYPES, "Note", MSG) != signer.address


def test_bad_inputs() -> None:
    with pytest.raises(InputError, match="65 bytes"):
        recover_typed(b"\x00" * 64, DOMAIN, TYPES, "Note", MSG)
    with pytest.raises(InputError, match="not an address"):
        Domain("x", "1", 1, "0x1234")
    assert Domain.from_json(DOMAIN.to_json()) == DOMAIN
