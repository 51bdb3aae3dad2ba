"""TaskEscrow on the real node: lifecycle, disputes, deadlines, proof-gated release."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.agents import AgentWallet, Payment, SpendPolicy, TaskEscrow, TaskStatus, TaskTerms, TokenInfo
from aiweb3.chain import Chain, Deployment, artifact
from aiweb3.errors import PolicyViolation, TransactionReverted

NO_EAS = "0x" + "00" * 20  # an escrow without EAS: tasks cannot require audits

pytestmark = pytest.mark.usefixtures("chain_isolation")
MODEL = b"\x11" * 32


@pytest.fixture(scope="module")
def token(chain: Chain, deployments: dict[str, Deployment]) -> TokenInfo:
    return TokenInfo(deployments["AIUSD"].address, chain.chain_id)


@pytest.fixture(scope="module")
def escrow(
    chain: Chain, aiweb3_home: Path, deployments: dict[str, Deployment], token: TokenInfo
) -> TaskEscrow:
    return TaskEscrow(chain, deployments["TaskEscrow"].address, token)


@pytest.fixture(scope="module")
def attester() -> LocalAccount:
    return Account.create()


@pytest.fixture(scope="module")
def gated(
    chain: Chain, deployer: LocalAccount, attester: LocalAccount, token: TokenInfo
) -> tuple[TaskEscrow, Contract]:
    """A second escrow wired to the test-only inference oracle (stands in for ModelRegistry)."""
    oracle_art = artifact("TestInferenceOracle")
    oracle_addr, _ = chain.deploy(deployer, oracle_art.abi, oracle_art.bytecode, attester.address)
    esc_art = artifact("TaskEscrow")
    addr, _ = chain.deploy(deployer, esc_art.abi, esc_art.bytecode, token.address, oracle_addr, NO_EAS)
    return TaskEscrow(chain, addr, token), chain.contract(oracle_art.abi, oracle_addr)


def _wallet(
    acct: LocalAccount, token: TokenInfo, escrow: TaskEscrow, *peers: str, limit: int = 50_000_000
) -> AgentWallet:
    policy = SpendPolicy(limit, 2 * limit).allowing(
        tokens=[token.address], contracts=[escrow.address], counterparties=[escrow.address, *peers]
    )
    return AgentWallet(acct, policy)


def _balance(chain: Chain, aiusd: Contract, who: str) -> int:
    return int(chain.call(aiusd.functions.balanceOf(who)))


def _skip(chain: Chain, seconds: int) -> None:
    chain.rpc("evm_increaseTime", [seconds])
    chain.rpc("evm_mine", [])


def test_post_accept_deliver_approve_pays_provider(
    chain: Chain, escrow: TaskEscrow, token: TokenInfo, aiusd: Contract, accounts: list[LocalAccount]
) -> None:
    requester, provider, arbiter = accounts[0], accounts[1], accounts[2]
    wallet = _wallet(requester, token, escrow, provider.address)
    before = _balance(chain, aiusd, provider.address)
    task_id = escrow.post(
        wallet, TaskTerms(5_000_000, arbiter.address, provider=provider.address, spec="summarise")
    )
    assert escrow.task(task_id).status is TaskStatus.OPEN
    assert escrow.balance() == escrow.total_escrowed() == 5_000_000
    assert wallet.log.records[-1].kind == "permit" and wallet.log.records[-1].status == "signed"

    with pytest.raises(TransactionReverted) as other:
        escrow.accept(accounts[3], task_id)
    assert other.value.error_name == "NotProvider"
    escrow.accept(provider, task_id)
    escrow.deliver(provider, task_id, "bafkreiresult")
    with pytest.raises(TransactionReverted) as not_req:
        escrow.approve(provider, task_id)
    assert not_req.value.error_name == "NotRequester"
    escrow.approve(wallet, task_id)
    task = escrow.task(task_id)
    assert task.status is TaskStatus.COMPLETED and task.result_cid == "bafkreiresult"
    assert _balance(chain, aiusd, provider.address) == before + 5_000_000
    assert escrow.balance() == 0


def test_budget_over_policy_is_refused_before_signing(
    escrow: TaskEscrow, token: TokenInfo, accounts: list[LocalAccount]
) -> None:
    wallet = _wallet(accounts[0], token, escrow, accounts[1].address, limit=1_000_000)
    with pytest.raises(PolicyViolation, match="per-payment"):
        escrow.post(wallet, TaskTerms(2_000_000, accounts[2].address, provider=accounts[1].address))
    with pytest.raises(PolicyViolation, match="counterparty"):
        escrow.post(wallet, TaskTerms(10, accounts[2].address, provider=accounts[5].address))
    assert escrow.count() == 0
    assert [r.status for r in wallet.log.records] == ["refused", "refused"]


def test_dispute_resolved_by_named_arbiter_only(
    chain: Chain, escrow: TaskEscrow, token: TokenInfo, aiusd: Contract, accounts: list[LocalAccount]
) -> None:
    requester, provider, arbiter = accounts[0], accounts[1], accounts[2]
    wallet = _wallet(requester, token, escrow)
    task_id = escrow.post(wallet, TaskTerms(1_000_000, arbiter.address, spec="open task"))
    escrow.accept(provider, task_id)  # open to anyone
    escrow.deliver(provider, task_id, "bafkreibad")
    escrow.reject(wallet, task_id)
    assert escrow.task(task_id).status is TaskStatus.DISPUTED
    with pytest.raises(TransactionReverted) as who:
        escrow.resolve(requester, task_id, 0)
    assert who.value.error_name == "NotArbiter"
    with pytest.raises(TransactionReverted) as much:
        escrow.resolve(arbiter, task_id, 1_000_001)
    assert much.value.error_name == "ShareTooLarge"
    req0, prov0, arb0 = (_balance(chain, aiusd, a.address) for a in (requester, provider, arbiter))
    escrow.resolve(arbiter, task_id, 300_000)
    assert _balance(chain, aiusd, provider.address) == prov0 + 300_000
    assert _balance(chain, aiusd, requester.address) == req0 + 700_000
    assert _balance(chain, aiusd, arbiter.address) == arb0
    assert escrow.balance() == 0


def test_deadlines_refund_or_pay(
    chain: Chain, escrow: TaskEscrow, token: TokenInfo, aiusd: Contract, accounts: list[LocalAccount]
) -> None:
    requester, provider, arbiter, anyone = accounts[0], accounts[1], accounts[2], accounts[3]
    wallet = _wallet(requester, token, escrow, provider.address)
    terms = TaskTerms(1_000_000, arbiter.address, provider=provider.address, accept_within=100,
                      deliver_within=200, review_window=50, dispute_window=50)  # fmt: skip
    start = _balance(chain, aiusd, requester.address)

    never_accepted = escrow.post(wallet, terms)
    # deadlines count on the node's clock (which a revert may have set behind the wall clock)
    posted_at = int(chain.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    assert 90 <= escrow.task(never_accepted).accept_by - posted_at <= 100
    with pytest.raises(TransactionReverted) as early:
        escrow.refund(anyone, never_accepted)
    assert early.value.error_name == "TooEarly"
    not_delivered = escrow.post(wallet, terms)
    escrow.accept(provider, not_delivered)
    unreviewed = escrow.post(wallet, terms)
    escrow.accept(provider, unreviewed)
    escrow.deliver(provider, unreviewed, "bafkreidone")
    disputed = escrow.post(wallet, terms)
    escrow.accept(provider, disputed)
    escrow.deliver(provider, disputed, "bafkreimeh")
    escrow.reject(wallet, disputed)
    assert escrow.balance() == 4_000_000

    _skip(chain, 250)
    with pytest.raises(TransactionReverted) as late:
        escrow.deliver(provider, not_delivered, "bafkreitoolate")
    assert late.value.error_name == "DeadlinePassed"
    prov0 = _balance(chain, aiusd, provider.address)
    for task_id in (never_accepted, not_delivered, disputed):
        escrow.refund(anyone, task_id)
        assert escrow.task(task_id).status is TaskStatus.REFUNDED
    escrow.claim(anyone, unreviewed)
    assert _balance(chain, aiusd, provider.address) == prov0 + 1_000_000
    assert _balance(chain, aiusd, requester.address) == start - 1_000_000
    assert escrow.balance() == escrow.total_escrowed() == 0


def _attest(
    chain: Chain, oracle: Contract, attester: LocalAccount, model: bytes, instances: list[int]
) -> bytes:
    digest = chain.call(oracle.functions.attestationDigest(model, instances))
    return bytes(attester.sign_message(encode_defunct(primitive=bytes(digest))).signature)


def test_proof_gated_release_pays_without_requester(
    chain: Chain,
    gated: tuple[TaskEscrow, Contract],
    token: TokenInfo,
    attester: LocalAccount,
    aiusd: Contract,
    accounts: list[LocalAccount],
) -> None:
    escrow, oracle = gated
    requester, provider, arbiter = accounts[0], accounts[1], accounts[2]
    wallet = _wallet(requester, token, escrow, provider.address)
    task_id = escrow.post(
        wallet, TaskTerms(2_000_000, arbiter.address, provider=provider.address, model_id=MODEL)
    )
    escrow.accept(provider, task_id)
    instances = [7, 1, 42]
    proof = _attest(chain, oracle, attester, MODEL, instances)

    with pytest.raises(TransactionReverted) as plain:
        escrow.deliver(provider, task_id, "bafkreinoproof")
    assert plain.value.error_name == "ProofRequired"
    tampered = bytearray(proof)
    tampered[5] ^= 1
    with pytest.raises(TransactionReverted) as bad:
        escrow.deliver_with_proof(provider, task_id, "bafkreix", bytes(tampered), instances)
    assert bad.value.error_name == "InferenceNotVerified"
    with pytest.raises(TransactionReverted) as changed:
        escrow.deliver_with_proof(provider, task_id, "bafkreix", proof, [7, 1, 43])
    assert changed.value.error_name == "InferenceNotVerified"
    other_model = _attest(chain, oracle, attester, b"\x22" * 32, instances)
    with pytest.raises(TransactionReverted):
        escrow.deliver_with_proof(provider, task_id, "bafkreix", other_model, instances)

    before = _balance(chain, aiusd, provider.address)
    receipt = escrow.deliver_with_proof(provider, task_id, "bafkreiproven", proof, instances)
    assert chain.events(oracle, "InferenceVerified", receipt)[0]["modelId"] == MODEL
    task = escrow.task(task_id)
    assert task.status is TaskStatus.COMPLETED and task.outputs_hash != b"\0" * 32
    assert _balance(chain, aiusd, provider.address) == before + 2_000_000


def test_escrow_without_verifier_refuses_gated_tasks(
    chain: Chain, deployer: LocalAccount, token: TokenInfo, accounts: list[LocalAccount]
) -> None:
    esc_art = artifact("TaskEscrow")
    zero = "0x0000000000000000000000000000000000000000"
    address, _ = chain.deploy(deployer, esc_art.abi, esc_art.bytecode, token.address, zero, zero)
    bare = TaskEscrow(chain, address, token)
    wallet = _wallet(accounts[0], token, bare)
    with pytest.raises(TransactionReverted) as info:
        bare.post(wallet, TaskTerms(10, accounts[2].address, model_id=MODEL))
    assert info.value.error_name == "NoVerifier"


def test_system_escrow_checks_proofs_with_the_model_registry(
    chain: Chain,
    escrow: TaskEscrow,
    token: TokenInfo,
    deployments: dict[str, Deployment],
    accounts: list[LocalAccount],
) -> None:
    contract = chain.contract(artifact("TaskEscrow").abi, escrow.address)
    assert chain.call(contract.functions.verifier()) == deployments["ModelRegistry"].address
    wallet = _wallet(accounts[0], token, escrow)
    task_id = escrow.post(wallet, TaskTerms(10, accounts[2].address, model_id=MODEL))
    escrow.accept(accounts[1], task_id)
    with pytest.raises(TransactionReverted) as info:
        escrow.deliver_with_proof(accounts[1], task_id, "bafkreix", b"\x01" * 64, [1, 2])
    assert info.value.error_name in {"UnknownModel", "InferenceNotVerified"}, info.value.reason


def test_direct_payment_transactions_are_checked_and_failures_logged(
    chain: Chain, token: TokenInfo, aiusd: Contract, accounts: list[LocalAccount]
) -> None:
    payer, payee = accounts[0], accounts[1]
    policy = SpendPolicy(10**13, 10**13).allowing(tokens=[token.address], counterparties=[payee.address])
    wallet = AgentWallet(payer, policy)
    too_much = 10**13  # within the policy, more than the payer holds
    with pytest.raises(TransactionReverted) as info:
        wallet.transact(chain, aiusd.functions.transfer(payee.address, too_much),
                        Payment("transaction", token.address, payee.address, too_much))  # fmt: skip
    assert info.value.error_name == "ERC20InsufficientBalance"
    assert wallet.log.records[-1].status == "failed" and wallet.spent_today() == 0
    wallet.transact(chain, aiusd.functions.transfer(payee.address, 5), Payment("transaction", token.address,
                                                                               payee.address, 5))  # fmt: skip
    assert wallet.log.records[-1].status == "signed" and wallet.spent_today() == 5
    with pytest.raises(PolicyViolation, match="contract"):
        wallet.transact(
            chain, chain.contract(aiusd.abi, accounts[5].address).functions.transfer(payee.address, 1)
        )
