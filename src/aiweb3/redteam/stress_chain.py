"""Blocks at exact times and exact oracle arithmetic for the stress simulation.

A stress path is a sequence of blocks mined by hand (anvil with automine off), each at an exact
timestamp, so the TWAP the lending market reads is the same on every run of a seed. A block's
transactions come from many agents; :class:`BlockSender` pre-signs them, sends them as one raw
JSON-RPC batch (``batched=True``, as :meth:`Chain.bulk_send` does) or one request each, mines the
block and reads the receipts. :func:`twap_price_at` predicts, to the wei, the price
``UniV3TwapOracle.price()`` returns in the next block, from the pool's accumulator now.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

from coincurve import PrivateKey
from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils import function_signature_to_4byte_selector

from aiweb3.chain import Chain, TxRequest
from aiweb3.chain.txsign import sign_eip1559
from aiweb3.errors import ChainError

__all__ = [
    "WAD",
    "BlockSender",
    "Call",
    "Tx",
    "abi_call",
    "manual_mining",
    "read_calls",
    "tick_price",
    "twap_price_at",
    "twap_tick_at",
]

WAD = 10**18
_BASE = 10001 * 10**14  # 1.0001 as a WAD
#: gas limit of every stress transaction (no estimates: a block's transactions are sent unmined)
TX_GAS = 700_000


@dataclass(frozen=True)
class Tx:
    """One transaction of a block: who signs it, what it does, and a label for the record."""

    signer: LocalAccount
    request: TxRequest
    label: str = ""


@dataclass(frozen=True)
class Call:
    """A read: target address and calldata."""

    to: str
    data: bytes


@cache
def _signature(signature: str) -> tuple[bytes, tuple[str, ...]]:
    inner = signature[signature.index("(") + 1 : -1]
    types: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(inner):
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            types.append(inner[start:i])
            start = i + 1
    if inner:
        types.append(inner[start:])
    return function_signature_to_4byte_selector(signature), tuple(types)


def abi_call(signature: str, *args: Any) -> bytes:
    """Calldata of ``signature`` (e.g. ``"liquidate(address,uint256)"``) with ``args``.

    The hot loop of a stress path encodes thousands of calls; web3's contract objects spend
    milliseconds on each, the selector and ``eth_abi.encode`` microseconds.
    """
    selector, types = _signature(signature)
    return selector + encode(list(types), list(args))


@contextmanager
def manual_mining(chain: Chain) -> Iterator[None]:
    """Turn anvil's automine off for the block; on again after it (local nodes only)."""
    chain.rpc("evm_setAutomine", [False])
    try:
        yield
    finally:
        chain.rpc("evm_setAutomine", [True])


