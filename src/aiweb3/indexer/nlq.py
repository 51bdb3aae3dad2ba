"""The deterministic question parser: plain English to a typed :class:`~aiweb3.indexer.plan.Plan`.

A lexicon built from the index (token symbols and addresses, decoded contract and event
names, the first and last indexed day) and from the plan catalog, plus regular
expressions for windows, dates, blocks, thresholds and limits. The parser either returns
a plan, declines (:class:`~aiweb3.indexer.answerable.Decline`), or returns None when it
cannot tell what is asked (the language model, when configured, gets the question then).
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import ValidationError

from aiweb3.errors import InputError, QueryRefused
from aiweb3.indexer.answerable import Decline, check_answerable
from aiweb3.indexer.lexicon import Lexicon, number_word, symbols_in
from aiweb3.indexer.nlq_rules import build_plan
from aiweb3.indexer.plan import Filter, Plan, Window

__all__ = ["MAX_QUESTION", "Lexicon", "parse_question", "refuse_writes"]

#: Longest question accepted, in characters.
MAX_QUESTION = 500

_WRITES = re.compile(
    r"\b(delete|drop|insert|update|remove|truncate|alter|erase|wipe|overwrite|modify|"
    r"create\s+table|write\s+to|set\s+.*\s+to)\b",
    re.I,
)
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{40}\b")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_SQL = re.compile(r"^\s*(select|with)\s.+\bfrom\b", re.S)
_NOT_TOKENS = {"ETH", "NFT", "NFTS", "USD", "UTC", "ERC", "ID", "TX", "TXS", "DAY", "API", "SQL", "EIP", "OK"}


def refuse_writes(question: str) -> None:
    """Raise :class:`QueryRefused` for a question that asks to change data."""
    match = _WRITES.search(question)
    if match:
        raise QueryRefused(
            f"the question asks to {match.group(0).lower()!r} data; the index is read-only "
            "and questions can only read it"
        )


# -- windows --------------------------------------------------------------------------------


def _window(text: str, lex: Lexicon) -> Window | Decline | None:
    dates = [dt.date.fromisoformat(d) for d in _DATE.findall(text)]
    for d in dates:
        if lex.last_day and d > lex.last_day:
            return Decline(
                "future",
                f"{d} is after the newest indexed day ({lex.last_day}); the index cannot know the future.",
                f"the same question up to {lex.last_day}.",
            )
        if lex.first_day and d < lex.first_day:
            return Decline(
                "genesis",
                f"{d} is before the first indexed day ({lex.first_day}): there is no data that early.",
                f"the same question from {lex.first_day} on.",
            )
    if len(dates) >= 2 and re.search(r"\bbetween\b|\bfrom\b", text):
        return Window(kind="dates", start=min(dates[:2]).isoformat(), end=max(dates[:2]).isoformat())
    if dates and re.search(r"\bsince\b|\bafter\b", text):
        end = lex.last_day or dates[0]
        return Window(kind="dates", start=dates[0].isoformat(), end=end.isoformat())
    if dates:
        return Window(kind="dates", start=dates[0].isoformat(), end=dates[0].isoformat())
    m = re.search(r"\bblocks? (\d+) ?(?:to|and|through|-|\u2013|\u2014) ?(\d+)\b", text)
    if m:
        lo, hi = sorted((int(m.group(1)), int(m.group(2))))
        return Window(kind="blocks", first=lo, last=hi)
    m = re.search(r"\b(?:since|from|after) block (\d+)\b", text)
    if m:
        return Window(kind="blocks", first=int(m.group(1)))
    m = re.search(r"\b(?:last|past|previous|recent)\s+(\d+|[a-z]+)?\s*(minute|hour|day|week)s?\b", text)
    if m:
        n = number_word(m.group(1)) if m.group(1) else 1
        if n is not None:
            return Window(kind="rolling", n=n, unit=m.group(2))  # type: ignore[arg-type]
    if re.search(r"\bthis week\b", text):
        return Window(kind="rolling", n=7, unit="day")
    if re.search(r"\btoday\b", text):
        return Window(kind="today")
    if re.search(r"\byesterday\b", text):
        return Window(kind="yesterday")
    return None


def _strip_window(text: str) -> str:
    text = _DATE.sub(" ", text)
    text = re.sub(r"\b(today|yesterday|this week)\b", " ", text)
    text = re.sub(r"\b(?:last|past|previous|recent)\s+(\d+|[a-z]+)?\s*(minute|hour|day|week)s?\b", " ", text)
    return re.sub(r"\bblocks? \d+( ?(to|and|through|-|\u2013|\u2014) ?\d+)?\b", " ", text)


# -- subjects -------------------------------------------------------------------------------

_SUBJECTS: list[tuple[str, str]] = [
    ("transfers", r"\bsupply\b"),
    ("holdings", r"\b(balances?|holds?|holding|holders?)\b"),
    ("payouts", r"\b(payouts?|paid out|got paid|escrow payments?|recipients of escrow)\b"),
    ("tasks", r"\b(escrow|tasks?|taskescrow)\b"),
    ("agents", r"\bagents?\b"),
    ("models", r"\b(inferences?|models?)\b"),
    ("content", r"\b(anchored|manifests?|content)\b"),
    ("acceptances", r"\b(contributions? (?:were |was )?accepted|accept\w*|pay contributors|pools pay)\b"),
    ("contributions", r"\b(datasets?|contribut\w*)\b"),
    ("authorizations", r"\b(authori[sz]ations?|authori[sz]e|gasless)\b"),
    ("approvals", r"\b(approvals?|allowances?)\b"),
    ("logs", r"\b(log entries|logs)\b"),
    ("events", r"\b(events?|emitted|emit)\b"),
    ("contracts", r"\b(contracts? (?:were |have been |was )?(?:deployed|created)|deploy\w*|deployer\w*)\b"),
    ("failures", r"\b(fail\w*|revert\w*)\b"),
    (
        "blocks",
        r"^(how many|number of|count)( empty)? blocks\b|\bblocks? (per|each|contain|with)\b"
        r"|\bper block\b|\bbase fee\b|\bblock gas\b|\bblocks of\b|\bminers?\b|\bblock (number|time)\b"
        r"|\bfirst block\b|\blatest block\b|\bempty\b",
    ),
    ("gas", r"\b(gas|fees?|gwei)\b"),
    (
        "tokens",
        r"\b(tokens? (does|do|are there|know|exist)|erc-?20 tokens|tokens does the index)\b"
        r"|^(how many|list|which|what) tokens\b(?!.*transfer)",
    ),
    ("transfers", r"\b(transfers?|transferred|nfts?|minted|mints?|volume|moved)\b"),
    ("transactions", r"\b(transactions?|txs?|active|addresses|wallets|accounts|ether|eth)\b"),
    ("blocks", r"\bblocks?\b"),
    ("transactions", r"\b(senders?|receivers?|recipients?|called)\b"),
]


def _subject(text: str, lex: Lexicon) -> tuple[str, list[Filter]]:
    for low, name in lex.events.items():
        if re.search(rf"\b{re.escape(low)}\b", text):
            return "events", [Filter(column="event", value=name)]
    for low, name in lex.contracts.items():
        if re.search(rf"\b{re.escape(low)}\b", text) and re.search(r"\bevents?\b|\bemit", text):
            return "events", [Filter(column="contract", value=name)]
    if re.search(r"\btransactions?\b.*\b(went|sent|calls?|to) (to )?the \w+ contract\b", text):
        return "transactions", []
    if re.search(r"\bgas limit\b", text):
        return "transactions", []
    if re.search(r"\bactive\b", text) and not symbols_in(text, lex):
        return "active", []
    if (
        re.search(r"\b(eth|ether)\b", text)
        and not symbols_in(text, lex)
        and not re.search(r"\bgas|fees?\b", text)
    ):
        return "transactions", []
    for subject, pattern in _SUBJECTS:
        if re.search(pattern, text):
            if subject == "transfers" and re.search(r"\bsupply\b", text):
                return subject, []
            if subject == "transactions" and symbols_in(text, lex):
                return "transfers", []
            if subject == "holdings" and not (symbols_in(text, lex) or re.search(r"\btoken", text)):
                continue
            return subject, []
    if symbols_in(text, lex):
        return "transfers", []
    return "", []


def unknown_contract(question: str, lex: Lexicon) -> str | None:
    """A CamelCase name (a contract or event, e.g. 'PaymentSplitter') the index has no decoded events of."""
    known = set(lex.contracts) | set(lex.events)
    for word in re.findall(r"\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]*)+\b", question):
        if word.lower() not in known:
            return str(word)
    return None


def unknown_symbol(question: str, lex: Lexicon) -> str | None:
    """An all-capitals word that looks like a token symbol but is not one the index knows."""
    known = {s.upper() for s in lex.symbols.values()} | {e.upper() for e in lex.events.values()}
    for word in re.findall(r"\b[A-Z][A-Z0-9]{1,9}\b", question):
        if word not in known and word not in _NOT_TOKENS and not word.startswith("0X"):
            return str(word)
    return None


def parse_question(question: str, lex: Lexicon) -> Plan | Decline | None:
    """Parse ``question`` into a plan, a decline, or None (not understood).

    Raises:
        InputError: empty or overlong question, unknown token or address.
        QueryRefused: the question asks to change data.
    """
    text = question.strip()
    if not text:
        raise InputError("the question is empty; ask e.g. 'how many transactions in the last 24 hours?'")
    if len(text) > MAX_QUESTION:
        raise InputError(f"the question is {len(text)} characters long; keep it under {MAX_QUESTION}")
    refuse_writes(text)
    low = text.lower()
    declined = check_answerable(low)
    if declined is not None:
        return declined
    symbol = unknown_symbol(text, lex)
    if symbol is not None:
        known = ", ".join(sorted(lex.symbols.values())) or "none yet"
        raise InputError(f"unknown token {symbol!r}: the index knows {known}")
    contract = unknown_contract(text, lex)
    if contract is not None:
        raise InputError(
            f"contract {contract!r} is not indexed (no decoded events); register its ABI first "
            "(`aiweb3 metric new ... --abi FILE` or `aiweb3 index add-abi FILE`)"
        )
    for address in _ADDRESS.findall(text):
        if not lex.address_known(address.lower()):
            raise InputError(f"address {address.lower()} does not occur in the index; check it for typos")
    _check_literals(low)
    try:
        window = _window(low, lex)
        if isinstance(window, Decline):
            return window
        rest = _strip_window(low)
        subject, filters = _subject(rest, lex)
        if not subject:
            return None
        return build_plan(rest, subject, filters, window, lex)
    except ValidationError as exc:
        first = exc.errors()[0]
        names = {"n": "the window length", "limit": "top N", "first": "the block", "last": "the block"}
        where = names.get(str(first["loc"][-1]), ".".join(str(p) for p in first["loc"]))
        raise InputError(f"{where} {first.get('input')!r} is out of range: {first['msg'].lower()}") from None


def _check_literals(low: str) -> None:
    """One-line errors for SQL text, malformed hex, impossible dates and negative windows."""
    if _SQL.match(low):
        raise InputError("that is SQL, not a question; `aiweb3 ask --explain 'SQL'` explains SQL")
    for word in re.findall(r"\b0x[0-9a-z]*\b", low):
        if len(word) not in (42, 66) or not re.fullmatch(r"0x[0-9a-f]+", word):
            raise InputError(
                f"{word!r} is neither an address (0x + 40 hex digits) nor a 32-byte id (0x + 64)"
            )
    for day in _DATE.findall(low):
        try:
            dt.date.fromisoformat(day)
        except ValueError:
            raise InputError(f"{day!r} is not a date (YYYY-MM-DD)") from None
    if re.search(r"\b(last|past|previous)\s+-\s*\d", low):
        raise InputError("a time window must be positive, e.g. 'the last 3 hours'")


__all__ += ["unknown_contract", "unknown_symbol"]
