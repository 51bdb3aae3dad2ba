"""Agents pay privately, on the local node: a spend policy that requires stealth payments, direct
and over x402 (real HTTP, the real facilitator), found by the payee's scan and swept; and the
attacks: payments to foreign or unannounced or reused addresses, tampered announcements, sweeps by
anyone but the recipient."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi import Depends, FastAPI
from typer.testing import CliRunner
from web3.contract import Contract
from x402.http.constants import PAYMENT_SIGNATURE_HEADER
from x402.http.utils import encode_payment_signature_header
from x402.schemas import PaymentPayload, SettleResponse

from aiweb3.agents import (
    AgentWallet,
    Facilitator,
    PayingClient,
    PaymentGate,
    SpendPolicy,
    TokenInfo,
    sign_authorization,
)
from aiweb3.agents.http402 import parse_payment_required
from aiweb3.agents.serving import BackgroundServer
from aiweb3.chain import Chain, Deployment, artifact, dev_account
from aiweb3.cli.main import app
from aiweb3.errors import InputError, PaymentError, PolicyViolation, TransactionReverted
from aiweb3.privacy import (
    Announcement,
    StealthKeys,
    StealthReceiver,
    StealthRegistry,
    StealthRoute,
    announce,
    announcements,
    announcements_in,
    compute_stealth_key,
    found_payments,
    generate_stealth_address,
    scan,
    sweep,
)

pytestmark = pytest.mark.usefixtures("chain_isolation")
PRICE = 40_000  # 0.04 AIUSD


@pytest.fixture(scope="module")
def token(chain: Chain, deployments: dict[str, Deployment]) -> TokenInfo:
    return TokenInfo(deployments["AIUSD"].address, chain.chain_id)


@pytest.fixture(scope="module")
def payee_keys() -> StealthKeys:
    return StealthKeys.generate()


@pytest.fixture(scope="module")
def payee() -> LocalAccount:
    """The payee's public identity: it registered the meta-address and receives nothing itself."""
    return Account.create()


@pytest.fixture
def registered(
    chain: Chain,
    aiweb3_home: Path,
    accounts: list[LocalAccount],
    payee: LocalAccount,
    payee_keys: StealthKeys,
) -> LocalAccount:
    """The payee's meta-address registered on behalf of ``payee`` (a relayer submits it)."""
    registry = StealthRegistry.from_home(chain, aiweb3_home)
    registry.register_on_behalf(
        accounts[7], payee.address, payee_keys.meta, registry.sign_registration(payee, payee_keys.meta)
    )
    return payee


@pytest.fixture
def server(
    chain: Chain, aiweb3_home: Path, token: TokenInfo, accounts: list[LocalAccount], registered: LocalAccount,
    payee_keys: StealthKeys,
) -> Iterator[str]:  # fmt: skip
    """A paid API: /report takes stealth payments only (the gate holds the viewing key alone),
    /plain takes plain payments to the payee's public address."""
    facilitator = Facilitator(chain, token, accounts[8])
    receiver = StealthReceiver(chain, aiweb3_home, payee_keys.viewing, registered.address)
    private_gate = PaymentGate(facilitator, token, registered.address, receiver=receiver)
    plain_gate = PaymentGate(facilitator, token, registered.address)
    api = FastAPI()

    @api.get("/report")
    def report(receipt: SettleResponse = Depends(private_gate.price(PRICE))) -> dict[str, str]:
        return {"report": "private", "paid_tx": receipt.transaction}

    @api.get("/plain")
    def plain(receipt: SettleResponse = Depends(plain_gate.price(PRICE))) -> dict[str, str]:
        return {"report": "plain"}

    with BackgroundServer(api) as srv:
        yield srv.url


def _policy(token: TokenInfo, payees: list[str], privacy: str = "stealth") -> SpendPolicy:
    base = SpendPolicy(10 * PRICE, 100 * PRICE).allowing(tokens=[token.address], counterparties=payees)
    return SpendPolicy.from_json({**base.to_json(), "privacy": privacy})


def _balance(chain: Chain, aiusd: Contract, who: str) -> int:
    return int(chain.call(aiusd.functions.balanceOf(who)))


