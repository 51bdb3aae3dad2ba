"""AIUSD on a real node: faucet, permit (EIP-2612) and EIP-3009 authorizations."""

from __future__ import annotations

import os
import time

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.chain import Chain, dev_account
from aiweb3.errors import TransactionReverted

pytestmark = pytest.mark.usefixtures("chain_isolation")


def _domain(chain: Chain, token: Contract) -> dict[str, object]:
    return {
        "name": "AI USD",
        "version": "1",
        "chainId": chain.chain_id,
        "verifyingContract": token.address,
    }


def _authorization(
    chain: Chain,
    token: Contract,
    signer: LocalAccount,
    to: str,
    value: int,
    *,
    kind: str = "TransferWithAuthorization",
    valid_after: int = 0,
    valid_before: int | None = None,
    nonce: bytes | None = None,
) -> tuple[dict[str, object], bytes]:
    message = {
        "from": signer.address,
        "to": to,
        "value": value,
        "validAfter": valid_after,
        "validBefore": valid_before if valid_before is not None else int(time.time()) + 3600,
        "nonce": nonce or os.urandom(32),
    }
    types = {
        kind: [
            {"name": "from", "type": "address"},
            {"name": "to", "type": "address"},
            {"name": "value", "type": "uint256"},
            {"name": "validAfter", "type": "uint256"},
            {"name": "validBefore", "type": "uint256"},
            {"name": "nonce", "type": "bytes32"},
        ]
    }
    signed = Account.sign_typed_data(
        signer.key, domain_data=_domain(chain, token), message_types=types, message_data=message
    )
    return message, bytes(signed.signature)


def _twa(token: Contract, m: dict[str, object], sig: bytes) -> object:
    fn = token.get_function_by_signature(
        "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"
    )
    return fn(m["from"], m["to"], m["value"], m["validAfter"], m["validBefore"], m["nonce"], sig)


def test_decimals_and_faucet(chain: Chain, aiusd: Contract, accounts: list[LocalAccount]) -> None:
    assert chain.call(aiusd.functions.decimals()) == 6
    before = chain.call(aiusd.functions.balanceOf(accounts[0].address))
    chain.transact(accounts[0], aiusd.functions.faucet(accounts[0].address, 5 * 10**6))
    assert chain.call(aiusd.functions.balanceOf(accounts[0].address)) == before + 5 * 10**6


def test_faucet_limit_is_decoded(chain: Chain, aiusd: Contract) -> None:
    with pytest.raises(TransactionReverted) as info:
        chain.transact(dev_account(1), aiusd.functions.faucet(dev_account(1).address, 10**13))
    assert info.value.error_name == "FaucetLimitExceeded"
    assert info.value.error_args["limit"] == 10**12


def test_transfer_with_authorization(chain: Chain, aiusd: Contract, accounts: list[LocalAccount]) -> None:
    payer, payee, relayer = accounts[0], accounts[1], accounts[2]
    start = chain.call(aiusd.functions.balanceOf(payee.address))
    m, sig = _authorization(chain, aiusd, payer, payee.address, 1_500_000)
    receipt = chain.transact(relayer, _twa(aiusd, m, sig))  # type: ignore[arg-type]
    assert chain.call(aiusd.functions.balanceOf(payee.address)) == start + 1_500_000
    used = chain.events(aiusd, "AuthorizationUsed", receipt)
    assert used[0]["authorizer"] == payer.address
    assert chain.call(aiusd.functions.authorizationState(payer.address, m["nonce"])) is True

    with pytest.raises(TransactionReverted) as replay:
        chain.transact(relayer, _twa(aiusd, m, sig))  # type: ignore[arg-type]
    assert replay.value.error_name == "AuthorizationAlreadyUsed"


def test_authorization_rejects_expired_wrong_signer_and_tampering(
    chain: Chain, aiusd: Contract, accounts: list[LocalAccount]
) -> None:
    payer, payee, relayer = accounts[0], accounts[1], accounts[2]
    m, sig = _authorization(chain, aiusd, payer, payee.address, 10, valid_before=1)
    with pytest.raises(TransactionReverted) as expired:
        chain.transact(relayer, _twa(aiusd, m, sig))  # type: ignore[arg-type]
    assert expired.value.error_name == "AuthorizationExpired"

    m, sig = _authorization(chain, aiusd, accounts[3], payee.address, 10)
    m["from"] = payer.address  # signed by someone else
    with pytest.raises(TransactionReverted) as wrong:
        chain.transact(relayer, _twa(aiusd, m, sig))  # type: ignore[arg-type]
    assert wrong.value.error_name == "InvalidAuthorizationSignature"

    m, sig = _authorization(chain, aiusd, payer, payee.address, 10)
    m["value"] = 10_000  # amount changed after signing
    with pytest.raises(TransactionReverted):
        chain.transact(relayer, _twa(aiusd, m, sig))  # type: ignore[arg-type]

    future = int(time.time()) + 10_000
    m, sig = _authorization(chain, aiusd, payer, payee.address, 10, valid_after=future)
    with pytest.raises(TransactionReverted) as early:
        chain.transact(relayer, _twa(aiusd, m, sig))  # type: ignore[arg-type]
    assert early.value.error_name == "AuthorizationNotYetValid"


