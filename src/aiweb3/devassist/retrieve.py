"""Rank passages for a question: BM25 (``bm25s``) over words and code identifiers, a second BM25
ranking over each passage's title and path, and local sentence embeddings (all-MiniLM-L6-v2,
:mod:`aiweb3.devassist.embed`), fused by reciprocal rank fusion.

Identifiers are split the way a developer reads them (``verifyInference`` -> ``verify``,
``inference``, ``verifyinference``; ``task_escrow`` -> ``task``, ``escrow``), and words are
reduced to a light stem, so "verifying proofs" finds ``verifyProof``.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from aiweb3.devassist.corpus import Passage, collect_passages, read_sources
from aiweb3.devassist.embed import Embedder
from aiweb3.devassist.passage_cache import cached_passages
from aiweb3.errors import InputError

__all__ = ["MODES", "Hit", "Retriever", "content_terms", "tokenize"]

#: Retrieval modes: both rankings fused, BM25 (words and titles) only, embeddings only.
MODES = ("hybrid", "bm25", "embeddings")

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
    """A ranked passage: ``score`` is the fused score (higher is better), ``bm25`` the raw BM25
    score, ``similarity`` the cosine of the passage's and the question's embeddings (0 without)."""

    passage: Passage
    score: float
    bm25: float
    similarity: float = 0.0


def _title_text(p: Passage) -> str:
    return f"{p.title} {Path(p.path).stem} {p.path}"


_DOCSTRING = re.compile(r'("""|\'\'\')(.*?)\1', re.S)
_NATSPEC = re.compile(r"^\s*(?:///|/\*\*|\*)(?!/)\s?(.*)$")


def embedding_text(p: Passage) -> str | None:
    """What is embedded for a passage (what it is about, not its code), or None for none.

    Docs: the heading chain and the text (its heading lines left out). Python: the symbol and its
    docstring (code without one, and tests, are left to BM25). Solidity: the declaration's name,
    NatSpec and first line. The model reads the first 128 word pieces.
    """
    if p.kind == "doc":  # the title carries the headings
        return p.title + "\n" + "\n".join(x for x in p.text.splitlines() if not x.startswith("#"))
    if p.kind == "code":
        return f"{p.title}\n{p.text}"
    if p.kind == "python":
        doc = _DOCSTRING.search(p.text)
        return f"{p.title}\n{doc.group(2).strip()}" if doc else None
    if p.kind == "solidity":
        lines = p.text.splitlines()
        notes = [m.group(1) for line in lines if (m := _NATSPEC.match(line))]
        decl = next((line.strip() for line in lines if line.strip() and not _NATSPEC.match(line)), "")
        return f"{p.title}\n{' '.join(notes)}\n{decl}"
    return None


def passage_tokens(p: Passage) -> tuple[list[str], list[str]]:
    """The BM25 tokens of a passage's body (with its title) and of its title and path."""
    return tokenize(f"{p.title} {p.text}") or ["_"], tokenize(_title_text(p)) or ["_"]


#: Weights of the rankings in the fusion (body BM25, titles BM25, embeddings).
FUSION = {"body": 1.0, "titles": 0.6, "dense": 2.0}


