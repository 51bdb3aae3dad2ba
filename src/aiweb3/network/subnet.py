"""Client for the Subnet contract: stake, commit-reveal weights, epochs, rewards."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract

from aiweb3.chain import Chain, artifact, checksum
from aiweb3.chain.client import Receipt
from aiweb3.errors import InputError
from aiweb3.network.yuma import YumaParams

__all__ = [
    "MAX_WEIGHT",
    "EpochOutcome",
    "Role",
    "Subnet",
    "SubnetParams",
    "weights_from_scores",
]

#: Weights go on chain as uint16.
MAX_WEIGHT = 65_535


class Role(IntEnum):
    """A participant's role (the contract's enum)."""

    MINER = 1
    VALIDATOR = 2


@dataclass(frozen=True)
class SubnetParams:
    """A subnet's constitution, fixed at deployment.

    Args:
        min_stake: smallest stake (AIUSD base units) to register.
        emission_per_epoch: AIUSD base units split per epoch (while the pool lasts).
        commit_period, reveal_period: seconds of each phase of an epoch.
        yuma: consensus parameters.
        data_reward_per_epoch: AIUSD base units per epoch for data contributors (``reward_data``).
    """

    min_stake: int = 100 * 10**6
    emission_per_epoch: int = 1_000 * 10**6
    commit_period: int = 60
    reveal_period: int = 60
    yuma: YumaParams = field(default_factory=YumaParams)
    data_reward_per_epoch: int = 0

    def as_tuple(self) -> tuple[int | bool, ...]:
        """The contract's ``Params`` struct."""
        kappa, beta, alpha, xi = self.yuma.as_wad()
        return (
            self.min_stake,
            self.emission_per_epoch,
            self.commit_period,
            self.reveal_period,
            kappa,
            beta,
            alpha,
            xi,
            self.yuma.median_incentive,
            self.data_reward_per_epoch,
        )


@dataclass(frozen=True)
class EpochOutcome:
    """What one finalized epoch decided (shares in 1e18 fixed point, rewards in base units)."""

    epoch: int
    emitted: int
    stakes: list[int]
    consensus: list[int]
    incentive: list[int]
    dividends: list[int]
    miner_rewards: list[int]
    validator_rewards: list[int]
    gas_used: int
    block: int

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return dict(self.__dict__)


def weights_from_scores(scores: Sequence[float]) -> list[int]:
    """Turn non-negative scores into on-chain weights (the best score becomes 65535).

    Raises:
        InputError: a score is negative, NaN or infinite.
    """
    values = [float(s) for s in scores]
    bad = [i for i, v in enumerate(values) if not math.isfinite(v) or v < 0]
    if bad:
        raise InputError(f"scores must be finite and >= 0; miner {bad[0]} has {values[bad[0]]!r}")
    top = max(values, default=0.0)
    if top <= 0:
        return [0] * len(values)
    return [round(v / top * MAX_WEIGHT) for v in values]


