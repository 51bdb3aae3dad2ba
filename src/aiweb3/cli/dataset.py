"""``aiweb3 dataset ...``: verifiable anonymized datasets.

dataset issuer add|revoke         record issuers in the on-chain registry (governance)
dataset record example|issue|present|contribute   the holder's side
dataset create|show|review|export|verify|close|withdraw   the creator, curator and anyone
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from aiweb3.chain import checksum
from aiweb3.cli.account import fmt_amount, parse_amount
from aiweb3.cli.context import Context, console
from aiweb3.crypto.sdjwt import SigningKey
from aiweb3.datasets import (
    SCHEMAS,
    Contribution,
    DatasetPool,
    DatasetRef,
    DatasetReport,
    DisclosurePolicy,
    RecordIssuer,
    RecordSchema,
    issue_record,
    present_record,
    review,
    schema_by_id,
    verify_dataset,
)
from aiweb3.datasets.example import breast_cancer_records
from aiweb3.datasets.local import DatasetHome
from aiweb3.errors import AIWeb3Error, InputError

app = typer.Typer(help="Verifiable anonymized datasets: signed records, selective disclosure, a paying pool.",
                  no_args_is_help=True)  # fmt: skip
issuer_app = typer.Typer(help="Record issuers in the on-chain registry.", no_args_is_help=True)
record_app = typer.Typer(
    help="The record holder: issue (as an issuer), present, contribute.", no_args_is_help=True
)
app.add_typer(issuer_app, name="issuer")
app.add_typer(record_app, name="record")

ACCOUNT = typer.Option(None, "--account", "-a", help="Signer: keystore name/address or dev:N.")


def _env(ctx: Context) -> tuple[DatasetPool, DatasetHome]:
    return DatasetPool.from_home(ctx.chain, ctx.settings.home), DatasetHome(ctx.settings.home, ctx.store)


def _schemas_by_id() -> dict[bytes, RecordSchema]:
    return {s.schema_id: s for s in SCHEMAS.values()}


# -- issuers -------------------------------------------------------------------------------------
@issuer_app.command("add")
def issuer_add(
    name: str = typer.Argument(..., help="Issuer name (its `iss`), e.g. https://hospital.example"),
    schema: list[str] = typer.Option(["medical-record/v1"], "--schema", help="Schemas it may sign."),
    alg: str = typer.Option("ES256", help="ES256 (P-256) or ES256K (secp256k1)."),
    account: str | None = ACCOUNT,
) -> None:
    """Create an issuer key (saved under AIWEB3_HOME, mode 0600) and register it (governance signs)."""
    ctx = Context()
    pool, local = _env(ctx)
    schemas = [schema_by_id(s) for s in schema]
    issuer = RecordIssuer(name, SigningKey.generate(alg))
    path = local.save_issuer(issuer)
    pool.registry.register(ctx.signer(account), issuer.thumbprint, name, schemas)
    console.print(f"issuer {name}: key {path}, thumbprint 0x{issuer.thumbprint.hex()} registered")


@issuer_app.command("revoke")
def issuer_revoke(name: str = typer.Argument(...), account: str | None = ACCOUNT) -> None:
    """Revoke an issuer key in the registry (governance signs)."""
    ctx = Context()
    pool, local = _env(ctx)
    issuer = local.load_issuer(name)
    pool.registry.revoke(ctx.signer(account), issuer.thumbprint)
    console.print(f"issuer {name} revoked")


# -- holder --------------------------------------------------------------------------------------
@record_app.command("example")
def record_example(
    index: int = typer.Argument(..., help="Row of scikit-learn's breast-cancer data (0..568)."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the record JSON."),
) -> None:
    """Write a medical record: a real breast-cancer row with a synthetic identity."""
    records = breast_cancer_records(index + 1)
    if index < 0 or index >= len(records):
        raise InputError(f"row {index} does not exist; pick 0..568")
    record = records[index]
    out.write_text(json.dumps(record, indent=2) + "\n")
    console.print(
        f"wrote {out}: born {record['birth_year'] // 10 * 10}s, postcode area "
        f"{record['postcode'][:2]} (its quasi-identifier class), {record['diagnoses'][0]}",
        highlight=False,
    )


@record_app.command("issue")
def record_issue(
    record: Path = typer.Argument(..., help="The record as JSON."),
    issuer: str = typer.Option(..., help="Issuer name (see `dataset issuer add`)."),
    schema: str = typer.Option("medical-record/v1", help="Record schema."),
    out: Path = typer.Option(..., "--out", "-o", help="The holder file to write (mode 0600)."),
    copies: int = typer.Option(4, help="Unlinkable copies: one per dataset you will contribute to."),
) -> None:
    """Sign a record as the issuer and hand the holder its SD-JWT copies."""
    ctx = Context()
    local = DatasetHome(ctx.settings.home, ctx.store)
    try:
        data = json.loads(record.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read record {record}: {exc}") from None
    held = issue_record(schema_by_id(schema), data, local.load_issuer(issuer), copies=copies)
    local.save_held(out, held)
    console.print(f"issued {copies} cop{'y' if copies == 1 else 'ies'} of a {schema} record to {out}")


def _contribution(
    ctx: Context, held_path: Path, dataset_id: int, payee: str
) -> tuple[DatasetPool, DatasetHome, Contribution]:
    pool, local = _env(ctx)
    info = pool.require_dataset(dataset_id)
    schema = _schemas_by_id().get(info.schema_id)
    if schema is None:
        raise InputError(f"dataset {dataset_id} uses a schema this version does not know")
    policy = local.load_policy(info.policy_cid)
    held = local.load_held(held_path)
    ref = DatasetRef(ctx.chain.chain_id, pool.address, dataset_id)
    # the curator checks the KB-JWT's iat against the block time of the contribution
    contribution = present_record(held, schema, policy, ref, payee, iat=ctx.chain.block_time())
    local.save_held(held_path, held)
    return pool, local, contribution


@record_app.command("present")
def record_present(
    held: Path = typer.Argument(..., help="Holder file from `record issue`."),
    dataset: int = typer.Option(..., "--dataset", "-d", help="Dataset id."),
    payee: str = typer.Option(..., help="Address to be paid."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the presentation."),
) -> None:
    """Build the policy-checked presentation for a dataset (nothing is sent)."""
    ctx = Context()
    _, _, c = _contribution(ctx, held, dataset, checksum(payee))
    out.write_text(c.presentation + "\n")
    console.print(f"presentation for dataset {dataset} written to {out}; nullifier 0x{c.nullifier.hex()}")


@record_app.command("contribute")
def record_contribute(
    held: Path = typer.Argument(..., help="Holder file from `record issue`."),
    dataset: int = typer.Option(..., "--dataset", "-d", help="Dataset id."),
    payee: str | None = typer.Option(None, help="Address to be paid (default: the signer)."),
    account: str | None = ACCOUNT,
) -> None:
    """Present the record under the dataset's policy, publish it and submit it to the pool."""
    ctx = Context()
    signer = ctx.signer(account)
    pool, local, c = _contribution(ctx, held, dataset, checksum(payee or signer.address))
    cid = local.publish(c)
    contribution_id, _ = pool.contribute(signer, dataset, c.content_digest, c.payee, c.authorization)
    local.deliver(c, contribution_id)
    console.print(f"contribution {contribution_id} to dataset {dataset}: presentation {cid}")


