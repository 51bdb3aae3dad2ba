"""Per-user news digests: what the people a user follows and the topics they engage with said, and
what happened on chain, ranked, with every sentence citing the event ids or transaction hashes
it came from.

Sentences are built from their sources, not written freely: a note is quoted (a verbatim
snippet), an on-chain event is stated from its indexed row (amount, parties, block). So each
citation can be checked mechanically (:func:`check_digest`): the cited id exists among the
sources and the sentence's quote or figures appear in it. Spam and notes carrying injection
attempts never enter a digest.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from aiweb3.social.client import NostrClient
from aiweb3.social.events import KIND_FOLLOWS, KIND_NOTE, KIND_REACTION, NostrEvent
from aiweb3.social.guard import injection_reasons, spam_reasons

__all__ = [
    "ChainItem",
    "Digest",
    "DigestLine",
    "Interests",
    "build_digest",
    "chain_items_from_index",
    "check_digest",
    "digest_tags",
    "names_from_profiles",
    "read_interests",
]

_WORD = re.compile(r"[a-z][a-z0-9]{2,}")
_STOP = set(
    [
        "the",
        "and",
        "for",
        "with",
        "that",
        "this",
        "from",
        "have",
        "are",
        "was",
        "you",
        "your",
        "not",
        "but",
        "just",
        "what",
        "about",
        "into",
        "out",
        "new",
        "our",
        "has",
        "all",
        "can",
        "get",
        "how",
        "who",
        "why",
        "when",
        "any",
        "more",
        "some",
        "been",
        "they",
        "them",
        "will",
        "would",
        "there",
        "their",
        "here",
        "its",
        "http",
        "https",
        "www",
        "com",
        "gm",
    ]
)
_CITE = re.compile(r"\[(?:nostr:)?([0-9a-fx]+)\]")


@dataclass(frozen=True)
class Interests:
    """What a user cares about: whom they follow and the topics they engage with (weights)."""

    user: str
    follows: frozenset[str]
    topics: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ChainItem:
    """One on-chain event for a digest, named by its transaction hash."""

    tx_hash: str
    block: int
    sentence: str  # what happened, stated from the indexed row
    figures: tuple[str, ...]  # the numbers and names the sentence states (checked against the row)
    topics: tuple[str, ...]
    weight: float = 1.0


@dataclass(frozen=True)
class DigestLine:
    """One sentence and the ids it cites."""

    text: str
    refs: tuple[str, ...]


@dataclass(frozen=True)
class Digest:
    """A ranked digest for one user."""

    user: str
    lines: tuple[DigestLine, ...]
    excluded: dict[str, str] = field(default_factory=dict)  # source id -> why it was left out

    @property
    def text(self) -> str:
        """The digest as one note's content."""
        if not self.lines:
            return "Your digest: nothing new on your follows and topics."
        return "Your digest:\n" + "\n".join(f"- {line.text}" for line in self.lines)


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def _topics_of(event: NostrEvent) -> list[str]:
    tagged = [v[0].lower() for v in event.tag_values("t") if v]
    hashed = re.findall(r"#([a-z0-9_]+)", event.content.lower())
    return list(dict.fromkeys(tagged + hashed))


def read_interests(client: NostrClient, user: str, *, limit: int = 200) -> Interests:
    """The user's follows (latest NIP-02 list) and topic weights from their notes and reactions."""
    follow_lists = client.fetch({"kinds": [KIND_FOLLOWS], "authors": [user], "limit": 1})
    follows = frozenset(v[0] for v in follow_lists[0].tag_values("p") if v) if follow_lists else frozenset()
    weights: dict[str, float] = {}
    for note in client.fetch({"kinds": [KIND_NOTE], "authors": [user], "limit": limit}):
        for t in _topics_of(note):
            weights[t] = weights.get(t, 0.0) + 2.0
    liked = [
        r.first("e") for r in client.fetch({"kinds": [KIND_REACTION], "authors": [user], "limit": limit})
    ]
    liked_ids = [i for i in liked if i]
    if liked_ids:
        for note in client.fetch({"ids": liked_ids[:100]}):
            for t in _topics_of(note):
                weights[t] = weights.get(t, 0.0) + 1.0
    return Interests(user, follows, weights)


