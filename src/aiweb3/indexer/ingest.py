"""Ingest a block range (or follow the head) into the index, resumably and reorg-safely.

Batches of blocks are fetched concurrently and written strictly in order, each with the
checkpoint in the same transaction. Before a batch is written its first block's parent
hash is compared with the stored hash of the block before it; a mismatch means the chain
reorganised: the indexer walks back to the last block both agree on, deletes everything
above it, and ingests the new branch from there.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from eth_abi import decode as abi_decode

from aiweb3.chain import Chain
from aiweb3.errors import ChainError, InputError
from aiweb3.indexer.decode import EventDecoder
from aiweb3.indexer.fetch import FetchConfig, Fetcher, RawBlock
from aiweb3.indexer.store import IndexStore
from aiweb3.indexer.transform import Batch, to_batch

__all__ = ["Indexer", "IngestReport", "Progress"]

#: ``on_progress(blocks_done, blocks_total, rows_written)``
Progress = Callable[[int, int, int], None]

_Fetched = tuple[list[RawBlock], Batch]

_NAME, _SYMBOL, _DECIMALS = "0x06fdde03", "0x95d89b41", "0x313ce567"


@dataclass
class IngestReport:
    """What a run did."""

    start: int
    end: int
    blocks: int = 0
    rows: int = 0
    seconds: float = 0.0
    head: int = 0
    clamped: bool = False
    reorgs: int = 0
    rolled_back: int = 0
    retries: int = 0
    stopped: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def blocks_per_s(self) -> float:
        """Blocks ingested per second."""
        return self.blocks / self.seconds if self.seconds > 0 else 0.0

    @property
    def rows_per_s(self) -> float:
        """Rows written per second."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0


class _Reorg(Exception):
    """The fetched batch does not extend the stored chain (internal signal)."""


