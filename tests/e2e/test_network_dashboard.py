"""The dashboard's Network page in a real browser (Debian's Chromium through Playwright): the empty
state before any subnet, then a real run (Flower rounds, epochs settled on the node, a cabal, data
contributors) with its epochs, revealed weights, incentives, accuracy curve and data rewards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from playwright import sync_api
from web3.contract import Contract

from aiweb3.chain import Chain, Deployment, dev_account
from aiweb3.network import (
    FederationConfig,
    NetworkHome,
    NetworkReport,
    NetworkSpec,
    SubnetParams,
    contribute_rows,
    run_network,
)
from aiweb3.server import ServerConfig, ServerHandle, Services, serve

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
BEHAVIOURS = ["honest", "honest", "honest", "label_flip"]
STAKES = [1000 * 10**6, 900 * 10**6, 800 * 10**6]
PARAMS = SubnetParams(commit_period=30, reveal_period=30, data_reward_per_epoch=50 * 10**6)


@pytest.fixture(scope="module")
def server(
    module_home: Path, module_chain_isolation: Chain, deployments: dict[str, Deployment]
) -> Iterator[ServerHandle]:
    handle = serve(Services.open(ServerConfig(home=module_home, port=0), module_chain_isolation))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install the Debian package 'chromium' (make system-packages)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _funded(chain: Chain, aiusd: Contract, amount: int) -> LocalAccount:
    acct: LocalAccount = Account.create()
    chain.set_balance(acct.address, 10**18)
    if amount:
        chain.transact(dev_account(0), aiusd.functions.faucet(acct.address, amount))
    return acct


def _real_run(chain: Chain, home: Path, aiusd: Contract, tmp_path: Path) -> NetworkReport:
    """What `aiweb3 network demo` does, smaller: Flower in one process, 3 rounds, data contributors."""
    spec = NetworkSpec(
        behaviours=BEHAVIOURS,
        validator_stakes=STAKES,
        cabal=[2],
        cabal_miners=[0],
        dataset="breast_cancer",
        federation=FederationConfig(rounds=3, byzantine=1),
        subnet=PARAMS,
    )
    per_epoch = PARAMS.emission_per_epoch + PARAMS.data_reward_per_epoch
    sponsor = _funded(chain, aiusd, 3 * per_epoch)
    miners = [_funded(chain, aiusd, PARAMS.min_stake) for _ in BEHAVIOURS]
    validators = [_funded(chain, aiusd, s) for s in STAKES]
    holders = [_funded(chain, aiusd, 0) for _ in range(6)]
    data = contribute_rows(
        chain, home, dev_account(0), _funded(chain, aiusd, 6 * 10**6), _funded(chain, aiusd, 0), holders,
        list(range(6)), [True] * 5 + [False],
    )  # fmt: skip
    report = run_network(chain, str(aiusd.address), sponsor, miners, validators, spec, tmp_path, data=data)
    book = NetworkHome(home, chain.chain_id)
    book.save(report.subnet, report.epochs[0].block - 1)
    book.save_report(report.as_dict())
    return report


def _chart(page: sync_api.Page, box: str) -> dict[str, Any]:
    page.locator(f"#{box} canvas").wait_for()
    data: dict[str, Any] = page.evaluate(
        """(box) => {
          const chart = Chart.getChart(document.querySelector('#' + box + ' canvas'));
          return {values: chart.data.datasets[0].data, labels: chart.data.labels,
                  width: chart.chartArea.width, x: chart.options.scales.x.title.text};
        }""",
        box,
    )
    return data


def test_network_page_empty_then_from_a_real_run(
    server: ServerHandle,
    browser: sync_api.Browser,
    module_home: Path,
    module_chain_isolation: Chain,
    aiusd: Contract,
    tmp_path: Path,
) -> None:
    page = browser.new_page(base_url=server.url)
    assert page.goto("/network").status == 200  # type: ignore[union-attr]
    assert page.locator("h1").first.inner_text() == "Network"
    assert "active" in (page.locator("nav a[data-nav=network]").get_attribute("class") or "")
    assert page.locator(".empty-title").first.inner_text() == "No subnet yet"
    assert page.locator("#epochs-table").count() == 0 and page.locator("canvas").count() == 0

    report = _real_run(module_chain_isolation, module_home, aiusd, tmp_path)
    page.goto("/network")
    # epochs: one row per finalized epoch, newest first, with what each emitted
    rows = page.locator("#epochs-table tbody tr")
    assert rows.count() == 3
    assert [rows.nth(k).locator("td").first.inner_text() for k in range(3)] == [
        str(e.epoch) for e in reversed(report.epochs)
    ]
    # the weights revealed in the last epoch: the cabal's row all on miner 0, honest rows zero the attacker
    weights = page.locator("#weights-table tbody tr")
    assert weights.count() == 3
    cabal = [c.inner_text() for c in page.locator("#weights-table tr[data-validator='2'] td").all()]
    assert cabal[0] == "2 (cabal)" and [float(x) for x in cabal[1:]] == [1, 0, 0, 0]
    honest = [c.inner_text() for c in page.locator("#weights-table tr[data-validator='0'] td").all()]
    assert float(honest[4]) == 0 and all(float(x) > 0 for x in honest[1:4])
    # incentive of the last epoch and the accuracy curve, drawn by Chart.js from the run's numbers
    incentive = _chart(page, "incentive-chart")
    assert incentive["values"] == pytest.approx([x / 10**18 for x in report.epochs[-1].incentive])
    assert incentive["labels"] == ["0", "1", "2", "3"] and incentive["width"] > 0
    assert incentive["values"][3] == 0  # the label flipper earned nothing
    accuracy = _chart(page, "accuracy-chart")
    assert accuracy["values"] == pytest.approx(report.accuracy) and accuracy["x"] == "round"
    assert f"{report.centralised_accuracy:.3f}" in page.locator("#accuracy-chart").locator("..").inner_text()
    # participants with their behaviour, and the data contributors with what they earned and why
    neurons = page.locator("#neurons-table tbody").inner_text()
    assert "label_flip" in neurons and "cabal" in neurons
    data_rows = page.locator("#data-table tbody tr")
    assert data_rows.count() == 6
    assert "not accepted by the curator" in data_rows.nth(5).inner_text()
    paid = [d for d in report.data_rewards if d["earned"] > 0]
    assert paid
    for k, d in enumerate(report.data_rewards):
        shown = data_rows.nth(k).locator("td").nth(3).inner_text()
        assert float(shown.replace(",", "")) == pytest.approx(d["earned"] / 1e6, abs=0.005)
    page.close()
