"""The dashboard's Privacy page in a real browser (Debian's Chromium through Playwright): the home's
meta-address, the announcement count, and a scan that lists the payments found, never a key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from playwright import sync_api

from aiweb3.agents import TokenInfo
from aiweb3.chain import Chain, Deployment
from aiweb3.privacy import StealthKeyring, announcements, send_stealth
from aiweb3.server import ServerConfig, ServerHandle, Services, serve

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PASSWORD = "viewing-pass"


@pytest.fixture(scope="module")
def server(module_home: Path, chain: Chain, deployments: dict[str, Deployment]) -> Iterator[ServerHandle]:
    handle = serve(Services.open(ServerConfig(home=module_home, port=0), chain))
    try:
        yield handle
    finally:
        handle.stop()


def test_privacy_page_shows_meta_address_announcements_and_found_payments(
    server: ServerHandle, module_home: Path, chain: Chain, deployments: dict[str, Deployment],
    accounts: list[LocalAccount], tmp_path: Path,
) -> None:  # fmt: skip
    ring = StealthKeyring(module_home)
    meta = ring.new("savings", PASSWORD)
    token = TokenInfo(deployments["AIUSD"].address, chain.chain_id)
    paid = [
        send_stealth(chain, module_home, accounts[0], token, meta, amount) for amount in (1_250_000, 750_000)
    ]
    send_stealth(chain, module_home, accounts[1], token, ring.new("other", PASSWORD), 5_000_000)  # not ours
    count = len(announcements(chain, module_home))
    keys = ring.unlock("savings", PASSWORD)
    secrets = [keys.viewing_key.hex(), keys.spending_key.hex()]

    summary = httpx.get(f"{server.url}/api/privacy").json()
    assert summary["announcements"] == count and {"name": "savings", "meta": meta.uri()} in summary["metas"]
    token_value = server.services.tokens.new("browser")[0]
    bad = httpx.post(f"{server.url}/api/privacy/scan", json={"name": "savings", "password": "guess"},
                     headers={"Authorization": f"Bearer {token_value}"})  # fmt: skip
    assert bad.status_code == 403 and "wrong password" in bad.json()["message"]
    unauthorised = httpx.post(
        f"{server.url}/api/privacy/scan", json={"name": "savings", "password": PASSWORD}
    )
    assert unauthorised.status_code == 401

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install the Debian package 'chromium' (make system-packages)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(base_url=server.url)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            assert page.goto("/privacy").status == 200  # type: ignore[union-attr]
            assert page.locator("h1").first.inner_text() == "Privacy"
            assert "active" in (page.locator("nav a[data-nav=privacy]").get_attribute("class") or "")
            assert page.locator("#stat-announcements").inner_text() == str(count)
            assert meta.uri() in page.locator("#metas-table tr[data-name=savings]").inner_text()

            page.fill("#api-token", token_value)
            page.select_option("#scan-name", "savings")
            page.fill("#scan-password", "guess")
            page.click("#scan-submit")
            alert = page.locator("#scan-status [role=alert]")
            alert.wait_for()
            assert alert.inner_text().startswith("403")

            page.fill("#scan-password", PASSWORD)
            page.click("#scan-submit")
            page.locator("#found-card").wait_for()
            rows = page.locator("#found-table tbody tr")
            assert rows.count() == 2
            for sent in paid:
                row = page.locator(f"#found-table tr[data-address='{sent.stealth.address}']")
                assert f"{sent.amount / 1e6:g}" in row.inner_text()
            assert "2 payment(s) to savings" in page.locator("#found-summary").inner_text()
            assert page.input_value("#scan-password") == ""  # not kept in the form
            html = page.content().lower()
            assert not any(secret in html for secret in secrets)  # never a key
            page.screenshot(path=str(tmp_path / "privacy.png"), full_page=True)
            assert errors == [], errors
        finally:
            browser.close()
