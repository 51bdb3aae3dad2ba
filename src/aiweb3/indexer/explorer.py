"""Block-explorer reads: one block, one transaction, one address.

Blocks and transactions come straight from the node (always current); an address's history
(its transactions, token transfers and holdings) comes from the index, which is the only place
that can answer "every transaction touching X" without scanning the chain. Addresses and hashes
are returned lowercase; amounts are integers in base units, with ``*_display`` decimals where the
token's decimals are known.
"""

from __future__ import annotations

import json
import re
from functools import cached_property
from typing import Any

import duckdb
from eth_utils import keccak

from aiweb3.chain import Chain, all_artifacts
from aiweb3.errors import InputError
from aiweb3.indexer.decode import APPROVAL_TOPIC, TRANSFER_TOPIC, EventDecoder, word_to_address

__all__ = [
    "ChainExplorer",
    "address_history",
    "parse_address",
    "parse_block_ref",
    "parse_tx_hash",
]

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_HASH = re.compile(r"0x[0-9a-fA-F]{64}")


def parse_address(text: str) -> str:
    """A 0x address, lowercase.

    Raises:
        InputError: not 20 bytes of hex.
    """
    if not _ADDRESS.fullmatch(text.strip()):
        raise InputError(f"{text!r} is not an address: give 0x and 40 hex digits")
    return text.strip().lower()


def parse_tx_hash(text: str) -> str:
    """A 0x transaction hash, lowercase.

    Raises:
        InputError: not 32 bytes of hex.
    """
    if not _HASH.fullmatch(text.strip()):
        raise InputError(f"{text!r} is not a transaction hash: give 0x and 64 hex digits")
    return text.strip().lower()


def parse_block_ref(text: str) -> int | str:
    """A block number (decimal) or a block hash (0x + 64 hex digits).

    Raises:
        InputError: neither.
    """
    text = text.strip()
    if text.isdigit():
        return int(text)
    if _HASH.fullmatch(text):
        return text.lower()
    raise InputError(f"{text!r} is not a block: give its number (e.g. 12) or its 0x hash")


def _int(value: str | None) -> int | None:
    return None if value is None else int(value, 16)


