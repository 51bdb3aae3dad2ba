"""One stress path: a price path, the arbitrageur, liquidators, flash liquidators and an oracle
manipulator acting block by block on the real pool and lending market.

Each step is one block at an exact time in which the arbitrageur moves the pool to the path's
external price, then (one second later) a block of liquidations: every liquidator that finds an
unhealthy position it can liquidate at a profit sends its transactions; their order in the block
is drawn from the seed (who wins the race), so the losers' liquidations revert. A flash
liquidator holds no capital: within its block it borrows the debt token from a flash lender,
liquidates, sells the collateral it seized on the pool and pays the loan back with a fee. Once
per path the manipulator buys collateral on the pool until its spot price is ``push`` times higher
(block A), and ``hold`` seconds later (block B: as a proposer of two consecutive blocks, nobody
trades in between) deposits collateral, borrows all the TWAP oracle allows and sells back what it
bought. It keeps the loan (walks away) when the loan is worth more than its collateral at the
external price, and otherwise repays and takes its collateral back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from eth_abi import decode

from aiweb3.defi import PoolState, simulate_swap, swap_request
from aiweb3.defi.market import MarketConfig, MarketSimulator
from aiweb3.defi.v3math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from aiweb3.errors import InputError
from aiweb3.redteam.stress_chain import WAD, BlockSender, Call, Tx, call_of, read_calls, twap_price_at, tx_of
from aiweb3.redteam.stress_setup import UNIT, PointMarket, Stage

__all__ = ["AttackResult", "PathResult", "run_path"]

_CLOSE_FACTOR = WAD // 2
_DUST = 10**6


@dataclass
class AttackResult:
    """What the oracle manipulator did on one path."""

    step: int
    twap_move: float  # oracle price when borrowing / before the push - 1
    borrowed: float  # TUSD
    walked_away: bool
    profit: float = 0.0  # TUSD, marked at the path's last external price (gas excluded)


@dataclass
class PathResult:
    """One path under one grid point."""

    run_id: str
    index: int
    seed: int
    shock: float  # the crash's size (0: no crash)
    min_price: float  # lowest external price / start
    end_price: float  # last external price / start
    liquidations: int = 0
    lost_races: int = 0
    insolvent_debt: float = 0.0  # TUSD owed beyond the collateral's value at the last price
    insolvent_manipulator: float = 0.0  # the part of it the manipulator left
    lender_loss: float = 0.0  # insolvent debt / supply
    profits: dict[str, float] = field(default_factory=dict)  # TUSD per agent, gas excluded
    wins: dict[str, int] = field(default_factory=dict)  # liquidations won per agent
    attack: AttackResult | None = None


def _uint(raw: bytes) -> int:
    return int.from_bytes(raw[:32], "big")


class _Path:
    """The state of one path while it runs."""

    def __init__(
        self, stage: Stage, pm: PointMarket, sender: BlockSender, prices: np.ndarray, seed: int
    ) -> None:
        self.stage, self.pm, self.sender = stage, pm, sender
        self.chain = stage.chain
        self.v3 = stage.market
        self.base0 = self.v3.base_is_token0
        self.prices = prices
        self.rng = np.random.default_rng([stage.config.seed, seed, 0x5EED])
        self.fns = pm.lending.contract.functions
        a = stage.actors
        self.tracked = [*a.borrowers, a.attacker]
        self.arb = MarketSimulator(self.chain, self.v3, a.trader, MarketConfig(noise_per_step=0.0), seed)
        self.loans_unpaid: dict[str, int] = {}
        self.liquidations = 0
        self.lost = 0
        self.wins: dict[str, int] = {}

    # -- reads ----------------------------------------------------------------
    def positions(self) -> list[tuple[int, int]]:
        calls: list[Call] = []
        for acct in self.tracked:
            calls += [call_of(self.fns.collateralOf(acct.address)), call_of(self.fns.debtOf(acct.address))]
        raw = read_calls(self.chain, calls, batched=self.sender.batched)
        return [(_uint(raw[i]), _uint(raw[i + 1])) for i in range(0, len(raw), 2)]

    def balances(self) -> dict[str, tuple[int, int]]:
        named = self.stage.actors.named()
        teth, tusd = self.stage.token(True), self.stage.token(False)
        calls: list[Call] = []
        for acct in named.values():
            calls += [
                call_of(teth.functions.balanceOf(acct.address)),
                call_of(tusd.functions.balanceOf(acct.address)),
            ]
        raw = read_calls(self.chain, calls, batched=self.sender.batched)
        return {name: (_uint(raw[2 * i]), _uint(raw[2 * i + 1])) for i, name in enumerate(named)}

    def oracle_price_in(self, dt: int, tick: int) -> int:
        """The oracle's price ``dt`` seconds after the latest block, the tick staying ``tick``."""
        window = self.pm.point.window
        back = max(window - dt, 0)
        pool = self.v3.pool.contract.functions
        (cums, _) = decode(
            ["int56[]", "uint160[]"],
            read_calls(self.chain, [call_of(pool.observe([0, back]))], batched=self.sender.batched)[0],
        )
        return twap_price_at(int(cums[0]), int(cums[1]), tick, dt, window, self.base0)

    # -- swaps ----------------------------------------------------------------
    def _sale(self, state: PoolState, amount: int) -> int:
        """TUSD a sale of ``amount`` collateral gets on ``state`` (0 when it cannot)."""
        if amount <= 0:
            return 0
        try:
            r = simulate_swap(state, self.base0, amount)
        except InputError:
            return 0
        return -(r.amount1 if self.base0 else r.amount0)

    def _sell(self, who: str, amount: int, min_out: int, label: str) -> Tx:
        acct = self.stage.actors.named()[who]
        req = swap_request(
            self.chain, self.v3.uni, self.v3.pool, acct.address,
            zero_for_one=self.base0, amount_in=amount, min_out=min_out,
        )  # fmt: skip
        return Tx(acct, req, label)

    # -- agents ---------------------------------------------------------------
    def step_prices(self, external: float, t: int) -> PoolState:
        """The arbitrageur's block: the pool moves to the edge of the band around ``external``."""
        state = self.v3.pool.state()
        requests, predicted, _ = self.arb.plan(state, [external])
        ok = self.sender.mine([Tx(self.stage.actors.trader, r, "arbitrage") for r in requests], t)
        return predicted if all(ok) else self.v3.pool.state()

    def liquidations_block(self, state: PoolState, t: int, step: int) -> None:
        """Every profitable liquidation each liquidator sees, raced in one block at ``t``."""
        price = self.oracle_price_in(1, state.tick)
        pm, cfg = self.pm, self.stage.config
        a = self.stage.actors
        txs: list[Tx] = []
        paybacks: dict[str, int] = {}
        for who_acct, (held, debt) in zip(self.tracked, self.positions(), strict=True):
            if debt == 0 or held * price * pm.threshold // (WAD * debt) >= WAD:
                continue
            repay = debt if debt <= _DUST else debt * _CLOSE_FACTOR // WAD
            seized = repay * (WAD + pm.bonus) // price
            if seized > held:
                seized = held
                repay = min(debt, -(-held * price // (WAD + pm.bonus)))
            proceeds = self._sale(state, seized)
            racers: list[str] = []
            for i in range(len(a.liquidators)):
                if proceeds - repay > repay * 2 * i // 1000:  # liquidator i wants 0.2% * i at least
                    racers.append(f"liquidator{i}")
            fee = int(repay * cfg.flash_fee)
            for i in range(len(a.flash)):
                if proceeds - repay > fee:
                    racers.append(f"flash{i}")
            order = [racers[j] for j in self.rng.permutation(len(racers))]
            for who in order:
                acct = a.named()[who]
                tag = f"{who}:{who_acct.address}"
                tusd = self.stage.token(False).functions
                if who.startswith("flash"):
                    txs.append(tx_of(a.flash_lender, tusd.transfer(acct.address, repay), f"loan:{tag}"))
                txs.append(tx_of(acct, self.fns.liquidate(who_acct.address, repay), f"liquidate:{tag}"))
                txs.append(self._sell(who, seized, proceeds * 95 // 100, f"sell:{tag}"))
                if who.startswith("flash"):
                    paybacks[tag] = repay + fee
                    txs.append(
                        tx_of(acct, tusd.transfer(a.flash_lender.address, repay + fee), f"payback:{tag}")
                    )
        if not txs:
            return
        ok = self.sender.mine(txs, t)
        open_loans: dict[str, int] = {}
        for tx, done in zip(txs, ok, strict=True):
            kind, _, tag = tx.label.partition(":")
            who = tag.split(":")[0]
            if kind == "liquidate":
                if done:
                    self.liquidations += 1
                    self.wins[who] = self.wins.get(who, 0) + 1
                else:
                    self.lost += 1
            elif kind == "loan" and done:
                open_loans[tag] = paybacks[tag]
            elif kind == "payback" and done:
                open_loans.pop(tag, None)
        for tag, owed in open_loans.items():  # a loan not paid back within its block
            who = tag.split(":")[0]
            self.loans_unpaid[who] = self.loans_unpaid.get(who, 0) + owed

    def attack(self, t: int, step: int) -> AttackResult:
        """The manipulator's two blocks (and a third to close a position not worth keeping)."""
        cfg, pm = self.stage.config, self.pm
        atk = self.stage.actors.attacker
        state = self.v3.pool.state()
        before = self.oracle_price_in(1, state.tick)
        buy_zero = not self.base0  # buying collateral pays the other token
        raw_target = (state.sqrt_price_x96 / 2**96) ** 2 * (cfg.push if self.base0 else 1 / cfg.push)
        limit = max(MIN_SQRT_RATIO + 1, min(MAX_SQRT_RATIO - 1, int(raw_target**0.5 * 2**96)))
        pushed = simulate_swap(state, buy_zero, 2**200, limit)
        paid = pushed.amount0 if buy_zero else pushed.amount1
        pushed = simulate_swap(state, buy_zero, paid, limit)
        bought = -(pushed.amount1 if buy_zero else pushed.amount0)
        push = swap_request(
            self.chain, self.v3.uni, self.v3.pool, atk.address,
            zero_for_one=buy_zero, amount_in=paid, min_out=0, sqrt_price_limit_x96=limit,
        )  # fmt: skip
        self.sender.mine([Tx(atk, push, "push")], t)
        price = self.oracle_price_in(cfg.hold, pushed.state.tick)
        collateral = int(cfg.attack_collateral * UNIT)
        cash = _uint(read_calls(self.chain, [call_of(self.fns.cash())], batched=self.sender.batched)[0])
        amount = min(collateral * price * pm.borrow_factor // (WAD * WAD), cash) * 999 // 1000
        txs = [
            tx_of(atk, self.fns.depositCollateral(atk.address, collateral), "deposit"),
            tx_of(atk, self.fns.borrow(amount), "borrow"),
            Tx(atk, swap_request(
                self.chain, self.v3.uni, self.v3.pool, atk.address,
                zero_for_one=self.base0, amount_in=bought, min_out=0,
            ), "unwind"),
        ]  # fmt: skip
        ok = self.sender.mine(txs, t + cfg.hold)
        borrowed = amount if ok[1] else 0
        external = int(self.prices[step] * 10**6) * 10**12
        keep = borrowed * WAD > collateral * external
        if not keep:
            close = [tx_of(atk, self.fns.withdrawCollateral(collateral), "withdraw")]
            if borrowed:
                close.insert(0, tx_of(atk, self.fns.repay(atk.address, borrowed), "repay"))
            self.sender.mine(close, t + cfg.hold + 1)
        return AttackResult(step, price / before - 1.0, borrowed / UNIT, keep)


def shocked_prices(stage: Stage, base: np.ndarray, index: int) -> tuple[np.ndarray, float, int]:
    """``base`` with a crash on a share of the paths: (prices, crash size, the manipulator's step)."""
    cfg = stage.config
    rng = np.random.default_rng([cfg.seed, index, 0xC4A5])
    prices = base.copy()
    shock = 0.0
    if rng.random() < cfg.shock_probability:
        shock = float(rng.uniform(*cfg.shock))
        at = int(rng.integers(2, max(3, cfg.steps // 2)))
        prices[at:] *= 1.0 - shock
    attack_step = int(rng.integers(1, cfg.steps - 1)) if cfg.manipulator else -1
    return prices, shock, attack_step


def run_path(
    stage: Stage, pm: PointMarket, sender: BlockSender, base: np.ndarray, index: int, seed: int
) -> PathResult:
    """Run path ``index`` (external prices ``base`` before the crash) from the current chain
    state, which must be the grid point's snapshot; automine must be off."""
    cfg = stage.config
    prices, shock, attack_step = shocked_prices(stage, base, index)
    path = _Path(stage, pm, sender, prices, seed)
    start = path.balances()
    t0 = int(stage.chain.rpc("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    attack: AttackResult | None = None
    for k in range(1, cfg.steps + 1):
        t = t0 + k * cfg.step_seconds
        state = path.step_prices(float(prices[k]), t)
        path.liquidations_block(state, t + 1, k)
        if k == attack_step:
            attack = path.attack(t + 2, k)
    end_price = float(prices[-1])
    end_wad = int(end_price * 10**6) * 10**12
    result = PathResult(
        run_id=f"{pm.point.label}/p{index}",
        index=index,
        seed=seed,
        shock=round(shock, 6),
        min_price=round(float(prices.min() / prices[0]), 6),
        end_price=round(end_price / float(prices[0]), 6),
        liquidations=path.liquidations,
        lost_races=path.lost,
        wins=dict(sorted(path.wins.items())),
    )
    for acct, (held, debt) in zip(path.tracked, path.positions(), strict=True):
        gap = max(0, debt - held * end_wad // WAD) / UNIT
        result.insolvent_debt += gap
        if acct.address == stage.actors.attacker.address:
            result.insolvent_manipulator = round(gap, 6)
    result.insolvent_debt = round(result.insolvent_debt, 6)
    result.lender_loss = round(result.insolvent_debt / cfg.supply, 9)
    end = path.balances()
    for name, (teth0, tusd0) in start.items():
        teth1, tusd1 = end[name]
        value = (tusd1 - tusd0) + (teth1 - teth0) * end_wad // WAD
        value -= path.loans_unpaid.get(name, 0)
        result.profits[name] = round(value / UNIT, 6)
    if attack is not None:
        attack.profit = result.profits["manipulator"]
        result.attack = attack
    return result
