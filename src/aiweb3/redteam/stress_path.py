"""One stress path: a price path, the arbitrageur, liquidators, flash liquidators and an oracle
manipulator acting block by block on the real pool and lending market.

Each step is a block at an exact time in which the arbitrageur moves the pool to the edge of the
no-arbitrage band around the path's external price, then (one second later) a block of
liquidations: every liquidator that finds an unhealthy position it can liquidate at a profit
sends its transactions, choosing the repayment (the close factor's maximum or a fraction of it)
that earns most once the seized collateral is sold on the pool; their order in the block is drawn
from the seed (who wins the race), so losers revert. A flash liquidator holds no capital: within
its block it borrows the debt token from a flash lender, liquidates, sells the collateral and pays
the loan back with a fee. Once per path the manipulator buys collateral on the pool until its spot
price is ``push`` times higher (block A), and ``hold`` seconds later (block B: as a proposer of two
consecutive blocks, nobody trades in between) deposits collateral, borrows all the TWAP oracle
allows and sells back what it bought. It keeps the loan (walks away) when the loan is worth more
than its collateral at the external price, and otherwise repays and takes its collateral back.

Every swap is planned with the exact v3 math (:func:`aiweb3.defi.simulate_swap`) and every oracle
price predicted to the wei, so the agents act on what the chain will do.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from eth_abi import decode
from eth_account.signers.local import LocalAccount

from aiweb3.chain import TxRequest
from aiweb3.defi import PoolState, simulate_swap, sqrt_ratio_at_tick
from aiweb3.errors import InputError
from aiweb3.redteam.stress_chain import WAD, BlockSender, Call, Tx, abi_call, read_calls, twap_price_at
from aiweb3.redteam.stress_setup import UNIT, PointMarket, Stage

__all__ = ["AttackResult", "PathResult", "run_path"]

_CLOSE_FACTOR = WAD // 2
_DUST = 10**6
_NO_DEADLINE = 2**64 - 1
#: the pool's price limits (TickMath.MIN_SQRT_RATIO, MAX_SQRT_RATIO)
_MIN_SQRT, _MAX_SQRT = sqrt_ratio_at_tick(-887_272), sqrt_ratio_at_tick(887_272)
#: repayments a liquidator considers: the close factor's maximum divided by 1, 2, 4, ... 64
_LADDER = 7


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


def _wad_of(x: float) -> int:
    return int(x * 10**6) * 10**12


class _Path:
    """The state of one path while it runs."""

    def __init__(
        self, stage: Stage, pm: PointMarket, sender: BlockSender, prices: np.ndarray, seed: int
    ) -> None:
        self.stage, self.pm, self.sender = stage, pm, sender
        self.prices = prices
        self.rng = np.random.default_rng([stage.config.seed, seed, 0x5EED])
        v3 = stage.market
        self.base0 = v3.base_is_token0
        self.pool = v3.pool.address
        self.router = v3.uni.router
        self.teth, self.tusd = v3.base.address, v3.quote.address
        self.market = pm.lending.address
        a = stage.actors
        self.named: dict[str, LocalAccount] = a.named()
        self.tracked = [*a.borrowers, a.attacker]
        self.state = pm.pool_state
        self._observed = b""
        self.loans_unpaid: dict[str, int] = {}
        self.liquidations = 0
        self.lost = 0
        self.wins: dict[str, int] = {}

    # -- reads ----------------------------------------------------------------
    def _read(self, calls: list[Call]) -> list[bytes]:
        return read_calls(self.stage.chain, calls, batched=self.sender.batched)

    def position_calls(self) -> list[Call]:
        out: list[Call] = []
        for acct in self.tracked:
            out.append(Call(self.market, abi_call("collateralOf(address)", acct.address)))
            out.append(Call(self.market, abi_call("debtOf(address)", acct.address)))
        return out

    @staticmethod
    def positions(raw: list[bytes]) -> list[tuple[int, int]]:
        return [(_uint(raw[i]), _uint(raw[i + 1])) for i in range(0, len(raw), 2)]

    def balances(self) -> dict[str, tuple[int, int]]:
        calls: list[Call] = []
        for acct in self.named.values():
            calls.append(Call(self.teth, abi_call("balanceOf(address)", acct.address)))
            calls.append(Call(self.tusd, abi_call("balanceOf(address)", acct.address)))
        raw = self._read(calls)
        return {name: (_uint(raw[2 * i]), _uint(raw[2 * i + 1])) for i, name in enumerate(self.named)}

    def observe_call(self, dt: int) -> Call:
        """The pool's accumulator now and ``window - dt`` seconds ago (see :func:`twap_price_at`)."""
        back = max(self.pm.point.window - dt, 0)
        return Call(self.pool, abi_call("observe(uint32[])", [0, back]))

    def oracle_price(self, observed: bytes, dt: int, tick: int) -> int:
        """The oracle's price ``dt`` seconds after the latest block, the tick staying ``tick``."""
        cums, _ = decode(["int56[]", "uint160[]"], observed)
        return twap_price_at(int(cums[0]), int(cums[1]), tick, dt, self.pm.point.window, self.base0)

    def state_calls(self) -> list[Call]:
        return [Call(self.pool, abi_call("slot0()")), Call(self.pool, abi_call("liquidity()"))]

    def set_state(self, raw: list[bytes]) -> None:
        sqrt, tick = decode(["uint160", "int24"], raw[0][:64])
        self.state = replace(self.state, sqrt_price_x96=int(sqrt), tick=int(tick), liquidity=_uint(raw[1]))

    # -- swaps ----------------------------------------------------------------
    def swap(
        self, who: LocalAccount, zero_for_one: bool, amount: int, min_out: int, limit: int, label: str
    ) -> Tx:
        token_in, token_out = (self.teth, self.tusd) if zero_for_one == self.base0 else (self.tusd, self.teth)
        params = (token_in, token_out, self.state.fee, who.address, _NO_DEADLINE, amount, min_out, limit)
        data = abi_call(
            "exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,uint160))", params
        )
        return Tx(who, TxRequest(self.router, data), label)

    def plan(self, state: PoolState, zero_for_one: bool, limit: int) -> tuple[int, int, PoolState] | None:
        """Input, output and state of a swap to ``limit`` (the input it uses, exactly)."""
        try:
            r = simulate_swap(state, zero_for_one, 2**200, limit)
            used = r.amount0 if zero_for_one else r.amount1
            if used <= 0:
                return None
            r = simulate_swap(state, zero_for_one, used, limit)
        except InputError:
            return None
        out = -(r.amount1 if zero_for_one else r.amount0)
        return (used, out, r.state) if out > 0 else None

    def _sqrt_for(self, base_price: float) -> int:
        raw = base_price if self.base0 else 1 / base_price
        return max(_MIN_SQRT + 1, min(_MAX_SQRT - 1, int(raw**0.5 * 2**96)))

    def _sale(self, amount: int) -> int:
        """TUSD a sale of ``amount`` collateral gets from the pool now (0 when it cannot)."""
        if amount <= 0:
            return 0
        try:
            r = simulate_swap(self.state, self.base0, amount)
        except InputError:
            return 0
        return -(r.amount1 if self.base0 else r.amount0)

    # -- agents ---------------------------------------------------------------
    def arbitrage(self, external: float, t: int) -> list[tuple[int, int]]:
        """The arbitrageur's block; returns the positions read after it."""
        fee = self.state.fee / 1_000_000
        pool = (self.state.sqrt_price_x96 / 2**96) ** 2
        pool = pool if self.base0 else 1 / pool
        txs: list[Tx] = []
        target = external * (1 - fee) if pool < external * (1 - fee) else None
        if pool > external * (1 + fee):
            target = external * (1 + fee)
        if target is not None:
            zero_for_one = (target < pool) == self.base0  # selling base moves its price down
            planned = self.plan(self.state, zero_for_one, self._sqrt_for(target))
            if planned:
                used, out, after = planned
                limit = self._sqrt_for(target)
                txs.append(
                    self.swap(self.stage.actors.trader, zero_for_one, used, out * 999 // 1000, limit, "arb")
                )
                self.state = after
        reads = [self.observe_call(1), *self.position_calls()]
        ok, raw = self.sender.mine(txs, t, reads)
        if not all(ok):  # the pool is not where the plan put it: read it
            self.set_state(self._read(self.state_calls()))
        self._observed = raw[0]
        return self.positions(raw[1:])

    def _best_repay(self, held: int, debt: int, price: int) -> tuple[int, int, int]:
        """(repay, seized, sale proceeds) earning most among the ladder of repayments."""
        top = debt if debt <= _DUST else debt * _CLOSE_FACTOR // WAD
        best = (0, 0, 0)
        for j in range(_LADDER):
            repay = top >> j
            if repay == 0:
                break
            seized = repay * (WAD + self.pm.bonus) // price
            if seized > held:
                seized = held
                repay = min(debt, -(-held * price // (WAD + self.pm.bonus)))
            proceeds = self._sale(seized)
            if proceeds - repay > best[2] - best[0]:
                best = (repay, seized, proceeds)
        return best

    def liquidations_block(self, positions: list[tuple[int, int]], t: int) -> None:
        """Every profitable liquidation each liquidator sees, raced in one block at ``t``."""
        price = self.oracle_price(self._observed, 1, self.state.tick)
        cfg, a = self.stage.config, self.stage.actors
        txs: list[Tx] = []
        paybacks: dict[str, int] = {}
        for owner, (held, debt) in zip(self.tracked, positions, strict=True):
            if debt == 0 or held * price * self.pm.threshold // (WAD * debt) >= WAD:
                continue
            repay, seized, proceeds = self._best_repay(held, debt, price)
            if repay == 0:
                continue
            fee = int(repay * cfg.flash_fee)
            racers = [
                f"liquidator{i}"
                for i in range(len(a.liquidators))
                if proceeds - repay > repay * 2 * i // 1000
            ]
            racers += [f"flash{i}" for i in range(len(a.flash)) if proceeds - repay > fee]
            for j in self.rng.permutation(len(racers)):
                who = racers[j]
                acct, tag = self.named[who], f"{who}:{owner.address}"
                if who.startswith("flash"):
                    paybacks[tag] = repay + fee
                    loan = abi_call("transfer(address,uint256)", acct.address, repay)
                    txs.append(Tx(a.flash_lender, TxRequest(self.tusd, loan), f"loan:{tag}"))
                liquidate = abi_call("liquidate(address,uint256)", owner.address, repay)
                txs.append(Tx(acct, TxRequest(self.market, liquidate), f"liquidate:{tag}"))
                txs.append(self.swap(acct, self.base0, seized, proceeds * 95 // 100, 0, f"sell:{tag}"))
                if who.startswith("flash"):
                    back = abi_call("transfer(address,uint256)", a.flash_lender.address, repay + fee)
                    txs.append(Tx(acct, TxRequest(self.tusd, back), f"payback:{tag}"))
        if not txs:
            return
        ok, raw = self.sender.mine(txs, t, self.state_calls())
        self.set_state(raw)
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
        """The manipulator's two blocks, or one with ``hold`` 0 (and one more to close a position
        not worth keeping)."""
        cfg, pm = self.stage.config, self.pm
        atk = self.stage.actors.attacker
        before = self.oracle_price(self._observed, 1, self.state.tick)
        pool = (self.state.sqrt_price_x96 / 2**96) ** 2
        base_price = pool if self.base0 else 1 / pool
        buy_zero = not self.base0  # buying collateral pays the other token
        limit = self._sqrt_for(base_price * cfg.push)
        planned = self.plan(self.state, buy_zero, limit)
        if planned is None:
            return AttackResult(step, 0.0, 0.0, False)
        paid, bought, pushed = planned
        push = self.swap(atk, buy_zero, paid, 0, limit, "push")
        cash = Call(self.market, abi_call("cash()"))
        collateral = int(cfg.attack_collateral * UNIT)
        if cfg.hold == 0:
            # one block (a flash loan's reach): the oracle sees the tick from before the push,
            # since the pool writes the block's observation ahead of its first swap
            dt = t - self.sender.last_timestamp
            raw = self._read([self.observe_call(dt), cash])
            price = self.oracle_price(raw[0], dt, self.state.tick)
            first: list[Tx] = [push]
        else:
            _, raw = self.sender.mine([push], t, [self.observe_call(cfg.hold), cash])
            price = self.oracle_price(raw[0], cfg.hold, pushed.tick)
            first = []
        self.state = pushed
        amount = min(collateral * price * pm.borrow_factor // (WAD * WAD), _uint(raw[1])) * 999 // 1000
        deposit = abi_call("depositCollateral(address,uint256)", atk.address, collateral)
        txs = [
            *first,
            Tx(atk, TxRequest(self.market, deposit), "deposit"),
            Tx(atk, TxRequest(self.market, abi_call("borrow(uint256)", amount)), "borrow"),
            self.swap(atk, self.base0, bought, 0, 0, "unwind"),
        ]
        ok, raw = self.sender.mine(txs, t + cfg.hold, self.state_calls())
        self.set_state(raw)
        borrowed = amount if ok[len(first) + 1] else 0
        keep = borrowed * WAD > collateral * _wad_of(float(self.prices[step]))
        if not keep:
            close = [Tx(atk, TxRequest(self.market, abi_call("withdrawCollateral(uint256)", collateral)))]
            if borrowed:
                repay = abi_call("repay(address,uint256)", atk.address, borrowed)
                close.insert(0, Tx(atk, TxRequest(self.market, repay)))
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
        positions = path.arbitrage(float(prices[k]), t)
        path.liquidations_block(positions, t + 1)
        if k == attack_step:
            attack = path.attack(t + 2, k)
    end_wad = _wad_of(float(prices[-1]))
    result = PathResult(
        run_id=f"{pm.point.label}/p{index}",
        index=index,
        seed=seed,
        shock=round(shock, 6),
        min_price=round(float(prices.min() / prices[0]), 6),
        end_price=round(float(prices[-1] / prices[0]), 6),
        liquidations=path.liquidations,
        lost_races=path.lost,
        wins=dict(sorted(path.wins.items())),
    )
    for acct, (held, debt) in zip(
        path.tracked, path.positions(path._read(path.position_calls())), strict=True
    ):
        gap = max(0, debt - held * end_wad // WAD) / UNIT
        result.insolvent_debt += gap
        if acct.address == stage.actors.attacker.address:
            result.insolvent_manipulator = round(gap, 6)
    result.insolvent_debt = round(result.insolvent_debt, 6)
    result.lender_loss = round(result.insolvent_debt / cfg.supply, 9)
    end = path.balances()
    for name, (teth0, tusd0) in start.items():
        teth1, tusd1 = end[name]
        value = (tusd1 - tusd0) + (teth1 - teth0) * end_wad // WAD - path.loans_unpaid.get(name, 0)
        result.profits[name] = round(value / UNIT, 6)
    if attack is not None:
        attack.profit = result.profits["manipulator"]
        result.attack = attack
    return result
