"""Credit scores across two real local chains (different chain ids): wallets linked with EIP-712
signatures, features from the indexer over both chains, a real ezkl proof of the scoring model
verified through the ModelRegistry, and the lending market lowering the user's requirement."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment, LocalNode, NodeConfig, TxRequest, artifact
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.defi.credit import (
    CreditModel,
    CreditRegistryClient,
    build_credit_model,
    deploy_credit_registry,
    feature_vector,
    wallet_features,
)
from aiweb3.defi.lending import WAD, deploy_market, deploy_test_token
from aiweb3.errors import TransactionReverted
from aiweb3.indexer import Indexer, IndexStore

UNIT = 10**18


@pytest.fixture(scope="module")
def chain_b(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    node = LocalNode(NodeConfig(home=tmp_path_factory.mktemp("chain-b"), chain_id=LOCAL_CHAIN_ID + 1))
    node.start(die_with_parent=True)
    try:
        with Chain(node.url, expected_chain_id=LOCAL_CHAIN_ID + 1) as client:
            yield client
    finally:
        node.stop()


@pytest.fixture(scope="module")
def credit_model(aiweb3_home: Path) -> CreditModel:
    return build_credit_model(aiweb3_home)


def _index(chain: Chain, path: Path) -> IndexStore:
    store = IndexStore(path)
    Indexer(chain, store).run()
    return store


def test_linked_wallets_earn_a_proven_score_that_lowers_the_requirement(
    module_chain_isolation: Chain,
    chain_b: Chain,
    deployer: LocalAccount,
    deployments: dict[str, Deployment],
    accounts: list[LocalAccount],
    credit_model: CreditModel,
    tmp_path: Path,
) -> None:
    chain = module_chain_isolation
    assert chain.chain_id != chain_b.chain_id
    credit_model.register(chain, deployer)
    attester = Account.create()
    registry_addr = deployments["ModelRegistry"].address
    credit = deploy_credit_registry(chain, deployer, credit_model, attester.address, registry_addr)
    weth = deploy_test_token(chain, deployer, "Wrapped Ether", "WETH")
    usd = deploy_test_token(chain, deployer, "Test Dollar", "TUSD")
    art = artifact("TestPriceOracle")
    oracle, _ = chain.deploy(deployer, art.abi, art.bytecode, 2_000 * WAD)
    market = deploy_market(chain, deployer, weth.address, usd.address, oracle, credit_line=credit.address)
    lender, primary, stranger, keeper = accounts[0], accounts[5], accounts[6], accounts[7]
    chain.transact(deployer, usd.functions.mint(lender.address, 10**6 * UNIT))
    market.supply(lender, 10**6 * UNIT)

    # history on chain A: the primary borrows and repays twice
    chain.transact(deployer, weth.functions.mint(primary.address, 10 * UNIT))
    chain.transact(deployer, usd.functions.mint(primary.address, 1_000 * UNIT))
    market.deposit(primary, 10 * UNIT)
    for _ in range(2):
        market.borrow(primary, 1_000 * UNIT)
        market.repay(primary, 1_000 * UNIT)
    # history on chain B: the user's other wallet pays five counterparties
    other = Account.create()
    chain_b.set_balance(other.address, 10 * UNIT)
    for i in range(5):
        chain_b.send(other, TxRequest(Account.create().address, b"", UNIT // 100 * (i + 1)))

    store_a, store_b = _index(chain, tmp_path / "a.duckdb"), _index(chain_b, tmp_path / "b.duckdb")
    counts = wallet_features([(store_a, [primary.address]), (store_b, [other.address])])
    assert counts["counterparties"] >= 5 + 2  # five on B; the market and the tokens on A
    assert counts["repayments"] == 2 and counts["liquidations"] == 0
    features = feature_vector(counts)
    instances = credit_model.quantize(features)

    # no score before the wallets are linked
    as_of = chain.block_time()
    proof = credit.prove(credit_model, features)
    assert proof.instances[:4] == instances
    attestation = credit.attest(attester, primary.address, instances, as_of)
    with pytest.raises(TransactionReverted, match="NotLinked"):
        credit.submit(keeper, primary.address, attestation, as_of, proof)

    credit.link(primary, other, chain_b.chain_id)
    assert credit.linked(primary.address) == [(other.address, chain_b.chain_id)]
    before = market.borrow_limit(primary.address)
    # an attestation made before the link covered other wallets: refused
    with pytest.raises(TransactionReverted, match="BadAttestation"):
        credit.submit(keeper, primary.address, attestation, as_of, proof)
    attestation = credit.attest(attester, primary.address, instances, as_of)
    # a forged score (output instance) does not verify
    forged = proof.__class__(**{**proof.__dict__, "instances": [*instances, proof.instances[4] * 2]})
    with pytest.raises(TransactionReverted, match="InvalidProof"):
        credit.submit(keeper, primary.address, attestation, as_of, forged)
    # features the attester did not sign (another feature vector, honestly proven)
    inflated = [features[0] + 2, *features[1:]]
    with pytest.raises(TransactionReverted, match="BadAttestation"):
        credit.submit(keeper, primary.address, attestation, as_of, credit.prove(credit_model, inflated))
    # a signature from someone who is not the attester
    fake = credit.attest(Account.create(), primary.address, instances, as_of)
    with pytest.raises(TransactionReverted, match="BadAttestation"):
        credit.submit(keeper, primary.address, fake, as_of, proof)

    credit.submit(keeper, primary.address, attestation, as_of, proof)
    _, score = credit.score(primary.address)
    assert score == pytest.approx(proof.outputs[0][0], abs=1e-3)
    assert 0.0 < score <= 1.0
    bonus = credit.credit_bonus(primary.address)
    _, score_wad = chain.call(credit.contract.functions.scores(primary.address))
    assert bonus == score_wad * (WAD // 10) // WAD > 0
    after = market.borrow_limit(primary.address)
    assert after > before
    # 10 WETH at 2,000: 15,000 at the base 0.75, plus the score's share of 0.1
    assert after == 20_000 * UNIT * (75 * WAD // 100 + bonus) // WAD
    # the same proof again (an old asOf) is refused; a stranger with no links gets nothing
    with pytest.raises(TransactionReverted, match="StaleFeatures"):
        credit.submit(keeper, primary.address, attestation, as_of, proof)
    assert credit.credit_bonus(stranger.address) == 0
    assert market.borrow_limit(stranger.address) == 0


def test_links_need_the_wallets_signature_for_this_registry(
    module_chain_isolation: Chain,
    chain_b: Chain,
    deployer: LocalAccount,
    deployments: dict[str, Deployment],
    accounts: list[LocalAccount],
    credit_model: CreditModel,
) -> None:
    chain = module_chain_isolation
    registry_addr = deployments["ModelRegistry"].address
    one = deploy_credit_registry(chain, deployer, credit_model, deployer.address, registry_addr)
    two = deploy_credit_registry(chain, deployer, credit_model, deployer.address, registry_addr)
    primary, thief = accounts[5], accounts[6]

    def send_link(signer: LocalAccount, reg: CreditRegistryClient, who: str, until: int, sig: bytes) -> None:
        chain.transact(signer, reg.contract.functions.link(who, chain_b.chain_id, until, sig))

    wallet = Account.create()
    deadline = chain.block_time() + 600
    signature = one.link_signature(wallet, primary.address, chain_b.chain_id, deadline)
    # replayed on another registry (another EIP-712 domain): refused
    with pytest.raises(TransactionReverted, match="BadLinkSignature"):
        chain.transact(
            primary, two.contract.functions.link(wallet.address, chain_b.chain_id, deadline, signature)
        )
    # claimed by someone the wallet did not name: refused
    with pytest.raises(TransactionReverted, match="BadLinkSignature"):
        chain.transact(
            thief, one.contract.functions.link(wallet.address, chain_b.chain_id, deadline, signature)
        )
    # signed by the primary instead of the wallet: refused
    own = one.link_signature(primary, primary.address, chain_b.chain_id, deadline)
    with pytest.raises(TransactionReverted, match="BadLinkSignature"):
        send_link(primary, one, wallet.address, deadline, own)
    chain.transact(
        primary, one.contract.functions.link(wallet.address, chain_b.chain_id, deadline, signature)
    )
    # replayed (the nonce moved on), and a wallet serves one primary only
    with pytest.raises(TransactionReverted, match="AlreadyLinked"):
        chain.transact(
            primary, one.contract.functions.link(wallet.address, chain_b.chain_id, deadline, signature)
        )
    again = one.link_signature(wallet, thief.address, chain_b.chain_id, deadline)
    with pytest.raises(TransactionReverted, match="AlreadyLinked"):
        send_link(thief, one, wallet.address, deadline, again)
    # an expired consent
    late = one.link_signature(Account.create(), primary.address, chain_b.chain_id, 1)
    with pytest.raises(TransactionReverted, match="Expired"):
        send_link(primary, one, wallet.address, 1, late)
