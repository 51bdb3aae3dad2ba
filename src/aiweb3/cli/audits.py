"""``aiweb3 model audit-attest|audit-revoke`` and ``aiweb3 auditor trust|untrust|list``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from aiweb3.cli.context import Context, console, err_console
from aiweb3.errors import InputError

__all__ = ["audit_attest", "audit_check", "audit_revoke", "audit_rows", "auditor_app"]

auditor_app = typer.Typer(help="The model auditors you trust (a local allow-list).", no_args_is_help=True)


def audit_attest(
    model_id: str = typer.Argument(..., help="The full model id."),
    onnx: Path = typer.Option(..., "--onnx", help="The model's ONNX file, as the owner handed it over."),
    eval_data: Path = typer.Option(
        ..., "--eval", help="JSON {samples, labels, attributes?}: the auditor's own labelled data."
    ),
    account: str | None = typer.Option(None, help="The auditor: keystore name/address or dev:N."),
    group: str | None = typer.Option(None, help="An attribute of the data: report error rates per group."),
    valid_days: float = typer.Option(365.0, "--valid-days", help="How long the audit stays valid."),
    settings: Path | None = typer.Option(None, help="Circuit settings (default: as compiled here)."),
    srs: Path | None = typer.Option(None, help="The SRS of the keys (default: as compiled here)."),
    offchain: Path | None = typer.Option(
        None, help="Sign an off-chain attestation into this file instead of attesting on chain."
    ),
) -> None:
    """Audit a model: recompile its ONNX, check it is the model id, evaluate, attest (EAS)."""
    from aiweb3 import zkml as zk
    from aiweb3.chain.eas import EASClient
    from aiweb3.errors import TransactionReverted
    from aiweb3.files import atomic_write_json

    ctx = Context()
    if len(model_id) != 66:
        raise InputError(f"{model_id!r} is not a full model id (0x followed by 64 hex digits)")
    registered = None
    try:
        registered = zk.ModelRegistryClient.from_home(ctx.chain, ctx.settings.home).get(model_id.lower())
    except TransactionReverted:
        err_console.print("[yellow]the model is not registered on chain; auditing it anyway[/yellow]")
    eas = EASClient.from_home(ctx.chain, ctx.settings.home)
    signer = ctx.signer(account)
    with err_console.status("recompiling the model and evaluating it…"):
        result = zk.audit_model(
            ctx.settings.home,
            eas,
            signer,
            model_id,
            onnx,
            eval_data,
            group=group,
            valid_days=valid_days,
            settings=settings,
            srs=srs,
            registered_settings_hash=registered.settings_hash if registered else None,
            offchain=offchain is not None,
        )
    f = result.figures
    console.print(f"[bold green]the ONNX file compiles to model {result.model_id}[/bold green]")
    console.print(
        f"{f.samples} samples: accuracy {f.accuracy:.2%}, Brier {f.brier:.4f}, ECE {f.ece:.4f}"
        + (f"; error rate by {f.group_attribute}: {json.dumps(f.group_errors)}" if f.group_attribute else "")
    )
    att = result.attestation
    if isinstance(att, zk.ModelAudit):
        console.print(f"attested on chain: {att.uid} (auditor {att.auditor}, data {result.dataset_cid})")
    else:
        assert offchain is not None
        atomic_write_json(offchain, att.to_json())
        console.print(f"signed off-chain attestation {att.attestation.uid}: {offchain}")


def audit_revoke(
    uid: str = typer.Argument(..., help="The attestation UID."),
    account: str | None = typer.Option(None, help="The auditor who made it."),
    offchain: bool = typer.Option(False, help="The UID is of an off-chain attestation."),
) -> None:
    """Revoke an audit you attested (on chain, or an off-chain one by its UID)."""
    from aiweb3.chain.eas import EASClient, schema_uid
    from aiweb3.zkml import MODEL_AUDIT_SCHEMA

    ctx = Context()
    eas = EASClient.from_home(ctx.chain, ctx.settings.home)
    signer = ctx.signer(account)
    if offchain:
        eas.revoke_offchain(signer, uid)
    else:
        eas.revoke(signer, schema_uid(MODEL_AUDIT_SCHEMA), uid)
    console.print(f"revoked {uid}")


def audit_check(
    file: Path = typer.Argument(..., help="An off-chain audit written by `audit-attest --offchain`."),
) -> None:
    """Verify an off-chain audit file: signature, UID, chain, schema, revocation, expiry, trust."""
    from aiweb3 import zkml as zk
    from aiweb3.chain.eas import EASClient, OffchainAttestation

    ctx = Context()
    try:
        data = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the off-chain audit {file}: {exc}") from None
    eas = EASClient.from_home(ctx.chain, ctx.settings.home)
    audit = zk.offchain_audit(eas, OffchainAttestation.from_json(data))
    trusted = zk.AuditorTrust(ctx.settings.home).load()
    f = audit.figures
    console.print(f"signed by {audit.auditor} for model {audit.model_id}: accuracy {f.accuracy:.2%}")
    console.print(zk.audit_summary([audit], trusted, eas.now(), audit.model_id))
    problem = audit.problem(eas.now())
    if problem is not None:
        raise InputError(problem)


def audit_rows(ctx: Context, model_id: str) -> tuple[list[dict[str, Any]], str]:
    """The model's audits (with ``trusted`` and ``status``) and the one-line summary for users."""
    from aiweb3.zkml import audit_report

    return audit_report(ctx.chain, ctx.settings.home, model_id)


@auditor_app.command("trust")
def trust(
    address: str = typer.Argument(..., help="The auditor's address."),
    label: str = typer.Option("", help="A name to show for this auditor."),
) -> None:
    """Trust an auditor: its audits count in `model show` and `model verify`."""
    from aiweb3.zkml import AuditorTrust

    AuditorTrust(Context().settings.home).trust(address, label)
    console.print(f"trusting auditor {address}" + (f" ({label})" if label else ""))


@auditor_app.command("untrust")
def untrust(address: str = typer.Argument(..., help="The auditor's address.")) -> None:
    """Stop trusting an auditor."""
    from aiweb3.zkml import AuditorTrust

    if not AuditorTrust(Context().settings.home).untrust(address):
        raise InputError(f"{address} is not a trusted auditor; see `aiweb3 auditor list`")
    console.print(f"no longer trusting {address}")


@auditor_app.command("list")
def list_() -> None:
    """List the auditors you trust."""
    from aiweb3.zkml import AuditorTrust

    table = Table("address", "label")
    for address, label in AuditorTrust(Context().settings.home).load().items():
        table.add_row(address, label)
    console.print(table)
