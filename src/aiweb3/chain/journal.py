"""A write-ahead journal of the transactions aiweb3 sends, and their replay after a crash.

anvil writes its state only every few seconds, so a SIGKILL loses transactions that already
had receipts. :class:`TxJournal` keeps every signed raw transaction a :class:`~aiweb3.chain.Chain`
sends (and the dev calls that change state, such as ``anvil_setBalance``) in SQLite with
``synchronous=FULL``: the entry is on disk before the transaction is broadcast, and its receipt
(block, status) is recorded once confirmed. :func:`replay` re-sends, in journal order, every
entry the node no longer has. A re-sent transaction is the same signed bytes, so it keeps its
hash, sender and nonce (contract addresses too); its block number and timestamp are new.

Entry states: ``sent`` (journaled; broadcast may or may not have happened), ``confirmed``
(a receipt was seen), ``rejected`` (the node refused it: never on chain), ``dropped`` (an
``evm_revert`` undid it on purpose: never replayed).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiweb3.errors import ChainError, RPCUnreachable

if TYPE_CHECKING:
    from aiweb3.chain.client import Chain

__all__ = ["JournalEntry", "ReplayReport", "TxJournal", "replay"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    chain_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    tx_hash TEXT,
    sender TEXT,
    nonce INTEGER,
    payload BLOB NOT NULL,
    state TEXT NOT NULL,
    block INTEGER,
    status INTEGER,
    recorded REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_hash ON entries (tx_hash);
CREATE TABLE IF NOT EXISTS snapshots (
    chain_id INTEGER NOT NULL,
    snapshot_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (chain_id, snapshot_id)
);
"""

#: State-changing dev calls the journal records and replays (they are not transactions).
JOURNALED_CALLS = frozenset({"anvil_setBalance"})


@dataclass(frozen=True)
class JournalEntry:
    """One journaled transaction (``kind`` "tx") or dev call (``kind`` "call")."""

    seq: int
    chain_id: int
    kind: str
    tx_hash: str | None
    sender: str | None
    nonce: int | None
    payload: bytes
    state: str
    block: int | None
    status: int | None


