"""Rank passages for a question: BM25 (``bm25s``) over words and code identifiers, fused with a
second ranking over each passage's title and path (reciprocal rank fusion).

Identifiers are split the way a developer reads them (``verifyInference`` -> ``verify``,
``inference``, ``verifyinference``; ``task_escrow`` -> ``task``, ``escrow``), and words are
reduced to a light stem, so "verifying proofs" finds ``verifyProof``.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s

from aiweb3.devassist.corpus import Passage, collect_passages, read_sources

__all__ = ["Hit", "Retriever", "content_terms", "tokenize"]

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*|[0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "could",
        "do",
        "does",
        "did",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "should",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "this",
        "those",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "we",
        "our",
        "us",
        "use",
        "used",
        "using",
        "get",
        "gets",
        "want",
        "make",
        "makes",
        "made",
        "one",
        "any",
        "all",
        "also",
        "just",
        "not",
        "no",
        "yes",
        "about",
        "tell",
        "show",
        "give",
        "explain",
        "work",
        "works",
        "happen",
        "happens",
        "happened",
        "need",
        "needs",
        "way",
        "ways",
        "possible",
        "never",
        "ever",
    ]
)

#: How much each kind of source counts: the docs explain, tests only show.
KIND_WEIGHT = {"doc": 1.0, "solidity": 1.0, "python": 0.85, "code": 0.7, "test": 0.45}
#: Most passages of one file in a result list (the rest go to other files).
PER_FILE = 2

_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "es", "ed", "ly", "s")


def _stem(word: str) -> str:
    if len(word) <= 4:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            base = word[: -len(suffix)]
            return base + "y" if suffix in ("ies", "ied") else base
    return word


@functools.lru_cache(maxsize=65536)
def _word_tokens(word: str) -> tuple[str, ...]:
    if word.isdigit():
        return (word,)
    parts = [p.lower() for p in _CAMEL.findall(word)]
    whole = word.lower()
    out = [_stem(whole)] if len(parts) > 1 and whole not in STOPWORDS else []
    out.extend(_stem(p) for p in parts if p not in STOPWORDS and len(p) > 1)
    return tuple(out)


def tokenize(text: str) -> list[str]:
    """Lower-case stems of the words and identifier parts of ``text``, stopwords removed."""
    out: list[str] = []
    for word in _WORD.findall(text):
        out.extend(_word_tokens(word))
    return out


def content_terms(text: str) -> set[str]:
    """The distinct tokens of ``text`` (what a question asks about)."""
    return set(tokenize(text))


@dataclass(frozen=True)
class Hit:
    """A ranked passage: ``score`` is the fused score (higher is better), ``bm25`` the raw BM25 score."""

    passage: Passage
    score: float
    bm25: float


def _title_text(p: Passage) -> str:
    return f"{p.title} {Path(p.path).stem} {p.path}"


class Retriever:
    """An in-memory index of the passages of some project folders."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = list(passages)
        self._bm25 = bm25s.BM25()
        self._titles = bm25s.BM25()
        body_tokens = [tokenize(f"{p.title} {p.text}") or ["_"] for p in self.passages]
        title_tokens = [tokenize(_title_text(p)) or ["_"] for p in self.passages]
        self._bm25.index(body_tokens, show_progress=False)
        self._titles.index(title_tokens, show_progress=False)
        self._df = Counter(t for toks in body_tokens for t in set(toks))
        self._vocab = set(self._df)

    @classmethod
    def from_paths(cls, roots: Sequence[Path]) -> Retriever:
        """Read and index every source file under ``roots``."""
        return cls(collect_passages(read_sources(roots)))

    def _rank(self, index: bm25s.BM25, tokens: list[str], k: int) -> list[tuple[int, float]]:
        query = [t for t in tokens if t in self._vocab]
        if not query:
            return []
        k = min(k, len(self.passages))
        docs, scores = index.retrieve([query], k=k, show_progress=False, n_threads=1)
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if float(s) > 0]

    def search(self, question: str, k: int = 5) -> list[Hit]:
        """The ``k`` best passages for ``question``, best first (empty when no word of it is known)."""
        tokens = tokenize(question)
        depth = max(50, 4 * k)
        body = self._rank(self._bm25, tokens, depth)
        titles = self._rank(self._titles, tokens, depth)
        fused: dict[int, float] = {}
        raw = dict(body)
        for weight, ranking in ((1.0, body), (0.6, titles)):
            for rank, (doc, _) in enumerate(ranking):
                fused[doc] = fused.get(doc, 0.0) + weight / (60 + rank)
        for doc in fused:
            fused[doc] *= KIND_WEIGHT.get(self.passages[doc].kind, 1.0)
        order = sorted(fused, key=lambda d: (-fused[d], -raw.get(d, 0.0), d))
        hits: list[Hit] = []
        per_file: Counter[str] = Counter()
        for doc in order:
            p = self.passages[doc]
            if per_file[p.path] >= PER_FILE:
                continue
            per_file[p.path] += 1
            hits.append(Hit(p, fused[doc], raw.get(doc, 0.0)))
            if len(hits) == k:
                break
        return hits

    def idf(self, term: str) -> float:
        """How rare ``term`` is across passages (0 when unknown)."""
        n = self._df.get(term, 0)
        if n == 0:
            return 0.0
        return math.log(1 + (len(self.passages) - n + 0.5) / (n + 0.5))
