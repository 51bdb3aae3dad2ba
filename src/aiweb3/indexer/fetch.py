"""Fetch blocks and receipts over batched JSON-RPC, politely.

:class:`Fetcher` sends JSON-RPC batches through :meth:`aiweb3.chain.Chain.rpc_batch`, holds
every call to a configurable rate (a token bucket shared by all worker threads) and retries
a batch with exponential backoff and jitter when the provider rate-limits (HTTP 429 or a
rate-limit error in the reply) or times out. Receipts come from ``eth_getBlockReceipts``
(one call per block); providers without it get one ``eth_getTransactionReceipt`` per
transaction instead.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiweb3.chain import Chain
from aiweb3.errors import ChainError, RPCUnreachable

__all__ = ["FetchConfig", "Fetcher", "RateLimiter", "RawBlock"]

RawBlock = tuple[dict[str, Any], list[dict[str, Any]]]  # (block with full txs, receipts)

_RATE_LIMIT_WORDS = ("429", "rate limit", "rate-limit", "too many requests", "exceeded", "capacity")


@dataclass(frozen=True)
class FetchConfig:
    """How to talk to the provider.

    Attributes:
        batch_size: blocks per JSON-RPC batch.
        concurrency: batches in flight at once (worker threads).
        rate_limit: most JSON-RPC calls per second over all workers (None: no limit).
        max_retries: retries of one batch after rate limiting or timeouts.
        backoff: first retry delay in seconds (doubles each retry, with jitter).
        max_backoff: longest delay between retries.
    """

    batch_size: int = 50
    concurrency: int = 4
    rate_limit: float | None = None
    max_retries: int = 6
    backoff: float = 0.25
    max_backoff: float = 15.0


class RateLimiter:
    """A thread-safe token bucket: ``acquire(n)`` waits until ``n`` calls fit the rate."""

    def __init__(self, rate: float | None, burst: float | None = None) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(rate or 1.0, 1.0)
        self._tokens = self.capacity
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self, n: int = 1) -> None:
        """Block until ``n`` tokens are available (a batch larger than the bucket waits longer)."""
        if self.rate is None:
            return
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= min(n, self.capacity):
                    self._tokens -= n  # may go negative for big batches: later callers wait it off
                    return
                wait = (min(n, self.capacity) - self._tokens) / self.rate
            time.sleep(wait)


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, RPCUnreachable):  # timeouts, dropped connections, non-JSON error pages
        return True
    text = str(exc).lower()
    return isinstance(exc, ChainError) and any(w in text for w in _RATE_LIMIT_WORDS)


class Fetcher:
    """Batched, rate-limited, retrying reads of blocks and receipts.

    Args:
        chain: the chain client (its ``rpc_batch`` does the HTTP).
        config: batch size, concurrency, rate limit and retry policy.
        on_retry: called with (attempt, delay, error) before each retry sleep.
    """

    def __init__(
        self,
        chain: Chain,
        config: FetchConfig | None = None,
        on_retry: Callable[[int, float, Exception], None] | None = None,
    ) -> None:
        self.chain = chain
        self.config = config or FetchConfig()
        self.limiter = RateLimiter(self.config.rate_limit)
        self.on_retry = on_retry
        self.retries = 0
        self._block_receipts: bool | None = None  # does the provider serve eth_getBlockReceipts?

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Send one batch; retry it on rate limits and timeouts; raise the first other error."""
        attempt = 0
        while True:
            self.limiter.acquire(len(calls))
            try:
                results = self.chain.rpc_batch(calls)
                errors = [r for r in results if isinstance(r, Exception)]
                retry = [e for e in errors if _retryable(e)]
                if retry:
                    raise retry[0]
                if errors:
                    raise errors[0]
                return results
            except ChainError as exc:
                if not _retryable(exc) or attempt >= self.config.max_retries:
                    raise
                delay = min(self.config.max_backoff, self.config.backoff * 2**attempt)
                delay *= 0.5 + random.random()  # jitter keeps parallel workers from retrying in step
                attempt += 1
                self.retries += 1
                if self.on_retry:
                    self.on_retry(attempt, delay, exc)
                time.sleep(delay)

    def head(self) -> int:
        """The chain's latest block number."""
        return int(self.batch([("eth_blockNumber", [])])[0], 16)

    def block_hashes(self, numbers: Sequence[int]) -> list[str | None]:
        """Hashes of blocks (None where the chain has no such block)."""
        blocks = self.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return [b["hash"].lower() if isinstance(b, dict) else None for b in blocks]

    def blocks(self, start: int, end: int) -> list[RawBlock]:
        """Blocks ``start..end`` (inclusive) with full transactions and their receipts.

        Raises:
            ChainError: a block is missing (past the head) or the provider fails for good.
        """
        numbers = list(range(start, end + 1))
        blocks = self.batch([("eth_getBlockByNumber", [hex(n), True]) for n in numbers])
        for n, b in zip(numbers, blocks, strict=True):
            if not isinstance(b, dict):
                raise ChainError(f"block {n} is not available from {self.chain.url} (past the head?)")
        receipts = self._receipts(blocks)
        return list(zip(blocks, receipts, strict=True))

    def _receipts(self, blocks: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        with_txs = [b for b in blocks if b["transactions"]]
        found: dict[str, list[dict[str, Any]]] = {}
        if with_txs and self._block_receipts is not False:
            try:
                got = self.batch([("eth_getBlockReceipts", [b["hash"]]) for b in with_txs])
                self._block_receipts = True
                for b, r in zip(with_txs, got, strict=True):
                    found[b["hash"]] = list(r or [])
            except ChainError as exc:
                if self._block_receipts or _retryable(exc):
                    raise
                self._block_receipts = False  # method not supported: fall back below
        if with_txs and self._block_receipts is False:
            hashes = [tx["hash"] for b in with_txs for tx in b["transactions"]]
            got = self.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
            by_hash = {r["transactionHash"]: r for r in got if isinstance(r, dict)}
            for b in with_txs:
                found[b["hash"]] = [by_hash[tx["hash"]] for tx in b["transactions"]]
        out = []
        for b in blocks:
            receipts = found.get(b["hash"], [])
            if len(receipts) != len(b["transactions"]):
                raise ChainError(
                    f"block {int(b['number'], 16)}: {len(receipts)} receipts for "
                    f"{len(b['transactions'])} transactions (reorg during the fetch?); run again"
                )
            out.append(receipts)
        return out
