"""``aiweb3 model compile|register|list|show|prove|verify|deprecate|audit-attest|...`` and
``aiweb3 srs dev|import|list``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from aiweb3.cli.account import fmt_amount, parse_amount
from aiweb3.cli.audits import audit_attest, audit_check, audit_revoke, audit_rows
from aiweb3.cli.context import Context, console, err_console
from aiweb3.cli.native import native_stderr_captured
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import InputError, ProofError, TransactionReverted

if TYPE_CHECKING:
    from aiweb3.zkml import CompiledModel

__all__ = ["model_app", "srs_app"]

model_app = typer.Typer(
    help="Verifiable inference: compile, register, prove and verify models.", no_args_is_help=True
)
srs_app = typer.Typer(help="Structured reference strings (SRS) for proving keys.", no_args_is_help=True)
model_app.command("audit-attest")(audit_attest)
model_app.command("audit-revoke")(audit_revoke)
model_app.command("audit-check")(audit_check)

# ezkl logs every scale it tries while calibrating (as ERROR/WARNING records): the CLI shows
# its own progress instead. Library users keep ezkl's logging as they configure it.
logging.getLogger("ezkl").setLevel(logging.CRITICAL)

_STEPS = {
    "settings": "generating circuit settings",
    "calibrate": "calibrating on the samples",
    "circuit": "compiling the circuit",
    "srs": "finding the SRS",
    "setup": "making the proving and verifying keys",
    "vka": "deriving the on-chain verifying-key artifact",
    "witness": "running the model",
    "prove": "proving",
    "reused": "reusing the compiled artifacts",
}


@contextmanager
def _progress(title: str) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr naming the current step (setup and proving take seconds to minutes)."""
    with err_console.status(title) as status:

        def step(name: str) -> None:
            status.update(f"{title}: {_STEPS.get(name, name)}…")
            err_console.print(f"  [dim]{_STEPS.get(name, name)}[/dim]")

        yield step


def _read_json(text: str, what: str) -> Any:
    """Inline JSON (starting with ``[`` or ``{``) or a path to a JSON file."""
    source: str | bytes
    if text.lstrip()[:1] in ("[", "{"):
        source = text
    else:
        try:
            source = Path(text).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {what} file {text}: {exc.strerror}") from exc
    try:
        return json.loads(source)  # bytes: a binary file is a ValueError too, never a traceback
    except ValueError as exc:
        where = f"file {text}" if isinstance(source, bytes) else "inline JSON"
        raise InputError(f"the {what} {where} is not valid JSON: {exc}") from None


