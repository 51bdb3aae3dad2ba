"""``aiweb3 agent new|list|show|fund|policy|pay``, ``aiweb3 task post|list|show``, ``aiweb3 agents demo``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from aiweb3.agents import (
    PRIVACY_MODES,
    AgentWallet,
    PaymentLog,
    SpendPolicy,
    TaskEscrow,
    TaskTerms,
    TokenInfo,
)
from aiweb3.agents.runtime import Step
from aiweb3.chain import Deployments, artifact, checksum, deploy_system, dev_account
from aiweb3.cli.account import check_faucet, fmt_amount, parse_amount
from aiweb3.cli.context import Context, console, err_console
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import DeploymentError, InputError, PolicyViolation
from aiweb3.files import atomic_write_json
from aiweb3.privacy import STEALTH_MODE, StealthRoute

__all__ = ["agent_app", "agents_app", "task_app"]

agent_app = typer.Typer(help="Agent wallets with spend policies.", no_args_is_help=True)
task_app = typer.Typer(help="Tasks in the TaskEscrow contract.", no_args_is_help=True)
agents_app = typer.Typer(help="Agent runtime demos.", no_args_is_help=True)


@agents_app.callback()
def _agents() -> None:
    """Agent runtime demos."""  # a callback keeps `agents` a group: typer collapses one-command apps


def _dir(ctx: Context, name: str) -> Path:
    if not name or "/" in name or name.startswith("."):
        raise InputError(f"{name!r} is not an agent name")
    return ctx.settings.home / "agents" / name


def _deployments(ctx: Context) -> Deployments:
    chain = ctx.chain
    book = Deployments(ctx.settings.home, chain.chain_id)
    try:
        book.address("AgentRegistry")
    except DeploymentError:
        if chain.chain_id != LOCAL_CHAIN_ID:
            raise
        err_console.print("[dim]deploying the system contracts on the local chain…[/dim]")
        deploy_system(chain, dev_account(0), ctx.settings.home)
    return book


def _token(ctx: Context) -> TokenInfo:
    return TokenInfo(_deployments(ctx).address("AIUSD"), ctx.chain.chain_id)


def _agent(ctx: Context, name: str) -> dict[str, str]:
    path = _dir(ctx, name) / "agent.json"
    if not path.is_file():
        raise InputError(f"no agent {name!r}; create it with `aiweb3 agent new {name}`")
    return dict(json.loads(path.read_text()))


def _wallet(ctx: Context, name: str) -> AgentWallet:
    info = _agent(ctx, name)
    policy = SpendPolicy.load(_dir(ctx, name) / "policy.json")
    routes = [StealthRoute(ctx.chain, ctx.settings.home)] if policy.privacy == STEALTH_MODE else []
    return AgentWallet.from_keystore(ctx.keystore, info["account"], ctx.password(), policy,
                                     log_path=_dir(ctx, name) / "payments.json", routes=routes)  # fmt: skip


@agent_app.command()
def new(
    name: str = typer.Argument(..., help="Agent name (also its keystore account name)."),
    per_payment: str = typer.Option("1", help="Per-payment limit in AIUSD."),
    daily: str = typer.Option("10", help="Daily limit in AIUSD."),
) -> None:
    """Create an agent: a keystore key and a spend policy allowing AIUSD and the escrow only."""
    ctx = Context()
    if (_dir(ctx, name) / "agent.json").exists():
        raise InputError(f"agent {name!r} exists already")
    book = _deployments(ctx)
    entry = ctx.keystore.new(name, ctx.password("New keystore password: ", confirm=True))
    escrow = book.address("TaskEscrow")
    # The escrow is a counterparty too: an open task's budget goes to it until someone accepts.
    policy = SpendPolicy(parse_amount(per_payment), parse_amount(daily)).allowing(
        tokens=[book.address("AIUSD")],
        counterparties=[escrow],
        contracts=[escrow, book.address("AgentRegistry")],
    )
    policy.save(_dir(ctx, name) / "policy.json")
    atomic_write_json(_dir(ctx, name) / "agent.json", {"name": name, "account": entry.name,
                                                        "address": entry.address})  # fmt: skip
    console.print(f"created agent {name}: {entry.address}")
    console.print(f"policy: {per_payment} AIUSD per payment, {daily} AIUSD per day; pays the escrow only "
                  f"(`aiweb3 agent policy {name} --allow-counterparty ADDRESS` for others)")  # fmt: skip


@agent_app.command("list")
def list_() -> None:
    """List agents with their AIUSD balance and today's spending."""
    ctx = Context()
    root = ctx.settings.home / "agents"
    names = sorted(p.name for p in root.iterdir() if (p / "agent.json").is_file()) if root.is_dir() else []
    if not names:
        console.print("no agents yet; create one with `aiweb3 agent new NAME`")
        return
    aiusd = ctx.chain.contract(artifact("AIUSD").abi, _token(ctx).address)
    table = Table("agent", "address", "AIUSD", "spent today", "daily limit")
    for name in names:
        info = _agent(ctx, name)
        policy = SpendPolicy.load(_dir(ctx, name) / "policy.json")
        log = PaymentLog(_dir(ctx, name) / "payments.json")
        balance = int(ctx.chain.call(aiusd.functions.balanceOf(info["address"])))
        table.add_row(name, info["address"], fmt_amount(balance), fmt_amount(log.spent_on(log.today())),
                      fmt_amount(policy.daily_limit))  # fmt: skip
    console.print(table)