@dataclass
class ReplayReport:
    """What :func:`replay` found and did."""

    checked: int = 0
    resent: list[str] = field(default_factory=list)
    calls: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    moved: dict[str, tuple[int | None, int]] = field(default_factory=dict)
    status_changed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for a log or the terminal."""
        if not self.resent and not self.calls and not self.rejected:
            return f"nothing lost ({self.checked} journaled transaction(s) checked)"
        text = f"re-sent {len(self.resent)} transaction(s) and {self.calls} dev call(s) the node had lost"
        if self.rejected:
            text += f"; {len(self.rejected)} refused ({self.rejected[0][1]})"
        if self.status_changed:
            text += f"; {len(self.status_changed)} ended with another status than before"
        return text + " (same hashes; block numbers and timestamps are new)"


class TxJournal:
    """The journal file (SQLite, one row per entry; an entry is fsynced before its broadcast).

    Safe to share between threads and processes (SQLite locking; a writer waits up to 30 s).

    Args:
        path: the database file, e.g. ``<home>/node/journal.sqlite``.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _write(self, sql: str, rows: Iterable[Sequence[Any]], *, sync: bool = True) -> None:
        """One transaction; ``sync`` waits for the disk (fsync), else the next synced commit carries it."""
        with self._lock:
            self._db.execute(f"PRAGMA synchronous={'FULL' if sync else 'NORMAL'}")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(sql, rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- writes ------------------------------------------------------------
    def record(self, chain_id: int, txs: Sequence[tuple[str, int, bytes, str]]) -> None:
        """Journal signed transactions ``(sender, nonce, raw, hash)`` before they are broadcast."""
        now = time.time()
        self._write(
            "INSERT INTO entries (chain_id, kind, tx_hash, sender, nonce, payload, state, recorded) "
            "VALUES (?, 'tx', ?, ?, ?, ?, 'sent', ?)",
            [(chain_id, h.lower(), sender, nonce, raw, now) for sender, nonce, raw, h in txs],
        )

    def record_call(self, chain_id: int, method: str, params: Sequence[Any]) -> None:
        """Journal a state-changing dev call (one of :data:`JOURNALED_CALLS`) before making it."""
        payload = json.dumps([method, list(params)]).encode()
        self._write(
            "INSERT INTO entries (chain_id, kind, payload, state, recorded) "
            "VALUES (?, 'call', ?, 'confirmed', ?)",
            [(chain_id, payload, time.time())],
        )

    def rejected(self, hashes: Iterable[str]) -> None:
        """The node refused these transactions: they never reached the chain."""
        self._write("UPDATE entries SET state = 'rejected' WHERE tx_hash = ?", [(h.lower(),) for h in hashes])

    def confirmed(self, receipts: Iterable[dict[str, Any]]) -> None:
        """Record receipts (block and status) of journaled transactions; unknown hashes are ignored."""
        rows = [
            (int(r["blockNumber"]), _status(r), str(r["transactionHash"]).lower())
            for r in receipts
            if r.get("blockNumber") is not None
        ]
        if rows:
            self._write(
                "UPDATE entries SET state = 'confirmed', block = ?, status = ? "
                "WHERE tx_hash = ? AND state != 'dropped'",
                rows,
                sync=False,  # the node has the receipt; replay asks the node, not this record
            )

    def note_snapshot(self, chain_id: int, snapshot_id: str) -> None:
        """Remember where the journal stood when ``evm_snapshot`` returned ``snapshot_id``."""
        with self._lock:
            row = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM entries").fetchone()
        self._write(
            "INSERT OR REPLACE INTO snapshots (chain_id, snapshot_id, seq) VALUES (?, ?, ?)",
            [(chain_id, snapshot_id, int(row[0]))],
        )

    def reverted_to(self, chain_id: int, snapshot_id: str) -> int:
        """``evm_revert`` undid everything after the snapshot: drop those entries. Returns how many."""
        with self._lock:
            row = self._db.execute(
                "SELECT seq FROM snapshots WHERE chain_id = ? AND snapshot_id = ?", (chain_id, snapshot_id)
            ).fetchone()
            if row is None:
                return 0
            self._db.execute("BEGIN IMMEDIATE")
            cur = self._db.execute(
                "UPDATE entries SET state = 'dropped' WHERE chain_id = ? AND seq > ? "
                "AND state IN ('sent', 'confirmed')",
                (chain_id, int(row[0])),
            )
            self._db.execute("DELETE FROM snapshots WHERE chain_id = ? AND seq >= ?", (chain_id, int(row[0])))
            self._db.execute("COMMIT")
            return cur.rowcount

    def clear(self) -> None:
        """Forget everything (the chain itself was erased)."""
        self._write("DELETE FROM entries", [()])
        self._write("DELETE FROM snapshots", [()])

    # -- reads -------------------------------------------------------------
    def live(self, chain_id: int) -> list[JournalEntry]:
        """Entries that should be on the chain (``sent`` or ``confirmed``), in journal order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, chain_id, kind, tx_hash, sender, nonce, payload, state, block, status "
                "FROM entries WHERE chain_id = ? AND state IN ('sent', 'confirmed') ORDER BY seq",
                (chain_id,),
            ).fetchall()
        return [JournalEntry(*row) for row in rows]

    def covers_genesis(self, chain_id: int) -> bool:
        """True when the journal holds transactions and every sender's first one has nonce 0,
        so replaying it onto a fresh chain rebuilds what aiweb3 sent."""
        with self._lock:
            rows = self._db.execute(
                "SELECT MIN(nonce) FROM entries WHERE chain_id = ? AND kind = 'tx' "
                "AND state IN ('sent', 'confirmed') GROUP BY sender",
                (chain_id,),
            ).fetchall()
        return bool(rows) and all(row[0] == 0 for row in rows)

    def get(self, tx_hash: str) -> JournalEntry | None:
        """The latest entry for a transaction hash, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT seq, chain_id, kind, tx_hash, sender, nonce, payload, state, block, status "
                "FROM entries WHERE tx_hash = ? ORDER BY seq DESC LIMIT 1",
                (tx_hash.lower(),),
            ).fetchone()
        return JournalEntry(*row) if row else None


def _status(receipt: dict[str, Any]) -> int | None:
    status = receipt.get("status")
    if status is None:
        return None
    return int(status, 16) if isinstance(status, str) else int(status)


def _lost_from(chain: Chain, txs: list[JournalEntry], chunk: int = 256) -> int | None:
    """Index in ``txs`` of the first transaction the node has no receipt for (None: none lost).

    anvil's dump is the state at one moment, so what a crash loses is a suffix of the journal:
    scan backwards a chunk at a time and stop at the first chunk the node fully knows.
    """
    first: int | None = None
    end = len(txs)
    while end > 0:
        start = max(0, end - chunk)
        results = chain.rpc_batch([("eth_getTransactionReceipt", [e.tx_hash]) for e in txs[start:end]])
        missing = [start + i for i, r in enumerate(results) if not isinstance(r, dict)]
        if not missing:
            break
        first = missing[0]
        end = start
    return first


