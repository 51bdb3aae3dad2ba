"""NPCs at a tiny transaction cost: the committed policy in Python, epochs, Merkle proofs, and the
``NpcWorld`` client (post an epoch, challenge one action, finalize, trade through a proof).

:func:`npc_step` mirrors ``NpcRules.step`` exactly. :class:`EpochRun` runs every NPC through one
epoch's ticks and holds what the operator posts (the roots) and what anyone needs to check or
challenge it (every action and its proof). The states tree follows the OpenZeppelin
``MerkleProof`` convention (leaves double-hashed, pairs hashed sorted, an odd node carried up); the
actions tree is positional (NPC i's tick t at i * ticks + t, padded with zero leaves to a power of
two, pairs hashed in order), so a missing or moved action is provable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3.contract import Contract

from aiweb3.chain import Chain, artifact
from aiweb3.crypto.sorted_merkle import sorted_proof, sorted_root
from aiweb3.errors import InputError

__all__ = [
    "GENESIS_EPOCH",
    "EpochRun",
    "Npc",
    "NpcWorld",
    "action_leaf",
    "epoch_seed",
    "genesis_root",
    "merkle_proof",
    "merkle_root",
    "npc_step",
    "positional_proof",
    "positional_root",
    "run_epoch",
    "state_leaf",
]

WORLD = 16
MONSTER_MAX_HP = 20
MAX_PRICE = 100
MAX_STOCK = 50
#: The epoch number genesis states are hashed under ("before epoch 0").
GENESIS_EPOCH = 2**256 - 1
_NPC = "(uint8,uint8,uint8,uint8,uint8,uint16,uint16)"


@dataclass(frozen=True)
class Npc:
    """An NPC: kind 0 a monster, 1 a merchant; ``trait`` (0..255) biases its policy."""

    kind: int
    trait: int
    x: int = 0
    y: int = 0
    hp: int = 0
    price: int = 0
    stock: int = 0

    def as_tuple(self) -> tuple[int, ...]:
        """The contract's ``Npc`` tuple."""
        return (self.kind, self.trait, self.x, self.y, self.hp, self.price, self.stock)


def npc_step(s: Npc, npc_id: int, tick: int, seed: bytes) -> Npc:
    """One tick of the committed policy (``NpcRules.step``)."""
    r = int.from_bytes(keccak(encode(["bytes32", "uint256", "uint256"], [seed, npc_id, tick])), "big")
    if s.kind == 0:
        x, y = s.x, s.y
        if (r & 0xFF) < s.trait:
            centre = WORLD // 2
            if x != centre:
                x = x + 1 if x < centre else x - 1
            elif y != centre:
                y = y + 1 if y < centre else y - 1
        else:
            direction = (r >> 8) % 5
            if direction == 1 and y > 0:
                y -= 1
            elif direction == 2 and y < WORLD - 1:
                y += 1
            elif direction == 3 and x > 0:
                x -= 1
            elif direction == 4 and x < WORLD - 1:
                x += 1
        return replace(s, x=x, y=y, hp=min(s.hp + 1, MONSTER_MAX_HP) if s.hp < MONSTER_MAX_HP else s.hp)
    price = s.price
    if (r & 0xFF) < s.trait:
        price = price + 1 if price < MAX_PRICE else price
    elif price > 1:
        price -= 1
    return replace(s, price=price, stock=s.stock + 1 if s.stock < MAX_STOCK else s.stock)


def epoch_seed(world_seed: bytes, epoch: int) -> bytes:
    """An epoch's randomness (``NpcWorld.epochSeed``)."""
    return keccak(encode(["bytes32", "uint256"], [world_seed, epoch]))


def action_leaf(epoch: int, npc_id: int, tick: int, before: Npc, after: Npc) -> bytes:
    """One action's leaf (``NpcWorld.actionLeaf``)."""
    data = encode(
        ["uint256", "uint256", "uint256", _NPC, _NPC],
        [epoch, npc_id, tick, before.as_tuple(), after.as_tuple()],
    )
    return keccak(keccak(data))


