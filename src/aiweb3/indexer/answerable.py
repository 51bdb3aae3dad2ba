"""Can the index answer this? Questions about prices, market data, off-chain facts, the
future or the mempool are declined with the reason and the nearest answerable question.

The index holds what the indexed chain recorded: blocks, transactions, receipts, logs,
token transfers and approvals, and events decoded with known ABIs. It holds no prices
(there is no price feed or DEX on the indexed chain), nothing off chain, nothing after
its newest block and no pending transactions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Decline", "check_answerable"]


@dataclass(frozen=True)
class Decline:
    """Why a question cannot be answered, and the nearest one that can."""

    reason: str
    message: str
    nearest: str = ""

    def text(self) -> str:
        """The reason and the suggestion as one line."""
        return self.message + (f" Nearest answerable: {self.nearest}" if self.nearest else "")


_RULES: list[tuple[str, re.Pattern[str], str, str]] = [
    (
        "mempool",
        re.compile(r"\b(mempool|pending|queued|unconfirmed|waiting to be mined|txpool)\b"),
        "the index holds mined blocks only; pending transactions (the mempool) are never indexed.",
        "'how many transactions in the last hour' (mined ones).",
    ),
    (
        "future",
        re.compile(
            r"\b(will|tomorrow|next (week|month|year|day|hour|block)|predict\w*|forecast\w*|"
            r"in the next \d+|going to|expected to)\b"
        ),
        "the index holds the past up to its newest block; it cannot tell the future.",
        "the same question over the last days, e.g. 'gas used per day in the last 7 days'.",
    ),
    (
        "price",
        re.compile(
            r"\b(prices?|usd|dollars?|euros?|eur|worth|market ?cap\w*|capitali[sz]ation|valuation|tvl|"
            r"value locked|exchange rate|rate\b|trading|all-time high|profit|loss|pnl|liquidity|"
            r"uniswap|listed|/usd)\b"
        ),
        "the index has no prices or market data: no price feed or exchange is indexed on this chain.",
        "amounts in tokens or ETH, e.g. 'total AIUSD transferred in the last 7 days', or gas prices in gwei.",
    ),
    (
        "offchain",
        re.compile(
            r"\b(twitter|followers?|github|stars?|ceo|founder|company|employees?|real name|country|"
            r"located|weather|news|sentiment|social media|email|visited|visitors|coinbase|binance|"
            r"exchange\b|bitcoin|btc|solana|tps|image|photo|video|who owns the)\b"
        ),
        "that is an off-chain fact (or another chain); the index holds only this chain's records.",
        "on-chain activity, e.g. 'how many transactions did 0x… send'.",
    ),
]


def check_answerable(text: str) -> Decline | None:
    """A :class:`Decline` when ``text`` (lowercase) asks for something the index cannot hold."""
    for reason, pattern, message, nearest in _RULES:
        if pattern.search(text):
            if (
                reason == "price"
                and re.search(r"\bgas price|gwei|base fee\b", text)
                and not re.search(r"\b(usd|dollars?|euros?|worth)\b", text)
            ):
                continue  # gas prices in gwei are on chain
            return Decline(reason, message, nearest)
    return None
