"""Deterministic filters around the language model: spam, prompt injection, off-policy output.

The model is small and can be talked into things, so nothing it writes is trusted: inputs are
screened (:func:`spam_reasons`, :func:`injection_reasons`) before it sees them, and every draft is
checked (:func:`output_violations`) before it is signed. A draft that fails is replaced by a
fixed, on-policy text; it is never "fixed up" and posted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["injection_reasons", "is_spam", "output_violations", "spam_reasons"]

_URL = re.compile(r"https?://|www\.|\b[a-z0-9-]+\.(?:xyz|top|click|ru|io|gg|link)\b", re.I)
_SPAM_PHRASES = (
    "airdrop", "giveaway", "free money", "free tokens", "claim your", "claim now", "100x", "1000x",
    "guaranteed", "dm me", "double your", "act now", "limited time", "click here",
    "investment opportunity", "wallet drainer", "earn $", "make money", "crypto signals", "promo code",
)  # fmt: skip
#: Words that are innocent alone ("the bonus chapter") and spammy together ("telegram pump referral").
_WEAK_PHRASES = ("bonus", "pump", "moon", "referral", "telegram", "whatsapp", "casino", "send me", "signals")
_INJECTION = tuple(
    re.compile(p, re.I)
    for p in (
        r"\bignore\b.{0,40}\b(instructions|rules|prompt|above|previous)",
        r"\bdisregard\b.{0,40}\b(instructions|rules|prompt|above|previous)",
        r"\bforget\b.{0,40}\b(instructions|rules|prompt|everything)",
        r"\b(system|developer)\s*(prompt|message|mode)\b",
        r"\byou are now\b|\bact as\b|\bpretend (to be|you are)\b|\broleplay\b",
        r"\b(reveal|print|show|repeat|leak|tell me|what are)\b.{0,40}"
        r"\b(rules|instructions|prompt|secret|key|nsec|config)",
        r"\b(output|summari[sz]e|describe|dump|translate|list)\b.{0,40}"
        r"\b(configuration|config|rules|prompt|instructions|hex|key|system message)",
        r"\bhidden (configuration|rules|prompt|instructions)\b",
        r"\b(private|secret)\s*key\b|\bnsec|\bseed phrase\b|\bmnemonic\b",
        r"\bjailbreak\b|(?-i:\bDAN\b)|\bdo anything now\b",
        r"\bnew (rules|instructions|policy)\b|\boverride\b",
        r"\bpost (this|the following|exactly)\b|\bsay exactly\b|\brepeat after me\b",
        r"</?(system|assistant|user)>|\[/?INST\]|<\|im_start\|>",
    )
)


def spam_reasons(text: str, *, seen: Iterable[str] = ()) -> list[str]:
    """Why ``text`` looks like spam (empty: it does not). ``seen``: texts already posted elsewhere."""
    lowered = text.lower()
    reasons: list[str] = []
    phrases = [p for p in _SPAM_PHRASES if p in lowered]
    if phrases:
        reasons.append(f"spam phrases: {', '.join(phrases[:3])}")
    weak = [p for p in _WEAK_PHRASES if p in lowered]
    if len(weak) >= 2:
        reasons.append(f"spam words: {', '.join(weak[:3])}")
    links = len(_URL.findall(text))
    if links >= 2:
        reasons.append(f"{links} links")
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.6:
        reasons.append("shouting")
    if re.search(r"(.)\1{7,}", text) or re.search(r"([!?$💰🚀])\1{3,}", text):
        reasons.append("repeated characters")
    if text.count("#") >= 6:
        reasons.append("hashtag stuffing")
    if text.strip() and text.strip() in set(seen):
        reasons.append("duplicate of an earlier post")
    return reasons


def is_spam(text: str, *, seen: Iterable[str] = ()) -> bool:
    """True when :func:`spam_reasons` finds anything."""
    return bool(spam_reasons(text, seen=seen))


def injection_reasons(text: str) -> list[str]:
    """The prompt-injection patterns ``text`` matches (empty: none)."""
    return [p.pattern for p in _INJECTION if p.search(text)]


def output_violations(
    draft: str,
    *,
    topics: Iterable[str],
    secrets: Iterable[str],
    rules_text: str,
    max_chars: int = 600,
    require_topic: bool = True,
) -> list[str]:
    """Why ``draft`` may not be posted by an account with these topics, secrets and rules."""
    problems: list[str] = []
    lowered = draft.lower()
    if not draft.strip():
        problems.append("empty")
    if len(draft) > max_chars:
        problems.append(f"longer than {max_chars} characters")
    if any(s and s.lower() in lowered for s in secrets):
        problems.append("contains a secret")
    if re.search(r"\b[0-9a-f]{64}\b", lowered) or "nsec1" in lowered:
        problems.append("contains key-like material")
    rules_lines = [line.strip().lower() for line in rules_text.splitlines() if len(line.strip()) > 24]
    if any(line in lowered for line in rules_lines):
        problems.append("quotes the account's rules")
    if _URL.search(draft):
        problems.append("contains a link")
    if spam_reasons(draft):
        problems.append("reads like spam")
    if injection_reasons(draft):
        problems.append("echoes an instruction")
    topic_list = [t.lower() for t in topics]
    if require_topic and topic_list and not any(t in lowered for t in topic_list):
        problems.append("off-topic")
    return problems
