"""The scaffold families: what each template is for, the words that choose it, and its parameters.

Each family is three reviewed templates in ``templates/`` (``KIND.sol.tmpl``, ``KIND_test.py.tmpl``,
``KIND_example.py.tmpl``). A parameter has a default and bounds; a value from the description
(``2-of-3``, ``capped at 1 million``, ``70/30``, ``a 6-month cliff``) or from a language model is
used only when it is within them, so every rendered contract is one the template's tests cover.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FAMILIES", "Family", "Param", "extract_params", "validate_params"]


@dataclass(frozen=True)
class Param:
    """One template parameter: an integer within [low, high], an integer list, or a symbol."""

    name: str
    default: Any
    low: int = 1
    high: int = 10**12
    kind: str = "int"  # "int", "ints" (2..7 integers), "symbol" (1..8 capitals or digits)
    help: str = ""


@dataclass(frozen=True)
class Family:
    """A contract kind: what it is (told to the model), the words that choose it, its parameters."""

    kind: str
    summary: str
    words: frozenset[str]
    params: tuple[Param, ...] = ()
    check: Callable[[dict[str, Any]], str | None] = field(default=lambda _: None)


def _vesting_check(p: dict[str, Any]) -> str | None:
    return "the cliff must be shorter than the vesting" if p["CLIFF_DAYS"] >= p["DURATION_DAYS"] else None


def _multisig_check(p: dict[str, Any]) -> str | None:
    return "the threshold cannot exceed the owners" if p["THRESHOLD"] > p["OWNERS"] else None


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FAMILIES: dict[str, Family] = {
    f.kind: f
    for f in (
        Family(
            "escrow",
            "a buyer deposits for a seller; the buyer releases it, the seller refunds, "
            "the buyer reclaims after a deadline",
            _words(
                "escrow buyer seller release deal delivery "
                "deliver delivered freelancer client milestone settle"
            ),
        ),
        Family(
            "vault",
            "deposits locked until an unlock time, then withdrawn by their owner",
            _words("vault lock locks locked unlock unlocks savings piggy capsule hodl timelock"),
        ),
        Family(
            "token",
            "an ERC-20 token with a maximum supply (cap) that only the owner mints",
            _words("erc20 mint mints minting mintable supply cap capped coin burn burnable"),
            (
                Param("CAP", 1_000_000, 1, 10**15, help="most whole tokens that can ever exist"),
                Param("SYMBOL", "", kind="symbol", help="ticker, capitals"),
            ),
        ),
        Family(
            "vesting",
            "tokens granted to a beneficiary vest linearly after a cliff",
            _words("vesting vest vests vested cliff linearly linear beneficiary grant grants"),
            (
                Param("CLIFF_DAYS", 90, 0, 3650, help="days before anything vests"),
                Param("DURATION_DAYS", 365, 1, 3650, help="days until everything has vested"),
            ),
            _vesting_check,
        ),
        Family(
            "splitter",
            "payments split between fixed payees by shares, each payee withdraws its part",
            _words("split splits splitter splitting share shares royalty royalties revenue payees percent"),
            (Param("SHARES", [50, 50], 1, 10_000, kind="ints", help="share of each payee, e.g. [70, 30]"),),
        ),
        Family(
            "auction",
            "an English auction paid in tokens; highest bid wins, outbid bidders withdraw",
            _words("auction auctions bid bids bidder bidders bidding highest outbid"),
            (Param("MIN_RAISE_PCT", 5, 1, 100, help="percent a bid must beat the last by"),),
        ),
        Family(
            "multisig",
            "a wallet whose payments need approvals from several owners (k-of-n)",
            _words(
                "multisig multi-sig multisignature signers cosigners "
                "owners approvals approve threshold wallet treasury"
            ),
            (
                Param("THRESHOLD", 2, 1, 8, help="approvals a payment needs"),
                Param("OWNERS", 3, 1, 8, help="number of owners"),
            ),
            _multisig_check,
        ),
        Family(
            "crowdfund",
            "a campaign with a goal and deadline; creator claims if met, backers refunded otherwise",
            _words(
                "crowdfund crowdfunding campaign campaigns pledge "
                "pledges backers backer goal fundraiser kickstarter"
            ),
        ),
        Family(
            "sale",
            "an allowlist token sale at a fixed price with a per-buyer limit",
            _words(
                "sale presale allowlist allowlisted whitelist whitelisted buyers sell sells selling price ico"
            ),
            (
                Param("PRICE", 1, 1, 1000, help="payment tokens per token sold"),
                Param("PER_BUYER", 100, 1, 1000, help="most tokens one buyer may buy"),
                Param("SYMBOL", "", kind="symbol", help="ticker, capitals"),
            ),
        ),
        Family(
            "registry",
            "a name registry where owners register by EIP-712 signatures a relayer submits",
            _words(
                "registry register registers registration names eip-712 "
                "eip712 signed signature signatures gasless relayer relayed"
            ),
        ),
    )
}

_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    )
}
_SCALE = {"thousand": 10**3, "k": 10**3, "million": 10**6, "m": 10**6, "billion": 10**9, "b": 10**9}
_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


def _int(text: str) -> int | None:
    text = text.lower().replace(",", "").replace("_", "")
    if text in _NUMBER_WORDS:
        return _NUMBER_WORDS[text]
    try:
        return int(float(text))
    except ValueError:
        return None


def _span_days(amount: str, unit: str) -> int | None:
    n = _int(amount)
    return None if n is None else n * _DAYS[unit.lower().rstrip("s")]


_NUM = r"(\d[\d,_.]*|one|two|three|four|five|six|seven|eight|nine|ten)"
_UNIT = r"(days?|weeks?|months?|years?)"


def extract_params(kind: str, description: str) -> dict[str, Any]:
    """Parameters stated in ``description`` (unchecked; :func:`validate_params` bounds them)."""
    text = description.lower()
    out: dict[str, Any] = {}
    if kind == "token":
        m = re.search(
            r"(?:cap(?:ped)?|max(?:imum)?(?: supply)?|supply)\D{0,12}?(\d[\d,_.]*)\s*"
            r"(thousand|million|billion|k|m|b)?\b",
            text,
        )
        if m and (n := _int(m.group(1))) is not None:
            out["CAP"] = int(n * _SCALE.get(m.group(2) or "", 1))
    elif kind == "vesting":
        cliff = re.search(_NUM + r"[- ]" + _UNIT + r"\s+cliff", text) or re.search(
            r"cliff\s+(?:of|after)\s+" + _NUM + r"[- ]" + _UNIT, text
        )
        if cliff:
            out["CLIFF_DAYS"] = _span_days(cliff.group(1), cliff.group(2))
        over = re.search(r"(?:over|across|during|for)\s+" + _NUM + r"[- ]" + _UNIT, text)
        if over:
            out["DURATION_DAYS"] = _span_days(over.group(1), over.group(2))
    elif kind == "splitter":
        m = re.search(r"\b(\d+(?:\s*/\s*\d+)+)\b", text)
        if m:
            out["SHARES"] = [int(x) for x in re.split(r"\s*/\s*", m.group(1))]
        elif len(pct := re.findall(r"(\d+)\s*%", text)) >= 2:
            out["SHARES"] = [int(x) for x in pct]
    elif kind == "multisig":
        m = re.search(_NUM + r"[- ]of[- ]" + _NUM, text)
        if m:
            out["THRESHOLD"], out["OWNERS"] = _int(m.group(1)), _int(m.group(2))
    elif kind == "auction":
        m = re.search(r"(\d+)\s*(?:%|percent)", text)
        if m:
            out["MIN_RAISE_PCT"] = int(m.group(1))
    elif kind == "sale":
        m = re.search(
            r"(?:at most|up to|max(?:imum)?(?: of)?)\s+"
            + _NUM
            + r"\s+(?:tokens?\s+)?(?:per|each|a)\s+(?:buyer|wallet|address|person)",
            text,
        )
        if m:
            out["PER_BUYER"] = _int(m.group(1))
        m = re.search(r"(\d[\d,_.]*)\s*(?:aiusd|usd|dollars?)\s*(?:each|per|apiece|a token)", text)
        if m:
            out["PRICE"] = _int(m.group(1))
    return {k: v for k, v in out.items() if v is not None}


def _symbol(name: str) -> str:
    capitals = "".join(c for c in name if c.isupper() or c.isdigit())
    return (capitals if len(capitals) >= 2 else name[:4].upper())[:8]


def validate_params(kind: str, name: str, given: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The family's parameters: each given value within its bounds, else the default.

    Returns the values and a note for every given value that was not used.
    """
    values: dict[str, Any] = {}
    notes: list[str] = []
    for p in FAMILIES[kind].params:
        value = given.get(p.name)
        ok = False
        if value is not None:
            if p.kind == "int":
                ok = isinstance(value, int) and not isinstance(value, bool) and p.low <= value <= p.high
            elif p.kind == "ints":
                ok = (
                    isinstance(value, list)
                    and 2 <= len(value) <= 7
                    and all(isinstance(v, int) and p.low <= v <= p.high for v in value)
                )
            else:
                ok = isinstance(value, str) and re.fullmatch(r"[A-Z][A-Z0-9]{0,7}", value) is not None
            if not ok:
                notes.append(f"{p.name}={value!r} is outside what the template allows; used the default")
        if ok:
            values[p.name] = value
        else:
            values[p.name] = _symbol(name) if p.kind == "symbol" else p.default
    problem = FAMILIES[kind].check(values)
    if problem:
        notes.append(f"{problem}; used the defaults")
        values = {p.name: (_symbol(name) if p.kind == "symbol" else p.default) for p in FAMILIES[kind].params}
    return values, notes
