"""What every command needs: settings, the local node, a chain client and a signer.

Commands stay thin: they resolve these from the settings and call into the library.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from functools import cached_property

from eth_account.signers.local import LocalAccount
from rich.console import Console

from aiweb3.chain import Chain, Keystore, LocalNode, NodeConfig, checksum, dev_account
from aiweb3.config import LOCAL_CHAIN_ID, Settings
from aiweb3.errors import AccountError, InputError
from aiweb3.files import ensure_private_dir
from aiweb3.store import LocalStore

__all__ = ["Context", "console", "err_console"]

console = Console()
err_console = Console(stderr=True)


@dataclass
class Context:
    """Lazily built per-invocation resources."""

    settings: Settings = field(default_factory=Settings.load)

    def __post_init__(self) -> None:
        ensure_private_dir(self.settings.home)

    @cached_property
    def node(self) -> LocalNode:
        """The local node of ``AIWEB3_HOME``."""
        return LocalNode(NodeConfig(home=self.settings.home, state_interval=self.settings.state_interval))

    @property
    def is_local(self) -> bool:
        """True unless an RPC URL was configured."""
        return self.settings.rpc_url is None

    @cached_property
    def chain(self) -> Chain:
        """A client on the configured RPC URL, or on the local node (started if needed)."""
        if self.settings.rpc_url:
            return Chain(self.settings.rpc_url, expected_chain_id=self.settings.chain_id)
        info = self.node.info()
        if info is None:
            err_console.print("[dim]starting the local node…[/dim]")
            info = self.node.start()
        return Chain(
            info.url,
            expected_chain_id=self.settings.chain_id or LOCAL_CHAIN_ID,
            journal=self.node.journal,
        )

    @cached_property
    def keystore(self) -> Keystore:
        """The keystore under ``AIWEB3_HOME``."""
        return Keystore(self.settings.home / "keystore")

    @cached_property
    def store(self) -> LocalStore:
        """The content-addressed artifact store under ``AIWEB3_HOME``."""
        return LocalStore(self.settings.home / "store")

    def password(self, prompt: str = "Keystore password: ", confirm: bool = False) -> str:
        """``AIWEB3_PASSWORD`` or an interactive prompt (never echoed, never logged)."""
        env = os.environ.get("AIWEB3_PASSWORD")
        if env:
            return env
        try:
            first = getpass.getpass(prompt)
            if confirm and getpass.getpass("Repeat password: ") != first:
                raise InputError("the passwords differ; try again")
        except EOFError:
            raise AccountError(
                "a keystore password is needed: set AIWEB3_PASSWORD or run in a terminal"
            ) from None
        return first

    def signer(self, account: str | None = None) -> LocalAccount:
        """Resolve a signer: a keystore name/address, ``dev:N`` on the local chain, or the default.

        The default is ``AIWEB3_ACCOUNT`` or, on the local chain, dev account 0.
        """
        wanted = account or self.settings.account
        if wanted is None or wanted.startswith("dev:"):
            if self.chain.chain_id != LOCAL_CHAIN_ID:
                raise AccountError(
                    "dev accounts exist on the local chain only; pass --account NAME "
                    "(a keystore account) or set AIWEB3_ACCOUNT"
                )
            index = int(wanted.split(":", 1)[1]) if wanted else 0
            return dev_account(index)
        if wanted.startswith("0x"):
            wanted = checksum(wanted)
        return self.keystore.unlock(wanted, self.password())
