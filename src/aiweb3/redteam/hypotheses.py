"""Hypotheses: what the scanners suspect, where, how sure, and why; merged and ranked.

A hypothesis names a vulnerability class (one of :data:`CLASSES`), the function it lives in, a
``file:line`` location, a confidence in ``[0, 1]`` and the evidence (the checks that fired). The
static checks (:mod:`aiweb3.redteam.scan_checks`) and Slither each produce them; :func:`rank`
merges those that agree (same class, contract and function) and sorts the most likely first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CLASSES", "Hypothesis", "rank"]

#: Vulnerability classes, with the one-line description the reports and the planner use.
CLASSES: dict[str, str] = {
    "reentrancy": "an external call runs before the state it depends on is written",
    "access_control": "a state-changing function anyone can call changes an owner or moves funds",
    "tx_origin": "authorisation by tx.origin, which a contract the owner calls can abuse",
    "delegatecall": "delegatecall to an address or with data the caller controls",
    "unchecked_call": "the success flag of a low-level call or send is ignored",
    "spot_price": "a price read from a pool's current state (slot0 / getReserves), movable in one tx",
    "unprotected_init": "an initialiser anyone can call (again)",
    "share_rounding": "share math that divides before it protects against donation or rounding",
    "signature_replay": "a signature check without a nonce or chain id",
    "bad_randomness": "randomness from block values a caller can predict",
    "integer_overflow": "unchecked arithmetic before Solidity 0.8",
    "front_running": "a victim's pending transaction can be copied or pre-empted by the attacker",
    "search": "a sequence of attacker calls, found by property-based search, breaks the win condition",
}

_SEVERITY = {
    "reentrancy": "high",
    "access_control": "high",
    "tx_origin": "high",
    "delegatecall": "high",
    "unprotected_init": "high",
    "spot_price": "high",
    "share_rounding": "medium",
    "signature_replay": "high",
    "integer_overflow": "high",
    "bad_randomness": "medium",
    "unchecked_call": "medium",
    "search": "high",
    "front_running": "medium",
}


@dataclass
class Hypothesis:
    """One suspected weakness.

    Attributes:
        cls: the vulnerability class (a key of :data:`CLASSES`).
        contract: the contract it is in; function: the function ("" for contract-wide findings).
        location: ``file:line`` of the statement that raised it.
        confidence: 0..1, higher is likelier.
        evidence: what each scanner saw (one line per check).
        sources: which scanners agree ("ast", "slither").
    """

    cls: str
    contract: str
    function: str
    location: str
    confidence: float
    evidence: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def severity(self) -> str:
        """high / medium / low, by class."""
        return _SEVERITY.get(self.cls, "low")

    @property
    def key(self) -> tuple[str, str, str]:
        """What two scanners must share to be the same finding."""
        return (self.cls, self.contract, self.function)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "class": self.cls,
            "contract": self.contract,
            "function": self.function,
            "location": self.location,
            "confidence": round(self.confidence, 3),
            "severity": self.severity,
            "evidence": list(self.evidence),
            "sources": list(self.sources),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Hypothesis:
        """The inverse of :meth:`to_json`."""
        return cls(
            cls=str(data["class"]),
            contract=str(data["contract"]),
            function=str(data["function"]),
            location=str(data["location"]),
            confidence=float(data["confidence"]),
            evidence=[str(e) for e in data.get("evidence", [])],
            sources=[str(s) for s in data.get("sources", [])],
        )


def rank(found: Iterable[Hypothesis]) -> list[Hypothesis]:
    """Merge hypotheses with the same class, contract and function; most likely first.

    Agreement between scanners raises the confidence (each extra scanner adds 0.15, capped at
    0.99); ties keep severity order, then location.
    """
    merged: dict[tuple[str, str, str], Hypothesis] = {}
    for hyp in found:
        seen = merged.get(hyp.key)
        if seen is None:
            merged[hyp.key] = Hypothesis(
                hyp.cls,
                hyp.contract,
                hyp.function,
                hyp.location,
                hyp.confidence,
                list(hyp.evidence),
                list(hyp.sources),
            )
            continue
        new_source = any(s not in seen.sources for s in hyp.sources)
        seen.confidence = max(seen.confidence, hyp.confidence)
        if new_source:
            seen.confidence = min(0.99, seen.confidence + 0.15)
        seen.evidence.extend(e for e in hyp.evidence if e not in seen.evidence)
        seen.sources.extend(s for s in hyp.sources if s not in seen.sources)
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(merged.values(), key=lambda h: (-h.confidence, order.get(h.severity, 3), h.location, h.cls))
