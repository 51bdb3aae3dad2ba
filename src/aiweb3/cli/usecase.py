"""``aiweb3 usecase medical|credit|insurance|identity``: a proven private inference use case end to end."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from aiweb3.cli.context import Context, console, err_console
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import AccountError

if TYPE_CHECKING:
    from aiweb3.usecases import IdentityReport, UseCase, UseCaseReport
    from aiweb3.usecases.identity import CodeProof

__all__ = ["usecase"]

logging.getLogger("ezkl").setLevel(logging.CRITICAL)

_STEPS = {
    "settings": "generating circuit settings",
    "calibrate": "calibrating on held-out records",
    "circuit": "compiling the circuit",
    "srs": "finding the SRS",
    "setup": "making the proving and verifying keys",
    "vka": "deriving the on-chain verifying-key artifact",
    "reused": "reusing the compiled model",
    "register": "registering the model on chain",
    "witness": "running the model",
    "prove": "proving",
    "verify on chain": "verifying on chain (verifyInference)",
}


def usecase(
    name: str = typer.Argument(..., help="medical, credit, insurance or identity."),
    owner: str = typer.Option(
        "dev:1", help="The model owner (registers it): keystore name/address or dev:N."
    ),
    first_subject: int = typer.Option(
        2, "--first-subject", help="Dev account of the first subject (local chain)."
    ),
    record: int = typer.Option(
        0, "--record", help="First held-out record to score (identity: the held-out person to enrol)."
    ),
) -> None:
    """Train-free run of a use case: register the salted model, score, prove, verify on chain, audit."""
    from aiweb3 import usecases
    from aiweb3.chain import deploy_system, dev_account

    case = usecases.get(name)
    ctx = Context()
    chain = ctx.chain
    if chain.chain_id != LOCAL_CHAIN_ID:
        raise AccountError("aiweb3 usecase runs on the local chain (its subjects are dev accounts)")
    deploy_system(chain, dev_account(0), ctx.settings.home)
    subjects = [dev_account(first_subject + i) for i in range(case.subjects)]
    with err_console.status(f"{name} use case") as status:

        def step(what: str) -> None:
            status.update(f"{name} use case: {_STEPS.get(what, what)}…")
            err_console.print(f"  [dim]{_STEPS.get(what, what)}[/dim]")

        if case.kind == "code":
            identity = usecases.run_identity(
                case,
                home=ctx.settings.home,
                chain=chain,
                owner=ctx.signer(owner),
                subjects=subjects,
                person=record,
                on_progress=step,
            )
            status.stop()
            _render_identity(identity)
            return
        report = usecases.run_usecase(
            case,
            home=ctx.settings.home,
            chain=chain,
            owner=ctx.signer(owner),
            subjects=subjects,
            indices=[record + i for i in range(case.subjects)],
            on_progress=step,
        )
    _render_classifier(case, report)


def _render_classifier(case: UseCase, report: UseCaseReport) -> None:
    name = case.name
    model = report.model
    console.print(f"[bold]{name}[/bold] use case — {case.data['dataset']}")
    console.print(
        f"model {model.model_id} ({model.name}, logrows {model.logrows}) "
        f"{'registered now' if report.newly_registered else 'already registered'} by {report.owner} "
        f"in ModelRegistry {report.registry}"
    )
    try:
        acc = json.loads(case.accuracy_path.read_text())
        console.print(
            f"held-out accuracy ({acc['samples']} records): float {acc['float_accuracy']:.4f}, "
            f"circuit {acc['circuit_accuracy']:.4f} (loss {acc['loss_points']:.2f} points)"
        )
    except (OSError, ValueError, KeyError):
        err_console.print("[yellow]no accuracy table; run python -m aiweb3.usecases.evaluate[/yellow]")
    truth = case.data["test_y"]
    for d in report.decisions:
        actual = case.decision[int(truth[d.index])]
        console.print(
            f"{case.subject} {d.caller} (held-out record {d.index}, truth: {actual}): "
            f"[bold]{d.label}[/bold] scores {[round(v, 3) for v in d.outputs]}"
        )
        console.print(
            f"  salted input commitment {d.opening.commitment}; proof verified locally and on chain "
            f"(tx {d.tx_hash}, gas {d.gas_used}); opening (record + salt) checked"
        )
    table = Table("block", "time (UTC)", "caller", "input commitment", "outputs hash", title="audit trail")
    for t in report.trail:
        when = datetime.fromtimestamp(t.timestamp, UTC).strftime("%H:%M:%S")
        table.add_row(str(t.block), when, t.caller, t.input_commitment[:18] + "…", t.outputs_hash[:18] + "…")
    console.print(table)
    same = "yes" if report.same_model_for_all() else "NO"
    console.print(
        f"every decision above verified against the one registered model {model.model_id}: {same} "
        f"({len(report.trail)} verified inferences of it on chain)"
    )


def _render_identity(report: IdentityReport) -> None:
    case, model, bits = report.case, report.model, len(report.enrolment.bits)
    console.print(f"[bold]identity[/bold] use case — {case.data['dataset']}")
    console.print(
        f"model {model.model_id} ({model.name}, logrows {model.logrows}) "
        f"{'registered now' if report.newly_registered else 'already registered'} by {report.owner} "
        f"in ModelRegistry {report.registry}"
    )
    try:
        table = json.loads(case.accuracy_path.read_text())
        circuit = table["circuit"]
        console.print(
            f"held-out captures ({table['samples']}): circuit code bits agree with the float model's on "
            f"{table['bit_agreement']:.2%}; same person mean Hamming {circuit['same_person_mean']}/{bits}, "
            f"different people {circuit['different_people_mean']}/{bits}; match threshold "
            f"{report.threshold} bits (false reject {circuit['false_reject']:.4f}, "
            f"false accept {circuit['false_accept']:.4f})"
        )
    except (OSError, ValueError, KeyError):
        err_console.print("[yellow]no code table; run python -m aiweb3.usecases.evaluate identity[/yellow]")
    enrolled = report.enrolment
    _code_line("enrolment", enrolled)
    console.print(
        "  opening (embedding + salt) checked by the chosen verifier; a wrong salt refused: "
        + ("yes" if report.wrong_salt_refused else "NO")
    )
    for title, proof, distance in (
        ("same person, second capture, second account", report.same_person, report.same_distance),
        ("another person", report.other_person, report.other_distance),
    ):
        _code_line(title, proof)
        verdict = "match" if distance <= report.threshold else "no match"
        console.print(
            f"  Hamming distance to the enrolled code: [bold]{distance}[/bold] of {bits} bits "
            f"({verdict} at threshold {report.threshold})"
        )
    table = Table(
        "block",
        "time (UTC)",
        "caller",
        "input commitment",
        "code (calldata)",
        "outputs hash",
        title="audit trail",
    )
    for entry in report.on_chain:
        t = entry.inference
        when = datetime.fromtimestamp(t.timestamp, UTC).strftime("%H:%M:%S")
        table.add_row(
            str(t.block),
            when,
            t.caller,
            t.input_commitment[:18] + "…",
            entry.code or "-",
            t.outputs_hash[:18] + "…",
        )
    console.print(table)
    console.print(
        f"uniqueness check over {len(report.on_chain)} codes on chain (threshold {report.threshold} bits): "
        f"{len(report.matches)} match(es)"
    )
    for m in report.matches:
        console.print(
            f"  {m.caller} (tx {m.tx_hash}) is within {m.distance} bits of {m.earlier_caller} "
            f"(tx {m.earlier_tx_hash}): a duplicate enrolment"
        )


def _code_line(title: str, proof: CodeProof) -> None:
    console.print(
        f"{title}: held-out person {proof.person}, capture {proof.capture}, account {proof.caller}: "
        f"code [bold]{proof.code}[/bold]"
    )
    console.print(
        f"  salted input commitment {proof.opening.commitment}; proof verified locally and on chain "
        f"(tx {proof.tx_hash}, gas {proof.gas_used})"
    )
