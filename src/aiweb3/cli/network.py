"""``aiweb3 network ...``: the model-creation network (Flower training, Yuma consensus on chain).

network up        deploy a Subnet (and record it in AIWEB3_HOME)
network join      register as a miner or validator with a stake
network status    the open epoch, its phases, participants and funds
network epochs    every finalized epoch: consensus, incentive, dividends, rewards
network demo      the whole story on real data with Byzantine miners, a cabal and data contributors
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import typer
from eth_account import Account
from eth_account.signers.local import LocalAccount
from rich.table import Table

from aiweb3.chain import Deployments, artifact, deploy_system, dev_account
from aiweb3.cli.account import fmt_amount, parse_amount
from aiweb3.cli.context import Context, console, err_console
from aiweb3.config import LOCAL_CHAIN_ID
from aiweb3.errors import DeploymentError, InputError
from aiweb3.network import (
    STRATEGIES,
    DataSource,
    FederationConfig,
    NetworkHome,
    NetworkReport,
    NetworkSpec,
    Role,
    Subnet,
    SubnetParams,
    contribute_rows,
    run_network,
)

app = typer.Typer(help="The model-creation network: Flower training, Yuma consensus, AIUSD rewards.",
                  no_args_is_help=True)  # fmt: skip

ACCOUNT = typer.Option(None, "--account", "-a", help="Signer: keystore name/address or dev:N.")
WAD = 10**18
DATA_REWARD = 100 * 10**6  # AIUSD per epoch shared by the records its round used


def _aiusd(ctx: Context) -> str:
    book = Deployments(ctx.settings.home, ctx.chain.chain_id)
    try:
        return book.address("AIUSD")
    except DeploymentError:
        if ctx.chain.chain_id != LOCAL_CHAIN_ID:
            raise
        err_console.print("[dim]deploying the system contracts on the local chain…[/dim]")
        deploy_system(ctx.chain, dev_account(0), ctx.settings.home)
        return book.address("AIUSD")


def _subnet(ctx: Context) -> tuple[Subnet, int]:
    address, block = NetworkHome(ctx.settings.home, ctx.chain.chain_id).subnet()
    return Subnet(ctx.chain, address), block


@app.command("up")
def up(
    min_stake: str = typer.Option("100", help="Smallest stake to register (AIUSD)."),
    emission: str = typer.Option("1000", help="AIUSD emitted per epoch."),
    fund: str = typer.Option("0", help="AIUSD to put in the emission pool now."),
    commit_period: int = typer.Option(60, help="Seconds of each epoch's commit phase."),
    reveal_period: int = typer.Option(60, help="Seconds of each epoch's reveal phase."),
    account: str | None = ACCOUNT,
) -> None:
    """Deploy a Subnet paying in AIUSD; the deployer is its sponsor."""
    ctx = Context()
    token = _aiusd(ctx)
    params = SubnetParams(parse_amount(min_stake), parse_amount(emission), commit_period, reveal_period)
    sponsor = ctx.signer(account)
    subnet = Subnet.deploy(ctx.chain, sponsor, token, params)
    NetworkHome(ctx.settings.home, ctx.chain.chain_id).save(subnet.address, ctx.chain.block_number())
    if parse_amount(fund):
        subnet.fund_pool(sponsor, parse_amount(fund))
    console.print(f"subnet {subnet.address}: min stake {min_stake} AIUSD, {emission} AIUSD per epoch")


@app.command("join")
def join(
    role: str = typer.Argument(..., help="miner or validator"),
    stake: str = typer.Option("100", help="AIUSD to stake."),
    account: str | None = ACCOUNT,
) -> None:
    """Register the account as a miner or validator, staking AIUSD."""
    roles = {"miner": Role.MINER, "validator": Role.VALIDATOR}
    if role not in roles:
        raise InputError(f"role must be miner or validator, not {role!r}")
    ctx = Context()
    subnet, _ = _subnet(ctx)
    uid = subnet.register(ctx.signer(account), roles[role], parse_amount(stake))
    console.print(f"registered as {role} {uid} with {stake} AIUSD")


@app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The open epoch, its phase boundaries, participants and funds."""
    ctx = Context()
    subnet, _ = _subnet(ctx)
    epoch, reveal_opens, ends_at = subnet.phase()
    balances = subnet.balances()
    miners, validators = subnet.neurons(Role.MINER), subnet.neurons(Role.VALIDATOR)
    info: dict[str, Any] = {
        "subnet": subnet.address,
        "epoch": epoch,
        "reveal_opens": reveal_opens,
        "ends_at": ends_at,
        "now": ctx.chain.block_time(),
        "miners": miners,
        "validators": validators,
        **balances,
    }
    if as_json:
        console.print_json(json.dumps(info))
        return
    console.print(
        f"subnet {subnet.address}, epoch {epoch}: commit until {reveal_opens}, reveal until {ends_at}"
    )
    console.print(
        f"pool {fmt_amount(balances['emission_pool'])} AIUSD, staked {fmt_amount(balances['total_staked'])}, "
        f"owed {fmt_amount(balances['total_owed'])}; {len(miners)} miners, {len(validators)} validators"
    )


