"""``aiweb3 game up|bot|match|replay`` — the arena, bots from plain language, matches on chain."""

from __future__ import annotations

import typer
from rich.table import Table

from aiweb3.chain import Deployments
from aiweb3.cli.account import fmt_amount, parse_amount
from aiweb3.cli.context import Context, console, err_console
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import DeploymentError
from aiweb3.games import Arena, TurnRecord, deploy_games
from aiweb3.games.arena import bot_mover
from aiweb3.games.botlang import Bot, describe
from aiweb3.games.botstore import BotStore, register_bot
from aiweb3.games.compose import BotDraft, refine_bot, write_bot
from aiweb3.games.rules import Action
from aiweb3.games.simulate import REFERENCE_BOTS, reference_bot, win_rate

__all__ = ["app"]

app = typer.Typer(help="On-chain games: the arena, bots from plain language, matches.", no_args_is_help=True)
bot_app = typer.Typer(
    help="Bots: write from plain language, check, simulate, register.", no_args_is_help=True
)
app.add_typer(bot_app, name="bot")


def _arena(ctx: Context) -> Arena:
    chain = ctx.chain
    try:
        Deployments(ctx.settings.home, chain.chain_id).address("BetMarket")
        return Arena.from_home(chain, ctx.settings.home)
    except DeploymentError:
        if chain.chain_id != LOCAL_CHAIN_ID:
            raise DeploymentError(
                "the game contracts are not deployed on this chain; run `aiweb3 game up`"
            ) from None
    from aiweb3.chain import dev_account

    err_console.print("[dim]deploying the game contracts on the local chain…[/dim]")
    deploy_games(chain, dev_account(0), ctx.settings.home)
    return Arena.from_home(chain, ctx.settings.home)


@app.command()
def up(account: str | None = typer.Option(None, help="Deployer: keystore name/address or dev:N.")) -> None:
    """Deploy the game contracts (the arena and the bot registry; reused when unchanged)."""
    ctx = Context()
    deployed = deploy_games(
        ctx.chain,
        ctx.signer(account),
        ctx.settings.home,
        on_progress=lambda n, how: err_console.print(f"[dim]{n}: {how}[/dim]"),
    )
    for name in ("GameArena", "BotRegistry", "BetMarket"):
        console.print(f"{name} {deployed[name].address}")


def _show(bot: Bot, draft: BotDraft | None, store: BotStore, against: int) -> None:
    path = store.save(bot)
    if draft is not None:
        by = "the language model" if draft.author == "model" else "the rule reader"
        err_console.print(f"[dim]written by {by}{f' ({draft.note})' if draft.note else ''}[/dim]")
        if draft.rejected is not None:
            err_console.print("[dim]the model's program, set aside:[/dim]")
            err_console.print(draft.rejected.source().rstrip(), highlight=False, markup=False)
    console.print(bot.source().rstrip(), highlight=False, markup=False)
    console.print("\n[bold]In plain words[/bold]")
    console.print(describe(bot), highlight=False, markup=False)
    if against:
        table = Table("against", "won", "lost", "drawn", "win rate")
        for name in REFERENCE_BOTS:
            rec = win_rate(bot, reference_bot(name), against)
            table.add_row(name, str(rec.wins), str(rec.losses), str(rec.draws), f"{rec.win_rate:.0%}")
        console.print(table)
    err_console.print(f"[dim]saved to {path}[/dim]", highlight=False)
    console.print(f"bot {bot.bot_id.hex()}", highlight=False, soft_wrap=True)


def _model(use_model: bool) -> object | None:
    if not use_model:
        return None
    from aiweb3.llm import LLMConfig, load_model

    return load_model(LLMConfig.from_env(), embedded=True)


@bot_app.command("new")
def bot_new(
    description: str = typer.Argument(
        ..., help='The strategy in words, e.g. "attack when the enemy is low".'
    ),
    model: bool = typer.Option(
        True, "--model/--no-model", help="Ask the language model (else the rule reader)."
    ),
    sims: int = typer.Option(100, help="Matches simulated against each reference bot (0: none)."),
) -> None:
    """Write a bot from a plain-language strategy: checked, simulated, shown back in plain words."""
    ctx = Context()
    draft = write_bot(description, _model(model))  # type: ignore[arg-type]
    _show(draft.bot, draft, BotStore(ctx.settings.home), sims)


@bot_app.command("refine")
def bot_refine(
    bot: str = typer.Argument(
        ..., help="The bot to change: a stored id (prefix), a file or a reference bot."
    ),
    instruction: str = typer.Argument(..., help='What to change, e.g. "retreat when my hp is under 4".'),
    model: bool = typer.Option(
        True, "--model/--no-model", help="Ask the language model (else the rule reader)."
    ),
    sims: int = typer.Option(100, help="Matches simulated against each reference bot (0: none)."),
) -> None:
    """Refine a bot with a follow-up instruction (a new bot: bots are named by their content)."""
    ctx = Context()
    store = BotStore(ctx.settings.home)
    draft = refine_bot(store.load(bot), instruction, _model(model))  # type: ignore[arg-type]
    _show(draft.bot, draft, store, sims)