# -- datasets ------------------------------------------------------------------------------------
@app.command()
def create(
    policy: Path = typer.Option(
        ..., help="Disclosure policy JSON (schema, disclose, withhold, quasi, min_k)."
    ),
    reward: str = typer.Option(..., help="AIUSD paid per accepted record, e.g. 5."),
    budget: str = typer.Option(..., help="AIUSD moved into the pool now."),
    curator: str | None = typer.Option(None, help="Curator address (default: the signer)."),
    review_window: int = typer.Option(7 * 24 * 3600, help="Seconds before anyone may expire a pending one."),
    account: str | None = ACCOUNT,
) -> None:
    """Open a dataset; its budget is pulled with an EIP-2612 permit."""
    ctx = Context()
    pool, local = _env(ctx)
    try:
        pol = DisclosurePolicy.from_json(json.loads(policy.read_text()))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read policy {policy}: {exc}") from None
    signer = ctx.signer(account)
    policy_cid = local.publish_policy(pol)
    dataset_id = pool.create_dataset(
        signer, schema_by_id(pol.schema), pol, policy_cid, curator=checksum(curator or signer.address),
        reward=parse_amount(reward), budget=parse_amount(budget), review_window=review_window,
    )  # fmt: skip
    console.print(f"dataset {dataset_id} created (policy {policy_cid})")


@app.command()
def show(dataset: int = typer.Argument(..., help="Dataset id.")) -> None:
    """A dataset's parameters, budget and contributions."""
    ctx = Context()
    pool, _ = _env(ctx)
    d = pool.require_dataset(dataset)
    schema = _schemas_by_id().get(d.schema_id)
    table = Table(title=f"dataset {dataset}", show_header=False)
    for key, value in [
        ("schema", schema.id if schema else "0x" + d.schema_id.hex()),
        ("policy", d.policy_cid), ("creator", d.creator), ("curator", d.curator),
        ("reward", f"{fmt_amount(d.reward)} AIUSD"), ("budget", f"{fmt_amount(d.budget)} AIUSD"),
        ("accepted", str(d.accepted)),
        ("pending", str(d.pending)), ("min k", str(d.min_k)), ("closed", str(d.closed)),
    ]:  # fmt: skip
        table.add_row(key, value)
    console.print(table)