@app.command("epochs")
def epochs(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every finalized epoch: emission, incentive per miner, dividends per validator."""
    ctx = Context()
    subnet, block = _subnet(ctx)
    outcomes = subnet.outcomes(from_block=block)
    if as_json:
        console.print_json(json.dumps([o.as_dict() for o in outcomes]))
        return
    table = Table("epoch", "emitted (AIUSD)", "incentive by miner", "dividends by validator")
    for o in outcomes:
        table.add_row(
            str(o.epoch),
            fmt_amount(o.emitted),
            " ".join(f"{x / WAD:.2f}" for x in o.incentive),
            " ".join(f"{x / WAD:.2f}" for x in o.dividends),
        )
    console.print(table)


def _funded(ctx: Context, amount: int) -> LocalAccount:
    acct: LocalAccount = Account.create()
    ctx.chain.set_balance(acct.address, 10**18)
    if amount:
        aiusd = ctx.chain.contract(artifact("AIUSD").abi, _aiusd(ctx))
        ctx.chain.transact(dev_account(0), aiusd.functions.faucet(acct.address, amount))
    return acct


def _data_contributions(ctx: Context, count: int) -> DataSource:
    """``count`` people each give the DatasetPool one breast-cancer record (rows 0..count-1);
    the curator accepts all but the last (when there are two or more)."""
    err_console.print(f"[dim]{count} data contributors present records to a DatasetPool dataset…[/dim]")
    creator, curator = _funded(ctx, count * 10**6), _funded(ctx, 0)
    holders = [_funded(ctx, 0) for _ in range(count)]
    accepted = [count < 2 or k < count - 1 for k in range(count)]
    return contribute_rows(
        ctx.chain, ctx.settings.home, dev_account(0), creator, curator, holders, list(range(count)), accepted
    )


def _render(report: NetworkReport) -> None:
    console.print(f"subnet {report.subnet}")
    console.print(
        "accuracy by round: " + " ".join(f"{a:.3f}" for a in report.accuracy)
        + f"  (centralised training on the same data: {report.centralised_accuracy:.3f})"
    )  # fmt: skip
    table = Table("miner", "behaviour", "earned (AIUSD)", "why")
    for j, (b, earned) in enumerate(zip(report.behaviours, report.miner_earned, strict=True)):
        why = (
            "its updates lowered validators' loss"
            if earned
            else "no loss improvement: validators weighted it 0"
        )
        if j in report.cabal_miners:
            why += "; the cabal's weights on it were clipped to consensus"
        table.add_row(str(j), b, fmt_amount(earned), why)
    console.print(table)
    table = Table("validator", "stake (AIUSD)", "earned (AIUSD)", "why")
    for i, (stake, earned) in enumerate(zip(report.validator_stakes, report.validator_earned, strict=True)):
        why = (
            "cabal: bonds cut above consensus"
            if i in report.cabal
            else "bonded to the miners consensus rewards"
        )
        table.add_row(str(i), fmt_amount(stake), fmt_amount(earned), why)
    console.print(table)
    console.print(f"share of miner emission that reached Byzantine miners: {report.byzantine_share:.1%}")
    if report.data_rewards:
        table = Table("contributor", "row", "shard", "earned (AIUSD)", "why")
        for d in report.data_rewards:
            miner = "—" if d["miner"] is None else f"miner {d['miner']}"
            table.add_row(
                d["contributor"][:10] + "…", str(d["row"]), miner, fmt_amount(d["earned"]), d["why"]
            )
        console.print(table)
    gas = [e.gas_used for e in report.epochs]
    console.print(f"gas per epoch (finalize): {min(gas):,} to {max(gas):,}" if gas else "no epochs")


def _register(
    ctx: Context,
    report: NetworkReport,
    owner: LocalAccount,
    miners: list[str],
    dataset: str,
    folder: Path,
    data: DataSource | None,
) -> dict[str, Any]:
    """Register the final model with its lineage and verify one proven inference on chain."""
    from aiweb3.network.result import build_lineage, register_result

    if report.training is None or report.shards is None:
        raise InputError("the report holds no training record to register")
    x, y = report.shards.load(report.shards.test)
    lineage = build_lineage(
        report, report.training, report.shards, miners, chain_id=ctx.chain.chain_id, dataset=dataset,
        dataset_ids=[data.dataset_id] if data else None,
    )  # fmt: skip
    err_console.print("[dim]compiling the final model for proofs and registering it…[/dim]")
    result = register_result(
        ctx.chain, owner, ctx.settings.home, report.training, lineage, [list(r) for r in x[:8]], folder
    )
    proof = result.model.prove(list(x[0]))
    check = proof.verify_onchain(ctx.chain, signer=owner)
    scores = proof.outputs[0]
    return {
        "model_id": result.model_id,
        "metadata_uri": f"ipfs://{result.lineage_cid}",
        "verified_on_chain": check.valid,
        "tx_hash": check.tx_hash,
        "predicted": max(range(len(scores)), key=lambda k: scores[k]),
        "label": int(y[0]),
    }


@app.command("demo")
def demo(
    miners: int = typer.Option(10, help="Miners (Flower clients)."),
    byzantine: int = typer.Option(
        3, help="How many of them attack (label flip, sign flip, free rider, noise)."
    ),
    validators: int = typer.Option(3, help="Validators (each with its own hidden split)."),
    cabal: bool = typer.Option(
        True, help="The last validator (under half the stake) colludes with a free rider."
    ),
    rounds: int = typer.Option(8, help="Flower rounds = epochs on chain."),
    strategy: str = typer.Option("trimmed", help=f"Aggregation: {', '.join(STRATEGIES)}."),
    dataset: str = typer.Option(
        "breast_cancer", help="breast_cancer or digits (scikit-learn; data contributions need the former)."
    ),
    data_contributors: int = typer.Option(
        8, help="People who give the DatasetPool one breast-cancer record each (the last is not accepted)."
    ),
    inprocess: bool = typer.Option(False, help="Run Flower in one process instead of SuperLink/SuperNodes."),
    register: bool = typer.Option(
        True, help="Register the final model with its lineage in ModelRegistry and prove one inference."
    ),
    workdir: Path | None = typer.Option(None, help="Keep shards, rounds and Flower logs here."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Train on real data with Flower, settle each round on chain, print who earned what and why."""
    if not 0 <= byzantine < miners or validators < 1:
        raise InputError("need 0 <= byzantine < miners and at least one validator")
    if data_contributors < 0:
        raise InputError("--data-contributors must be 0 or more")
    if dataset != "breast_cancer":
        data_contributors = 0  # the DatasetPool's example records are breast-cancer rows
    ctx = Context()
    if ctx.chain.chain_id != LOCAL_CHAIN_ID:
        raise InputError("the demo moves the node's clock and mints AIUSD: run it on the local chain")
    attacks = ["label_flip", "sign_flip", "free_rider", "noise"]
    behaviours = ["honest"] * (miners - byzantine) + [attacks[k % len(attacks)] for k in range(byzantine)]
    stakes = [1000 * 10**6] * validators
    cabal_ids: list[int] = []
    if cabal and validators >= 3:
        stakes[-1] = 600 * 10**6
        cabal_ids = [validators - 1]
    favoured = [j for j, b in enumerate(behaviours) if b == "free_rider"][:1] if cabal_ids else []
    spec = NetworkSpec(
        behaviours=behaviours,
        validator_stakes=stakes,
        cabal=cabal_ids,
        cabal_miners=favoured,
        dataset=dataset,
        federation=FederationConfig(rounds=rounds, strategy=strategy, byzantine=byzantine),
        subnet=SubnetParams(
            commit_period=30, reveal_period=30, data_reward_per_epoch=DATA_REWARD if data_contributors else 0
        ),
    )
    sponsor = _funded(ctx, rounds * (spec.subnet.emission_per_epoch + spec.subnet.data_reward_per_epoch))
    miner_accts = [_funded(ctx, spec.subnet.min_stake) for _ in behaviours]
    validator_accts = [_funded(ctx, s) for s in stakes]
    data = _data_contributions(ctx, data_contributors) if data_contributors else None
    with tempfile.TemporaryDirectory(prefix="aiweb3-network-") as tmp:
        folder = workdir or Path(tmp)
        report = run_network(
            ctx.chain, _aiusd(ctx), sponsor, miner_accts, validator_accts, spec, folder,
            mode="inprocess" if inprocess else "deployment", data=data,
        )  # fmt: skip
        accounts = [str(m.address) for m in miner_accts]
        result = _register(ctx, report, sponsor, accounts, dataset, folder, data) if register else None
    first_block = report.epochs[0].block - 1 if report.epochs else 0
    book = NetworkHome(ctx.settings.home, ctx.chain.chain_id)
    book.save(report.subnet, first_block)
    book.save_report({**report.as_dict(), "result": result})
    if as_json:
        console.print_json(json.dumps({**report.as_dict(), "result": result}))
        return
    _render(report)
    if result:
        console.print(
            f"final model {result['model_id']} registered with its lineage ({result['metadata_uri']}); "
            f"a proven inference verified on chain: predicted {result['predicted']}, label {result['label']}"
        )