def _print_policy(ctx: Context, policy: SpendPolicy) -> None:
    """The limits and allow lists, one per line, system contracts named (e.g. AIUSD, TaskEscrow)."""
    book = Deployments(ctx.settings.home, ctx.chain.chain_id).load()
    names = {dep.address: dep.name for dep in book.values()}
    console.print(
        f"  per payment {fmt_amount(policy.per_payment_limit)} AIUSD, "
        f"daily {fmt_amount(policy.daily_limit)} AIUSD",
        highlight=False,
    )
    privacy = {
        "any": "any (plain payments allowed)",
        STEALTH_MODE: "stealth (one-time addresses of registered meta-addresses; plain payments refused)",
    }
    console.print(f"  privacy: {privacy.get(policy.privacy, policy.privacy)}", highlight=False)
    lists = {
        "tokens": policy.allowed_tokens,
        "counterparties": policy.allowed_counterparties,
        "contracts": policy.allowed_contracts,
    }
    for label, values in lists.items():
        shown = [f"{a} ({names[a]})" if a in names else a for a in sorted(values)]
        console.print(f"  {label}:{' (none)' if not shown else ''}", highlight=False)
        for line in shown:
            console.print(f"    {line}", highlight=False, soft_wrap=True)


@agent_app.command()
def show(
    name: str = typer.Argument(...), payments: int = typer.Option(10, help="Recent payments shown.")
) -> None:
    """Show an agent's policy and its recent payments (signed and refused)."""
    ctx = Context()
    info = _agent(ctx, name)
    policy = SpendPolicy.load(_dir(ctx, name) / "policy.json")
    console.print(f"[bold]{name}[/bold] {info['address']}")
    _print_policy(ctx, policy)
    log = PaymentLog(_dir(ctx, name) / "payments.json")
    table = Table("status", "kind", "mode", "to", "AIUSD", "purpose / reason")
    for rec in log.records[-payments:]:
        note = rec.reason or rec.purpose
        table.add_row(rec.status, rec.kind, rec.mode, rec.to, fmt_amount(rec.amount), note)
    console.print(table if log.records else "  no payments yet")


@agent_app.command()
def fund(
    name: str = typer.Argument(...),
    amount: str = typer.Option(..., help="AIUSD to give the agent."),
    account: str | None = typer.Option(None, help="Payer (default: the faucet on the local chain)."),
) -> None:
    """Give an agent AIUSD (and gas money on the local chain)."""
    ctx = Context()
    info = _agent(ctx, name)
    units = parse_amount(amount)
    aiusd = ctx.chain.contract(artifact("AIUSD").abi, _token(ctx).address)
    if ctx.chain.chain_id == LOCAL_CHAIN_ID and account is None:
        check_faucet(ctx, aiusd, units)
        ctx.chain.transact(dev_account(0), aiusd.functions.faucet(info["address"], units))
        if ctx.chain.balance(info["address"]) < 10**17:
            ctx.chain.set_balance(info["address"], 10**18)
    else:
        ctx.chain.transact(ctx.signer(account), aiusd.functions.transfer(info["address"], units))
    balance = int(ctx.chain.call(aiusd.functions.balanceOf(info["address"])))
    console.print(f"funded {name} with {amount} AIUSD; balance {fmt_amount(balance)} AIUSD")


