"""The typed query plan a question is parsed into, and the catalog of subjects it can name.

A :class:`Plan` says what to measure (count, distinct count, sum, average, min, max, share,
a list of rows, or a balance), over which subject, with which filters, in which window,
grouped, ordered and limited how. The deterministic parser (:mod:`aiweb3.indexer.nlq`)
and the language model (under :func:`plan_json_schema`) both produce it, and
:mod:`aiweb3.indexer.plan_sql` compiles it to SQL. Every name a plan may use (subjects,
their logical columns and amounts) is in :data:`SOURCES`, so a plan cannot reach outside
the schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SOURCES", "Amount", "Filter", "Measure", "Plan", "Source", "Window", "plan_json_schema"]

ZERO = "0x" + "0" * 40

Measure = Literal["count", "distinct", "sum", "avg", "median", "min", "max", "share", "list"]
Op = Literal["=", "!=", ">", ">=", "<", "<="]


class Filter(BaseModel):
    """A condition on a logical column of the subject (``value`` is a literal, never SQL)."""

    model_config = ConfigDict(extra="forbid")
    column: str
    op: Op = "="
    value: str | float | int


class Window(BaseModel):
    """A time window, anchored at the newest indexed block.

    ``rolling``: the last ``n`` ``unit``s before the newest block; ``today``/``yesterday``:
    UTC calendar days of the newest block; ``dates``: ``start``..``end`` inclusive (UTC days);
    ``blocks``: block numbers ``first``..``last`` inclusive (``last`` None: up to the newest).
    """

    model_config = ConfigDict(extra="forbid")
    kind: Literal["rolling", "today", "yesterday", "dates", "blocks"]
    n: int | None = Field(default=None, ge=1, le=100_000)
    unit: Literal["minute", "hour", "day", "week"] | None = None
    start: str | None = None
    end: str | None = None
    first: int | None = Field(default=None, ge=0)
    last: int | None = Field(default=None, ge=0)


class Plan(BaseModel):
    """A question as a typed query (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")
    measure: Measure
    subject: str
    amount: str | None = None
    distinct_of: str | None = None
    filters: list[Filter] = Field(default_factory=list)
    share_of: list[Filter] = Field(default_factory=list)
    window: Window | None = None
    group_by: str | None = None
    order: Literal["asc", "desc"] | None = None
    limit: int | None = Field(default=None, ge=1, le=10_000)


@dataclass(frozen=True)
class Amount:
    """A measurable quantity of a subject: its SQL over the source and its unit."""

    sql: str
    unit: str


@dataclass(frozen=True)
class Source:
    """A subject: the rows it reads, the columns a plan may name, its amounts."""

    name: str
    noun: str
    table: str
    where: str = "TRUE"
    columns: dict[str, str] = field(default_factory=dict)
    amounts: dict[str, Amount] = field(default_factory=dict)
    default_amount: str | None = None
    default_actor: str | None = None
    actors: tuple[str, ...] = ()
    list_columns: tuple[str, ...] = ()
    order_key: str = "block_number"


_TIME = {"block": "block_number", "day": "day", "time": "block_time"}
_TOKEN_AMOUNT = "CAST(value AS DOUBLE) / pow(10, coalesce(decimals, 0))"


def _events(name: str, noun: str, names: tuple[str, ...], **kw: Any) -> Source:
    where = "event_name IN (" + ", ".join(f"'{n}'" for n in names) + ")"
    cols = {**_TIME, "event": "event_name", "contract": "contract_name", "tx": "tx_hash"}
    cols.update(kw.pop("columns", {}))
    return Source(name, noun, "decoded_events", where, cols, order_key="block_number", **kw)


def _arg(key: str) -> str:
    return f"(args->>'{key}')"


def _aiusd(key: str) -> str:
    return f"CAST(args->>'{key}' AS DOUBLE) / 1e6"


#: Every subject a plan may name.
SOURCES: dict[str, Source] = {
    s.name: s
    for s in [
        Source(
            "blocks",
            "blocks",
            "blocks",
            columns={**_TIME, "miner": "miner", "tx_count": "tx_count", "gas_used": "gas_used"},
            amounts={
                "tx_count": Amount("tx_count", "transactions per block"),
                "gas_used": Amount("gas_used", "gas"),
                "base_fee": Amount("CAST(base_fee_per_gas AS DOUBLE) / 1e9", "gwei"),
                "block_number": Amount("block_number", "block number"),
                "block_time": Amount("block_time", "UTC time"),
            },
            default_amount="tx_count",
            default_actor="miner",
            actors=("miner",),
            list_columns=("block_number", "block_time", "tx_count", "gas_used"),
        ),
        Source(
            "transactions",
            "transactions",
            "transactions",
            columns={
                **_TIME,
                "sender": "from_address",
                "receiver": "to_address",
                "value_eth": "CAST(value AS DOUBLE) / 1e18",
                "gas": "gas",
                "hash": "hash",
            },
            amounts={
                "value_eth": Amount("CAST(value AS DOUBLE) / 1e18", "ETH"),
                "gas": Amount("gas", "gas (limit)"),
                "block_time": Amount("block_time", "UTC time"),
            },
            default_amount="value_eth",
            default_actor="sender",
            actors=("sender", "receiver"),
            list_columns=("hash", "block_number", "from_address", "to_address", "value_eth"),
        ),
    ]
}

SOURCES["active"] = Source(
    "active",
    "active addresses (senders and receivers of transactions)",
    "(SELECT from_address AS address, block_number, block_time, day FROM transactions UNION ALL "
    "SELECT to_address, block_number, block_time, day FROM transactions WHERE to_address IS NOT NULL)",
    columns={**_TIME, "address": "address"},
    default_actor="address",
    actors=("address",),
)

_RECEIPTS = (
    "(SELECT r.block_number, r.tx_index, r.tx_hash, r.status, r.gas_used, r.effective_gas_price, "
    "r.contract_address, r.block_time, r.day, t.from_address, t.to_address, t.value "
    "FROM receipts r JOIN transactions t ON t.hash = r.tx_hash)"
)
_RX_COLS = {
    **_TIME,
    "sender": "from_address",
    "receiver": "to_address",
    "status": "status",
    "gas_used": "gas_used",
    "contract_address": "contract_address",
    "hash": "tx_hash",
}
_RX_AMOUNTS = {
    "gas_used": Amount("gas_used", "gas"),
    "gas_price": Amount("CAST(effective_gas_price AS DOUBLE) / 1e9", "gwei"),
    "fee_eth": Amount("CAST(gas_used AS DOUBLE) * CAST(effective_gas_price AS DOUBLE) / 1e18", "ETH"),
    "block_time": Amount("block_time", "UTC time"),
    "block_number": Amount("block_number", "block number"),
}
_TRANSFERS = (
    "(SELECT t.*, k.symbol, k.decimals FROM token_transfers t LEFT JOIN tokens k ON k.address = t.token)"
)
_WHOLE = "CAST(t.value AS DOUBLE) / pow(10, coalesce(k.decimals, 0))"
_JOIN = "FROM token_transfers t LEFT JOIN tokens k ON k.address = t.token"
_HOLDINGS = (
    f"(SELECT t.token, k.symbol, t.to_address AS holder, {_WHOLE} AS delta, t.block_number, t.block_time, "
    f"t.day {_JOIN} UNION ALL SELECT t.token, k.symbol, t.from_address, -{_WHOLE}, t.block_number, "
    f"t.block_time, t.day {_JOIN})"
)

SOURCES.update(
    {
        s.name: s
        for s in [
            Source(
                "gas",
                "transactions (gas)",
                _RECEIPTS,
                "TRUE",
                _RX_COLS,
                _RX_AMOUNTS,
                "gas_used",
                "sender",
                ("sender", "receiver"),
                ("tx_hash", "from_address", "gas_used"),
            ),
            Source(
                "failures",
                "failed transactions",
                _RECEIPTS,
                "status = 0",
                _RX_COLS,
                _RX_AMOUNTS,
                "gas_used",
                "sender",
                ("sender", "receiver"),
                ("tx_hash", "from_address", "gas_used"),
            ),
            Source(
                "contracts",
                "contract deployments",
                _RECEIPTS,
                "contract_address IS NOT NULL",
                _RX_COLS,
                _RX_AMOUNTS,
                "gas_used",
                "sender",
                ("sender",),
                ("contract_address", "from_address", "block_number"),
            ),
            Source(
                "transfers",
                "token transfers",
                _TRANSFERS,
                columns={
                    **_TIME,
                    "token": "token",
                    "symbol": "symbol",
                    "standard": "standard",
                    "sender": "from_address",
                    "receiver": "to_address",
                    "amount": _TOKEN_AMOUNT,
                    "hash": "tx_hash",
                },
                amounts={
                    "amount": Amount(_TOKEN_AMOUNT, "tokens"),
                    "net_minted": Amount(
                        f"CASE WHEN from_address = '{ZERO}' THEN {_TOKEN_AMOUNT} "
                        f"WHEN to_address = '{ZERO}' THEN -{_TOKEN_AMOUNT} ELSE 0 END",
                        "tokens",
                    ),
                },
                default_amount="amount",
                default_actor="sender",
                actors=("sender", "receiver"),
                list_columns=("tx_hash", "symbol", "from_address", "to_address", "amount"),
            ),
            Source(
                "holdings",
                "token balances (received minus sent)",
                _HOLDINGS,
                columns={**_TIME, "token": "token", "symbol": "symbol", "holder": "holder"},
                amounts={"balance": Amount("delta", "tokens")},
                default_amount="balance",
                default_actor="holder",
                actors=("holder",),
            ),
            Source(
                "tokens",
                "tokens",
                "tokens",
                columns={"standard": "standard", "symbol": "symbol", "token": "address"},
                list_columns=("symbol", "address", "standard", "decimals"),
                order_key="symbol",
            ),
            Source(
                "approvals",
                "token approvals",
                "(SELECT a.*, k.symbol FROM token_approvals a LEFT JOIN tokens k ON k.address = a.token)",
                columns={
                    **_TIME,
                    "token": "token",
                    "symbol": "symbol",
                    "owner": "owner",
                    "spender": "spender",
                },
                default_actor="owner",
                actors=("owner", "spender"),
            ),
            Source("logs", "log entries", "logs", columns={**_TIME, "contract": "address"}),
            Source(
                "events",
                "decoded events",
                "decoded_events",
                columns={**_TIME, "event": "event_name", "contract": "contract_name", "tx": "tx_hash"},
                list_columns=("block_number", "contract_name", "event_name", "args"),
            ),
            _events(
                "models",
                "verified inferences",
                ("InferenceVerified",),
                columns={"model": _arg("modelId"), "caller": _arg("caller")},
                default_actor="caller",
                actors=("caller", "model"),
            ),
            _events(
                "content",
                "anchored content batches",
                ("BatchAnchored",),
                columns={"by": _arg("by")},
                amounts={"manifests": Amount("CAST(args->>'count' AS BIGINT)", "manifests")},
                default_amount="manifests",
                default_actor="by",
                actors=("by",),
            ),
            _events(
                "contributions",
                "dataset contributions",
                ("Contributed",),
                columns={"payee": _arg("payee"), "dataset": _arg("datasetId")},
                default_actor="payee",
                actors=("payee",),
            ),
            _events(
                "acceptances",
                "accepted dataset contributions",
                ("ContributionAccepted",),
                columns={"dataset": _arg("datasetId")},
                amounts={"paid": Amount(_aiusd("paid"), "AIUSD")},
                default_amount="paid",
            ),
            _events(
                "agents",
                "registered agents",
                ("AgentRegistered",),
                columns={"owner": _arg("owner"), "wallet": _arg("wallet")},
                default_actor="owner",
                actors=("owner",),
            ),
            _events(
                "tasks",
                "escrow tasks posted",
                ("TaskPosted",),
                columns={"requester": _arg("requester"), "task": _arg("taskId")},
                amounts={"budget": Amount(_aiusd("budget"), "AIUSD")},
                default_amount="budget",
                default_actor="requester",
                actors=("requester",),
            ),
            _events(
                "payouts",
                "escrow payouts",
                ("TaskPaid",),
                columns={"provider": _arg("provider"), "task": _arg("taskId")},
                amounts={"paid": Amount(_aiusd("amount"), "AIUSD")},
                default_amount="paid",
                default_actor="provider",
                actors=("provider",),
            ),
            _events(
                "authorizations",
                "EIP-3009 payment authorizations",
                ("AuthorizationUsed",),
                columns={"authorizer": _arg("authorizer")},
                default_actor="authorizer",
                actors=("authorizer",),
            ),
        ]
    }
)

#: Group keys that are time buckets rather than columns.
TIME_BUCKETS = {"hour": "date_trunc('hour', block_time)", "day": "day", "week": "date_trunc('week', day)"}

#: Actor columns that hold addresses (the zero address is left out of them).
ADDRESS_ACTORS = {
    "sender",
    "receiver",
    "holder",
    "owner",
    "spender",
    "caller",
    "by",
    "payee",
    "requester",
    "provider",
    "authorizer",
    "address",
}


def plan_json_schema() -> dict[str, Any]:
    """The JSON schema a language model's plan must follow (subjects listed in its description)."""
    schema = Plan.model_json_schema()
    subjects = "; ".join(
        f"{s.name}: {s.noun} (columns {', '.join(s.columns)}; amounts {', '.join(s.amounts) or 'none'})"
        for s in SOURCES.values()
    )
    schema["description"] = "A query plan over a chain index. Subjects: " + subjects
    return schema


__all__ += ["ADDRESS_ACTORS", "TIME_BUCKETS", "ZERO"]
