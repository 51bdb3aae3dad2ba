"""Chain data indexer: any EVM chain into DuckDB/Parquet, metrics, and questions in plain English."""

from aiweb3.indexer.ask import Answer, Asker
from aiweb3.indexer.decode import EventDecoder
from aiweb3.indexer.explain import explain_sql
from aiweb3.indexer.explorer import (
    ChainExplorer,
    address_history,
    parse_address,
    parse_block_ref,
    parse_tx_hash,
)
from aiweb3.indexer.fetch import FetchConfig, Fetcher, RateLimiter
from aiweb3.indexer.ingest import Indexer, IngestReport
from aiweb3.indexer.metrics import METRICS, Metric, Params, get_metric
from aiweb3.indexer.store import Checkpoint, IndexStore

__all__ = [
    "METRICS",
    "Answer",
    "Asker",
    "ChainExplorer",
    "Checkpoint",
    "EventDecoder",
    "FetchConfig",
    "Fetcher",
    "IndexStore",
    "Indexer",
    "IngestReport",
    "Metric",
    "Params",
    "RateLimiter",
    "address_history",
    "explain_sql",
    "get_metric",
    "parse_address",
    "parse_block_ref",
    "parse_tx_hash",
]
