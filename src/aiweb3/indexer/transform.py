"""Turn raw JSON-RPC blocks and receipts into column batches for the index tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from aiweb3.indexer.decode import (
    APPROVAL_FOR_ALL_TOPIC,
    APPROVAL_TOPIC,
    TRANSFER_TOPIC,
    EventDecoder,
    word_to_address,
)
from aiweb3.indexer.fetch import RawBlock
from aiweb3.indexer.schema import TABLES, column_names

__all__ = ["Batch", "to_batch"]

Batch = dict[str, dict[str, Any]]  # table -> column -> numpy array

_MAX_HUGEINT = 2**127 - 1
_INT_TYPES = {"UBIGINT": np.uint64, "INTEGER": np.int32, "BIGINT": np.int64}


def _int(value: str | None) -> int | None:
    return int(value, 16) if value is not None else None


def _huge(value: int | None) -> int | None:
    return value if value is not None and value <= _MAX_HUGEINT else None


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


class _Rows:
    """Column lists for one table."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.cols: dict[str, list[Any]] = {c: [] for c in column_names(table)}

    def add(self, *values: Any) -> None:
        for col, value in zip(self.cols.values(), values, strict=True):
            col.append(value)

    def arrays(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, typ, _ in TABLES[self.table]:
            values = self.cols[name]
            if typ in _INT_TYPES and any(v is None for v in values):
                out[name] = np.array(values, dtype=object)  # NULLs: DuckDB casts on insert
            elif typ in _INT_TYPES:
                out[name] = np.array(values, dtype=_INT_TYPES[typ])
            elif typ == "TIMESTAMP":
                out[name] = np.array(values, dtype="datetime64[s]")
            elif typ == "DATE":
                # numpy days are not a DuckDB scan type: pass midnight, the column casts it
                out[name] = np.array([v - v % 86400 for v in values], dtype="datetime64[s]")
            else:
                out[name] = np.array(values, dtype=object)
        return out


def to_batch(raw: Sequence[RawBlock], decoder: EventDecoder) -> tuple[Batch, dict[str, str]]:
    """Rows for every table from raw blocks; also the token addresses seen (-> standard)."""
    rows = {t: _Rows(t) for t in TABLES}
    tokens: dict[str, str] = {}
    for block, receipts in raw:
        number = int(block["number"], 16)
        ts = int(block["timestamp"], 16)
        txs = block["transactions"]
        rows["blocks"].add(
            number,
            block["hash"].lower(),
            block["parentHash"].lower(),
            _lower(block.get("miner")),
            int(block["gasUsed"], 16),
            int(block["gasLimit"], 16),
            _int(block.get("baseFeePerGas")),
            len(txs),
            ts,
            ts,
        )
        for tx in txs:
            data = tx.get("input") or tx.get("data") or "0x"
            size = (len(data) - 2) // 2
            rows["transactions"].add(
                number,
                int(tx["transactionIndex"], 16),
                tx["hash"].lower(),
                tx["from"].lower(),
                _lower(tx.get("to")),
                _huge(int(tx["value"], 16)),
                int(tx["gas"], 16),
                _huge(_int(tx.get("gasPrice") or tx.get("maxFeePerGas"))),
                int(tx["nonce"], 16),
                int(tx.get("type") or "0x0", 16),
                data[:10].lower() if size >= 4 else None,
                size,
                ts,
                ts,
            )
        for rc in receipts:
            logs = rc.get("logs") or []
            tx_hash = rc["transactionHash"].lower()
            tx_index = int(rc["transactionIndex"], 16)
            rows["receipts"].add(
                number,
                tx_index,
                tx_hash,
                # pre-Byzantium receipts carry a state root, not a status: unknown, not success
                _int(rc.get("status")),
                int(rc["gasUsed"], 16),
                int(rc["cumulativeGasUsed"], 16),
                _huge(_int(rc.get("effectiveGasPrice"))),
                _lower(rc.get("contractAddress")),
                len(logs),
                ts,
                ts,
            )
            for log in logs:
                _add_log(rows, tokens, decoder, number, ts, tx_index, tx_hash, log)
    return {t: r.arrays() for t, r in rows.items()}, tokens


def _add_log(
    rows: dict[str, _Rows],
    tokens: dict[str, str],
    decoder: EventDecoder,
    number: int,
    ts: int,
    tx_index: int,
    tx_hash: str,
    log: dict[str, Any],
) -> None:
    topics = [t.lower() for t in log.get("topics") or []]
    address = log["address"].lower()
    data = (log.get("data") or "0x").lower()
    log_index = int(log["logIndex"], 16)
    padded = [*topics, None, None, None, None][:4]
    rows["logs"].add(number, tx_index, tx_hash, log_index, address, *padded, data, ts, ts)
    if not topics:
        return
    t0 = topics[0]
    if t0 == TRANSFER_TOPIC and len(topics) == 3 and len(data) == 66:
        value = int(data, 16)
        rows["token_transfers"].add(
            number,
            tx_hash,
            log_index,
            address,
            "erc20",
            word_to_address(topics[1]),
            word_to_address(topics[2]),
            _huge(value),
            str(value),
            None,
            ts,
            ts,
        )
        tokens.setdefault(address, "erc20")
    elif t0 == TRANSFER_TOPIC and len(topics) == 4 and len(data) == 2:
        rows["token_transfers"].add(
            number,
            tx_hash,
            log_index,
            address,
            "erc721",
            word_to_address(topics[1]),
            word_to_address(topics[2]),
            1,
            "1",
            str(int(topics[3], 16)),
            ts,
            ts,
        )
        tokens.setdefault(address, "erc721")
    elif t0 == APPROVAL_TOPIC and len(topics) == 3 and len(data) == 66:
        value = int(data, 16)
        rows["token_approvals"].add(
            number,
            tx_hash,
            log_index,
            address,
            "erc20",
            "approval",
            word_to_address(topics[1]),
            word_to_address(topics[2]),
            _huge(value),
            str(value),
            None,
            ts,
            ts,
        )
    elif t0 == APPROVAL_TOPIC and len(topics) == 4 and len(data) == 2:
        rows["token_approvals"].add(
            number,
            tx_hash,
            log_index,
            address,
            "erc721",
            "approval",
            word_to_address(topics[1]),
            word_to_address(topics[2]),
            None,
            None,
            str(int(topics[3], 16)),
            ts,
            ts,
        )
    elif t0 == APPROVAL_FOR_ALL_TOPIC and len(topics) == 3 and len(data) == 66:
        flag = int(data, 16) != 0
        rows["token_approvals"].add(
            number,
            tx_hash,
            log_index,
            address,
            "erc721",
            "approval_for_all",
            word_to_address(topics[1]),
            word_to_address(topics[2]),
            None,
            str(flag).lower(),
            None,
            ts,
            ts,
        )
    else:
        event = decoder.decode(address, topics, data)
        if event is not None:
            rows["decoded_events"].add(
                number,
                tx_hash,
                log_index,
                address,
                event.contract_name,
                event.event_name,
                event.signature,
                event.args_json,
                ts,
                ts,
            )
