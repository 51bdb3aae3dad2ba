"""The whole network story: train with Flower, score on hidden data, settle epochs on chain.

``run_network`` is what ``aiweb3 network demo`` and ``bench/network.py`` run: it splits a
data set among miners (some Byzantine) and validators (some in a cabal), runs the Flower rounds,
then settles one Subnet epoch per round (commit, reveal, Yuma consensus, AIUSD emission) and
reports who earned what and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain
from aiweb3.errors import InputError
from aiweb3.network.data import DataSource, reward_used_records
from aiweb3.network.federation import FederationConfig, Shards, TrainingRecord, make_shards, run_inprocess
from aiweb3.network.scoring import cabal_weights, score_round, smooth_scores
from aiweb3.network.subnet import EpochOutcome, Role, Subnet, SubnetParams, weights_from_scores
from aiweb3_flower.task import accuracy, init_params, train

__all__ = ["NetworkReport", "NetworkSpec", "centralised_accuracy", "run_network", "settle_epochs"]

WAD = 10**18


@dataclass(frozen=True)
class NetworkSpec:
    """Who takes part and how they behave.

    Args:
        behaviours: one per miner (``aiweb3_flower.task.BEHAVIOURS``).
        validator_stakes: AIUSD base units per validator.
        cabal: indexes of validators that collude, reporting weight only on ``cabal_miners``.
        cabal_miners: the miners the cabal favours.
        score_ema: rate of honest validators' moving average of their per-round scores (1: each
            epoch's weights come from its round alone); see ``smooth_scores``.
        dataset: ``digits`` or ``breast_cancer`` (scikit-learn).
        federation: Flower rounds and aggregation.
        subnet: the Subnet's constitution.
    """

    behaviours: list[str]
    validator_stakes: list[int]
    cabal: list[int] = field(default_factory=list)
    cabal_miners: list[int] = field(default_factory=list)
    score_ema: float = 0.2
    dataset: str = "digits"
    federation: FederationConfig = field(default_factory=FederationConfig)
    subnet: SubnetParams = field(default_factory=SubnetParams)

    def __post_init__(self) -> None:
        if any(not 0 <= i < len(self.validator_stakes) for i in self.cabal):
            raise InputError("cabal names a validator that does not exist")
        if any(not 0 <= j < len(self.behaviours) for j in self.cabal_miners):
            raise InputError("cabal_miners names a miner that does not exist")
        if not 0 < self.score_ema <= 1:
            raise InputError(f"score_ema must be in (0, 1], not {self.score_ema}")


@dataclass
class NetworkReport:
    """What the network did: accuracy per round, each epoch's consensus, who earned what."""

    subnet: str
    behaviours: list[str]
    validator_stakes: list[int]
    cabal: list[int]
    cabal_miners: list[int]
    accuracy: list[float]
    centralised_accuracy: float
    epochs: list[EpochOutcome]
    miner_earned: list[int]
    validator_earned: list[int]
    rejected: dict[int, dict[int, str]]
    data_rewards: list[dict[str, Any]] = field(default_factory=list)
    training: TrainingRecord | None = None
    shards: Shards | None = None

    @property
    def byzantine_share(self) -> float:
        """Share of the miners' emission that reached Byzantine miners."""
        total = sum(self.miner_earned)
        bad = sum(e for e, b in zip(self.miner_earned, self.behaviours, strict=True) if b != "honest")
        return bad / total if total else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "subnet": self.subnet,
            "behaviours": self.behaviours,
            "validator_stakes": self.validator_stakes,
            "cabal": self.cabal,
            "cabal_miners": self.cabal_miners,
            "accuracy": self.accuracy,
            "centralised_accuracy": self.centralised_accuracy,
            "byzantine_share": self.byzantine_share,
            "miner_earned": self.miner_earned,
            "validator_earned": self.validator_earned,
            "rejected": {str(r): {str(m): why for m, why in d.items()} for r, d in self.rejected.items()},
            "data_rewards": self.data_rewards,
            "epochs": [e.as_dict() for e in self.epochs],
        }


def centralised_accuracy(shards: Shards, config: FederationConfig) -> float:
    """The peer: one model trained on all miners' data pooled, for as many passes as a miner makes."""
    xs, ys = zip(*(shards.load(p) for p in shards.miners), strict=True)
    x, y = np.concatenate(xs), np.concatenate(ys)
    params = init_params(shards.n_features, shards.n_classes, config.seed)
    params = train(params, x, y, epochs=config.rounds * config.local_epochs, lr=config.lr, seed=config.seed)
    return accuracy(params, *shards.load(shards.test))


