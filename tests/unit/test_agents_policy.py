"""Spend policy: refusals happen before signing, and every attempt is logged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from aiweb3.agents import AgentWallet, Payment, PaymentLog, PrivateDestination, SpendPolicy, TokenInfo
from aiweb3.errors import InputError, PolicyViolation

TOKEN = TokenInfo("0x5FbDB2315678afecb367f032d93F642f64180aa3", 31337)
OTHER_TOKEN = "0x" + "22" * 20
PAYEE = "0x" + "ab" * 20
STRANGER = "0x" + "cd" * 20


class CountingAccount:
    """Wraps a LocalAccount and counts signatures, to show refusals never reach the key."""

    def __init__(self) -> None:
        self.inner = Account.create()
        self.signed = 0
        self.address = self.inner.address
        self.key = self.inner.key

    def sign_message(self, message: object) -> object:
        self.signed += 1
        return self.inner.sign_message(message)  # type: ignore[arg-type]


def _wallet(tmp_path: Path, clock: list[float]) -> tuple[AgentWallet, CountingAccount]:
    policy = SpendPolicy(1_000_000, 2_500_000).allowing(tokens=[TOKEN.address], counterparties=[PAYEE])
    acct = CountingAccount()
    log = PaymentLog(tmp_path / "payments.json", clock=lambda: clock[0])
    return AgentWallet(acct, policy, log=log), acct  # type: ignore[arg-type]


def test_policy_limits_counterparties_and_tokens_refuse_before_signing(tmp_path: Path) -> None:
    clock = [1_800_000_000.0]
    wallet, acct = _wallet(tmp_path, clock)
    auth = wallet.authorize_transfer(TOKEN, PAYEE, 1_000_000, purpose="api call")
    assert acct.signed == 1
    assert auth.recover(TOKEN) == acct.address

    cases = [
        (lambda: wallet.authorize_transfer(TOKEN, PAYEE, 1_000_001), "per-payment limit"),
        (lambda: wallet.authorize_transfer(TOKEN, STRANGER, 10), "counterparty"),
        (lambda: wallet.authorize_transfer(TokenInfo(OTHER_TOKEN, 31337), PAYEE, 10), "token"),
        (lambda: wallet.authorize_transfer(TOKEN, PAYEE, 0), "positive"),
    ]
    for call, words in cases:
        with pytest.raises(PolicyViolation, match=words):
            call()
    assert acct.signed == 1  # nothing refused was signed

    wallet.authorize_transfer(TOKEN, PAYEE, 1_000_000)
    with pytest.raises(PolicyViolation, match="daily limit"):
        wallet.authorize_transfer(TOKEN, PAYEE, 600_000)
    assert acct.signed == 2
    assert wallet.spent_today() == 2_000_000

    clock[0] += 86_400  # the next UTC day starts from zero
    wallet.authorize_transfer(TOKEN, PAYEE, 600_000)
    assert acct.signed == 3

    records = json.loads((tmp_path / "payments.json").read_text())
    assert [r["status"] for r in records] == ["signed", *["refused"] * 4, "signed", "refused", "signed"]
    assert "per-payment" in records[1]["reason"]
    reloaded = PaymentLog(tmp_path / "payments.json", clock=lambda: clock[0])
    assert reloaded.spent_on(reloaded.today()) == 600_000


def test_policy_round_trips_and_names_bad_fields(tmp_path: Path) -> None:
    policy = SpendPolicy(5, 10).allowing(tokens=[TOKEN.address], contracts=[PAYEE])
    policy.save(tmp_path / "p.json")
    assert SpendPolicy.load(tmp_path / "p.json") == policy
    with pytest.raises(InputError, match="daily_limit"):
        SpendPolicy.from_json({"per_payment_limit": 1, "daily_limit": "lots"})
    with pytest.raises(InputError, match="allowed_tokens"):
        SpendPolicy.from_json({"per_payment_limit": 1, "daily_limit": 1, "allowed_tokens": ["nope"]})


def test_token_units() -> None:
    assert TOKEN.units("1.5") == 1_500_000
    assert TOKEN.format(20_000_000) == "20 AIUSD"
    with pytest.raises(InputError):
        TOKEN.units("0.0000001")


class _Route:
    """A route that derives fixed destinations (the real one, on chain, is tested in integration)."""

    mode = "stealth"

    def __init__(self) -> None:
        self.published: list[str] = []

    def destination(self, payee: str) -> PrivateDestination:
        if payee == STRANGER:
            raise PolicyViolation(f"refused: {payee} has registered no stealth meta-address")
        return PrivateDestination("stealth", payee, Account.create().address, {"ephemeralPublicKey": "0x02"})

    def publish(self, sender: object, destination: PrivateDestination, token: str, amount: int) -> str:
        self.published.append(destination.address)
        return "0x" + "11" * 32


def test_privacy_requirement_refuses_plain_payments_and_routes_private_ones(tmp_path: Path) -> None:
    base = SpendPolicy(1_000_000, 5_000_000).allowing(
        tokens=[TOKEN.address], counterparties=[PAYEE, STRANGER]
    )
    policy = SpendPolicy.from_json({**base.to_json(), "privacy": "stealth"})
    assert policy.privacy == "stealth" and SpendPolicy.from_json(policy.to_json()) == policy
    assert SpendPolicy.from_json({k: v for k, v in base.to_json().items() if k != "privacy"}).privacy == "any"
    with pytest.raises(InputError, match="privacy 'loud'"):
        SpendPolicy(1, 1, privacy="loud")

    acct = CountingAccount()
    route = _Route()
    wallet = AgentWallet(acct, policy, log=PaymentLog(tmp_path / "p.json"), routes=[route])  # type: ignore[arg-type]
    with pytest.raises(PolicyViolation, match="requires stealth payments"):
        wallet.authorize_transfer(TOKEN, PAYEE, 10)  # a plain payment
    with pytest.raises(PolicyViolation, match="registered no stealth meta-address"):
        wallet.authorize_private_transfer(TOKEN, STRANGER, 10)
    assert acct.signed == 0 and route.published == []

    private = wallet.authorize_private_transfer(TOKEN, PAYEE, 10)
    assert private.authorization.payee == private.destination.address != PAYEE
    assert private.authorization.recover(TOKEN) == acct.address and route.published == [
        private.destination.address
    ]
    again = wallet.authorize_private_transfer(TOKEN, PAYEE, 10, mode="stealth")
    assert again.destination.address != private.destination.address

    records = PaymentLog(tmp_path / "p.json").records
    assert [(r.status, r.mode) for r in records] == [
        ("refused", "plain"), ("refused", "stealth"), ("signed", "stealth"), ("signed", "stealth"),
    ]  # fmt: skip
    assert records[-1].to == PAYEE and wallet.spent_today() == 20

    # the policy names the mode, the payee's offer decides whether it can be met
    asked = Payment("transfer-authorization", TOKEN.address, PAYEE, 10)
    assert wallet.route_for(asked, ["stealth"]) is route
    with pytest.raises(PolicyViolation, match="takes only plain payments"):
        wallet.route_for(asked, [])
    bare = AgentWallet(Account.create(), policy)
    with pytest.raises(PolicyViolation, match="no stealth route"):
        bare.route_for(asked)
    with pytest.raises(PolicyViolation, match="no stealth payment route"):
        bare.authorize_private_transfer(TOKEN, PAYEE, 10)  # only routes given at construction count
    open_wallet = AgentWallet(Account.create(), base, routes=[route])
    assert open_wallet.route_for(asked, []) is None and open_wallet.route_for(asked, ["stealth"]) is route
