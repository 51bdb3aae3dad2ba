"""The network routes of the service against a real node: a subnet with a finalized epoch and a
demo report in the home show on /api/network and the /network page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account.signers.local import LocalAccount

from aiweb3.chain import Chain, Deployment
from aiweb3.network import NetworkHome, Role, Subnet, SubnetParams
from aiweb3.server import ServerConfig, ServerHandle, Services, serve

PARAMS = SubnetParams(commit_period=20, reveal_period=20)


@pytest.fixture(scope="module")
def server(
    module_home: Path, module_chain_isolation: Chain, deployments: dict[str, Deployment]
) -> Iterator[ServerHandle]:
    services = Services.open(ServerConfig(home=module_home, port=0), module_chain_isolation)
    handle = serve(services)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def client(server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


def test_network_page_before_and_after_a_subnet(
    client: httpx.Client,
    module_home: Path,
    chain: Chain,
    deployments: dict[str, Deployment],
    accounts: list[LocalAccount],
) -> None:
    empty = client.get("/api/network").json()
    assert empty["subnet"] is None
    assert "No subnet yet" in client.get("/network").text

    sponsor, miners, validator = accounts[0], accounts[1:3], accounts[3]
    subnet = Subnet.deploy(chain, sponsor, deployments["AIUSD"].address, PARAMS)
    book = NetworkHome(module_home, chain.chain_id)
    book.save(subnet.address, chain.block_number())
    for m in miners:
        subnet.register(m, Role.MINER, PARAMS.min_stake)
    subnet.register(validator, Role.VALIDATOR, PARAMS.min_stake)
    subnet.fund_pool(sponsor, 2 * PARAMS.emission_per_epoch)
    subnet.dev_advance_to(subnet.phase()[2])
    subnet.finalize(sponsor)
    salt = subnet.commit_weights(validator, [65535, 21845])
    subnet.dev_advance_to(subnet.phase()[1])
    subnet.reveal_weights(validator, [65535, 21845], salt)
    subnet.dev_advance_to(subnet.phase()[2])
    subnet.finalize(sponsor)
    book.save_report(
        {"accuracy": [0.9, 0.95], "centralised_accuracy": 0.96, "byzantine_share": 0.0,
         "behaviours": ["honest", "free_rider"], "cabal": []}
    )  # fmt: skip

    data = client.get("/api/network").json()
    assert data["subnet"] == subnet.address and data["epoch"] == 3
    assert [e["epoch"] for e in data["epochs"]] == [1, 2]
    assert data["epochs"][1]["incentive_share"] == pytest.approx([0.75, 0.25])
    assert [m["owed"] > 0 for m in data["miners"]] == [True, True]
    html = client.get("/network").text
    assert 'id="epochs-table"' in html and 'id="accuracy-chart"' in html and "free_rider" in html
    assert subnet.address in html or subnet.address[:6] in html
