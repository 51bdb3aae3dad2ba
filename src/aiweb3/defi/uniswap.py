"""Real Uniswap v3 on a local chain: deploy, pools, positions, swaps, oracle reads.

The factory, pool, NonfungiblePositionManager, SwapRouter and QuoterV2 are deployed from the
compiled artifacts the npm packages ``@uniswap/v3-core@1.0.1`` and ``@uniswap/v3-periphery@1.4.4``
ship (copied by ``contracts/vendor.py``, never recompiled). Test tokens are aiweb3's
``TestToken`` (open mint; test chains only).

    uni = deploy_uniswap(chain, deployer, home)       # idempotent, recorded in deployments
    teth, tusd = create_test_tokens(chain, deployer, home)
    pool = create_pool(chain, deployer, uni, teth, tusd, fee=3000, price=2000.0)
    pos = mint_position(chain, lp, uni, pool, lower, upper, amount0, amount1)
    swap_exact_input(chain, trader, uni, pool, zero_for_one=True, amount_in=10**18, min_out=0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import decode
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from aiweb3.chain import Chain, SystemContract, TxRequest, artifact, checksum, deploy_system, encode_call
from aiweb3.defi.v3math import (
    MAX_TICK,
    MIN_TICK,
    PoolState,
    TickInfo,
    sqrt_price_to_price,
)
from aiweb3.errors import ChainError, DeploymentError, InputError
from aiweb3.files import atomic_write_json

__all__ = [
    "DEFAULT_POOL",
    "FEE_TICK_SPACING",
    "NO_DEADLINE",
    "LocalMarket",
    "Pool",
    "Position",
    "TestTokenInfo",
    "UniswapDeployment",
    "approve_max",
    "create_pool",
    "create_test_tokens",
    "defi_book",
    "defi_up",
    "deploy_uniswap",
    "full_range",
    "load_market",
    "load_uniswap",
    "mint_position",
    "mint_tokens",
    "pool_from_book",
    "price_to_sqrt_price_x96",
    "record_entry",
    "recorded",
    "recorded_pools",
    "recorded_tokens",
    "swap_exact_input",
    "swap_request",
]

#: fee tier (hundredths of a basis point) -> tick spacing, as the factory enables them
FEE_TICK_SPACING = {500: 10, 3000: 60, 10000: 200}
#: a deadline far in the future for router calls (slippage is guarded by min amounts instead)
NO_DEADLINE = 2**64 - 1
_MAX_UINT = 2**256 - 1
#: blocks the observation buffer of a new pool is grown to (TWAP windows need history)
OBSERVATION_CARDINALITY = 500


@dataclass(frozen=True)
class UniswapDeployment:
    """Addresses of one Uniswap v3 deployment."""

    factory: str
    router: str
    position_manager: str
    quoter: str

    def factory_contract(self, chain: Chain) -> Contract:
        """The factory contract object."""
        return chain.contract(artifact("UniswapV3Factory").abi, self.factory)

    def router_contract(self, chain: Chain) -> Contract:
        """The SwapRouter contract object."""
        return chain.contract(artifact("SwapRouter").abi, self.router)

    def manager_contract(self, chain: Chain) -> Contract:
        """The NonfungiblePositionManager contract object."""
        return chain.contract(artifact("NonfungiblePositionManager").abi, self.position_manager)


@dataclass(frozen=True)
class TestTokenInfo:
    """A test ERC-20 deployed by :func:`create_test_tokens`."""

    symbol: str
    address: str
    decimals: int

    def contract(self, chain: Chain) -> Contract:
        """The token's contract object."""
        return chain.contract(artifact("TestToken").abi, self.address)


def defi_book(home: Path, chain_id: int) -> Path:
    """The file recording test tokens and pools of a chain: ``<home>/defi/<chain_id>.json``."""
    return Path(home) / "defi" / f"{chain_id}.json"


def _read_book(home: Path, chain_id: int) -> dict[str, Any]:
    import json

    path = defi_book(home, chain_id)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {"tokens": {}, "pools": {}}
    except ValueError:
        raise DeploymentError(f"{path} is not valid JSON; delete it and run `aiweb3 defi up` again") from None
    return data if isinstance(data, dict) else {"tokens": {}, "pools": {}}


def _write_book(home: Path, chain_id: int, data: dict[str, Any]) -> None:
    atomic_write_json(defi_book(home, chain_id), data)