def _resolve(home: Path, model_id: str) -> CompiledModel:
    """A compiled model by full id or unique prefix."""
    from aiweb3 import zkml as zk

    wanted = model_id.lower()
    matches = [m for m in zk.compiled_models(home) if m.model_id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ProofError(f"no compiled model matches {model_id}; see `aiweb3 model list`")
    raise InputError(f"{model_id} matches {len(matches)} models; give more of the id")


def _dev_warning() -> str:
    from aiweb3.zkml import DEV_WARNING

    return DEV_WARNING


def _srs_note(model: CompiledModel) -> str:
    return f"[yellow]development SRS — {_dev_warning()}[/yellow]" if model.development_srs else "imported SRS"


@model_app.command("compile")
def compile_(
    onnx_file: Path = typer.Argument(..., help="The ONNX model."),
    samples: str = typer.Option(
        ..., "--samples", help="JSON file (or inline JSON): a list of sample inputs, or {'samples': [...]}."
    ),
    input_visibility: str = typer.Option("private", help="private, hashed or public."),
    batch_size: int = typer.Option(
        1, "--batch-size", help="Inferences one proof covers (see docs/scaling.md)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest as JSON."),
) -> None:
    """Compile an ONNX model into a circuit and keys (reused when already compiled)."""
    from aiweb3 import zkml as zk

    ctx = Context()
    data = _read_json(samples, "samples")
    rows = data.get("samples") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise InputError("samples must be a JSON list of inputs (or an object with a 'samples' list)")
    options = zk.CompileOptions(input_visibility=input_visibility, batch_size=batch_size)  # type: ignore[arg-type]
    model = zk.Model.from_onnx(onnx_file, home=ctx.settings.home)
    with native_stderr_captured(err_console), _progress(f"compiling {onnx_file.name}") as step:
        compiled = model.compile(rows, options, on_progress=step)
    if as_json:
        console.print_json(data=compiled.to_json())
        return
    console.print(f"model id: [bold]{compiled.model_id}[/bold]")
    console.print(f"logrows {compiled.logrows}; inputs {compiled.inputs}; outputs {compiled.outputs}")
    console.print(_srs_note(compiled))


@model_app.command("register")
def register_model(
    model_id: str = typer.Argument(..., help="Model id (or a unique prefix)."),
    name: str | None = typer.Option(None, help="Name in the registry (default: the ONNX file name)."),
    metadata_uri: str = typer.Option("", help="Where the model card lives."),
    price: str = typer.Option("0", help="Price per inference in AIUSD (e.g. 0.25)."),
    account: str | None = typer.Option(None, help="Owner: keystore name/address or dev:N."),
) -> None:
    """Commit a compiled model in the on-chain ModelRegistry."""
    from aiweb3 import zkml as zk

    ctx = Context()
    model = _resolve(ctx.settings.home, model_id)
    registry = zk.ModelRegistryClient.from_home(ctx.chain, ctx.settings.home)
    signer = ctx.signer(account)
    if model.development_srs and ctx.chain.chain_id != LOCAL_CHAIN_ID:
        err_console.print(
            f"[bold yellow]warning:[/bold yellow] these keys rest on a development SRS ({_dev_warning()}); "
            "anyone holding it could forge proofs for this model"
        )
    try:
        with err_console.status("registering the model…"):
            registry.register(
                model, signer, name=name or model.name, metadata_uri=metadata_uri, price=parse_amount(price)
            )
    except TransactionReverted as exc:
        if exc.error_name != "ModelAlreadyRegistered":
            raise
        rec = registry.get(model.model_id)
        who = "you" if rec.owner == signer.address else rec.owner
        console.print(
            f"{model.model_id} is already registered (by {who}, as {rec.name!r}, "
            f"{fmt_amount(rec.price)} AIUSD per inference); nothing to do",
            soft_wrap=True,
            highlight=False,
        )
        return
    console.print(f"registered {model.model_id} (owner {signer.address}) in ModelRegistry {registry.address}")


def short_id(value: str) -> str:
    """A model id or address, shortened (``0x281a9c0d…5e7f``) unless the terminal is wide."""
    if len(value) <= 16 or console.width >= 160:
        return value
    return f"{value[:10]}…{value[-4:]}"


@model_app.command("list")
def list_(
    onchain: bool = typer.Option(False, help="List the models registered on chain instead."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per model (full ids)."),
) -> None:
    """List compiled models (or registered ones with --onchain).

    On a narrow terminal ids are shortened (a prefix is enough for every command); --json has them whole.
    """
    from aiweb3 import zkml as zk

    ctx = Context()
    if onchain:
        records = zk.ModelRegistryClient.from_home(ctx.chain, ctx.settings.home).models()
        if as_json:
            for rec in records:
                typer.echo(json.dumps(rec.__dict__))
            return
        table = Table("model id", "name", "owner", "AIUSD", "deprecated", title="registered models")
        for rec in records:
            table.add_row(
                short_id(rec.model_id), rec.name, short_id(rec.owner), fmt_amount(rec.price),
                "yes" if rec.deprecated else "",
            )  # fmt: skip
    else:
        models = zk.compiled_models(ctx.settings.home)
        if as_json:
            for m in models:
                typer.echo(json.dumps(m.to_json()))
            return
        table = Table("model id", "name", "logrows", "inputs", "SRS", title="compiled models")
        for m in models:
            inputs = ", ".join(str(list(shape)) for _, shape in m.inputs)
            srs = "development" if m.development_srs else "imported"
            table.add_row(short_id(m.model_id), m.name, str(m.logrows), inputs, srs)
    for column in table.columns[:1]:
        column.no_wrap = True
    if not table.rows:
        console.print("no models yet; compile one with `aiweb3 model compile`")
        return
    console.print(table)


@model_app.command()
def show(
    model_id: str = typer.Argument(..., help="Model id (or a unique prefix)."),
    onchain: bool = typer.Option(False, help="Also show the registry's record."),
    as_json: bool = typer.Option(False, "--json", help="Print the manifest (and record) as JSON."),
) -> None:
    """Show a compiled model and/or (with --onchain) the registry's record.

    With --onchain and a full id, a model registered by someone else (not compiled here) is shown too.
    """
    from aiweb3 import zkml as zk

    ctx = Context()
    model: CompiledModel | None = None
    try:
        model = _resolve(ctx.settings.home, model_id)
    except ProofError:
        if not (onchain and len(model_id) == 66):
            raise
    out: dict[str, Any] = model.to_json() if model else {"model_id": model_id.lower()}
    rec = None
    summary = None
    if onchain:
        registry = zk.ModelRegistryClient.from_home(ctx.chain, ctx.settings.home)
        rec = registry.get(str(out["model_id"]))
        out["onchain"] = rec.__dict__
        out["audits"], summary = audit_rows(ctx, str(out["model_id"]))
        out["audit"] = summary
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        if summary is not None:
            err_console.print(summary)  # stdout stays one JSON document
        return
    console.print(f"model [bold]{out['model_id']}[/bold]", soft_wrap=True, highlight=False)
    if model is not None:
        _print_summary(model)
    if rec is not None:
        _print_record(rec)
    if summary is not None:
        console.print(f"audit: {summary}", soft_wrap=True, highlight=False)
        for a in out.get("audits", []):
            trusted = "trusted" if a["trusted"] else "not trusted"
            console.print(
                f"  {a['uid']} by {a['auditor']} ({trusted}): {a['status']}", soft_wrap=True, highlight=False
            )
    if model is not None and model.development_srs:
        err_console.print(_srs_note(model))


def _row(label: str, value: object) -> None:
    console.print(f"  {label:<13}{value}", soft_wrap=True, highlight=False)


def _shapes(specs: list[list[Any]]) -> str:
    return "; ".join(f"{name} {list(shape)}" for name, shape in specs)


def _print_summary(model: CompiledModel) -> None:
    _row("name", model.name)
    _row("inputs", f"{_shapes(model.inputs)} ({model.options.get('input_visibility', 'private')})")
    _row("outputs", _shapes(model.outputs))
    _row("circuit", f"logrows {model.logrows} (2^{model.logrows} rows), ezkl {model.ezkl_version}")
    _row("SRS", "development (forgeable; local use only)" if model.development_srs else "imported")
    _row("onnx sha256", model.onnx_sha256)
    _row("compiled", _when(model.created))


def _print_record(rec: Any) -> None:
    console.print("on chain (ModelRegistry):", highlight=False)
    _row("name", rec.name)
    _row("owner", rec.owner)
    _row("price", f"{fmt_amount(rec.price)} AIUSD per inference")
    _row("status", "deprecated" if rec.deprecated else "active")
    _row("registered", _when(rec.registered_at))
    _row("metadata", rec.metadata_uri or "(none)")


def _when(timestamp: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@model_app.command()
def prove(
    model_id: str = typer.Argument(..., help="Model id (or a unique prefix)."),
    input_: str | None = typer.Option(
        None, "--input", help="JSON file or inline JSON with the input values."
    ),
    batch: Path | None = typer.Option(
        None, "--batch", help="JSONL file, one input per line, for a batched model (--batch-size)."
    ),
    out: Path = typer.Option(Path("proof.json"), "--out", help="Where to write the proof file."),
) -> None:
    """Run the model on an input and prove it; writes a proof file and prints the outputs.

    With --batch, every line is checked first (a bad one is named and nothing is proved),
    then each chunk of the model's batch size is proved; the proofs go to --out as JSONL.
    """
    from aiweb3 import zkml as zk

    ctx = Context()
    model = _resolve(ctx.settings.home, model_id)
    if (input_ is None) == (batch is None):
        raise InputError("give either --input (one inference) or --batch FILE.jsonl (a batched model)")
    if batch is not None:
        items = zk.read_batch_file(batch)
        with _progress(f"proving {len(items)} inferences with {model.name}") as step:
            proofs = zk.prove_batch(model, items, on_progress=step)
        zk.save_batch_proofs(proofs, out)
        console.print(f"{len(items)} inferences in {len(proofs)} proofs of {model.batch_size}: {out}")
        return
    data = _read_json(str(input_), "input")
    if isinstance(data, dict):
        if "input" not in data and "input_data" not in data:
            raise InputError("the input must be a JSON list of numbers, or an object with an 'input' list")
        data = data.get("input", data.get("input_data"))
    with native_stderr_captured(err_console), _progress(f"proving with {model.name}") as step:
        proof = model.prove(data, on_progress=step)
    proof.save(out)
    console.print(f"outputs: {json.dumps(proof.outputs)}")
    console.print(f"proof: {out} ({len(proof.proof)} bytes) for model {model.model_id}")


@model_app.command()
def verify(
    proof_file: Path = typer.Argument(..., help="A proof file written by `aiweb3 model prove`."),
    onchain: bool = typer.Option(False, help="Verify against the model registered on chain."),
    send: bool = typer.Option(False, help="With --onchain: send verifyInference (emits InferenceVerified)."),
    account: str | None = typer.Option(None, help="Sender for --send: keystore name/address or dev:N."),
) -> None:
    """Verify a proof file locally (needs the compiled model) or on chain (batched: JSONL)."""
    from aiweb3.zkml.batch import load_batch_proofs

    ctx = Context()
    for proof in load_batch_proofs(proof_file):
        _verify_one(ctx, proof, onchain=onchain, send=send, account=account)


def _verify_one(ctx: Context, proof: Any, *, onchain: bool, send: bool, account: str | None) -> None:
    from aiweb3 import zkml as zk

    if onchain:
        registry = zk.ModelRegistryClient.from_home(ctx.chain, ctx.settings.home)
        signer = ctx.signer(account) if send else None
        if signer is not None and proof.batch_size > 1:
            checks = registry.verify_batch(proof, signer)
            check = checks[0]
            where = f"on chain, {len(checks)} InferenceVerified events in one transaction"
        else:
            check = proof.verify_onchain(ctx.chain, registry=registry, signer=signer)
            where = f"on chain {ctx.chain.chain_id} (ModelRegistry {registry.address})"
        if check.tx_hash:
            where += f", tx {check.tx_hash}, gas {check.gas_used}"
    else:
        with native_stderr_captured(err_console):
            proof.verify(home=ctx.settings.home)
        where = "locally"
    console.print(
        f"[bold green]valid[/bold green]: model {proof.model_id} produced {json.dumps(proof.outputs)}"
    )
    console.print(f"verified {where}")
    if onchain:
        console.print(audit_rows(ctx, proof.model_id)[1])


@model_app.command()
def audit(
    model_id: str = typer.Argument(..., help="The full model id (or a unique prefix of a compiled one)."),
    from_block: int = typer.Option(0, "--from-block", help="First block to search."),
    caller: str | None = typer.Option(None, help="Only inferences submitted by this address."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of a table."),
) -> None:
    """List every verified inference of a registered model (InferenceVerified events)."""
    from datetime import UTC, datetime

    from aiweb3 import zkml as zk

    ctx = Context()
    full = model_id if len(model_id) == 66 else _resolve(ctx.settings.home, model_id).model_id
    registry = zk.ModelRegistryClient.from_home(ctx.chain, ctx.settings.home)
    rows = zk.audit(registry, full, from_block=from_block, caller=caller)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row.to_json()))
        return
    rec = registry.get(full)
    console.print(f"model {full} ({rec.name}, owner {rec.owner}): {len(rows)} verified inferences")
    table = Table("block", "time (UTC)", "caller", "input commitment", "outputs hash", "tx")
    for row in rows:
        when = datetime.fromtimestamp(row.timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(str(row.block), when, row.caller, row.input_commitment, row.outputs_hash, row.tx_hash)
    console.print(table)


@model_app.command()
def deprecate(
    model_id: str = typer.Argument(..., help="The full model id."),
    account: str | None = typer.Option(None, help="The owner: keystore name/address or dev:N."),
) -> None:
    """Retire a registered model for good (owner only): its proofs are refused from then on."""
    from aiweb3 import zkml as zk

    ctx = Context()
    registry = zk.ModelRegistryClient.from_home(ctx.chain, ctx.settings.home)
    registry.deprecate(model_id.lower(), ctx.signer(account))
    console.print(f"deprecated {model_id}")


@model_app.command()
def transfer(
    model_id: str = typer.Argument(..., help="The full model id."),
    new_owner: str = typer.Argument(..., help="Address of the new owner."),
    account: str | None = typer.Option(None, help="The current owner: keystore name/address or dev:N."),
) -> None:
    """Hand a registered model to a new owner (owner only)."""
    from aiweb3 import zkml as zk
    from aiweb3.chain import checksum

    ctx = Context()
    registry = zk.ModelRegistryClient.from_home(ctx.chain, ctx.settings.home)
    registry.transfer_ownership(model_id.lower(), checksum(new_owner), ctx.signer(account))
    console.print(f"{model_id} now belongs to {checksum(new_owner)}")


@model_app.command("set-price")
def set_price(
    model_id: str = typer.Argument(..., help="The full model id."),
    price: str = typer.Argument(..., help="Price per inference in AIUSD (e.g. 0.25)."),
    account: str | None = typer.Option(None, help="The owner: keystore name/address or dev:N."),
) -> None:
    """Change the published price per inference (owner only)."""
    from aiweb3 import zkml as zk

    ctx = Context()
    registry = zk.ModelRegistryClient.from_home(ctx.chain, ctx.settings.home)
    registry.set_price(model_id.lower(), parse_amount(price), ctx.signer(account))
    console.print(f"price of {model_id}: {price} AIUSD per inference")


@srs_app.command("list")
def srs_list() -> None:
    """List the SRS files recorded, by logrows."""
    from aiweb3 import zkml as zk

    ctx = Context()
    table = Table("logrows", "origin", "source")
    table.add_column("cid", no_wrap=True)
    for e in zk.ZkmlHome(ctx.settings.home).srs.list():
        table.add_row(str(e.logrows), e.origin, e.source or zk.DEV_WARNING, e.cid)
    console.print(table)


@srs_app.command("dev")
def srs_dev(logrows: int = typer.Argument(..., help="Circuit size (2**logrows rows).")) -> None:
    """Generate a development SRS (kept; development only — its maker could forge proofs)."""
    from aiweb3 import zkml as zk

    ctx = Context()
    with err_console.status(f"generating a development SRS for logrows {logrows}…"):
        entry = zk.ZkmlHome(ctx.settings.home).srs.generate_dev(logrows)
    console.print(f"SRS for logrows {entry.logrows}: {entry.cid}")
    console.print(f"[yellow]{zk.DEV_WARNING}[/yellow]")


@srs_app.command("import")
def srs_import(file: Path = typer.Argument(..., help="A ceremony SRS file (e.g. kzg17.srs).")) -> None:
    """Import an SRS file; it becomes the SRS for its logrows (recompile models to use it)."""
    from aiweb3 import zkml as zk

    ctx = Context()
    entry = zk.ZkmlHome(ctx.settings.home).srs.import_file(file)
    console.print(f"imported SRS for logrows {entry.logrows}: {entry.cid}")


def _register_serve() -> None:
    from aiweb3.cli.zkmlserve import serve_model

    model_app.command("serve")(serve_model)


_register_serve()
