"""The index's tables (DuckDB DDL) and their documentation.

Addresses and hashes are lowercase ``0x`` hex. Amounts are ``HUGEINT`` in base units (wei,
token units); a token amount too large for 128 bits (e.g. an unlimited approval) keeps its
exact decimal text in ``value_raw`` and a NULL ``value``. Every block-scoped table carries
``block_number`` (for rollback on reorgs), ``block_time`` and ``day`` (for partitioning).
"""

from __future__ import annotations

__all__ = ["BLOCK_TABLES", "DDL", "TABLE_DOCS", "column_names"]

#: Table name -> (column, type, description) in insertion order.
TABLES: dict[str, list[tuple[str, str, str]]] = {
    "blocks": [
        ("block_number", "UBIGINT", "block height"),
        ("hash", "VARCHAR", "block hash"),
        ("parent_hash", "VARCHAR", "parent block hash"),
        ("miner", "VARCHAR", "fee recipient"),
        ("gas_used", "UBIGINT", "gas used by the block"),
        ("gas_limit", "UBIGINT", "block gas limit"),
        ("base_fee_per_gas", "HUGEINT", "EIP-1559 base fee in wei (NULL before London)"),
        ("tx_count", "INTEGER", "number of transactions"),
        ("block_time", "TIMESTAMP", "block timestamp (UTC)"),
        ("day", "DATE", "UTC day of the block"),
    ],
    "transactions": [
        ("block_number", "UBIGINT", "block height"),
        ("tx_index", "INTEGER", "position in the block"),
        ("hash", "VARCHAR", "transaction hash"),
        ("from_address", "VARCHAR", "sender"),
        ("to_address", "VARCHAR", "recipient (NULL for contract creation)"),
        ("value", "HUGEINT", "ether sent, in wei"),
        ("gas", "UBIGINT", "gas limit"),
        ("gas_price", "HUGEINT", "gas price in wei (effective price is in receipts)"),
        ("nonce", "UBIGINT", "sender nonce"),
        ("tx_type", "INTEGER", "EIP-2718 type (0 legacy, 2 EIP-1559, ...)"),
        ("selector", "VARCHAR", "first 4 bytes of the input (function selector) or NULL"),
        ("input_size", "INTEGER", "input length in bytes"),
        ("block_time", "TIMESTAMP", "block timestamp (UTC)"),
        ("day", "DATE", "UTC day of the block"),
    ],
    "receipts": [
        ("block_number", "UBIGINT", "block height"),
        ("tx_index", "INTEGER", "position in the block"),
        ("tx_hash", "VARCHAR", "transaction hash"),
        ("status", "INTEGER", "1 success, 0 reverted, NULL unknown (pre-Byzantium receipts have no status)"),
        ("gas_used", "UBIGINT", "gas used by the transaction"),
        ("cumulative_gas_used", "UBIGINT", "gas used in the block up to and including it"),
        ("effective_gas_price", "HUGEINT", "price paid per gas, in wei"),
        ("contract_address", "VARCHAR", "created contract (NULL unless a deployment)"),
        ("log_count", "INTEGER", "number of logs"),
        ("block_time", "TIMESTAMP", "block timestamp (UTC)"),
        ("day", "DATE", "UTC day of the block"),
    ],
    "logs": [
        ("block_number", "UBIGINT", "block height"),
        ("tx_index", "INTEGER", "transaction position"),
        ("tx_hash", "VARCHAR", "transaction hash"),
        ("log_index", "INTEGER", "position in the block"),
        ("address", "VARCHAR", "emitting contract"),
        ("topic0", "VARCHAR", "event signature hash"),
        ("topic1", "VARCHAR", "first indexed argument"),
        ("topic2", "VARCHAR", "second indexed argument"),
        ("topic3", "VARCHAR", "third indexed argument"),
        ("data", "VARCHAR", "non-indexed data (hex)"),
        ("block_time", "TIMESTAMP", "block timestamp (UTC)"),
        ("day", "DATE", "UTC day of the block"),
    ],
    "token_transfers": [
        ("block_number", "UBIGINT", "block height"),
        ("tx_hash", "VARCHAR", "transaction hash"),
        ("log_index", "INTEGER", "position in the block"),
        ("token", "VARCHAR", "token contract"),
        ("standard", "VARCHAR", "'erc20' or 'erc721'"),
        ("from_address", "VARCHAR", "sender (0x000..0 for mints)"),
        ("to_address", "VARCHAR", "recipient (0x000..0 for burns)"),
        ("value", "HUGEINT", "amount in base units (1 for an NFT); NULL if over 128 bits"),
        ("value_raw", "VARCHAR", "exact amount as decimal text"),
        ("token_id", "VARCHAR", "ERC-721 token id as decimal text (NULL for ERC-20)"),
        ("block_time", "TIMESTAMP", "block timestamp (UTC)"),
        ("day", "DATE", "UTC day of the block"),
    ],
    "token_approvals": [
        ("block_number", "UBIGINT", "block height"),
        ("tx_hash", "VARCHAR", "transaction hash"),
        ("log_index", "INTEGER", "position in the block"),
        ("token", "VARCHAR", "token contract"),
        ("standard", "VARCHAR", "'erc20' or 'erc721'"),
        ("kind", "VARCHAR", "'approval' or 'approval_for_all'"),
        ("owner", "VARCHAR", "owner of the tokens"),
        ("spender", "VARCHAR", "approved spender or operator"),
        ("value", "HUGEINT", "allowance in base units; NULL if over 128 bits (unlimited)"),
        ("value_raw", "VARCHAR", "exact allowance as decimal text, or the approved flag"),
        ("token_id", "VARCHAR", "ERC-721 token id (NULL otherwise)"),
        ("block_time", "TIMESTAMP", "block timestamp (UTC)"),
        ("day", "DATE", "UTC day of the block"),
    ],
    "decoded_events": [
        ("block_number", "UBIGINT", "block height"),
        ("tx_hash", "VARCHAR", "transaction hash"),
        ("log_index", "INTEGER", "position in the block"),
        ("address", "VARCHAR", "emitting contract"),
        ("contract_name", "VARCHAR", "artifact (or user ABI) that defines the event"),
        ("event_name", "VARCHAR", "event name, e.g. 'AuthorizationUsed'"),
        ("signature", "VARCHAR", "canonical signature, e.g. 'Transfer(address,address,uint256)'"),
        ("args", "JSON", "decoded arguments (numbers as decimal text, bytes as hex)"),
        ("block_time", "TIMESTAMP", "block timestamp (UTC)"),
        ("day", "DATE", "UTC day of the block"),
    ],
}

