"""The ShieldedPool contract on one chain: deployment on demand, deposits, the deposit tree
rebuilt from ``Deposit`` events, and association sets.

The pool and its two helpers (circomlibjs's Poseidon contract, the snarkjs verifier of the setup
in use) are recorded in the deployments file as ``PoseidonT3``, ``ShieldedPoolVerifier`` and
``ShieldedPool``; ``ensure_pool`` reuses them while their code is unchanged.

An **association set** (Privacy Pools) is a subset of deposits a provider vouches for: the
first ``size`` leaves without the ``excluded`` leaf indices (for example deposits from listed
accounts). The provider publishes its root, size and exclusions on chain, so anyone rebuilds it
from the events, and a withdrawal proves membership in it as well as in the pool.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract

from aiweb3.chain import Chain, Deployment, Deployments, artifact, checksum
from aiweb3.errors import DeploymentError, InputError
from aiweb3.privacy.zk import PACKAGED, ZkArtifacts, merkle_root

__all__ = ["AssociationSet", "DepositEvent", "ShieldedPool", "ensure_pool"]

#: blocks per eth_getLogs request
LOG_RANGE = 10_000


@dataclass(frozen=True)
class DepositEvent:
    """One ``Deposit``: a commitment at a leaf index."""

    commitment: int
    leaf_index: int
    depositor: str
    block: int
    tx_hash: str


@dataclass(frozen=True)
class AssociationSet:
    """One published association set: the first ``size`` leaves minus ``excluded``."""

    root: int
    size: int
    excluded: tuple[int, ...]
    block: int

    def leaves(self, deposits: list[DepositEvent]) -> list[int]:
        """The set's commitments in tree order."""
        skip = set(self.excluded)
        return [d.commitment for d in deposits[: self.size] if d.leaf_index not in skip]


class ShieldedPool:
    """Client of one deployed ShieldedPool."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address = checksum(address)
        self.contract: Contract = chain.contract(artifact("ShieldedPool").abi, self.address)

    @classmethod
    def from_home(cls, chain: Chain, home: Path) -> ShieldedPool:
        """The pool recorded in ``<home>/deployments`` for this chain."""
        dep = Deployments(home, chain.chain_id).load().get("ShieldedPool")
        if dep is None:
            raise DeploymentError(
                f"no shielded pool on chain {chain.chain_id} yet; `aiweb3 privacy deposit` deploys one"
            )
        return cls(chain, dep.address)

    def _view(self, name: str, *args: Any) -> Any:
        return self.chain.call(getattr(self.contract.functions, name)(*args))

    @property
    def denomination(self) -> int:
        """The one deposit amount (AIUSD base units)."""
        return int(self._view("denomination"))

    @property
    def token(self) -> str:
        """The pool's token (AIUSD)."""
        return str(self._view("token"))

    @property
    def association_provider(self) -> str:
        """The only account that may publish association sets."""
        return str(self._view("associationProvider"))

    def size(self) -> int:
        """How many deposits the tree holds."""
        return int(self._view("nextIndex"))

    def current_root(self) -> int:
        """The tree's current root."""
        return int(self._view("currentRoot"))

    def is_known_root(self, root: int) -> bool:
        """Whether ``root`` is among the recent roots a withdrawal may use."""
        return bool(self._view("isKnownRoot", root))

    def is_spent(self, nullifier_hash: int) -> bool:
        """Whether a withdrawal with this nullifier hash happened."""
        return bool(self._view("nullifierSpent", nullifier_hash))

    def is_association_root(self, root: int) -> bool:
        """Whether the provider published ``root``."""
        return bool(self._view("associationRoots", root))

    def _logs(self, event: str) -> list[Any]:
        """Every ``event`` of the pool, oldest first, read in block ranges (public nodes cap them)."""
        start, last = 0, self.chain.block_number()
        handler = getattr(self.contract.events, event)()
        found: list[Any] = []
        while start <= last:
            end = min(start + LOG_RANGE - 1, last)
            found.extend(handler.get_logs(from_block=start, to_block=end))
            start = end + 1
        return found

    def deposits(self) -> list[DepositEvent]:
        """Every deposit in leaf order (the tree, rebuilt from the events)."""
        items = [
            DepositEvent(
                int(log["args"]["commitment"]),
                int(log["args"]["leafIndex"]),
                str(log["args"]["depositor"]),
                int(log["blockNumber"]),
                "0x" + bytes(log["transactionHash"]).hex(),
            )
            for log in self._logs("Deposit")
        ]
        items.sort(key=lambda d: d.leaf_index)
        if [d.leaf_index for d in items] != list(range(len(items))):
            raise InputError(f"the node returned an incomplete deposit history for pool {self.address}")
        return items

    def association_sets(self) -> list[AssociationSet]:
        """Every published association set, oldest first."""
        return [
            AssociationSet(
                int(log["args"]["root"]),
                int(log["args"]["size"]),
                tuple(int(i) for i in log["args"]["excluded"]),
                int(log["blockNumber"]),
            )
            for log in self._logs("AssociationSetPublished")
        ]

    def deposit(self, signer: LocalAccount, commitment: int) -> tuple[int, str, dict[str, Any]]:
        """Approve the denomination and deposit ``commitment``; returns (leaf index, tx hash, receipt)."""
        erc20 = self.chain.contract(artifact("AIUSD").abi, self.token)
        amount = self.denomination
        balance = int(self.chain.call(erc20.functions.balanceOf(signer.address)))
        if balance < amount:
            raise InputError(
                f"{signer.address} holds {balance} AIUSD base units, less than the pool's {amount}"
            )
        allowance = int(self.chain.call(erc20.functions.allowance(signer.address, self.address)))
        if allowance < amount:
            self.chain.transact(signer, erc20.functions.approve(self.address, amount))
        receipt = self.chain.transact(signer, self.contract.functions.deposit(commitment))
        (event,) = self.chain.events(self.contract, "Deposit", receipt)
        return int(event["leafIndex"]), str(receipt["transactionHash"]), dict(receipt)

    def publish_association_set(
        self, provider: LocalAccount, *, exclude_depositors: Iterable[str] = ()
    ) -> AssociationSet:
        """Publish the set of every deposit so far except those from ``exclude_depositors``."""
        banned = {checksum(a) for a in exclude_depositors}
        deposits = self.deposits()
        excluded = tuple(d.leaf_index for d in deposits if d.depositor in banned)
        kept = [d.commitment for d in deposits if d.leaf_index not in set(excluded)]
        if not kept:
            raise InputError("the association set would be empty: there is no deposit to vouch for")
        root = merkle_root(kept)
        fn = self.contract.functions.publishAssociationSet(root, len(deposits), list(excluded))
        receipt = self.chain.transact(provider, fn)
        return AssociationSet(root, len(deposits), excluded, int(receipt["blockNumber"]))


