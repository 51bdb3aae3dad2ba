"""NPCs on the real node: the Python policy mirrors the contract's (hypothesis differential test);
one transaction posts an epoch of every NPC action; a challenge of a correct action fails and
costs the challenger; a forged step, a broken link between steps, a wrong start or a wrong
resulting state is proven on chain and pays the challenger the operator's bond; players trade with
merchants through Merkle proofs of their state."""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3.contract import Contract

from aiweb3.chain import Chain, Deployment
from aiweb3.errors import TransactionReverted
from aiweb3.games.npc import EpochRun, Npc, NpcWorld, epoch_seed, npc_step, run_epoch

pytestmark = pytest.mark.timeout(300)
AIUSD = 10**6
NPCS = [Npc(0, 40 * i, x=3 * i, y=15 - i, hp=12 + i) for i in range(4)] + [
    Npc(1, 60 * i, price=20 + i, stock=3) for i in range(4)
]
TICKS = 5
SEED = b"\x07" * 32
BOND, CHALLENGE_BOND = 10 * AIUSD, 2 * AIUSD


@pytest.fixture(scope="module")
def world(chain: Chain, accounts: list[LocalAccount], deployments: dict[str, Deployment]) -> NpcWorld:
    token = deployments["AIUSD"].address
    return NpcWorld.deploy(chain, accounts[0], token, NPCS, world_seed=SEED, ticks=TICKS,
                           bond=BOND, challenge_bond=CHALLENGE_BOND, window=60)  # fmt: skip


npcs = st.builds(
    Npc,
    kind=st.integers(0, 1),
    trait=st.integers(0, 255),
    x=st.integers(0, 15),
    y=st.integers(0, 15),
    hp=st.integers(0, 25),
    price=st.integers(0, 120),
    stock=st.integers(0, 60),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    npc=npcs,
    npc_id=st.integers(0, 2**32),
    tick=st.integers(0, 1000),
    seed=st.binary(min_size=32, max_size=32),
)
def test_npc_step_matches_contract(world: NpcWorld, npc: Npc, npc_id: int, tick: int, seed: bytes) -> None:
    assert npc_step(npc, npc_id, tick, seed) == world.chain_step(npc, npc_id, tick, seed)


def _forge(
    run: EpochRun, npc_id: int, tick: int, *, before: Npc | None = None, after: Npc | None = None
) -> EpochRun:
    actions = list(run.actions)
    k = run.index(npc_id, tick)
    i, t, b, a = actions[k]
    actions[k] = (i, t, before or b, after or a)
    return EpochRun(run.epoch, run.ticks, actions, list(run.states))


def _balance(chain: Chain, aiusd: Contract, who: str) -> int:
    return int(chain.call(aiusd.functions.balanceOf(who)))


