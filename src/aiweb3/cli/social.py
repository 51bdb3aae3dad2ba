"""``aiweb3 social up|down|status|key|post|react|profile|feed|verify|account|digest|job`` — Nostr, on
the local relay or any relay."""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal
from pathlib import Path

import typer

from aiweb3.agents import AgentWallet, Facilitator, PaymentLog, SpendPolicy, TokenInfo
from aiweb3.chain import Deployments, checksum, deploy_system, dev_account
from aiweb3.cli.context import Context, console, err_console
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import DeploymentError, InputError
from aiweb3.llm import LLMConfig, load_model
from aiweb3.provenance import registry_domain
from aiweb3.social import (
    KIND_NOTE,
    KIND_PROFILE,
    KIND_REACTION,
    AIAccount,
    ChainItem,
    KeyRing,
    LocalRelay,
    NostrClient,
    Operator,
    Persona,
    RelayConfig,
    Rules,
    SummaryProvider,
    build_digest,
    chain_items_from_index,
    check_ai_post,
    load_account_files,
    names_from_profiles,
    reaction_tags,
    read_interests,
    reply_tags,
    request_summary,
    save_account_files,
    set_paused,
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


account_app = typer.Typer(help="AI-managed accounts: persona, rules, pause, log, run.", no_args_is_help=True)
app.add_typer(account_app, name="account")


def _account_dir(ctx: Context, name: str) -> Path:
    KeyRing(ctx.settings.home)._path(name)  # validates the name
    return ctx.settings.home / "social" / "accounts" / name


def _operator(ctx: Context, name: str, wallet: str) -> Operator:
    """The operator: a Nostr identity of this home and a wallet that signs manifests in the
    CreatorRegistry's EIP-712 domain (contracts deployed on demand on the local chain)."""
    chain = ctx.chain
    try:
        registry = Deployments(ctx.settings.home, chain.chain_id).address("CreatorRegistry")
    except DeploymentError:
        if chain.chain_id != LOCAL_CHAIN_ID:
            raise
        err_console.print("[dim]deploying the system contracts on the local chain…[/dim]")
        registry = deploy_system(chain, dev_account(0), ctx.settings.home)["CreatorRegistry"].address
    identity = KeyRing(ctx.settings.home).get_or_create(name)
    return Operator(
        name, identity.pubkey, ctx.signer(wallet or None), registry_domain(chain.chain_id, registry)
    )


def _open_account(ctx: Context, name: str, client: NostrClient) -> AIAccount:
    directory = _account_dir(ctx, name)
    data = load_account_files(directory)
    operator = _operator(ctx, data["operator"], data.get("wallet", ""))
    model = load_model(LLMConfig.from_env())
    return AIAccount(directory, KeyRing(ctx.settings.home).get(name), operator, client, model)


@account_app.command("create")
def account_create(
    name: str = typer.Argument(..., help="Account name (also the name of its Nostr key)."),
    topic: list[str] = typer.Option(..., "--topic", help="A topic it may post about (repeatable)."),
    operator: str = typer.Option(..., "--operator", help="Operator identity named on every post."),
    wallet: str = typer.Option("", "--wallet", help="Wallet that signs manifests: keystore name or dev:N."),
    display: str = typer.Option("", "--display-name", help="Persona name (default: NAME)."),
    about: str = typer.Option("", "--about", help="Persona description."),
    tone: str = typer.Option("friendly", "--tone"),
    max_per_hour: int = typer.Option(6, "--max-per-hour", help="Rate limit on posts."),
    answer: str = typer.Option("anyone", "--answer", help="anyone | mentions | nobody"),
    fact: list[str] | None = typer.Option(None, "--fact", help="TOPIC=answer text the owner vouches for."),
    no_greet: bool = typer.Option(False, "--no-greet", help="Do not welcome newcomers."),
    no_share: bool = typer.Option(False, "--no-share", help="Do not share others' posts."),
) -> None:
    """Create an AI-managed account: its own key, a persona and the owner's rules."""
    ctx = Context()
    facts: dict[str, str] = {}
    for item in fact or []:
        key_, sep, text = item.partition("=")
        if not sep or not key_.strip() or not text.strip():
            raise InputError(f"--fact {item!r} must look like TOPIC=text")
        facts[key_.strip().lower()] = text.strip()
    rules = Rules(
        topics=tuple(topic),
        tone=tone,
        max_posts_per_hour=max_per_hour,
        answer=answer,
        greet_new_users=not no_greet,
        share_relevant=not no_share,
        facts=facts,
    )
    directory = _account_dir(ctx, name)
    if (directory / "account.json").exists():
        raise InputError(f"AI account {name!r} already exists; pick another name")
    identity = KeyRing(ctx.settings.home).create(name)
    save_account_files(directory, Persona(display or name, about), rules, operator, wallet=wallet)
    console.print(
        f"AI account {name}: {identity.npub}, topics {', '.join(rules.topics)}, operator {operator}"
    )


@account_app.command("pause")
def account_pause(name: str = typer.Argument(...)) -> None:
    """Pause an account: it does nothing until resumed (logged)."""
    _set_paused(name, True)


@account_app.command("resume")
def account_resume(name: str = typer.Argument(...)) -> None:
    """Resume a paused account (logged)."""
    _set_paused(name, False)


def _set_paused(name: str, paused: bool) -> None:
    set_paused(_account_dir(Context(), name), paused)
    console.print(f"{name} {'paused' if paused else 'resumed'}")


@account_app.command("log")
def account_log(name: str = typer.Argument(...), limit: int = typer.Option(30, "--limit", min=1)) -> None:
    """Show the account's last actions and why it took or declined them."""
    path = _account_dir(Context(), name) / "actions.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    for line in lines[-limit:]:
        a = json.loads(line)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(a["at"]))
        target = (a.get("target") or "")[:12]
        posted = f" -> {a['event_id'][:12]}" if a.get("event_id") else ""
        why = f" ({a['reason']})" if a.get("reason") else ""
        console.print(
            f"{stamp} {a['kind']} {a['outcome']} {target}{posted}{why}", highlight=False, markup=False
        )


