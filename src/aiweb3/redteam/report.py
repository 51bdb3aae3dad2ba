"""Red-team reports: one folder per run with ``report.json`` (replayable), Markdown and HTML.

The JSON holds everything replay needs: the target (path, variant, a hash of its sources), the
ranked hypotheses, and per finding the exact transactions (with ``{name}`` placeholders for
addresses that change between deployments), the attacker contract's source and bytecode, the
win, and the patch check. Every file is written atomically (temporary file, then rename).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiweb3.errors import InputError
from aiweb3.files import atomic_write_text
from aiweb3.jsonlimits import load_untrusted_file
from aiweb3.redteam.exploit import Finding
from aiweb3.redteam.hypotheses import Hypothesis

__all__ = [
    "REPORT_KIND",
    "Report",
    "list_runs",
    "load_report",
    "new_run_id",
    "runs_dir",
    "sources_digest",
    "to_html",
    "to_markdown",
    "write_report",
]

REPORT_KIND = "aiweb3.redteam.report"
_MAX_REPORT = 16 * 1024 * 1024


def sources_digest(sources: dict[str, str]) -> str:
    """sha256 over the sources (file names and texts, sorted): what replay checks it attacks."""
    h = hashlib.sha256()
    for name in sorted(sources):
        h.update(name.encode() + b"\0" + sources[name].encode() + b"\0")
    return h.hexdigest()


@dataclass
class Report:
    """One red-team run."""

    run_id: str
    target: dict[str, Any]
    hypotheses: list[Hypothesis]
    findings: list[Finding]
    scan: dict[str, Any] = field(default_factory=dict)
    started: str = ""
    seconds: float = 0.0
    planner: str = "templates"
    command: str = "exploit"

    @property
    def confirmed(self) -> list[Finding]:
        """The findings whose exploit the chain confirmed."""
        return [f for f in self.findings if f.status == "confirmed"]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "kind": REPORT_KIND,
            "version": 1,
            "run_id": self.run_id,
            "command": self.command,
            "started": self.started,
            "seconds": self.seconds,
            "planner": self.planner,
            "target": self.target,
            "scan": self.scan,
            "hypotheses": [h.to_json() for h in self.hypotheses],
            "findings": [f.to_json() for f in self.findings],
        }

    @classmethod
    def from_json(cls, raw: Any) -> Report:
        """The inverse of :meth:`to_json` (InputError when it is not a red-team report)."""
        if not isinstance(raw, dict) or raw.get("kind") != REPORT_KIND:
            raise InputError('this is not an aiweb3 red-team report (no "kind": "aiweb3.redteam.report")')
        try:
            return cls(
                str(raw["run_id"]),
                dict(raw["target"]),
                [Hypothesis.from_json(h) for h in raw.get("hypotheses", [])],
                [Finding.from_json(f) for f in raw.get("findings", [])],
                dict(raw.get("scan", {})),
                str(raw.get("started", "")),
                float(raw.get("seconds", 0.0)),
                str(raw.get("planner", "templates")),
                str(raw.get("command", "exploit")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(
                f"the red-team report is malformed ({exc}); write it again with `aiweb3 redteam exploit`"
            ) from None


def new_run_id(name: str) -> str:
    """A sortable run id: UTC time and the target's name."""
    slug = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:40] or "target"
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + f"-{slug}-{int(time.time_ns() % 1_000_000):06d}"


def runs_dir(home: Path) -> Path:
    """Where runs are kept: ``$AIWEB3_HOME/redteam/runs``."""
    return home / "redteam" / "runs"


def _eth(wei: int) -> str:
    return f"{wei / 10**18:.4f} ETH" if wei else "0"


def _status(f: Finding) -> str:
    if f.status != "confirmed":
        return "not confirmed"
    if f.patch is None:
        return "confirmed, unpatched"
    return "confirmed, patch verified" if f.patch.get("verified") else "confirmed, patch FAILED"


