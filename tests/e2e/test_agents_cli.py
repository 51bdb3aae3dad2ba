"""The real `aiweb3` command: agent wallets, escrow tasks and the agents demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_utils import to_checksum_address

from aiweb3.llm.runtime import RuntimeInfo

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]
PROVIDER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
ARBITER = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    env.update({"AIWEB3_HOME": str(home), "AIWEB3_PASSWORD": "agent-pass", "COLUMNS": "250"})
    return env


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    subprocess.run([*AIWEB3, "node", "stop"], env=_env(tmp_path), capture_output=True, timeout=60)


def run(home: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*AIWEB3, *args], env=_env(home), capture_output=True, text=True, timeout=180)
    if ok:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    else:
        assert proc.returncode == 1, proc.stdout
        assert "Traceback" not in proc.stderr + proc.stdout
    return proc


def test_agent_wallet_policy_and_tasks(home: Path) -> None:
    created = run(home, "agent", "new", "alice", "--per-payment", "2", "--daily", "5").stdout
    assert "created agent alice" in created
    assert "balance 10 AIUSD" in run(home, "agent", "fund", "alice", "--amount", "10").stdout
    post = [
        "task",
        "post",
        "--agent",
        "alice",
        "--arbiter",
        ARBITER,
        "--provider",
        PROVIDER,
        "--spec",
        "summarise",
    ]
    unknown = run(home, *post, "--budget", "1", ok=False)
    assert "counterparty" in unknown.stderr and "not allowed" in unknown.stderr
    run(home, "agent", "policy", "alice", "--allow-counterparty", PROVIDER)
    assert "posted task 1: 1.5 AIUSD" in run(home, *post, "--budget", "1.5").stdout
    over = run(home, *post, "--budget", "3", ok=False)
    assert "refused: a budget of 3 AIUSD is over alice's per-payment limit of 2 AIUSD" in over.stderr
    listing = run(home, "task", "list").stdout
    assert "open" in listing and "1.5" in listing
    assert "status: open" in run(home, "task", "show", "1").stdout
    assert "UnknownTask" in run(home, "task", "show", "7", ok=False).stderr
    shown = run(home, "agent", "show", "alice").stdout
    assert shown.count("refused") >= 2 and "signed" in shown
    assert "8.5" in run(home, "agent", "list").stdout
    assert "no agent 'bob'" in run(home, "agent", "show", "bob", ok=False).stderr
    # a proof-gated task fixing the input its proof must answer
    gated = [*post, "--budget", "1", "--model", "0x" + "11" * 32, "--input-commitment"]
    bad = run(home, *gated, "0x12", ok=False)
    assert "--input-commitment must be 0x followed by 64 hex digits" in bad.stderr
    assert "posted task 2" in run(home, *gated, "0x" + "22" * 32).stdout
    assert "input: 0x" + "22" * 32 in run(home, "task", "show", "2").stdout


def test_amounts_are_aiusd_in_one_line_and_open_tasks_are_allowed(home: Path) -> None:
    run(home, "agent", "new", "bob", "--per-payment", "2", "--daily", "5")
    faucet = run(home, "agent", "fund", "bob", "--amount", "99999999999999999999999999", ok=False)
    assert faucet.stderr.strip() == (
        "error: the faucet mints at most 1,000,000 AIUSD per call, not 1e+26 AIUSD; "
        "ask for less (or fund several times)"
    )
    account = run(home, "account", "fund", "dev:5", "--amount", "99999999999999999999999999", ok=False)
    assert "at most 1,000,000 AIUSD per call" in account.stderr
    assert "is too large" in run(home, "account", "fund", "dev:5", "--amount", "1e90", ok=False).stderr
    assert "is not an amount" in run(home, "account", "fund", "dev:5", "--amount", "nan", ok=False).stderr
    run(home, "agent", "fund", "bob", "--amount", "3")
    post = ["task", "post", "--agent", "bob", "--arbiter", ARBITER, "--spec", "anyone may do it"]
    huge = run(home, *post, "--budget", "1e40", ok=False)
    assert huge.stderr.strip() == (
        "error: refused: a budget of 1e+40 AIUSD is over bob's per-payment limit of 2 AIUSD "
        "(`aiweb3 agent policy bob --per-payment A`)"
    )
    # no --provider: the budget goes to the escrow, which a new agent's policy allows
    assert "posted task 1: 1.5 AIUSD" in run(home, *post, "--budget", "1.5").stdout
    assert "(anyone may accept)" in run(home, "task", "show", "1").stdout
    poor = run(home, *post, "--budget", "2", ok=False)
    assert "bob holds 1.5 AIUSD, less than the budget of 2 AIUSD" in poor.stderr
    daily = run(home, "agent", "policy", "bob", "--daily", "2")
    assert "per payment 2 AIUSD, daily 2 AIUSD" in daily.stdout
    run(home, "agent", "fund", "bob", "--amount", "5")
    assert (
        "may still spend today, 0.5 AIUSD of a daily limit of 2 AIUSD"
        in run(home, *post, "--budget", "1", ok=False).stderr
    )
    # a proof-gated task that requires an audit by a named auditor (checked on chain at delivery)
    model = "0x" + "ab" * 32
    no_model = run(home, *post, "--budget", "0.5", "--require-audit", PROVIDER, ok=False)
    assert no_model.stderr.strip() == "error: --require-audit needs --model (a proof-gated task)"
    audited = run(home, *post, "--budget", "0.5", "--model", model, "--require-audit", PROVIDER.lower())
    assert "posted task 2: 0.5 AIUSD" in audited.stdout
    shown = run(home, "task", "show", "2").stdout
    assert f"audit required: by {to_checksum_address(PROVIDER)}" in shown and f"proof-gated: {model}" in shown


def test_agent_policy_prints_a_summary(home: Path) -> None:
    run(home, "agent", "new", "carol")
    summary = run(home, "agent", "policy", "carol", "--allow-counterparty", PROVIDER).stdout
    assert "carol spend policy (updated)" in summary
    assert "per payment 1 AIUSD, daily 10 AIUSD" in summary
    assert "(TaskEscrow)" in summary and "(AIUSD)" in summary and "(AgentRegistry)" in summary
    assert "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" in summary and "{" not in summary
    as_json = json.loads(run(home, "agent", "policy", "carol", "--json").stdout)
    assert as_json["per_payment_limit"] == 1_000_000
    assert "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" in as_json["allowed_counterparties"]
    # an agent whose policy does not allow the escrow is told which address to allow
    escrow = summary.split(" (TaskEscrow)")[0].split()[-1]
    assert escrow in as_json["allowed_counterparties"]
    run(home, "agent", "policy", "carol", "--revoke", escrow)
    run(home, "agent", "fund", "carol", "--amount", "1")
    refused = run(home, "task", "post", "--agent", "carol", "--budget", "1", "--arbiter", ARBITER,
                  "--spec", "open", ok=False)  # fmt: skip
    assert refused.stderr.strip() == (
        f"error: refused: counterparty the escrow {escrow} (an open task: no --provider) is not allowed "
        f"by carol's spend policy (`aiweb3 agent policy carol --allow-counterparty {escrow}`)"
    )


def test_agents_demo_prints_a_readable_trace(home: Path) -> None:
    out = run(home, "agents", "demo").stdout
    steps = ["0. find_agents", "1. buy_inference", "2. verify_onchain", "3. store", "4. fetch", "5. hire"]
    facts = [
        '"verified": true',
        '"diagnosis": "malignant"',  # a real ezkl proof of the example MLP
        "registered in ModelRegistry",
        '"status": "completed"',
        "payment refused 25 AIUSD",
        "prover reputation 76/100",  # a rating of 92 for 2 AIUSD, weighted (docs/agents.md)
    ]
    for line in [*steps, "6. feedback", "7. tip", *facts, "1 payment refused by policy"]:
        assert line in out, out


def test_agents_demo_planned_by_the_embedded_model(home: Path, llm_runtime: RuntimeInfo) -> None:
    """The embedded model's server (real SmolLM2-135M) plans the demo through `--planner model`."""
    env = {**_env(home), "AIWEB3_LLM_URL": llm_runtime.api_url}
    proc = subprocess.run([*AIWEB3, "agents", "demo", "--planner", "model"], env=env, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    out = proc.stdout
    assert f"planner: language model default@{llm_runtime.api_url}" in out
    planned = next(line for line in out.splitlines() if line.startswith("plan "))
    assert planned.startswith(f"plan the model default@{llm_runtime.api_url} planned: find_agents"), out
    assert "0. find_agents" in out and "diagnosis-prover" in out and "done: " in out
    assert "Traceback" not in proc.stderr
