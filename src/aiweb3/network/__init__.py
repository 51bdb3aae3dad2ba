"""Decentralised model creation: a proof-of-personal-work network.

Miners train a model on Flower (``aiweb3_flower``, robust aggregation), validators score every
update on their own hidden data, and the Subnet contract settles each epoch by Yuma consensus
over commit-reveal weights, paying AIUSD to miners (incentive) and validators (dividends).
"""

from aiweb3.network.data import DataContribution, DataSource, contribute_rows, reward_used_records
from aiweb3.network.federation import (
    STRATEGIES,
    FederationConfig,
    RoundRecord,
    Shards,
    TrainingRecord,
    load_record,
    make_shards,
    run_inprocess,
)
from aiweb3.network.local import NetworkHome
from aiweb3.network.run import NetworkReport, NetworkSpec, centralised_accuracy, run_network, settle_epochs
from aiweb3.network.scoring import cabal_weights, score_round, smooth_scores
from aiweb3.network.subnet import EpochOutcome, Role, Subnet, SubnetParams, weights_from_scores
from aiweb3.network.yuma import YumaParams, YumaResult, yuma_epoch

__all__ = [
    "STRATEGIES",
    "DataContribution",
    "DataSource",
    "EpochOutcome",
    "FederationConfig",
    "NetworkHome",
    "NetworkReport",
    "NetworkSpec",
    "Role",
    "RoundRecord",
    "Shards",
    "Subnet",
    "SubnetParams",
    "TrainingRecord",
    "YumaParams",
    "YumaResult",
    "cabal_weights",
    "centralised_accuracy",
    "contribute_rows",
    "load_record",
    "make_shards",
    "reward_used_records",
    "run_inprocess",
    "run_network",
    "score_round",
    "settle_epochs",
    "smooth_scores",
    "weights_from_scores",
    "yuma_epoch",
]