def to_markdown(report: Report) -> str:
    """The report as Markdown (for people; report.json is the replayable record)."""
    t = report.target
    lines = [
        f"# Red-team report: {t.get('name', '')}",
        "",
        f"- target: `{t.get('path', '')}` ({t.get('variant', '')}, {t.get('compiler', '')})",
        f"- run: `{report.run_id}` ({report.command}, {report.seconds:.1f} s, planner: {report.planner})",
        f"- hypotheses: {len(report.hypotheses)}; confirmed exploits: {len(report.confirmed)}",
        f"- scanners: {', '.join(f'{k}: {v}' for k, v in report.scan.items())}",
        "",
        "## Hypotheses",
        "",
        "| class | function | location | confidence | evidence |",
        "|---|---|---|---|---|",
    ]
    for h in report.hypotheses:
        lines.append(
            f"| {h.cls} | {h.function or '-'} | {h.location} | {h.confidence:.2f} "
            f"| {'; '.join(h.evidence)[:200]} |"
        )
    lines += ["", "## Findings", ""]
    for i, f in enumerate(report.findings, 1):
        fh = f.hypothesis
        where = f" in {fh.contract}.{fh.function}" if fh and fh.function else ""
        title = (fh.cls if fh else "finding") + where
        lines += [f"### {i}. {title}: {_status(f)}", "", f"- severity: {fh.severity if fh else 'high'}"]
        if f.exploit:
            e = f.exploit
            lines += [
                f"- strategy: {e.strategy}: {e.description}",
                f"- win: {e.win.kind}: {e.win.detail}; attacker profit {_eth(e.win.profit_wei)}",
                f"- time to confirm: {e.seconds:.2f} s (planner: {e.planner})",
                "",
                "Proof-of-concept transactions:",
                "",
            ]
            for n, s in enumerate(e.steps, 1):
                to = "deploy" if s.to is None else s.to
                lines.append(f"{n}. `{s.role}` -> `{to}` value {s.value} wei: {s.label} (`{s.data[:18]}…`)")
        elif f.tried:
            lines += ["- tried: " + "; ".join(f.tried)]
        if f.patch:
            lines += [
                "",
                f"Patch ({f.patch.get('source', '')}): exploit blocked: {f.patch.get('exploit_blocked')}, "
                f"functional checks pass: {f.patch.get('functional')}",
            ]
            if f.patch.get("diff"):
                lines += ["", "```diff", str(f.patch["diff"]).rstrip(), "```"]
        lines.append("")
    return "\n".join(lines)


def to_html(report: Report) -> str:
    """The report as a standalone HTML page (the Markdown's content, escaped)."""
    body = []
    for line in to_markdown(report).splitlines():
        esc = html.escape(line)
        if line.startswith("# "):
            body.append(f"<h1>{esc[2:]}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{esc[3:]}</h2>")
        elif line.startswith("### "):
            body.append(f"<h3>{esc[4:]}</h3>")
        else:
            body.append(f"<div>{esc}</div>" if line else "<br>")
    title = html.escape(str(report.target.get("name", "")))
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>Red-team report: {title}</title>'
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto}"
        "div{white-space:pre-wrap}</style>"
        f"</head><body>{''.join(body)}</body></html>\n"
    )


def write_report(report: Report, folder: Path) -> Path:
    """Write report.json, report.md and report.html into ``folder`` (atomically); the JSON's path."""
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "report.md", to_markdown(report))
    atomic_write_text(folder / "report.html", to_html(report))
    path = folder / "report.json"
    atomic_write_text(path, json.dumps(report.to_json(), indent=2) + "\n")
    return path


def load_report(path: Path) -> Report:
    """Read a report.json (or the run folder holding one).

    Raises:
        InputError: missing, not JSON, too large, or not a red-team report.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    if not path.is_file():
        raise InputError(
            f"no report at {path}; pass the report.json (or the run folder) `aiweb3 redteam exploit` wrote"
        )
    raw = load_untrusted_file(path, what=f"the report {path}", max_bytes=_MAX_REPORT)
    return Report.from_json(raw)


def list_runs(home: Path) -> list[Report]:
    """Every readable run under ``home``, newest first (unreadable folders are skipped)."""
    out = []
    base = runs_dir(home)
    for folder in sorted(base.glob("*/report.json"), reverse=True) if base.is_dir() else []:
        try:
            out.append(load_report(folder))
        except InputError:
            continue
    return out
