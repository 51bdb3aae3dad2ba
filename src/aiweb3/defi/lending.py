"""The compact lending market (contracts/src/LendingMarket.sol) from Python.

    market = deploy_market(chain, deployer, collateral, debt, oracle)
    market.supply(lender, 10**24); market.deposit(borrower, 10**21); market.borrow(borrower, 10**23)
    market.health_factor(borrower.address)    # WAD; below 1e18 the position can be liquidated

Tokens are TestTokens (open mint) on local chains; prices come from an ``IPriceOracle``:
``UniV3TwapOracle`` on a Uniswap v3 pool, or ``TestPriceOracle`` (tests only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.chain import Chain, artifact, checksum
from aiweb3.chain.client import Receipt
from aiweb3.errors import InputError

__all__ = [
    "WAD",
    "LendingMarket",
    "MarketFactors",
    "Position",
    "deploy_market",
    "deploy_test_token",
    "deploy_twap_oracle",
]

WAD = 10**18
MAX_UINT = 2**256 - 1


@dataclass(frozen=True)
class MarketFactors:
    """Risk parameters (WADs): borrow up to ``borrow`` of collateral value, liquidatable when
    debt exceeds ``threshold`` of it; a liquidator receives ``bonus`` extra collateral. Borrowers
    pay ``base_rate + rate_slope * utilisation`` a year, which accrues to lenders."""

    borrow: int = 75 * WAD // 100
    threshold: int = 80 * WAD // 100
    bonus: int = 5 * WAD // 100
    base_rate: int = 2 * WAD // 100
    rate_slope: int = 20 * WAD // 100

    def __post_init__(self) -> None:
        if not 0 < self.borrow <= self.threshold:
            raise InputError("the borrow factor must be above 0 and at most the liquidation threshold")
        if (self.threshold + WAD // 10) * (WAD + self.bonus) >= WAD * WAD:
            raise InputError(
                "threshold (+ the 0.1 credit allowance) times 1 + bonus must stay below 1; "
                "lower the threshold or the bonus"
            )
        if self.base_rate < 0 or self.rate_slope < 0 or self.base_rate + self.rate_slope > 10 * WAD:
            raise InputError("interest rates must be non-negative and at most 1000% a year together")


@dataclass(frozen=True)
class Position:
    """One borrower's position."""

    collateral: int
    debt: int
    health_factor: int

    @property
    def health(self) -> float:
        """The health factor as a float (inf without debt)."""
        return float("inf") if self.health_factor == MAX_UINT else self.health_factor / WAD


def deploy_test_token(
    chain: Chain, signer: LocalAccount, name: str, symbol: str, decimals: int = 18
) -> Contract:
    """Deploy an open-mint TestToken (local chains only)."""
    art = artifact("TestToken")
    address, _ = chain.deploy(signer, art.abi, art.bytecode, name, symbol, decimals)
    return chain.contract(art.abi, address)


def deploy_twap_oracle(
    chain: Chain, signer: LocalAccount, pool: str, collateral: str, window: int
) -> Contract:
    """Deploy a UniV3TwapOracle over ``pool`` pricing ``collateral``, averaged over ``window`` s."""
    if window <= 0:
        raise InputError("the TWAP window must be a positive number of seconds")
    art = artifact("UniV3TwapOracle")
    address, _ = chain.deploy(signer, art.abi, art.bytecode, checksum(pool), checksum(collateral), window)
    return chain.contract(art.abi, address)