def test_epochs_challenges_and_trades(
    world: NpcWorld, chain: Chain, accounts: list[LocalAccount], aiusd: Contract
) -> None:
    op, challenger, player = accounts[0], accounts[7], accounts[8]
    run0 = run_epoch(NPCS, 0, TICKS, SEED)
    receipt = world.post(op, run0)  # every NPC action of the epoch in one transaction
    assert receipt["status"] == 1 and world.status(0) == "posted"

    # challenges of correct actions fail and cost the challenger its bond (paid to the operator)
    before = (_balance(chain, aiusd, challenger.address), _balance(chain, aiusd, op.address))
    _, _, b, a = run0.actions[run0.index(5, 2)]
    assert not world.challenge_step(challenger, 0, 5, 2, b, a, run0.action_proof(5, 2))
    assert not world.challenge_link(challenger, run0, 1, 3)
    assert not world.challenge_start(challenger, run0, NPCS, 2)
    assert not world.challenge_end(challenger, run0, 6)
    after = (_balance(chain, aiusd, challenger.address), _balance(chain, aiusd, op.address))
    assert after == (before[0] - 4 * CHALLENGE_BOND, before[1] + 4 * CHALLENGE_BOND)
    with pytest.raises(TransactionReverted, match="NotInEpoch"):  # an action that is not in the epoch
        world.challenge_step(challenger, 0, 5, 2, b, replace(a, price=99), run0.action_proof(5, 2))
    with pytest.raises(TransactionReverted, match="WrongStatus"):  # the next epoch waits for this one
        world.post(op, run_epoch(run0.states, 1, TICKS, SEED))
    with pytest.raises(TransactionReverted, match="WindowOpen"):
        world.finalize(player, 0)

    chain.rpc("evm_increaseTime", [61])
    chain.rpc("evm_mine", [])
    with pytest.raises(TransactionReverted, match="WindowClosed"):
        world.challenge_step(challenger, 0, 5, 2, b, a, run0.action_proof(5, 2))
    world.finalize(player, 0)
    assert world.status(0) == "final"

    # players interact with NPC state through Merkle proofs
    merchant = run0.states[5]
    proof = run0.state_proof(5)
    assert world.verify_state(0, 5, merchant, proof)
    assert not world.verify_state(0, 5, replace(merchant, price=1), proof)
    assert world.trade(player, 0, 5, merchant, proof, 2) == 2 * merchant.price
    with pytest.raises(TransactionReverted, match="NotInEpoch"):
        world.trade(player, 0, 5, replace(merchant, price=1), proof, 1)
    with pytest.raises(TransactionReverted, match="OutOfStock"):
        world.trade(player, 0, 5, merchant, proof, merchant.stock - 1)
    with pytest.raises(TransactionReverted, match="NotAMerchant"):
        world.trade(player, 0, 1, run0.states[1], run0.state_proof(1), 1)

    honest = run_epoch(run0.states, 1, TICKS, SEED)
    seed = epoch_seed(SEED, 1)
    # a forged step: proven by re-executing that one step on chain
    wrong = _forge(honest, 2, 3, after=replace(honest.actions[honest.index(2, 3)][3], hp=0))
    world.post(op, wrong)
    gained = _balance(chain, aiusd, challenger.address)
    _, _, b, a = wrong.actions[wrong.index(2, 3)]
    assert world.challenge_step(challenger, 1, 2, 3, b, a, wrong.action_proof(2, 3))
    assert world.status(1) == "rejected"
    assert _balance(chain, aiusd, challenger.address) == gained + BOND  # the operator's bond

    # a broken link: each step is right, but tick 2 does not start where tick 1 ended
    fake_before = replace(honest.actions[honest.index(3, 2)][2], x=0, y=0)
    linked = _forge(honest, 3, 2, before=fake_before, after=npc_step(fake_before, 3, 2, seed))
    world.post(op, linked)
    _, _, b, a = linked.actions[linked.index(3, 2)]
    assert not world.challenge_step(challenger, 1, 3, 2, b, a, linked.action_proof(3, 2))
    assert world.challenge_link(challenger, linked, 3, 2)

    # a wrong start (not where epoch 0 left the NPC) and a wrong resulting state
    fake_start = replace(run0.states[4], price=77)
    started = _forge(honest, 4, 0, before=fake_start, after=npc_step(fake_start, 4, 0, seed))
    world.post(op, started)
    assert world.challenge_start(challenger, started, run0, 4)
    states = list(honest.states)
    states[6] = replace(states[6], stock=0)
    world.post(op, EpochRun(1, TICKS, list(honest.actions), states))
    assert world.challenge_end(challenger, EpochRun(1, TICKS, list(honest.actions), states), 6)
    assert world.status(1) == "rejected"

    # an action left out (its place taken by another), a blank leaf, an action from another epoch
    p = honest.index(2, 3)
    moved = list(honest.actions)
    moved[p] = honest.actions[honest.index(2, 2)]
    for forged, challenge in (
        (EpochRun(1, TICKS, moved, list(honest.states)), world.challenge_position),
        (
            EpochRun(1, TICKS, list(honest.actions), list(honest.states), blank=frozenset({p})),
            world.challenge_empty,
        ),
        (
            EpochRun(1, TICKS, list(honest.actions), list(honest.states), leaf_epochs={p: 0}),
            world.challenge_position,
        ),
    ):
        world.post(op, forged)
        assert challenge(challenger, forged, p)
        assert world.status(1) == "rejected"

    world.post(op, honest)  # the honest epoch stands
    assert world.status(1) == "posted"
    paid = _balance(chain, aiusd, challenger.address)
    assert not world.challenge_position(challenger, honest, p)  # every action is in its place
    with pytest.raises(TransactionReverted, match="NotInEpoch"):  # there is no blank leaf there
        world.challenge_empty(challenger, honest, p)
    assert _balance(chain, aiusd, challenger.address) == paid - CHALLENGE_BOND