@account_app.command("run")
def account_run(
    name: str = typer.Argument(...),
    relay: list[str] | None = RELAY_OPT,
) -> None:
    """Read new notes once and act on them: greet, answer, share (see `account log`)."""
    ctx = Context()
    with NostrClient(_urls(ctx, relay)) as client:
        actions = _open_account(ctx, name, client).run_once()
    posted = sum(a.outcome == "posted" for a in actions)
    console.print(f"{name}: {len(actions)} notes handled, {posted} posts")
    for a in actions:
        console.print(
            f"  {a.kind} {a.outcome} {(a.target or '')[:12]} {a.reason}", highlight=False, markup=False
        )


@app.command()
def verify(
    event_id: str = typer.Argument(..., help="Event to check."),
    relay: list[str] | None = RELAY_OPT,
) -> None:
    """Check an AI post's label, operator and signed manifest."""
    ctx = Context()
    with NostrClient(_urls(ctx, relay)) as client:
        found = client.fetch({"ids": [event_id]})
    if not found:
        raise InputError(f"no event {event_id} on the relay")
    check = check_ai_post(found[0])
    if not check.ok:
        console.print(f"NOT a verified AI post: {check.reason}", highlight=False)
        raise typer.Exit(1)
    console.print(
        f"AI post by operator {check.operator} (wallet {check.wallet}); manifest {check.manifest_id}",
        highlight=False,
    )
    if check.inference_tx:
        console.print(f"decision proven on chain: model {check.model_id}, inference tx {check.inference_tx}")


@app.command()
def digest(
    account: str = typer.Argument(..., help="AI account that writes (and with --post, posts) the digest."),
    for_: str = typer.Option(..., "--for", help="Reader: an identity name of this home or a hex pubkey."),
    post_it: bool = typer.Option(False, "--post", help="Publish it as the account's AI note."),
    min_amount: float = typer.Option(1000.0, "--min-amount", help="Smallest AIUSD transfer worth a line."),
    index: Path | None = typer.Option(
        None, "--index", help="Indexer DuckDB (default: <home>/index/index.duckdb)."
    ),
    relay: list[str] | None = RELAY_OPT,
) -> None:
    """A digest for one reader: their follows, their topics and the indexed chain, every line cited."""
    ctx = Context()
    reader = for_ if re.fullmatch(r"[0-9a-f]{64}", for_) else KeyRing(ctx.settings.home).get(for_).pubkey
    index = index or ctx.settings.home / "index" / "index.duckdb"
    items: list[ChainItem] = []
    if index.exists():
        token = Deployments(ctx.settings.home, ctx.chain.chain_id).address("AIUSD")
        items = chain_items_from_index(index, token=token, min_amount=Decimal(str(min_amount)))
    else:
        err_console.print(f"[dim]no index at {index}: on-chain events left out (`aiweb3 index run`)[/dim]")
    with NostrClient(_urls(ctx, relay)) as client:
        interests = read_interests(client, reader)
        notes = client.fetch({"kinds": [KIND_NOTE], "limit": 500})
        made = build_digest(
            interests, notes, items, names=names_from_profiles(client, [n.pubkey for n in notes])
        )
        console.print(made.text, highlight=False, markup=False)
        if post_it:
            action = _open_account(ctx, account, client).post_digest(made)
            if action.outcome != "posted":
                raise InputError(f"the digest was not posted: {action.reason}")
            console.print(f"posted {action.event_id}")


