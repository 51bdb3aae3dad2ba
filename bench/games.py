"""Games on one fresh local node, measured in the same run.

1. For five plain-language strategies, the generated bot's win rate against the scripted
   reference bot (``rusher``) over 200 matches (mirrored rules, off chain, sides alternating).
   The bot is written by the embedded language model when it starts, and set aside for the rule
   reader's when it misses what the strategy asked (``author`` says which). A summary line counts
   the strategies whose bot wins more than it loses (goal: at least three). ``GAMES_BENCH_MODEL=0``
   skips the model (the rule reader writes every bot).
2. Matches per minute on the local node: whole matches (commit and reveal every turn) between two
   bots, with transactions and gas per match beside it. No peer.
3. NPCs: transactions and gas per epoch for 100 NPCs acting 10 ticks (1,000 actions) with one
   epoch root (bond approval + ``postEpoch``) versus one transaction per NPC action on
   ``NpcOnChain`` (the same policy run and stored on chain). Goal: at least 50x fewer transactions.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

from _common import json_only_stdout, log, report  # bench/ is on sys.path when run as a script

from aiweb3.chain import Chain, LocalNode, NodeConfig, TxRequest, artifact, dev_account, encode_call
from aiweb3.errors import AIWeb3Error
from aiweb3.games import Arena, deploy_games
from aiweb3.games.arena import bot_mover
from aiweb3.games.compose import read_strategy, write_bot
from aiweb3.games.npc import Npc, NpcWorld, run_epoch
from aiweb3.games.simulate import reference_bot, win_rate

STRATEGIES = [
    "keep distance, attack when the enemy is low, defend when my energy is under 3",
    "rush the enemy and attack when close",
    "rest when the enemy is far, attack when in range, otherwise defend",
    "defend when the enemy energy is at least 2 and the distance is 2, "
    "attack when in range, otherwise approach",
    "attack when the enemy is low, defend when my energy is under 2, "
    "attack when in range, otherwise approach",
]
MATCHES = 200
CHAIN_MATCHES = 6
NPC_COUNT, NPC_TICKS = 100, 10


def npc_figures(chain: Chain, token: str, out: object) -> None:
    """Epoch roots versus one transaction per NPC action, for NPC_COUNT NPCs over NPC_TICKS ticks."""
    operator = dev_account(0)
    npcs = [
        Npc(i % 2, (37 * i) % 256, x=i % 16, y=(i // 16) % 16, hp=10, price=20, stock=5)
        for i in range(NPC_COUNT)
    ]
    seed = b"\x11" * 32
    world = NpcWorld.deploy(chain, operator, token, npcs, world_seed=seed, ticks=NPC_TICKS, bond=10**6,
                            challenge_bond=10**5, window=60)  # fmt: skip
    run = run_epoch(npcs, 0, NPC_TICKS, seed)
    chain.transact(operator, world.token.functions.faucet(operator.address, 10**6))
    approve = chain.transact(operator, world.token.functions.approve(world.address, 10**6))
    post = chain.transact(operator, world.contract.functions.postEpoch(0, run.actions_root, run.state_root))
    ours_gas = int(approve["gasUsed"]) + int(post["gasUsed"])

    art = artifact("NpcOnChain")
    peer_addr, _ = chain.deploy(operator, art.abi, art.bytecode, seed, [n.as_tuple() for n in npcs])
    peer = chain.contract(art.abi, peer_addr)
    requests = [
        TxRequest(peer_addr, encode_call(peer.functions.act(i, 0))) for i in range(NPC_COUNT)
    ] * NPC_TICKS
    result = chain.bulk_send(operator, requests, gas=200_000)
    result.raise_on_failure()
    peer_gas = sum(int(r["gasUsed"]) for r in result.receipts)
    peer_name = "one transaction per NPC action"
    extra = {"npcs": NPC_COUNT, "ticks": NPC_TICKS, "actions": NPC_COUNT * NPC_TICKS}
    txs = [float(len(requests))]
    report(
        "games", "npc_transactions_per_epoch", [2.0], peer_name, txs, "lower", goal=0.02, out=out, extra=extra
    )
    report(
        "games",
        "npc_gas_per_epoch",
        [float(ours_gas)],
        peer_name,
        [float(peer_gas)],
        "lower",
        out=out,
        extra=extra,
    )


def _model(home: Path, stack: contextlib.ExitStack) -> object | None:
    """The embedded model, in a runtime that dies with this process and is stopped at the end."""
    try:
        from aiweb3.llm import LLMConfig, load_model
        from aiweb3.llm.runtime import ModelRuntime, RuntimeConfig

        runtime = ModelRuntime(RuntimeConfig(home=home))
        runtime.start(die_with_parent=True)
        stack.callback(runtime.stop)
        return load_model(LLMConfig(home=home, timeout=120), embedded=True)
    except AIWeb3Error as exc:
        log(f"no embedded model ({exc}); bots come from the rule reader")
        return None


def main() -> None:
    out = json_only_stdout()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        home = Path(tmp)
        llm = _model(home, stack) if os.environ.get("GAMES_BENCH_MODEL", "1") == "1" else None
        reference = reference_bot("rusher")
        beating = 0
        for n, text in enumerate(STRATEGIES, 1):
            draft = write_bot(text, llm) if llm is not None else None  # type: ignore[arg-type]
            bot = draft.bot if draft is not None else read_strategy(text)
            author = draft.author if draft is not None else "rules"
            rec = win_rate(bot, reference, MATCHES, seed=n)
            beating += rec.wins > rec.losses
            log(f"{text!r}: {author}, {rec.wins}/{rec.losses}/{rec.draws}\n{bot.source()}")
            report("games", f"win_rate_vs_rusher_strategy_{n}", [rec.win_rate], None, None, "higher", out=out,
                   extra={"strategy": text, "author": author, "wins": rec.wins, "losses": rec.losses,
                          "draws": rec.draws, "matches": rec.games})  # fmt: skip
        report("games", "strategies_beating_reference", [float(beating)], None, None, "higher", goal=3,
               out=out, extra={"of": len(STRATEGIES)})  # fmt: skip

        node = LocalNode(NodeConfig(home=home))
        node.start()
        try:
            chain = Chain(node.url)
            deployed = deploy_games(chain, dev_account(0), home)
            arena = Arena(chain, deployed["GameArena"].address)
            aiusd = chain.contract(artifact("AIUSD").abi, deployed["AIUSD"].address)
            players = dev_account(1), dev_account(2)
            for p in players:
                chain.transact(p, aiusd.functions.faucet(p.address, 10**9))
            movers = bot_mover(read_strategy(STRATEGIES[2])), bot_mover(reference)
            rates, gas, txs, turns = [], [], [], []
            for _ in range(CHAIN_MATCHES):
                started = time.perf_counter()
                match_id = arena.create(players[0], stake=10**6, opponent=players[1].address, timeout=600)
                arena.join(players[1], match_id)
                played = arena.play(match_id, players, movers)
                rates.append(60 / (time.perf_counter() - started))
                gas.append(float(played.gas))
                txs.append(float(played.transactions + 4))  # + two approvals, create, join
                turns.append(len(played.turns))
            log(f"turns per match: {turns}")
            report("games", "matches_per_minute_on_local_node", rates, None, None, "higher", out=out,
                   extra={"median_turns": sorted(turns)[len(turns) // 2]})  # fmt: skip
            report("games", "transactions_per_match", txs, None, None, "lower", out=out)
            report("games", "gas_per_match_turns_only", gas, None, None, "lower", out=out)
            npc_figures(chain, deployed["AIUSD"].address, out)
            chain.close()
        finally:
            node.stop()


if __name__ == "__main__":
    main()
