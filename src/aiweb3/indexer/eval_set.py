# ruff: noqa: E501  (a data file: questions and gold SQL read best one per line)
"""The blind evaluation set for ``aiweb3 ask``, written before the query-plan engine.

Questions are phrased as a user would ask them, not taken from metric examples; each has
gold SQL over the base tables of a chain seeded by :func:`aiweb3.indexer.seed.seed_chain`
(default arguments), or ``None`` when the index cannot answer it (prices, market data,
off-chain facts, the future, the mempool, dates before genesis): those must be declined.
Placeholders in braces are filled from the seeded index by :func:`facts` (dates of the
seeded days, a block in the middle of the range, a model id), so the set does not depend
on the wall-clock time the chain was seeded at.

Conventions the gold SQL fixes (and ``docs/indexer.md`` documents):
- windows are anchored at the newest indexed block: "last N hours/days/weeks" is rolling
  (``block_time > newest - N``); "today"/"yesterday" and dates are UTC calendar days;
  "between D1 and D2" includes both days; "since block B" includes B;
- token amounts are whole tokens (``value / 10^decimals``), ether in ETH, gas prices in
  gwei, shares in percent;
- "senders", "receivers", "holders" and "addresses" never include the zero address;
  "transfers" counts every token transfer row (ERC-20 and ERC-721, mints included) unless
  the question excludes mints or names a token.

The split is by a hash of the question text (:func:`split`), fixed before any tuning.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import duckdb

__all__ = ["EVAL_SET", "EvalItem", "facts", "split"]

DEV0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
DEV1 = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
DEV2 = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"
DEV3 = "0x90f79bf6eb2c4f870365e785982e1f101e93b906"
DEV4 = "0x15d34aaf54267db7d7c367839aaf71a00a2c6a65"
_Z = "'0x0000000000000000000000000000000000000000'"
_NOW = "(SELECT max(block_time) FROM blocks)"
_TODAY = "day = (SELECT max(day) FROM blocks)"
_YDAY = "day = (SELECT max(day) - 1 FROM blocks)"


def _t(symbol: str, column: str = "token") -> str:
    return f"{column} = (SELECT address FROM tokens WHERE symbol = '{symbol}')"


def _h(n: int, column: str = "block_time") -> str:
    return f"{column} > {_NOW} - INTERVAL {n} HOUR"


def _d(n: int, column: str = "block_time") -> str:
    return f"{column} > {_NOW} - INTERVAL {n} DAY"


def _m(n: int) -> str:
    return f"block_time > {_NOW} - INTERVAL {n} MINUTE"


def _ev(name: str, where: str = "TRUE") -> str:
    return f"event_name = '{name}' AND {where}"


def _tt(where: str) -> str:
    return f"SELECT count(*) FROM token_transfers WHERE {where}"


@dataclass(frozen=True)
class EvalItem:
    """One question: its kind, subject and gold SQL (None: it must be declined, for ``reason``)."""

    question: str
    kind: str
    subject: str
    gold: str | None
    reason: str = ""


def _q(question: str, kind: str, subject: str, gold: str) -> EvalItem:
    return EvalItem(question, kind, subject, gold)


def _no(question: str, reason: str) -> EvalItem:
    return EvalItem(question, "unanswerable", "-", None, reason)


_ACTIVE = (
    "SELECT count(DISTINCT a) FROM (SELECT from_address AS a FROM transactions WHERE {w} "
    "UNION ALL SELECT to_address FROM transactions WHERE to_address IS NOT NULL AND {w}) WHERE a <> " + _Z
)
_SUPPLY = "SELECT sum(CASE WHEN from_address = {z} THEN value WHEN to_address = {z} THEN -value ELSE 0 END) / 1e{d} FROM token_transfers WHERE {t}"
_BAL = "SELECT sum(CASE WHEN to_address = '{a}' THEN value ELSE 0 END - CASE WHEN from_address = '{a}' THEN value ELSE 0 END) / 1e{d} FROM token_transfers WHERE {t}"
_HOLD = (
    "SELECT a, sum(v) / 1e{d} AS b FROM (SELECT to_address AS a, value AS v FROM token_transfers WHERE {t} "
    "UNION ALL SELECT from_address, -value FROM token_transfers WHERE {t}) WHERE a <> "
    + _Z
    + " GROUP BY a ORDER BY b DESC LIMIT {n}"
)

EVAL_SET: list[EvalItem] = [
    # ---- counts ------------------------------------------------------------------------
    _q("How many blocks has the chain produced so far?", "count", "blocks", "SELECT count(*) FROM blocks"),
    _q(
        "how many blocks were mined in the last 6 hours",
        "count",
        "blocks",
        f"SELECT count(*) FROM blocks WHERE {_h(6)}",
    ),
    _q("number of blocks on {D2}", "count", "blocks", "SELECT count(*) FROM blocks WHERE day = '{D2}'"),
    _q(
        "How many blocks were there between {D2} and {D3}?",
        "count",
        "blocks",
        "SELECT count(*) FROM blocks WHERE day BETWEEN '{D2}' AND '{D3}'",
    ),
    _q(
        "How many blocks since block {B}?",
        "count",
        "blocks",
        "SELECT count(*) FROM blocks WHERE block_number >= {B}",
    ),
    _q(
        "how many empty blocks are there", "count", "blocks", "SELECT count(*) FROM blocks WHERE tx_count = 0"
    ),
    _q(
        "How many blocks contain more than 5 transactions?",
        "count",
        "blocks",
        "SELECT count(*) FROM blocks WHERE tx_count > 5",
    ),
    _q(
        "How many transactions were sent yesterday?",
        "count",
        "transactions",
        f"SELECT count(*) FROM transactions WHERE {_YDAY}",
    ),
    _q(
        "count the transactions since block {B}",
        "count",
        "transactions",
        "SELECT count(*) FROM transactions WHERE block_number >= {B}",
    ),
    _q(
        "How many transactions happened between {D1} and {D3}?",
        "count",
        "transactions",
        "SELECT count(*) FROM transactions WHERE day BETWEEN '{D1}' AND '{D3}'",
    ),
    _q(
        "how many transactions in the past 3 days",
        "count",
        "transactions",
        f"SELECT count(*) FROM transactions WHERE {_d(3)}",
    ),
    _q(
        "total number of transactions today",
        "count",
        "transactions",
        f"SELECT count(*) FROM transactions WHERE {_TODAY}",
    ),
    _q(
        "number of transactions on {D5}",
        "count",
        "transactions",
        "SELECT count(*) FROM transactions WHERE day = '{D5}'",
    ),
    _q(
        "how many transactions in the last 2 weeks",
        "count",
        "transactions",
        f"SELECT count(*) FROM transactions WHERE {_d(14)}",
    ),
    _q(
        "How many transactions are in blocks {B} to {B2}?",
        "count",
        "transactions",
        "SELECT count(*) FROM transactions WHERE block_number BETWEEN {B} AND {B2}",
    ),
    _q(
        "how many transactions did {DEV1} send",
        "count",
        "transactions",
        f"SELECT count(*) FROM transactions WHERE from_address = '{DEV1}'",
    ),
    _q(
        "How many transactions did {DEV2} receive?",
        "count",
        "transactions",
        f"SELECT count(*) FROM transactions WHERE to_address = '{DEV2}'",
    ),
    _q(
        "How many transactions went to the AIUSD contract?",
        "count",
        "transactions",
        "SELECT count(*) FROM transactions WHERE " + _t("AIUSD", "to_address"),
    ),
    _q(
        "how many transactions used more than 100000 gas",
        "count",
        "gas",
        "SELECT count(*) FROM receipts WHERE gas_used > 100000",
    ),
    _q(
        "How many transactions carried more than 0.2 ETH?",
        "count",
        "transactions",
        "SELECT count(*) FROM transactions WHERE value > 0.2 * 1e18",
    ),
    _q(
        "how many plain ether transfers were there",
        "count",
        "transactions",
        "SELECT count(*) FROM transactions WHERE value > 0",
    ),
    _q("How many token transfers were there in the last 12 hours?", "count", "transfers", _tt(_h(12))),
    _q("how many token transfers in the last 30 minutes", "count", "transfers", _tt(_m(30))),
    _q("How many AIUSD transfers happened?", "count", "transfers", _tt(_t("AIUSD"))),
    _q(
        "How many AIUSD transfers in the last 90 minutes?",
        "count",
        "transfers",
        _tt(_t("AIUSD") + " AND " + _m(90)),
    ),
    _q(
        "how many GLD transfers were not mints",
        "count",
        "transfers",
        _tt(_t("GLD") + f" AND from_address <> {_Z}"),
    ),
    _q(
        "How many TT transfers excluding mints in the last 4 days?",
        "count",
        "transfers",
        _tt(_t("TT") + f" AND from_address <> {_Z} AND " + _d(4)),
    ),
    _q(
        "how many mint transfers of AIUSD were there",
        "count",
        "transfers",
        _tt(_t("AIUSD") + f" AND from_address = {_Z}"),
    ),
    _q(
        "How many NFTs were minted?",
        "count",
        "transfers",
        _tt(f"standard = 'erc721' AND from_address = {_Z}"),
    ),
    _q("How many NFT transfers were there?", "count", "transfers", _tt("standard = 'erc721'")),
    _q(
        "how many transfers of more than 1000 AIUSD",
        "count",
        "transfers",
        _tt(_t("AIUSD") + " AND value > 1000 * 1e6"),
    ),
    _q(
        "number of GLD transfers under 1000 GLD",
        "count",
        "transfers",
        _tt(_t("GLD") + " AND value < 1000 * 1e2"),
    ),
    _q(
        "How many AIUSD transfers of at least 500 tokens happened yesterday?",
        "count",
        "transfers",
        _tt(_t("AIUSD") + " AND value >= 500 * 1e6 AND " + _YDAY),
    ),
    _q(
        "How many AIUSD transfers did {DEV1} send in the last 2 days?",
        "count",
        "transfers",
        _tt(_t("AIUSD") + f" AND from_address = '{DEV1}' AND " + _d(2)),
    ),
    _q(
        "How many TT transfers went from {DEV1} to {DEV2}?",
        "count",
        "transfers",
        _tt(_t("TT") + f" AND from_address = '{DEV1}' AND to_address = '{DEV2}'"),
    ),
    _q(
        "How many transactions failed?", "count", "failures", "SELECT count(*) FROM receipts WHERE status = 0"
    ),
    _q(
        "how many reverted transactions in the last week",
        "count",
        "failures",
        f"SELECT count(*) FROM receipts WHERE status = 0 AND {_d(7)}",
    ),
    _q(
        "How many failed transactions were there on {D4}?",
        "count",
        "failures",
        "SELECT count(*) FROM receipts WHERE status = 0 AND day = '{D4}'",
    ),
    _q(
        "How many contracts have been deployed?",
        "count",
        "contracts",
        "SELECT count(*) FROM receipts WHERE contract_address IS NOT NULL",
    ),
    _q(
        "how many contracts were created since block {B}",
        "count",
        "contracts",
        "SELECT count(*) FROM receipts WHERE contract_address IS NOT NULL AND block_number >= {B}",
    ),
    _q("How many tokens does the index know about?", "count", "tokens", "SELECT count(*) FROM tokens"),
    _q(
        "how many ERC-20 tokens are there",
        "count",
        "tokens",
        "SELECT count(*) FROM tokens WHERE standard = 'erc20'",
    ),
    _q(
        "How many InferenceVerified events were emitted?",
        "count",
        "events",
        "SELECT count(*) FROM decoded_events WHERE " + _ev("InferenceVerified"),
    ),
    _q(
        "How many escrow tasks were posted?",
        "count",
        "agents",
        "SELECT count(*) FROM decoded_events WHERE " + _ev("TaskPosted"),
    ),
    _q(
        "how many tasks were paid out in the last 3 days",
        "count",
        "agents",
        "SELECT count(*) FROM decoded_events WHERE " + _ev("TaskPaid", _d(3)),
    ),
    _q(
        "How many content batches were anchored?",
        "count",
        "content",
        "SELECT count(*) FROM decoded_events WHERE " + _ev("BatchAnchored"),
    ),
    _q(
        "How many agents are registered?",
        "count",
        "agents",
        "SELECT count(*) FROM decoded_events WHERE " + _ev("AgentRegistered"),
    ),
    _q(
        "how many dataset contributions were made",
        "count",
        "datasets",
        "SELECT count(*) FROM decoded_events WHERE " + _ev("Contributed"),
    ),
    _q(
        "How many dataset contributions were accepted?",
        "count",
        "datasets",
        "SELECT count(*) FROM decoded_events WHERE " + _ev("ContributionAccepted"),
    ),
    _q(
        "how many contributions did the dataset pool accept in the last 3 days",
        "count",
        "datasets",
        "SELECT count(*) FROM decoded_events WHERE " + _ev("ContributionAccepted", _d(3)),
    ),
    _q(
        "How many verified inferences for model {M0}?",
        "count",
        "models",
        "SELECT count(*) FROM decoded_events WHERE " + _ev("InferenceVerified", "args->>'modelId' = '{M0}'"),
    ),
    _q(
        "how many inferences did {DEV1} get verified",
        "count",
        "models",
        "SELECT count(*) FROM decoded_events WHERE "
        + _ev("InferenceVerified", f"args->>'caller' = '{DEV1}'"),
    ),
    _q(
        "How many approvals were granted for TT?",
        "count",
        "tokens",
        "SELECT count(*) FROM token_approvals WHERE " + _t("TT"),
    ),
    _q(
        "How many TT approvals in the last 4 days?",
        "count",
        "tokens",
        "SELECT count(*) FROM token_approvals WHERE " + _t("TT") + " AND " + _d(4),
    ),
    _q(
        "How many payment authorizations were used today?",
        "count",
        "events",
        "SELECT count(*) FROM decoded_events WHERE " + _ev("AuthorizationUsed", _TODAY),
    ),
    _q(
        "how many gasless AIUSD payments did {DEV3} authorize",
        "count",
        "events",
        "SELECT count(*) FROM decoded_events WHERE "
        + _ev("AuthorizationUsed", f"args->>'authorizer' = '{DEV3}'"),
    ),
    _q(
        "How many events did the TaskEscrow contract emit?",
        "count",
        "events",
        "SELECT count(*) FROM decoded_events WHERE contract_name = 'TaskEscrow'",
    ),
    _q(
        "how many decoded events are there in total", "count", "events", "SELECT count(*) FROM decoded_events"
    ),
    _q(
        "How many log entries were written in the last hour?",
        "count",
        "events",
        f"SELECT count(*) FROM logs WHERE {_h(1)}",
    ),
    _q(
        "How many escrow tasks did {DEV1} post?",
        "count",
        "agents",
        "SELECT count(*) FROM decoded_events WHERE " + _ev("TaskPosted", f"args->>'requester' = '{DEV1}'"),
    ),
    _q(
        "How many TaskPaid events in the last 2 days?",
        "count",
        "agents",
        "SELECT count(*) FROM decoded_events WHERE " + _ev("TaskPaid", _d(2)),
    ),
    _q(
        "How many tasks were posted to the escrow but never paid?",
        "count",
        "agents",
        "SELECT count(*) FROM decoded_events WHERE event_name = 'TaskPosted' AND args->>'taskId' NOT IN (SELECT args->>'taskId' FROM decoded_events WHERE event_name = 'TaskPaid')",
    ),
    # ---- distinct ----------------------------------------------------------------------
    _q(
        "How many distinct addresses sent transactions?",
        "distinct",
        "transactions",
        "SELECT count(DISTINCT from_address) FROM transactions",
    ),
    _q(
        "how many unique senders of AIUSD were there",
        "distinct",
        "transfers",
        f"SELECT count(DISTINCT from_address) FROM token_transfers WHERE {_t('AIUSD')} AND from_address <> {_Z}",
    ),
    _q(
        "How many different wallets received GLD in the last 5 days?",
        "distinct",
        "transfers",
        f"SELECT count(DISTINCT to_address) FROM token_transfers WHERE {_t('GLD')} AND to_address <> {_Z} AND {_d(5)}",
    ),
    _q(
        "How many addresses sent AIUSD yesterday?",
        "distinct",
        "transfers",
        f"SELECT count(DISTINCT from_address) FROM token_transfers WHERE {_t('AIUSD')} AND from_address <> {_Z} AND {_YDAY}",
    ),
    _q(
        "number of unique payers of TaskEscrow",
        "distinct",
        "agents",
        "SELECT count(DISTINCT args->>'requester') FROM decoded_events WHERE " + _ev("TaskPosted"),
    ),
    _q(
        "How many distinct providers got paid by the escrow?",
        "distinct",
        "agents",
        "SELECT count(DISTINCT args->>'provider') FROM decoded_events WHERE " + _ev("TaskPaid"),
    ),
    _q(
        "how many different models had inferences verified",
        "distinct",
        "models",
        "SELECT count(DISTINCT args->>'modelId') FROM decoded_events WHERE " + _ev("InferenceVerified"),
    ),
    _q(
        "How many distinct accounts anchored content?",
        "distinct",
        "content",
        "SELECT count(DISTINCT args->>'by') FROM decoded_events WHERE " + _ev("BatchAnchored"),
    ),
    _q(
        "How many unique contributors to datasets are there?",
        "distinct",
        "datasets",
        "SELECT count(DISTINCT args->>'payee') FROM decoded_events WHERE " + _ev("Contributed"),
    ),
    _q(
        "How many distinct accounts have deployed contracts?",
        "distinct",
        "contracts",
        "SELECT count(DISTINCT t.from_address) FROM receipts r JOIN transactions t ON t.hash = r.tx_hash WHERE r.contract_address IS NOT NULL",
    ),
    _q(
        "how many unique miners produced blocks",
        "distinct",
        "blocks",
        "SELECT count(DISTINCT miner) FROM blocks",
    ),
    _q(
        "How many distinct tokens were transferred yesterday?",
        "distinct",
        "transfers",
        f"SELECT count(DISTINCT token) FROM token_transfers WHERE {_YDAY}",
    ),
    _q(
        "How many unique addresses were active in the last 24 hours?",
        "distinct",
        "transactions",
        _ACTIVE.format(w=_h(24)),
    ),
    _q(
        "how many distinct addresses have ever been active",
        "distinct",
        "transactions",
        _ACTIVE.format(w="TRUE"),
    ),
    _q(
        "How many distinct agent owners are there?",
        "distinct",
        "agents",
        "SELECT count(DISTINCT args->>'owner') FROM decoded_events WHERE " + _ev("AgentRegistered"),
    ),
    _q(
        "how many different event types were emitted",
        "distinct",
        "events",
        "SELECT count(DISTINCT event_name) FROM decoded_events",
    ),
    _q(
        "How many unique receivers of TT excluding mints?",
        "distinct",
        "transfers",
        f"SELECT count(DISTINCT to_address) FROM token_transfers WHERE {_t('TT')} AND from_address <> {_Z} AND to_address <> {_Z}",
    ),
    _q(
        "how many distinct NFT owners received tokens",
        "distinct",
        "transfers",
        f"SELECT count(DISTINCT to_address) FROM token_transfers WHERE standard = 'erc721' AND to_address <> {_Z}",
    ),
    _q(
        "How many different accounts paid gas today?",
        "distinct",
        "gas",
        f"SELECT count(DISTINCT from_address) FROM transactions WHERE {_TODAY}",
    ),
    # ---- sums --------------------------------------------------------------------------
    _q(
        "What is the total AIUSD volume transferred?",
        "sum",
        "transfers",
        f"SELECT sum(value) / 1e6 FROM token_transfers WHERE {_t('AIUSD')}",
    ),
    _q(
        "total GLD moved between users, not counting mints",
        "sum",
        "transfers",
        f"SELECT sum(value) / 1e2 FROM token_transfers WHERE {_t('GLD')} AND from_address <> {_Z}",
    ),
    _q(
        "How much TT was transferred in the last 2 days?",
        "sum",
        "transfers",
        f"SELECT sum(value) / 1e18 FROM token_transfers WHERE {_t('TT')} AND {_d(2)}",
    ),
    _q("how much ETH was sent in total", "sum", "transactions", "SELECT sum(value) / 1e18 FROM transactions"),
    _q(
        "How much ether was transferred yesterday?",
        "sum",
        "transactions",
        f"SELECT sum(value) / 1e18 FROM transactions WHERE {_YDAY}",
    ),
    _q(
        "How much ETH did {DEV4} send?",
        "sum",
        "transactions",
        f"SELECT sum(value) / 1e18 FROM transactions WHERE from_address = '{DEV4}'",
    ),
    _q(
        "Total gas used in the last 6 hours?",
        "sum",
        "gas",
        f"SELECT sum(gas_used) FROM receipts WHERE {_h(6)}",
    ),
    _q(
        "How much gas did failed transactions burn?",
        "sum",
        "gas",
        "SELECT sum(gas_used) FROM receipts WHERE status = 0",
    ),
    _q(
        "total gas used by {DEV1}",
        "sum",
        "gas",
        f"SELECT sum(r.gas_used) FROM receipts r JOIN transactions t ON t.hash = r.tx_hash WHERE t.from_address = '{DEV1}'",
    ),
    _q("Total gas used on {D1}", "sum", "gas", "SELECT sum(gas_used) FROM receipts WHERE day = '{D1}'"),
    _q(
        "total fees paid in ETH",
        "sum",
        "gas",
        "SELECT sum(CAST(gas_used AS DOUBLE) * CAST(effective_gas_price AS DOUBLE)) / 1e18 FROM receipts",
    ),
    _q(
        "What is the total budget posted to the escrow?",
        "sum",
        "agents",
        "SELECT sum(CAST(args->>'budget' AS DOUBLE)) / 1e6 FROM decoded_events WHERE " + _ev("TaskPosted"),
    ),
    _q(
        "How much has TaskEscrow paid out to providers?",
        "sum",
        "agents",
        "SELECT sum(CAST(args->>'amount' AS DOUBLE)) / 1e6 FROM decoded_events WHERE " + _ev("TaskPaid"),
    ),
    _q(
        "How many manifests were anchored in total?",
        "sum",
        "content",
        "SELECT sum(CAST(args->>'count' AS BIGINT)) FROM decoded_events WHERE " + _ev("BatchAnchored"),
    ),
    _q(
        "how much did dataset pools pay contributors",
        "sum",
        "datasets",
        "SELECT sum(CAST(args->>'paid' AS DOUBLE)) / 1e6 FROM decoded_events WHERE "
        + _ev("ContributionAccepted"),
    ),
    _q(
        "How much AIUSD did {DEV1} send?",
        "sum",
        "transfers",
        f"SELECT sum(value) / 1e6 FROM token_transfers WHERE {_t('AIUSD')} AND from_address = '{DEV1}'",
    ),
    _q(
        "How much AIUSD was minted?",
        "sum",
        "transfers",
        f"SELECT sum(value) / 1e6 FROM token_transfers WHERE {_t('AIUSD')} AND from_address = {_Z}",
    ),
    _q(
        "How much GLD did {DEV2} receive in the last 3 days?",
        "sum",
        "transfers",
        f"SELECT sum(value) / 1e2 FROM token_transfers WHERE {_t('GLD')} AND to_address = '{DEV2}' AND {_d(3)}",
    ),
    _q(
        "How much AIUSD moved between {D2} and {D4}?",
        "sum",
        "transfers",
        f"SELECT sum(value) / 1e6 FROM token_transfers WHERE {_t('AIUSD')} AND day BETWEEN '{{D2}}' AND '{{D4}}'",
    ),
    _q(
        "total TT volume since block {B}",
        "sum",
        "transfers",
        f"SELECT sum(value) / 1e18 FROM token_transfers WHERE {_t('TT')} AND block_number >= {{B}}",
    ),
    _q("What is the total supply of AIUSD?", "sum", "tokens", _SUPPLY.format(z=_Z, d=6, t=_t("AIUSD"))),
    _q("what's the circulating supply of GLD", "sum", "tokens", _SUPPLY.format(z=_Z, d=2, t=_t("GLD"))),
    _q("What is {DEV1}'s GLD balance?", "sum", "tokens", _BAL.format(a=DEV1, d=2, t=_t("GLD"))),
    _q("how much AIUSD does {DEV2} hold", "sum", "tokens", _BAL.format(a=DEV2, d=6, t=_t("AIUSD"))),
    _q(
        "How much gas did the blocks of {D3} use altogether?",
        "sum",
        "gas",
        "SELECT sum(gas_used) FROM blocks WHERE day = '{D3}'",
    ),
    _q(
        "How much AIUSD was paid through gasless authorizations?",
        "sum",
        "transfers",
        "SELECT sum(t.value) / 1e6 FROM token_transfers t WHERE t.tx_hash IN (SELECT tx_hash FROM decoded_events WHERE event_name = 'AuthorizationUsed') AND "
        + _t("AIUSD", "t.token"),
    ),
    # ---- averages ----------------------------------------------------------------------
    _q(
        "What is the average AIUSD transfer size?",
        "average",
        "transfers",
        f"SELECT avg(value) / 1e6 FROM token_transfers WHERE {_t('AIUSD')}",
    ),
    _q("average gas used per transaction", "average", "gas", "SELECT avg(gas_used) FROM receipts"),
    _q(
        "What's the average gas price in gwei over the last day?",
        "average",
        "gas",
        f"SELECT avg(CAST(effective_gas_price AS DOUBLE)) / 1e9 FROM receipts WHERE {_d(1)}",
    ),
    _q("average number of transactions per block", "average", "blocks", "SELECT avg(tx_count) FROM blocks"),
    _q(
        "average escrow task budget",
        "average",
        "agents",
        "SELECT avg(CAST(args->>'budget' AS DOUBLE)) / 1e6 FROM decoded_events WHERE " + _ev("TaskPosted"),
    ),
    _q(
        "What is the mean GLD transfer amount excluding mints?",
        "average",
        "transfers",
        f"SELECT avg(value) / 1e2 FROM token_transfers WHERE {_t('GLD')} AND from_address <> {_Z}",
    ),
    _q(
        "average ETH value of transactions that moved ether",
        "average",
        "transactions",
        "SELECT avg(value) / 1e18 FROM transactions WHERE value > 0",
    ),
    _q(
        "average manifests per anchored batch",
        "average",
        "content",
        "SELECT avg(CAST(args->>'count' AS BIGINT)) FROM decoded_events WHERE " + _ev("BatchAnchored"),
    ),
    _q(
        "What is the average gas used by failed transactions?",
        "average",
        "failures",
        "SELECT avg(gas_used) FROM receipts WHERE status = 0",
    ),
    _q(
        "average block gas used yesterday",
        "average",
        "blocks",
        f"SELECT avg(gas_used) FROM blocks WHERE {_YDAY}",
    ),
    _q(
        "Average TT transfer in the last 3 days",
        "average",
        "transfers",
        f"SELECT avg(value) / 1e18 FROM token_transfers WHERE {_t('TT')} AND {_d(3)}",
    ),
    _q(
        "average AIUSD transfer on {D3}",
        "average",
        "transfers",
        f"SELECT avg(value) / 1e6 FROM token_transfers WHERE {_t('AIUSD')} AND day = '{{D3}}'",
    ),
    _q(
        "What's the average payout per paid escrow task?",
        "average",
        "agents",
        "SELECT avg(CAST(args->>'amount' AS DOUBLE)) / 1e6 FROM decoded_events WHERE " + _ev("TaskPaid"),
    ),
    _q(
        "mean base fee in gwei",
        "average",
        "gas",
        "SELECT avg(CAST(base_fee_per_gas AS DOUBLE)) / 1e9 FROM blocks",
    ),
    _q(
        "average gas limit of transactions sent by {DEV2}",
        "average",
        "gas",
        f"SELECT avg(gas) FROM transactions WHERE from_address = '{DEV2}'",
    ),
    # ---- min / max ---------------------------------------------------------------------
    _q(
        "What was the largest single AIUSD transfer?",
        "minmax",
        "transfers",
        f"SELECT max(value) / 1e6 FROM token_transfers WHERE {_t('AIUSD')}",
    ),
    _q(
        "smallest GLD transfer",
        "minmax",
        "transfers",
        f"SELECT min(value) / 1e2 FROM token_transfers WHERE {_t('GLD')}",
    ),
    _q(
        "What is the highest gas price paid?",
        "minmax",
        "gas",
        "SELECT max(CAST(effective_gas_price AS DOUBLE)) / 1e9 FROM receipts",
    ),
    _q(
        "What's the most gas a single transaction used?",
        "minmax",
        "gas",
        "SELECT max(gas_used) FROM receipts",
    ),
    _q(
        "the biggest escrow budget ever posted",
        "minmax",
        "agents",
        "SELECT max(CAST(args->>'budget' AS DOUBLE)) / 1e6 FROM decoded_events WHERE " + _ev("TaskPosted"),
    ),
    _q("What is the latest block number?", "minmax", "blocks", "SELECT max(block_number) FROM blocks"),
    _q("When was the first block mined?", "minmax", "blocks", "SELECT min(block_time) FROM blocks"),
    _q("biggest ETH payment", "minmax", "transactions", "SELECT max(value) / 1e18 FROM transactions"),
    _q(
        "largest batch of manifests anchored",
        "minmax",
        "content",
        "SELECT max(CAST(args->>'count' AS BIGINT)) FROM decoded_events WHERE " + _ev("BatchAnchored"),
    ),
    _q(
        "What was the largest TT transfer between users, not mints?",
        "minmax",
        "transfers",
        f"SELECT max(value) / 1e18 FROM token_transfers WHERE {_t('TT')} AND from_address <> {_Z}",
    ),
    _q(
        "highest block gas used today", "minmax", "blocks", f"SELECT max(gas_used) FROM blocks WHERE {_TODAY}"
    ),
    _q(
        "lowest base fee in gwei",
        "minmax",
        "gas",
        "SELECT min(CAST(base_fee_per_gas AS DOUBLE)) / 1e9 FROM blocks",
    ),
    _q("What is the most recent block time?", "minmax", "blocks", "SELECT max(block_time) FROM blocks"),
    _q(
        "What was the highest gas price yesterday?",
        "minmax",
        "gas",
        f"SELECT max(CAST(effective_gas_price AS DOUBLE)) / 1e9 FROM receipts WHERE {_YDAY}",
    ),
    _q(
        "smallest escrow payout",
        "minmax",
        "agents",
        "SELECT min(CAST(args->>'amount' AS DOUBLE)) / 1e6 FROM decoded_events WHERE " + _ev("TaskPaid"),
    ),
    _q(
        "When was the last failed transaction?",
        "minmax",
        "failures",
        "SELECT max(block_time) FROM receipts WHERE status = 0",
    ),
    _q(
        "In which block was the first contract deployed?",
        "minmax",
        "contracts",
        "SELECT min(block_number) FROM receipts WHERE contract_address IS NOT NULL",
    ),
    _q(
        "largest AIUSD transfer in the last 2 hours",
        "minmax",
        "transfers",
        f"SELECT max(value) / 1e6 FROM token_transfers WHERE {_t('AIUSD')} AND {_h(2)}",
    ),
    # ---- shares ------------------------------------------------------------------------
    _q(
        "What share of transactions failed?",
        "share",
        "failures",
        "SELECT 100.0 * count(*) FILTER (WHERE status = 0) / count(*) FROM receipts",
    ),
    _q(
        "What percentage of token transfers are AIUSD?",
        "share",
        "transfers",
        f"SELECT 100.0 * count(*) FILTER (WHERE {_t('AIUSD')}) / count(*) FROM token_transfers",
    ),
    _q(
        "what fraction of transactions sent ether, in percent",
        "share",
        "transactions",
        "SELECT 100.0 * count(*) FILTER (WHERE value > 0) / count(*) FROM transactions",
    ),
    _q(
        "What percentage of escrow tasks were paid?",
        "share",
        "agents",
        "SELECT 100.0 * count(*) FILTER (WHERE event_name = 'TaskPaid') / count(*) FILTER (WHERE event_name = 'TaskPosted') FROM decoded_events",
    ),
    _q(
        "share of dataset contributions that were accepted",
        "share",
        "datasets",
        "SELECT 100.0 * count(*) FILTER (WHERE event_name = 'ContributionAccepted') / count(*) FILTER (WHERE event_name = 'Contributed') FROM decoded_events",
    ),
    _q(
        "What percent of AIUSD transfers were mints?",
        "share",
        "transfers",
        f"SELECT 100.0 * count(*) FILTER (WHERE from_address = {_Z}) / count(*) FROM token_transfers WHERE {_t('AIUSD')}",
    ),
    _q(
        "What share of transactions in the last 3 days failed?",
        "share",
        "failures",
        f"SELECT 100.0 * count(*) FILTER (WHERE status = 0) / count(*) FROM receipts WHERE {_d(3)}",
    ),
    _q(
        "percentage of blocks that are empty",
        "share",
        "blocks",
        "SELECT 100.0 * count(*) FILTER (WHERE tx_count = 0) / count(*) FROM blocks",
    ),
    _q(
        "What share of GLD volume did {DEV1} send?",
        "share",
        "transfers",
        f"SELECT 100.0 * sum(value) FILTER (WHERE from_address = '{DEV1}') / sum(value) FROM token_transfers WHERE {_t('GLD')}",
    ),
    _q(
        "What share of transactions were contract deployments?",
        "share",
        "contracts",
        "SELECT 100.0 * count(*) FILTER (WHERE contract_address IS NOT NULL) / count(*) FROM receipts",
    ),
    _q(
        "What percentage of transactions did {DEV1} send?",
        "share",
        "transactions",
        f"SELECT 100.0 * count(*) FILTER (WHERE from_address = '{DEV1}') / count(*) FROM transactions",
    ),
    _q(
        "what share of verified inferences were for model {M0}",
        "share",
        "models",
        "SELECT 100.0 * count(*) FILTER (WHERE args->>'modelId' = '{M0}') / count(*) FROM decoded_events WHERE event_name = 'InferenceVerified'",
    ),
    _q(
        "Which share of the gas used went to failed transactions?",
        "share",
        "failures",
        "SELECT 100.0 * sum(gas_used) FILTER (WHERE status = 0) / sum(gas_used) FROM receipts",
    ),
    _q(
        "What percent of TT transfers in the last 4 days were over 100 TT?",
        "share",
        "transfers",
        f"SELECT 100.0 * count(*) FILTER (WHERE value > 100 * 1e18) / count(*) FROM token_transfers WHERE {_t('TT')} AND {_d(4)}",
    ),
    # ---- grouping, ordering, limits -----------------------------------------------------
    _q(
        "transactions per day", "group", "transactions", "SELECT day, count(*) FROM transactions GROUP BY day"
    ),
    _q(
        "How many transfers per token?",
        "group",
        "transfers",
        "SELECT k.symbol, count(*) FROM token_transfers t JOIN tokens k ON k.address = t.token GROUP BY k.symbol",
    ),
    _q(
        "Top 5 senders of AIUSD by volume",
        "group",
        "transfers",
        f"SELECT from_address, sum(value) / 1e6 AS v FROM token_transfers WHERE {_t('AIUSD')} AND from_address <> {_Z} GROUP BY 1 ORDER BY v DESC LIMIT 5",
    ),
    _q(
        "Which 3 addresses received the most GLD?",
        "group",
        "transfers",
        f"SELECT to_address, sum(value) / 1e2 AS v FROM token_transfers WHERE {_t('GLD')} AND to_address <> {_Z} GROUP BY 1 ORDER BY v DESC LIMIT 3",
    ),
    _q(
        "top 3 addresses by number of transactions sent in the last 2 days",
        "group",
        "transactions",
        f"SELECT from_address, count(*) AS c FROM transactions WHERE {_d(2)} GROUP BY 1 ORDER BY c DESC, 1 LIMIT 3",
    ),
    _q(
        "gas used per day over the last 4 days",
        "group",
        "gas",
        f"SELECT day, sum(gas_used) FROM receipts WHERE {_d(4)} GROUP BY day",
    ),
    _q(
        "failed transactions per day",
        "group",
        "failures",
        "SELECT day, count(*) FROM receipts WHERE status = 0 GROUP BY day",
    ),
    _q(
        "AIUSD volume by day",
        "group",
        "transfers",
        f"SELECT day, sum(value) / 1e6 FROM token_transfers WHERE {_t('AIUSD')} GROUP BY day",
    ),
    _q(
        "blocks per day in the last 7 days",
        "group",
        "blocks",
        f"SELECT day, count(*) FROM blocks WHERE {_d(7)} GROUP BY day",
    ),
    _q(
        "Which contract emitted the most events?",
        "group",
        "events",
        "SELECT contract_name, count(*) AS c FROM decoded_events GROUP BY 1 ORDER BY c DESC LIMIT 1",
    ),
    _q(
        "verified inferences broken down by model",
        "group",
        "models",
        "SELECT args->>'modelId', count(*) FROM decoded_events WHERE event_name = 'InferenceVerified' GROUP BY 1",
    ),
    _q(
        "top 2 models by number of verified inferences",
        "group",
        "models",
        "SELECT args->>'modelId' AS m, count(*) AS c FROM decoded_events WHERE event_name = 'InferenceVerified' GROUP BY 1 ORDER BY c DESC, m LIMIT 2",
    ),
    _q(
        "agents registered per owner",
        "group",
        "agents",
        "SELECT args->>'owner', count(*) FROM decoded_events WHERE event_name = 'AgentRegistered' GROUP BY 1",
    ),
    _q(
        "daily escrow payouts",
        "group",
        "agents",
        "SELECT day, sum(CAST(args->>'amount' AS DOUBLE)) / 1e6 FROM decoded_events WHERE event_name = 'TaskPaid' GROUP BY day",
    ),
    _q(
        "manifests anchored per day",
        "group",
        "content",
        "SELECT day, sum(CAST(args->>'count' AS BIGINT)) FROM decoded_events WHERE event_name = 'BatchAnchored' GROUP BY day",
    ),
    _q(
        "dataset contributions per day over the last 4 days",
        "group",
        "datasets",
        f"SELECT day, count(*) FROM decoded_events WHERE event_name = 'Contributed' AND {_d(4)} GROUP BY day",
    ),
    _q(
        "number of events by event name",
        "group",
        "events",
        "SELECT event_name, count(*) FROM decoded_events GROUP BY 1",
    ),
    _q(
        "the 5 largest AIUSD transfers",
        "group",
        "transfers",
        f"SELECT value / 1e6 AS v FROM token_transfers WHERE {_t('AIUSD')} ORDER BY v DESC LIMIT 5",
    ),
    _q(
        "the 10 most recent transactions",
        "group",
        "transactions",
        "SELECT hash FROM transactions ORDER BY block_number DESC, tx_index DESC LIMIT 10",
    ),
    _q(
        "top 5 gas spenders yesterday",
        "group",
        "gas",
        f"SELECT t.from_address, sum(r.gas_used) AS g FROM transactions t JOIN receipts r ON r.tx_hash = t.hash WHERE t.{_YDAY} GROUP BY 1 ORDER BY g DESC, 1 LIMIT 5",
    ),
    _q(
        "hourly transaction count in the last 6 hours",
        "group",
        "transactions",
        f"SELECT date_trunc('hour', block_time), count(*) FROM transactions WHERE {_h(6)} GROUP BY 1",
    ),
    _q(
        "token transfers per token today",
        "group",
        "transfers",
        f"SELECT k.symbol, count(*) FROM token_transfers t JOIN tokens k ON k.address = t.token WHERE t.{_TODAY} GROUP BY k.symbol",
    ),
    _q(
        "largest 3 GLD transfers between users, excluding mints",
        "group",
        "transfers",
        f"SELECT value / 1e2 AS v FROM token_transfers WHERE {_t('GLD')} AND from_address <> {_Z} ORDER BY v DESC LIMIT 3",
    ),
    _q(
        "top 3 recipients of escrow payments",
        "group",
        "agents",
        "SELECT args->>'provider' AS p, sum(CAST(args->>'amount' AS DOUBLE)) / 1e6 AS a FROM decoded_events WHERE event_name = 'TaskPaid' GROUP BY 1 ORDER BY a DESC, p LIMIT 3",
    ),
    _q(
        "which day had the most transactions",
        "group",
        "transactions",
        "SELECT day, count(*) AS c FROM transactions GROUP BY day ORDER BY c DESC LIMIT 1",
    ),
    _q(
        "average gas price per day in gwei",
        "group",
        "gas",
        "SELECT day, avg(CAST(effective_gas_price AS DOUBLE)) / 1e9 FROM receipts GROUP BY day",
    ),
    _q(
        "ETH sent per day in the last 3 days",
        "group",
        "transactions",
        f"SELECT day, sum(value) / 1e18 FROM transactions WHERE {_d(3)} GROUP BY day",
    ),
    _q(
        "top 5 AIUSD receivers excluding mints in the last 4 days",
        "group",
        "transfers",
        f"SELECT to_address, sum(value) / 1e6 AS v FROM token_transfers WHERE {_t('AIUSD')} AND from_address <> {_Z} AND to_address <> {_Z} AND {_d(4)} GROUP BY 1 ORDER BY v DESC LIMIT 5",
    ),
    _q(
        "Who deployed the most contracts?",
        "group",
        "contracts",
        "SELECT t.from_address, count(*) AS c FROM receipts r JOIN transactions t ON t.hash = r.tx_hash WHERE r.contract_address IS NOT NULL GROUP BY 1 ORDER BY c DESC, 1 LIMIT 1",
    ),
    _q(
        "contract deployments per day",
        "group",
        "contracts",
        "SELECT day, count(*) FROM receipts WHERE contract_address IS NOT NULL GROUP BY day",
    ),
    _q(
        "token approvals per token",
        "group",
        "tokens",
        "SELECT k.symbol, count(*) FROM token_approvals a JOIN tokens k ON k.address = a.token GROUP BY k.symbol",
    ),
    _q("Who holds the most TT?", "group", "tokens", _HOLD.format(d=18, t=_t("TT"), n=1)),
    _q("top 3 GLD holders by balance", "group", "tokens", _HOLD.format(d=2, t=_t("GLD"), n=3)),
    _q(
        "failed transactions per sender",
        "group",
        "failures",
        "SELECT t.from_address, count(*) FROM receipts r JOIN transactions t ON t.hash = r.tx_hash WHERE r.status = 0 GROUP BY 1",
    ),
    _q(
        "anchored batches per account",
        "group",
        "content",
        "SELECT args->>'by', count(*) FROM decoded_events WHERE event_name = 'BatchAnchored' GROUP BY 1",
    ),
    _q(
        "TT transfers per day since block {B}",
        "group",
        "transfers",
        f"SELECT day, count(*) FROM token_transfers WHERE {_t('TT')} AND block_number >= {{B}} GROUP BY day",
    ),
    _q(
        "the 3 blocks with the most transactions",
        "group",
        "blocks",
        "SELECT block_number, tx_count FROM blocks ORDER BY tx_count DESC, block_number LIMIT 3",
    ),
    _q(
        "gas used per hour in the last 3 hours",
        "group",
        "gas",
        f"SELECT date_trunc('hour', block_time), sum(gas_used) FROM receipts WHERE {_h(3)} GROUP BY 1",
    ),
    _q(
        "the 5 biggest escrow budgets",
        "group",
        "agents",
        "SELECT CAST(args->>'budget' AS DOUBLE) / 1e6 AS b FROM decoded_events WHERE event_name = 'TaskPosted' ORDER BY b DESC LIMIT 5",
    ),
    _q(
        "number of ether payments per day between {D1} and {D4}",
        "group",
        "transactions",
        "SELECT day, count(*) FROM transactions WHERE value > 0 AND day BETWEEN '{D1}' AND '{D4}' GROUP BY day",
    ),
    _q(
        "weekly unique payers of TaskEscrow",
        "group",
        "agents",
        "SELECT date_trunc('week', day), count(DISTINCT args->>'requester') FROM decoded_events WHERE event_name = 'TaskPosted' GROUP BY 1",
    ),
    _q(
        "Who received the most ETH?",
        "group",
        "transactions",
        "SELECT to_address, sum(value) / 1e18 AS v FROM transactions WHERE to_address IS NOT NULL GROUP BY 1 ORDER BY v DESC, 1 LIMIT 1",
    ),
    _q(
        "top 3 dataset contributors by contributions",
        "group",
        "datasets",
        "SELECT args->>'payee' AS p, count(*) AS c FROM decoded_events WHERE event_name = 'Contributed' GROUP BY 1 ORDER BY c DESC, p LIMIT 3",
    ),
    # ---- unanswerable: prices and market data --------------------------------------------
    _no("What is the price of ETH?", "price"),
    _no("How much is AIUSD worth in dollars?", "price"),
    _no("what was the ETH price yesterday", "price"),
    _no("What was the USD value of all GLD transfers?", "price"),
    _no("What is the TT to ETH exchange rate?", "price"),
    _no("convert the escrow payouts to euros", "price"),
    _no("How much did gas cost in dollars today?", "price"),
    _no("what is the market cap of AIUSD", "price"),
    _no("Which token has the largest market capitalization?", "price"),
    _no("fully diluted valuation of GLD", "price"),
    _no("What is the total value locked in the escrow in USD?", "price"),
    _no("Is TT trading above its all-time high?", "price"),
    _no("how much profit did {DEV1} make on AIUSD trades", "price"),
    _no("What is the price of AIUSD on Uniswap?", "price"),
    _no("What was the ETH/USD rate when block {B} was mined?", "price"),
    # ---- unanswerable: off-chain facts -----------------------------------------------------
    _no("How many Twitter followers does the AIUSD project have?", "offchain"),
    _no("Who is the CEO behind TT?", "offchain"),
    _no("What is the real name of {DEV1}?", "offchain"),
    _no("Which country is {DEV2} located in?", "offchain"),
    _no("how many GitHub stars does aiweb3 have", "offchain"),
    _no("what is the weather in Paris", "offchain"),
    _no("Is GLD listed on Coinbase?", "offchain"),
    _no("what did the news say about AIUSD today", "offchain"),
    _no("How many employees does the Seed Clinic have?", "offchain"),
    _no("What is the email address of the account that anchored the most content?", "offchain"),
    _no("How many people visited the dashboard this week?", "offchain"),
    _no("what is the sentiment on social media about TT", "offchain"),
    _no("Which exchange has the most TT liquidity?", "offchain"),
    _no("How many transactions did Bitcoin process yesterday?", "offchain"),
    _no("What is Solana's current TPS?", "offchain"),
    _no("what does the image in the last anchored batch show", "offchain"),
    _no("Who owns the company behind GLD?", "offchain"),
    # ---- unanswerable: the future ----------------------------------------------------------
    _no("What will the gas price be tomorrow?", "future"),
    _no("How many transactions will there be next week?", "future"),
    _no("predict the AIUSD volume for next month", "future"),
    _no("When will block 1000000 be mined?", "future"),
    _no("How many agents will register next year?", "future"),
    _no("what will {DEV1}'s AIUSD balance be tomorrow", "future"),
    _no("forecast the number of failed transactions next week", "future"),
    _no("How many transactions were there on {FUTURE}?", "future"),
    _no("How much gas will be used in the next 24 hours?", "future"),
    _no("Will TT transfers go up tomorrow?", "future"),
    _no("How much ETH will {DEV1} receive next month?", "future"),
    _no("how many transactions will fail tomorrow", "future"),
    # ---- unanswerable: the mempool ---------------------------------------------------------
    _no("How many transactions are pending in the mempool?", "mempool"),
    _no("what's in the mempool right now", "mempool"),
    _no("Show pending transactions from {DEV1}", "mempool"),
    _no("how many queued transactions are waiting to be mined", "mempool"),
    _no("Which pending transaction has the highest gas price?", "mempool"),
    _no("Are there any unconfirmed AIUSD transfers?", "mempool"),
    _no("What gas price are pending transactions in the mempool offering right now?", "mempool"),
    # ---- unanswerable: before genesis ------------------------------------------------------
    _no("How many transactions were there on {BEFORE}?", "genesis"),
    _no("total AIUSD volume between {BEFORE} and {BEFORE2}", "genesis"),
]


def facts(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Placeholder values from the seeded index: days D0.., blocks B/B2, model M0, dates out of range."""
    days = [
        r[0]
        for r in con.execute("SELECT DISTINCT day FROM blocks WHERE block_number > 0 ORDER BY day").fetchall()
    ]
    lo, hi = con.execute("SELECT min(block_number), max(block_number) FROM blocks").fetchone() or (0, 0)
    model = con.execute(
        "SELECT args->>'modelId' FROM decoded_events WHERE event_name = 'InferenceVerified' "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ).fetchone()
    import datetime as dt

    first = days[0] if days else dt.date(2026, 1, 1)
    last = days[-1] if days else first
    out = {f"D{i}": days[min(i, len(days) - 1)].isoformat() for i in range(8)} if days else {}
    out.update(
        B=str((lo + hi) // 2),
        B2=str((lo + 3 * hi) // 4),
        M0=model[0] if model else "0x" + "0" * 64,
        FUTURE=(last + dt.timedelta(days=30)).isoformat(),
        BEFORE=(first - dt.timedelta(days=400)).isoformat(),
        BEFORE2=(first - dt.timedelta(days=380)).isoformat(),
        DEV1=DEV1,
        DEV2=DEV2,
        DEV3=DEV3,
        DEV4=DEV4,
        DEV0=DEV0,
    )
    return out


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with its ``{NAME}`` placeholders replaced."""
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def split(item: EvalItem) -> str:
    """'dev' or 'test', from a hash of the question text (fixed before any tuning)."""
    return "dev" if hashlib.sha256(item.question.encode()).digest()[0] % 2 == 0 else "test"


__all__ += ["fill"]
