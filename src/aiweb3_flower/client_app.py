"""The miner: a Flower ClientApp training on its own shard (``node_config["data-path"]``)."""

from __future__ import annotations

import numpy as np
from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from aiweb3_flower.task import local_update

app = ClientApp()


@app.train()
def train(msg: Message, context: Context) -> Message:
    """One round of local work on this node's shard; replies with the new parameters."""
    cfg = context.node_config
    with np.load(str(cfg["data-path"])) as shard:
        x, y = shard["x"], shard["y"]
    params = msg.content["arrays"].to_numpy_ndarrays()
    train_cfg = msg.content["config"]
    server_round = int(train_cfg["server-round"])
    miner = int(cfg["miner"])
    new = local_update(
        params,
        x,
        y,
        str(cfg.get("behaviour", "honest")),
        epochs=int(train_cfg["local-epochs"]),
        lr=float(train_cfg["lr"]),
        seed=1000 * server_round + miner,
    )
    metrics = MetricRecord({"num-examples": len(y), "miner": miner})
    return Message(RecordDict({"arrays": ArrayRecord(new), "metrics": metrics}), reply_to=msg)
