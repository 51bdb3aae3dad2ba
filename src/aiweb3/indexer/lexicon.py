"""What the index holds that a question can name: token symbols, contract and event names, days."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import duckdb

__all__ = ["Lexicon", "number_word", "symbols_in"]

_WORDS = {
    "a": 1,
    "an": 1,
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
}


def number_word(word: str) -> int | None:
    """``word`` as a number ("3", "three"), or None."""
    return int(word) if word.isdigit() else _WORDS.get(word)


def symbols_in(text: str, lex: Lexicon) -> list[str]:
    """Token symbols the index knows that occur in ``text`` (lowercase), in order."""
    found: list[str] = []
    for word in re.findall(r"[a-z0-9_.\-]+", text):
        if word in lex.symbols and lex.symbols[word] not in found:
            found.append(lex.symbols[word])
    return found


@dataclass
class Lexicon:
    """What the index holds that questions can name."""

    symbols: dict[str, str] = field(default_factory=dict)  # lower symbol -> symbol
    token_addresses: dict[str, str] = field(default_factory=dict)  # address -> symbol
    events: dict[str, str] = field(default_factory=dict)  # lower name -> name
    contracts: dict[str, str] = field(default_factory=dict)  # lower name -> name
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    con: duckdb.DuckDBPyConnection | None = None

    @classmethod
    def from_index(cls, con: duckdb.DuckDBPyConnection) -> Lexicon:
        """Read the lexicon from an index connection."""
        lex = cls(con=con)
        for symbol, address in con.execute("SELECT symbol, address FROM tokens").fetchall():
            if symbol:
                lex.symbols[symbol.lower()] = symbol
                lex.token_addresses[address] = symbol
        names = con.execute("SELECT DISTINCT contract_name, event_name FROM decoded_events").fetchall()
        for contract, event in names:
            lex.events[str(event).lower()] = str(event)
            lex.contracts[str(contract).lower()] = str(contract)
        row = con.execute("SELECT min(day), max(day) FROM blocks WHERE block_number > 0").fetchone()
        if row:
            lex.first_day, lex.last_day = row
        return lex

    def address_known(self, address: str) -> bool:
        """True when ``address`` occurs in the index (as a sender, receiver, token or event argument)."""
        if self.con is None or address in self.token_addresses:
            return True
        row = self.con.execute(
            "SELECT EXISTS (SELECT 1 FROM transactions WHERE from_address = $a OR to_address = $a) "
            "OR EXISTS (SELECT 1 FROM token_transfers WHERE from_address = $a OR to_address = $a) "
            "OR EXISTS (SELECT 1 FROM decoded_events WHERE contains(CAST(args AS VARCHAR), $a))",
            {"a": address},
        ).fetchone()
        return bool(row and row[0])


def _num(word: str) -> int | None:
    return int(word) if word.isdigit() else _WORDS.get(word)