def deploy_uniswap(chain: Chain, deployer: LocalAccount, home: Path, weth: str) -> UniswapDeployment:
    """Deploy (or reuse) the v3 factory, router, position manager and quoter.

    ``weth`` stands in for WETH9 in the periphery (any ERC-20; aiweb3 never wraps ether).
    Recorded in ``<home>/deployments/<chain id>.json`` like the system contracts.
    """
    specs = [
        SystemContract("UniswapV3Factory"),
        SystemContract("SwapRouter", args=lambda d: [d["UniswapV3Factory"], weth]),
        # the token descriptor only renders tokenURI; positions work without one
        SystemContract(
            "NonfungiblePositionManager", args=lambda d: [d["UniswapV3Factory"], weth, "0x" + "00" * 20]
        ),
        SystemContract("QuoterV2", args=lambda d: [d["UniswapV3Factory"], weth]),
    ]
    done = deploy_system(chain, deployer, home, contracts=specs)
    return UniswapDeployment(
        factory=done["UniswapV3Factory"].address,
        router=done["SwapRouter"].address,
        position_manager=done["NonfungiblePositionManager"].address,
        quoter=done["QuoterV2"].address,
    )


def load_uniswap(chain: Chain, home: Path) -> UniswapDeployment:
    """The recorded deployment; raises DeploymentError when `aiweb3 defi up` has not run."""
    from aiweb3.chain import Deployments

    book = Deployments(home, chain.chain_id)
    try:
        addr = {
            n: book.address(n)
            for n in ("UniswapV3Factory", "SwapRouter", "NonfungiblePositionManager", "QuoterV2")
        }
    except DeploymentError:
        raise DeploymentError(
            f"Uniswap v3 is not deployed on chain {chain.chain_id}; run `aiweb3 defi up`"
        ) from None
    return UniswapDeployment(
        addr["UniswapV3Factory"], addr["SwapRouter"], addr["NonfungiblePositionManager"], addr["QuoterV2"]
    )


def create_test_tokens(
    chain: Chain, deployer: LocalAccount, home: Path, symbols: tuple[str, ...] = ("TETH", "TUSD")
) -> list[TestTokenInfo]:
    """Deploy (or reuse the recorded) 18-decimal test tokens, one per symbol."""
    book = _read_book(home, chain.chain_id)
    out: list[TestTokenInfo] = []
    art = artifact("TestToken")
    for symbol in symbols:
        known = book["tokens"].get(symbol)
        if known and _is_test_token(chain, known["address"], symbol):
            out.append(TestTokenInfo(symbol, checksum(known["address"]), int(known["decimals"])))
            continue
        address, _ = chain.deploy(deployer, art.abi, art.bytecode, f"Test {symbol}", symbol, 18)
        book["tokens"][symbol] = {"address": address, "decimals": 18}
        _write_book(home, chain.chain_id, book)
        out.append(TestTokenInfo(symbol, checksum(address), 18))
    return out


def _is_test_token(chain: Chain, address: str, symbol: str) -> bool:
    """True when ``address`` still holds the recorded test token (a reset chain may hold
    nothing there, or another contract)."""
    if not chain.code(address):
        return False
    try:
        return (
            str(chain.call(chain.contract(artifact("TestToken").abi, address).functions.symbol())) == symbol
        )
    except ChainError:
        return False


def mint_tokens(chain: Chain, signer: LocalAccount, token: str, to: str, amount: int) -> None:
    """Mint ``amount`` of a test token to ``to`` (TestToken's open mint)."""
    chain.transact(
        signer, chain.contract(artifact("TestToken").abi, token).functions.mint(checksum(to), amount)
    )


def approve_max(chain: Chain, signer: LocalAccount, token: str, spender: str) -> None:
    """Approve ``spender`` for every token ``signer`` holds (test accounts and vaults' owners)."""
    erc20 = chain.contract(artifact("TestToken").abi, token)
    if int(chain.call(erc20.functions.allowance(signer.address, checksum(spender)))) < 2**255:
        chain.transact(signer, erc20.functions.approve(checksum(spender), _MAX_UINT))


def price_to_sqrt_price_x96(price: float) -> int:
    """The Q64.96 square-root price of ``price`` (token1 per token0, raw units)."""
    if not price > 0 or math.isinf(price):
        raise InputError(f"price must be a positive finite number, got {price}")
    return math.isqrt(int(price * 2**64) << 128)


@dataclass(frozen=True)
class Position:
    """A position minted through the NonfungiblePositionManager."""

    token_id: int
    tick_lower: int
    tick_upper: int
    liquidity: int
    amount0: int
    amount1: int


