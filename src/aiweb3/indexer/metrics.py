"""The metrics library: named, documented SQL over the index, with optional parameters.

Every metric is installed as a view of the same name (all time, default limits) and can
be rendered with parameters: ``token`` (symbol or address), ``address``, ``days`` (a window
ending at the newest indexed block, so answers do not drift with the wall clock) and
``top_n``. The aiweb3 metrics read the generic ``decoded_events`` table by event name, so
they return no rows until the contracts that emit those events are deployed and indexed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import duckdb

from aiweb3.errors import InputError

__all__ = ["METRICS", "Metric", "Params", "get_metric", "install_views"]

_ADDRESS = re.compile(r"^0x[0-9a-f]{40}$")
_SYMBOL = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")


@dataclass(frozen=True)
class Params:
    """Metric parameters (all optional)."""

    token: str | None = None
    address: str | None = None
    days: int | None = None
    top_n: int | None = None

    def checked(self) -> Params:
        """Validate values before they are put into SQL (they are literals, never identifiers)."""
        token = self.token
        if token is not None:
            token = token.lower() if token.startswith("0x") else token
            if not (_ADDRESS.match(token) or _SYMBOL.match(token)):
                raise InputError(f"token {self.token!r} is neither a symbol nor an address")
        address = self.address.lower() if self.address else None
        if address is not None and not _ADDRESS.match(address):
            raise InputError(f"{self.address!r} is not an address (0x + 40 hex digits)")
        if self.days is not None and not 0 < self.days <= 36500:
            raise InputError("days must be between 1 and 36500")
        if self.top_n is not None and not 0 < self.top_n <= 10000:
            raise InputError("top N must be between 1 and 10000")
        return replace(self, token=token, address=address)


def _window(p: Params, column: str = "block_time") -> str:
    if p.days is None:
        return "TRUE"
    return f"{column} > (SELECT max(block_time) FROM blocks) - INTERVAL {p.days} DAY"


def _token(p: Params, column: str = "t.token") -> str:
    if p.token is None:
        return "TRUE"
    if p.token.startswith("0x"):
        return f"{column} = '{p.token}'"
    return f"{column} IN (SELECT address FROM tokens WHERE lower(symbol) = '{p.token.lower()}')"


def _limit(p: Params, default: int) -> str:
    return f"LIMIT {p.top_n or default}"


_ZERO = "0x" + "0" * 40
# Failures are countable only where every receipt has a status (Byzantium, EIP-658, onwards).
_UNKNOWN = "count(*) FILTER (WHERE status IS NULL)"
_FAILED = f"CASE WHEN {_UNKNOWN} = 0 THEN count(*) FILTER (WHERE status = 0) END"
_STATUS_NOTE = (
    "Receipts from before Byzantium carry a state root, not a status, so failures there cannot be "
    "counted: {failed} is NULL wherever the range holds such receipts and {unknown} counts them."
)
_VOLUME = "CAST(sum(t.value) AS DOUBLE) / pow(10, coalesce(any_value(k.decimals), 0))"


@dataclass(frozen=True)
class Metric:
    """A named SQL metric.

    Attributes:
        name: view name (snake_case).
        title: one line.
        description: what it counts and how.
        columns: output columns.
        params: which of token/address/days/top_n it takes.
        build: renders the SQL for checked parameters.
        keywords: extra words for the question matcher.
        examples: example questions (for the matcher and the LLM prompt).
        group: "chain", "tokens" or "aiweb3".
        notes: caveats about the figures (shown with the description, not used for matching).
    """

    name: str
    title: str
    description: str
    columns: tuple[str, ...]
    params: tuple[str, ...]
    build: Callable[[Params], str]
    keywords: str = ""
    examples: tuple[str, ...] = ()
    group: str = "chain"
    required: tuple[str, ...] = field(default=())
    notes: str = ""

    @property
    def documentation(self) -> str:
        """The description followed by the notes."""
        return f"{self.description} {self.notes}".strip()

    def sql(self, params: Params | None = None) -> str:
        """The SQL for ``params`` (unused parameters are ignored)."""
        p = (params or Params()).checked()
        missing = [r for r in self.required if getattr(p, r) is None]
        if missing:
            raise InputError(f"metric {self.name} needs {', '.join(missing)}")
        kept = Params(**{k: getattr(p, k) for k in self.params})
        return " ".join(self.build(kept).split())


def _events(names: tuple[str, ...]) -> str:
    return "event_name IN (" + ", ".join(f"'{n}'" for n in names) + ")"


# The events of aiweb3's own contracts these metrics read (see contracts/src).
_INFERENCE_EVENTS = ("InferenceVerified",)  # ModelRegistry
_ESCROW_EVENTS = ("TaskPosted", "TaskPaid")  # TaskEscrow
_CONTENT_EVENTS = ("BatchAnchored",)  # CreatorRegistry.anchor(root, count)
_DATASET_EVENTS = ("Contributed", "ContributionAccepted")  # DatasetPool

METRICS: list[Metric] = [
    Metric(
        "daily_active_addresses",
        "Daily active addresses",
        "Distinct addresses that sent or received a transaction, per UTC day.",
        ("day", "active_addresses"),
        ("days",),
        lambda p: (
            f"""SELECT day, count(DISTINCT a) AS active_addresses FROM (
            SELECT day, from_address AS a FROM transactions WHERE {_window(p)}
            UNION ALL SELECT day, to_address FROM transactions WHERE to_address IS NOT NULL AND {_window(p)})
            GROUP BY day ORDER BY day"""
        ),
        "active users wallets accounts daily dau unique distinct",
        ("How many active addresses per day?", "daily active users", "unique wallets each day"),
    ),
    Metric(
        "daily_transactions",
        "Transactions per day",
        "Transactions per UTC day and how many of them reverted.",
        ("day", "transactions", "failed", "status_unknown"),
        ("days",),
        lambda p: (
            f"""SELECT day, count(*) AS transactions, {_FAILED} AS failed, {_UNKNOWN} AS status_unknown
            FROM receipts WHERE {_window(p)} GROUP BY day ORDER BY day"""
        ),
        "transactions txs count number daily per day failed reverted",
        ("How many transactions per day?", "daily transaction count", "number of txs each day"),
        notes=_STATUS_NOTE.format(failed="failed", unknown="status_unknown"),
    ),
    Metric(
        "daily_gas",
        "Gas per day",
        "Gas used per UTC day and the average effective gas price in gwei.",
        ("day", "gas_used", "avg_gas_price_gwei"),
        ("days",),
        lambda p: (
            f"""SELECT day, sum(gas_used) AS gas_used,
            avg(CAST(effective_gas_price AS DOUBLE)) / 1e9 AS avg_gas_price_gwei
            FROM receipts WHERE {_window(p)} GROUP BY day ORDER BY day"""
        ),
        "gas used fees price gwei consumption daily per day",
        ("How much gas was used per day?", "daily gas usage", "average gas price each day"),
    ),
    Metric(
        "blocks_per_day",
        "Blocks per day",
        "Blocks per UTC day with their average transaction count.",
        ("day", "blocks", "avg_txs_per_block"),
        ("days",),
        lambda p: (
            f"""SELECT day, count(*) AS blocks, avg(tx_count) AS avg_txs_per_block
            FROM blocks WHERE {_window(p)} GROUP BY day ORDER BY day"""
        ),
        "blocks mined produced daily per day",
        ("How many blocks per day?", "blocks produced each day"),
    ),
    Metric(
        "eth_transfer_volume",
        "Ether moved per day",
        "Ether sent with transactions per UTC day (in ETH).",
        ("day", "eth_volume"),
        ("days",),
        lambda p: (
            f"""SELECT day, CAST(sum(value) AS DOUBLE) / 1e18 AS eth_volume
            FROM transactions WHERE {_window(p)} GROUP BY day ORDER BY day"""
        ),
        "ether eth native value sent moved volume",
        ("How much ETH was transferred per day?", "daily ether volume"),
    ),
    Metric(
        "chain_summary",
        "Chain summary",
        "Totals over the indexed range: blocks, last block, transactions, failed ones, active addresses, "
        "ERC-20 tokens seen, first and last block time.",
        (
            "blocks",
            "last_block",
            "transactions",
            "failed_transactions",
            "active_addresses",
            "erc20_tokens",
            "first_block_time",
            "last_block_time",
            "status_unknown_transactions",
        ),
        ("days",),
        lambda p: (
            f"""SELECT (SELECT count(*) FROM blocks WHERE {_window(p)}) AS blocks,
            (SELECT max(block_number) FROM blocks) AS last_block,
            (SELECT count(*) FROM receipts WHERE {_window(p)}) AS transactions,
            (SELECT {_FAILED} FROM receipts WHERE {_window(p)}) AS failed_transactions,
            (SELECT count(DISTINCT a) FROM (SELECT from_address AS a FROM transactions WHERE {_window(p)}
              UNION ALL SELECT to_address FROM transactions WHERE to_address IS NOT NULL AND {_window(p)}))
              AS active_addresses,
            (SELECT count(*) FROM tokens WHERE standard = 'erc20') AS erc20_tokens,
            (SELECT min(block_time) FROM blocks) AS first_block_time,
            (SELECT max(block_time) FROM blocks) AS last_block_time,
            (SELECT {_UNKNOWN} FROM receipts WHERE {_window(p)}) AS status_unknown_transactions"""
        ),
        "total overall summary all time latest last block height how many in total failed tokens count",
        ("How many transactions in total?", "What is the latest block?", "chain overview"),
        notes=_STATUS_NOTE.format(failed="failed_transactions", unknown="status_unknown_transactions"),
    ),
    Metric(
        "top_senders",
        "Top transaction senders",
        "Addresses that sent the most transactions.",
        ("address", "transactions"),
        ("days", "top_n"),
        lambda p: (
            f"""SELECT from_address AS address, count(*) AS transactions FROM transactions
            WHERE {_window(p)} GROUP BY from_address ORDER BY transactions DESC, address {_limit(p, 10)}"""
        ),
        "top senders most active addresses sent transactions busiest accounts",
        ("Who sent the most transactions?", "top 5 senders", "most active accounts"),
    ),
    Metric(
        "top_receivers",
        "Top transaction receivers",
        "Addresses (contracts included) that received the most transactions.",
        ("address", "transactions"),
        ("days", "top_n"),
        lambda p: (
            f"""SELECT to_address AS address, count(*) AS transactions FROM transactions
            WHERE to_address IS NOT NULL AND {_window(p)}
            GROUP BY to_address ORDER BY transactions DESC, address {_limit(p, 10)}"""
        ),
        "top receivers recipients called contracts most popular destination",
        ("Which addresses received the most transactions?", "most called contracts"),
    ),
    Metric(
        "top_gas_spenders",
        "Top gas spenders",
        "Senders ranked by the gas their transactions used.",
        ("address", "gas_used"),
        ("days", "top_n"),
        lambda p: (
            f"""SELECT t.from_address AS address, sum(r.gas_used) AS gas_used
            FROM transactions t JOIN receipts r ON r.tx_hash = t.hash
            WHERE {_window(p, "t.block_time")} GROUP BY t.from_address
            ORDER BY gas_used DESC, address {_limit(p, 10)}"""
        ),
        "gas spenders consumers most gas spent fees paid by address",
        ("Who spent the most gas?", "top gas consumers"),
    ),
    Metric(
        "new_contracts_per_day",
        "New contracts per day",
        "Contracts created by transactions per UTC day.",
        ("day", "contracts_created"),
        ("days",),
        lambda p: (
            f"""SELECT day, count(*) AS contracts_created FROM receipts
            WHERE contract_address IS NOT NULL AND {_window(p)} GROUP BY day ORDER BY day"""
        ),
        "new contracts deployed created deployments per day daily",
        ("How many contracts were deployed per day?", "new contracts each day"),
    ),
    Metric(
        "new_contracts",
        "New contracts",
        "Every contract created by a transaction, with its creator.",
        ("address", "creator", "block_number"),
        ("days", "address"),
        lambda p: (
            f"""SELECT r.contract_address AS address, t.from_address AS creator, r.block_number
            FROM receipts r JOIN transactions t ON t.hash = r.tx_hash
            WHERE r.contract_address IS NOT NULL AND {_window(p, "r.block_time")}
            {"AND t.from_address = '" + p.address + "'" if p.address else ""}
            ORDER BY r.block_number, address"""
        ),
        "list new contracts deployed created which contracts creator deployer",
        ("Which contracts were deployed?", "list new contracts and their creators"),
    ),
    Metric(
        "token_transfer_volume",
        "Token transfer volume per token and day",
        "ERC-20 transfers and volume (in whole tokens, using decimals) per token per UTC day.",
        ("day", "token", "symbol", "transfers", "volume"),
        ("token", "days"),
        lambda p: (
            f"""SELECT t.day, t.token, any_value(k.symbol) AS symbol, count(*) AS transfers,
            {_VOLUME} AS volume FROM token_transfers t LEFT JOIN tokens k ON k.address = t.token
            WHERE t.standard = 'erc20' AND {_token(p)} AND {_window(p, "t.block_time")}
            GROUP BY t.day, t.token ORDER BY t.day, t.token"""
        ),
        "token transfer volume erc20 amount moved daily per token per day number of transfers count",
        (
            "What is the daily transfer volume of AIUSD?",
            "token volume per day",
            "how much of each token was transferred each day",
        ),
        "tokens",
    ),
    Metric(
        "token_summary",
        "Token summary",
        "Per token: transfers, distinct senders and receivers, and total volume.",
        ("token", "symbol", "transfers", "senders", "receivers", "volume"),
        ("token", "days"),
        lambda p: (
            f"""SELECT t.token, any_value(k.symbol) AS symbol, count(*) AS transfers,
            count(DISTINCT t.from_address) AS senders, count(DISTINCT t.to_address) AS receivers,
            {_VOLUME} AS volume FROM token_transfers t LEFT JOIN tokens k ON k.address = t.token
            WHERE t.standard = 'erc20' AND {_token(p)} AND {_window(p, "t.block_time")}
            GROUP BY t.token ORDER BY transfers DESC, t.token"""
        ),
        "tokens summary overview total volume transfers count how many all tokens",
        ("How many transfers did each token have?", "total AIUSD volume", "token overview"),
        "tokens",
    ),
    Metric(
        "top_token_senders",
        "Top token senders",
        "Addresses that sent the most of a token (volume in whole tokens; mints left out).",
        ("symbol", "address", "transfers", "volume"),
        ("token", "days", "top_n"),
        lambda p: (
            f"""SELECT any_value(k.symbol) AS symbol, t.from_address AS address, count(*) AS transfers,
            {_VOLUME} AS volume FROM token_transfers t LEFT JOIN tokens k ON k.address = t.token
            WHERE t.standard = 'erc20' AND t.from_address <> '{_ZERO}' AND {_token(p)}
            AND {_window(p, "t.block_time")}
            GROUP BY t.token, t.from_address ORDER BY volume DESC, address, symbol {_limit(p, 10)}"""
        ),
        "top token senders sent the most tokens biggest spenders payers outflow",
        ("Who sent the most AIUSD?", "top 5 token senders", "biggest payers"),
        "tokens",
    ),
    Metric(
        "top_token_receivers",
        "Top token receivers",
        "Addresses that received the most of a token (volume in whole tokens; burns left out).",
        ("symbol", "address", "transfers", "volume"),
        ("token", "days", "top_n"),
        lambda p: (
            f"""SELECT any_value(k.symbol) AS symbol, t.to_address AS address, count(*) AS transfers,
            {_VOLUME} AS volume FROM token_transfers t LEFT JOIN tokens k ON k.address = t.token
            WHERE t.standard = 'erc20' AND t.to_address <> '{_ZERO}' AND {_token(p)}
            AND {_window(p, "t.block_time")}
            GROUP BY t.token, t.to_address ORDER BY volume DESC, address, symbol {_limit(p, 10)}"""
        ),
        "top token receivers recipients received the most tokens earners payees inflow",
        ("Who received the most AIUSD?", "top token recipients"),
        "tokens",
    ),
    Metric(
        "top_token_holders",
        "Top token holders",
        "Balances rebuilt from transfers (received minus sent), largest first; the zero address is left out.",
        ("symbol", "address", "balance"),
        ("token", "top_n"),
        lambda p: (
            f"""SELECT any_value(symbol) AS symbol, address,
            CAST(sum(delta) AS DOUBLE) / pow(10, coalesce(any_value(decimals), 0)) AS balance FROM (
              SELECT t.token, t.to_address AS address, t.value AS delta, k.symbol, k.decimals
                FROM token_transfers t LEFT JOIN tokens k ON k.address = t.token
                WHERE t.standard = 'erc20' AND {_token(p)}
              UNION ALL
              SELECT t.token, t.from_address, -t.value, k.symbol, k.decimals FROM token_transfers t
                LEFT JOIN tokens k ON k.address = t.token WHERE t.standard = 'erc20' AND {_token(p)})
            WHERE address <> '{_ZERO}'
            GROUP BY token, address ORDER BY balance DESC, address, symbol {_limit(p, 10)}"""
        ),
        "top holders balances richest whales largest balance hold owns most",
        ("Who holds the most AIUSD?", "top 10 holders", "largest balances"),
        "tokens",
    ),
    Metric(
        "token_balances",
        "Token balances of one address",
        "An address's balance of every ERC-20 (or one token), rebuilt from transfers.",
        ("symbol", "token", "balance"),
        ("token", "address"),
        lambda p: (
            f"""SELECT any_value(k.symbol) AS symbol, t.token,
            CAST(sum(CASE WHEN t.to_address = '{p.address}' THEN t.value ELSE -t.value END) AS DOUBLE)
              / pow(10, coalesce(any_value(k.decimals), 0)) AS balance
            FROM token_transfers t LEFT JOIN tokens k ON k.address = t.token
            WHERE t.standard = 'erc20' AND (t.to_address = '{p.address}' OR t.from_address = '{p.address}')
            AND {_token(p)} GROUP BY t.token ORDER BY symbol, t.token"""
        ),
        "balance of address holds how much does own wallet holdings",
        (
            "What is the AIUSD balance of 0x70997970c51812dc3a010c7d01b50e0d17dc79c8?",
            "how much GLD does this address hold",
        ),
        "tokens",
        required=("address",),
    ),
    Metric(
        "largest_transfers",
        "Largest token transfers",
        "The biggest single ERC-20 transfers (in whole tokens).",
        ("tx_hash", "symbol", "from_address", "to_address", "amount"),
        ("token", "days", "top_n"),
        lambda p: (
            f"""SELECT t.tx_hash, k.symbol, t.from_address, t.to_address,
            CAST(t.value AS DOUBLE) / pow(10, coalesce(k.decimals, 0)) AS amount
            FROM token_transfers t LEFT JOIN tokens k ON k.address = t.token
            WHERE t.standard = 'erc20' AND {_token(p)} AND {_window(p, "t.block_time")}
            ORDER BY amount DESC, t.tx_hash, t.log_index {_limit(p, 10)}"""
        ),
        "largest biggest single transfers whale transfer maximum amount",
        ("What were the largest transfers?", "biggest AIUSD transfers"),
        "tokens",
    ),
    Metric(
        "token_mints",
        "Tokens minted per day",
        "Tokens created (transfers from the zero address) per token per UTC day.",
        ("day", "token", "symbol", "mints", "minted"),
        ("token", "days"),
        lambda p: (
            f"""SELECT t.day, t.token, any_value(k.symbol) AS symbol, count(*) AS mints,
            {_VOLUME} AS minted FROM token_transfers t LEFT JOIN tokens k ON k.address = t.token
            WHERE t.standard = 'erc20' AND t.from_address = '{_ZERO}'
            AND {_token(p)} AND {_window(p, "t.block_time")}
            GROUP BY t.day, t.token ORDER BY t.day, t.token"""
        ),
        "minted mints issued supply created faucet new tokens",
        ("How many tokens were minted per day?", "AIUSD minted by the faucet"),
        "tokens",
    ),
    Metric(
        "token_approvals_summary",
        "Token approvals",
        "Approval events per token: how many, by how many owners, for how many spenders.",
        ("token", "symbol", "approvals", "owners", "spenders"),
        ("token", "days"),
        lambda p: (
            f"""SELECT t.token, any_value(k.symbol) AS symbol, count(*) AS approvals,
            count(DISTINCT t.owner) AS owners, count(DISTINCT t.spender) AS spenders
            FROM token_approvals t LEFT JOIN tokens k ON k.address = t.token
            WHERE {_token(p)} AND {_window(p, "t.block_time")}
            GROUP BY t.token ORDER BY approvals DESC, t.token"""
        ),
        "approvals allowances approve permit spenders",
        ("How many approvals per token?", "AIUSD allowances granted"),
        "tokens",
    ),
    Metric(
        "address_activity",
        "Activity of one address",
        "Transactions sent and received and token transfers out and in for one address.",
        ("address", "txs_sent", "txs_received", "token_transfers_out", "token_transfers_in"),
        ("address", "days"),
        lambda p: (
            f"""SELECT '{p.address}' AS address,
            (SELECT count(*) FROM transactions WHERE from_address = '{p.address}' AND {_window(p)})
              AS txs_sent,
            (SELECT count(*) FROM transactions WHERE to_address = '{p.address}' AND {_window(p)})
              AS txs_received,
            (SELECT count(*) FROM token_transfers WHERE from_address = '{p.address}' AND {_window(p)})
              AS token_transfers_out,
            (SELECT count(*) FROM token_transfers WHERE to_address = '{p.address}' AND {_window(p)})
              AS token_transfers_in"""
        ),
        "activity of address account wallet history what did do does profile how many transactions transfers",
        ("What did 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 do?", "activity of an address"),
        required=("address",),
    ),
    Metric(
        "event_counts",
        "Decoded events",
        "Events decoded with the aiweb3 contract ABIs (and user ABIs), by contract and event name.",
        ("contract_name", "event_name", "events"),
        ("days",),
        lambda p: (
            f"""SELECT contract_name, event_name, count(*) AS events FROM decoded_events
            WHERE {_window(p)} GROUP BY contract_name, event_name
            ORDER BY events DESC, contract_name, event_name"""
        ),
        "events emitted decoded contract events aiweb3 logs kinds",
        ("Which aiweb3 events were emitted?", "count of decoded events"),
        "aiweb3",
    ),
    Metric(
        "authorizations_used",
        "AIUSD payment authorizations per day",
        "EIP-3009 transfer authorizations used (gasless AIUSD payments) per UTC day.",
        ("day", "authorizations", "authorizers"),
        ("days",),
        lambda p: (
            f"""SELECT day, count(*) AS authorizations, count(DISTINCT args->>'authorizer') AS authorizers
            FROM decoded_events WHERE event_name = 'AuthorizationUsed' AND {_window(p)}
            GROUP BY day ORDER BY day"""
        ),
        "authorizations eip-3009 gasless payments transferwithauthorization signed payments",
        ("How many payment authorizations were used per day?", "gasless AIUSD payments"),
        "aiweb3",
    ),
    Metric(
        "verified_inferences_per_model",
        "Verified inferences per model",
        "Inferences whose zero-knowledge proof was verified on chain, per model.",
        ("model", "verified_inferences"),
        ("days", "top_n"),
        lambda p: (
            f"""SELECT args->>'modelId' AS model,
            count(*) AS verified_inferences FROM decoded_events
            WHERE {_events(_INFERENCE_EVENTS)} AND {_window(p)}
            GROUP BY model ORDER BY verified_inferences DESC, model {_limit(p, 100)}"""
        ),
        "verified inferences proofs zkml model proven per model",
        ("How many verified inferences per model?", "proofs verified for each model"),
        "aiweb3",
    ),
    Metric(
        "escrow_volume",
        "Agent escrow volume per day",
        "Agent tasks posted to the escrow per UTC day, the budget locked and the amount paid out "
        "to providers (AIUSD base units).",
        ("day", "tasks", "budget_raw", "paid_raw"),
        ("days",),
        lambda p: (
            f"""SELECT day, count(*) FILTER (WHERE event_name = 'TaskPosted') AS tasks,
            sum(TRY_CAST(args->>'budget' AS HUGEINT)) AS budget_raw,
            sum(TRY_CAST(args->>'amount' AS HUGEINT)) FILTER (WHERE event_name = 'TaskPaid') AS paid_raw
            FROM decoded_events
            WHERE {_events(_ESCROW_EVENTS)} AND {_window(p)} GROUP BY day ORDER BY day"""
        ),
        "escrow agents payments jobs locked volume",
        ("What is the escrow volume per day?", "agent escrow payments"),
        "aiweb3",
    ),
    Metric(
        "content_anchored",
        "Content anchored per day",
        "Signed content manifests anchored on chain per UTC day (in how many batches, by how many "
        "anchoring accounts).",
        ("day", "manifests", "batches", "anchorers"),
        ("days",),
        lambda p: (
            f"""SELECT day, sum(CAST(args->>'count' AS BIGINT)) AS manifests, count(*) AS batches,
            count(DISTINCT args->>'by') AS anchorers
            FROM decoded_events WHERE {_events(_CONTENT_EVENTS)} AND {_window(p)} GROUP BY day ORDER BY day"""
        ),
        "content anchored provenance manifests media signed creators",
        ("How much content was anchored per day?", "provenance manifests anchored"),
        "aiweb3",
    ),
    Metric(
        "dataset_contributions",
        "Dataset contributions per day",
        "Records contributed to dataset pools per UTC day, by how many payees, how many were "
        "accepted and what they were paid (AIUSD base units).",
        ("day", "contributions", "payees", "accepted", "paid_raw"),
        ("days",),
        lambda p: (
            f"""SELECT day, count(*) FILTER (WHERE event_name = 'Contributed') AS contributions,
            count(DISTINCT args->>'payee') FILTER (WHERE event_name = 'Contributed') AS payees,
            count(*) FILTER (WHERE event_name = 'ContributionAccepted') AS accepted,
            sum(TRY_CAST(args->>'paid' AS HUGEINT)) AS paid_raw
            FROM decoded_events WHERE {_events(_DATASET_EVENTS)} AND {_window(p)} GROUP BY day ORDER BY day"""
        ),
        "dataset contributions pool records contributors data",
        ("How many dataset contributions per day?", "contributors to data pools"),
        "aiweb3",
    ),
]

_BY_NAME = {m.name: m for m in METRICS}


def get_metric(name: str) -> Metric:
    """A metric by name; an unknown name lists the known ones."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise InputError(f"no metric {name!r}; known: {', '.join(sorted(_BY_NAME))}") from None


def install_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) one view per metric that needs no parameter."""
    for metric in METRICS:
        if not metric.required:
            con.execute(f"CREATE OR REPLACE VIEW {metric.name} AS {metric.sql()}")