def test_receive_with_authorization_only_by_payee(
    chain: Chain, aiusd: Contract, accounts: list[LocalAccount]
) -> None:
    payer, payee = accounts[0], accounts[1]
    m, sig = _authorization(chain, aiusd, payer, payee.address, 7, kind="ReceiveWithAuthorization")
    fn = aiusd.get_function_by_signature(
        "receiveWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"
    )
    call = fn(m["from"], m["to"], m["value"], m["validAfter"], m["validBefore"], m["nonce"], sig)
    with pytest.raises(TransactionReverted) as info:
        chain.transact(accounts[2], call)
    assert info.value.error_name == "CallerMustBePayee"
    before = chain.call(aiusd.functions.balanceOf(payee.address))
    chain.transact(payee, call)
    assert chain.call(aiusd.functions.balanceOf(payee.address)) == before + 7


def test_authorization_signed_for_another_chain_is_rejected(
    chain: Chain, aiusd: Contract, accounts: list[LocalAccount]
) -> None:
    payer, payee = accounts[0], accounts[1]
    m = {
        "from": payer.address,
        "to": payee.address,
        "value": 5,
        "validAfter": 0,
        "validBefore": int(time.time()) + 3600,
        "nonce": os.urandom(32),
    }
    domain = {**_domain(chain, aiusd), "chainId": 1}
    types = {
        "TransferWithAuthorization": [
            {"name": n, "type": t}
            for n, t in [("from", "address"), ("to", "address"), ("value", "uint256"),
                         ("validAfter", "uint256"), ("validBefore", "uint256"),
                         ("nonce", "bytes32")]
        ]
    }  # fmt: skip
    sig = bytes(Account.sign_typed_data(payer.key, domain, types, m).signature)
    with pytest.raises(TransactionReverted) as info:
        chain.transact(accounts[2], _twa(aiusd, m, sig))  # type: ignore[arg-type]
    assert info.value.error_name == "InvalidAuthorizationSignature"


def test_permit(chain: Chain, aiusd: Contract, accounts: list[LocalAccount]) -> None:
    owner, spender = accounts[0], accounts[1]
    nonce = chain.call(aiusd.functions.nonces(owner.address))
    deadline = int(time.time()) + 3600
    types = {
        "Permit": [
            {"name": "owner", "type": "address"},
            {"name": "spender", "type": "address"},
            {"name": "value", "type": "uint256"},
            {"name": "nonce", "type": "uint256"},
            {"name": "deadline", "type": "uint256"},
        ]
    }
    message = {
        "owner": owner.address,
        "spender": spender.address,
        "value": 123,
        "nonce": nonce,
        "deadline": deadline,
    }
    signed = Account.sign_typed_data(owner.key, _domain(chain, aiusd), types, message)
    permit = aiusd.functions.permit(
        owner.address, spender.address, 123, deadline, signed.v, _b32(signed.r), _b32(signed.s)
    )
    chain.transact(accounts[2], permit)
    assert chain.call(aiusd.functions.allowance(owner.address, spender.address)) == 123
    with pytest.raises(TransactionReverted) as replay:
        chain.transact(accounts[2], permit)
    assert replay.value.error_name == "ERC2612InvalidSigner"

    expired = {**message, "nonce": nonce + 1, "deadline": 1}
    signed = Account.sign_typed_data(owner.key, _domain(chain, aiusd), types, expired)
    with pytest.raises(TransactionReverted) as late:
        chain.transact(
            accounts[2],
            aiusd.functions.permit(owner.address, spender.address, 123, 1, signed.v, _b32(signed.r),
                                   _b32(signed.s)),
        )  # fmt: skip
    assert late.value.error_name == "ERC2612ExpiredSignature"


def _b32(value: int) -> bytes:
    return value.to_bytes(32, "big")
