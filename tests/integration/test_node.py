"""The supervised anvil node: discovery, persistence across stops and crashes, bad states."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from aiweb3.chain import Chain, LocalNode, NodeConfig, TxRequest, dev_account
from aiweb3.errors import NodeError

RECIPIENT = "0x000000000000000000000000000000000000bEEF"


def _send_eth(chain: Chain, wei: int) -> None:
    chain.send(dev_account(0), TxRequest(RECIPIENT, value=wei))


def test_second_process_finds_running_node(tmp_path: Path) -> None:
    first = LocalNode(NodeConfig(home=tmp_path))
    info = first.start()
    try:
        again = LocalNode(NodeConfig(home=tmp_path)).start()
        assert again.pid == info.pid and again.url == info.url
        assert LocalNode(NodeConfig(home=tmp_path)).healthy()
    finally:
        assert first.stop()
    assert first.info() is None and not first.stop()


def test_state_survives_clean_stop(tmp_path: Path) -> None:
    node = LocalNode(NodeConfig(home=tmp_path))
    chain = Chain(node.start().url)
    _send_eth(chain, 12345)
    head = chain.block_number()
    chain.close()
    node.stop()
    chain = Chain(node.start().url)
    try:
        assert chain.balance(RECIPIENT) == 12345
        assert chain.block_number() == head
    finally:
        chain.close()
        node.stop()


def test_state_survives_sigkill_after_one_interval(tmp_path: Path) -> None:
    node = LocalNode(NodeConfig(home=tmp_path, state_interval=1))
    chain = Chain(node.start().url)
    _send_eth(chain, 777)
    time.sleep(2.5)  # more than one state interval: the dump after the tx has happened
    chain.close()
    node.kill()
    assert node.info() is None  # the pid file of a dead node is recognised as stale
    chain = Chain(node.start().url)
    try:
        assert chain.balance(RECIPIENT) == 777
    finally:
        chain.close()
        node.stop()


def test_stale_pid_file_is_replaced(tmp_path: Path) -> None:
    node = LocalNode(NodeConfig(home=tmp_path))
    node.dir.mkdir(parents=True)
    stale = {"pid": 2**22 + 12345, "port": 1, "url": "http://127.0.0.1:1", "chain_id": 31337,
             "started_at": 0.0}  # fmt: skip
    node.info_file.write_text(json.dumps(stale))
    info = node.start()
    try:
        assert info.pid != stale["pid"] and node.healthy()
    finally:
        node.stop()


def test_port_already_taken(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        node = LocalNode(NodeConfig(home=tmp_path, port=port))
        with pytest.raises(NodeError, match="already taken"):
            node.start()
        assert node.info() is None


def test_unreadable_state_file_is_moved_aside(tmp_path: Path) -> None:
    node = LocalNode(NodeConfig(home=tmp_path))
    node.dir.mkdir(parents=True)
    node.state_file.write_text("{ not json")
    with pytest.raises(NodeError, match="moved to"):
        node.start()
    assert not node.state_file.exists()
    assert list(node.dir.glob("state.broken-*.json"))
    node.start()
    node.stop()


def test_reset_erases_the_chain(tmp_path: Path) -> None:
    node = LocalNode(NodeConfig(home=tmp_path))
    chain = Chain(node.start().url)
    _send_eth(chain, 5)
    chain.close()
    node.reset()
    chain = Chain(node.start().url)
    try:
        assert chain.balance(RECIPIENT) == 0 and chain.block_number() == 0
    finally:
        chain.close()
        node.stop()
