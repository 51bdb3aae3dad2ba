"""The dashboard in a real browser (Debian's Chromium through Playwright) against the real server.

Loads every page, signs a file from the dashboard and watches the job finish over server-sent
events, verifies the signed file and rejects a tampered copy, proves an inference of the demo
model from its page, verifies the proof file and rejects a tampered proof, and asks the
indexed chain a question. Screenshots go to a temporary
directory, or to ``$AIWEB3_SCREENSHOTS`` (``AIWEB3_SCREENSHOTS=docs/screenshots`` refreshes the docs).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright import sync_api

from aiweb3.chain import Chain, Deployment
from aiweb3.server import ServerConfig, ServerHandle, Services, serve
from aiweb3.server.demo import seed_demo
from aiweb3.server.modeljobs import models_overview

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = [
    ("overview", "/", "Verifiable AI on your own chain"),
    ("chain", "/chain", "Chain and accounts"),
    ("models", "/models", "Models"),
    ("content", "/content", "Signed content"),
    ("datasets", "/datasets", "Data sets"),
    ("agents", "/agents", "Agents"),
    ("defi", "/defi", "DeFi backtests"),
    ("games", "/games", "Games"),
    ("redteam", "/redteam", "Red team"),
    ("social", "/social", "Social"),
    ("network", "/network", "Network"),
    ("privacy", "/privacy", "Privacy"),
    ("analytics", "/analytics", "Analytics"),
    ("jobs", "/jobs", "Jobs"),
    ("verify", "/verify", "Verify a file"),
    ("apidocs", "/docs", "API reference"),
]


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = os.environ.get("AIWEB3_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def server(module_home: Path, chain: Chain, deployments: dict[str, Deployment]) -> Iterator[ServerHandle]:
    services = Services.open(ServerConfig(home=module_home, port=0), chain)
    services.start_indexer(poll_interval=0.2)
    handle = serve(services)
    demo = seed_demo(services)
    if demo is not None:
        assert services.jobs.wait(demo.id, 600)["state"] == "succeeded"
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


@pytest.fixture
def page(browser: sync_api.Browser, server: ServerHandle) -> Iterator[sync_api.Page]:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield pg
    finally:
        context.close()
    assert errors == [], errors


def test_sign_from_the_dashboard_and_watch_the_job(
    page: sync_api.Page, server: ServerHandle, tmp_path: Path, shots: Path
) -> None:
    token = server.services.tokens.new("browser")[0]
    upload = tmp_path / "field-notes.txt"
    upload.write_bytes(b"observations from the field\n" * 3000)
    page.goto("/content")
    page.fill("#api-token", token)
    page.set_input_files("#sign-file", str(upload))
    page.check("#sign-anchor")
    page.click("#sign-submit")
    status = page.locator("#sign-status")
    status.locator(".badge[data-state=succeeded]").wait_for(timeout=60_000)
    assert "100%" in status.inner_text()
    # the list of signed files refreshes after the job, without reloading the page
    page.locator("#content-table tbody tr", has_text="field-notes.txt").wait_for()
    page.screenshot(path=str(shots / "content-signed.png"), full_page=True)
    status.locator(".result-link a").first.click()
    page.wait_for_url("**/content/0x*")
    assert page.locator("h1").inner_text() == "field-notes.txt"
    assert "Block" in page.locator("#anchoring").inner_text()
    page.goto("/jobs")
    row = page.locator("#jobs-table tbody tr", has_text="Sign field-notes.txt")
    assert row.locator(".badge").inner_text() == "succeeded"
    row.locator("a").first.click()
    view = page.locator("#job-result-view")
    view.wait_for()
    assert view.locator("a[href^='/content/0x']").count() >= 1
    assert not page.locator("#job-result pre").is_visible()  # raw JSON only on request
    page.screenshot(path=str(shots / "job.png"), full_page=True)


def test_a_wrong_token_is_refused_in_the_dashboard(page: sync_api.Page, tmp_path: Path) -> None:
    upload = tmp_path / "x.txt"
    upload.write_bytes(b"x" * 2000)
    page.goto("/content")
    page.fill("#api-token", "aiw_not-a-real-token")
    page.set_input_files("#sign-file", str(upload))
    page.click("#sign-submit")
    alert = page.locator("#sign-status [role=alert]")
    alert.wait_for()
    assert alert.inner_text().startswith("401")
    assert "`" not in alert.inner_text()  # the command in the message is shown as code
    assert alert.locator("code", has_text="aiweb3 token new").count() == 1


def test_verify_a_signed_file_and_reject_a_tampered_one(
    page: sync_api.Page, server: ServerHandle, tmp_path: Path, shots: Path
) -> None:
    entry = next(e for e in server.services.library.entries() if e.path.name == "demo-tone.wav")
    good = tmp_path / entry.path.name
    good.write_bytes(entry.path.read_bytes())
    sidecar = tmp_path / entry.sidecar.name
    sidecar.write_bytes(entry.sidecar.read_bytes())
    page.goto("/verify")
    page.set_input_files("#verify-file", str(good))
    page.set_input_files("#verify-sidecar", str(sidecar))
    page.click("#verify-submit")
    head = page.locator("#verdict-head[data-ok]")
    head.wait_for()
    assert head.get_attribute("data-ok") == "true"
    assert "authentic" in head.inner_text()
    page.screenshot(path=str(shots / "verify-authentic.png"), full_page=True)

    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    tampered = bytearray(good.read_bytes())
    tampered[-10] ^= 0x55
    bad = bad_dir / good.name
    bad.write_bytes(bytes(tampered))
    page.set_input_files("#verify-file", str(bad))
    page.set_input_files("#verify-sidecar", str(sidecar))
    page.click("#verify-submit")
    page.locator("#verdict-head[data-ok=false]").wait_for()
    assert "REJECTED" in page.locator("#verdict-head").inner_text()
    failed = page.locator("#checks tbody tr", has=page.locator("td.check-fail"))
    assert "content" in failed.first.inner_text()
    page.screenshot(path=str(shots / "verify-rejected.png"), full_page=True)


@pytest.mark.parametrize(("slug", "path", "heading"), PAGES)
def test_every_page_loads(page: sync_api.Page, shots: Path, slug: str, path: str, heading: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200
    assert page.locator("h1").first.inner_text() == heading
    if slug != "apidocs":  # the API reference is linked from the footer, not the navigation
        assert "active" in (page.locator(f"nav a[data-nav={slug}]").get_attribute("class") or "")
    else:
        assert page.locator("#api-table tr", has_text="/api/verify").count() == 1
    if slug == "agents":
        assert page.locator("#agents-table tbody tr", has_text="proving agent").count() == 1
        assert page.locator("text=Recent escrow tasks").is_visible()
    if slug == "models":
        assert page.locator("#models-table tbody tr", has_text="breast-cancer-mlp").count() == 1
    if slug == "overview":
        assert int(page.locator("#stat-agents").inner_text()) >= 1
    if slug == "analytics":
        assert page.locator(".chart-card").count() >= 3
    assert "`" not in page.locator("body").inner_text()  # commands render as <code>, not backticks
    page.screenshot(path=str(shots / f"{slug}.png"), full_page=True)


def _demo_model(server: ServerHandle) -> str:
    demo = server.services.server_dir / "demo.json"
    return str(json.loads(demo.read_text())["model"]["model_id"])


def test_prove_from_the_dashboard_and_watch_the_job(
    page: sync_api.Page, server: ServerHandle, shots: Path
) -> None:
    token = server.services.tokens.new("browser-prove")[0]
    model_id = _demo_model(server)
    page.goto("/models")
    page.locator("#models-table a", has_text="breast-cancer-mlp").click()
    page.wait_for_url(f"**/models/{model_id}")
    before = int(page.locator("#inference-count").inner_text())
    page.fill("#api-token", token)
    assert page.locator("#prove-onchain").is_checked()
    page.click("#prove-submit")
    status = page.locator("#prove-status")
    status.locator(".badge[data-state=succeeded]").wait_for(timeout=120_000)
    assert "100%" in status.inner_text()
    assert "/api/models/proofs/" in status.inner_text()
    assert status.locator(".result-prediction .label-out").inner_text() in ("malignant", "benign")
    assert status.locator(".result-outputs").inner_text().startswith("Logits: ")
    assert "Verified on chain in 0x" in status.locator(".result-tx").inner_text()
    # the inference count and the lists refresh after the job, without reloading the page
    page.locator("#inference-count", has_text=str(before + 1)).wait_for()
    assert page.locator("#model-proofs tbody tr").count() >= 2
    page.screenshot(path=str(shots / "model-proved.png"), full_page=True)
    status.locator(".result-tx a").click()
    page.wait_for_url("**/tx/0x*")
    assert "InferenceVerified" in page.locator("#tx-events").inner_text()
    page.go_back()
    page.wait_for_url(f"**/models/{model_id}")
    assert int(page.locator("#inference-count").inner_text()) == before + 1
    page.screenshot(path=str(shots / "model.png"), full_page=True)


def test_verify_a_proof_and_reject_a_tampered_one(
    page: sync_api.Page, server: ServerHandle, tmp_path: Path, shots: Path
) -> None:
    proof_id = json.loads((server.services.server_dir / "demo.json").read_text())["model"]["proof_id"]
    good = tmp_path / "proof.json"
    good.write_bytes((server.services.server_dir / "proofs" / f"{proof_id}.json").read_bytes())
    page.goto("/verify")
    page.set_input_files("#verify-proof", str(good))
    page.click("#verify-submit")
    head = page.locator("#verdict-head[data-ok]")
    head.wait_for()
    assert head.get_attribute("data-ok") == "true"
    assert "verified inference of breast-cancer-mlp" in head.inner_text()
    assert re.search(r": (malignant|benign) \(\d+\.\d%\), logits \[", head.inner_text())
    # the model and its owner in the checks link to their pages
    assert page.locator(f"#checks a[href='/models/{_demo_model(server)}']").count() == 1
    owner = server.services.creator.address.lower()
    assert page.locator(f"#checks a[href='/address/{owner}']").count() == 1
    page.screenshot(path=str(shots / "verify-proof.png"), full_page=True)

    data = json.loads(good.read_text())
    raw = bytearray(bytes.fromhex(data["proof"][2:]))
    raw[200] ^= 0x01
    data["proof"] = "0x" + raw.hex()
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(data))
    page.reload()
    page.set_input_files("#verify-proof", str(bad))
    page.click("#verify-submit")
    page.locator("#verdict-head[data-ok=false]").wait_for()
    assert "REJECTED" in page.locator("#verdict-head").inner_text()
    failed = page.locator("#checks tbody tr", has=page.locator("td.check-fail"))
    assert "on chain" in failed.all_inner_texts()[-1]
    page.screenshot(path=str(shots / "verify-proof-rejected.png"), full_page=True)


def test_ask_the_indexed_chain(page: sync_api.Page, server: ServerHandle, shots: Path) -> None:
    index = server.services.index
    assert index is not None and index.sync_to(server.services.chain.block_number(), timeout=60)
    page.goto("/analytics")
    page.locator("button.suggest", has_text="How many verified inferences per model?").click()
    page.locator("#ask-answer[data-answered=true]").wait_for()
    assert page.input_value("#ask-question") == "How many verified inferences per model?"
    assert page.locator("#ask-rows tbody tr").count() >= 1  # the table leads
    assert "per model" in page.locator("#ask-interpretation").inner_text()
    assert page.locator("#ask-sql").is_hidden()  # the SQL is folded ...
    page.click("#ask-answer summary")
    assert "decoded_events" in page.locator("#ask-sql").inner_text()  # ... one click away
    assert page.locator(f"#ask-rows a[href='/models/{_demo_model(server)}']").count() == 1
    page.screenshot(path=str(shots / "analytics-ask.png"), full_page=True)


def _no_card_overflows(page: sync_api.Page) -> list[str]:
    """Cards (and stat boxes) whose content is wider than the card: a long hash spilling out."""
    overflowing: list[str] = page.evaluate(
        """() => Array.from(document.querySelectorAll('.card, .stat, .hero'))
             .filter((c) => c.scrollWidth > c.clientWidth + 1)
             .map((c) => (c.id || c.className) + ': ' + c.scrollWidth + ' > ' + c.clientWidth)"""
    )
    return overflowing


def test_walk_from_the_overview_to_an_address_a_transaction_and_a_model(
    page: sync_api.Page, server: ServerHandle, shots: Path
) -> None:
    """Only clicks: overview -> a contract's address page -> its transaction -> the model it proved."""
    index = server.services.index
    assert index is not None and index.sync_to(server.services.chain.block_number(), timeout=60)
    model_id = _demo_model(server)
    page.goto("/")
    page.locator("table tr", has_text="ModelRegistry").locator("a[href^='/address/']").click()
    page.wait_for_url("**/address/0x*")
    assert page.locator("h1").inner_text() == "ModelRegistry"
    assert int(page.locator("#address-txcount").inner_text()) >= 2
    assert _no_card_overflows(page) == []
    page.screenshot(path=str(shots / "address-contract.png"), full_page=True)

    # the newest transaction to the registry that proved an inference
    demo_tx = json.loads((server.services.server_dir / "demo.json").read_text())["model"]["tx_hash"]
    page.locator(f"#address-tx-table a[href='/tx/{demo_tx}']").click()
    page.wait_for_url(f"**/tx/{demo_tx}")
    assert page.locator("#tx-status").inner_text() == "succeeded"
    assert "InferenceVerified" in page.locator("#tx-events").inner_text()
    assert _no_card_overflows(page) == []
    page.screenshot(path=str(shots / "transaction.png"), full_page=True)

    page.locator(f"#tx-events a[href='/models/{model_id}']").click()
    page.wait_for_url(f"**/models/{model_id}")
    assert page.locator("h1").inner_text() == "breast-cancer-mlp"
    assert page.locator("#model-classes").inner_text().split() == ["malignant", "benign"]
    assert _no_card_overflows(page) == []

    # the model's owner: the server's key, with its transactions, models, content and agent
    page.locator("#model-registration a[href^='/address/']").first.click()
    page.wait_for_url("**/address/0x*")
    assert page.locator("h1").inner_text() == "the server's creator key"
    assert page.locator("#address-models a", has_text="breast-cancer-mlp").count() >= 1
    assert page.locator("#address-content a", has_text="demo-tone.wav").count() == 1
    assert page.locator("#address-agents a", has_text="proving agent").count() == 1
    assert page.locator("#address-tx-table tbody tr").count() >= 3
    page.screenshot(path=str(shots / "address.png"), full_page=True)

    page.locator("#address-agents a", has_text="proving agent").click()
    page.wait_for_url("**/agents/*")
    assert page.locator("h1").inner_text() == "proving agent"
    page.screenshot(path=str(shots / "agent.png"), full_page=True)

    page.go_back()
    page.locator("#address-tx-table a.num-link").first.click()
    page.wait_for_url("**/block/*")
    assert page.locator("h1").inner_text().startswith("Block ")
    assert page.locator("#block-txs tbody tr").count() >= 1
    page.screenshot(path=str(shots / "block.png"), full_page=True)

    # or type an id in the search box
    page.fill("#search", demo_tx)
    page.press("#search", "Enter")
    page.wait_for_url(f"**/tx/{demo_tx}")
    assert page.locator("h1").inner_text() == "Transaction"