@bot_app.command("check")
def bot_check(path: str = typer.Argument(..., help="A bot program file (or a stored id).")) -> None:
    """Check a bot program; a bad one is refused with its line and the reason."""
    bot = BotStore(Context().settings.home).load(path)
    console.print(describe(bot), highlight=False, markup=False)
    console.print(f"ok: bot {bot.bot_id.hex()}", highlight=False)


@bot_app.command("sim")
def bot_sim(
    bot: str = typer.Argument(..., help="A stored id (prefix), a file or a reference bot."),
    against: str = typer.Option("rusher", help=f"Opponent: {', '.join(REFERENCE_BOTS)} or any bot."),
    matches: int = typer.Option(200, min=1, max=100_000, help="How many matches."),
) -> None:
    """Simulate matches off chain with the mirrored rules."""
    store = BotStore(Context().settings.home)
    rec = win_rate(store.load(bot), store.load(against), matches)
    console.print(
        f"won {rec.wins}, lost {rec.losses}, drawn {rec.draws} of {rec.games}: win rate {rec.win_rate:.1%}"
    )


@bot_app.command("list")
def bot_list() -> None:
    """List stored bots."""
    bots = BotStore(Context().settings.home).list()
    if not bots:
        console.print('no bots yet; write one with `aiweb3 game bot new "..."`')
    for b in bots:
        console.print(f"{b.bot_id.hex()}  {len(b.rules)} rules, otherwise {b.otherwise}", highlight=False)


@bot_app.command("register")
def bot_register(
    bot: str = typer.Argument(..., help="A stored id (prefix) or a file."),
    account: str | None = typer.Option(None, help="Owner: keystore name/address or dev:N."),
) -> None:
    """Register a bot on chain as the account's (by its content id)."""
    ctx = Context()
    _arena(ctx)  # the game contracts exist
    b = BotStore(ctx.settings.home).load(bot)
    owner = ctx.signer(account)
    block = register_bot(ctx.chain, ctx.settings.home, owner, b)
    console.print(f"registered bot {b.bot_id.hex()} to {owner.address} (block {block})", highlight=False)


@app.command("match")
def match(
    bot_a: str = typer.Argument(..., help="First bot: a stored id (prefix), a file or a reference bot."),
    bot_b: str = typer.Argument(..., help="Second bot."),
    stake: str = typer.Option("0", help="Each player's stake in AIUSD (winner takes both)."),
    account_a: str = typer.Option("dev:1", help="First player's account."),
    account_b: str = typer.Option("dev:2", help="Second player's account."),
    timeout: int = typer.Option(300, help="Seconds each phase may take before a forfeit."),
) -> None:
    """Play a match on chain between two bots (commit, reveal, resolve, every turn)."""
    ctx = Context()
    arena = _arena(ctx)
    store = BotStore(ctx.settings.home)
    bots = store.load(bot_a), store.load(bot_b)
    players = ctx.signer(account_a), ctx.signer(account_b)
    units = parse_amount(stake)
    match_id = arena.create(
        players[0], stake=units, opponent=players[1].address, timeout=timeout, bot=bots[0].bot_id
    )
    arena.join(players[1], match_id, bot=bots[1].bot_id)
    played = arena.play(match_id, players, (bot_mover(bots[0]), bot_mover(bots[1])))
    _print_turns(played.turns)
    view = played.view
    result = "draw" if view.winner is None else f"winner {view.winner}"
    paid = f"; {fmt_amount(2 * units)} AIUSD paid out" if units else ""
    reason = view.reason.name.lower().replace("_", " ")
    console.print(
        f"match {match_id}: {result} ({reason}) after {len(played.turns)} turns; "
        f"{played.transactions} transactions, {played.gas:,} gas{paid}",
        highlight=False,
    )


def _print_turns(turns: list[TurnRecord]) -> None:
    table = Table("turn", "A does", "B does", "A (x,y) hp en", "B (x,y) hp en")
    for t in turns:
        fa, fb = t.fighters
        table.add_row(
            str(t.turn),
            Action(t.actions[0]).name.lower(),
            Action(t.actions[1]).name.lower(),
            f"({fa.x},{fa.y}) {fa.hp} {fa.energy}",
            f"({fb.x},{fb.y}) {fb.hp} {fb.energy}",
        )
    console.print(table)


