"""The index database: DuckDB tables, atomic batch writes with a checkpoint, rollback, export.

Each batch of blocks is written in one DuckDB transaction together with the checkpoint
(``index_state``): after a crash or an interrupted run the database holds exactly the
blocks up to the checkpoint, so the next run resumes at ``last_block + 1`` with no gap and
no duplicate.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from aiweb3.errors import IndexerError
from aiweb3.indexer.schema import BLOCK_TABLES, DDL, column_names
from aiweb3.indexer.transform import Batch

__all__ = ["Checkpoint", "IndexStore"]


class Checkpoint:
    """Where the index stands: chain id, last block ingested and its hash."""

    def __init__(self, chain_id: int, last_block: int, last_hash: str | None, first_block: int) -> None:
        self.chain_id = chain_id
        self.last_block = last_block
        self.last_hash = last_hash
        self.first_block = first_block

    def __repr__(self) -> str:
        return f"Checkpoint(chain_id={self.chain_id}, last_block={self.last_block})"


class IndexStore:
    """One DuckDB database file holding the index of one chain.

    Args:
        path: database file (created with its tables and metric views if missing).
        read_only: open without write access (for queries).

    Raises:
        IndexerError: the file is locked by another process or is not a DuckDB database.
    """

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise IndexerError(f"no index at {self.path}; run `aiweb3 index run` first")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            reason = "it is in use by another process (an `aiweb3 index run --follow`?)"
            if "lock" not in str(exc).lower():
                reason = f"it cannot be opened ({str(exc).splitlines()[0]})"
            raise IndexerError(f"cannot open the index {self.path}: {reason}; try again later") from None
        if not read_only:
            for stmt in DDL:
                self._x(stmt)
            from aiweb3.indexer.metric_library import MetricLibrary
            from aiweb3.indexer.metrics import install_views

            install_views(self.con)
            MetricLibrary.beside(self.path).install(self.con)

    def _x(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Execute and drain the result (DuckDB wants it drained before the next statement)."""
        return self.con.execute(sql, params).fetchall()

    def _one(self, sql: str, params: list[Any] | None = None) -> tuple[Any, ...] | None:
        rows = self._x(sql, params)
        return rows[0] if rows else None

    def close(self) -> None:
        """Close the database (committed data is durable)."""
        self.con.close()

    def __enter__(self) -> IndexStore:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- checkpoint -----------------------------------------------------------
    def checkpoint(self) -> Checkpoint | None:
        """The checkpoint, or None for an empty index."""
        row = self._one("SELECT chain_id, last_block, last_hash, first_block FROM index_state")
        if row is None:
            return None
        return Checkpoint(int(row[0]), int(row[1]), row[2], int(row[3]))

    def bind_chain(self, chain_id: int, first_block: int) -> Checkpoint:
        """Claim the database for ``chain_id`` (or check that it already indexes it)."""
        cp = self.checkpoint()
        if cp is None:
            self._x(
                "INSERT INTO index_state VALUES (?, ?, NULL, ?, now()::TIMESTAMP)",
                [chain_id, first_block - 1, first_block],
            )
            return Checkpoint(chain_id, first_block - 1, None, first_block)
        if cp.chain_id != chain_id:
            raise IndexerError(
                f"{self.path} indexes chain {cp.chain_id}, not chain {chain_id}; "
                "pass another --db for this chain"
            )
        return cp

    def stored_hash(self, number: int) -> str | None:
        """The stored hash of block ``number`` (None when not stored)."""
        row = self._one("SELECT hash FROM blocks WHERE block_number = ?", [number])
        return None if row is None else str(row[0])

    # -- writes ---------------------------------------------------------------
    def write(self, batch: Batch, last_block: int, last_hash: str) -> None:
        """Insert a batch of rows and move the checkpoint, atomically."""
        self._x("BEGIN TRANSACTION")
        try:
            for table, arrays in batch.items():
                if len(next(iter(arrays.values()))) == 0:
                    continue
                cols = ", ".join(column_names(table))
                self._insert(table, cols, arrays)
            self._x(
                "UPDATE index_state SET last_block = ?, last_hash = ?, updated_at = now()::TIMESTAMP",
                [last_block, last_hash],
            )
            self._x("COMMIT")
        except BaseException:
            self._x("ROLLBACK")
            raise

    def _insert(self, table: str, cols: str, arrays: dict[str, Any]) -> None:
        self.con.register("_aiweb3_rows", arrays)  # DuckDB scans the numpy arrays in place
        try:
            self._x(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _aiweb3_rows")
        finally:
            self.con.unregister("_aiweb3_rows")

    def rollback_to(self, number: int) -> int:
        """Delete every row above block ``number`` and move the checkpoint there.

        Returns:
            How many blocks were removed.
        """
        self._x("BEGIN TRANSACTION")
        try:
            row = self._one("SELECT count(*) FROM blocks WHERE block_number > ?", [number])
            removed = int(row[0]) if row else 0
            for table in BLOCK_TABLES:
                self._x(f"DELETE FROM {table} WHERE block_number > ?", [number])
            self._x(
                "UPDATE index_state SET last_block = ?, "
                "last_hash = (SELECT hash FROM blocks WHERE block_number = ?), updated_at = now()::TIMESTAMP",
                [number, number],
            )
            self._x("COMMIT")
        except BaseException:
            self._x("ROLLBACK")
            raise
        return removed

    def add_tokens(self, rows: list[tuple[str, str, str | None, str | None, int | None]]) -> None:
        """Record token metadata (address, standard, name, symbol, decimals)."""
        if rows:
            self.con.executemany("INSERT INTO tokens VALUES (?, ?, ?, ?, ?)", rows).fetchall()

    def tokens_without_metadata(self) -> list[tuple[str, str]]:
        """(address, standard) of tokens that have transfers but no ``tokens`` row."""
        rows = self._x(
            "SELECT token, any_value(standard) FROM token_transfers "
            "WHERE token NOT IN (SELECT address FROM tokens) GROUP BY token ORDER BY token"
        )
        return [(str(a), str(s)) for a, s in rows]

    def known_tokens(self) -> set[str]:
        """Addresses already in ``tokens``."""
        return {r[0] for r in self._x("SELECT address FROM tokens")}

    def counts(self) -> dict[str, int]:
        """Row count of every block-scoped table."""
        out = {}
        for table in BLOCK_TABLES:
            row = self._one(f"SELECT count(*) FROM {table}")
            out[table] = int(row[0]) if row else 0
        return out

    # -- snapshot -------------------------------------------------------------
    def snapshot_to(self, path: Path | str) -> Checkpoint | None:
        """Copy the committed index into a new database file at ``path`` (atomically).

        DuckDB lets one process hold a file for writing and no other process read it, so a
        process that follows the chain hands readers a snapshot instead. The copy runs in its
        own transaction (a consistent view while batches keep committing) and is renamed into
        place only when complete. Returns the snapshot's checkpoint.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        tmp.unlink()  # DuckDB creates the file itself
        cur = self.con.cursor()
        try:
            (source,) = cur.execute("SELECT current_database()").fetchall()[0]
            cur.execute(f"ATTACH {_quote(tmp)} AS aiweb3_snapshot")
            try:
                cur.execute(f'COPY FROM DATABASE "{source}" TO aiweb3_snapshot')
                row = cur.execute(
                    "SELECT chain_id, last_block, last_hash, first_block FROM aiweb3_snapshot.index_state"
                ).fetchall()
            finally:
                cur.execute("DETACH aiweb3_snapshot")
            os.chmod(tmp, 0o600)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            Path(str(tmp) + ".wal").unlink(missing_ok=True)
            raise
        finally:
            cur.close()
        if not row:
            return None
        chain_id, last_block, last_hash, first_block = row[0]
        return Checkpoint(int(chain_id), int(last_block), last_hash, int(first_block))

    # -- export ---------------------------------------------------------------
    def export_parquet(self, out_dir: Path | str) -> dict[str, int]:
        """Write every table as hive-partitioned Parquet (``<table>/day=YYYY-MM-DD/*.parquet``).

        The export is built in a temporary directory next to ``out_dir`` and swapped in
        whole, so readers never see a half-written export.

        Returns:
            Rows written per table.
        """
        out = Path(out_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        counts: dict[str, int] = {}
        try:
            for table in BLOCK_TABLES:
                row = self._one(f"SELECT count(*) FROM {table}")
                counts[table] = int(row[0]) if row else 0
                target = tmp / table
                if counts[table] == 0:
                    target.mkdir()
                    continue
                self._x(
                    f"COPY (SELECT * FROM {table} ORDER BY block_number) TO {_quote(target)} "
                    "(FORMAT parquet, PARTITION_BY (day), OVERWRITE_OR_IGNORE)"
                )
            for table in ("tokens",):
                self._x(f"COPY {table} TO {_quote(tmp / (table + '.parquet'))} (FORMAT parquet)")
            old = out.with_name(f".{out.name}.old")
            if out.exists():
                os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return counts


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
