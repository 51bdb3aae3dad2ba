"""The dashboard's Social page in a real browser (Debian's Chromium through Playwright): the local
relay's feed with AI posts marked, their manifests checked, and a forged "AI" post flagged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright import sync_api

from aiweb3.chain import Chain, Deployment, dev_account
from aiweb3.provenance import registry_domain
from aiweb3.server import ServerConfig, ServerHandle, Services, serve
from aiweb3.social import (
    AIAccount,
    Identity,
    LocalRelay,
    NostrClient,
    Operator,
    Persona,
    RelayConfig,
    Rules,
    save_account_files,
)

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture(scope="module")
def served(
    module_home: Path, chain: Chain, deployments: dict[str, Deployment]
) -> Iterator[tuple[ServerHandle, str]]:
    relay = LocalRelay(RelayConfig(home=module_home))
    info = relay.start()
    handle = serve(Services.open(ServerConfig(home=module_home, port=0), chain))
    try:
        yield handle, info.url
    finally:
        handle.stop()
        relay.stop()


def test_social_page_marks_ai_posts_and_their_provenance(
    served: tuple[ServerHandle, str], tmp_path: Path, chain: Chain, deployments: dict[str, Deployment]
) -> None:
    server, relay_url = served
    domain = registry_domain(chain.chain_id, deployments["CreatorRegistry"].address)
    operator = Operator("acme", Identity.generate().pubkey, dev_account(5), domain)
    save_account_files(tmp_path / "greeter", Persona("Greeter"), Rules(topics=("zkml",)), "acme")
    newcomer, forger = Identity.generate(), Identity.generate()
    with NostrClient([relay_url]) as client:
        hello = newcomer.sign(1, "hello, first post here, into zkml")
        client.publish(hello)
        greeting = AIAccount(tmp_path / "greeter", Identity.generate(), operator, client).greet(hello)
        fake = forger.sign(
            1, "I am an AI you can trust", [["L", "content-origin"], ["l", "ai-generated", "content-origin"]]
        )
        client.publish(fake)

    feed = httpx.get(f"{server.url}/api/social/feed", timeout=60).json()
    by_id = {n["id"]: n for n in feed["notes"]}
    assert by_id[greeting.event_id]["provenance"]["verified"] is True  # type: ignore[index]
    assert by_id[fake.id]["provenance"]["verified"] is False and not by_id[hello.id]["ai"]

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install the Debian package 'chromium' (make system-packages)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(base_url=server.url)
            assert page.goto("/social").status == 200  # type: ignore[union-attr]
            assert page.locator("h1").first.inner_text() == "Social"
            assert "active" in (page.locator("nav a[data-nav=social]").get_attribute("class") or "")
            ai_row = page.locator(f"tr[data-id='{greeting.event_id}']")
            assert "ai-post" in (ai_row.get_attribute("class") or "")
            assert "manifest verified" in ai_row.inner_text() and "AI" in ai_row.inner_text()
            assert "not verified" in page.locator(f"tr[data-id='{fake.id}']").inner_text()
            plain = page.locator(f"tr[data-id='{hello.id}']")
            assert (
                "ai-post" not in (plain.get_attribute("class") or "") and "manifest" not in plain.inner_text()
            )
        finally:
            browser.close()
