"""``aiweb3 usecase medical|credit|insurance|identity|split``: proven private inference end to end."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    name: str = typer.Argument(..., help="medical, credit, insurance, identity or split."),
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
    """Run a use case end to end on the local chain (no training): register, prove, verify, audit."""
    from aiweb3 import usecases
    from aiweb3.chain import dev_account

    if name == usecases.SPLIT:
        _split(owner, first_subject, record)
        return
    case = usecases.get(name)
    ctx = _local_context()
    chain = ctx.chain
    subjects = [dev_account(first_subject + i) for i in range(case.subjects)]
    with _progress(name, _STEPS) as step:
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
        else:
            report = usecases.run_usecase(
                case,
                home=ctx.settings.home,
                chain=chain,
                owner=ctx.signer(owner),
                subjects=subjects,
                indices=[record + i for i in range(case.subjects)],
                on_progress=step,
            )
    if case.kind == "code":
        _render_identity(identity)
    else:
        _render_classifier(case, report)


def _local_context() -> Context:
    """The CLI context, on the local chain (the use cases' subjects are dev accounts), contracts deployed."""
    from aiweb3.chain import deploy_system, dev_account

    ctx = Context()
    if ctx.chain.chain_id != LOCAL_CHAIN_ID:
        raise AccountError("aiweb3 usecase runs on the local chain (its subjects are dev accounts)")
    deploy_system(ctx.chain, dev_account(0), ctx.settings.home)
    return ctx


@contextmanager
def _progress(name: str, labels: dict[str, str]) -> Iterator[Callable[[str], None]]:
    """A spinner naming the current step, plus one dim line per step."""
    with err_console.status(f"{name} use case") as status:

        def step(what: str) -> None:
            label = labels.get(what, what)
            status.update(f"{name} use case: {label}…")
            err_console.print(f"  [dim]{label}[/dim]")

        yield step


def _header(case: UseCase, report: UseCaseReport | IdentityReport) -> None:
    """The use case's data set and its registered model."""
    model = report.model
    console.print(f"[bold]{case.name}[/bold] use case — {case.data['dataset']}")
    console.print(
        f"model {model.model_id} ({model.name}, logrows {model.logrows}) "
        f"{'registered now' if report.newly_registered else 'already registered'} by {report.owner} "
        f"in ModelRegistry {report.registry}"
    )


def _render_classifier(case: UseCase, report: UseCaseReport) -> None:
    model = report.model
    _header(case, report)
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
    case, bits = report.case, len(report.enrolment.bits)
    _header(case, report)
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


_SPLIT_STEPS = {
    "deploy split verifier": "finding (or deploying) the SplitVerifier",
    "patient proves": "patient: proving the preprocessing on the raw record",
    "operator proves": "operator: checking the patient's proof, proving the diagnosis",
    "verify link": "verifying both proofs and their link locally",
    "verify on chain": "verifying both proofs and the link on chain (verifySplit)",
}


def _split(owner: str, patient: int, record: int) -> None:
    """``aiweb3 usecase split``: the patient proves the preprocessing, the operator the diagnosis."""
    from aiweb3.chain import dev_account
    from aiweb3.usecases.split import SplitFiles, run_split

    ctx = _local_context()
    files = SplitFiles()
    with _progress("split", {**_STEPS, **_SPLIT_STEPS}) as step:
        r = run_split(
            home=ctx.settings.home,
            chain=ctx.chain,
            owner=ctx.signer(owner),
            patient=dev_account(patient),
            index=record,
            files=files,
            on_progress=step,
        )
    data = files.data
    console.print(f"[bold]split[/bold] use case — {data['dataset']}")
    state = "registered now" if r.newly_registered else "already registered"
    console.print(
        f"preprocessing {r.pre.model_id} (30 measurements -> {len(r.handoff.features)} features, "
        f"logrows {r.pre.logrows})"
    )
    console.print(f"operator's model {r.operator.model_id} (logrows {r.operator.logrows})")
    console.print(f"both {state} in ModelRegistry {r.registry}")
    try:
        acc = json.loads(files.accuracy_path.read_text())
        console.print(
            f"held-out accuracy of the chained pipeline ({acc['samples']} records): float "
            f"{acc['float_accuracy']:.4f}, circuits {acc['circuit_accuracy']:.4f} "
            f"(loss {acc['loss_points']:.2f} points)"
        )
    except (OSError, ValueError, KeyError):
        err_console.print("[yellow]no accuracy table; run python -m aiweb3.usecases.evaluate split[/yellow]")
    console.print(
        f"patient {dev_account(patient).address} (held-out record {r.index}, truth: {r.truth}): "
        f"[bold]{r.diagnosis}[/bold] scores {[round(v, 3) for v in r.scores]} "
        f"(P(benign) {1 / (1 + math.exp(r.scores[0] - r.scores[1])):.3f})"
    )
    console.print(
        f"  sent to the operator: the preprocessing proof and {len(r.handoff.features)} features "
        f"{[round(v, 4) for v in r.handoff.features]}; the raw record stayed with the patient"
    )
    console.print(f"  preprocessing proof's output commitment {r.result.pre_proof.output_commitment}")
    console.print(f"  operator proof's input commitment       {r.result.proof.input_commitment} (the link)")
    console.print(
        f"both proofs and the link verified locally and on chain in one transaction "
        f"(SplitVerifier {r.verifier}, tx {r.tx_hash}, gas {r.gas_used})"
    )