class Subnet:
    """One deployed Subnet contract."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address = checksum(address)
        self.contract: Contract = chain.contract(artifact("Subnet").abi, self.address)
        self.token: Contract = chain.contract(
            artifact("AIUSD").abi, str(chain.call(self.contract.functions.token()))
        )

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        sponsor: LocalAccount,
        token: str,
        params: SubnetParams,
        *,
        dataset_pool: str | None = None,
        dataset_id: int = 0,
    ) -> Subnet:
        """Deploy a subnet paying in ``token``; ``sponsor`` funds its pool and may take back the
        unspent. With ``dataset_pool`` and ``dataset_id``, accepted contributions to that dataset
        can share each epoch's data reward (``reward_data``)."""
        art = artifact("Subnet")
        pool = checksum(dataset_pool) if dataset_pool else "0x" + "00" * 20
        address, _ = chain.deploy(
            sponsor, art.abi, art.bytecode, checksum(token), params.as_tuple(), pool, dataset_id
        )
        return cls(chain, address)

    # -- participants ------------------------------------------------------------------------
    def register(self, account: LocalAccount, role: Role, stake: int) -> int:
        """Approve and stake ``stake`` as a miner or validator; returns the uid."""
        min_stake = int(self.chain.call(self.contract.functions.minStake()))
        if stake < min_stake:
            raise InputError(f"stake {stake} is below the subnet's minimum {min_stake}; stake more")
        self.chain.transact(account, self.token.functions.approve(self.address, stake))
        receipt = self.chain.transact(account, self.contract.functions.register(int(role), stake))
        (event,) = self.chain.events(self.contract, "Registered", receipt)
        return int(event["uid"])

    def add_stake(self, account: LocalAccount, amount: int) -> Receipt:
        """Approve and add stake."""
        self.chain.transact(account, self.token.functions.approve(self.address, amount))
        return self.chain.transact(account, self.contract.functions.addStake(amount))

    def exit(self, account: LocalAccount) -> Receipt:
        """Leave once the current epoch is finalized."""
        return self.chain.transact(account, self.contract.functions.exit())

    def withdraw_stake(self, account: LocalAccount) -> Receipt:
        """Take back the stake after the exit took effect (moves funds to ``account``)."""
        return self.chain.transact(account, self.contract.functions.withdrawStake())

    def counts(self) -> tuple[int, int]:
        """(miners, validators) ever registered."""
        miners, validators = self.chain.call(self.contract.functions.counts())
        return int(miners), int(validators)

    def neurons(self, role: Role) -> list[dict[str, Any]]:
        """Every miner or validator: account, stake, exit epoch."""
        miners, validators = self.counts()
        fn = self.contract.functions.miner if role is Role.MINER else self.contract.functions.validator
        out = []
        for uid in range(miners if role is Role.MINER else validators):
            account, stake, exit_epoch, withdrawn = self.chain.call(fn(uid))
            out.append(
                {
                    "uid": uid,
                    "account": account,
                    "stake": int(stake),
                    "exit_epoch": int(exit_epoch),
                    "withdrawn": withdrawn,
                }
            )
        return out

    # -- weights ----------------------------------------------------------------------------
    def epoch(self) -> int:
        """The epoch now open."""
        return int(self.chain.call(self.contract.functions.epoch()))

    def epoch_miners(self) -> int:
        """How many miners (uids 0..n-1) the open epoch scores."""
        return int(self.chain.call(self.contract.functions.epochMiners()))

    def phase(self) -> tuple[int, int, int]:
        """(epoch, reveal opens at, epoch ends at), in the node's seconds."""
        epoch, reveal_opens, ends_at = self.chain.call(self.contract.functions.phase())
        return int(epoch), int(reveal_opens), int(ends_at)

    def commitment(self, epoch: int, validator: str, weights: Sequence[int], salt: bytes) -> bytes:
        """The commitment the contract expects (computed locally, as ``commitmentOf``)."""
        encoded = abi_encode(
            ["uint256", "address", "uint64", "address", "uint16[]", "bytes32"],
            [self.chain.chain_id, self.address, epoch, checksum(validator), list(weights), salt],
        )
        return keccak(encoded)

    def _check_weights(self, weights: Sequence[int]) -> list[int]:
        expected = self.epoch_miners()
        if len(weights) != expected:
            raise InputError(
                f"{len(weights)} weights given, but this epoch scores {expected} miners; give one per miner"
            )
        out = []
        for j, w in enumerate(weights):
            if not isinstance(w, int) or isinstance(w, bool) or not 0 <= w <= MAX_WEIGHT:
                raise InputError(f"weight for miner {j} must be an integer in 0..{MAX_WEIGHT}, got {w!r}")
            out.append(w)
        return out

    def commit_weights(
        self, validator: LocalAccount, weights: Sequence[int], salt: bytes | None = None
    ) -> bytes:
        """Commit to ``weights`` for the open epoch; returns the salt needed to reveal them."""
        checked = self._check_weights(weights)
        salt = salt if salt is not None else os.urandom(32)
        digest = self.commitment(self.epoch(), validator.address, checked, salt)
        self.chain.transact(validator, self.contract.functions.commitWeights(digest))
        return salt

    def reveal_weights(self, validator: LocalAccount, weights: Sequence[int], salt: bytes) -> Receipt:
        """Reveal the committed weights (reverts with RevealMismatch if they differ)."""
        checked = self._check_weights(weights)
        return self.chain.transact(validator, self.contract.functions.revealWeights(checked, salt))

    # -- epochs -----------------------------------------------------------------------------
    def dev_advance_to(self, timestamp: int) -> None:
        """Move a local dev node's clock to ``timestamp`` (evm_increaseTime; dev nodes only)."""
        now = self.chain.block_time()
        if timestamp > now:
            self.chain.rpc("evm_increaseTime", [timestamp - now])
        self.chain.rpc("evm_mine", [])

    def finalize(self, sender: LocalAccount) -> EpochOutcome:
        """Close the epoch (after its reveal phase): run Yuma consensus and credit the emission."""
        receipt = self.chain.transact(sender, self.contract.functions.finalizeEpoch())
        (event,) = self.chain.events(self.contract, "EpochFinalized", receipt)
        return _outcome(event, int(receipt["gasUsed"]), int(receipt["blockNumber"]))

    def outcomes(self, from_block: int = 0) -> list[EpochOutcome]:
        """Every finalized epoch, read from the chain's logs."""
        logs = self.contract.events.EpochFinalized().get_logs(from_block=from_block)
        return [_outcome(dict(log["args"]), 0, int(log["blockNumber"])) for log in logs]

    def revealed_weights(self, epoch: int, from_block: int = 0) -> dict[int, list[int]]:
        """The weights each validator (by uid) revealed in ``epoch``, read from the chain's logs."""
        logs = self.contract.events.WeightsRevealed().get_logs(
            from_block=from_block, argument_filters={"epoch": epoch}
        )
        return {int(log["args"]["validatorUid"]): [int(w) for w in log["args"]["weights"]] for log in logs}

    def compute_epoch(
        self, stakes: Sequence[int], weights: Sequence[Sequence[int]], bonds: Sequence[Sequence[int]]
    ) -> dict[str, Any]:
        """Run the contract's Yuma consensus on given inputs (a call, no transaction)."""
        result = self.chain.call(
            self.contract.functions.computeEpoch(
                [int(s) for s in stakes],
                [[int(w) for w in row] for row in weights],
                [[int(b) for b in row] for row in bonds],
            )
        )
        consensus, ranks, incentive, dividends, new_bonds = result
        return {
            "consensus": list(consensus),
            "ranks": list(ranks),
            "incentive": list(incentive),
            "dividends": list(dividends),
            "bonds": [list(row) for row in new_bonds],
        }

    def bonds(self, validator_uid: int) -> list[int]:
        """A validator's EMA bonds over this epoch's miners (1e18 fixed point)."""
        return [int(b) for b in self.chain.call(self.contract.functions.bondsOf(validator_uid))]

    def reward_data(self, sponsor: LocalAccount, epoch: int, contribution_ids: Sequence[int]) -> int:
        """Pay the DatasetPool contributors whose accepted records epoch ``epoch``'s round used
        (sponsor only, once per finalized epoch); returns what each record earned."""
        ids = sorted(set(int(i) for i in contribution_ids))
        if not ids:
            raise InputError("name at least one accepted contribution whose records the round used")
        receipt = self.chain.transact(sponsor, self.contract.functions.rewardData(epoch, ids))
        (event,) = self.chain.events(self.contract, "DataRewarded", receipt)
        return int(event["perRecord"])

    # -- funds ------------------------------------------------------------------------------
    def fund_pool(self, funder: LocalAccount, amount: int) -> Receipt:
        """Approve and add ``amount`` to the emission pool (moves funds from ``funder``)."""
        self.chain.transact(funder, self.token.functions.approve(self.address, amount))
        return self.chain.transact(funder, self.contract.functions.fundPool(amount))

    def owed(self, account: str) -> int:
        """Rewards credited to ``account`` and not yet claimed."""
        return int(self.chain.call(self.contract.functions.owed(checksum(account))))

    def claim(self, account: LocalAccount) -> int:
        """Pay ``account`` its credited rewards; returns the amount."""
        amount = self.owed(account.address)
        self.chain.transact(account, self.contract.functions.claim())
        return amount

    def balances(self) -> dict[str, int]:
        """Pool, stakes and credited rewards the contract holds, and its token balance."""
        fns = self.contract.functions
        return {
            "emission_pool": int(self.chain.call(fns.emissionPool())),
            "total_staked": int(self.chain.call(fns.totalStaked())),
            "total_owed": int(self.chain.call(fns.totalOwed())),
            "token_balance": int(self.chain.call(self.token.functions.balanceOf(self.address))),
        }


def _outcome(args: dict[str, Any], gas_used: int, block: int) -> EpochOutcome:
    return EpochOutcome(
        epoch=int(args["epoch"]),
        emitted=int(args["emitted"]),
        stakes=[int(x) for x in args["stakes"]],
        consensus=[int(x) for x in args["consensus"]],
        incentive=[int(x) for x in args["incentive"]],
        dividends=[int(x) for x in args["dividends"]],
        miner_rewards=[int(x) for x in args["minerRewards"]],
        validator_rewards=[int(x) for x in args["validatorRewards"]],
        gas_used=gas_used,
        block=block,
    )