def state_leaf(epoch: int, npc_id: int, state: Npc) -> bytes:
    """One resulting state's leaf (``NpcWorld.stateLeaf``)."""
    return keccak(keccak(encode(["uint256", "uint256", _NPC], [epoch, npc_id, state.as_tuple()])))


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The root over leaves (OpenZeppelin convention)."""
    return sorted_root(leaves)


def merkle_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The sibling hashes proving ``leaves[index]``."""
    return sorted_proof(leaves, index)


ZERO_LEAF = b"\0" * 32


def _positional_levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    size = 1
    while size < len(leaves):
        size *= 2
    levels = [[*leaves, *[ZERO_LEAF] * (size - len(leaves))]]
    while len(levels[-1]) > 1:
        level = levels[-1]
        levels.append([keccak(level[i] + level[i + 1]) for i in range(0, len(level), 2)])
    return levels


def positional_root(leaves: Sequence[bytes]) -> bytes:
    """The root of the positional actions tree."""
    return _positional_levels(leaves)[-1][0]


def positional_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The siblings of position ``index``, bottom up."""
    proof = []
    for level in _positional_levels(leaves)[:-1]:
        proof.append(level[index ^ 1])
        index //= 2
    return proof


def genesis_root(npcs: Sequence[Npc]) -> bytes:
    """The root of the NPCs' states before epoch 0 (fixed when the world is deployed)."""
    return merkle_root([state_leaf(GENESIS_EPOCH, i, s) for i, s in enumerate(npcs)])


@dataclass
class EpochRun:
    """One epoch, run off chain: every action (npc-major: npc 0's ticks, then npc 1's ...) and the
    states it ends with."""

    epoch: int
    ticks: int
    actions: list[tuple[int, int, Npc, Npc]]  # (npc id, tick, before, after), at their positions
    states: list[Npc]
    #: positions left blank (a zero leaf): only a faulty or dishonest operator posts such an epoch
    blank: frozenset[int] = frozenset()
    #: the epoch number each action's leaf names, where it is not this epoch's (ditto)
    leaf_epochs: dict[int, int] | None = None

    def __post_init__(self) -> None:
        others = self.leaf_epochs or {}
        self._action_leaves = [
            ZERO_LEAF if k in self.blank else action_leaf(others.get(k, self.epoch), i, t, b, a)
            for k, (i, t, b, a) in enumerate(self.actions)
        ]
        self._state_leaves = [state_leaf(self.epoch, i, s) for i, s in enumerate(self.states)]

    @property
    def actions_root(self) -> bytes:
        """The root of every action (positional)."""
        return positional_root(self._action_leaves)

    @property
    def state_root(self) -> bytes:
        """The root of the resulting states."""
        return merkle_root(self._state_leaves)

    def index(self, npc_id: int, tick: int) -> int:
        """Where the action of NPC ``npc_id`` at ``tick`` belongs: ``npc_id * ticks + tick``."""
        k = npc_id * self.ticks + tick
        if not 0 <= tick < self.ticks or not 0 <= k < len(self.actions):
            raise InputError(f"no action of NPC {npc_id} at tick {tick} in epoch {self.epoch}")
        return k

    def action_proof(self, npc_id: int, tick: int) -> list[bytes]:
        """The proof of one action, at its position."""
        return positional_proof(self._action_leaves, self.index(npc_id, tick))

    def proof_at(self, position: int) -> list[bytes]:
        """The proof of whatever leaf sits at ``position``."""
        return positional_proof(self._action_leaves, position)

    def state_proof(self, npc_id: int) -> list[bytes]:
        """The proof of one resulting state."""
        return merkle_proof(self._state_leaves, npc_id)