def chain_items_from_index(
    index: Path,
    *,
    token: str,
    min_amount: Decimal,
    decimals: int = 6,
    symbol: str = "AIUSD",
    limit: int = 20,
) -> list[ChainItem]:
    """Large transfers of ``token`` and new models registered, from the indexer's DuckDB file."""
    from aiweb3.indexer import IndexStore

    items: list[ChainItem] = []
    scale = Decimal(10) ** decimals
    with IndexStore(index, read_only=True) as store:
        rows = store.con.execute(
            "SELECT tx_hash, block_number, from_address, to_address, value_raw FROM token_transfers "
            "WHERE lower(token) = lower(?) AND standard = 'erc20' "
            "AND CAST(value_raw AS HUGEINT) >= ? ORDER BY block_number DESC, log_index LIMIT ?",
            [token, int(min_amount * scale), limit],
        ).fetchall()
        for tx, block, src, dst, raw in rows:
            figures: tuple[str, ...]
            amount = f"{(Decimal(raw) / scale).normalize():f}"
            size = min(2.0, math.log10(max(1.0, float(Decimal(raw) / scale / max(min_amount, Decimal(1))))))
            if int(src, 16) == 0:  # a mint: news, but less than money moving between holders
                sentence = f"{amount} {symbol} were minted to {dst[:10]}… in block {block}"
                figures, weight = (amount, dst[:10], str(block)), 0.5 + size / 2
            else:
                sentence = f"{amount} {symbol} moved from {src[:10]}… to {dst[:10]}… in block {block}"
                figures, weight = (amount, src[:10], dst[:10], str(block)), 1.0 + size
            items.append(ChainItem(str(tx), int(block), sentence, figures, ("aiusd", "payments"), weight))
        models = store.con.execute(
            "SELECT tx_hash, block_number FROM decoded_events WHERE event_name = 'ModelRegistered' "
            "ORDER BY block_number DESC LIMIT ?",
            [limit],
        ).fetchall()
        for tx, block in models:
            items.append(
                ChainItem(
                    tx_hash=str(tx),
                    block=int(block),
                    sentence=f"a new model was registered on chain in block {block}",
                    figures=(str(block),),
                    topics=("zkml", "models"),
                    weight=1.5,
                )
            )
    return items


def _snippet(text: str, n: int = 90) -> str:
    flat = " ".join(text.split())
    if len(flat) <= n:
        return flat
    cut = flat[:n].rsplit(" ", 1)[0]
    return cut + "…"