@agent_app.command()
def pay(
    name: str = typer.Argument(...),
    to: str = typer.Option(
        ..., help="The payee's address (with --privacy stealth: one that registered a stealth meta-address)."
    ),
    amount: str = typer.Option(..., help="AIUSD to pay."),
    purpose: str = typer.Option("", help="Kept in the payment log."),
) -> None:
    """Pay AIUSD from the agent within its policy (it pays the gas); with a stealth policy, to a
    fresh one-time address of the payee, announced (ERC-5564)."""
    ctx = Context()
    if not to.startswith("0x") or len(to) != 42:
        raise InputError(f"--to {to!r} is not an address (0x followed by 40 hex digits)")
    wallet = _wallet(ctx, name)
    paid = wallet.transfer(ctx.chain, _token(ctx), checksum(to), parse_amount(amount), purpose=purpose)
    if paid.mode == "plain":
        console.print(f"paid {fmt_amount(paid.amount)} AIUSD to {paid.to} in {paid.transfer_tx}")
    else:
        console.print(f"paid {fmt_amount(paid.amount)} AIUSD to {paid.to} at one-time address {paid.address}")
        console.print(f"announced in {paid.published_tx}; transferred in {paid.transfer_tx}")


@agent_app.command()
def policy(
    name: str = typer.Argument(...),
    per_payment: str | None = typer.Option(None, help="Per-payment limit in AIUSD."),
    daily: str | None = typer.Option(None, help="Daily limit in AIUSD."),
    allow_counterparty: list[str] = typer.Option([], help="Address the agent may pay (repeatable)."),
    allow_contract: list[str] = typer.Option([], help="Contract the agent may sign for (repeatable)."),
    allow_token: list[str] = typer.Option([], help="Token the agent may pay in (repeatable)."),
    revoke: list[str] = typer.Option([], help="Address to remove from every allow list (repeatable)."),
    privacy: str | None = typer.Option(
        None,
        help="'stealth': pay only one-time addresses of the payee's registered stealth meta-address "
        "(ERC-5564/6538), refusing plain payments; 'any': allow plain payments.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the policy as JSON."),
) -> None:
    """Change an agent's spend policy (only its owner, who holds the files, can)."""
    ctx = Context()
    path = _dir(ctx, name) / "policy.json"
    _agent(ctx, name)
    current = SpendPolicy.load(path)
    updated = SpendPolicy(
        parse_amount(per_payment) if per_payment is not None else current.per_payment_limit,
        parse_amount(daily) if daily is not None else current.daily_limit,
        current.allowed_tokens, current.allowed_counterparties, current.allowed_contracts,
    ).allowing(tokens=allow_token, counterparties=allow_counterparty, contracts=allow_contract)  # fmt: skip
    gone = {checksum(a) for a in revoke}
    if privacy is not None and privacy not in PRIVACY_MODES:
        raise InputError(f"--privacy {privacy!r}: choose one of {', '.join(PRIVACY_MODES)}")
    updated = SpendPolicy(
        updated.per_payment_limit,
        updated.daily_limit,
        updated.allowed_tokens - gone,
        updated.allowed_counterparties - gone,
        updated.allowed_contracts - gone,
        privacy=current.privacy if privacy is None else privacy,
    )
    if updated != current:
        updated.save(path)
    if as_json:
        typer.echo(json.dumps(updated.to_json(), indent=2))
        return
    console.print(f"[bold]{name}[/bold] spend policy{' (updated)' if updated != current else ''}")
    _print_policy(ctx, updated)


# -- tasks --------------------------------------------------------------------------------------


def _escrow(ctx: Context) -> TaskEscrow:
    book = _deployments(ctx)
    return TaskEscrow(
        ctx.chain, book.address("TaskEscrow"), TokenInfo(book.address("AIUSD"), ctx.chain.chain_id)
    )