@app.command("list")
def list_() -> None:
    """Every dataset in the pool."""
    ctx = Context()
    pool, _ = _env(ctx)
    names = {s.schema_id: s.id for s in SCHEMAS.values()}
    table = Table("id", "schema", "reward", "budget", "accepted", "pending", "closed")
    for dataset_id in pool.dataset_ids():
        d = pool.dataset(dataset_id)
        table.add_row(
            str(dataset_id),
            names.get(d.schema_id, "0x" + d.schema_id.hex()[:12]),
            fmt_amount(d.reward),
            fmt_amount(d.budget),
            str(d.accepted),
            str(d.pending),
            str(d.closed),
        )
    console.print(table)


@app.command("review")
def review_cmd(dataset: int = typer.Argument(...), account: str | None = ACCOUNT) -> None:
    """(Curator) verify waiting contributions; accept and pay, reject, or hold them for k."""
    ctx = Context()
    pool, local = _env(ctx)
    d = pool.require_dataset(dataset)
    schema = _schemas_by_id()[d.schema_id]
    policy = local.load_policy(d.policy_cid)
    subs = local.inbox(ctx.chain.chain_id, pool.address, dataset)
    rows = verify_dataset(pool, dataset, local.fetch, local.load_policy, _schemas_by_id()).rows
    result = review(pool, ctx.signer(account), dataset, policy, schema, subs, rows)
    local.clear(ctx.chain.chain_id, pool.address, dataset, result.accepted + list(result.rejected))
    for cid, reason in result.rejected.items():
        console.print(f"rejected {cid}: {reason}")
    console.print(
        f"accepted {len(result.accepted)}, rejected {len(result.rejected)}, "
        f"waiting for k {len(result.waiting)}"
        + (f", waiting for budget {len(result.unfunded)} (fund the dataset)" if result.unfunded else "")
    )
    if result.waiting:
        console.print(
            f"  held: their quasi-identifier class ({', '.join(policy.quasi)}) has fewer than "
            f"{policy.min_k} members; review again when more records of that class arrive",
            highlight=False,
        )


def _report(ctx: Context, dataset: int) -> tuple[DatasetPool, DatasetHome, DatasetReport]:
    pool, local = _env(ctx)
    pool.require_dataset(dataset)
    return pool, local, verify_dataset(pool, dataset, local.fetch, local.load_policy, _schemas_by_id())


@app.command()
def verify(dataset: int = typer.Argument(...)) -> None:
    """Re-check every accepted presentation, the policy, the nullifiers and k-anonymity."""
    ctx = Context()
    _, _, report = _report(ctx, dataset)
    for warning in report.warnings:
        console.print(f"warning: {warning}")
    if not report.ok:
        raise AIWeb3Error(f"dataset {dataset} failed verification: " + "; ".join(report.problems))
    console.print(
        f"dataset {dataset}: {report.checked} presentations verified, "
        f"k-anonymity {report.k} (min {report.min_k})"
    )


@app.command()
def export(
    dataset: int = typer.Argument(...),
    out: Path = typer.Option(..., "--out", "-o", help="CSV file to write."),
) -> None:
    """Verify the dataset, then write its table; prints the dataset's content id (manifest CID)."""
    ctx = Context()
    pool, local, report = _report(ctx, dataset)
    if not report.ok:
        raise AIWeb3Error(f"dataset {dataset} failed verification: " + "; ".join(report.problems))
    manifest, table = local.export(report, ctx.chain.chain_id, pool.address, pool.dataset(dataset).policy_cid)
    out.write_bytes(local.store.get_bytes(table))
    console.print(
        f"{len(report.rows)} rows, k-anonymity {report.k}; table {table}; dataset content id {manifest}"
    )


@app.command()
def close(dataset: int = typer.Argument(...), account: str | None = ACCOUNT) -> None:
    """(Creator) stop new contributions."""
    ctx = Context()
    pool, _ = _env(ctx)
    pool.close(ctx.signer(account), dataset)
    console.print(f"dataset {dataset} closed")


@app.command()
def withdraw(dataset: int = typer.Argument(...), account: str | None = ACCOUNT) -> None:
    """(Creator) take back the budget of a closed dataset (after its review window)."""
    ctx = Context()
    pool, _ = _env(ctx)
    amount = pool.withdraw(ctx.signer(account), dataset)
    console.print(f"withdrew {fmt_amount(amount)} AIUSD from dataset {dataset}")
