"""The parser's rules: from a question whose subject is known to a full plan.

Measure, amount, filters (tokens, addresses and their role, mints, thresholds, status),
the share's condition, grouping, order and limit, each from a few regular expressions
over the lowercase question.
"""

from __future__ import annotations

import re
from typing import Literal, cast

from aiweb3.indexer.lexicon import Lexicon, number_word, symbols_in
from aiweb3.indexer.plan import SOURCES, ZERO, Filter, Measure, Plan, Window

__all__ = ["build_plan"]

_ADDRESS = re.compile(r"0x[0-9a-f]{40}\b")
_MODEL_ID = re.compile(r"0x[0-9a-f]{64}\b")
_RECEIVE = re.compile(r"\b(receiv\w*|recipients?|earn\w*|went to)\b")
#: (first role, receiving role) of each subject's addresses.
_ROLES: dict[str, tuple[str, str]] = {
    "transactions": ("sender", "receiver"),
    "gas": ("sender", "receiver"),
    "failures": ("sender", "receiver"),
    "contracts": ("sender", "sender"),
    "transfers": ("sender", "receiver"),
    "holdings": ("holder", "holder"),
    "tasks": ("requester", "requester"),
    "payouts": ("provider", "provider"),
    "models": ("caller", "caller"),
    "authorizations": ("authorizer", "authorizer"),
    "contributions": ("payee", "payee"),
    "content": ("by", "by"),
    "agents": ("owner", "owner"),
    "approvals": ("owner", "spender"),
    "blocks": ("miner", "miner"),
    "active": ("address", "address"),
}
_GAS_LIKE = ("gas", "failures", "contracts")


def _amount(text: str, subject: str) -> str | None:
    if subject == "transactions":
        if re.search(r"\bgas limit\b", text):
            return "gas"
        if re.search(r"\bwhen\b", text):
            return "block_time"
        return "value_eth"
    if subject in _GAS_LIKE:
        if re.search(r"\bwhen\b", text):
            return "block_time"
        if re.search(r"\bwhich block\b|\bblock number\b", text):
            return "block_number"
        if re.search(r"\bprice|\bgwei\b", text):
            return "gas_price"
        if re.search(r"\bfees?\b", text):
            return "fee_eth"
        return "gas_used"
    if subject == "blocks":
        if re.search(r"\bbase fee\b", text):
            return "base_fee"
        if re.search(r"\bgas\b", text):
            return "gas_used"
        if re.search(r"\bwhen\b|\bblock time\b", text):
            return "block_time"
        if re.search(r"\bblock number\b|\blatest block\b|\bwhich block\b", text):
            return "block_number"
        return "tx_count"
    if subject == "transfers" and re.search(r"\bsupply\b", text):
        return "net_minted"
    return SOURCES[subject].default_amount


def _measure(text: str, subject: str) -> str:
    if re.search(r"\b(share|percent\w*|fraction|proportion)\b", text):
        return "share"
    if re.search(r"\b(average|mean|avg)\b", text):
        return "avg"
    if re.search(r"\bmedian\b", text):
        return "median"
    if re.search(r"\b(distinct|unique|different)\b", text) or re.search(
        r"\bhow many (addresses|wallets|accounts|miners|owners|contributors|providers|payers|deployers)\b",
        text,
    ):
        return "distinct"
    if re.search(
        r"\b(largest|biggest|highest|maximum|max|most recent|latest|last|most gas a single)\b", text
    ):
        return "max"
    if re.search(r"\b(smallest|lowest|minimum|min|first|earliest)\b", text):
        return "min"
    if subject == "content" and re.search(r"\bmanifests\b", text):
        return "sum"
    if subject == "active" and not re.search(r"\b(transactions?|txs?)\b", text):
        return "distinct"
    if subject == "holdings" or re.search(r"\bsupply\b", text):
        return "sum"
    if re.search(r"\b(how many|number of|count)\b", text):
        return "count"
    if re.search(r"\b(how much|total|volume|sum|altogether|moved|spent|burn\w*|usage|consum\w*)\b", text):
        return "sum"
    return "count"


def _role(subject: str, before: str, after: str) -> str:
    """The role of an address from the words around it ("to X", "did X receive": receiving)."""
    first, receiving = _ROLES.get(subject, ("sender", "receiver"))
    if re.search(r"\b(to|received by|sent to)\s*$", before) or re.search(r"^\W*(receive|received)\b", after):
        return receiving
    return first


