"""AgentRegistry on the real node: cards, owner updates, reputation only from paid counterparties
(weighted by what they paid), validations backed by a verified inference, search ranked by
reputation. The attacks on it are in tests/adversarial/test_agent_registry_attacks.py."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount

from aiweb3.agents import (
    AgentCard,
    AgentRegistry,
    AgentWallet,
    SpendPolicy,
    TaskEscrow,
    TaskTerms,
    TokenInfo,
)
from aiweb3.chain import Chain, Deployment, artifact
from aiweb3.errors import InputError, TransactionReverted

NO_EAS = "0x" + "00" * 20  # an escrow without EAS: tasks cannot require audits

pytestmark = pytest.mark.usefixtures("chain_isolation")


def _card(name: str, caps: list[str], price: int) -> dict[str, object]:
    return {
        "name": name,
        "capabilities": caps,
        "endpoint": f"http://127.0.0.1:9/{name}",
        "prices": [{"capability": caps[0], "amount": price, "unit": "call"}],
        "payment_schemes": ["x402-exact", "escrow"],
    }


def _paid_task(escrow: TaskEscrow, token: TokenInfo, requester: LocalAccount, provider: LocalAccount,
               arbiter: LocalAccount, budget: int = 1_000) -> int:  # fmt: skip
    wallet = AgentWallet(requester, SpendPolicy(10**9, 10**10).allowing(
        tokens=[token.address], contracts=[escrow.address], counterparties=[provider.address]))  # fmt: skip
    task_id = escrow.post(wallet, TaskTerms(budget, arbiter.address, provider=provider.address))
    escrow.accept(provider, task_id)
    escrow.deliver(provider, task_id, "bafkreiresult")
    escrow.approve(requester, task_id)
    return task_id


@pytest.fixture(scope="module")
def registry(chain: Chain, deployments: dict[str, Deployment]) -> AgentRegistry:
    return AgentRegistry(chain, deployments["AgentRegistry"].address)


@pytest.fixture(scope="module")
def escrow(chain: Chain, deployments: dict[str, Deployment]) -> TaskEscrow:
    return TaskEscrow(
        chain, deployments["TaskEscrow"].address, TokenInfo(deployments["AIUSD"].address, 31337)
    )


def test_malformed_cards_name_the_field() -> None:
    good = _card("prover", ["inference"], 10)
    assert AgentCard.parse(good).name == "prover"
    bad = {
        "endpoint": {**good, "endpoint": "ftp://x"},
        "capabilities": {**good, "capabilities": ["Has Spaces"]},
        "name": {**good, "name": ""},
        "payment_schemes.0": {**good, "payment_schemes": ["cash"]},
        "prices.0.amount": {**good, "prices": [{"capability": "inference", "amount": -1}]},
        "colour": {**good, "colour": "blue"},
    }
    for field, card in bad.items():
        with pytest.raises(InputError, match=f"'{field}'"):
            AgentCard.parse(card)


def test_register_update_and_search_ranked_by_reputation(
    chain: Chain, registry: AgentRegistry, escrow: TaskEscrow, accounts: list[LocalAccount]
) -> None:
    token = escrow.token
    cheap, good, pricey, client, arbiter = accounts[1], accounts[2], accounts[3], accounts[0], accounts[4]
    ids = {
        "cheap": registry.register(cheap, _card("cheap", ["inference"], 10)),
        "good": registry.register(good, _card("good", ["inference"], 50)),
        "pricey": registry.register(pricey, _card("pricey", ["inference"], 500)),
    }
    with pytest.raises(TransactionReverted) as taken:
        registry.register(cheap, _card("again", ["x"], 1))
    assert taken.value.error_name == "WalletTaken"
    with pytest.raises(TransactionReverted) as stranger:
        registry.update_card(accounts[5], ids["cheap"], _card("hijack", ["inference"], 1))
    assert stranger.value.error_name == "NotOwner"
    registry.update_card(cheap, ids["cheap"], _card("cheap", ["inference", "storage"], 10))
    assert registry.get(ids["cheap"]).card.capabilities == ["inference", "storage"]

    good_task = _paid_task(escrow, token, client, good, arbiter, budget=3_000_000)
    cheap_task = _paid_task(escrow, token, client, cheap, arbiter, budget=3_000_000)
    registry.give_feedback(client, good_task, 95)
    registry.give_feedback(client, cheap_task, 40)
    found = registry.search("inference", max_price=100)
    assert [r.card.name for r in found] == ["good", "cheap"]
    # 3 AIUSD from one counterparty weighs log2(1 + 3) = 2 against the prior's 1 at 50
    assert found[0].mean_score == 95.0 and found[0].reputation == (2 * 95 + 50) / 3
    assert found[0].paid_volume == 3_000_000 and found[0].counterparties == 1
    # an unrated agent sits at the prior (50): above one whose paying client rated it 40
    assert [r.card.name for r in registry.search("inference")] == ["good", "pricey", "cheap"]
    assert [r.card.name for r in registry.search("storage")] == ["cheap"]
    assert registry.search("translation") == []


def test_reputation_only_from_paid_counterparties_once(
    chain: Chain, registry: AgentRegistry, escrow: TaskEscrow, accounts: list[LocalAccount]
) -> None:
    client, provider, arbiter, stranger = accounts[0], accounts[1], accounts[4], accounts[6]
    agent_id = registry.register(provider, _card("p", ["inference"], 10))
    registry.register(client, _card("c", ["research"], 0))
    task_id = _paid_task(escrow, escrow.token, client, provider, arbiter)

    with pytest.raises(TransactionReverted) as outsider:
        registry.give_feedback(stranger, task_id, 100)
    assert outsider.value.error_name == "NotCounterparty"
    registry.give_feedback(client, task_id, 80, "bafkreicomment")
    with pytest.raises(TransactionReverted) as twice:
        registry.give_feedback(client, task_id, 100)
    assert twice.value.error_name == "FeedbackAlreadyGiven"
    registry.give_feedback(provider, task_id, 70)  # the provider rates the requester
    assert [f.score for f in registry.feedback(agent_id)] == [80]

    policy = SpendPolicy(10**9, 10**10).allowing(
        tokens=[escrow.token.address], contracts=[escrow.address], counterparties=[provider.address]
    )
    wallet = AgentWallet(client, policy)
    unpaid = escrow.post(wallet, TaskTerms(1_000, arbiter.address, provider=provider.address))
    with pytest.raises(TransactionReverted) as not_paid:
        registry.give_feedback(client, unpaid, 100)
    assert not_paid.value.error_name == "TaskNotPaid"
    assert registry.get(agent_id).feedback_count == 1


def test_validation_references_a_verified_inference(
    chain: Chain, escrow: TaskEscrow, deployer: LocalAccount, accounts: list[LocalAccount]
) -> None:
    token = escrow.token
    attester = Account.create()
    oracle_art, esc_art, reg_art = (
        artifact("TestInferenceOracle"),
        artifact("TaskEscrow"),
        artifact("AgentRegistry"),
    )
    oracle_addr, _ = chain.deploy(deployer, oracle_art.abi, oracle_art.bytecode, attester.address)
    esc_addr, _ = chain.deploy(deployer, esc_art.abi, esc_art.bytecode, token.address, oracle_addr, NO_EAS)
    reg_addr, _ = chain.deploy(deployer, reg_art.abi, reg_art.bytecode, esc_addr)
    gated, reg = TaskEscrow(chain, esc_addr, token), AgentRegistry(chain, reg_addr)
    oracle = chain.contract(oracle_art.abi, oracle_addr)
    client, prover, arbiter = accounts[0], accounts[1], accounts[4]
    agent_id = reg.register(prover, _card("prover", ["inference"], 10))
    model = b"\x33" * 32
    wallet = AgentWallet(client, SpendPolicy(10**9, 10**10).allowing(
        tokens=[token.address], contracts=[gated.address], counterparties=[prover.address]))  # fmt: skip
    task_id = gated.post(wallet, TaskTerms(5_000, arbiter.address, provider=prover.address, model_id=model))
    gated.accept(prover, task_id)
    instances = [3, 9]
    digest = bytes(chain.call(oracle.functions.attestationDigest(model, instances)))
    proof = bytes(attester.sign_message(encode_defunct(primitive=digest)).signature)
    receipt = gated.deliver_with_proof(prover, task_id, "bafkreiscore", proof, instances)
    assert gated.task(task_id).verified_block == int(receipt["blockNumber"])

    with pytest.raises(TransactionReverted) as not_owner:
        reg.record_validation(client, agent_id, task_id)
    assert not_owner.value.error_name == "NotOwner"
    reg.record_validation(prover, agent_id, task_id)
    with pytest.raises(TransactionReverted) as again:
        reg.record_validation(prover, agent_id, task_id)
    assert again.value.error_name == "AlreadyValidated"
    (record,) = reg.validations(agent_id)
    assert record.model_id == model and record.verified_block == int(receipt["blockNumber"])
    assert reg.inference_tx(record) == str(receipt["transactionHash"])
    forged = type(record)(record.task_id, b"\x44" * 32, record.input_commitment, record.outputs_hash,
                          record.verified_block, record.recorded_by)  # fmt: skip
    assert not reg.check_validation(forged)


def test_wallet_consent_digest_matches_the_contract(
    registry: AgentRegistry, accounts: list[LocalAccount]
) -> None:
    from aiweb3.agents.registry import WALLET_CONSENT_TYPES
    from aiweb3.crypto.typed_data import typed_digest

    wallet, owner = accounts[6], accounts[7]
    fn = registry.contract.functions.walletConsentDigest(0, owner.address, wallet.address, 12345)
    message = {"agentId": 0, "owner": owner.address, "wallet": wallet.address, "nonce": 0, "deadline": 12345}
    assert bytes(registry.chain.call(fn)) == typed_digest(
        registry.domain, WALLET_CONSENT_TYPES, "AgentWallet", message
    )
