"""The dashboard's DeFi page in a real browser (Debian's Chromium through Playwright): the empty
state before any backtest, then a real backtest on the pool (two strategies, one held-out seed),
kept as the CLI keeps it, shown as a table with its plot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from playwright import sync_api

from aiweb3.chain import Chain, Deployment
from aiweb3.defi import defi_up
from aiweb3.defi.backtest import BacktestConfig, fund_trader, plot_results, run_backtest, summarize
from aiweb3.defi.reports import save_backtest_report
from aiweb3.server import ServerConfig, ServerHandle, Services, serve

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture(scope="module")
def server(module_home: Path, chain: Chain, deployments: dict[str, Deployment]) -> Iterator[ServerHandle]:
    handle = serve(Services.open(ServerConfig(home=module_home, port=0), chain))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def page(server: ServerHandle) -> Iterator[sync_api.Page]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install the Debian package 'chromium' (make system-packages)")
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 860})
            pg = context.new_page()
            pg.on("pageerror", lambda exc: errors.append(str(exc)))
            yield pg
        finally:
            browser.close()
    assert errors == [], errors


def test_defi_page_shows_the_last_backtest(
    page: sync_api.Page, server: ServerHandle, chain: Chain, module_home: Path, deployer: LocalAccount,
    accounts: list[LocalAccount], tmp_path: Path,
) -> None:  # fmt: skip
    response = page.goto("/defi")
    assert response is not None and response.status == 200
    assert page.locator("h1").first.inner_text() == "DeFi backtests"
    assert page.locator("text=No backtest yet").is_visible()
    assert "active" in (page.locator("nav a[data-nav=defi]").get_attribute("class") or "")
    assert httpx.get(f"{server.url}/api/defi/backtests/lp.png").status_code == 404

    market = defi_up(chain, deployer, module_home)
    fund_trader(chain, market, accounts[8])
    results = run_backtest(
        chain, market, deployer, accounts[7], accounts[8], strategies=["passive", "fixed"], seeds=[1000],
        config=BacktestConfig(steps=24),
    )  # fmt: skip
    png = plot_results(results, tmp_path / "lp.png")
    save_backtest_report(
        module_home, "lp", summarize(results), [r.to_json() for r in results], seeds=[1000], png=png
    )

    page.goto("/defi")
    rows = page.locator("#backtest-lp-table tbody tr")
    assert rows.count() == 2
    fixed = rows.filter(has_text="fixed").inner_text()
    fees = results[1].fee_return * 100
    assert f"{fees:.3f}%" in fixed  # the run's own fee figure, as the table renders it
    image = page.locator("#backtest-lp img")
    image.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", image.element_handle())
    assert page.locator("text=No backtest yet").count() == 0
    data = httpx.get(f"{server.url}/api/defi/backtests").json()["backtests"]
    assert set(data["lp"]["summary"]) == {"passive", "fixed"} and data["lp"]["plot"] is True
