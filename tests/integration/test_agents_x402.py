"""x402 on the real node over real HTTP: 402 answers, paying client, facilitator, interop."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi import Depends, FastAPI
from web3.contract import Contract
from x402.http import FacilitatorConfig, HTTPFacilitatorClientSync
from x402.http.constants import PAYMENT_SIGNATURE_HEADER
from x402.http.utils import encode_payment_signature_header
from x402.mechanisms.evm.exact.client import ExactEvmScheme as X402ExactClient
from x402.mechanisms.evm.exact.facilitator import ExactEvmScheme as X402ExactFacilitator
from x402.mechanisms.evm.signers import FacilitatorWeb3Signer
from x402.schemas import PaymentPayload, SettleResponse

from aiweb3.agents import (
    AgentWallet,
    Facilitator,
    PayingClient,
    PaymentGate,
    SpendPolicy,
    TokenInfo,
    facilitator_app,
)
from aiweb3.agents.http402 import parse_payment_required
from aiweb3.agents.serving import BackgroundServer
from aiweb3.chain import Chain, Deployment
from aiweb3.errors import PaymentError, PolicyViolation

pytestmark = pytest.mark.usefixtures("chain_isolation")
PRICE = 25_000  # 0.025 AIUSD


@pytest.fixture(scope="module")
def token(chain: Chain, deployments: dict[str, Deployment]) -> TokenInfo:
    return TokenInfo(deployments["AIUSD"].address, chain.chain_id)


@pytest.fixture(scope="module")
def seller() -> LocalAccount:
    return Account.create()


@pytest.fixture(scope="module")
def server(
    chain: Chain, token: TokenInfo, seller: LocalAccount, accounts: list[LocalAccount]
) -> Iterator[str]:
    facilitator = Facilitator(chain, token, accounts[8])
    gate = PaymentGate(facilitator, token, seller.address)
    app = FastAPI()

    @app.get("/free")
    def free() -> dict[str, str]:
        return {"ok": "free"}

    @app.get("/forecast")
    def forecast(receipt: SettleResponse = Depends(gate.price(PRICE))) -> dict[str, str]:
        return {"forecast": "sunny", "paid_tx": receipt.transaction}

    with BackgroundServer(app) as srv:
        yield srv.url


def _wallet(acct: LocalAccount, token: TokenInfo, payee: str, limit: int = 100_000) -> AgentWallet:
    return AgentWallet(
        acct, SpendPolicy(limit, 3 * limit).allowing(tokens=[token.address], counterparties=[payee])
    )


def _balance(chain: Chain, aiusd: Contract, who: str) -> int:
    return int(chain.call(aiusd.functions.balanceOf(who)))


def test_unpaid_request_gets_402_with_requirements(
    server: str, token: TokenInfo, seller: LocalAccount
) -> None:
    assert httpx.get(f"{server}/free").json() == {"ok": "free"}
    reply = httpx.get(f"{server}/forecast")
    assert reply.status_code == 402
    required = json.loads(base64.b64decode(reply.headers["PAYMENT-REQUIRED"]))
    assert required["x402Version"] == 2
    (offer,) = required["accepts"]
    assert offer["scheme"] == "exact" and offer["network"] == "eip155:31337"
    assert offer["payTo"] == seller.address and offer["amount"] == str(PRICE)
    assert offer["asset"] == token.address and offer["extra"] == {"name": "AI USD", "version": "1"}
    assert reply.json()["detail"]["accepts"][0] == offer


def test_client_pays_within_policy_and_server_settles(
    chain: Chain,
    server: str,
    token: TokenInfo,
    seller: LocalAccount,
    aiusd: Contract,
    accounts: list[LocalAccount],
) -> None:
    wallet = _wallet(accounts[0], token, seller.address)
    client = PayingClient(wallet, token)
    before = _balance(chain, aiusd, seller.address)
    paid = client.get(f"{server}/forecast")
    assert paid.response.status_code == 200 and paid.response.json()["forecast"] == "sunny"
    assert paid.paid == PRICE and paid.settlement is not None and paid.settlement.success
    assert paid.settlement.transaction == paid.response.json()["paid_tx"]
    assert _balance(chain, aiusd, seller.address) == before + PRICE
    assert wallet.log.records[-1].status == "signed"


def test_policy_refusal_sends_no_payment(
    chain: Chain,
    server: str,
    token: TokenInfo,
    seller: LocalAccount,
    aiusd: Contract,
    accounts: list[LocalAccount],
) -> None:
    cheap = PayingClient(_wallet(accounts[0], token, seller.address, limit=PRICE - 1), token)
    stranger = PayingClient(_wallet(accounts[0], token, accounts[5].address), token)
    before = _balance(chain, aiusd, seller.address)
    with pytest.raises(PolicyViolation, match="per-payment"):
        cheap.get(f"{server}/forecast")
    with pytest.raises(PolicyViolation, match="counterparty"):
        stranger.get(f"{server}/forecast")
    assert _balance(chain, aiusd, seller.address) == before
    assert cheap.payments == [] and stranger.payments == []


def _header_for(
    wallet: AgentWallet,
    token: TokenInfo,
    server: str,
    *,
    to: str | None = None,
    value: int = PRICE,
    valid_for: int = 300,
) -> dict[str, str]:
    req = parse_payment_required(httpx.get(f"{server}/forecast")).accepts[0]
    auth = wallet.authorize_transfer(token, to or req.pay_to, value, valid_for=valid_for)
    payload = PaymentPayload(payload=auth.to_x402(), accepted=req)
    return {PAYMENT_SIGNATURE_HEADER: encode_payment_signature_header(payload)}


def test_facilitator_rejects_replay_expiry_wrong_amount_and_payee(
    chain: Chain,
    server: str,
    token: TokenInfo,
    seller: LocalAccount,
    aiusd: Contract,
    accounts: list[LocalAccount],
) -> None:
    wallet = AgentWallet(accounts[0], SpendPolicy(10**9, 10**10).allowing(
        tokens=[token.address], counterparties=[seller.address, accounts[5].address]))  # fmt: skip
    good = _header_for(wallet, token, server)
    assert httpx.get(f"{server}/forecast", headers=good).status_code == 200
    replay = httpx.get(f"{server}/forecast", headers=good)
    assert replay.status_code == 402 and "nonce_already_used" in replay.json()["detail"]["error"]

    cases = {
        "valid_before": _header_for(wallet, token, server, valid_for=2),  # expires inside the margin
        "value_mismatch": _header_for(wallet, token, server, value=PRICE - 1),
        "recipient_mismatch": _header_for(wallet, token, server, to=accounts[5].address),
    }
    before = _balance(chain, aiusd, seller.address)
    for reason, header in cases.items():
        reply = httpx.get(f"{server}/forecast", headers=header)
        assert reply.status_code == 402 and reason in reply.json()["detail"]["error"], reply.json()
    tampered = json.loads(base64.b64decode(good[PAYMENT_SIGNATURE_HEADER]))
    tampered["payload"]["authorization"]["nonce"] = "0x" + "00" * 32
    bad_sig = {PAYMENT_SIGNATURE_HEADER: base64.b64encode(json.dumps(tampered).encode()).decode()}
    reply = httpx.get(f"{server}/forecast", headers=bad_sig)
    assert reply.status_code == 402 and "signature" in reply.json()["detail"]["error"]
    garbage = httpx.get(f"{server}/forecast", headers={PAYMENT_SIGNATURE_HEADER: "not base64!"})
    assert garbage.status_code == 402 and "malformed" in garbage.json()["detail"]["error"]
    assert _balance(chain, aiusd, seller.address) == before


def test_x402_sdk_client_pays_our_server(
    chain: Chain, server: str, seller: LocalAccount, aiusd: Contract, accounts: list[LocalAccount]
) -> None:
    req = parse_payment_required(httpx.get(f"{server}/forecast")).accepts[0]
    inner = X402ExactClient(accounts[1]).create_payment_payload(req)
    payload = PaymentPayload(payload=inner, accepted=req)
    before = _balance(chain, aiusd, seller.address)
    reply = httpx.get(
        f"{server}/forecast", headers={PAYMENT_SIGNATURE_HEADER: encode_payment_signature_header(payload)}
    )
    assert reply.status_code == 200, reply.text
    assert _balance(chain, aiusd, seller.address) == before + PRICE


def test_our_payment_passes_the_x402_sdk_facilitator(
    chain: Chain, token: TokenInfo, seller: LocalAccount, accounts: list[LocalAccount]
) -> None:
    gate = PaymentGate(Facilitator(chain, token, accounts[8]), token, seller.address)
    req = gate.requirements(PRICE)
    wallet = _wallet(accounts[0], token, seller.address)
    auth = wallet.authorize_transfer(token, seller.address, PRICE)
    payload = PaymentPayload(payload=auth.to_x402(), accepted=req)
    sdk = X402ExactFacilitator(FacilitatorWeb3Signer("0x" + bytes(accounts[8].key).hex(), chain.url))
    verdict = sdk.verify(payload, req)
    assert verdict.is_valid, verdict
    wrong = PaymentPayload(payload={**auth.to_x402(), "signature": "0x" + "11" * 65}, accepted=req)
    assert not sdk.verify(wrong, req).is_valid


def test_client_refuses_servers_without_our_token(token: TokenInfo, accounts: list[LocalAccount]) -> None:
    app = FastAPI()
    other = TokenInfo("0x" + "42" * 20, 31337)
    gate = PaymentGate(Facilitator.__new__(Facilitator), other, accounts[5].address)

    @app.get("/x")
    def x(receipt: SettleResponse = Depends(gate.price(1))) -> dict[str, str]:
        return {}

    with BackgroundServer(app) as srv:
        client = PayingClient(_wallet(accounts[0], token, accounts[5].address), token)
        with pytest.raises(PaymentError, match="no 'exact' payment in AIUSD"):
            client.get(f"{srv.url}/x")


def test_facilitator_service_speaks_the_x402_http_api(
    chain: Chain, token: TokenInfo, seller: LocalAccount, aiusd: Contract, accounts: list[LocalAccount]
) -> None:
    """The x402 SDK's HTTP facilitator client drives our facilitator service, and a payment gate
    that uses the SDK client as its facilitator settles our client's payments through it."""
    with BackgroundServer(facilitator_app(Facilitator(chain, token, accounts[8]))) as fac:
        remote = HTTPFacilitatorClientSync(FacilitatorConfig(url=fac.url))
        supported = remote.get_supported()
        assert supported.kinds[0].network == "eip155:31337" and supported.kinds[0].scheme == "exact"

        gate = PaymentGate(remote, token, seller.address)
        req = gate.requirements(PRICE)
        wallet = _wallet(accounts[0], token, seller.address)
        payload = PaymentPayload(
            payload=wallet.authorize_transfer(token, seller.address, PRICE).to_x402(), accepted=req
        )
        assert remote.verify(payload, req).is_valid
        before = _balance(chain, aiusd, seller.address)
        settled = remote.settle(payload, req)
        assert settled.success and settled.transaction.startswith("0x")
        assert _balance(chain, aiusd, seller.address) == before + PRICE
        again = remote.verify(payload, req)
        assert not again.is_valid and again.invalid_reason == "nonce_already_used"

        app = FastAPI()

        @app.get("/report")
        def report(receipt: SettleResponse = Depends(gate.price(PRICE))) -> dict[str, str]:
            return {"tx": receipt.transaction}

        with BackgroundServer(app) as srv:
            paid = PayingClient(wallet, token).get(f"{srv.url}/report")
            assert paid.response.status_code == 200 and paid.settlement is not None
        assert _balance(chain, aiusd, seller.address) == before + 2 * PRICE