class Indexer:
    """Ingests one chain into one :class:`IndexStore`.

    Args:
        chain: the chain client.
        store: the index database.
        decoder: event decoder (default: every aiweb3 artifact ABI).
        fetch: batching, concurrency, rate limit and retries.
        on_progress: progress callback (blocks done, total, rows).
        on_note: called with a sentence when something notable happens (clamp, reorg, retry).
    """

    def __init__(
        self,
        chain: Chain,
        store: IndexStore,
        *,
        decoder: EventDecoder | None = None,
        fetch: FetchConfig | None = None,
        on_progress: Progress | None = None,
        on_note: Callable[[str], None] | None = None,
    ) -> None:
        from aiweb3.chain import all_artifacts

        self.chain = chain
        self.store = store
        self.decoder = decoder or EventDecoder({n: a.abi for n, a in all_artifacts().items()})
        self.config = fetch or FetchConfig()
        self.fetcher = Fetcher(chain, self.config, on_retry=self._on_retry)
        self.on_progress = on_progress
        self.on_note = on_note
        self._report: IngestReport | None = None

    def _note(self, text: str) -> None:
        if self._report is not None:
            self._report.notes.append(text)
        if self.on_note:
            self.on_note(text)

    def _on_retry(self, attempt: int, delay: float, exc: Exception) -> None:
        if attempt == 1 or attempt % 3 == 0:
            self._note(f"provider busy ({exc}); retry {attempt} in {delay:.2f}s")

    # -- one run --------------------------------------------------------------
    def run(
        self,
        start: int | None = None,
        end: int | None = None,
        *,
        stop: threading.Event | None = None,
        quiet: bool = False,
    ) -> IngestReport:
        """Ingest from the checkpoint (or ``start``) to ``end`` (default: the head).

        A range past the head is clamped to the head (and a note says so); a ``start``
        beyond the checkpoint + 1 is refused because it would leave a gap. When ``stop`` is
        set the run ends after the batch being written (``report.stopped``); everything
        written up to there is committed with its checkpoint. ``quiet`` drops the
        "nothing to do" note (a follower polls an unchanged head all the time).
        """
        if start is not None and start < 0:
            raise InputError("--from must be a block number >= 0")
        head = self.fetcher.head()
        cp = self.store.bind_chain(self.chain.chain_id, start or 0)
        first = cp.last_block + 1
        if start is not None and start > first and cp.last_hash is not None:
            raise InputError(
                f"the index ends at block {cp.last_block}; starting at {start} would leave a gap "
                f"(resume from {first}, or use another --db)"
            )
        report = IngestReport(start=first, end=end if end is not None else head, head=head)
        self._report = report
        if report.end < first and not quiet:
            self._note(f"blocks up to {cp.last_block} are already indexed; nothing to do")
        if report.end > head:
            self._note(f"block {report.end} is beyond the chain head {head}; stopping at {head}")
            report.end, report.clamped = head, True
        started = time.perf_counter()
        try:
            self._ingest_range(report, stop)
            if not report.stopped:
                self.learn_tokens()
        finally:
            report.seconds = time.perf_counter() - started
            report.retries = self.fetcher.retries
            self._report = None
        return report

    def _ingest_range(self, report: IngestReport, stop: threading.Event | None) -> None:
        while not report.stopped:
            cp = self.store.checkpoint()
            assert cp is not None
            if cp.last_block >= report.end:
                return
            try:
                self._pipeline(cp.last_block + 1, report.end, cp.last_hash, report, stop)
                return
            except _Reorg as exc:
                report.reorgs += 1
                report.rolled_back += self._resolve_reorg(int(str(exc)))

    def _pipeline(
        self,
        first: int,
        last: int,
        parent: str | None,
        report: IngestReport,
        stop: threading.Event | None,
    ) -> None:
        size = max(1, self.config.batch_size)
        ranges = [(s, min(s + size - 1, last)) for s in range(first, last + 1, size)]
        total = report.end - report.start + 1
        pool = ThreadPoolExecutor(max_workers=max(1, self.config.concurrency))
        pending: deque[Future[_Fetched]] = deque()
        todo = iter(ranges)
        try:
            for r in todo:
                pending.append(pool.submit(self._fetch, *r))
                if len(pending) >= self.config.concurrency * 2:
                    break
            while pending:
                if stop is not None and stop.is_set():
                    report.stopped = True
                    return
                raw, batch = pending.popleft().result()
                nxt = next(todo, None)
                if nxt is not None:
                    pending.append(pool.submit(self._fetch, *nxt))
                parent = self._check_links(raw, parent)
                tip = raw[-1][0]
                self.store.write(batch, int(tip["number"], 16), tip["hash"].lower())
                report.blocks += len(raw)
                report.rows += sum(len(next(iter(cols.values()))) for cols in batch.values())
                if self.on_progress:
                    self.on_progress(report.blocks, total, report.rows)
        finally:
            for fut in pending:
                fut.cancel()
            pool.shutdown(wait=True, cancel_futures=True)

    def _fetch(self, start: int, end: int) -> _Fetched:
        # Workers also build the rows, so decoding overlaps with the node's work on other batches.
        raw = self.fetcher.blocks(start, end)
        return raw, to_batch(raw, self.decoder)[0]

    @staticmethod
    def _check_links(raw: list[RawBlock], parent: str | None) -> str:
        for block, _ in raw:
            number = int(block["number"], 16)
            if parent is not None and block["parentHash"].lower() != parent:
                raise _Reorg(str(number - 1))
            parent = block["hash"].lower()
        assert parent is not None
        return parent

    # -- reorgs ---------------------------------------------------------------
    def _resolve_reorg(self, suspect: int) -> int:
        """Find the last block the index and the chain agree on, at or below ``suspect``."""
        cp = self.store.checkpoint()
        assert cp is not None
        number = min(suspect, cp.last_block)
        floor = cp.first_block - 1
        fork = floor
        while number > floor:
            lo = max(floor + 1, number - 31)
            numbers = list(range(number, lo - 1, -1))
            chain_hashes = self.fetcher.block_hashes(numbers)
            for n, h in zip(numbers, chain_hashes, strict=True):
                if h is not None and h == self.store.stored_hash(n):
                    fork = n
                    break
            else:
                number = lo - 1
                continue
            break
        removed = self.store.rollback_to(fork)
        self._note(f"reorg: blocks after {fork} were orphaned; rolled back {removed} and re-ingesting")
        return removed

    def check_tip(self) -> int:
        """Roll back if the stored tip is no longer on the chain; returns blocks rolled back."""
        cp = self.store.checkpoint()
        if cp is None or cp.last_hash is None:
            return 0
        head = self.fetcher.head()
        on_chain = self.fetcher.block_hashes([cp.last_block])[0] if cp.last_block <= head else None
        if on_chain == cp.last_hash:
            return 0
        return self._resolve_reorg(min(cp.last_block, head))

    # -- follow ---------------------------------------------------------------
    def sync(self, stop: threading.Event | None = None) -> IngestReport:
        """One follow step: undo a reorg at the tip if there is one, then ingest to the head."""
        rolled = self.check_tip()
        report = self.run(stop=stop, quiet=True)
        if rolled:
            report.reorgs += 1
            report.rolled_back += rolled
        return report

    def follow(
        self,
        stop: threading.Event,
        *,
        poll_interval: float = 1.0,
        on_step: Callable[[IngestReport], None] | None = None,
    ) -> None:
        """Keep ingesting new blocks (handling reorgs) until ``stop`` is set."""
        while not stop.is_set():
            try:
                report = self.sync(stop)
            except ChainError as exc:
                self._note(f"follow: {exc}; retrying")
                stop.wait(poll_interval)
                continue
            if on_step:
                on_step(report)
            stop.wait(poll_interval)

    # -- token metadata -------------------------------------------------------
    def learn_tokens(self) -> int:
        """Read name, symbol and decimals of every token with transfers but no metadata yet.

        Runs after ingestion (not per batch) and picks up tokens an interrupted run missed.
        Returns how many tokens were added.
        """
        seen = self.store.tokens_without_metadata()
        added = 0
        for start in range(0, len(seen), 100):
            added += self._learn_tokens(dict(seen[start : start + 100]))
        return added

    def _learn_tokens(self, seen: dict[str, str]) -> int:
        new = sorted(seen)
        calls: list[tuple[str, list[Any]]] = []
        for addr in new:
            for selector in (_NAME, _SYMBOL, _DECIMALS):
                calls.append(("eth_call", [{"to": addr, "data": selector}, "latest"]))
        try:
            results = self.fetcher.chain.rpc_batch(calls)
        except ChainError:
            return 0  # metadata is a nicety; the next run tries again
        rows = []
        for i, addr in enumerate(new):
            name, symbol, decimals = results[3 * i : 3 * i + 3]
            standard = seen[addr]
            digits = 0 if standard == "erc721" else _uint(decimals)
            rows.append((addr, standard, _text(name), _text(symbol), digits))
        self.store.add_tokens(rows)
        return len(rows)


def _text(raw: object) -> str | None:
    if not isinstance(raw, str) or len(raw) < 66:
        return None
    data = bytes.fromhex(raw[2:])
    try:
        return str(abi_decode(["string"], data)[0])
    except Exception:  # some old tokens return bytes32 instead of string
        return data[:32].rstrip(b"\0").decode("utf-8", "replace") or None


def _uint(raw: object) -> int | None:
    if not isinstance(raw, str) or len(raw) < 66:
        return None
    value = int(raw[:66], 16)
    return value if value < 256 else None
