"""Entry point: builds the Typer app from one module per command group.

User errors (:class:`AIWeb3Error`) print one line on stderr and exit 1, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from aiweb3.cli import account, ask, chaincmd, index, metric, node
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
app.add_typer(node.app, name="node")
app.add_typer(account.app, name="account")
chaincmd.register(app)
app.add_typer(index.app, name="index")
app.add_typer(metric.app, name="metric")
ask.register(app)


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
