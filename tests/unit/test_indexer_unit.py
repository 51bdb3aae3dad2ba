"""Pure parts of the indexer: write refusal, metric parameters, SQL checks, log decoding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_utils import keccak

from aiweb3.errors import InputError, QueryRefused
from aiweb3.indexer import EventDecoder, IndexStore, Params, get_metric
from aiweb3.indexer.ask import known_tables
from aiweb3.indexer.nlq import refuse_writes
from aiweb3.indexer.sqlguard import checked_sql
from aiweb3.indexer.transform import to_batch
from aiweb3.llm import LLMConfig

ADDR = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"


def test_write_questions_are_refused() -> None:
    for q in ("delete the logs", "Please DROP table blocks", "insert a fake transfer", "truncate receipts"):
        with pytest.raises(QueryRefused):
            refuse_writes(q)
    refuse_writes("who received the most tokens")  # reading is fine


def test_metric_parameters_are_validated_before_they_reach_sql() -> None:
    metric = get_metric("top_token_holders")
    for bad in (Params(token="AIUSD'; DROP TABLE blocks; --"), Params(top_n=0), Params(days=-1)):
        with pytest.raises(InputError):
            metric.sql(bad)
    with pytest.raises(InputError, match="needs address"):
        get_metric("address_activity").sql(Params())
    with pytest.raises(InputError, match="no metric"):
        get_metric("nope")
    sql = metric.sql(Params(token="GLD", top_n=3))
    assert "'gld'" in sql and sql.endswith("LIMIT 3")
    for m in ("daily_gas", "top_token_senders", "escrow_volume"):
        checked_sql(get_metric(m).sql(Params(days=3)), known_tables())  # every metric passes the guard


def test_checked_sql_limits_rows() -> None:
    tables = known_tables()
    assert checked_sql("SELECT * FROM blocks", tables, row_limit=5).endswith("LIMIT 5")
    assert checked_sql("SELECT * FROM blocks LIMIT 2", tables, row_limit=5).endswith("LIMIT 2")
    assert checked_sql("SELECT * FROM blocks LIMIT 50", tables, row_limit=5).endswith("LIMIT 5")
    with pytest.raises(QueryRefused, match="parse"):
        checked_sql("SELECT (", tables)
    with pytest.raises(QueryRefused, match="empty"):
        checked_sql("  ;", tables)


def test_llm_config_from_env() -> None:
    cfg = LLMConfig.from_env({"AIWEB3_LLM_URL": "http://h/v1", "AIWEB3_LLM_API_KEY": "sk-x"})
    assert cfg.url == "http://h/v1" and cfg.api_key == "sk-x" and "sk-x" not in repr(cfg)
    assert LLMConfig.from_env({}).url is None


def _word(address: str) -> str:
    return "0x" + "0" * 24 + address[2:]


def test_to_batch_decodes_token_events() -> None:
    transfer = "0x" + keccak(text="Transfer(address,address,uint256)").hex()
    approval = "0x" + keccak(text="Approval(address,address,uint256)").hex()
    a, b, token, nft = ADDR, "0x" + "22" * 20, "0x" + "33" * 20, "0x" + "44" * 20
    logs = [
        {
            "address": token,
            "topics": [transfer, _word(a), _word(b)],
            "data": "0x" + f"{5 * 10**18:064x}",
            "logIndex": "0x0",
        },
        {
            "address": nft,
            "topics": [transfer, _word(a), _word(b), "0x" + f"{7:064x}"],
            "data": "0x",
            "logIndex": "0x1",
        },
        {
            "address": token,
            "topics": [approval, _word(a), _word(b)],
            "data": "0x" + "f" * 64,
            "logIndex": "0x2",
        },
        {"address": token, "topics": [], "data": "0x", "logIndex": "0x3"},
    ]
    tx = {
        "hash": "0x" + "ab" * 32,
        "transactionIndex": "0x0",
        "from": a,
        "to": token,
        "value": "0x0",
        "gas": "0x5208",
        "gasPrice": "0x1",
        "nonce": "0x0",
        "type": "0x2",
        "input": "0xa9059cbb" + "00" * 64,
    }
    receipt = {
        "transactionHash": tx["hash"],
        "transactionIndex": "0x0",
        "status": "0x1",
        "gasUsed": "0x5208",
        "cumulativeGasUsed": "0x5208",
        "effectiveGasPrice": "0x1",
        "contractAddress": None,
        "logs": logs,
    }
    block = {
        "number": "0x10",
        "hash": "0x" + "01" * 32,
        "parentHash": "0x" + "02" * 32,
        "miner": a,
        "gasUsed": "0x5208",
        "gasLimit": "0x1c9c380",
        "baseFeePerGas": "0x7",
        "timestamp": "0x6560b000",
        "transactions": [tx],
    }
    batch, tokens = to_batch([(block, [receipt])], EventDecoder({}))
    transfers = batch["token_transfers"]
    assert list(transfers["standard"]) == ["erc20", "erc721"]
    assert list(transfers["value"]) == [5 * 10**18, 1] and transfers["token_id"][1] == "7"
    approvals = batch["token_approvals"]
    assert approvals["value"][0] is None and approvals["value_raw"][0] == str(2**256 - 1)  # unlimited
    assert len(batch["logs"]["address"]) == 4 and batch["transactions"]["selector"][0] == "0xa9059cbb"
    assert tokens == {token: "erc20", nft: "erc721"}


def test_pre_byzantium_receipts_have_unknown_status_and_failure_metrics_say_so(tmp_path: Path) -> None:
    """Receipts with a state root and no status (before Byzantium) are stored with status NULL,
    never as successes; the metrics counting failures give NULL where they cannot count."""
    fixture = json.loads((Path(__file__).parent / "data" / "receipts_byzantium_boundary.json").read_text())
    raw = [(b["block"], b["receipts"]) for b in fixture["blocks"]]
    assert all("status" not in r and "root" in r for r in raw[0][1])  # the pre-Byzantium shape
    batch, _ = to_batch(raw, EventDecoder({}))
    assert list(batch["receipts"]["status"]) == [None, None, 1, 0]
    with IndexStore(tmp_path / "index.duckdb") as store:
        store.bind_chain(1, 46_147)
        store.write(batch, 4_370_000, raw[-1][0]["hash"])
        con = store.con
        assert con.execute("SELECT block_number, status FROM receipts ORDER BY 1, tx_index").fetchall() == [
            (46_147, None), (46_147, None), (4_370_000, 1), (4_370_000, 0),
        ]  # fmt: skip
        daily = con.execute(get_metric("daily_transactions").sql()).fetchall()
        assert [row[1:] for row in daily] == [(2, None, 2), (2, 1, 0)]
        summary = con.execute(get_metric("chain_summary").sql()).fetchone()
        names = get_metric("chain_summary").columns
        assert summary is not None
        row = dict(zip(names, summary, strict=True))
        assert row["transactions"] == 4 and row["failed_transactions"] is None
        assert row["status_unknown_transactions"] == 2
        # the window of the last day holds only post-Byzantium receipts: failures are counted
        recent = dict(
            zip(names, con.execute(get_metric("chain_summary").sql(Params(days=1))).fetchone(), strict=True)
        )
        assert recent["failed_transactions"] == 1 and recent["status_unknown_transactions"] == 0