def test_x402_to_a_stealth_meta_address_end_to_end(
    chain: Chain, aiweb3_home: Path, server: str, token: TokenInfo, aiusd: Contract,
    accounts: list[LocalAccount], registered: LocalAccount, payee_keys: StealthKeys,
) -> None:  # fmt: skip
    offer = parse_payment_required(httpx.get(f"{server}/report")).accepts[0]
    assert offer.pay_to == registered.address and offer.extra is not None
    assert offer.extra["stealth"]["schemeId"] == 1  # the 402 says: stealth payments only
    assert set(offer.extra["stealth"]) == {"schemeId", "registry", "announcer"}  # public data only

    route = StealthRoute(chain, aiweb3_home)
    agent = AgentWallet(accounts[0], _policy(token, [registered.address]), routes=[route])
    client = PayingClient(agent, token)
    before = len(announcements(chain, aiweb3_home))
    first, second = client.get(f"{server}/report"), client.get(f"{server}/report")
    for paid in (first, second):
        assert paid.response.status_code == 200 and paid.response.json()["report"] == "private"
        assert paid.settlement is not None and paid.settlement.success and paid.paid == PRICE
    one_time = [p.requirements.pay_to for p in (first, second) if p.requirements is not None]
    assert len(set(one_time)) == 2 and registered.address not in one_time  # fresh each time
    assert _balance(chain, aiusd, registered.address) == 0  # the public identity received nothing
    assert [r.mode for r in agent.log.records] == ["stealth", "stealth"]
    assert all(r.to == registered.address and r.status == "signed" for r in agent.log.records)

    # the payee finds both payments with its viewing key alone, and sweeps one to a fresh address
    items = announcements(chain, aiweb3_home)[before:]
    assert [a.caller for a in items] == [accounts[0].address] * 2  # the payer announced, not the server
    mine = scan(items, payee_keys.viewing)
    assert [a.stealth_address for a in mine] == one_time
    found = found_payments(chain, mine, token)
    assert [(f.announced_amount, f.balance) for f in found] == [(PRICE, PRICE), (PRICE, PRICE)]
    fresh = Account.create().address
    sweep(chain, token, mine[0], payee_keys, fresh, accounts[6], fee=1_000)
    assert _balance(chain, aiusd, fresh) == PRICE - 1_000 and _balance(chain, aiusd, one_time[0]) == 0


def test_stealth_policy_refuses_plain_payees_and_unregistered_ones(
    chain: Chain, aiweb3_home: Path, server: str, token: TokenInfo, aiusd: Contract,
    accounts: list[LocalAccount], registered: LocalAccount,
) -> None:  # fmt: skip
    unregistered = Account.create().address
    route = StealthRoute(chain, aiweb3_home)
    agent = AgentWallet(accounts[1], _policy(token, [registered.address, unregistered]), routes=[route])
    client = PayingClient(agent, token)
    before = (_balance(chain, aiusd, accounts[1].address), len(announcements(chain, aiweb3_home)))
    with pytest.raises(PolicyViolation, match="takes only plain payments"):
        client.get(f"{server}/plain")  # the server would be paid at its public address
    with pytest.raises(PolicyViolation, match=r"registered no stealth meta-address.*privacy meta register"):
        agent.transfer(chain, token, unregistered, PRICE)
    with pytest.raises(PolicyViolation, match="requires stealth payments"):
        agent.authorize_transfer(token, registered.address, PRICE)
    with pytest.raises(PolicyViolation, match="no stealth route"):
        AgentWallet(accounts[1], agent.policy).transfer(chain, token, registered.address, PRICE)
    assert (_balance(chain, aiusd, accounts[1].address), len(announcements(chain, aiweb3_home))) == before
    assert [r.status for r in agent.log.records] == ["refused"] * 3 and client.payments == []

    # a wallet without a route (policy "any") is paid at the public address... which a stealth-only
    # resource refuses; with a route it pays privately even though its policy would allow plain
    plain_agent = PayingClient(AgentWallet(accounts[1], _policy(token, [registered.address], "any")), token)
    with pytest.raises(PaymentError, match="stealth payments only"):
        plain_agent.get(f"{server}/report")
    open_agent = AgentWallet(accounts[1], _policy(token, [registered.address], "any"), routes=[route])
    assert PayingClient(open_agent, token).get(f"{server}/report").response.status_code == 200

    # a direct payment: announced, then transferred to a one-time address the payee can find
    paid = agent.transfer(chain, token, registered.address, 3 * PRICE, purpose="thanks")
    assert paid.mode == "stealth" and paid.address != registered.address
    assert (
        _balance(chain, aiusd, paid.address) == 3 * PRICE and _balance(chain, aiusd, registered.address) == 0
    )


def _pay_by_hand(
    server: str, payer: LocalAccount, token: TokenInfo, to: str, hint: dict[str, str] | None
) -> httpx.Response:
    """Pay /report at ``to``, sending ``hint`` as payload.stealth (None: a plain payment)."""
    offer = parse_payment_required(httpx.get(f"{server}/report")).accepts[0]
    inner = sign_authorization(payer, token, to, PRICE).to_x402()
    payload = PaymentPayload(payload={**inner, **({"stealth": hint} if hint is not None else {})},
                             accepted=offer.model_copy(update={"pay_to": to}))  # fmt: skip
    header = encode_payment_signature_header(payload)
    return httpx.get(f"{server}/report", headers={PAYMENT_SIGNATURE_HEADER: header})


