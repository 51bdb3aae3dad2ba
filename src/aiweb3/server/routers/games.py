"""Games: live and finished arena matches, replays drawn from chain events, bot leaderboards."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from aiweb3.errors import DeploymentError
from aiweb3.games import Arena, MatchStatus, MatchView, TurnRecord
from aiweb3.games.league import leaderboard
from aiweb3.server.features import Feature
from aiweb3.server.http import ApiError, services_of
from aiweb3.server.pages import render
from aiweb3.server.services import Services

__all__ = ["feature", "match_summaries"]

api = APIRouter(tags=["games"])
pages = APIRouter()
LIVE = (MatchStatus.OPEN, MatchStatus.COMMITTING, MatchStatus.REVEALING)


def _arena(services: Services) -> Arena | None:
    try:
        return Arena.from_home(services.chain, services.home)
    except DeploymentError:
        return None


def _match(v: MatchView) -> dict[str, Any]:
    fa, fb = v.fighters
    return {
        "match_id": v.match_id,
        "status": v.status.name.lower(),
        "live": v.status in LIVE,
        "a": v.a,
        "b": v.b,
        "stake": v.stake,
        "stake_aiusd": v.stake / 1e6,
        "turn": v.turn,
        "hp": [fa.hp, fb.hp],
        "winner": v.winner,
        "reason": v.reason.name.lower().replace("_", " "),
        "bots": ["0x" + v.bots[0].hex(), "0x" + v.bots[1].hex()],
    }


def _turn(t: TurnRecord) -> dict[str, Any]:
    names = ("rest", "up", "down", "left", "right", "attack", "defend")
    return {
        "turn": t.turn,
        "actions": [names[t.actions[0]], names[t.actions[1]]],
        "fighters": [vars(f) for f in t.fighters],
        "seed": "0x" + t.seed.hex(),
    }


def match_summaries(services: Services, limit: int = 50) -> list[dict[str, Any]]:
    """The latest matches, newest first (none when the game contracts are not deployed)."""
    arena = _arena(services)
    if arena is None:
        return []
    count = arena.match_count()
    return [_match(arena.match(i)) for i in range(count, max(0, count - limit), -1)]


def _standings(services: Services, by: str) -> list[dict[str, Any]]:
    arena = _arena(services)
    if arena is None:
        return []
    return [
        {
            "key": s.key,
            "played": s.played,
            "wins": s.wins,
            "losses": s.losses,
            "draws": s.draws,
            "points": s.points,
        }
        for s in leaderboard(arena, by=by)
    ]


def _replay(services: Services, match_id: int) -> dict[str, Any]:
    arena = _arena(services)
    if arena is None or not 1 <= match_id <= arena.match_count():
        raise ApiError(404, f"no match {match_id}; play one with `aiweb3 game match`", field="match_id")
    return {**_match(arena.match(match_id)), "turns": [_turn(t) for t in arena.turns(match_id)]}


@api.get("/games/matches", summary="Arena matches, newest first")
def list_matches(request: Request) -> dict[str, Any]:
    """Each with its status, players, stake, hit points and winner."""
    return {"matches": match_summaries(services_of(request))}


@api.get("/games/matches/{match_id}", summary="One match and its replay from chain events")
def get_match(request: Request, match_id: int) -> dict[str, Any]:
    """Every resolved turn (both actions, both fighters after it, the turn's seed); 404 for an unknown id."""
    return _replay(services_of(request), match_id)


@api.get("/games/league", summary="Leaderboard of bots (or players)")
def get_league(request: Request, by: str = "bot") -> dict[str, Any]:
    """Standings from finished matches: three points a win, one a draw."""
    if by not in ("bot", "player"):
        raise ApiError(422, f"by must be bot or player, not {by!r}", field="by")
    return {"by": by, "standings": _standings(services_of(request), by)}


@pages.get("/games", response_class=HTMLResponse)
def games_page(request: Request) -> HTMLResponse:
    """Live matches, recent results and the bot leaderboard."""
    services = services_of(request)
    matches = match_summaries(services)
    return render(
        request,
        "games.html",
        "games",
        live=[m for m in matches if m["live"]],
        finished=[m for m in matches if not m["live"]][:20],
        league=_standings(services, "bot")[:20],
    )


@pages.get("/games/matches/{match_id}", response_class=HTMLResponse)
def match_page(request: Request, match_id: int) -> HTMLResponse:
    """A match replayed turn by turn from its TurnResolved events."""
    return render(request, "game_match.html", "games", match=_replay(services_of(request), match_id))


feature = Feature(
    "games",
    "Games",
    "/games",
    "An arena on chain: bots written in plain language fight for wagers, replays from chain events.",
    api=api,
    pages=pages,
)
