"""The games routes of the service against a real node: matches, a replay drawn from chain events,
the bot leaderboard, and the dashboard pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment
from aiweb3.errors import DeploymentError
from aiweb3.games import Arena, deploy_games
from aiweb3.games.arena import bot_mover
from aiweb3.games.simulate import reference_bot
from aiweb3.server import ServerConfig, Services, serve


@pytest.fixture(scope="module")
def client(module_home: Path, chain: Chain, deployments: dict[str, Deployment]) -> Iterator[httpx.Client]:
    handle = serve(Services.open(ServerConfig(home=module_home, port=0), chain))
    try:
        with httpx.Client(base_url=handle.url, timeout=60) as c:
            yield c
    finally:
        handle.stop()


def test_matches_replays_and_league(
    client: httpx.Client,
    module_home: Path,
    chain: Chain,
    deployer: LocalAccount,
    accounts: list[LocalAccount],
) -> None:
    assert client.get("/api/games/matches").json() == {"matches": []}  # not deployed yet: empty
    assert "No live matches" in client.get("/games").text
    arena = Arena(chain, deploy_games(chain, deployer, module_home)["GameArena"].address)
    rusher, turtle = reference_bot("rusher"), reference_bot("turtle")
    p, q = accounts[0], accounts[1]
    done = arena.create(p, stake=10**6, timeout=600, bot=rusher.bot_id)
    arena.join(q, done, bot=turtle.bot_id)
    played = arena.play(done, (p, q), (bot_mover(rusher), bot_mover(turtle)))
    live = arena.create(q, stake=2 * 10**6, timeout=600)

    matches = {m["match_id"]: m for m in client.get("/api/games/matches").json()["matches"]}
    assert matches[live]["live"] and matches[live]["status"] == "open" and matches[live]["stake_aiusd"] == 2
    assert matches[done]["winner"] == played.view.winner == p.address and not matches[done]["live"]
    replay = client.get(f"/api/games/matches/{done}").json()
    assert len(replay["turns"]) == len(played.turns)
    last = replay["turns"][-1]
    assert last["fighters"][1]["hp"] == 0 and last["actions"][0] == "attack"
    assert client.get("/api/games/matches/999").status_code == 404
    league = client.get("/api/games/league").json()["standings"]
    assert league[0]["key"] == rusher.bot_id.hex() and league[0]["points"] == 3
    assert client.get("/api/games/league", params={"by": "team"}).status_code == 422

    page = client.get("/games").text
    assert f'href="/games/matches/{done}"' in page and f'href="/games/matches/{live}"' in page
    assert rusher.bot_id.hex()[:12] in page
    detail = client.get(f"/games/matches/{done}").text
    assert "Replay from chain events" in detail and detail.count("<tr>") >= len(played.turns)


def test_an_arena_recorded_but_gone_from_the_chain_shows_as_not_deployed(
    chain: Chain, deployer: LocalAccount, aiweb3_home: Path, tmp_path: Path
) -> None:
    """A deployments file that outlived its chain (a node reset, a reverted snapshot) names a
    GameArena address with no code: the page shows the empty state instead of failing."""
    book = f"deployments/{chain.chain_id}.json"
    (tmp_path / "deployments").mkdir()
    (tmp_path / book).write_bytes((aiweb3_home / book).read_bytes())  # the system contracts only
    snapshot = chain.snapshot()
    address = deploy_games(chain, deployer, tmp_path)["GameArena"].address
    chain.revert(snapshot)
    assert not chain.code(address)
    with pytest.raises(DeploymentError, match="no code there"):
        Arena.from_home(chain, tmp_path)
    handle = serve(Services.open(ServerConfig(home=tmp_path, port=0), chain))
    try:
        with httpx.Client(base_url=handle.url, timeout=60) as c:
            assert c.get("/games").status_code == 200
            assert c.get("/api/games/matches").json() == {"matches": []}
    finally:
        handle.stop()