def test_stealth_receiver_refuses_foreign_unannounced_tampered_and_reused_addresses(
    chain: Chain, aiweb3_home: Path, server: str, token: TokenInfo, aiusd: Contract,
    accounts: list[LocalAccount], payee_keys: StealthKeys, registered: LocalAccount,
) -> None:  # fmt: skip
    payer = accounts[2]

    def announced(meta_of: StealthKeys) -> tuple[str, dict[str, str]]:
        stealth = generate_stealth_address(meta_of.meta)
        tx = announce(chain, aiweb3_home, payer, stealth, token.address, PRICE)
        return stealth.address, {
            "ephemeralPublicKey": "0x" + stealth.ephemeral_public_key.hex(),
            "published": tx,
        }

    foreign_to, foreign_hint = announced(StealthKeys.generate())  # someone else's meta-address
    good_to, good_hint = announced(payee_keys)
    unannounced = generate_stealth_address(payee_keys.meta)
    other_eph = generate_stealth_address(payee_keys.meta).ephemeral_public_key
    cases: dict[str, tuple[str, dict[str, str] | None]] = {
        "not a one-time address of": (foreign_to, foreign_hint),
        "no ERC-5564 announcement": (unannounced.address,
                                     {"ephemeralPublicKey": "0x" + unannounced.ephemeral_public_key.hex(),
                                      "published": good_hint["published"]}),
        "is not a one-time address": (good_to, {**good_hint, "ephemeralPublicKey": "0x" + other_eph.hex()}),
        "stealth payments only": (registered.address, None),
    }  # fmt: skip
    before = _balance(chain, aiusd, payer.address)
    for words, (to, hint) in cases.items():
        reply = _pay_by_hand(server, payer, token, to, hint)
        assert reply.status_code == 402 and words in reply.json()["detail"]["error"], (words, reply.json())
    assert _balance(chain, aiusd, payer.address) == before

    assert _pay_by_hand(server, payer, token, good_to, good_hint).status_code == 200
    reused = _pay_by_hand(server, payer, token, good_to, good_hint)  # a new authorization, same address
    assert reused.status_code == 402 and "paid before" in reused.json()["detail"]["error"]
    assert _balance(chain, aiusd, payer.address) == before - PRICE

    # swept empty and the server restarted (a new receiver, nothing in memory): the chain's
    # Transfer history still shows the address was used, so it is refused again
    [note] = [
        a
        for a in announcements_in(chain, aiweb3_home, good_hint["published"])
        if a.stealth_address == good_to
    ]
    sweep(chain, token, note, payee_keys, Account.create().address, accounts[6], fee=1_000)
    assert _balance(chain, aiusd, good_to) == 0
    restarted = StealthReceiver(chain, aiweb3_home, payee_keys.viewing, registered.address)
    offer = parse_payment_required(httpx.get(f"{server}/report")).accepts[0]
    inner = sign_authorization(payer, token, good_to, PRICE).to_x402()
    again = PaymentPayload(
        payload={**inner, "stealth": good_hint}, accepted=offer.model_copy(update={"pay_to": good_to})
    )
    with pytest.raises(PaymentError, match="paid before"):
        restarted.accept(again, offer)