def run_epoch(npcs: Sequence[Npc], epoch: int, ticks: int, world_seed: bytes) -> EpochRun:
    """Run every NPC through ``ticks`` ticks of ``epoch`` with the committed policy."""
    seed = epoch_seed(world_seed, epoch)
    actions: list[tuple[int, int, Npc, Npc]] = []
    states = []
    for i, npc in enumerate(npcs):
        for t in range(ticks):
            nxt = npc_step(npc, i, t, seed)
            actions.append((i, t, npc, nxt))
            npc = nxt
        states.append(npc)
    return EpochRun(epoch, ticks, actions, states)


def _npc(value: Any) -> Npc:
    return Npc(*(int(v) for v in value))


class NpcWorld:
    """A deployed ``NpcWorld``."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address = to_checksum_address(address)
        self.contract: Contract = chain.contract(artifact("NpcWorld").abi, self.address)
        self.token: Contract = chain.contract(
            artifact("AIUSD").abi, chain.call(self.contract.functions.token())
        )

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        operator: LocalAccount,
        token: str,
        npcs: Sequence[Npc],
        *,
        world_seed: bytes,
        ticks: int,
        bond: int,
        challenge_bond: int,
        window: int,
    ) -> NpcWorld:
        """Deploy a world for ``npcs`` (their genesis states are committed); ``operator`` runs it."""
        art = artifact("NpcWorld")
        args = [token, world_seed, bond, challenge_bond, window, len(npcs), ticks, genesis_root(npcs)]
        address, _ = chain.deploy(operator, art.abi, art.bytecode, *args)
        return cls(chain, address)

    def _value(self, name: str) -> Any:
        return self.chain.call(getattr(self.contract.functions, name)())

    def _approve(self, signer: LocalAccount, amount: int, spender: str | None = None) -> None:
        self.chain.transact(signer, self.token.functions.approve(spender or self.address, amount))

    def post(self, operator: LocalAccount, run: EpochRun) -> dict[str, Any]:
        """Post an epoch's roots with the bond (one transaction, after the bond's approval)."""
        self._approve(operator, int(self._value("bond")))
        fn = self.contract.functions.postEpoch(run.epoch, run.actions_root, run.state_root)
        return self.chain.transact(operator, fn)

    def challenge_step(
        self,
        challenger: LocalAccount,
        epoch: int,
        npc_id: int,
        tick: int,
        before: Npc,
        after: Npc,
        proof: list[bytes],
    ) -> bool:
        """Challenge one action (the contract re-executes it); True when fraud was proven.

        The challenge bond is put up either way; a correct action keeps it for the operator.
        """
        fn = self.contract.functions.challengeStep(
            epoch, npc_id, tick, before.as_tuple(), after.as_tuple(), proof
        )
        return self._challenge(challenger, fn)

    def _challenge(self, challenger: LocalAccount, fn: Any) -> bool:
        self._approve(challenger, int(self._value("challengeBond")))
        receipt = self.chain.transact(challenger, fn)
        return bool(self.chain.events(self.contract, "FraudProven", receipt))

    def challenge_link(self, challenger: LocalAccount, run: EpochRun, npc_id: int, tick: int) -> bool:
        """Challenge that NPC ``npc_id``'s state before ``tick`` is the state after ``tick - 1``
        (as ``run``, the epoch the operator posted, has them); True when fraud was proven."""
        prev, cur = run.actions[run.index(npc_id, tick - 1)], run.actions[run.index(npc_id, tick)]
        states = [prev[2].as_tuple(), prev[3].as_tuple(), cur[2].as_tuple(), cur[3].as_tuple()]
        fn = self.contract.functions.challengeLink(
            run.epoch,
            npc_id,
            tick,
            states,
            run.action_proof(npc_id, tick - 1),
            run.action_proof(npc_id, tick),
        )
        return self._challenge(challenger, fn)

    def challenge_start(
        self, challenger: LocalAccount, run: EpochRun, previous: EpochRun | Sequence[Npc], npc_id: int
    ) -> bool:
        """Challenge that an NPC's first action starts from the state the previous epoch (or, for
        epoch 0, the genesis list of NPCs) ended with; True when fraud was proven."""
        if isinstance(previous, EpochRun):
            state, proof = previous.states[npc_id], previous.state_proof(npc_id)
        else:
            leaves = [state_leaf(GENESIS_EPOCH, i, n) for i, n in enumerate(previous)]
            state, proof = previous[npc_id], merkle_proof(leaves, npc_id)
        _, _, before, after = run.actions[run.index(npc_id, 0)]
        action = [before.as_tuple(), after.as_tuple()]
        fn = self.contract.functions.challengeStart(
            run.epoch, npc_id, state.as_tuple(), proof, action, run.action_proof(npc_id, 0)
        )
        return self._challenge(challenger, fn)

    def challenge_end(self, challenger: LocalAccount, run: EpochRun, npc_id: int) -> bool:
        """Challenge that an NPC's resulting state is the state after its last action."""
        last = run.ticks - 1
        _, _, before, after = run.actions[run.index(npc_id, last)]
        fn = self.contract.functions.challengeEnd(
            run.epoch, npc_id, [before.as_tuple(), after.as_tuple()], run.action_proof(npc_id, last),
            run.states[npc_id].as_tuple(), run.state_proof(npc_id),
        )  # fmt: skip
        return self._challenge(challenger, fn)

    def challenge_position(self, challenger: LocalAccount, run: EpochRun, position: int) -> bool:
        """Challenge the action found at ``position`` of the posted tree (it must be that position's own)."""
        npc_id, tick, before, after = run.actions[position]
        leaf_epoch = (run.leaf_epochs or {}).get(position, run.epoch)
        fn = self.contract.functions.challengePosition(
            run.epoch, position, [leaf_epoch, npc_id, tick], [before.as_tuple(), after.as_tuple()],
            run.proof_at(position),
        )  # fmt: skip
        return self._challenge(challenger, fn)

    def challenge_empty(self, challenger: LocalAccount, run: EpochRun, position: int) -> bool:
        """Challenge a blank leaf where an action must be."""
        fn = self.contract.functions.challengeEmpty(run.epoch, position, run.proof_at(position))
        return self._challenge(challenger, fn)

    def finalize(self, signer: LocalAccount, epoch: int) -> dict[str, Any]:
        """Make an unchallenged epoch final after its window (returns the bond to the operator)."""
        return self.chain.transact(signer, self.contract.functions.finalize(epoch))

    def status(self, epoch: int) -> str:
        """ "none", "posted", "rejected" or "final"."""
        status = int(self.chain.call(self.contract.functions.epochs(epoch))[3])
        return ("none", "posted", "rejected", "final")[status]

    def verify_state(self, epoch: int, npc_id: int, state: Npc, proof: list[bytes]) -> bool:
        """Whether the chain accepts ``state`` as NPC ``npc_id``'s after a final epoch."""
        return bool(
            self.chain.call(self.contract.functions.verifyState(epoch, npc_id, state.as_tuple(), proof))
        )

    def trade(
        self, player: LocalAccount, epoch: int, npc_id: int, state: Npc, proof: list[bytes], quantity: int
    ) -> int:
        """Buy ``quantity`` items from a merchant at its proven price; returns what was paid."""
        self._approve(player, quantity * state.price)
        fn = self.contract.functions.trade(epoch, npc_id, state.as_tuple(), proof, quantity)
        receipt = self.chain.transact(player, fn)
        return int(self.chain.events(self.contract, "Traded", receipt)[0]["paid"])

    def chain_step(self, s: Npc, npc_id: int, tick: int, seed: bytes) -> Npc:
        """The contract's policy for one step (an ``eth_call``)."""
        return _npc(self.chain.call(self.contract.functions.npcStep(s.as_tuple(), npc_id, tick, seed)))
