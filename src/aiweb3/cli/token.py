"""``aiweb3 token`` — API tokens for the service's write routes (stored hashed)."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from aiweb3.cli.context import console, err_console
from aiweb3.config import Settings
from aiweb3.server.tokens import TokenStore

app = typer.Typer(help="API tokens for the HTTP API's write routes.", no_args_is_help=True)


@app.command()
def new(name: str = typer.Option("default", help="A label to recognise the token by.")) -> None:
    """Create a token; it is printed once and only its hash is stored."""
    store = TokenStore(Settings.load().home)
    token, info = store.new(name)
    err_console.print(f"created token {info.id} ({info.name}); it is shown only now:")
    console.print(token, highlight=False)
    err_console.print("send it as 'Authorization: Bearer <token>' or paste it into the dashboard")


@app.command("list")
def list_cmd() -> None:
    """List tokens (ids and names; the tokens themselves are not stored)."""
    tokens = TokenStore(Settings.load().home).list()
    if not tokens:
        console.print("no tokens yet; create one with `aiweb3 token new`")
        return
    table = Table("id", "name", "created")
    for t in tokens:
        table.add_row(t.id, t.name, datetime.fromtimestamp(t.created, UTC).strftime("%Y-%m-%d %H:%M UTC"))
    console.print(table)


@app.command()
def revoke(token_id: str = typer.Argument(..., help="The token's id (see `aiweb3 token list`).")) -> None:
    """Revoke a token: requests carrying it get 401 from now on."""
    info = TokenStore(Settings.load().home).revoke(token_id)
    console.print(f"revoked token {info.id} ({info.name})")