class ChainExplorer:
    """Reads blocks, transactions and accounts from the node, decoding what it can.

    Args:
        chain: the node to read.
        contract_names: known contract addresses (any case) -> names, to label addresses.
        decoder: decodes event logs (default: every aiweb3 contract's ABI).
    """

    def __init__(
        self,
        chain: Chain,
        contract_names: dict[str, str] | None = None,
        decoder: EventDecoder | None = None,
    ) -> None:
        self.chain = chain
        self.names = {a.lower(): n for a, n in (contract_names or {}).items()}
        self._decoder = decoder

    @cached_property
    def decoder(self) -> EventDecoder:
        """The event decoder (built on first use: hashing every ABI costs milliseconds)."""
        if self._decoder is None:
            self._decoder = EventDecoder({n: a.abi for n, a in all_artifacts().items()})
        return self._decoder

    @cached_property
    def selectors(self) -> dict[str, str]:
        """``0x12345678`` -> ``name(types)`` for every function of the aiweb3 contracts."""
        out: dict[str, str] = {}
        for art in all_artifacts().values():
            for item in art.abi:
                if item.get("type") != "function":
                    continue
                sig = f"{item['name']}({','.join(str(i['type']) for i in item.get('inputs', []))})"
                out.setdefault("0x" + keccak(text=sig)[:4].hex(), sig)
        return out

    def label(self, address: str | None) -> str | None:
        """The contract name of a known address, or None."""
        return None if address is None else self.names.get(address.lower())

    def block(self, ref: int | str) -> dict[str, Any] | None:
        """A block by number or hash with its transactions (None when the node has no such block)."""
        if isinstance(ref, int):
            raw = self.chain.rpc("eth_getBlockByNumber", [hex(ref), True])
        else:
            raw = self.chain.rpc("eth_getBlockByHash", [ref, True])
        if raw is None:
            return None
        txs = [self._tx_summary(t) for t in raw.get("transactions", [])]
        number = int(raw["number"], 16)
        return {
            "number": number,
            "hash": raw["hash"],
            "parent_hash": raw["parentHash"],
            "timestamp": int(raw["timestamp"], 16),
            "miner": raw.get("miner"),
            "gas_used": int(raw["gasUsed"], 16),
            "gas_limit": int(raw["gasLimit"], 16),
            "base_fee_per_gas": _int(raw.get("baseFeePerGas")),
            "size": _int(raw.get("size")),
            "transactions": txs,
            "head": self.chain.block_number(),
        }

    def _tx_summary(self, t: dict[str, Any]) -> dict[str, Any]:
        data = t.get("input") or "0x"
        selector = data[:10] if len(data) >= 10 else None
        return {
            "hash": t["hash"],
            "from": t["from"].lower(),
            "to": t["to"].lower() if t.get("to") else None,
            "to_label": self.label(t.get("to")),
            "value": int(t["value"], 16),
            "method": self.selectors.get(selector or "", selector) if t.get("to") else "deploy",
        }

    def transaction(self, tx_hash: str) -> dict[str, Any] | None:
        """A transaction with its receipt and decoded events (None when the node does not know it)."""
        tx, receipt = self.chain.rpc_batch(
            [("eth_getTransactionByHash", [tx_hash]), ("eth_getTransactionReceipt", [tx_hash])]
        )
        if isinstance(tx, Exception) or tx is None:
            return None
        out = self._tx_summary(tx)
        data = tx.get("input") or "0x"
        out.update(
            {
                "block": _int(tx.get("blockNumber")),
                "tx_index": _int(tx.get("transactionIndex")),
                "nonce": int(tx["nonce"], 16),
                "gas": int(tx["gas"], 16),
                "gas_price": _int(tx.get("gasPrice")),
                "type": _int(tx.get("type")) or 0,
                "input_size": max(0, (len(data) - 2) // 2),
                "pending": tx.get("blockNumber") is None,
                "status": None,
                "gas_used": None,
                "effective_gas_price": None,
                "contract_address": None,
                "events": [],
                "timestamp": None,
            }
        )
        if isinstance(receipt, dict):
            out["status"] = _int(receipt.get("status"))
            out["gas_used"] = _int(receipt.get("gasUsed"))
            out["effective_gas_price"] = _int(receipt.get("effectiveGasPrice"))
            created = receipt.get("contractAddress")
            out["contract_address"] = created.lower() if created else None
            out["events"] = [self._event(log) for log in receipt.get("logs", [])]
        if out["block"] is not None:
            block = self.chain.rpc("eth_getBlockByNumber", [hex(out["block"]), False])
            out["timestamp"] = int(block["timestamp"], 16) if block else None
        return out

    def _event(self, log: dict[str, Any]) -> dict[str, Any]:
        address = log["address"].lower()
        topics = [t.lower() for t in log.get("topics", [])]
        data = log.get("data") or "0x"
        base = {"address": address, "contract": self.label(address), "log_index": _int(log.get("logIndex"))}
        if topics and topics[0] in (TRANSFER_TOPIC, APPROVAL_TOPIC) and len(topics) == 3:
            amount = int(data, 16) if len(data) > 2 else 0
            name = "Transfer" if topics[0] == TRANSFER_TOPIC else "Approval"
            keys = ("from", "to") if name == "Transfer" else ("owner", "spender")
            args = {keys[0]: word_to_address(topics[1]), keys[1]: word_to_address(topics[2]), "value": amount}
            return {**base, "name": name, "args": args}
        decoded = self.decoder.decode(address, topics, data)
        if decoded is None:
            return {**base, "name": None, "args": {"topics": topics, "data": data}}
        return {
            **base,
            "contract": base["contract"] or decoded.contract_name,
            "name": decoded.event_name,
            "args": json.loads(decoded.args_json),
        }

    def account(self, address: str) -> dict[str, Any]:
        """Balance (wei), nonce, and whether code lives at ``address``."""
        balance, nonce, code = self.chain.rpc_batch(
            [
                ("eth_getBalance", [address, "latest"]),
                ("eth_getTransactionCount", [address, "latest"]),
                ("eth_getCode", [address, "latest"]),
            ]
        )
        code_size = (len(code) - 2) // 2 if isinstance(code, str) else 0
        return {
            "address": address.lower(),
            "label": self.label(address),
            "balance_wei": int(balance, 16) if isinstance(balance, str) else None,
            "nonce": int(nonce, 16) if isinstance(nonce, str) else None,
            "is_contract": code_size > 0,
            "code_size": code_size,
        }


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description or []]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _display(value: int | None, decimals: int | None) -> str | None:
    if value is None or decimals is None:
        return None
    whole, frac = divmod(abs(int(value)), 10**decimals) if decimals else (abs(int(value)), 0)
    text = f"{whole:,}" + (f".{frac:0{decimals}d}".rstrip("0").rstrip(".") if decimals else "")
    return ("-" if value < 0 else "") + text


