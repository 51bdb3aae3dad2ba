"""Bots on disk, named by their content: ``<home>/games/bots/<bot id hex>.bot``; and their
registration in the ``BotRegistry`` contract."""

from __future__ import annotations

from pathlib import Path

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address

from aiweb3.chain import Chain, Deployments, artifact
from aiweb3.errors import InputError
from aiweb3.files import atomic_write_text
from aiweb3.games.botlang import MAX_PROGRAM_BYTES, Bot, parse_bot
from aiweb3.games.simulate import REFERENCE_BOTS

__all__ = ["BotStore", "bot_uri", "register_bot", "registered_owner"]


class BotStore:
    """The bots of one ``AIWEB3_HOME``."""

    def __init__(self, home: Path) -> None:
        self.dir = Path(home) / "games" / "bots"

    def save(self, bot: Bot) -> Path:
        """Write the canonical program (atomically); returns its path."""
        path = self.dir / f"{bot.bot_id.hex()}.bot"
        if not path.exists():
            atomic_write_text(path, bot.source())
        return path

    def load(self, ref: str) -> Bot:
        """A bot by reference-bot name, stored id (or a unique prefix of at least 6 hex digits), or file path.

        Raises:
            InputError: nothing matches, or a stored file no longer hashes to its name.
        """
        if ref in REFERENCE_BOTS:
            return parse_bot(REFERENCE_BOTS[ref])
        path = Path(ref)
        if path.is_file():
            if path.stat().st_size > MAX_PROGRAM_BYTES:
                raise InputError(
                    f"{ref}: too large for a bot ({path.stat().st_size} bytes, at most {MAX_PROGRAM_BYTES})"
                )
            return parse_bot(path.read_text())
        key = ref.lower().removeprefix("0x")
        matches = (
            sorted(self.dir.glob(f"{key}*.bot"))
            if len(key) >= 6 and all(c in "0123456789abcdef" for c in key)
            else []
        )
        if len(matches) != 1:
            known = ", ".join(REFERENCE_BOTS)
            why = (
                "matches several bots" if matches else "is not a bot file, a stored bot id or a reference bot"
            )
            raise InputError(f"{ref!r} {why} ({known}; `aiweb3 game bot list` shows stored bots)")
        bot = parse_bot(matches[0].read_text())
        if bot.bot_id.hex() != matches[0].stem:
            raise InputError(
                f"{matches[0]} was edited: it no longer hashes to its name; write it as a new bot"
            )
        return bot

    def list(self) -> list[Bot]:
        """Every stored bot."""
        return [parse_bot(p.read_text()) for p in sorted(self.dir.glob("*.bot"))]


def bot_uri(bot: Bot) -> str:
    """The registry's pointer to a bot: ``aiweb3-bot:<id hex>``."""
    return f"aiweb3-bot:{bot.bot_id.hex()}"


def register_bot(chain: Chain, home: Path, owner: LocalAccount, bot: Bot) -> int:
    """Register ``bot`` as ``owner``'s in the ``BotRegistry``; returns the block number.

    Raises:
        InputError: the bot is registered already (it names its owner).
    """
    registry = chain.contract(
        artifact("BotRegistry").abi, Deployments(home, chain.chain_id).address("BotRegistry")
    )
    current = registered_owner(chain, home, bot)
    if current is not None:
        raise InputError(f"bot {bot.bot_id.hex()[:12]} is registered already, by {current}")
    receipt = chain.transact(owner, registry.functions.register(bot.bot_id, bot_uri(bot)))
    return int(receipt["blockNumber"])


def registered_owner(chain: Chain, home: Path, bot: Bot) -> str | None:
    """The owner of ``bot`` in the ``BotRegistry`` (None when unregistered)."""
    registry = chain.contract(
        artifact("BotRegistry").abi, Deployments(home, chain.chain_id).address("BotRegistry")
    )
    owner = chain.call(registry.functions.getBot(bot.bot_id))[0]
    return None if int(owner, 16) == 0 else to_checksum_address(owner)
