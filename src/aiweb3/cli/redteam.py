"""``aiweb3 redteam``: find, exploit and replay attacks on contracts, on a private local node.

Every command that deploys starts its own throwaway anvil node (never the configured chain):
the agent's generated code runs only there. Reports go to ``$AIWEB3_HOME/redteam/runs/<run>/``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import typer
from rich.table import Table

from aiweb3.chain import Chain, LocalNode, NodeConfig
from aiweb3.cli.context import Context, console, err_console
from aiweb3.cli.redteam_stress import register as register_stress
from aiweb3.errors import InputError

__all__ = ["app"]

app = typer.Typer(
    name="redteam",
    help="Red-team agents: scan contracts, confirm exploits on a private local node, replay them.",
    no_args_is_help=True,
    add_completion=False,
)


@contextmanager
def private_chain() -> Iterator[Chain]:
    """A throwaway anvil node for one command (stopped afterwards), and a client on it."""
    with tempfile.TemporaryDirectory(prefix="aiweb3-redteam-") as tmp:
        node = LocalNode(NodeConfig(home=Path(tmp)))
        info = node.start(die_with_parent=True)
        chain = Chain(info.url, expected_chain_id=info.chain_id)
        try:
            yield chain
        finally:
            chain.close()
            node.stop()


def _log(text: str) -> None:
    err_console.print(f"[dim]{text}[/dim]", highlight=False)


@app.command()
def scan(
    path: Path = typer.Argument(..., help="A corpus entry folder, a .sol file or a folder of sources."),
    variant: str = typer.Option("vulnerable", help="Which variant of a corpus entry to scan."),
    slither: bool = typer.Option(True, "--slither/--no-slither", help="Also run Slither (when installed)."),
    as_json: bool = typer.Option(False, "--json", help="Print the hypotheses as JSON."),
) -> None:
    """List ranked hypotheses: our AST checks plus Slither."""
    from aiweb3.redteam.exploit_run import scan_target
    from aiweb3.redteam.targets import load_target

    result = scan_target(load_target(path), variant, slither=slither)
    if as_json:
        console.print_json(
            json.dumps({"scanners": result.scanners, "hypotheses": [h.to_json() for h in result.hypotheses]})
        )
        return
    table = Table("class", "function", "location", "confidence", "evidence")
    for h in result.hypotheses:
        table.add_row(
            h.cls, f"{h.contract}.{h.function}", h.location, f"{h.confidence:.2f}", "; ".join(h.evidence)[:90]
        )
    console.print(table)
    console.print(", ".join(f"{k}: {v}" for k, v in result.scanners.items()), highlight=False)


@app.command()
def exploit(
    path: Path = typer.Argument(..., help="A corpus entry folder, a .sol file or a folder of sources."),
    variant: str = typer.Option("vulnerable", help="Which variant of a corpus entry to attack."),
    planner: str = typer.Option(
        "templates",
        help="'templates' (template order), 'model' (the language model picks first: "
        "AIWEB3_LLM_URL, else the embedded model).",
    ),
    slither: bool = typer.Option(True, "--slither/--no-slither", help="Also run Slither (when installed)."),
    search_examples: int = typer.Option(60, min=0, help="Sequences the property-based search tries."),
    search_seconds: float = typer.Option(60.0, min=0.0, help="Time budget of the search."),
    patch: bool = typer.Option(True, "--patch/--no-patch", help="Check a fix for each confirmed exploit."),
    out: Path | None = typer.Option(
        None, help="Folder for the report (default: $AIWEB3_HOME/redteam/runs/<run>)."
    ),
) -> None:
    """Find, confirm on chain, and patch-check exploits; write the Markdown/HTML/JSON report."""
    from aiweb3.redteam.exploit_run import run_target
    from aiweb3.redteam.report import runs_dir, write_report
    from aiweb3.redteam.targets import load_target

    if planner not in ("templates", "model"):
        raise InputError("--planner must be 'templates' or 'model'")
    ctx = Context()
    target = load_target(path)
    plan, plan_name = None, "templates"
    if planner == "model":
        from aiweb3.llm import LLMConfig, OpenAICompatible, load_model
        from aiweb3.redteam.exploit_planner import model_planner

        llm = load_model(replace(LLMConfig.from_env(), home=ctx.settings.home), embedded=True)
        if isinstance(llm, OpenAICompatible):
            plan, plan_name = model_planner(llm), f"model {llm.name}"
    with private_chain() as chain:
        report = run_target(
            chain,
            target,
            variant=variant,
            slither=slither,
            planner=plan,
            planner_name=plan_name,
            search_examples=search_examples,
            search_budget_s=search_seconds,
            patch=patch,
            log=_log,
        )
    folder = out or runs_dir(ctx.settings.home) / report.run_id
    written = write_report(report, folder)
    for f in report.findings:
        if f.status != "confirmed" or f.exploit is None:
            continue
        h = f.hypothesis
        patched = (
            ""
            if f.patch is None
            else (" · patch verified" if f.patch.get("verified") else " · patch NOT verified")
        )
        console.print(
            f"[bold red]confirmed[/bold red] {h.cls if h else ''} {h.function if h else ''}: "
            f"{f.exploit.win.kind} ({f.exploit.win.detail}){patched}",
            highlight=False,
        )
    if not report.confirmed:
        console.print(f"no confirmed exploit ({len(report.hypotheses)} hypotheses tried)", highlight=False)
    console.print(f"report: {written} (+ report.md, report.html)", highlight=False)


@app.command()
def replay(
    report: Path = typer.Argument(
        ..., help="A report.json (or its run folder) written by `redteam exploit`."
    ),
) -> None:
    """Re-deploy the target on a fresh node and replay each confirmed exploit's transactions."""
    from aiweb3.redteam.exploit_run import replay_report
    from aiweb3.redteam.report import load_report

    loaded = load_report(report)
    with private_chain() as chain:
        result = replay_report(chain, loaded)
    for finding, win in result.results:
        cls = finding.hypothesis.cls if finding.hypothesis else ""
        label = f"{cls} {finding.exploit.strategy if finding.exploit else ''}"
        mark = "[green]confirmed[/green]" if win.won else "[bold red]NOT confirmed[/bold red]"
        console.print(f"{mark} {label}: {win.kind} {win.detail}", highlight=False)
    if not result.all_confirmed:
        err_console.print(
            "error: the report's exploit did not replay; it was edited, or the target changed",
            highlight=False,
        )
        raise typer.Exit(1)


@app.command()
def runs() -> None:
    """List the red-team runs kept under $AIWEB3_HOME/redteam/runs."""
    from aiweb3.redteam.report import list_runs

    table = Table("run", "target", "hypotheses", "confirmed", "seconds")
    for r in list_runs(Context().settings.home):
        table.add_row(
            r.run_id,
            str(r.target.get("name", "")),
            str(len(r.hypotheses)),
            str(len(r.confirmed)),
            f"{r.seconds:.1f}",
        )
    console.print(table)


# `aiweb3 redteam stress` lives in its own module (agent-based Monte Carlo on the DeFi contracts).
register_stress(app)