@task_app.command()
def post(
    agent: str = typer.Option(..., help="The requesting agent (pays the budget within its policy)."),
    budget: str = typer.Option(..., help="Budget in AIUSD."),
    arbiter: str = typer.Option(..., help="Address that settles a dispute."),
    spec: str = typer.Option(..., help="What to do (or its content id)."),
    provider: str | None = typer.Option(None, help="Only this address may accept (default: anyone)."),
    accept_within: int = typer.Option(3600, help="Seconds until the accept deadline."),
    deliver_within: int = typer.Option(86400, help="Seconds until the delivery deadline."),
    model: str | None = typer.Option(None, help="Proof-gated: the model id a verified inference must be of."),
    input_commitment: str | None = typer.Option(
        None, help="Proof-gated: the input commitment the proof must answer (0x + 64 hex)."
    ),
    input_instances: int = typer.Option(1, help="Leading public instances that commit to the input."),
    require_audit: str | None = typer.Option(
        None,
        help="Proof-gated: the auditor address whose valid EAS audit of the model the proof needs "
        "(checked on chain at delivery; see `aiweb3 auditor list`).",
    ),
) -> None:
    """Post a task: the budget is pulled into escrow with a permit the agent signs."""
    ctx = Context()
    escrow = _escrow(ctx)
    if input_commitment is not None and model is None:
        raise InputError("--input-commitment needs --model (a proof-gated task)")
    if require_audit is not None and model is None:
        raise InputError("--require-audit needs --model (a proof-gated task)")
    terms = TaskTerms(
        parse_amount(budget),
        checksum(arbiter),
        provider=checksum(provider) if provider else None,
        accept_within=accept_within,
        deliver_within=deliver_within,
        spec=spec,
        model_id=_bytes32(model, "--model") if model else b"\0" * 32,
        input_commitment=_bytes32(input_commitment, "--input-commitment") if input_commitment else b"\0" * 32,
        input_instances=input_instances if input_commitment else 0,
        auditor=checksum(require_audit) if require_audit else None,
    )
    wallet = _wallet(ctx, agent)
    refusal = _counterparty_refusal(wallet, agent, terms.provider, escrow.address)
    refusal = refusal or _budget_refusal(wallet, agent, terms.budget)
    if refusal is None:
        _check_balance(ctx, wallet, agent, terms.budget)
    try:
        task_id = escrow.post(wallet, terms)  # the wallet checks (and logs) the policy itself
    except PolicyViolation as exc:
        raise PolicyViolation(refusal or str(exc)) from None
    console.print(f"posted task {task_id}: {budget} AIUSD in escrow {escrow.address}")


def _bytes32(text: str, option: str) -> bytes:
    try:
        value = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        value = b""
    if len(value) != 32:
        raise InputError(f"{option} must be 0x followed by 64 hex digits, not {text!r}")
    return value


def _counterparty_refusal(wallet: AgentWallet, name: str, provider: str | None, escrow: str) -> str | None:
    """Why the policy refuses who ends up with the budget (the provider, or the escrow for an open task)."""
    payee = provider or escrow
    if payee in wallet.policy.allowed_counterparties:
        return None
    who = f"the provider {provider}" if provider else f"the escrow {escrow} (an open task: no --provider)"
    return (
        f"refused: counterparty {who} is not allowed by {name}'s spend policy "
        f"(`aiweb3 agent policy {name} --allow-counterparty {payee}`)"
    )


def _budget_refusal(wallet: AgentWallet, name: str, budget: int) -> str | None:
    """Why the agent's policy refuses this budget, in AIUSD, or None when its limits allow it."""
    policy, shown = wallet.policy, fmt_amount(budget)
    if budget > policy.per_payment_limit:
        return (
            f"refused: a budget of {shown} AIUSD is over {name}'s per-payment limit of "
            f"{fmt_amount(policy.per_payment_limit)} AIUSD (`aiweb3 agent policy {name} --per-payment A`)"
        )
    left = max(0, policy.daily_limit - wallet.spent_today())
    if budget > left:
        return (
            f"refused: a budget of {shown} AIUSD is over what {name} may still spend today, "
            f"{fmt_amount(left)} AIUSD of a daily limit of {fmt_amount(policy.daily_limit)} AIUSD"
        )
    return None


def _check_balance(ctx: Context, wallet: AgentWallet, name: str, budget: int) -> None:
    aiusd = ctx.chain.contract(artifact("AIUSD").abi, _token(ctx).address)
    balance = int(ctx.chain.call(aiusd.functions.balanceOf(wallet.address)))
    if budget > balance:
        raise InputError(
            f"{name} holds {fmt_amount(balance)} AIUSD, less than the budget of {fmt_amount(budget)} AIUSD; "
            f"fund it (`aiweb3 agent fund {name} --amount A`)"
        )


@task_app.command("list")
def task_list() -> None:
    """List every task in the escrow."""
    ctx = Context()
    tasks = _escrow(ctx).tasks()
    if not tasks:
        console.print("no tasks yet; post one with `aiweb3 task post`")
        return
    table = Table("id", "status", "AIUSD", "requester", "provider", "result")
    for t in tasks:
        table.add_row(str(t.task_id), t.status.name.lower(), fmt_amount(t.budget), t.requester,
                      t.provider or "(anyone)", t.result_cid or "")  # fmt: skip
    console.print(table)


