"""``aiweb3 social up|down|status|key|post|react|profile|feed`` — Nostr, on the local relay or any relay."""

from __future__ import annotations

import json

import typer

from aiweb3.cli.context import Context, console
from aiweb3.social import (
    KIND_NOTE,
    KIND_PROFILE,
    KIND_REACTION,
    KeyRing,
    LocalRelay,
    NostrClient,
    RelayConfig,
    reaction_tags,
    reply_tags,
)

app = typer.Typer(
    help="Decentralised social on Nostr: a local relay, posts, AI accounts.", no_args_is_help=True
)

RELAY_OPT = typer.Option(None, "--relay", help="Relay URL (repeatable); default: the local relay.")


def _relay(ctx: Context) -> LocalRelay:
    return LocalRelay(RelayConfig(home=ctx.settings.home))


def _urls(ctx: Context, relays: list[str] | None) -> list[str]:
    return list(relays) if relays else [_relay(ctx).url]


@app.command()
def up(port: int = typer.Option(0, "--port", help="Port on 127.0.0.1 (0: a free one).")) -> None:
    """Start the local Nostr relay (the nostr-relay package), or report the one running."""
    ctx = Context()
    relay = LocalRelay(RelayConfig(home=ctx.settings.home, port=port))
    before = relay.info()
    info = relay.start()
    console.print(f"relay {'already running' if before else 'started'}: {info.url} (pid {info.pid})")


@app.command()
def down() -> None:
    """Stop the local relay; its events stay in its database."""
    relay = _relay(Context())
    console.print("relay stopped" if relay.stop() else "no relay was running")


@app.command()
def status() -> None:
    """Show whether the local relay runs and where."""
    info = _relay(Context()).info()
    if info is None:
        console.print("relay: stopped (start it with `aiweb3 social up`)")
        raise typer.Exit(3)
    console.print(f"relay: running at {info.url} (pid {info.pid})")


@app.command()
def key(name: str = typer.Argument(..., help="Name of the identity.")) -> None:
    """Create a Nostr identity (a BIP-340 key pair kept under AIWEB3_HOME/social/keys)."""
    identity = KeyRing(Context().settings.home).create(name)
    console.print(f"identity {name}: {identity.npub} ({identity.pubkey})")


@app.command()
def post(
    text: str = typer.Argument(..., help="The note's text."),
    as_: str = typer.Option(..., "--as", help="Identity that signs it."),
    reply_to: str | None = typer.Option(None, "--reply-to", help="Event id to answer (NIP-10 thread)."),
    topic: list[str] | None = typer.Option(None, "--topic", help="Hashtag (repeatable)."),
    relay: list[str] | None = RELAY_OPT,
) -> None:
    """Sign and publish a note, or a reply in a thread."""
    ctx = Context()
    identity = KeyRing(ctx.settings.home).get(as_)
    with NostrClient(_urls(ctx, relay)) as client:
        tags: list[list[str]] = [["t", t.lower()] for t in topic or []]
        if reply_to:
            found = client.fetch({"ids": [reply_to]})
            if not found:
                raise typer.BadParameter(f"no event {reply_to} on the relay", param_hint="--reply-to")
            tags = reply_tags(found[0]) + tags
        event = identity.sign(KIND_NOTE, text, tags)
        result = client.publish(event)
    _report(result.id, result.accepted, result.refused)


@app.command()
def react(
    event_id: str = typer.Argument(..., help="Event to react to."),
    as_: str = typer.Option(..., "--as", help="Identity that signs it."),
    content: str = typer.Option("+", "--content", help="'+' (like), '-' or an emoji."),
    relay: list[str] | None = RELAY_OPT,
) -> None:
    """Publish a reaction (NIP-25)."""
    ctx = Context()
    identity = KeyRing(ctx.settings.home).get(as_)
    with NostrClient(_urls(ctx, relay)) as client:
        found = client.fetch({"ids": [event_id]})
        if not found:
            raise typer.BadParameter(f"no event {event_id} on the relay", param_hint="EVENT_ID")
        result = client.publish(identity.sign(KIND_REACTION, content, reaction_tags(found[0])))
    _report(result.id, result.accepted, result.refused)


@app.command()
def profile(
    as_: str = typer.Option(..., "--as", help="Identity whose profile this is."),
    name: str = typer.Option(..., "--name", help="Display name."),
    about: str = typer.Option("", "--about", help="A line about the account."),
    relay: list[str] | None = RELAY_OPT,
) -> None:
    """Publish a profile (kind 0)."""
    ctx = Context()
    identity = KeyRing(ctx.settings.home).get(as_)
    with NostrClient(_urls(ctx, relay)) as client:
        result = client.publish(identity.sign(KIND_PROFILE, json.dumps({"name": name, "about": about})))
    _report(result.id, result.accepted, result.refused)


@app.command()
def feed(
    limit: int = typer.Option(20, "--limit", min=1, max=500, help="How many notes."),
    as_json: bool = typer.Option(False, "--json", help="Print the events as JSON lines."),
    relay: list[str] | None = RELAY_OPT,
) -> None:
    """Show the newest notes; AI-generated ones are marked [AI]."""
    ctx = Context()
    with NostrClient(_urls(ctx, relay)) as client:
        notes = client.fetch({"kinds": [KIND_NOTE], "limit": limit})
    for note in notes:
        if as_json:
            print(json.dumps(note.to_json()))
            continue
        mark = "[AI] " if note.ai_labelled else ""
        thread = f" (reply in {note.root_id[:12]})" if note.root_id else ""
        console.print(
            f"{note.id[:12]} {note.pubkey[:12]}{thread}: {mark}{note.content}", highlight=False, markup=False
        )


def _report(event_id: str, accepted: tuple[str, ...], refused: dict[str, str]) -> None:
    if accepted:
        console.print(f"published {event_id} to {', '.join(accepted)}")
    for url, why in refused.items():
        console.print(f"refused by {url}: {why}", highlight=False)
    if not accepted:
        raise typer.Exit(1)
