"""Run the federation in one process: the ServerApp's strategy and every miner's ClientApp,
joined by a Grid that hands each message straight to the destination node's ClientApp.

The same ``run_federation`` and ``client_app.app`` run under real SuperLink/SuperNode
processes; only the transport differs (as httpx's ASGI transport stands in for the network).

    python -m aiweb3_flower.inprocess config.json

``config.json``: ``{"run_config": {...}, "nodes": [{"miner": 0, "data-path": ..., "behaviour": ...}]}``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Any
from uuid import uuid4

from flwr.app import Context, Message, RecordDict
from flwr.common.constant import SUPERLINK_NODE_ID
from flwr.serverapp import Grid
from flwr.supercore.run import Run
from flwr.supercore.task_identity import TaskIdentity

from aiweb3_flower.client_app import app as client_app
from aiweb3_flower.server_app import run_federation


class LocalGrid(Grid):
    """A Grid whose nodes are ClientApp contexts in this process."""

    def __init__(self, nodes: list[dict[str, Any]], run_config: dict[str, Any]) -> None:
        self._run = Run.create_empty(run_id=1)
        TaskIdentity.run_id = 1  # what a SuperLink would assign; messages read them
        TaskIdentity.task_id = 1
        TaskIdentity.node_id = SUPERLINK_NODE_ID
        self._contexts = {
            i + 1: Context(
                run_id=1, node_id=i + 1, node_config=node, state=RecordDict(), run_config=run_config
            )
            for i, node in enumerate(nodes)
        }
        self._replies: dict[str, Message] = {}

    def set_run(self, run: Run) -> None:
        """Adopt a run (unused in process)."""
        self._run = run

    @property
    def run(self) -> Run:
        """The run."""
        return self._run

    def create_message(
        self,
        content: RecordDict,
        message_type: str,
        dst_node_id: int,
        group_id: str,
        ttl: float | None = None,
    ) -> Message:
        """A message to one node."""
        return Message(content, dst_node_id, message_type, ttl=ttl, group_id=group_id)

    def get_node_ids(self) -> Iterable[int]:
        """Every miner node."""
        return list(self._contexts)

    def push_messages(self, messages: Iterable[Message]) -> Iterable[str]:
        """Deliver each message to its node's ClientApp now; keep the reply."""
        ids = []
        for msg in messages:
            msg.metadata.__dict__["_message_id"] = msg_id = str(uuid4())
            TaskIdentity.node_id = msg.metadata.dst_node_id
            try:
                self._replies[msg_id] = client_app(msg, self._contexts[msg.metadata.dst_node_id])
            finally:
                TaskIdentity.node_id = SUPERLINK_NODE_ID
            ids.append(msg_id)
        return ids

    def pull_messages(self, message_ids: Iterable[str]) -> Iterable[Message]:
        """The kept replies."""
        return [self._replies.pop(i) for i in message_ids if i in self._replies]

    def send_and_receive(
        self, messages: Iterable[Message], *, timeout: float | None = None
    ) -> Iterable[Message]:
        """Push, then pull every reply (delivery is synchronous)."""
        return self.pull_messages(list(self.push_messages(messages)))


def main(argv: list[str]) -> int:
    """Run the federation described by the JSON file ``argv[0]``."""
    with open(argv[0]) as f:
        spec = json.load(f)
    run_federation(LocalGrid(spec["nodes"], spec["run_config"]), spec["run_config"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