class BlockSender:
    """Mines blocks of pre-signed transactions at exact timestamps (automine must be off).

    Args:
        chain: the chain client (its nonce manager hands out the nonces).
        batched: one JSON-RPC batch per block for the sends and one for the receipts, or one
            request per transaction (the peer the benchmark compares with).
    """

    def __init__(self, chain: Chain, *, batched: bool = True) -> None:
        self.chain = chain
        self.batched = batched
        self._keys: dict[str, PrivateKey] = {}
        self._fees: tuple[int, int] | None = None
        self.sent = 0
        self.last_timestamp = 0  # of the last block this sender mined

    def reset(self) -> None:
        """Forget the fees (after a revert: the base fee is the snapshot's again)."""
        self._fees = None

    def _key(self, signer: LocalAccount) -> PrivateKey:
        key = self._keys.get(signer.address)
        if key is None:
            key = self._keys[signer.address] = PrivateKey(bytes(signer.key))
        return key

    def _rpc_many(self, calls: list[tuple[str, Sequence[Any]]]) -> list[Any]:
        if self.batched:
            return self.chain.rpc_batch(calls)
        out: list[Any] = []
        for method, params in calls:
            try:
                out.append(self.chain.rpc(method, params))
            except ChainError as exc:
                out.append(exc)
        return out

    def mine(
        self, txs: Sequence[Tx], timestamp: int, reads: Sequence[Call] = ()
    ) -> tuple[list[bool], list[bytes]]:
        """Mine one block at ``timestamp`` holding ``txs`` in order; returns each one's success
        and, read after the block in the same request as the receipts, ``reads``."""
        if self._fees is None:
            max_fee, tip = self.chain.fees()
            self._fees = (max_fee * 4, tip)
        signed = []
        for tx in txs:
            nonce = self.chain.nonces.reserve(tx.signer.address)
            req = tx.request
            signed.append(
                sign_eip1559(
                    self._key(tx.signer),
                    chain_id=self.chain.chain_id,
                    nonce=nonce,
                    max_priority_fee_per_gas=self._fees[1],
                    max_fee_per_gas=self._fees[0],
                    gas=req.gas or TX_GAS,
                    to=bytes.fromhex(req.to[2:]) if req.to else b"",
                    value=req.value,
                    data=req.data,
                )
            )
        results = self._rpc_many([("eth_sendRawTransaction", ["0x" + s.raw.hex()]) for s in signed])
        errors = [r for r in results if isinstance(r, Exception)]
        if errors:
            self.chain.nonces.reset()
            raise ChainError(f"a stress transaction was refused by the node: {errors[0]}")
        self.chain.rpc("evm_mine", [timestamp])
        self.last_timestamp = timestamp
        self.sent += len(signed)
        calls: list[tuple[str, Sequence[Any]]] = [
            ("eth_getTransactionReceipt", ["0x" + s.hash.hex()]) for s in signed
        ]
        calls += [_eth_call(c) for c in reads]
        answers = self._rpc_many(calls)
        out: list[bool] = []
        for r in answers[: len(signed)]:
            if not isinstance(r, dict):
                raise ChainError(f"a stress transaction was not mined in its block: {r}")
            out.append(int(str(r["status"]), 16) == 1)
        return out, _raw_results(answers[len(signed) :])


def _eth_call(c: Call) -> tuple[str, Sequence[Any]]:
    return ("eth_call", [{"to": c.to, "data": "0x" + c.data.hex()}, "latest"])


def _raw_results(answers: Sequence[Any]) -> list[bytes]:
    out: list[bytes] = []
    for r in answers:
        if isinstance(r, Exception):
            raise ChainError(f"a stress read failed: {r}")
        out.append(bytes.fromhex(str(r)[2:]))
    return out


def read_calls(chain: Chain, calls: Sequence[Call], *, batched: bool = True) -> list[bytes]:
    """``eth_call`` each read at the latest block; raw return data in order."""
    reqs = [_eth_call(c) for c in calls]
    return _raw_results(chain.rpc_batch(reqs) if batched else [chain.rpc(m, p) for m, p in reqs])


def _pow(n: int) -> int:
    """1.0001**n as a WAD, rounded exactly as UniV3TwapOracle._pow."""
    result, base = WAD, _BASE
    while n > 0:
        if n & 1:
            result = result * base // WAD
        n >>= 1
        if n > 0:
            base = base * base // WAD
    return result


def tick_price(tick: int, collateral_is_token0: bool) -> int:
    """``UniV3TwapOracle.tickPrice``: the collateral's price at ``tick`` as a WAD."""
    t = tick if collateral_is_token0 else -tick
    p = _pow(abs(t))
    return WAD * WAD // p if t < 0 else p


def twap_tick_at(cumulative_now: int, cumulative_back: int, tick_now: int, dt: int, window: int) -> int:
    """The TWAP tick ``dt`` seconds after the latest block if the tick stays ``tick_now``.

    ``cumulative_now`` is the pool's tick accumulator now and ``cumulative_back`` the one
    ``window - dt`` seconds ago (only read when ``window > dt``).
    """
    future = cumulative_now + tick_now * dt
    past = cumulative_back if window > dt else cumulative_now + tick_now * (dt - window)
    return (future - past) // window  # floor, as the oracle rounds towards negative infinity


def twap_price_at(
    cumulative_now: int, cumulative_back: int, tick_now: int, dt: int, window: int, collateral_is_token0: bool
) -> int:
    """``UniV3TwapOracle.price()`` ``dt`` seconds from now (see :func:`twap_tick_at`)."""
    return tick_price(
        twap_tick_at(cumulative_now, cumulative_back, tick_now, dt, window), collateral_is_token0
    )
