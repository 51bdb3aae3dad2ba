"""`aiweb3 privacy`: stealth meta-addresses, stealth payments, scanning and sweeping; the shielded
pool (deposit, associate, withdraw, relay, setup)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from aiweb3.agents import TokenInfo
from aiweb3.chain import Deployments
from aiweb3.cli.account import fmt_amount, parse_amount
from aiweb3.cli.context import Context, console
from aiweb3.errors import InputError
from aiweb3.privacy import (
    NoteBook,
    ShieldedPool,
    StealthKeyring,
    StealthMeta,
    StealthRegistry,
    WithdrawalRequest,
    announcements,
    deposit_note,
    ensure_pool,
    found_payments,
    prepare_withdrawal,
    relay,
    run_setup,
    scan,
    send_stealth,
    submit_withdrawal,
    sweep,
    zk_artifacts,
)

app = typer.Typer(help="Private payments: stealth addresses (ERC-5564, ERC-6538) and a shielded pool.",
                  no_args_is_help=True)  # fmt: skip
meta_app = typer.Typer(help="Your stealth meta-addresses (keys encrypted in AIWEB3_HOME/stealth).",
                       no_args_is_help=True)  # fmt: skip
app.add_typer(meta_app, name="meta")


def _token(ctx: Context) -> TokenInfo:
    return TokenInfo(Deployments(ctx.settings.home, ctx.chain.chain_id).address("AIUSD"), ctx.chain.chain_id)


@meta_app.command("new")
def meta_new(name: str = typer.Argument(..., help="A name for the key pair.")) -> None:
    """Create a spending and a viewing key (encrypted with the keystore password); print the
    meta-address to give to payers."""
    ctx = Context()
    meta = StealthKeyring(ctx.settings.home).new(name, ctx.password("New password for the stealth keys: ",
                                                                    confirm=True))  # fmt: skip
    console.print(f"stealth meta-address of {name}: {meta.uri()}")
    console.print(f"publish it with `aiweb3 privacy meta register {name} --account A`, or hand it to payers")


@meta_app.command("show")
def meta_show(name: str = typer.Argument(...)) -> None:
    """Print a stored meta-address (no password needed)."""
    console.print(StealthKeyring(Context().settings.home).meta(name).uri())


@meta_app.command("list")
def meta_list() -> None:
    """List the stored stealth key pairs."""
    ring = StealthKeyring(Context().settings.home)
    names = ring.names()
    if not names:
        console.print("no stealth keys yet; create a pair with `aiweb3 privacy meta new NAME`")
    for name in names:
        console.print(f"{name}  {ring.meta(name).uri()}")


@meta_app.command("register")
def meta_register(
    name: str = typer.Argument(..., help="The stored key pair to publish."),
    account: str | None = typer.Option(None, help="The public account it is registered under."),
) -> None:
    """Register the meta-address in the ERC-6538 registry, so payers can look it up by address."""
    ctx = Context()
    meta = StealthKeyring(ctx.settings.home).meta(name)
    signer = ctx.signer(account)
    StealthRegistry.from_home(ctx.chain, ctx.settings.home).register(signer, meta)
    console.print(f"registered {name}'s meta-address for {signer.address}")


@app.command()
def send(
    to: str = typer.Option(..., help="A meta-address (st:eth:0x...) or an address that registered one."),
    amount: str = typer.Option(..., help="AIUSD to send."),
    account: str | None = typer.Option(None, help="The paying account."),
) -> None:
    """Pay to a fresh one-time address of the recipient and announce it (ERC-5564)."""
    ctx = Context()
    if to.startswith("0x") and len(to) == 42:
        meta = StealthRegistry.from_home(ctx.chain, ctx.settings.home).meta_of(to)
        if meta is None:
            raise InputError(
                f"{to} has registered no stealth meta-address; ask for its st:eth:0x... meta-address"
            )
    else:
        meta = StealthMeta.parse(to)
    token = _token(ctx)
    paid = send_stealth(ctx.chain, ctx.settings.home, ctx.signer(account), token, meta, parse_amount(amount))
    console.print(f"sent {fmt_amount(paid.amount)} AIUSD to one-time address {paid.stealth.address}")
    console.print(f"announced in {paid.announce_tx}; transferred in {paid.transfer_tx}")


@app.command("scan")
def scan_cmd(
    name: str = typer.Argument(..., help="The stored key pair to scan for (uses the viewing key only)."),
    from_block: int = typer.Option(0, help="First block to read announcements from."),
) -> None:
    """Find the payments announced to you: view tags skip almost every foreign announcement."""
    ctx = Context()
    keys = StealthKeyring(ctx.settings.home).viewing(name, ctx.password())
    items = announcements(ctx.chain, ctx.settings.home, from_block=from_block)
    found = found_payments(ctx.chain, scan(items, keys), _token(ctx))
    if not found:
        console.print(f"no payments to {name} among {len(items)} announcement(s)")
        return
    table = Table("one-time address", "announced AIUSD", "holds AIUSD", "block")
    for f in found:
        table.add_row(f.announcement.stealth_address, fmt_amount(f.announced_amount), fmt_amount(f.balance),
                      str(f.announcement.block))  # fmt: skip
    console.print(table)
    console.print(f"{len(found)} payment(s) among {len(items)} announcement(s)")


@app.command("sweep")
def sweep_cmd(
    name: str = typer.Argument(..., help="The stored key pair the payments went to."),
    to: str = typer.Option(..., help="Where the AIUSD goes (a fresh address keeps it unlinked)."),
    relayer: str | None = typer.Option(
        None, help="The account that submits and pays gas (not one linked to you)."
    ),
    fee: str = typer.Option("0", help="AIUSD each sweep pays the relayer."),
) -> None:
    """Move what your one-time addresses hold to ``--to``, through a relayer that pays the gas."""
    ctx = Context()
    password = ctx.password()
    keys = StealthKeyring(ctx.settings.home).unlock(name, password)
    token = _token(ctx)
    mine = scan(announcements(ctx.chain, ctx.settings.home), keys.viewing)
    found = [f for f in found_payments(ctx.chain, mine, token) if f.balance > 0]
    if not found:
        console.print(f"nothing to sweep: no one-time address of {name} holds AIUSD")
        return
    signer = ctx.signer(relayer)
    for f in found:
        sweep(ctx.chain, token, f.announcement, keys, to, signer, fee=parse_amount(fee))
        console.print(f"swept {fmt_amount(f.balance)} AIUSD from {f.announcement.stealth_address}")


@app.command()
def deposit(
    account: str | None = typer.Option(None, help="The paying account."),
    denomination: str = typer.Option("1", help="AIUSD per deposit, when this deposit deploys the pool."),
    provider: str | None = typer.Option(
        None, help="The association-set provider, when this deposit deploys the pool (default: the payer)."
    ),
) -> None:
    """Deposit the pool's fixed amount against a new note (stored encrypted in AIWEB3_HOME/privacy/notes);
    deploys the pool on this chain first if there is none."""
    ctx = Context()
    signer = ctx.signer(account)
    home = ctx.settings.home
    pool = ensure_pool(ctx.chain, home, signer, zk_artifacts(home), denomination=parse_amount(denomination),
                       provider=provider or signer.address)  # fmt: skip
    note = deposit_note(ctx.chain, pool, signer, NoteBook(home), ctx.password("Password for the note: "))
    console.print(
        f"deposited {fmt_amount(note.denomination)} AIUSD into pool {pool.address} (leaf {note.leaf_index})"
    )
    console.print(
        f"note {note.id[:16]} (keep AIWEB3_HOME/privacy/notes safe: it is the only way to withdraw)"
    )


@app.command()
def notes() -> None:
    """List your pool notes: their pool, leaf index and amount (no password needed)."""
    ctx = Context()
    items = NoteBook(ctx.settings.home).notes()
    if not items:
        console.print("no notes yet; make one with `aiweb3 privacy deposit`")
        return
    table = Table("note", "pool", "leaf", "AIUSD")
    for n in items:
        table.add_row(n.id[:16], n.pool, str(n.leaf_index), fmt_amount(n.denomination))
    console.print(table)


@app.command()
def associate(
    account: str | None = typer.Option(None, help="The pool's association-set provider."),
    exclude: list[str] = typer.Option([], help="A depositor whose deposits the set leaves out (repeat)."),
) -> None:
    """Publish an association set: every deposit so far except those from --exclude accounts."""
    ctx = Context()
    pool = ShieldedPool.from_home(ctx.chain, ctx.settings.home)
    published = pool.publish_association_set(ctx.signer(account), exclude_depositors=exclude)
    console.print(f"published association set {published.root:#x}: {published.size} deposit(s), "
                  f"{len(published.excluded)} excluded")  # fmt: skip


@app.command()
def withdraw(
    note: str = typer.Argument(..., help="The note id (first hex digits of its commitment)."),
    to: str = typer.Option(..., help="Where the AIUSD goes (a fresh address keeps it unlinked)."),
    relayer: str | None = typer.Option(None, help="The relayer's address (it gets --fee and pays the gas)."),
    fee: str = typer.Option("0", help="AIUSD for the relayer."),
    out: Path | None = typer.Option(None, help="Write the request for a relayer here instead of sending it."),
    account: str | None = typer.Option(None, help="Send it yourself from this account (links it to you)."),
) -> None:
    """Prove a withdrawal of a note; hand the request file to a relayer, or send it yourself."""
    ctx = Context()
    home = ctx.settings.home
    book = NoteBook(home)
    found = book.find(note)
    pool = ShieldedPool.from_home(ctx.chain, home)
    secrets = book.secrets(found, ctx.password("Password for the note: "))
    request = prepare_withdrawal(ctx.chain, pool, found, secrets, zk_artifacts(home), recipient=to,
                                 relayer=relayer, fee=parse_amount(fee))  # fmt: skip
    if out is not None:
        request.save(out)
        console.print(
            f"wrote withdrawal request {out}; a relayer submits it with `aiweb3 privacy relay {out}`"
        )
        return
    submit_withdrawal(ctx.chain, pool, ctx.signer(account), request)
    console.print(f"withdrew {fmt_amount(found.denomination - request.fee)} AIUSD to {request.recipient}")


@app.command("relay")
def relay_cmd(
    request_file: Path = typer.Argument(..., help="A withdrawal request (from `privacy withdraw --out`)."),
    account: str | None = typer.Option(None, help="The relayer account (pays gas, receives the fee)."),
    min_fee: str = typer.Option("0", help="Refuse requests paying less AIUSD than this."),
) -> None:
    """Check a withdrawal request (fee, pool, nullifier, roots, proof) and submit it, paying the gas."""
    ctx = Context()
    request = WithdrawalRequest.load(request_file)
    pool = ShieldedPool.from_home(ctx.chain, ctx.settings.home)
    signer = ctx.signer(account)
    relay(ctx.chain, pool, signer, request, zk_artifacts(ctx.settings.home), min_fee=parse_amount(min_fee))
    console.print(f"relayed: {fmt_amount(pool.denomination - request.fee)} AIUSD to {request.recipient}, "
                  f"{fmt_amount(request.fee)} to {signer.address}")  # fmt: skip


@app.command()
def setup(
    ptau: Path = typer.Option(
        ..., help="A powers-of-tau file from a public ceremony (2^14 or more, phase-2 ready)."
    ),
) -> None:
    """Redo the pool's Groth16 phase 2 over a ceremony's powers of tau, into AIWEB3_HOME/privacy/zk
    (used from then on; a pool with its verifier is deployed at the next deposit)."""
    ctx = Context()
    out = ctx.settings.home / "privacy" / "zk"
    manifest = run_setup(out, ptau=ptau, compile_verifier=True)
    console.print(f"pool setup in {out}: {manifest['constraints']} constraints, phase 1 from "
                  f"{manifest['phase1']['source']}")  # fmt: skip
    console.print("new deposits go to a pool with this setup's verifier; withdraw old notes first")