def _conditions(text: str, subject: str, lex: Lexicon) -> list[tuple[int, Filter]]:
    """Every filter the question states, with where it was found."""
    out: list[tuple[int, Filter]] = []
    src = SOURCES[subject]
    addresses = list(_ADDRESS.finditer(text))
    for hit in addresses:
        address = hit.group(0)
        if subject == "transactions" and address in lex.token_addresses:
            out.append((hit.start(), Filter(column="receiver", value=address)))
            continue
        before, after = text[max(0, hit.start() - 20) : hit.start()], text[hit.end() : hit.end() + 20]
        role = _role(subject, before, after)
        if len(addresses) == 2 and hit is addresses[1] and "receiver" in src.columns:
            role = "receiver"
        if role in src.columns:
            out.append((hit.start(), Filter(column=role, value=address)))
    for model in _MODEL_ID.finditer(text):
        if "model" in src.columns:
            out.append((model.start(), Filter(column="model", value=model.group(0))))
    for symbol in symbols_in(text, lex):
        pos = text.find(symbol.lower())
        if "symbol" in src.columns:
            out.append((pos, Filter(column="symbol", value=symbol)))
        elif subject == "transactions" and re.search(r"\bcontract\b", text):
            address = next(a for a, s in lex.token_addresses.items() if s == symbol)
            out.append((pos, Filter(column="receiver", value=address)))
    if "standard" in src.columns:
        m = re.search(r"\bnfts?\b|\berc-?721\b", text)
        if m:
            out.append((m.start(), Filter(column="standard", value="erc721")))
        m = re.search(r"\berc-?20\b", text)
        if m:
            out.append((m.start(), Filter(column="standard", value="erc20")))
    if "sender" in src.columns and subject == "transfers":
        excluded = re.search(
            r"\b(not|excluding|exclude|without|except|no)\b\W+(\w+\W+){0,2}?mints?\b|\bbetween users\b", text
        )
        if excluded:
            out.append((excluded.start(), Filter(column="sender", op="!=", value=ZERO)))
        else:
            m = re.search(r"\bmint(s|ed|ing)?\b", text)
            if m:
                out.append((m.start(), Filter(column="sender", op="=", value=ZERO)))
    out += _thresholds(text, subject)
    if subject == "blocks" and (m := re.search(r"\bempty\b", text)):
        out.append((m.start(), Filter(column="tx_count", value=0)))
    if subject == "transactions" and (
        m := re.search(r"\b(sent ether|moved ether|ether (payments?|transfers?)|plain ether)\b", text)
    ):
        out.append((m.start(), Filter(column="value_eth", op=">", value=0)))
    return out


_OPS = {
    "more than": ">",
    "over": ">",
    "above": ">",
    "greater than": ">",
    "at least": ">=",
    "under": "<",
    "less than": "<",
    "below": "<",
    "fewer than": "<",
    "at most": "<=",
}


def _thresholds(text: str, subject: str) -> list[tuple[int, Filter]]:
    out = []
    pattern = r"\b(more than|over|above|greater than|at least|under|less than|below|fewer than|at most)\s+"
    for m in re.finditer(pattern + r"(\d[\d,]*(?:\.\d+)?(?:e\d+)?)\s*([a-z]+)?", text):
        number = float(m.group(2).replace(",", ""))
        value: float | int = int(number) if number.is_integer() else number
        unit = m.group(3) or ""
        column = {
            "transfers": "amount",
            "transactions": "value_eth" if unit in ("eth", "ether") else "gas",
            "blocks": "gas_used" if unit == "gas" else "tx_count",
        }.get(subject, "gas_used" if subject in _GAS_LIKE else "")
        if column in SOURCES[subject].columns:
            out.append((m.start(), Filter(column=column, op=_OPS[m.group(1)], value=value)))  # type: ignore[arg-type]
    return out


def _group(text: str, subject: str) -> str | None:
    if re.search(r"\b(per|each|every|by) day\b|\bdaily\b|\bwhich day\b", text):
        return "day"
    if re.search(r"\b(per|each|by) hour\b|\bhourly\b", text):
        return "hour"
    if re.search(r"\bweekly\b|\b(per|each|by) week\b", text):
        return "week"
    if re.search(r"\b(per|each|by) token\b", text):
        return "token"
    if re.search(r"\b(by|per) model\b|\bmodels by\b", text):
        return "model"
    if re.search(r"\b(by|per) event( name)?\b", text):
        return "event"
    if re.search(r"\bwhich contract\b|\b(per|by|each) contract\b", text) and subject == "events":
        return "contract"
    first, receiving = _ROLES.get(subject, ("", ""))
    if re.search(r"\bsingle\b", text):
        return None
    if re.search(r"\bper (owner|account|sender|address|payee|requester|provider|wallet)\b", text):
        return first or None
    if re.search(r"\btop \w+|\bwho\b|\bwhich \w*\s*(address|account|wallet)|\bmost\b", text) and first:
        return receiving if _RECEIVE.search(text) else first
    return None


