"""The dashboard's Red team page in a real browser (Debian's Chromium through Playwright): a run
made on the session node is listed, and its page shows the confirmed finding, its proof-of-concept
transactions and the verified patch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright import sync_api

from aiweb3.chain import Chain, Deployment
from aiweb3.redteam.exploit_run import run_target
from aiweb3.redteam.report import runs_dir, write_report
from aiweb3.redteam.targets import load_target
from aiweb3.server import ServerConfig, ServerHandle, Services, serve

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
ENTRY = Path(__file__).resolve().parents[1] / "redteam_corpus" / "unprotected-withdraw"

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def server(module_home: Path, chain: Chain, deployments: dict[str, Deployment]) -> Iterator[ServerHandle]:
    handle = serve(Services.open(ServerConfig(home=module_home, port=0), chain))
    try:
        yield handle
    finally:
        handle.stop()


def test_redteam_page_lists_runs_and_shows_a_confirmed_finding(
    server: ServerHandle, module_home: Path, chain: Chain
) -> None:
    empty = httpx.get(f"{server.url}/api/redteam/runs", timeout=30).json()
    assert empty == {"runs": []}
    report = run_target(chain, load_target(ENTRY), slither=False, search_examples=0)
    assert report.confirmed
    write_report(report, runs_dir(module_home) / report.run_id)
    runs = httpx.get(f"{server.url}/api/redteam/runs", timeout=30).json()["runs"]
    assert [r["run_id"] for r in runs] == [report.run_id] and runs[0]["confirmed"] >= 1
    assert httpx.get(f"{server.url}/api/redteam/runs/no-such-run", timeout=30).status_code == 404

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install the Debian package 'chromium' (make system-packages)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(base_url=server.url)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            assert page.goto("/redteam").status == 200  # type: ignore[union-attr]
            assert page.locator("h1").first.inner_text() == "Red team"
            assert "active" in (page.locator("nav a[data-nav=redteam]").get_attribute("class") or "")
            row = page.locator(f"#runs-table tr[data-run='{report.run_id}']")
            assert "unprotected-withdraw" in row.inner_text()
            row.locator("a").click()
            page.wait_for_url(f"**/redteam/runs/{report.run_id}")
            confirmed = page.locator("#findings-table tr[data-status=confirmed]").first
            assert "patched twin: verified" in confirmed.inner_text()
            assert page.locator("table.poc tr").count() >= 2
            assert errors == []
        finally:
            browser.close()