def test_tampered_announcements_never_yield_a_key_and_only_the_recipient_sweeps(
    chain: Chain, aiweb3_home: Path, token: TokenInfo, aiusd: Contract, accounts: list[LocalAccount],
    payee_keys: StealthKeys,
) -> None:  # fmt: skip
    payer, attacker, relayer = accounts[3], accounts[4], accounts[5]
    stealth = generate_stealth_address(payee_keys.meta)
    real_tx = announce(chain, aiweb3_home, payer, stealth, token.address, PRICE)
    chain.transact(payer, aiusd.functions.transfer(stealth.address, PRICE))

    # the attacker announces the recipient's address with its own ephemeral key, and its own address
    # with the recipient's ephemeral key and view tag
    fake_eph = generate_stealth_address(StealthKeys.generate().meta)
    decoy = fake_eph.__class__(stealth.address, fake_eph.ephemeral_public_key, stealth.view_tag)
    announce(chain, aiweb3_home, attacker, decoy, token.address, 10**12)
    copycat = stealth.__class__(attacker.address, stealth.ephemeral_public_key, stealth.view_tag)
    announce(chain, aiweb3_home, attacker, copycat, token.address, 10**12)
    items = [a for a in announcements(chain, aiweb3_home) if a.tx_hash != real_tx][-2:]
    assert [a.caller for a in items] == [attacker.address] * 2
    assert (
        scan(items, payee_keys.viewing) == [] and scan(items, payee_keys.viewing, use_view_tags=False) == []
    )
    for forged in items:
        with pytest.raises(InputError, match="not a stealth address of these keys"):
            compute_stealth_key(forged.stealth_address, forged.ephemeral_public_key, payee_keys)
    # a wrong view tag on the real announcement only hides it from a tag-filtered scan
    (real,) = [a for a in announcements(chain, aiweb3_home) if a.tx_hash == real_tx]
    wrong_tag = Announcement(
        **{**real.__dict__, "metadata": bytes([real.metadata[0] ^ 1]) + real.metadata[1:]}
    )
    assert scan([wrong_tag], payee_keys.viewing) == []
    assert scan([wrong_tag], payee_keys.viewing, use_view_tags=False) == [wrong_tag]

    # nobody but the recipient can move the money: other keys derive nothing, and a transfer
    # authorization signed by any other key for the one-time address reverts on chain
    # (the x402 server holds the viewing key: with any other spending key it derives nothing either)
    viewing_only = StealthKeys(StealthKeys.generate().spending_key, payee_keys.viewing_key)
    for thief in (StealthKeys.generate(), viewing_only):
        with pytest.raises(InputError, match="not a stealth address of these keys"):
            sweep(chain, token, real, thief, attacker.address, relayer)
    forged_auth = sign_authorization(attacker, token, attacker.address, PRICE)
    twa = chain.contract(artifact("AIUSD").abi, token.address).get_function_by_signature(
        "transferWithAuthorization(address,address,uint256,uint256,uint256,bytes32,bytes)"
    )
    with pytest.raises(TransactionReverted):
        a = forged_auth
        chain.transact(relayer, twa(stealth.address, a.payee, PRICE, a.valid_after, a.valid_before, a.nonce,
                                    a.signature))  # fmt: skip
    assert _balance(chain, aiusd, stealth.address) == PRICE
    fresh = Account.create().address
    sweep(chain, token, real, payee_keys, fresh, relayer)
    assert _balance(chain, aiusd, fresh) == PRICE and _balance(chain, aiusd, stealth.address) == 0


def test_agent_cli_privacy_policy_and_stealth_pay(
    chain: Chain, deployments: dict[str, Deployment], aiweb3_home: Path, aiusd: Contract, tmp_path: Path,
    payee_keys: StealthKeys,
) -> None:  # fmt: skip
    home = tmp_path / "home"
    (home / "deployments").mkdir(parents=True)
    book = f"deployments/{chain.chain_id}.json"
    (home / book).write_bytes((aiweb3_home / book).read_bytes())
    env = {"AIWEB3_HOME": str(home), "AIWEB3_RPC_URL": chain.url, "AIWEB3_PASSWORD": "agent-pass",
           "COLUMNS": "250"}  # fmt: skip
    cli = CliRunner()

    def run(*args: str, ok: bool = True) -> str:
        result = cli.invoke(app, list(args), env=env)
        assert (result.exit_code == 0) is ok, result.output + repr(result.exception)
        return result.output if ok else str(result.exception)

    run("agent", "new", "spy", "--per-payment", "2", "--daily", "5")
    run("agent", "fund", "spy", "--amount", "4")
    payee, stranger = dev_account(6).address, Account.create().address
    shown = run("agent", "policy", "spy", "--privacy", "stealth", "--allow-counterparty", payee,
                "--allow-counterparty", stranger)  # fmt: skip
    assert "privacy: stealth" in shown
    assert json.loads(run("agent", "policy", "spy", "--json"))["privacy"] == "stealth"
    assert "choose one of any, stealth" in run("agent", "policy", "spy", "--privacy", "loud", ok=False)
    refused = run("agent", "pay", "spy", "--to", stranger, "--amount", "1", ok=False)
    assert "registered no stealth meta-address" in refused
    StealthRegistry.from_home(chain, home).register(dev_account(6), payee_keys.meta)
    paid = run("agent", "pay", "spy", "--to", payee, "--amount", "1.5")
    one_time = paid.split("at one-time address ")[1].split()[0]
    assert _balance(chain, aiusd, one_time) == 1_500_000 and one_time != payee
    assert one_time in [a.stealth_address for a in scan(announcements(chain, home), payee_keys.viewing)]
    shown = run("agent", "show", "spy")
    for status in ("refused", "signed"):
        assert re.search(rf"{status}\W+transaction\W+stealth", shown), shown
    run("agent", "policy", "spy", "--privacy", "any")
    assert "paid 0.5 AIUSD to" in run("agent", "pay", "spy", "--to", payee, "--amount", "0.5")