def address_history(con: duckdb.DuckDBPyConnection, address: str, *, limit: int = 50) -> dict[str, Any]:
    """An address's indexed history: transactions, token transfers and token holdings.

    Args:
        con: a connection (or cursor) to the index database.
        address: a lowercase 0x address (see :func:`parse_address`).
        limit: the most transactions and transfers returned (newest first).

    Returns:
        ``transactions`` (hash, block, time, from, to, value, status, gas used),
        ``transaction_count``, ``transfers`` (token, symbol, from, to, value) and ``tokens``
        (per token: received minus sent, with its symbol and decimals).
    """
    limit = max(1, min(int(limit), 1000))
    txs = _rows(
        con,
        "SELECT t.hash, t.block_number AS block, epoch(t.block_time)::BIGINT AS timestamp, "
        't.from_address AS "from", t.to_address AS "to", t.value::VARCHAR AS value, t.selector, '
        "r.status, r.gas_used, r.contract_address "
        "FROM transactions t LEFT JOIN receipts r ON r.tx_hash = t.hash "
        "WHERE t.from_address = $a OR t.to_address = $a OR r.contract_address = $a "
        "ORDER BY t.block_number DESC, t.tx_index DESC LIMIT $n",
        {"a": address, "n": limit},
    )
    total = con.execute(
        "SELECT count(*) FROM transactions t LEFT JOIN receipts r ON r.tx_hash = t.hash "
        "WHERE t.from_address = $a OR t.to_address = $a OR r.contract_address = $a",
        {"a": address},
    ).fetchone()
    transfers = _rows(
        con,
        "SELECT x.tx_hash, x.block_number AS block, epoch(x.block_time)::BIGINT AS timestamp, x.token, "
        'k.symbol, k.decimals, x.standard, x.from_address AS "from", x.to_address AS "to", '
        "x.value_raw AS value, x.token_id "
        "FROM token_transfers x LEFT JOIN tokens k ON k.address = x.token "
        "WHERE x.from_address = $a OR x.to_address = $a "
        "ORDER BY x.block_number DESC, x.log_index DESC LIMIT $n",
        {"a": address, "n": limit},
    )
    holdings = _rows(
        con,
        "SELECT x.token, any_value(k.symbol) AS symbol, any_value(k.decimals) AS decimals, "
        "any_value(x.standard) AS standard, "
        "sum(CASE WHEN x.to_address = $a THEN x.value::HUGEINT ELSE 0 END) "
        "- sum(CASE WHEN x.from_address = $a THEN x.value::HUGEINT ELSE 0 END) AS balance, "
        "count(*) AS transfers "
        "FROM token_transfers x LEFT JOIN tokens k ON k.address = x.token "
        "WHERE (x.from_address = $a OR x.to_address = $a) AND x.value IS NOT NULL "
        "GROUP BY x.token ORDER BY transfers DESC",
        {"a": address},
    )
    for t in transfers:
        t["value_display"] = _display(int(t["value"]), t["decimals"]) if t["value"] is not None else None
    for h in holdings:
        h["balance"] = int(h["balance"])
        h["balance_display"] = _display(h["balance"], h["decimals"])
    for t in txs:
        t["value"] = int(t["value"]) if t["value"] is not None else 0
    return {
        "transactions": txs,
        "transaction_count": int(total[0]) if total else 0,
        "transfers": transfers,
        "tokens": holdings,
    }