class Retriever:
    """An in-memory index of the passages of some project folders.

    ``embedder`` adds the embeddings ranking (``mode`` "hybrid" or "embeddings"); passage vectors
    are computed on the first search that needs them (from the embedder's disk cache when it has
    them). Without an embedder only "bm25" is available.
    """

    def __init__(
        self,
        passages: Sequence[Passage],
        embedder: Embedder | None = None,
        mode: str = "hybrid",
        tokens: tuple[list[list[str]], list[list[str]]] | None = None,
    ) -> None:
        if mode not in MODES:
            raise InputError(f"retrieval mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.passages = list(passages)
        self.embedder = embedder
        self.mode = mode if embedder is not None else "bm25"
        self._vectors: np.ndarray | None = None
        self._embedded: np.ndarray | None = None  # passage index of each vector row
        self._bm25 = bm25s.BM25()
        self._titles = bm25s.BM25()
        if tokens is None:
            tokens = ([], [])
            for p in self.passages:
                b, t = passage_tokens(p)
                tokens[0].append(b)
                tokens[1].append(t)
        body_tokens, title_tokens = tokens
        self._bm25.index(body_tokens, show_progress=False)
        self._titles.index(title_tokens, show_progress=False)
        self._df = Counter(t for toks in body_tokens for t in set(toks))
        self._vocab = set(self._df)

    @classmethod
    def from_paths(
        cls,
        roots: Sequence[Path],
        embedder: Embedder | None = None,
        mode: str = "hybrid",
        cache: Path | None = None,
    ) -> Retriever:
        """Read and index every source file under ``roots``; with ``cache`` (a folder), the
        passages and tokens of files unchanged since an earlier index come from there."""
        files = read_sources(roots)
        if cache is None:
            return cls(collect_passages(files), embedder, mode)
        passages, body, titles = cached_passages(files, cache, passage_tokens)
        return cls(passages, embedder, mode, (body, titles))

    def vectors(self, progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """Embeddings of the passages that have an :func:`embedding_text` (one unit row each),
        computed or read from the cache once; ``progress(done, total)`` hears about new ones."""
        if self.embedder is None:
            raise InputError("this index has no embedding model")
        if self._vectors is None:
            texts = [(i, t) for i, p in enumerate(self.passages) if (t := embedding_text(p))]
            self._embedded = np.array([i for i, _ in texts], dtype=np.int64)
            self._vectors = self.embedder.embed_cached([t for _, t in texts], progress=progress)
        return self._vectors

    def similarities(self, text: str) -> np.ndarray:
        """Cosine of ``text``'s embedding with every passage's (0 for passages not embedded)."""
        if self.embedder is None:
            raise InputError("this index has no embedding model")
        vectors = self.vectors()
        query = self.embedder.embed([text])[0]
        sims = np.zeros(len(self.passages), dtype=np.float32)
        assert self._embedded is not None
        sims[self._embedded] = vectors @ query
        return sims

    def _rank(self, index: bm25s.BM25, tokens: list[str], k: int) -> list[tuple[int, float]]:
        query = [t for t in tokens if t in self._vocab]
        if not query:
            return []
        k = min(k, len(self.passages))
        docs, scores = index.retrieve([query], k=k, show_progress=False, n_threads=1)
        return [(int(d), float(s)) for d, s in zip(docs[0], scores[0], strict=True) if float(s) > 0]

    def search(self, question: str, k: int = 5, mode: str | None = None) -> list[Hit]:
        """The ``k`` best passages for ``question``, best first.

        ``mode`` (default: the index's) is one of :data:`MODES`. BM25 alone finds nothing when no
        word of the question is known; the embeddings always rank every passage.
        """
        mode = mode or self.mode
        if mode not in MODES:
            raise InputError(f"retrieval mode must be one of {', '.join(MODES)}, not {mode!r}")
        if mode != "bm25" and self.embedder is None:
            raise InputError(f"retrieval mode {mode!r} needs the embedding model; use 'bm25'")
        tokens = tokenize(question)
        depth = max(50, 4 * k)
        rankings: list[tuple[float, list[tuple[int, float]]]] = []
        if mode != "embeddings":
            rankings.append((FUSION["body"], self._rank(self._bm25, tokens, depth)))
            rankings.append((FUSION["titles"], self._rank(self._titles, tokens, depth)))
        sims: np.ndarray | None = None
        if mode != "bm25":
            sims = self.similarities(question)
            assert self._embedded is not None
            top = self._embedded[np.argsort(-sims[self._embedded], kind="stable")[:depth]]
            rankings.append((FUSION["dense"], [(int(d), float(sims[d])) for d in top]))
        fused: dict[int, float] = {}
        raw = dict(rankings[0][1]) if mode != "embeddings" else {}
        for weight, ranking in rankings:
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
            sim = float(sims[doc]) if sims is not None else 0.0
            hits.append(Hit(p, fused[doc], raw.get(doc, 0.0), sim))
            if len(hits) == k:
                break
        return hits

    def idf(self, term: str) -> float:
        """How rare ``term`` is across passages (0 when unknown)."""
        n = self._df.get(term, 0)
        if n == 0:
            return 0.0
        return math.log(1 + (len(self.passages) - n + 0.5) / (n + 0.5))
