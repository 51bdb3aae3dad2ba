"""``aiweb3 game``: deploy, write a bot from plain language (the rule reader, and once the embedded
model), check a bad bot (one line naming the line and reason), register it on chain, play a staked
match on the node and replay it from chain events."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from typer.testing import CliRunner

from aiweb3.chain import Chain, Deployment
from aiweb3.cli.main import app, main
from aiweb3.games import Arena, MatchStatus
from aiweb3.games.botlang import parse_bot
from aiweb3.games.botstore import BotStore, registered_owner
from aiweb3.llm.runtime import RuntimeInfo

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]
STRATEGY = "rest when the enemy is far, attack when in range, otherwise defend"

pytestmark = pytest.mark.timeout(300)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    return {**env, "AIWEB3_HOME": str(home)}


def run(home: Path, *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env=_env(home))
    if result.exit_code != 0:
        raise AssertionError(f"aiweb3 {' '.join(args)} failed: {result.output}") from result.exception
    return result.output


def fail(home: Path, *args: str) -> str:
    """Through the real entry point: exit code 1, one line on stderr, no traceback."""
    proc = subprocess.run([*AIWEB3, *args], env=_env(home), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.strip().count("\n") == 0, proc.stderr
    return proc.stderr


def refused(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> str:
    """Through ``main`` in process (what the entry point runs): exit code 1 and one line on stderr."""
    for key in [k for k in os.environ if k.startswith("AIWEB3_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("AIWEB3_HOME", str(home))
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and err.strip().count("\n") == 0, err
    return err


def test_bot_from_words_fights_a_staked_match_on_chain(
    aiweb3_home: Path,
    chain: Chain,
    deployments: dict[str, Deployment],
    accounts: list[LocalAccount],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert "GameArena 0x" in run(aiweb3_home, "game", "up")
    out = run(aiweb3_home, "game", "bot", "new", STRATEGY, "--no-model", "--sims", "20")
    assert "In plain words" in out and "Otherwise: defend" in out and "rusher" in out
    bot = BotStore(aiweb3_home).list()[0]
    assert f"bot {bot.bot_id.hex()}" in out

    bad = tmp_path / "bad.bot"
    bad.write_text("when distance <= 2: attack\nwhen my_hp < 3: teleport\n")
    assert "line 2: unknown action 'teleport'" in fail(aiweb3_home, "game", "bot", "check", str(bad))
    loop = tmp_path / "loop.bot"
    loop.write_text("while enemy_hp > 0: attack\n")
    assert "line 1: loops are not allowed" in refused(
        aiweb3_home, capsys, monkeypatch, "game", "bot", "check", str(loop)
    )

    bot_ref = bot.bot_id.hex()[:10]
    assert "registered bot" in run(aiweb3_home, "game", "bot", "register", bot_ref, "--account", "dev:3")
    assert registered_owner(chain, aiweb3_home, bot) == accounts[2].address
    assert "registered already" in refused(
        aiweb3_home, capsys, monkeypatch, "game", "bot", "register", bot_ref
    )

    out = run(aiweb3_home, "game", "match", bot_ref, "rusher", "--stake", "2")
    assert "AIUSD paid out" in out and "transactions" in out
    arena = Arena.from_home(chain, aiweb3_home)
    match_id = arena.match_count()
    view = arena.match(match_id)
    assert view.status == MatchStatus.FINISHED and view.bots[0] == bot.bot_id
    assert bot.bot_id.hex()[:12] in run(aiweb3_home, "game", "league")
    replay = run(aiweb3_home, "game", "replay", str(match_id))
    assert f"match {match_id}: finished" in replay
    assert "no match 999" in refused(aiweb3_home, capsys, monkeypatch, "game", "replay", "999")

    out = run(aiweb3_home, "game", "open", bot_ref, "--stake", "1", "--account", "dev:1")
    open_id = out.split()[1]
    assert "pools: a 3" in run(aiweb3_home, "game", "bet", open_id, "a", "3", "--account", "dev:4")
    assert "side must be a" in refused(aiweb3_home, capsys, monkeypatch, "game", "bet", open_id, "c", "3")
    assert "NotSettled" in refused(
        aiweb3_home, capsys, monkeypatch, "game", "claim", open_id, "--account", "dev:4"
    )


def test_bot_new_with_the_embedded_model(llm_runtime: RuntimeInfo, aiweb3_home: Path) -> None:
    out = run(aiweb3_home, "game", "bot", "new", STRATEGY, "--sims", "0")
    bot_id = next(line.split()[1] for line in out.splitlines() if line.startswith("bot "))
    bot = parse_bot((aiweb3_home / "games" / "bots" / f"{bot_id}.bot").read_text())
    # whoever wrote it (the model, or the rule reader when the model's program missed what was
    # asked), the bot does everything the description names
    assert {"rest", "attack", "defend"} <= bot.actions_used()


def test_demo_runs_the_whole_game(
    aiweb3_home: Path, chain: Chain, deployments: dict[str, Deployment]
) -> None:
    out = run(aiweb3_home, "game", "demo", "--no-model")
    assert "written by the rule reader" in out
    assert "AI player" in out and "joins" in out
    assert "collects" in out and "AIUSD from the pool" in out
    assert "committed in one transaction" in out
    assert "fails and costs the challenger" in out and "epoch 0 is final" in out
