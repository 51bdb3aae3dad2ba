"""Find: our AST checks plus Slither, turned into ranked hypotheses.

Slither runs from its own virtual environment (``make slither`` builds ``.venv-audit``, the one
``make audit`` uses), compiling through a stand-in ``solc`` that answers with the pinned solc-js
of the target's version. When Slither is not installed the scan says so and uses our checks alone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiweb3.errors import ConfigError
from aiweb3.redteam.hypotheses import Hypothesis, rank
from aiweb3.redteam.scan_checks import check_ast
from aiweb3.tools import node_modules

__all__ = ["SLITHER_CLASSES", "ScanResult", "scan_compiled", "slither_binary"]

_STANDIN = Path(__file__).with_name("scan_solc_standin.mjs")

#: Slither detectors -> our classes (detectors not listed are left out of the hypotheses).
SLITHER_CLASSES: dict[str, str] = {
    "reentrancy-eth": "reentrancy",
    "reentrancy-no-eth": "reentrancy",
    "reentrancy-unlimited-gas": "reentrancy",
    "tx-origin": "tx_origin",
    "controlled-delegatecall": "delegatecall",
    "delegatecall-loop": "delegatecall",
    "unchecked-lowlevel": "unchecked_call",
    "unchecked-send": "unchecked_call",
    "weak-prng": "bad_randomness",
    "arbitrary-send-eth": "access_control",
    "suicidal": "access_control",
    "unprotected-upgrade": "unprotected_init",
    "divide-before-multiply": "share_rounding",
    "incorrect-equality": "share_rounding",
    "timestamp": "bad_randomness",
}
_CONFIDENCE = {"High": 0.8, "Medium": 0.6, "Low": 0.4, "Informational": 0.2}


@dataclass
class ScanResult:
    """Ranked hypotheses and what each scanner did ("ran: 3 findings", "not installed: ...")."""

    hypotheses: list[Hypothesis]
    scanners: dict[str, str] = field(default_factory=dict)


def slither_binary() -> Path | None:
    """Slither's executable: ``AIWEB3_SLITHER``, the checkout's ``.venv-audit``, or PATH."""
    override = os.environ.get("AIWEB3_SLITHER")
    if override:
        return Path(override)
    try:
        candidate = node_modules().parent / ".venv-audit" / "bin" / "slither"
        if candidate.is_file():
            return candidate
    except ConfigError:
        pass
    found = shutil.which("slither")
    return Path(found) if found else None


def _slither(sources: dict[str, str], version: str, timeout: float) -> tuple[list[Hypothesis], str]:
    binary = slither_binary()
    if binary is None:
        return [], "not installed (run `make slither`)"
    with tempfile.TemporaryDirectory(prefix="aiweb3-slither-") as tmp:
        root = Path(tmp)
        for name, text in sources.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        out = root / "slither.json"
        env = {
            **os.environ,
            "AIWEB3_REDTEAM_MODULES": str(node_modules()),
            "AIWEB3_REDTEAM_SOLC_VERSION": version,
        }
        try:
            proc = subprocess.run(
                [
                    str(binary),
                    ".",
                    "--solc",
                    str(_STANDIN),
                    "--solc-standard-json",
                    "--json",
                    str(out),
                    "--exclude-informational",
                    "--exclude-optimization",
                ],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return [], f"timed out after {timeout:.0f} s"
        if not out.is_file():
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            return [], f"failed: {tail[:160]}"
        try:
            data = json.loads(out.read_text())
        except ValueError:
            return [], "failed: unreadable JSON output"
    found = [h for d in (data.get("results") or {}).get("detectors", []) for h in _from_detector(d)]
    return found, f"ran: {len(found)} findings"


def _from_detector(det: dict[str, Any]) -> list[Hypothesis]:
    cls = SLITHER_CLASSES.get(str(det.get("check")))
    if cls is None:
        return []
    fn_el = next((e for e in det.get("elements", []) if e.get("type") == "function"), None)
    node_el = next((e for e in det.get("elements", []) if e.get("type") == "node"), fn_el)
    if fn_el is None:
        return []
    contract = str(((fn_el.get("type_specific_fields") or {}).get("parent") or {}).get("name", ""))
    name = str(fn_el.get("name", ""))
    mapping = (node_el or fn_el).get("source_mapping") or {}
    lines = mapping.get("lines") or [0]
    location = f"{mapping.get('filename_relative', '')}:{lines[0]}"
    text = re.sub(r"\s+", " ", str(det.get("description", ""))).strip()
    conf = _CONFIDENCE.get(str(det.get("confidence")), 0.4)
    if det.get("impact") == "High":
        conf = min(0.95, conf + 0.1)
    return [
        Hypothesis(
            cls, contract, name, location, conf, [f"slither {det.get('check')}: {text[:200]}"], ["slither"]
        )
    ]


def scan_compiled(
    asts: dict[str, Any],
    sources: dict[str, str],
    version: str,
    *,
    slither: bool = True,
    timeout: float = 180.0,
) -> ScanResult:
    """Our AST checks, then Slither (when installed and asked for), merged and ranked."""
    ours = check_ast(asts, sources, version)
    scanners = {"ast checks": f"ran: {len(ours)} findings"}
    theirs: list[Hypothesis] = []
    if slither:
        theirs, scanners["slither"] = _slither(sources, version, timeout)
    else:
        scanners["slither"] = "skipped"
    return ScanResult(rank([*ours, *theirs]), scanners)