def build_digest(
    interests: Interests,
    notes: Iterable[NostrEvent],
    chain_items: Sequence[ChainItem] = (),
    *,
    names: dict[str, str] | None = None,
    max_lines: int = 6,
    max_chain_lines: int = 2,
) -> Digest:
    """Rank notes and chain events for ``interests`` and state the best ones, each citing its source.

    Score: followed author +3, each shared topic its weight (a hashtag counts double), +1 per
    other note in the same thread; chain items score by topic overlap and size, and take at most
    ``max_chain_lines`` of the lines. Spam, injection
    attempts, the user's own notes and repeated texts are excluded (and said why in ``excluded``).
    """
    names = names or {}
    excluded: dict[str, str] = {}
    seen_texts: set[str] = set()
    scored: list[tuple[float, str, DigestLine]] = []
    note_list = list(notes)
    thread_sizes = Counter(n.root_id for n in note_list if n.root_id)
    for note in note_list:
        if note.pubkey == interests.user or note.kind != KIND_NOTE:
            continue
        spam = spam_reasons(note.content, seen=seen_texts)
        if spam:
            excluded[note.id] = f"spam: {'; '.join(spam)}"
            continue
        if injection_reasons(note.content):
            excluded[note.id] = "injection attempt"
            continue
        if note.ai_labelled:
            excluded[note.id] = "AI-generated"
            continue
        seen_texts.add(note.content.strip())
        topics = _topics_of(note)
        words = set(_words(note.content))
        score = 3.0 if note.pubkey in interests.follows else 0.0
        score += sum(2 * interests.topics.get(t, 0.0) for t in topics)
        score += sum(interests.topics.get(w, 0.0) for w in words - set(topics))
        score += thread_sizes.get(note.id, 0)
        if score <= 0:
            continue
        who = names.get(note.pubkey, note.pubkey[:8])
        topic = next((t for t in topics if t in interests.topics), None) or next(
            (w for w in words if w in interests.topics), "your topics"
        )
        label = topic if topic == "your topics" else f"#{topic}"
        line = DigestLine(f"{who} on {label}: “{_snippet(note.content)}” [nostr:{note.id}]", (note.id,))
        scored.append((score, note.id, line))
    ranked_chain = sorted(
        chain_items,
        key=lambda i: (-(i.weight + sum(interests.topics.get(t, 0.0) for t in i.topics)), -i.block),
    )
    for item in ranked_chain[:max_chain_lines]:
        score = item.weight + sum(interests.topics.get(t, 0.0) for t in item.topics)
        scored.append(
            (score, item.tx_hash, DigestLine(f"On chain: {item.sentence} [{item.tx_hash}]", (item.tx_hash,)))
        )
    scored.sort(key=lambda s: (-s[0], s[1]))
    return Digest(interests.user, tuple(line for _, _, line in scored[:max_lines]), excluded)


def check_digest(
    text: str, notes: dict[str, NostrEvent], chain_items: dict[str, ChainItem]
) -> tuple[int, int, list[str]]:
    """Check every sentence of a digest against its sources.

    Returns ``(supported, total, problems)``: a sentence is supported when it cites at least one
    id, every cited id is a known source, and its quote (for a note) is in that note's text or
    its figures (for a chain item) are the item's.
    """
    supported, total, problems = 0, 0, []
    for raw in text.splitlines():
        line = raw.removeprefix("- ").strip()
        if not line or (line.endswith(":") and not _CITE.search(line)):
            continue
        total += 1
        refs = _CITE.findall(line)
        if not refs:
            problems.append(f"no citation: {line[:60]}")
            continue
        ok = True
        for ref in refs:
            if ref in notes:
                quote = re.search(r"“(.*?)”", line)
                body = quote.group(1).removesuffix("…") if quote else ""
                if not body or body not in " ".join(notes[ref].content.split()):
                    ok = False
                    problems.append(f"quote not in {ref[:12]}")
            elif ref in chain_items:
                if not all(fig in line for fig in chain_items[ref].figures):
                    ok = False
                    problems.append(f"figures differ from {ref[:12]}")
            else:
                ok = False
                problems.append(f"unknown source {ref[:12]}")
        supported += ok
    return supported, total, problems


def digest_tags(digest: Digest) -> list[list[str]]:
    """Tags that point at every cited source: NIP-10 ``mention`` e tags and ``tx`` tags."""
    tags: list[list[str]] = [["p", digest.user]]
    for line in digest.lines:
        for ref in line.refs:
            tags.append(["tx", ref] if ref.startswith("0x") else ["e", ref, "", "mention"])
    return tags


def names_from_profiles(client: NostrClient, pubkeys: Iterable[str]) -> dict[str, str]:
    """Display names from kind-0 profiles (pubkeys without one are left out)."""
    keys = list(dict.fromkeys(pubkeys))
    out: dict[str, str] = {}
    if not keys:
        return out
    for profile in client.fetch({"kinds": [0], "authors": keys[:200]}):
        try:
            name = json.loads(profile.content).get("name")
        except (ValueError, AttributeError):
            continue
        if isinstance(name, str) and name.strip() and profile.pubkey not in out:
            out[profile.pubkey] = "".join(ch for ch in name.strip()[:32] if ch.isprintable())
    return out