#: Tables whose rows belong to a block (rolled back on reorgs, exported partitioned by day).
BLOCK_TABLES = tuple(TABLES)

_EXTRA = {
    "tokens": [
        ("address", "VARCHAR", "token contract"),
        ("standard", "VARCHAR", "'erc20' or 'erc721'"),
        ("name", "VARCHAR", "name() or NULL"),
        ("symbol", "VARCHAR", "symbol() or NULL"),
        ("decimals", "INTEGER", "decimals() (0 for ERC-721; NULL if unknown)"),
    ],
    "index_state": [
        ("chain_id", "UBIGINT", "chain the database indexes"),
        ("last_block", "BIGINT", "highest block fully ingested (-1: none)"),
        ("last_hash", "VARCHAR", "hash of last_block"),
        ("first_block", "BIGINT", "first block ingested"),
        ("updated_at", "TIMESTAMP", "when the checkpoint last moved"),
    ],
}

TABLE_DOCS: dict[str, str] = {
    "blocks": "one row per block",
    "transactions": "one row per transaction",
    "receipts": "one row per transaction receipt (status, gas used, created contract)",
    "logs": "every log (raw topics and data)",
    "token_transfers": "decoded ERC-20 and ERC-721 Transfer events",
    "token_approvals": "decoded ERC-20/ERC-721 Approval and ApprovalForAll events",
    "decoded_events": "events decoded with every aiweb3 contract ABI and user ABIs (args as JSON)",
    "tokens": "name, symbol and decimals of every token seen",
    "index_state": "the checkpoint: last block ingested and its hash",
}

ALL_TABLES = {**TABLES, **_EXTRA}


def column_names(table: str) -> list[str]:
    """Column names of ``table`` in insertion order."""
    return [c for c, _, _ in ALL_TABLES[table]]


def _ddl() -> list[str]:
    out = []
    for name, cols in ALL_TABLES.items():
        body = ", ".join(f"{c} {t}" for c, t, _ in cols)
        out.append(f"CREATE TABLE IF NOT EXISTS {name} ({body})")
    return out


#: Statements that create every table (idempotent).
DDL: list[str] = _ddl()


def describe_schema() -> str:
    """The schema as compact text (for prompts and docs)."""
    lines = []
    for name, cols in ALL_TABLES.items():
        lines.append(f"table {name} -- {TABLE_DOCS[name]}")
        for c, t, d in cols:
            lines.append(f"  {c} {t} -- {d}")
    return "\n".join(lines)


__all__ += ["ALL_TABLES", "TABLES", "describe_schema"]
