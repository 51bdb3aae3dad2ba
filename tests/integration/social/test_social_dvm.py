"""NIP-90 summary jobs paid in AIUSD: the customer's spend policy, the provider's payment checks,
settlement on chain before delivery, refusals for bad payments, no double charge."""

from __future__ import annotations

import json

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.agents import AgentWallet, Facilitator, SpendPolicy, TokenInfo
from aiweb3.chain import Chain, dev_account
from aiweb3.chain.contracts import Deployment
from aiweb3.errors import PolicyViolation
from aiweb3.provenance import registry_domain
from aiweb3.social import Identity, NostrClient, NostrEvent, Operator, check_ai_post, reply_tags
from aiweb3.social.dvm import KIND_JOB_FEEDBACK, SummaryProvider, request_summary

PRICE = 2 * 10**6  # 2 AIUSD


def test_paid_summary_job_settles_then_delivers_and_bad_payments_are_refused(
    nostr: NostrClient,
    chain: Chain,
    aiusd: Contract,
    accounts: list[LocalAccount],
    deployments: dict[str, Deployment],
) -> None:
    token = TokenInfo(aiusd.address, chain.chain_id)
    customer_key, provider_key = accounts[0], accounts[3]
    policy = SpendPolicy(
        per_payment_limit=5 * 10**6,
        daily_limit=20 * 10**6,
        allowed_tokens=frozenset({aiusd.address}),
        allowed_counterparties=frozenset({provider_key.address}),
    )
    wallet = AgentWallet(customer_key, policy, name="customer")
    domain = registry_domain(chain.chain_id, deployments["CreatorRegistry"].address)
    operator = Operator("dvm-ops", Identity.generate().pubkey, dev_account(5), domain)
    provider_id, customer = Identity.generate(), Identity.generate()
    facilitator = Facilitator(chain, token, provider_key)
    provider = SummaryProvider(provider_id, operator, nostr, facilitator, token, provider_key.address, PRICE)

    alice, bob = Identity.generate(), Identity.generate()
    root = alice.sign(1, "should small models be proven on chain or off chain?")
    answer = bob.sign(
        1, "off chain proving, on chain verification: cheap and still trustless", reply_tags(root)
    )
    junk = bob.sign(1, "FREE AIRDROP claim now http://a.xyz http://b.xyz", reply_tags(root))
    assert all(p.ok for p in nostr.publish_many([root, answer, junk]))

    balance = aiusd.functions.balanceOf
    before = chain.call(balance(provider_key.address)), chain.call(balance(customer_key.address))
    job = request_summary(
        nostr, customer, wallet, token,
        provider=provider_id.pubkey, provider_wallet=provider_key.address, thread_root=root.id, price=PRICE,
    )  # fmt: skip
    outcomes = provider.serve_once()
    assert [(o.request, o.status) for o in outcomes] == [(job.id, "delivered")], outcomes
    after = chain.call(balance(provider_key.address)), chain.call(balance(customer_key.address))
    assert after[0] - before[0] == PRICE and before[1] - after[1] == PRICE

    result = nostr.fetch({"ids": [outcomes[0].result]})[0]  # type: ignore[list-item]
    assert (
        result.kind == 6001 and result.first("e") == job.id and result.first("tx") == outcomes[0].settlement
    )
    assert root.id in result.content and answer.id in result.content and junk.id not in result.content
    assert check_ai_post(result, [domain]).ok
    assert provider.serve_once() == []  # handled once, charged once
    fresh = SummaryProvider(provider_id, operator, nostr, facilitator, token, provider_key.address, PRICE)
    assert fresh.serve_once() == []  # a restarted provider sees its own results

    # the customer's policy refuses to pay anyone else, and caps the price
    def ask(payee: str, price: int) -> object:
        return request_summary(nostr, customer, wallet, token, provider=provider_id.pubkey,
                               provider_wallet=payee, thread_root=root.id, price=price)  # fmt: skip

    with pytest.raises(PolicyViolation):
        ask(accounts[4].address, PRICE)
    with pytest.raises(PolicyViolation):
        ask(provider_key.address, 6 * 10**6)

    # a replayed payment and an underpaid one get feedback, and nothing moves
    replay_tags = [list(t) for t in job.tags]
    replay = customer.sign(5001, "", replay_tags, created_at=job.created_at + 1)  # same payment, new event
    cheap = ask(provider_key.address, PRICE // 2)
    assert isinstance(cheap, NostrEvent)
    nostr.publish(replay)
    held = chain.call(balance(provider_key.address))
    refused = {o.request: o for o in provider.serve_once()}
    assert refused[replay.id].status == "refused" and "already used" in refused[replay.id].reason
    assert refused[cheap.id].status == "refused" and "exactly" in refused[cheap.id].reason
    assert chain.call(balance(provider_key.address)) == held
    feedback = nostr.fetch({"kinds": [KIND_JOB_FEEDBACK], "#e": [cheap.id]})
    assert feedback and feedback[0].tag_values("status")[0][0] == "payment-required"
    assert json.loads(cheap.first("payment") or "{}")["authorization"]["value"] == str(PRICE // 2)
