"""pytest plugin: a real local node and deployed contracts for tests (``-p aiweb3.testing``).

Registered as the ``aiweb3`` pytest11 entry point. Session-scoped: one anvil node in a
temporary ``AIWEB3_HOME``, one chain client, funded dev accounts and the deployed system
contracts. ``chain_isolation`` (function-scoped) snapshots the chain before a test and
reverts after it, so tests share a node without sharing state.

Fixtures:
    aiweb3_home      temporary AIWEB3_HOME for the session
    local_node       the running LocalNode (stopped at the end of the session)
    chain            a Chain connected to it
    deployer         dev account 0 (deploys the system contracts)
    accounts         dev accounts 1..9, each with 1,000,000 AIUSD
    deployments      the system deployments (name -> Deployment)
    aiusd            the AIUSD contract object
    chain_isolation  evm_snapshot before, evm_revert after the test
    module_chain_isolation  the same around a whole test module (after the session setup)
    module_home      a fresh AIWEB3_HOME per module that knows the session's deployments
    llm_runtime      the embedded model server of ``aiweb3_home`` (the real default model)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.chain import (
    Chain,
    Deployment,
    LocalNode,
    NodeConfig,
    deploy_system,
    dev_account,
    system_contract,
)
from aiweb3.llm.runtime import RuntimeInfo

__all__ = [
    "accounts",
    "aiusd",
    "aiweb3_home",
    "chain",
    "chain_isolation",
    "deployer",
    "deployments",
    "llm_runtime",
    "local_node",
    "module_chain_isolation",
    "module_home",
]

FUNDED_AIUSD = 1_000_000 * 10**6


@pytest.fixture(scope="session")
def aiweb3_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh AIWEB3_HOME for the test session."""
    return tmp_path_factory.mktemp("aiweb3-home")


@pytest.fixture(scope="session")
def local_node(aiweb3_home: Path) -> Iterator[LocalNode]:
    """A real anvil node, started for the session and stopped after it (or when pytest dies)."""
    node = LocalNode(NodeConfig(home=aiweb3_home))
    node.start(die_with_parent=True)
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="session")
def chain(local_node: LocalNode) -> Iterator[Chain]:
    """A chain client on the session node."""
    client = Chain(local_node.url, expected_chain_id=local_node.config.chain_id)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def deployer() -> LocalAccount:
    """Dev account 0, which deploys the system contracts."""
    return dev_account(0)


@pytest.fixture(scope="session")
def deployments(chain: Chain, deployer: LocalAccount, aiweb3_home: Path) -> dict[str, Deployment]:
    """The system contracts, deployed once per session."""
    return deploy_system(chain, deployer, aiweb3_home)


@pytest.fixture(scope="session")
def aiusd(chain: Chain, deployments: dict[str, Deployment], aiweb3_home: Path) -> Contract:
    """The deployed AIUSD contract."""
    return system_contract(chain, aiweb3_home, "AIUSD")


@pytest.fixture(scope="session")
def accounts(chain: Chain, aiusd: Contract) -> list[LocalAccount]:
    """Dev accounts 1..9, each holding 1,000,000 AIUSD (and anvil's 10,000 ETH)."""
    accts = [dev_account(i) for i in range(1, 10)]
    for acct in accts:
        chain.transact(acct, aiusd.functions.faucet(acct.address, FUNDED_AIUSD))
    return accts


@pytest.fixture
def chain_isolation(chain: Chain) -> Iterator[Chain]:
    """Snapshot the chain before the test and revert after it."""
    snap = chain.snapshot()
    try:
        yield chain
    finally:
        chain.revert(snap)
        # a revert sets anvil's clock back to the snapshot's time (it then lags the wall clock);
        # mine one block so "latest" shows where the node's clock now is
        chain.rpc("evm_mine", [])


@pytest.fixture(scope="module")
def module_chain_isolation(
    chain: Chain, deployments: dict[str, Deployment], accounts: list[LocalAccount]
) -> Iterator[Chain]:
    """Snapshot after the session's contracts and funded accounts exist; revert after the module.

    What one module registers on the shared chain (models, agents, handles) is gone for the next.
    """
    snap = chain.snapshot()
    try:
        yield chain
    finally:
        chain.revert(snap)
        # a revert sets anvil's clock back to the snapshot's time (it then lags the wall clock);
        # mine one block so "latest" shows where the node's clock now is
        chain.rpc("evm_mine", [])


@pytest.fixture(scope="module")
def module_home(
    aiweb3_home: Path, deployments: dict[str, Deployment], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A fresh AIWEB3_HOME for one module (its own keys, markers and store) with the session's
    deployments file, so local state never outlives the module's chain snapshot."""
    home = tmp_path_factory.mktemp("module-home")
    shutil.copytree(aiweb3_home / "deployments", home / "deployments")
    return home


@pytest.fixture(scope="session")
def llm_runtime(aiweb3_home: Path) -> Iterator[RuntimeInfo]:
    """The embedded model server (default model, real llama.cpp) of the session's home.

    Started once, stopped at the end of the session; CLI commands run with
    ``AIWEB3_HOME=aiweb3_home`` find it instead of starting another.
    """
    from aiweb3.llm.runtime import ModelRuntime, RuntimeConfig

    runtime = ModelRuntime(RuntimeConfig(home=aiweb3_home))
    info = runtime.start(die_with_parent=True)
    yield info
    runtime.stop()