def replay(chain: Chain, journal: TxJournal) -> ReplayReport:
    """Re-send, in journal order, every journaled entry the node lost; returns what happened.

    Runs of consecutive transactions from one sender go out in one batch; before the next
    sender's run their receipts are awaited, so transactions of different senders keep their
    order. Each re-sent transaction must come back with its journaled hash.

    Raises:
        RPCUnreachable: the node stopped answering.
    """
    report = ReplayReport()
    entries = journal.live(chain.chain_id)
    txs = [e for e in entries if e.kind == "tx"]
    report.checked = len(txs)
    first = _lost_from(chain, txs)
    if first is None:
        return report
    # dev calls between the last transaction the node has and the first it lost may be lost too;
    # they set absolute values (a balance), so making them again is safe
    after_seq = txs[first - 1].seq if first > 0 else 0
    todo = _nonce_ordered([e for e in entries if e.seq > after_seq])
    run: list[JournalEntry] = []
    for entry in todo:
        if entry.kind == "tx" and (not run or run[-1].sender == entry.sender):
            run.append(entry)
            continue
        _resend(chain, journal, run, report)
        run = []
        if entry.kind == "tx":
            run = [entry]
        else:
            method, params = json.loads(entry.payload)
            chain.rpc(method, params)
            report.calls += 1
    _resend(chain, journal, run, report)
    return report


def _nonce_ordered(entries: list[JournalEntry]) -> list[JournalEntry]:
    """Journal order, except that each sender's transactions take its slots in nonce order
    (two threads of one sender can journal nonce n+1 just before nonce n)."""
    by_sender: dict[str | None, list[JournalEntry]] = {}
    for e in entries:
        if e.kind == "tx":
            by_sender.setdefault(e.sender, []).append(e)
    queues = {s: iter(sorted(q, key=lambda e: e.nonce or 0)) for s, q in by_sender.items()}
    return [next(queues[e.sender]) if e.kind == "tx" else e for e in entries]


def _resend(chain: Chain, journal: TxJournal, run: list[JournalEntry], report: ReplayReport) -> None:
    if not run:
        return
    known = chain.rpc_batch([("eth_getTransactionReceipt", [e.tx_hash]) for e in run])
    todo = [e for e, r in zip(run, known, strict=True) if not isinstance(r, dict)]
    if not todo:
        return
    results = chain.rpc_batch([("eth_sendRawTransaction", ["0x" + bytes(e.payload).hex()]) for e in todo])
    sent: list[JournalEntry] = []
    for entry, result in zip(todo, results, strict=True):
        assert entry.tx_hash is not None
        if isinstance(result, RPCUnreachable):
            raise result
        if isinstance(result, ChainError):
            report.rejected.append((entry.tx_hash, str(result)))
            journal.rejected([entry.tx_hash])
        elif str(result).lower() != entry.tx_hash:
            report.rejected.append((entry.tx_hash, f"the node answered hash {result} for the same bytes"))
            journal.rejected([entry.tx_hash])
        else:
            sent.append(entry)
    if not sent:
        return
    try:
        receipts = chain._collect_receipts([str(e.tx_hash) for e in sent], len(sent))
    except RPCUnreachable:
        raise
    except ChainError as exc:  # not mined (a nonce gap the node cannot fill): report, go on
        found = chain.rpc_batch([("eth_getTransactionReceipt", [e.tx_hash]) for e in sent])
        for entry, r in zip(sent, found, strict=True):
            if not isinstance(r, dict):
                report.rejected.append((str(entry.tx_hash), str(exc)))
                journal.rejected([str(entry.tx_hash)])
        sent = [e for e, r in zip(sent, found, strict=True) if isinstance(r, dict)]
        receipts = [_normalize_receipt(r) for r in found if isinstance(r, dict)]
    for entry, receipt in zip(sent, receipts, strict=True):
        assert entry.tx_hash is not None
        report.resent.append(entry.tx_hash)
        report.moved[entry.tx_hash] = (entry.block, int(receipt["blockNumber"]))
        if entry.status is not None and entry.status != receipt["status"]:
            report.status_changed.append(entry.tx_hash)
    journal.confirmed(receipts)


def _normalize_receipt(raw: dict[str, Any]) -> dict[str, Any]:
    from aiweb3.chain.client import _normalize_receipt as normalize

    return normalize(raw)
