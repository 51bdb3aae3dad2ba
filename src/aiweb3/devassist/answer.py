"""Answer a developer's question from the sources, citing ``file:line`` for every claim.

The sources are ranked by :class:`~aiweb3.devassist.retrieve.Retriever`. When they do not cover
what the question asks about — neither its words (weighed by rarity) nor, with the embedding
model, its meaning (a source whose embedding is close to the question's) — the answer is "not
found" with the nearest sources, never a guess.
Otherwise a language model (when one is configured) writes short sentences, each naming the
source it rests on; a sentence whose words its source does not carry, or that only restates the
question, is dropped. With no model,
or when nothing the model wrote survives that check, the answer is extractive: the sentences of
the best sources that say most about the question, quoted with their lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from aiweb3.devassist.corpus import Passage
from aiweb3.devassist.retrieve import Hit, Retriever, content_terms, tokenize
from aiweb3.errors import AIWeb3Error, InputError
from aiweb3.llm import ChatMessage, LanguageModel

__all__ = ["Claim", "DevAnswer", "answer_question", "check_citation", "sentences"]

#: Share of the question's weight (idf) the best sources must carry to count as an answer.
COVERAGE_NEEDED = 0.6
#: Or: the cosine of the question's and a best source's embeddings that counts as an answer (a
#: question in other words than the sources'); measured on the paraphrased and unanswerable sets.
SIMILARITY_NEEDED = 0.5
_TOP = 4  # sources an answer is drawn from
_MAX_CLAIMS = 4


@dataclass(frozen=True)
class Claim:
    """One sentence of an answer and the line it rests on."""

    text: str
    path: str
    line: int

    @property
    def cite(self) -> str:
        """``path:line``."""
        return f"{self.path}:{self.line}"


@dataclass
class DevAnswer:
    """An answer: claims with citations, or "not found" with the nearest sources."""

    question: str
    found: bool
    claims: list[Claim]
    sources: list[Hit]
    engine: str
    missing: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form (claims with ``cite``, sources with their line ranges)."""
        return {
            "question": self.question,
            "found": self.found,
            "engine": self.engine,
            "claims": [{"text": c.text, "cite": c.cite} for c in self.claims],
            "sources": [{"cite": h.passage.cite, "title": h.passage.title} for h in self.sources],
            "missing": self.missing,
        }

    def render(self) -> str:
        """Plain text: each claim with its citation, then the sources."""
        lines: list[str] = []
        if self.found:
            lines.extend(f"- {c.text} [{c.cite}]" for c in self.claims)
        else:
            what = f" (nothing about: {', '.join(self.missing)})" if self.missing else ""
            lines.append(f"not found in the sources{what}")
        lines.append("sources:" if self.found else "nearest sources:")
        lines.extend(f"  {h.passage.cite}  {h.passage.title}" for h in self.sources)
        return "\n".join(lines)


_MARKERS = re.compile(r'^\s*(?:///?|#+|\*+/?|/\*\*|"""|\'\'\'|-|\d+\.|>|\|)\s*')
_SENTENCE_END = re.compile(r"[.!?:]\s*$")


def sentences(p: Passage) -> list[tuple[int, str]]:
    """The passage as (first line, sentence) pairs; comment and list markers stripped."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    start = p.start
    for offset, raw in enumerate(p.text.splitlines()):
        line = _MARKERS.sub("", raw).strip()
        if line.startswith("```") or (raw.lstrip().startswith("#") and p.kind == "doc"):
            line = ""
        if not line:
            if buf:
                out.append((start, " ".join(buf)))
            buf = []
            continue
        if not buf:
            start = p.start + offset
        buf.append(line)
        code_line = line.endswith(("{", "}", ";", ")")) or raw.startswith(("    ", "\t", "|"))
        if _SENTENCE_END.search(line) or code_line or len(" ".join(buf)) > 300:
            out.append((start, " ".join(buf)))
            buf = []
    if buf:
        out.append((start, " ".join(buf)))
    return [(n, s) for n, s in out if len(tokenize(s)) >= 2]


def _weight(retriever: Retriever, terms: set[str]) -> dict[str, float]:
    top = max((retriever.idf(t) for t in terms), default=1.0) or 1.0
    return {t: retriever.idf(t) or top * 1.5 for t in terms}


def _coverage(question: str, weights: dict[str, float], hits: Sequence[Hit]) -> tuple[float, list[str]]:
    """The share of the question's weight the passages carry, and the question's words they lack."""
    seen: set[str] = set()
    for h in hits:
        seen |= content_terms(f"{h.passage.title} {h.passage.text}")
    total = sum(weights.values()) or 1.0
    missing = [
        w for w in dict.fromkeys(re.findall(r"[\w-]+", question)) if (t := content_terms(w)) and not t & seen
    ]
    return sum(w for t, w in weights.items() if t in seen) / total, missing


def _extract(
    weights: dict[str, float], hits: Sequence[Hit], question: str = "", retriever: Retriever | None = None
) -> list[Claim]:
    """The sentences of ``hits`` that say most about the question: the share of its weight they
    carry, plus (with the embedding model) how close their meaning is to the question's."""
    found = [(rank, h, n, text) for rank, h in enumerate(hits) for n, text in sentences(h.passage)]
    closeness = [0.0] * len(found)
    embedder = retriever.embedder if retriever is not None else None
    if embedder is not None and found:
        vectors = embedder.embed([question] + [text for *_, text in found])
        closeness = [max(0.0, float(c)) for c in vectors[1:] @ vectors[0]]
    total = sum(weights.values()) or 1.0
    scored: list[tuple[float, int, Claim]] = []
    for (rank, h, n, text), close in zip(found, closeness, strict=True):
        terms = content_terms(text)
        share = sum(w for t, w in weights.items() if t in terms) / total
        score = share + close
        if share > 0 or close >= SIMILARITY_NEEDED * 0.75:
            # the best-ranked sources first among sentences of similar weight
            scored.append((score * (1.0 - 0.08 * rank), -n, Claim(text, h.passage.path, n)))
    scored.sort(key=lambda s: (-s[0], s[1]))
    claims: list[Claim] = []
    for _, _, claim in scored:
        if claim not in claims:
            claims.append(claim)
        if len(claims) == _MAX_CLAIMS:
            break
    return claims