def settle_epochs(
    subnet: Subnet,
    record: TrainingRecord,
    shards: Shards,
    validators: list[LocalAccount],
    keeper: LocalAccount,
    *,
    cabal: list[int] = (),  # type: ignore[assignment]
    cabal_miners: list[int] = (),  # type: ignore[assignment]
    score_ema: float = 0.2,
) -> list[EpochOutcome]:
    """One epoch per Flower round: each validator scores the round on its hidden split and folds
    it into its moving average (``smooth_scores``), or, in the cabal, reports only its own miners;
    commits, reveals; ``keeper`` finalizes. Local dev nodes only: the clock is moved past each
    phase."""
    n_miners = len(shards.miners)
    evals = [shards.load(p) for p in shards.validators]
    running: list[list[float] | None] = [None] * len(validators)
    outcomes = []
    for rnd in record.rounds:
        if subnet.epoch_miners() != n_miners:
            raise InputError(f"the open epoch scores {subnet.epoch_miners()} miners, not {n_miners}")
        weights = []
        for i in range(len(validators)):
            if i in cabal:
                weights.append(weights_from_scores(cabal_weights(n_miners, list(cabal_miners))))
                continue
            smoothed = smooth_scores(running[i], score_round(rnd, *evals[i], n_miners), score_ema)
            running[i] = smoothed
            weights.append(weights_from_scores(smoothed))
        salts = [subnet.commit_weights(v, w) for v, w in zip(validators, weights, strict=True)]
        _, reveal_opens, ends_at = subnet.phase()
        subnet.dev_advance_to(reveal_opens)
        for v, w, s in zip(validators, weights, salts, strict=True):
            subnet.reveal_weights(v, w, s)
        subnet.dev_advance_to(ends_at)
        outcomes.append(subnet.finalize(keeper))
    return outcomes


def run_network(
    chain: Chain,
    token: str,
    sponsor: LocalAccount,
    miners: list[LocalAccount],
    validators: list[LocalAccount],
    spec: NetworkSpec,
    workdir: Path,
    *,
    mode: Literal["inprocess", "deployment"] = "inprocess",
    data: DataSource | None = None,
) -> NetworkReport:
    """Train, then settle: see the module docstring. Accounts must hold AIUSD for their stakes and
    the sponsor for the emission pool (``rounds x (emission_per_epoch + data_reward_per_epoch)``).
    With ``data`` the subnet is bound to that DatasetPool dataset and each epoch's data reward goes
    to the contributors whose records its round used (``aiweb3.network.data``)."""
    if data is not None and spec.subnet.data_reward_per_epoch <= 0:
        raise InputError("data contributions need a subnet with data_reward_per_epoch > 0")
    if data is not None and spec.dataset != "breast_cancer":
        raise InputError("the contributed records are breast-cancer rows: train with dataset='breast_cancer'")
    if len(miners) != len(spec.behaviours) or len(validators) != len(spec.validator_stakes):
        raise InputError("give one account per miner behaviour and per validator stake")
    shards = make_shards(
        workdir, spec.behaviours, len(validators), dataset=spec.dataset, seed=spec.federation.seed
    )
    if mode == "deployment":
        from aiweb3.network.deployment import run_deployment

        record = run_deployment(workdir, shards, spec.federation)
    else:
        record = run_inprocess(workdir, shards, spec.federation)
    test = shards.load(shards.test)
    subnet = Subnet.deploy(
        chain, sponsor, token, spec.subnet,
        dataset_pool=data.pool if data else None, dataset_id=data.dataset_id if data else 0,
    )  # fmt: skip
    for m in miners:
        subnet.register(m, Role.MINER, spec.subnet.min_stake)
    for v, stake in zip(validators, spec.validator_stakes, strict=True):
        subnet.register(v, Role.VALIDATOR, stake)
    per_epoch = spec.subnet.emission_per_epoch + (spec.subnet.data_reward_per_epoch if data else 0)
    subnet.fund_pool(sponsor, spec.federation.rounds * per_epoch)
    # the epoch open at deployment began before any miner registered: close it empty
    _, _, ends_at = subnet.phase()
    subnet.dev_advance_to(ends_at)
    subnet.finalize(sponsor)
    outcomes = settle_epochs(
        subnet, record, shards, validators, sponsor, cabal=spec.cabal, cabal_miners=spec.cabal_miners,
        score_ema=spec.score_ema,
    )  # fmt: skip
    data_rewards = reward_used_records(subnet, sponsor, data, shards, outcomes) if data else []
    return NetworkReport(
        subnet=subnet.address,
        behaviours=list(spec.behaviours),
        validator_stakes=list(spec.validator_stakes),
        cabal=list(spec.cabal),
        cabal_miners=list(spec.cabal_miners),
        accuracy=[accuracy(r.after, *test) for r in record.rounds],
        centralised_accuracy=centralised_accuracy(shards, spec.federation),
        epochs=outcomes,
        miner_earned=[subnet.owed(m.address) for m in miners],
        validator_earned=[subnet.owed(v.address) for v in validators],
        rejected={r.number: r.rejected for r in record.rounds if r.rejected},
        data_rewards=data_rewards,
        training=record,
        shards=shards,
    )