@app.command()
def replay(match_id: int = typer.Argument(..., help="The match id.")) -> None:
    """Replay a match from the chain's events."""
    ctx = Context()
    arena = _arena(ctx)
    view = arena.match(match_id)
    if view.status.name == "NONE":
        from aiweb3.errors import InputError

        raise InputError(f"no match {match_id} on this chain ({arena.match_count()} so far)")
    _print_turns(arena.turns(match_id))
    console.print(f"match {match_id}: {view.status.name.lower()}, winner {view.winner or 'none (draw)'}",
                  highlight=False)  # fmt: skip


@app.command("open")
def open_match(
    bot: str = typer.Argument(..., help="Your bot: a stored id (prefix), a file or a reference bot."),
    stake: str = typer.Option("0", help="Your stake in AIUSD (the joiner matches it; winner takes both)."),
    opponent: str | None = typer.Option(None, help="Only this address may join (default: anyone)."),
    account: str = typer.Option("dev:1", help="Your account."),
    timeout: int = typer.Option(300, help="Seconds each phase may take before a forfeit."),
) -> None:
    """Open a match and wait for an opponent; spectators may bet on it until it starts."""
    ctx = Context()
    arena = _arena(ctx)
    b = BotStore(ctx.settings.home).load(bot)
    match_id = arena.create(ctx.signer(account), stake=parse_amount(stake), opponent=opponent,
                            timeout=timeout, bot=b.bot_id)  # fmt: skip
    console.print(f"match {match_id} open (stake {stake} AIUSD, bot {b.bot_id.hex()[:12]})", highlight=False)


@app.command()
def bet(
    match_id: int = typer.Argument(..., help="The match id."),
    side: str = typer.Argument(..., help="a (the match's creator) or b (the joiner)."),
    amount: str = typer.Argument(..., help="AIUSD to bet."),
    account: str | None = typer.Option(None, help="The bettor's account."),
) -> None:
    """Bet on a match before it starts (parimutuel: winners share the pool)."""
    from aiweb3.errors import InputError
    from aiweb3.games.betting import BetMarket

    if side.lower() not in ("a", "b"):
        raise InputError(f"side must be a (the creator) or b (the joiner), not {side!r}")
    ctx = Context()
    _arena(ctx)
    market = BetMarket.from_home(ctx.chain, ctx.settings.home)
    market.bet(ctx.signer(account), match_id, 0 if side.lower() == "a" else 1, parse_amount(amount))
    pools = market.pools(match_id)
    console.print(f"bet placed; pools: a {fmt_amount(pools.on_a)}, b {fmt_amount(pools.on_b)} AIUSD")


@app.command()
def claim(
    match_id: int = typer.Argument(..., help="The match id."),
    account: str | None = typer.Option(None, help="The bettor's account."),
) -> None:
    """Collect winnings (or a refund) from a settled match's betting pool."""
    from aiweb3.games.betting import BetMarket

    ctx = Context()
    _arena(ctx)
    paid = BetMarket.from_home(ctx.chain, ctx.settings.home).claim(ctx.signer(account), match_id)
    console.print(f"paid {fmt_amount(paid)} AIUSD")


@app.command()
def demo(
    description: str = typer.Argument(
        "keep distance, attack when the enemy is low, defend when my energy is under 3",
        help="Your bot's strategy in words.",
    ),
    model: bool = typer.Option(
        True, "--model/--no-model", help="Ask the language model (else the rule reader)."
    ),
) -> None:
    """The whole game on the local chain: your bot from words fights an AI player's bot for a
    wager, a spectator's bet settles, NPC epochs are committed and a false challenge fails."""
    from aiweb3.errors import InputError
    from aiweb3.games.demo import run_demo

    ctx = Context()
    if ctx.chain.chain_id != LOCAL_CHAIN_ID:
        raise InputError("the demo uses dev accounts: run it on the local chain (no --rpc-url)")
    run_demo(ctx.chain, ctx.settings.home, description, llm=_model(model),  # type: ignore[arg-type]
             say=lambda line: console.print(line, highlight=False, markup=False))  # fmt: skip


@app.command()
def league(
    by: str = typer.Option("bot", help="Rank bots or players: bot|player."),
    top: int = typer.Option(20, min=1, help="How many rows."),
) -> None:
    """The leaderboard, from the arena's finished matches on chain."""
    from aiweb3.errors import InputError
    from aiweb3.games.league import leaderboard

    if by not in ("bot", "player"):
        raise InputError(f"--by must be bot or player, not {by!r}")
    rows = leaderboard(_arena(Context()), by=by)
    if not rows:
        console.print("no finished matches yet; play one with `aiweb3 game match <bot> rusher`")
        return
    table = Table("#", by, "played", "won", "lost", "drawn", "points")
    for n, r in enumerate(rows[:top], 1):
        name = r.key[:12] if by == "bot" else r.key
        table.add_row(str(n), name, str(r.played), str(r.wins), str(r.losses), str(r.draws), str(r.points))
    console.print(table)
