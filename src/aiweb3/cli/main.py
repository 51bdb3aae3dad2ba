"""Entry point: the Typer app, with one module per command group, imported on first use.

User errors (:class:`AIWeb3Error`) print one line on stderr and exit 1, never a traceback.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from aiweb3.cli.context import err_console
from aiweb3.errors import AIWeb3Error

__all__ = ["COMMANDS", "app", "main"]

#: Every top-level command: name -> (module, attribute). The attribute is a Typer app (a
#: command group) or a function (a single command). A module is imported only when its command
#: runs, so `aiweb3 node status` does not load ezkl, DuckDB or FastAPI.
COMMANDS: dict[str, tuple[str, str]] = {
    "up": ("aiweb3.cli.chaincmd", "up"),
    "deploy": ("aiweb3.cli.chaincmd", "deploy"),
    "node": ("aiweb3.cli.node", "app"),
    "account": ("aiweb3.cli.account", "app"),
    "token": ("aiweb3.cli.token", "app"),
    "model": ("aiweb3.cli.zkml", "model_app"),
    "srs": ("aiweb3.cli.zkml", "srs_app"),
    "auditor": ("aiweb3.cli.audits", "auditor_app"),
    "content": ("aiweb3.cli.content", "app"),
    "dataset": ("aiweb3.cli.dataset", "app"),
    "index": ("aiweb3.cli.indexseed", "app"),  # the index group, with `index seed` added
    "metric": ("aiweb3.cli.metric", "app"),
    "ask": ("aiweb3.cli.ask", "ask"),
    "agent": ("aiweb3.cli.agents", "agent_app"),
    "task": ("aiweb3.cli.agents", "task_app"),
    "agents": ("aiweb3.cli.agents", "agents_app"),
    "usecase": ("aiweb3.cli.usecase", "usecase"),
    "llm": ("aiweb3.cli.llm", "app"),
    "privacy": ("aiweb3.cli.privacy", "app"),
    "defi": ("aiweb3.cli.defi_credit", "app"),  # the defi group, with `defi protect|credit` added
    "network": ("aiweb3.cli.network", "app"),
    "game": ("aiweb3.cli.game", "app"),
    "social": ("aiweb3.cli.social", "app"),
    "dev": ("aiweb3.cli.dev", "app"),
    "redteam": ("aiweb3.cli.redteam", "app"),
}


class _LazyGroup(TyperGroup):
    """A Typer group whose subcommands are loaded from :data:`COMMANDS` on demand."""

    # Typer vendors its own click; its Context/Command types are private, hence Any here.
    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        loaded = super().get_command(ctx, cmd_name)
        if loaded is not None or cmd_name not in COMMANDS:
            return loaded
        module, attr = COMMANDS[cmd_name]
        target = getattr(importlib.import_module(module), attr)
        if isinstance(target, typer.Typer):
            command = typer.main.get_command(target)
        else:
            holder = typer.Typer(add_completion=False)
            holder.command(cmd_name)(target)
            command = typer.main.get_command(holder)
        command.name = cmd_name
        self.add_command(command, cmd_name)
        return command


app = typer.Typer(
    cls=_LazyGroup,
    name="aiweb3",
    help="Verifiable AI on Ethereum-style chains: a local node, contracts, proofs and payments.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _global_options(
    rpc_url: str | None = typer.Option(
        None, "--rpc-url", help="JSON-RPC endpoint of another chain (default: the local node)."
    ),
    chain_id: int | None = typer.Option(None, "--chain-id", help="Expected chain id (checked)."),
    home: Path | None = typer.Option(None, "--home", help="State directory (default ~/.aiweb3)."),
) -> None:
    """Options for every command; they override AIWEB3_RPC_URL, AIWEB3_CHAIN_ID, AIWEB3_HOME."""
    # Settings are read from the environment by every command's Context, so the global
    # options are applied there (this process only).
    if rpc_url:
        os.environ["AIWEB3_RPC_URL"] = rpc_url
    if chain_id is not None:
        os.environ["AIWEB3_CHAIN_ID"] = str(chain_id)
    if home is not None:
        os.environ["AIWEB3_HOME"] = str(home)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; converts aiweb3 errors into one clear line and exit code 1."""
    try:
        app(args=argv, standalone_mode=True)
    except AIWeb3Error as exc:
        err_console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