@task_app.command("show")
def task_show(task_id: int = typer.Argument(...)) -> None:
    """Show one task."""
    ctx = Context()
    t = _escrow(ctx).task(task_id)
    rows = {
        "status": t.status.name.lower(), "budget": f"{fmt_amount(t.budget)} AIUSD", "requester": t.requester,
        "provider": t.provider or "(anyone may accept)", "arbiter": t.arbiter, "accept by": str(t.accept_by),
        "deliver by": str(t.deliver_by), "proof-gated": "0x" + t.model_id.hex() if t.proof_gated else "no",
        "input": "0x" + t.input_commitment.hex() if t.input_instances else "any",
        "result": t.result_cid or "-", "paid to provider": f"{fmt_amount(t.paid_to_provider)} AIUSD",
        "verified inference": f"block {t.verified_block}" if t.settled_by_proof else "-",
        "audit required": f"by {t.auditor}" if t.auditor else "no",
    }  # fmt: skip
    for key, value in rows.items():
        console.print(f"{key:>17}: {value}")


# -- demo ---------------------------------------------------------------------------------------


@agents_app.command()
def demo(
    planner: str = typer.Option(
        "auto",
        help="'model' (a language model plans: AIWEB3_LLM_URL, else the embedded model), 'scripted' "
        "(the fixed script), or 'auto' (the model when one is available: AIWEB3_LLM_URL, "
        "AIWEB3_LLM=embedded, or the embedded model running, as after `aiweb3 up`; else the script).",
    ),
    llm_url: str | None = typer.Option(
        None,
        "--llm-url",
        envvar="AIWEB3_LLM_URL",
        help="OpenAI-compatible base URL to plan with (default: aiweb3's embedded model).",
    ),
    llm_model: str = typer.Option("default", "--llm-model", envvar="AIWEB3_LLM_MODEL", help="Model name."),
) -> None:
    """A research agent with 20 AIUSD buys a proven diagnosis, stores it, hires and rates (local chain).

    A language model (the embedded one unless --llm-url names another) chooses the steps; its plan
    is checked, and the deterministic script runs when it is invalid (--planner)."""
    from dataclasses import replace

    from aiweb3.agents.demo import GOAL, run_demo
    from aiweb3.llm import LLMConfig, OpenAICompatible, load_model
    from aiweb3.llm.runtime import ModelRuntime, RuntimeConfig

    if planner not in ("auto", "model", "scripted"):
        raise InputError("--planner must be 'auto', 'model' or 'scripted'")
    ctx = Context()
    if ctx.chain.chain_id != LOCAL_CHAIN_ID:
        raise InputError("the demo funds accounts from the faucet: run it on the local chain")
    config = replace(LLMConfig.from_env(), url=llm_url or None, model=llm_model, home=ctx.settings.home)
    if planner == "auto":
        running = ModelRuntime(RuntimeConfig(home=ctx.settings.home)).info() is not None
        planner = "model" if config.url or config.embedded or running else "scripted"
        if planner == "scripted":
            console.print("[dim]no language model running: the script plans (`--planner model` starts "
                          "the embedded one)[/dim]", highlight=False)  # fmt: skip
    llm: OpenAICompatible | None = None
    if planner == "model":
        loaded = load_model(config, embedded=True)
        llm = loaded if isinstance(loaded, OpenAICompatible) else None
    token = _token(ctx)

    def note(text: str) -> None:
        label = "plan" if text.startswith("planner:") else "setup"
        console.print(f"[dim]{label}[/dim] {text.removeprefix('planner: ')}", highlight=False)

    def step(s: Step) -> None:
        mark = "[red]✗[/red]" if s.error else "[green]✓[/green]"
        console.print(f"{mark} [bold]{s.index}. {s.action.tool}[/bold] — {s.action.why}", highlight=False)
        shown = {k: v for k, v in s.result.items() if k not in ("proof", "instances", "inputs")}
        if s.error:
            console.print(f"    [red]{s.error}[/red]", highlight=False)
        elif shown:
            console.print(f"    {json.dumps(shown, default=str)[:300]}", highlight=False)
        for p in s.payments:
            colour = "green" if p.status == "signed" else "red"
            console.print(f"    [{colour}]payment {p.status}[/{colour}] {token.format(p.amount)} to {p.to} "
                          f"({p.kind}{': ' + p.purpose if p.purpose else ''})", highlight=False)  # fmt: skip

    console.print(f"[bold]goal:[/bold] {GOAL}")
    console.print(f"[dim]planner: {'language model ' + llm.name if llm is not None else 'scripted'}[/dim]")
    trace, summary = run_demo(ctx.chain, ctx.settings.home, note=note, on_step=step, llm=llm)
    console.print(
        f"[bold]done[/bold]: {len(trace.steps)} steps, spent {token.format(summary['spent'])}, "
        f"balance {token.format(summary['research_balance'])}, prover reputation "
        f"{summary['prover_reputation']:.0f}/100, {summary['refused']} payment refused by policy"
    )
