"""The stage of a stress run: the real pool, the agents' funded accounts, one market per grid point.

Everything is deployed from the shipped bytecode: Uniswap v3 with the TETH/TUSD pool
(:func:`aiweb3.defi.defi_up`), a ``UniV3TwapOracle`` over it and a ``LendingMarket`` per grid
point. Agent accounts are derived from fixed labels, so a run on a fresh node is the same run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract

from aiweb3.chain import Chain, TxRequest, artifact, encode_call
from aiweb3.defi import LocalMarket, PoolState, defi_up
from aiweb3.defi.lending import LendingMarket, MarketFactors, deploy_market, deploy_twap_oracle
from aiweb3.redteam.stress_chain import WAD
from aiweb3.redteam.stress_config import GridPoint, StressConfig

__all__ = ["UNIT", "Actors", "PointMarket", "Stage", "prepare_point", "prepare_stage", "wad"]

UNIT = 10**18
_MAX = 2**256 - 1
_ETH = 100 * UNIT
#: gas for setup sends whose later requests depend on earlier ones (no estimates then)
_GAS = 400_000


def wad(x: float) -> int:
    """A fraction as a WAD, exact to 1e-6 (0.8 -> 8e17)."""
    return round(x * 10**6) * 10**12


def _account(label: str) -> LocalAccount:
    acct: LocalAccount = Account.from_key(keccak(text=f"aiweb3 redteam stress {label}"))
    return acct


@dataclass(frozen=True)
class Actors:
    """Who acts in the simulation."""

    deployer: LocalAccount
    trader: LocalAccount  # the arbitrageur keeping the pool on the external price
    lender: LocalAccount
    borrowers: list[LocalAccount]
    liquidators: list[LocalAccount]
    flash: list[LocalAccount]
    flash_lender: LocalAccount
    attacker: LocalAccount

    def named(self) -> dict[str, LocalAccount]:
        """The competing agents by name (whose profit is reported)."""
        out = {f"liquidator{i}": a for i, a in enumerate(self.liquidators)}
        out.update({f"flash{i}": a for i, a in enumerate(self.flash)})
        out["manipulator"] = self.attacker
        return out


@dataclass(frozen=True)
class Stage:
    """The pool and funded agents, shared by every grid point."""

    chain: Chain
    config: StressConfig
    market: LocalMarket
    actors: Actors
    utilisation: list[float]  # each borrower's share of its borrow limit

    def token(self, base: bool) -> Contract:
        """The base (TETH, collateral) or quote (TUSD, debt) token contract."""
        info = self.market.base if base else self.market.quote
        return self.chain.contract(artifact("TestToken").abi, info.address)


@dataclass(frozen=True)
class PointMarket:
    """One grid point's oracle and lending market, with the borrowers' positions open."""

    point: GridPoint
    oracle: Contract
    lending: LendingMarket
    threshold: int  # WADs
    borrow_factor: int
    bonus: int
    pool_state: PoolState  # the pool with its initialized ticks (no one mints during a path)


def prepare_stage(chain: Chain, deployer: LocalAccount, home: Path, config: StressConfig) -> Stage:
    """Deploy Uniswap v3 and the pool (in ``home``), fund and approve every agent, and give the
    pool's accumulator enough history for the longest TWAP window."""
    market = defi_up(chain, deployer, home, price=config.price, seed_base=int(config.pool_depth * UNIT))
    actors = Actors(
        deployer=deployer,
        trader=_account("trader"),
        lender=_account("lender"),
        borrowers=[_account(f"borrower{i}") for i in range(config.borrowers)],
        liquidators=[_account(f"liquidator{i}") for i in range(config.liquidators)],
        flash=[_account(f"flash{i}") for i in range(config.flash_liquidators)],
        flash_lender=_account("flash-lender"),
        attacker=_account("manipulator"),
    )
    base, quote = market.base.address, market.quote.address
    token_abi = artifact("TestToken").abi
    teth, tusd = chain.contract(token_abi, base), chain.contract(token_abi, quote)
    depth = int(config.pool_depth * UNIT)
    price = int(config.price)
    grants: list[tuple[Contract, LocalAccount, int]] = [
        (teth, actors.trader, 100 * depth),
        (tusd, actors.trader, 100 * depth * price),
        (tusd, actors.lender, int(config.supply * UNIT)),
        (tusd, actors.flash_lender, 10 * int(config.supply * UNIT)),
        (tusd, actors.attacker, 2 * depth * price),
        (teth, actors.attacker, int(config.attack_collateral * UNIT)),
    ]
    grants += [(teth, b, int(config.collateral * UNIT)) for b in actors.borrowers]
    grants += [(tusd, liq, int(config.supply * UNIT) // 2) for liq in actors.liquidators]
    everyone = [actors.trader, actors.lender, actors.flash_lender, actors.attacker]
    everyone += actors.borrowers + actors.liquidators + actors.flash
    for acct in everyone:
        chain.set_balance(acct.address, _ETH)
    mints = [
        TxRequest(tok.address, encode_call(tok.functions.mint(who.address, amt))) for tok, who, amt in grants
    ]
    chain.bulk_send(deployer, mints).raise_on_failure()
    router = market.uni.router
    for acct in [actors.trader, actors.attacker, *actors.liquidators, *actors.flash]:
        approvals = [
            TxRequest(t.address, encode_call(t.functions.approve(router, _MAX))) for t in (teth, tusd)
        ]
        chain.bulk_send(acct, approvals).raise_on_failure()
    longest = 3600 * 6
    chain.rpc("evm_increaseTime", [longest])
    chain.rpc("evm_mine", [])
    rng = np.random.default_rng([config.seed, 0xB0])
    low, high = config.utilisation
    utilisation = [float(u) for u in rng.uniform(low, high, config.borrowers)]
    return Stage(chain, config, market, actors, utilisation)


def prepare_point(stage: Stage, point: GridPoint) -> PointMarket:
    """Deploy the oracle and market of ``point``; the lender supplies, borrowers open positions."""
    chain, actors, v3 = stage.chain, stage.actors, stage.market
    deployer = actors.deployer
    oracle = deploy_twap_oracle(chain, deployer, v3.pool.address, v3.base.address, point.window)
    factors = MarketFactors(wad(point.collateral_factor), wad(point.threshold), wad(point.bonus))
    lending = deploy_market(
        chain, deployer, v3.base.address, v3.quote.address, oracle.address, factors=factors
    )
    teth, tusd = stage.token(True), stage.token(False)
    market = lending.address

    def approve(token: Contract) -> TxRequest:
        return TxRequest(token.address, encode_call(token.functions.approve(market, _MAX)))

    supply = int(stage.config.supply * UNIT)
    fns = lending.contract.functions
    chain.bulk_send(
        actors.lender, [approve(tusd), TxRequest(market, encode_call(fns.supply(supply)))], gas=_GAS
    ).raise_on_failure()
    for acct in [*actors.liquidators, *actors.flash]:
        chain.bulk_send(acct, [approve(tusd)]).raise_on_failure()
    chain.bulk_send(actors.attacker, [approve(tusd), approve(teth)]).raise_on_failure()
    price = int(chain.call(oracle.functions.price()))
    collateral = int(stage.config.collateral * UNIT)
    limit = collateral * price * factors.borrow // (WAD * WAD)
    for borrower, share in zip(actors.borrowers, stage.utilisation, strict=True):
        owner = borrower.address
        reqs = [
            approve(teth),
            TxRequest(market, encode_call(fns.depositCollateral(owner, collateral))),
            TxRequest(market, encode_call(fns.borrow(int(limit * share)))),
        ]
        chain.bulk_send(borrower, reqs, gas=_GAS).raise_on_failure()
    state = v3.pool.state()
    return PointMarket(point, oracle, lending, factors.threshold, factors.borrow, factors.bonus, state)