def _code_hash(chain: Chain, address: str) -> str:
    return "0x" + keccak(chain.code(address)).hex()


def ensure_pool(
    chain: Chain,
    home: Path,
    deployer: LocalAccount,
    zk: ZkArtifacts,
    *,
    denomination: int,
    provider: str,
) -> ShieldedPool:
    """The recorded pool when its code and verifier are current and it takes ``denomination``;
    otherwise deploy the Poseidon hasher, the verifier of ``zk`` and a new pool, and record them."""
    if denomination <= 0:
        raise InputError("the pool denomination must be positive")
    book = Deployments(home, chain.chain_id)
    recorded = book.load()
    token = book.address("AIUSD")
    hasher_art = _hasher_artifact()
    verifier_abi, verifier_code = zk.verifier() or (
        artifact("ShieldedPoolVerifier").abi,
        artifact("ShieldedPoolVerifier").bytecode,
    )
    wanted = {
        "PoseidonT3": hasher_art,
        "ShieldedPoolVerifier": (verifier_abi, verifier_code),
        "ShieldedPool": (artifact("ShieldedPool").abi, artifact("ShieldedPool").bytecode),
    }
    current = all(
        (dep := recorded.get(name)) is not None
        and dep.bytecode_hash == "0x" + keccak(hexstr=code).hex()
        and _code_hash(chain, dep.address) == dep.code_hash
        for name, (_abi, code) in wanted.items()
    )
    if current:
        pool = ShieldedPool(chain, recorded["ShieldedPool"].address)
        if pool.denomination == denomination:
            return pool
    addresses: dict[str, str] = {}
    new: dict[str, Deployment] = {}
    for name, (abi, code) in wanted.items():
        args: list[Any] = []
        if name == "ShieldedPool":
            args = [token, addresses["ShieldedPoolVerifier"], addresses["PoseidonT3"], denomination,
                    checksum(provider)]  # fmt: skip
        address, receipt = chain.deploy(deployer, abi, code, *args)
        addresses[name] = address
        new[name] = Deployment(name, address, _code_hash(chain, address), "0x" + keccak(hexstr=code).hex(),
                               str(receipt["transactionHash"]), int(receipt["blockNumber"]))  # fmt: skip
    book.save({**recorded, **new})
    return ShieldedPool(chain, addresses["ShieldedPool"])


def _hasher_artifact() -> tuple[list[dict[str, Any]], str]:
    data = json.loads((PACKAGED / "PoseidonT3.json").read_text())
    return list(data["abi"]), str(data["bytecode"])
