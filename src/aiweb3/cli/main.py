"""Entry point: builds the Typer app from one module per command group.

User errors (:class:`AIWeb3Error`) print one line on stderr and exit 1, never a traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from aiweb3.cli import account, ask, chaincmd, content, dataset, index, metric, node, token, usecase, zkml
from aiweb3.cli.context import err_console
from aiweb3.errors import AIWeb3Error

__all__ = ["app", "main"]

app = typer.Typer(
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


app.add_typer(node.app, name="node")
app.add_typer(account.app, name="account")
app.add_typer(content.app, name="content")
app.add_typer(dataset.app, name="dataset")
app.add_typer(token.app, name="token")
chaincmd.register(app)
zkml.register(app)
app.add_typer(index.app, name="index")
app.add_typer(metric.app, name="metric")
ask.register(app)
usecase.register(app)


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
