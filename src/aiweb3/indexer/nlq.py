"""The offline question engine: match a question to a metric and fill its parameters.

Matching is lexical TF-IDF with cosine similarity over each metric's title, description,
keywords and example questions, after light normalisation (lowercase, synonyms, suffix
stripping). It is hand-written (~40 lines) because the only offline sentence-embedding
models here need torch or an ONNX export plus a tokenizer download, too heavy for a CLI
answer and for CI; on a vocabulary this small, weighted word overlap separates the
metrics well (see ``docs/indexer.md`` for the measured accuracy).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aiweb3.errors import QueryRefused
from aiweb3.indexer.metrics import METRICS, Metric, Params

__all__ = ["Match", "MetricMatcher", "extract_params", "refuse_writes"]

_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = """
a an the of in on for to by and or is are was were be been what which who whom how many much
me show give list tell please with from per each at as it its this that there
their i we you our my can could would should get find over past last
"""
_STOP = frozenset(_STOP_WORDS.split())
_SYNONYMS = {
    "txs": "transactions",
    "tx": "transactions",
    "txns": "transactions",
    "transaction": "transactions",
    "wallets": "addresses",
    "wallet": "addresses",
    "users": "addresses",
    "accounts": "addresses",
    "account": "addresses",
    "address": "addresses",
    "user": "addresses",
    "fees": "gas",
    "fee": "gas",
    "biggest": "largest",
    "whales": "holders",
    "richest": "holders",
    "deployed": "contracts",
    "deployments": "contracts",
    "deploy": "contracts",
    "payments": "payment",
    "daily": "day",
    "days": "day",
    "everyday": "day",
    "recipients": "receivers",
    "recipient": "receivers",
    "payees": "receivers",
    "payers": "senders",
    "sent": "senders",
    "received": "receivers",
    "send": "senders",
    "receive": "receivers",
    "sender": "senders",
    "receiver": "receivers",
    "mint": "minted",
    "mints": "minted",
    "issued": "minted",
    "balances": "holders",
    "balance": "holders",
    "holds": "holders",
    "hold": "holders",
    "owns": "holders",
    "holder": "holders",
    "allowance": "approvals",
    "allowances": "approvals",
    "approved": "approvals",
    "approval": "approvals",
    "proofs": "verified",
    "proven": "verified",
    "inference": "inferences",
}
_WRITES = re.compile(
    r"\b(delete|drop|insert|update|remove|truncate|alter|erase|wipe|overwrite|modify|"
    r"create\s+table|write\s+to|set\s+.*\s+to)\b",
    re.I,
)
_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twenty": 20,
    "fifty": 50,
    "hundred": 100,
}
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{40}\b")
_DAILY = re.compile(r"\b(per|each|every|by)[ -]day\b|\bdaily\b|\bper-day\b|\bday by day\b", re.I)


def _stem(word: str) -> str:
    word = _SYNONYMS.get(word, word)
    for suffix in ("ing", "ers", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _terms(text: str) -> list[str]:
    text = _ADDRESS.sub(" ", text.lower())
    return [_stem(w) for w in _WORD.findall(text) if w not in _STOP and not w.isdigit()]


def refuse_writes(question: str) -> None:
    """Raise :class:`QueryRefused` for a question that asks to change data."""
    match = _WRITES.search(question)
    if match:
        raise QueryRefused(
            f"the question asks to {match.group(0).lower()!r} data; the index is read-only "
            "and questions can only read it"
        )


@dataclass(frozen=True)
class Match:
    """A metric and how well it matched."""

    metric: Metric
    score: float


class MetricMatcher:
    """TF-IDF cosine similarity between a question and every metric's text."""

    def __init__(self, metrics: Sequence[Metric] = METRICS) -> None:
        self.metrics = list(metrics)
        docs = [
            _terms(" ".join([m.name.replace("_", " "), m.title, m.description, m.keywords, *m.examples]))
            for m in self.metrics
        ]
        df = Counter(t for doc in docs for t in set(doc))
        n = len(docs)
        self._idf = {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}
        self._vectors = [self._vector(doc) for doc in docs]

    def _vector(self, terms: Iterable[str]) -> dict[str, float]:
        counts = Counter(terms)
        vec = {t: (1 + math.log(c)) * self._idf.get(t, 0.0) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    def rank(self, question: str, params: Params | None = None) -> list[Match]:
        """Metrics by similarity to ``question`` (best first).

        Metrics that need a parameter the question lacks are ranked last; a metric that takes
        a parameter the question gives gets a small bonus.
        """
        q = self._vector(_terms(question))
        daily = bool(_DAILY.search(question))
        out = []
        for metric, vec in zip(self.metrics, self._vectors, strict=True):
            score = sum(w * vec.get(t, 0.0) for t, w in q.items())
            if params is not None:
                given = {k for k in ("token", "address", "top_n") if getattr(params, k) is not None}
                if any(getattr(params, r) is None for r in metric.required):
                    score *= 0.3
                score += 0.05 * len(given & set(metric.params))
                if params.address is not None and "address" not in metric.params:
                    score *= 0.7
                if params.token is not None and "token" not in metric.params:
                    score *= 0.7
                if metric.required and all(getattr(params, r) is not None for r in metric.required):
                    score += 0.1  # the question names exactly what this metric needs
            if "day" in metric.columns:  # a time series answers "per day" questions, not "which/how many"
                score *= 1.15 if daily else 0.8
            out.append(Match(metric, score))
        return sorted(out, key=lambda m: -m.score)


def extract_params(question: str, symbols: Iterable[str] = (), token_addresses: Iterable[str] = ()) -> Params:
    """Token (symbol or token address), address, time window and top-N from a question."""
    text = question.lower()
    token: str | None = None
    tokens_lower = {s.lower(): s for s in symbols if s}
    for word in re.findall(r"[a-z0-9_.\-]+", text):
        if word in tokens_lower:
            token = tokens_lower[word]
            break
    address: str | None = None
    known_tokens = {a.lower() for a in token_addresses}
    for found in _ADDRESS.findall(question):
        low = found.lower()
        if low in known_tokens and token is None:
            token = low
        elif address is None:
            address = low
    days = _days(text)
    top_n = None
    for pattern in (
        r"\b(?:top|first|largest|biggest|best)\s+(\d+|[a-z]+)\b",
        r"\b(\d+|[a-z]+)\s+(?:largest|biggest|most|top)\b",
    ):
        for found in re.finditer(pattern, text):
            top_n = top_n or _number(found.group(1))
    m = re.search(
        r"\b(?:which|what|the)\s+(\d+|[a-z]+)\s+(?:address|account|wallet|sender|receiver|holder|"
        r"contract|transfer|token)",
        text,
    )
    if top_n is None and m:
        top_n = _number(m.group(1))
    if top_n is None and re.search(
        r"\b(which|what) (address|account|wallet|sender|receiver|holder)\b(?!es)", text
    ):
        top_n = 1  # a singular question wants one row
    return Params(token=token, address=address, days=days, top_n=top_n)


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word) or None
    return _NUMBERS.get(word)


def _days(text: str) -> int | None:
    m = re.search(r"\b(?:last|past|previous|recent)\s+(\d+|[a-z]+)\s+(day|week|month|hour)s?\b", text)
    if m:
        n = _number(m.group(1))
        unit = m.group(2)
        if n is not None:
            return {"day": n, "week": 7 * n, "month": 30 * n, "hour": max(1, math.ceil(n / 24))}[unit]
    m = re.search(r"\b(?:last|past|this|previous)\s+(day|week|month|24 hours)\b", text)
    if m:
        return {"day": 1, "week": 7, "month": 30, "24 hours": 1}[m.group(1)]
    if re.search(r"\btoday\b", text):
        return 1
    m = re.search(r"\bin\s+the\s+last\s+(\d+)\b", text)
    if m:
        return int(m.group(1)) or None
    return None