class Pool:
    """A handle on one deployed v3 pool."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address = checksum(address)
        self.contract: Contract = chain.contract(artifact("UniswapV3Pool").abi, self.address)
        fns = self.contract.functions
        self.token0 = str(chain.call(fns.token0()))
        self.token1 = str(chain.call(fns.token1()))
        self.fee = int(chain.call(fns.fee()))
        self.tick_spacing = int(chain.call(fns.tickSpacing()))

    def __repr__(self) -> str:
        return f"Pool({self.address}, fee={self.fee})"

    def slot0(self) -> tuple[int, int]:
        """``(sqrtPriceX96, tick)`` now."""
        s = self.chain.call(self.contract.functions.slot0())
        return int(s[0]), int(s[1])

    def price(self) -> float:
        """token1 per token0 (raw units) now."""
        return sqrt_price_to_price(self.slot0()[0])

    def observe(self, seconds_agos: list[int]) -> list[int]:
        """Cumulative ticks at each of ``seconds_agos`` (the pool's ``observe``)."""
        return [int(t) for t in self.chain.call(self.contract.functions.observe(seconds_agos))[0]]

    def twap_tick(self, window: int) -> int:
        """The time-weighted average tick over the last ``window`` seconds (rounded to -inf)."""
        if window <= 0:
            raise InputError("TWAP window must be a positive number of seconds")
        now, then = self.observe([0, window])
        return (now - then) // window

    def _batch_call(self, fns: list[ContractFunction]) -> list[tuple[Any, ...]]:
        calls = [
            ("eth_call", [{"to": self.address, "data": "0x" + encode_call(f).hex()}, "latest"]) for f in fns
        ]
        out: list[tuple[Any, ...]] = []
        for fn, raw in zip(fns, self.chain.rpc_batch(calls), strict=True):
            if isinstance(raw, Exception):
                raise ChainError(f"reading pool {self.address} failed: {raw}")
            types = [o["type"] if o["type"] != "tuple" else "" for o in fn.abi["outputs"]]
            out.append(tuple(decode(types, bytes(HexBytes(raw)))))
        return out

    def state(self) -> PoolState:
        """The pool's swap state with every initialized tick (reads the whole tick bitmap)."""
        fns = self.contract.functions
        slot0, (liq,), (g0,), (g1,) = self._batch_call(
            [fns.slot0(), fns.liquidity(), fns.feeGrowthGlobal0X128(), fns.feeGrowthGlobal1X128()]
        )
        spacing = self.tick_spacing
        lo_word, hi_word = (MIN_TICK // spacing) >> 8, (MAX_TICK // spacing) >> 8
        words = list(range(lo_word, hi_word + 1))
        bitmaps: list[int] = []
        for start in range(0, len(words), 200):
            chunk = words[start : start + 200]
            bitmaps += [int(r[0]) for r in self._batch_call([fns.tickBitmap(w) for w in chunk])]
        initialized = [
            ((w << 8) + bit) * spacing
            for w, bm in zip(words, bitmaps, strict=True)
            if bm
            for bit in range(256)
            if bm >> bit & 1
        ]
        ticks: dict[int, TickInfo] = {}
        if initialized:
            for t, info in zip(
                initialized, self._batch_call([fns.ticks(t) for t in initialized]), strict=True
            ):
                ticks[t] = TickInfo(int(info[1]), int(info[2]), int(info[3]))
        return PoolState(
            sqrt_price_x96=int(slot0[0]),
            tick=int(slot0[1]),
            liquidity=int(liq),
            fee=self.fee,
            tick_spacing=spacing,
            fee_growth_global0=int(g0),
            fee_growth_global1=int(g1),
            ticks=ticks,
        )


def create_pool(
    chain: Chain,
    deployer: LocalAccount,
    uni: UniswapDeployment,
    token_a: str,
    token_b: str,
    *,
    fee: int = 3000,
    price: float,
    home: Path | None = None,
    name: str | None = None,
) -> Pool:
    """Create and initialize a pool (or reuse the existing one) at ``price`` token1 per token0.

    Grows its observation buffer so TWAP windows have history. With ``home`` and ``name`` the
    pool is recorded in :func:`defi_book`.
    """
    if fee not in FEE_TICK_SPACING:
        raise InputError(f"fee tier {fee} is not enabled; use one of {sorted(FEE_TICK_SPACING)}")
    factory = uni.factory_contract(chain)
    a, b = checksum(token_a), checksum(token_b)
    address = str(chain.call(factory.functions.getPool(a, b, fee)))
    if int(address, 16) == 0:
        chain.transact(deployer, factory.functions.createPool(a, b, fee))
        address = str(chain.call(factory.functions.getPool(a, b, fee)))
    pool = Pool(chain, address)
    if pool.slot0()[0] == 0:
        chain.transact(deployer, pool.contract.functions.initialize(price_to_sqrt_price_x96(price)))
        chain.transact(
            deployer, pool.contract.functions.increaseObservationCardinalityNext(OBSERVATION_CARDINALITY)
        )
    if home is not None and name:
        book = _read_book(home, chain.chain_id)
        book["pools"][name] = {
            "address": pool.address,
            "token0": pool.token0,
            "token1": pool.token1,
            "fee": fee,
        }
        _write_book(home, chain.chain_id, book)
    return pool


def mint_position(
    chain: Chain,
    signer: LocalAccount,
    uni: UniswapDeployment,
    pool: Pool,
    tick_lower: int,
    tick_upper: int,
    amount0: int,
    amount1: int,
    *,
    amount0_min: int = 0,
    amount1_min: int = 0,
) -> Position:
    """Mint a position (the signer must hold and have approved the manager for both tokens)."""
    s = pool.tick_spacing
    if tick_lower % s or tick_upper % s or not MIN_TICK <= tick_lower < tick_upper <= MAX_TICK:
        raise InputError(
            f"range [{tick_lower}, {tick_upper}) must be ordered, inside [{MIN_TICK}, {MAX_TICK}] "
            f"and on multiples of the tick spacing {s}"
        )
    manager = uni.manager_contract(chain)
    params = (
        pool.token0, pool.token1, pool.fee, tick_lower, tick_upper, amount0, amount1,
        amount0_min, amount1_min, signer.address, NO_DEADLINE,
    )  # fmt: skip
    receipt = chain.transact(signer, manager.functions.mint(params))
    event = chain.events(manager, "IncreaseLiquidity", receipt)[0]
    return Position(
        int(event["tokenId"]),
        tick_lower,
        tick_upper,
        int(event["liquidity"]),
        int(event["amount0"]),
        int(event["amount1"]),
    )


def swap_request(
    chain: Chain,
    uni: UniswapDeployment,
    pool: Pool,
    recipient: str,
    *,
    zero_for_one: bool,
    amount_in: int,
    min_out: int,
    sqrt_price_limit_x96: int = 0,
) -> TxRequest:
    """A SwapRouter ``exactInputSingle`` transaction (for :meth:`Chain.bulk_send`).

    ``min_out`` is the slippage limit; ``sqrt_price_limit_x96`` stops the swap at a price
    (0: no limit), and the router then takes only the input the pool used.
    """
    if amount_in <= 0:
        raise InputError("swap amount must be positive")
    if min_out < 0:
        raise InputError("minimum output must not be negative")
    token_in, token_out = (pool.token0, pool.token1) if zero_for_one else (pool.token1, pool.token0)
    params = (
        token_in,
        token_out,
        pool.fee,
        checksum(recipient),
        NO_DEADLINE,
        amount_in,
        min_out,
        sqrt_price_limit_x96,
    )
    fn = uni.router_contract(chain).functions.exactInputSingle(params)
    return TxRequest(uni.router, encode_call(fn))


def swap_exact_input(
    chain: Chain,
    signer: LocalAccount,
    uni: UniswapDeployment,
    pool: Pool,
    *,
    zero_for_one: bool,
    amount_in: int,
    min_out: int,
    sqrt_price_limit_x96: int = 0,
) -> tuple[int, int]:
    """Swap through the router; returns the pool's ``(amount0, amount1)`` (positive = paid in)."""
    req = swap_request(
        chain,
        uni,
        pool,
        signer.address,
        zero_for_one=zero_for_one,
        amount_in=amount_in,
        min_out=min_out,
        sqrt_price_limit_x96=sqrt_price_limit_x96,
    )
    receipt = chain.send(signer, req)
    event = chain.events(pool.contract, "Swap", receipt)[0]
    return int(event["amount0"]), int(event["amount1"])


def pool_from_book(chain: Chain, home: Path, name: str) -> Pool:
    """A pool recorded by `aiweb3 defi up` by name; raises DeploymentError when unknown."""
    pools = _read_book(home, chain.chain_id)["pools"]
    if name not in pools:
        known = ", ".join(sorted(pools)) or "none"
        raise DeploymentError(
            f"no pool {name!r} on chain {chain.chain_id} (known: {known}); run `aiweb3 defi up`"
        )
    return Pool(chain, pools[name]["address"])


def recorded_pools(home: Path, chain_id: int) -> dict[str, dict[str, Any]]:
    """Every pool recorded in :func:`defi_book` by name."""
    return dict(_read_book(home, chain_id)["pools"])


def record_entry(home: Path, chain_id: int, section: str, name: str, value: dict[str, Any]) -> None:
    """Record ``value`` under ``section``/``name`` in :func:`defi_book` (atomically)."""
    book = _read_book(home, chain_id)
    book.setdefault(section, {})[name] = value
    _write_book(home, chain_id, book)


def recorded(home: Path, chain_id: int, section: str) -> dict[str, dict[str, Any]]:
    """Every entry of ``section`` in :func:`defi_book` by name."""
    return dict(_read_book(home, chain_id).get(section, {}))


def recorded_tokens(home: Path, chain_id: int) -> dict[str, dict[str, Any]]:
    """Every test token recorded in :func:`defi_book` by symbol."""
    return dict(_read_book(home, chain_id)["tokens"])


@dataclass(frozen=True)
class LocalMarket:
    """What ``aiweb3 defi up`` sets up: Uniswap v3, a base and a quote test token, their pool
    and the deployer's full-range seed position."""

    uni: UniswapDeployment
    base: TestTokenInfo
    quote: TestTokenInfo
    pool: Pool
    seed: Position | None

    @property
    def base_is_token0(self) -> bool:
        """True when the base token (priced in the quote token) is the pool's token0."""
        return self.pool.token0 == self.base.address

    def base_price(self) -> float:
        """Quote tokens per base token now (both have 18 decimals)."""
        p = self.pool.price()
        return p if self.base_is_token0 else 1 / p


#: the pool `aiweb3 defi up` creates
DEFAULT_POOL = "TETH/TUSD"


def full_range(tick_spacing: int) -> tuple[int, int]:
    """The widest range on multiples of ``tick_spacing``."""
    upper = MAX_TICK - MAX_TICK % tick_spacing
    return -upper, upper


def defi_up(
    chain: Chain,
    deployer: LocalAccount,
    home: Path,
    *,
    price: float = 2000.0,
    fee: int = 3000,
    seed_base: int = 1000 * 10**18,
) -> LocalMarket:
    """Deploy (or reuse) Uniswap v3, the TETH and TUSD test tokens and the TETH/TUSD pool at
    ``price`` TUSD per TETH, seeded by the deployer with ``seed_base`` TETH (and its value in
    TUSD) over the full range. Idempotent: a second run reuses what is there."""
    if not price > 0:
        raise InputError(f"price must be positive, got {price}")
    base, quote = create_test_tokens(chain, deployer, home, ("TETH", "TUSD"))
    uni = deploy_uniswap(chain, deployer, home, weth=base.address)
    base_first = int(base.address, 16) < int(quote.address, 16)
    pool = create_pool(
        chain, deployer, uni, base.address, quote.address,
        fee=fee, price=price if base_first else 1 / price, home=home, name=DEFAULT_POOL,
    )  # fmt: skip
    seed: Position | None = None
    if int(chain.call(pool.contract.functions.liquidity())) == 0 and seed_base > 0:
        seed_quote = int(seed_base * price)
        mint_tokens(chain, deployer, base.address, deployer.address, seed_base)
        mint_tokens(chain, deployer, quote.address, deployer.address, seed_quote)
        for token in (base.address, quote.address):
            approve_max(chain, deployer, token, uni.position_manager)
        lower, upper = full_range(pool.tick_spacing)
        a0, a1 = (seed_base, seed_quote) if base_first else (seed_quote, seed_base)
        seed = mint_position(chain, deployer, uni, pool, lower, upper, a0, a1)
    return LocalMarket(uni, base, quote, pool, seed)


def load_market(chain: Chain, home: Path, name: str = DEFAULT_POOL) -> LocalMarket:
    """The market `aiweb3 defi up` recorded (no seed position handle)."""
    uni = load_uniswap(chain, home)
    pool = pool_from_book(chain, home, name)
    tokens = recorded_tokens(home, chain.chain_id)
    base_sym, quote_sym = name.split("/")
    base = TestTokenInfo(base_sym, checksum(tokens[base_sym]["address"]), int(tokens[base_sym]["decimals"]))
    quote = TestTokenInfo(
        quote_sym, checksum(tokens[quote_sym]["address"]), int(tokens[quote_sym]["decimals"])
    )
    return LocalMarket(uni, base, quote, pool, None)