def _limit(text: str) -> int | None:
    m = re.search(r"\btop (\d+|[a-z]+)\b", text) or re.search(r"\bwhich (\d+|[a-z]+) \w+", text)
    if m and (n := number_word(m.group(1))):
        return n
    if re.search(r"^(who|which)\b", text) and re.search(r"\bmost\b", text):
        return 1
    if re.search(r"\btop\b", text):
        return 10
    return None


def _listing(text: str) -> tuple[int, Literal["asc", "desc"] | None] | None:
    biggest = r"(largest|biggest|most recent|latest|smallest|blocks with the most)"
    m = re.search(r"\bthe (\d+|[a-z]+) " + biggest + r"\b", text)
    m = m or re.search(r"\b(largest|biggest|smallest) (\d+)\b", text)
    m = m or re.search(r"\btop (\d+|[a-z]+) (?:[a-z0-9]+ )?(transfers|transactions|payments|blocks)\b", text)
    if not m:
        return None
    words = m.groups()
    n = number_word(words[0]) or number_word(words[1])
    if n is None:
        return None
    return n, ("asc" if "smallest" in words else None)


def build_plan(text: str, subject: str, filters: list[Filter], window: Window | None, lex: Lexicon) -> Plan:
    """The plan for ``text`` (lowercase) once its subject is known."""
    measure = _measure(text, subject)
    if measure == "share" and subject in ("failures", "contracts"):
        marker = Filter(column="status", value=0)
        if subject == "contracts":
            marker = Filter(column="contract_address", op="!=", value="")
        amount = "gas_used" if re.search(r"\bgas used\b", text) else None
        found = _conditions(text, "gas", lex)
        return Plan(
            measure="share",
            subject="gas",
            amount=amount,
            filters=[f for _, f in found],
            share_of=[marker],
            window=window,
        )
    found = _conditions(text, subject, lex)
    if subject == "tokens" and re.search(r"^(list|which|what) tokens\b", text):
        return Plan(measure="list", subject="tokens", filters=filters + [f for _, f in found], limit=1000)
    listing = _listing(text)
    if listing is not None:
        n, direction = listing
        amount = None if re.search(r"\bmost recent|latest\b", text) else _amount(text, subject)
        return Plan(
            measure="list",
            subject=subject,
            amount=amount,
            filters=filters + [f for _, f in found],
            window=window,
            order=direction,
            limit=n,
        )
    group = _group(text, subject)
    amount = _amount(text, subject)
    share_of: list[Filter] = []
    if measure == "share":
        verb = re.search(r"\b(are|were|was|did|that|which|went)\b", text)
        cut = verb.start() if verb else len(text)
        share_of = [f for pos, f in found if pos >= cut]
        found = [(pos, f) for pos, f in found if pos < cut]
        if not share_of and found:
            share_of = [found.pop()[1]]
        amount = amount if re.search(r"\bvolume\b|\bgas used\b", text) else None
    distinct_of = None
    if measure == "distinct":
        distinct_of = _distinct_of(text, subject)
    if group is not None and measure in ("max", "min"):
        measure = "sum" if group not in ("day", "hour", "week") else measure
    if (
        group is not None
        and measure == "count"
        and re.search(
            r"\b(volume|how much|by balance|holders?|holds?|spenders|payments|payouts|sent per|"
            r"most (eth|ether|"
            + "|".join(s.lower() for s in lex.symbols.values())
            + r")|manifests|gas used)\b",
            text,
        )
    ):
        measure = "sum"
    if group is not None and re.search(r"\bnumber of|\bcontributions\b", text) and measure == "sum":
        measure = "count"
    limit = _limit(text) if group is not None else None
    order: Literal["desc"] | None = "desc" if limit else None
    if measure in ("count", "distinct"):
        amount = None
    return Plan(
        measure=cast(Measure, measure),
        subject=subject,
        amount=amount,
        distinct_of=distinct_of,
        filters=filters + [f for _, f in found],
        share_of=share_of,
        window=window,
        group_by=group,
        order=order,
        limit=limit,
    )


def _distinct_of(text: str, subject: str) -> str | None:
    if re.search(r"\btokens\b", text) and subject == "transfers":
        return "token"
    if re.search(r"\bmodels\b", text) and subject == "models":
        return "model"
    if re.search(r"\bevent (types|names)\b", text):
        return "event"
    first, receiving = _ROLES.get(subject, ("", ""))
    if _RECEIVE.search(text):
        return receiving or None
    return first or None