def test_long_hashes_stay_inside_their_cards_on_a_narrow_screen(
    browser: sync_api.Browser, server: ServerHandle
) -> None:
    context = browser.new_context(base_url=server.url, viewport={"width": 700, "height": 900})
    try:
        pg = context.new_page()
        demo = json.loads((server.services.server_dir / "demo.json").read_text())
        entry = server.services.library.entries()[-1]
        for path in (
            f"/tx/{demo['model']['tx_hash']}",
            f"/address/{server.services.creator.address}",
            f"/models/{demo['model']['model_id']}",
            f"/content/{entry.manifest_id}",
            f"/jobs/{next(j.id for j in server.services.jobs.list() if j.kind == 'demo')}",
        ):
            pg.goto(path)
            assert _no_card_overflows(pg) == [], path
    finally:
        context.close()


def test_charts_have_axes_units_tooltips_and_empty_states(page: sync_api.Page, server: ServerHandle) -> None:
    page.goto("/models")  # one model: a single bar
    canvas = page.locator("#chart-models canvas")
    canvas.wait_for()
    info = page.evaluate(
        """() => {
          const chart = Chart.getChart(document.querySelector('#chart-models canvas'));
          const bar = chart.getDatasetMeta(0).data[0];
          return {points: chart.data.labels.length, width: bar.width, area: chart.chartArea.width,
                  x: bar.x, y: (bar.y + bar.base) / 2,
                  xTitle: chart.options.scales.x.title.text, yTitle: chart.options.scales.y.title.text};
        }"""
    )
    assert info["points"] == len(models_overview(server.services)["models"])
    assert info["width"] <= 36 < info["area"] / 2  # one point is a bar, not a full-width slab
    assert (info["xTitle"], info["yTitle"]) == ("model", "inferences")
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + info["x"], box["y"] + info["y"])
    tooltip = page.evaluate(
        """() => {
          const t = Chart.getChart(document.querySelector('#chart-models canvas')).tooltip;
          return {shown: t.getActiveElements().length, lines: t.body ? t.body.flatMap((b) => b.lines) : []};
        }"""
    )
    assert tooltip["shown"] == 1
    assert tooltip["lines"][0].endswith(" inferences")

    page.goto("/analytics")
    assert page.locator("canvas[data-chart]").count() >= 2
    drawn = page.evaluate(
        "() => Array.from(document.querySelectorAll('canvas[data-chart]')).every((c) => Chart.getChart(c))"
    )
    assert drawn is True
    assert page.locator("[data-chart-empty]").count() >= 1  # e.g. no data-set contributions yet
    assert page.locator("[data-chart-empty]").first.inner_text() == "No rows yet."