class LendingMarket:
    """Client of one deployed LendingMarket."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.contract: Contract = chain.contract(artifact("LendingMarket").abi, address)
        self.address = self.contract.address
        token_abi = artifact("TestToken").abi
        self.collateral = chain.contract(token_abi, chain.call(self.contract.functions.collateralToken()))
        self.debt = chain.contract(token_abi, chain.call(self.contract.functions.debtToken()))

    def _approve(self, signer: LocalAccount, token: Contract, amount: int) -> None:
        allowance = int(self.chain.call(token.functions.allowance(signer.address, self.address)))
        if allowance < amount:
            self.chain.transact(signer, token.functions.approve(self.address, MAX_UINT))

    def supply(self, lender: LocalAccount, amount: int) -> Receipt:
        """Lend ``amount`` debt tokens (approves the market first when needed)."""
        self._approve(lender, self.debt, amount)
        return self.chain.transact(lender, self.contract.functions.supply(amount))

    def withdraw_supply(self, lender: LocalAccount, amount: int) -> Receipt:
        """Take back ``amount`` of what ``lender`` supplied (interest included)."""
        return self.chain.transact(lender, self.contract.functions.withdrawSupply(amount))

    def supplied(self, lender: str) -> int:
        """``lender``'s part of cash plus debt now, interest included."""
        return int(self.chain.call(self.contract.functions.suppliedOf(checksum(lender))))

    def rates(self) -> dict[str, int]:
        """Utilisation and the yearly borrow and supply rates now (WADs)."""
        fns = self.contract.functions
        return {
            "utilisation": int(self.chain.call(fns.utilisation())),
            "borrow_rate": int(self.chain.call(fns.borrowRate())),
            "supply_rate": int(self.chain.call(fns.supplyRate())),
        }

    def deposit(self, borrower: LocalAccount, amount: int, on_behalf_of: str | None = None) -> Receipt:
        """Lock ``amount`` collateral (for ``on_behalf_of``, by default the signer)."""
        self._approve(borrower, self.collateral, amount)
        owner = checksum(on_behalf_of or borrower.address)
        return self.chain.transact(borrower, self.contract.functions.depositCollateral(owner, amount))

    def borrow(self, borrower: LocalAccount, amount: int) -> Receipt:
        """Borrow ``amount`` debt tokens."""
        return self.chain.transact(borrower, self.contract.functions.borrow(amount))

    def repay(self, payer: LocalAccount, amount: int, borrower: str | None = None) -> Receipt:
        """Repay up to ``amount`` of ``borrower``'s debt (by default the payer's own)."""
        self._approve(payer, self.debt, amount)
        owner = checksum(borrower or payer.address)
        return self.chain.transact(payer, self.contract.functions.repay(owner, amount))

    def liquidate(self, liquidator: LocalAccount, borrower: str, amount: int) -> Receipt:
        """Repay ``amount`` of an unhealthy position and seize collateral plus the bonus."""
        self._approve(liquidator, self.debt, amount)
        return self.chain.transact(liquidator, self.contract.functions.liquidate(checksum(borrower), amount))

    def max_liquidation(self, borrower: str) -> int:
        """The most a liquidation may repay now (half the debt; all of it below dust)."""
        debt = int(self.chain.call(self.contract.functions.debtOf(checksum(borrower))))
        return debt if debt <= 10**6 else debt // 2

    def position(self, borrower: str) -> Position:
        """Collateral, debt and health factor of ``borrower``."""
        who = checksum(borrower)
        fns = self.contract.functions
        return Position(
            collateral=int(self.chain.call(fns.collateralOf(who))),
            debt=int(self.chain.call(fns.debtOf(who))),
            health_factor=int(self.chain.call(fns.healthFactor(who))),
        )

    def health_factor(self, borrower: str) -> int:
        """The health factor (WAD; type(uint256).max without debt)."""
        return int(self.chain.call(self.contract.functions.healthFactor(checksum(borrower))))

    def borrow_limit(self, borrower: str) -> int:
        """The most ``borrower`` may owe at the current price."""
        return int(self.chain.call(self.contract.functions.borrowLimit(checksum(borrower))))

    def totals(self) -> dict[str, int]:
        """Market-wide totals: collateral, debt, supplied, cash."""
        fns = self.contract.functions
        return {
            "collateral": int(self.chain.call(fns.totalCollateral())),
            "debt": int(self.chain.call(fns.totalDebt())),
            "supplied": int(self.chain.call(fns.totalSupplied())),
            "cash": int(self.chain.call(fns.cash())),
        }


def deploy_market(
    chain: Chain,
    signer: LocalAccount,
    collateral: str,
    debt: str,
    oracle: str,
    *,
    credit_line: str | None = None,
    factors: MarketFactors | None = None,
) -> LendingMarket:
    """Deploy a LendingMarket; ``credit_line`` (a CreditRegistry) may lower users' requirements."""
    f = factors or MarketFactors()
    art = artifact("LendingMarket")
    args: list[Any] = [
        checksum(collateral),
        checksum(debt),
        checksum(oracle),
        checksum(credit_line) if credit_line else "0x" + "00" * 20,
        f.borrow,
        f.threshold,
        f.bonus,
        f.base_rate,
        f.rate_slope,
    ]
    address, _ = chain.deploy(signer, art.abi, art.bytecode, *args)
    return LendingMarket(chain, address)