job_app = typer.Typer(
    help="Paid AI jobs on Nostr (NIP-90 thread summaries, paid in AIUSD).", no_args_is_help=True
)
app.add_typer(job_app, name="job")


def _token(ctx: Context) -> TokenInfo:
    return TokenInfo(Deployments(ctx.settings.home, ctx.chain.chain_id).address("AIUSD"), ctx.chain.chain_id)


@job_app.command("request")
def job_request(
    thread: str = typer.Argument(..., help="Root event id of the thread to summarise."),
    as_: str = typer.Option(..., "--as", help="Customer identity that signs the request."),
    provider: str = typer.Option(..., "--provider", help="Provider's Nostr pubkey (hex)."),
    provider_wallet: str = typer.Option(
        ..., "--provider-wallet", help="Provider's wallet address (the payee)."
    ),
    price: str = typer.Option(..., "--price", help="AIUSD to pay, e.g. 2 or 0.5."),
    account: str = typer.Option("", "--account", help="Paying wallet: keystore name or dev:N."),
    max_per_job: str = typer.Option("5", "--max-per-job", help="Spend policy: most AIUSD per job."),
    max_per_day: str = typer.Option("20", "--max-per-day", help="Spend policy: most AIUSD per UTC day."),
    relay: list[str] | None = RELAY_OPT,
) -> None:
    """Ask a provider for a paid summary; the payment is signed only within the spend policy."""
    ctx = Context()
    token = _token(ctx)
    policy = SpendPolicy(
        per_payment_limit=token.units(max_per_job),
        daily_limit=token.units(max_per_day),
        allowed_tokens=frozenset({token.address}),
        allowed_counterparties=frozenset({checksum(provider_wallet)}),
    )
    log = PaymentLog(ctx.settings.home / "social" / f"payments-{as_}.json")
    wallet = AgentWallet(ctx.signer(account or None), policy, log=log, name=as_)
    identity = KeyRing(ctx.settings.home).get(as_)
    with NostrClient(_urls(ctx, relay)) as client:
        event = request_summary(
            client, identity, wallet, token, provider=provider, provider_wallet=provider_wallet,
            thread_root=thread, price=token.units(price),
        )  # fmt: skip
    console.print(f"job {event.id} requested: {token.format(token.units(price))} to {provider_wallet}")


@job_app.command("serve")
def job_serve(
    name: str = typer.Argument(..., help="Provider identity (its pubkey is what customers tag)."),
    operator: str = typer.Option(..., "--operator", help="Operator identity named on every result."),
    wallet: str = typer.Option(
        "", "--wallet", help="Provider wallet: receives payments, settles them, signs manifests."
    ),
    price: str = typer.Option(..., "--price", help="AIUSD per summary."),
    relay: list[str] | None = RELAY_OPT,
) -> None:
    """Handle pending summary jobs once: check each payment, summarise, settle, deliver."""
    ctx = Context()
    token = _token(ctx)
    signer = ctx.signer(wallet or None)
    identity = KeyRing(ctx.settings.home).get_or_create(name)
    op = _operator(ctx, operator, wallet)
    facilitator = Facilitator(ctx.chain, token, signer)
    with NostrClient(_urls(ctx, relay)) as client:
        provider = SummaryProvider(
            identity, op, client, facilitator, token, signer.address, token.units(price)
        )
        outcomes = provider.serve_once()
    console.print(f"{name} ({identity.pubkey}): {len(outcomes)} jobs")
    for o in outcomes:
        detail = f"result {o.result}, settled in {o.settlement}" if o.status == "delivered" else o.reason
        console.print(f"  {o.request[:12]} {o.status}: {detail}", highlight=False, markup=False)