class _Sentence(BaseModel):
    text: str = Field(max_length=400)
    source: int


class _Composed(BaseModel):
    sentences: list[_Sentence] = Field(max_length=_MAX_CLAIMS)


def _supporting_line(text: str, p: Passage) -> int | None:
    """The passage line a sentence rests on, or None when the passage does not carry its words."""
    terms = content_terms(text)
    if not terms:
        return None
    best: tuple[float, int] | None = None
    for n, sent in sentences(p):
        share = len(terms & content_terms(sent)) / len(terms)
        if best is None or share > best[0]:
            best = (share, n)
    passage_share = len(terms & content_terms(p.text)) / len(terms)
    if best is None or passage_share < 0.6 or best[0] < 0.3:
        return None
    return best[1]


def _compose(question: str, hits: Sequence[Hit], model: LanguageModel) -> list[Claim]:
    structured = getattr(model, "structured", None)
    if structured is None:
        return []
    numbered = "\n\n".join(f"[{i}] {h.passage.cite}\n{h.passage.text[:700]}" for i, h in enumerate(hits))
    messages: list[ChatMessage] = [
        {
            "role": "system",
            "content": "Answer the developer's question in at most three short sentences, using only "
            "the numbered sources. Give each sentence the number of the source it comes from.",
        },
        {"role": "user", "content": f"Sources:\n{numbered}\n\nQuestion: {question}"},
    ]
    try:
        composed = structured(messages, _Composed, max_tokens=200)
    except AIWeb3Error:
        return []
    claims: list[Claim] = []
    asked = content_terms(question)
    for s in composed.sentences:
        if not 0 <= s.source < len(hits):
            continue
        # a sentence that only restates the question (small models often echo it) says nothing
        if s.text.rstrip().endswith("?") or len(content_terms(s.text) - asked) < 2:
            continue
        line = _supporting_line(s.text, hits[s.source].passage)
        if line is not None:
            claims.append(Claim(s.text.strip(), hits[s.source].passage.path, line))
    return claims


def answer_question(
    question: str, retriever: Retriever, model: LanguageModel | None = None, *, k: int = 5
) -> DevAnswer:
    """Answer ``question`` from ``retriever``'s sources, every claim cited.

    Raises:
        InputError: the question has no words to search for.
    """
    terms = content_terms(question)
    if not terms:
        raise InputError("the question has no words to search for: ask about a feature, command or contract")
    hits = retriever.search(question, k=k)
    weights = _weight(retriever, terms)
    coverage, missing = _coverage(question, weights, hits[:_TOP])
    close = max((h.similarity for h in hits[:_TOP]), default=0.0)
    if not hits or (coverage < COVERAGE_NEEDED and close < SIMILARITY_NEEDED):
        return DevAnswer(question, False, [], hits, "none", missing)
    claims: list[Claim] = []
    engine = "extractive"
    if model is not None and model.available:
        claims = _compose(question, hits[:_TOP], model)
        if claims:
            engine = f"model {model.name}"
    if not claims:
        claims = _extract(weights, hits[:_TOP], question, retriever)
    if not claims:
        return DevAnswer(question, False, [], hits, "none", missing)
    return DevAnswer(question, True, claims, hits, engine, missing)


def check_citation(claim: Claim, roots: Sequence[Path]) -> bool:
    """Whether the cited file exists under one of ``roots`` and carries the claim at that line.

    "Carries" means that the lines from the cited one on, as many as the claim's length needs (at
    most twelve), hold at least 60% of the claim's words.
    """
    for root in roots:
        base = root.parent if root.is_file() else root
        for candidate in (base / claim.path, base.parent / claim.path):
            if not candidate.is_file():
                continue
            lines = candidate.read_text(encoding="utf-8").splitlines()
            if not 1 <= claim.line <= len(lines):
                return False
            window, end = "", claim.line - 1
            while end < min(len(lines), claim.line + 11) and len(window) < len(claim.text):
                window += " " + lines[end]
                end += 1
            terms = content_terms(claim.text)
            return bool(terms) and len(terms & content_terms(window)) / len(terms) >= 0.6
    return False
