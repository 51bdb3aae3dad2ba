"""Credit scores across two chains end to end (``aiweb3 defi credit demo``).

Starts a second local node with another chain id next to the local chain, gives a user a
history on both (loans repaid on this chain's market, payments on the other), indexes both
chains, links the wallets with EIP-712 signatures, attests and proves the score, and shows the
market's borrow limit before and after. The second node is stopped at the end.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, LocalNode, NodeConfig, TxRequest, artifact, deploy_system
from aiweb3.defi.credit import build_credit_model, deploy_credit_registry, feature_vector, wallet_features
from aiweb3.defi.lending import WAD, deploy_market, deploy_test_token
from aiweb3.indexer import Indexer, IndexStore

__all__ = ["CreditDemo", "run_credit_demo"]

UNIT = 10**18


@dataclass(frozen=True)
class CreditDemo:
    """What the demo did."""

    chain_ids: tuple[int, int]
    primary: str
    linked: str
    counts: dict[str, int]
    score: float
    bonus: float  # collateral factor added (0.1 = ten points)
    limits: tuple[int, int]  # borrow limit before and after the score
    gas: int  # of the proven submission


def run_credit_demo(
    chain: Chain, deployer: LocalAccount, home: Path, *, on_progress: Callable[[str], None] | None = None
) -> CreditDemo:
    """Run the demo on ``chain`` (local) and a second local node it starts and stops."""
    step = on_progress or (lambda _s: None)
    deployments = deploy_system(chain, deployer, home)
    step("compiling the credit-scoring model")
    model = build_credit_model(home)
    model.register(chain, deployer)
    attester = Account.create()
    credit = deploy_credit_registry(
        chain, deployer, model, attester.address, deployments["ModelRegistry"].address
    )
    weth = deploy_test_token(chain, deployer, "Wrapped Ether", "WETH")
    usd = deploy_test_token(chain, deployer, "Test Dollar", "TUSD")
    oracle_art = artifact("TestPriceOracle")
    oracle, _ = chain.deploy(deployer, oracle_art.abi, oracle_art.bytecode, 2_000 * WAD)
    market = deploy_market(chain, deployer, weth.address, usd.address, oracle, credit_line=credit.address)
    lender, primary = Account.create(), Account.create()
    for who in (lender, primary):
        chain.set_balance(who.address, 10 * UNIT)
    chain.transact(deployer, usd.functions.mint(lender.address, 10**6 * UNIT))
    market.supply(lender, 10**6 * UNIT)
    chain.transact(deployer, weth.functions.mint(primary.address, 10 * UNIT))
    market.deposit(primary, 10 * UNIT)
    step("giving the user a history: three loans repaid on this chain")
    for _ in range(3):
        market.borrow(primary, 1_000 * UNIT)
        market.repay(primary, 1_000 * UNIT)
    with tempfile.TemporaryDirectory(prefix="aiweb3-chain-b-") as tmp:
        other_id = chain.chain_id + 1
        node = LocalNode(NodeConfig(home=Path(tmp), chain_id=other_id, state_interval=3600))
        step(f"starting a second local chain (id {other_id})")
        info = node.start(die_with_parent=True)
        try:
            with Chain(info.url, expected_chain_id=other_id) as chain_b:
                other = Account.create()
                chain_b.set_balance(other.address, 10 * UNIT)
                step("giving the user's other wallet a history there: six payments")
                for i in range(6):
                    chain_b.send(other, TxRequest(Account.create().address, b"", UNIT // 100 * (i + 1)))
                step("indexing both chains")
                with (
                    IndexStore(Path(tmp) / "a.duckdb") as store_a,
                    IndexStore(Path(tmp) / "b.duckdb") as store_b,
                ):
                    Indexer(chain, store_a).run()
                    Indexer(chain_b, store_b).run()
                    counts = wallet_features([(store_a, [primary.address]), (store_b, [other.address])])
        finally:
            node.stop()
    step("linking the wallets (EIP-712 consent of the other wallet)")
    credit.link(primary, other, other_id)
    before = market.borrow_limit(primary.address)
    step("attesting the features, proving the score, submitting both")
    features = feature_vector(counts)
    as_of = chain.block_time()
    attestation = credit.attest(attester, primary.address, model.quantize(features), as_of)
    receipt = credit.submit(primary, primary.address, attestation, as_of, credit.prove(model, features))
    _, score = credit.score(primary.address)
    return CreditDemo(
        (chain.chain_id, other_id),
        primary.address,
        other.address,
        counts,
        score,
        credit.credit_bonus(primary.address) / WAD,
        (before, market.borrow_limit(primary.address)),
        int(receipt["gasUsed"]),
    )
