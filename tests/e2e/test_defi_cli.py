"""`aiweb3 defi up|pools` against its own local node: the happy path in process (CliRunner), bad
input through the real entry point (one line on stderr, exit code 1, no traceback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiweb3.cli.main import app

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("aiweb3-defi-cli")
    try:
        yield path
    finally:
        subprocess.run([*AIWEB3, "node", "stop"], env=_env(path), capture_output=True, timeout=60)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    return {**env, "AIWEB3_HOME": str(home), "COLUMNS": "200"}


def run(home: Path, *args: str, ok: bool = True) -> str:
    if ok:
        result = CliRunner().invoke(app, list(args), env=_env(home))
        if result.exit_code != 0:
            raise AssertionError(f"aiweb3 {' '.join(args)} failed: {result.output}") from result.exception
        return result.output
    proc = subprocess.run([*AIWEB3, *args], env=_env(home), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stderr


def test_defi_up_and_pools(home: Path) -> None:
    assert "no pools yet" in run(home, "defi", "pools")
    out = run(home, "defi", "up", "--price", "2500")
    assert "UniswapV3Factory" in out and "price: 2500.0000 TUSD per TETH" in out
    again = run(home, "defi", "up")
    assert "nothing seeded" in again and "price: 2500.0000" in again
    pools = run(home, "defi", "pools")
    assert "TETH/TUSD" in pools and "0.30%" in pools and "2500.0000" in pools


def test_defi_bad_input_is_one_line(home: Path) -> None:
    err = run(home, "defi", "up", "--fee", "123", ok=False)
    assert "fee tier 123 is not enabled" in err and len(err.strip().splitlines()) == 1


def test_defi_backtest_prints_plots_and_records(home: Path, tmp_path: Path) -> None:
    plot, runs = tmp_path / "bt.png", tmp_path / "bt.json"
    out = run(
        home, "defi", "backtest", "--strategy", "passive,fixed", "--seeds", "1", "--steps", "24",
        "--plot", str(plot), "--json", str(runs),
    )  # fmt: skip
    assert "passive" in out and "fixed" in out and "after gas" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(runs.read_text())
    assert [r["strategy"] for r in data["runs"]] == ["passive", "fixed"]
    assert all(r["seed"] == 1000 and r["swaps"] > 0 and r["hold_value"] > 0 for r in data["runs"])
    # fees from the pool's Collect/Burn events: the narrow re-centred range earns more than full range
    passive, fixed = data["runs"]
    assert 0 < passive["fees"] < fixed["fees"]
    for r in data["runs"]:
        assert r["impermanent_loss"] == pytest.approx(r["net_vs_hold"] - r["fees"] / r["hold_value"])
    # kept for the dashboard's DeFi page
    kept = json.loads((home / "defi" / "backtests" / "lp.json").read_text())
    assert kept["seeds"] == [1000] and set(kept["summary"]) == {"passive", "fixed"}
    assert (home / "defi" / "backtests" / "lp.png").read_bytes()[:4] == b"\x89PNG"
    err = run(home, "defi", "backtest", "--strategy", "passive,yolo", ok=False)
    assert "unknown strategy 'yolo'" in err and len(err.strip().splitlines()) == 1


def test_defi_structured_backtest(home: Path, tmp_path: Path) -> None:
    plot = tmp_path / "structured.png"
    out = run(
        home, "defi", "structured", "backtest", "--strategy", "lending,lp,split", "--seeds", "1",
        "--steps", "48", "--plot", str(plot),
    )  # fmt: skip
    assert "lending" in out and "split" in out and "after gas" in out
    kept = json.loads((home / "defi" / "backtests" / "structured.json").read_text())
    runs = {r["strategy"]: r for r in kept["runs"]}
    assert runs["lending"]["mean_allocation"] == 0 and runs["lp"]["mean_allocation"] == 1
    assert runs["split"]["mean_allocation"] == 0.5 and all(
        1 <= r["epochs"] <= 2 for r in runs.values()
    )  # the TWAP guard may hold one back
    assert plot.read_bytes()[:4] == b"\x89PNG"
    err = run(home, "defi", "structured", "backtest", "--strategy", "lending,yolo", ok=False)
    assert "unknown strategy 'yolo'" in err and len(err.strip().splitlines()) == 1


def _advance(home: Path, seconds: int) -> None:
    from aiweb3.chain import Chain, LocalNode, NodeConfig

    info = LocalNode(NodeConfig(home=home)).info()
    assert info is not None
    with Chain(info.url) as chain:
        chain.rpc("evm_increaseTime", [seconds])
        chain.rpc("evm_mine", [])


def test_defi_vaults_lp_and_rebalance(home: Path) -> None:
    run(home, "defi", "up")
    run(home, "deploy")
    _advance(home, 600)  # four TWAP windows of pool history
    assert "keeper-managed" in run(home, "defi", "vault", "plain", "--twap-window", "60")
    assert "proven AI" in run(home, "defi", "vault", "smart", "--proven", "--twap-window", "60")
    for name in ("plain", "smart"):
        assert "shares" in run(home, "defi", "lp", "deposit", name, "2", "4000", "--mint")
    assert "base range [" in run(home, "defi", "rebalance", "plain", "--half-width", "1200")
    out = run(home, "defi", "rebalance", "smart")
    assert "proof verified on chain" in out and "base range [" in out
    assert "holds" in run(home, "defi", "lp", "show", "smart")
    assert "withdrew" in run(home, "defi", "lp", "withdraw", "smart")
    err = run(home, "defi", "lp", "show", "nope", ok=False)
    assert "no vault 'nope'" in err and len(err.strip().splitlines()) == 1
