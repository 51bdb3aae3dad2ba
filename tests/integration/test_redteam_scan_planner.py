"""The scan with Slither (its own environment, ``make slither``) on a corpus entry, and the
language-model planner (the embedded SmolLM2-135M) ordering templates for a run that the chain
still confirms."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiweb3.chain import Chain
from aiweb3.llm import LLMConfig, OpenAICompatible, load_model
from aiweb3.llm.runtime import RuntimeInfo
from aiweb3.redteam import scan
from aiweb3.redteam.exploit_planner import model_planner
from aiweb3.redteam.exploit_run import run_target, scan_target
from aiweb3.redteam.scan import slither_binary
from aiweb3.redteam.targets import load_target

pytestmark = pytest.mark.timeout(600)
CORPUS = Path(__file__).resolve().parents[1] / "redteam_corpus"


def test_scan_merges_slither_with_our_checks() -> None:
    # `make setup` installs Slither in .venv-audit, so the real analyser runs here
    assert slither_binary() is not None, "Slither is missing: `make setup` installs it"
    result = scan_target(load_target(CORPUS / "tx-origin-auth"))
    top = result.hypotheses[0]
    assert (top.cls, top.function) == ("tx_origin", "pay")
    assert result.scanners["slither"].startswith("ran: "), result.scanners
    assert top.sources == ["ast", "slither"] and top.confidence > 0.9
    assert any(e.startswith("slither tx-origin") for e in top.evidence)


def test_scan_without_slither_says_so_and_our_checks_still_find_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan, "slither_binary", lambda: None)  # as on a machine without Slither
    result = scan_target(load_target(CORPUS / "tx-origin-auth"))
    assert result.scanners["slither"] == "not installed (run `make slither`)"
    top = result.hypotheses[0]
    assert (top.cls, top.function, top.sources) == ("tx_origin", "pay", ["ast"])


def test_the_model_planner_orders_templates_and_the_chain_still_decides(
    chain: Chain, llm_runtime: RuntimeInfo, aiweb3_home: Path
) -> None:
    llm = load_model(LLMConfig(home=aiweb3_home, timeout=120), embedded=True)
    assert isinstance(llm, OpenAICompatible)
    report = run_target(
        chain,
        load_target(CORPUS / "tx-origin-auth"),
        slither=False,
        planner=model_planner(llm),
        planner_name=f"model {llm.name}",
        search_examples=0,
        patch=False,
    )
    finding = next(f for f in report.findings if f.hypothesis and f.hypothesis.cls == "tx_origin")
    # three lure attempts (deployer, victim, user): the model picked one to go first
    assert "picked" in finding.planner_note, finding.planner_note
    assert finding.status == "confirmed" and finding.exploit is not None
    assert finding.exploit.planner.startswith("model ")
