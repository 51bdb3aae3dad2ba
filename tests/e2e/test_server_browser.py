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
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright import sync_api

from aiweb3.chain import Chain, Deployment
from aiweb3.server import ServerConfig, ServerHandle, Services, serve
from aiweb3.server.demo import seed_demo

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
    page.screenshot(path=str(shots / "content-signed.png"), full_page=True)
    status.locator(".result-link a").first.click()
    page.wait_for_url("**/content/0x*")
    assert page.locator("h1").inner_text() == "field-notes.txt"
    assert "Block" in page.locator("#anchoring").inner_text()
    page.goto("/jobs")
    row = page.locator("#jobs-table tbody tr", has_text="Sign field-notes.txt")
    assert row.locator(".badge").inner_text() == "succeeded"
    row.locator("a").first.click()
    page.locator("#job-result pre").wait_for()
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
    assert status.locator(".result-outputs").inner_text().startswith("Outputs: [[")
    assert "Verified on chain in 0x" in status.locator(".result-tx").inner_text()
    page.screenshot(path=str(shots / "model-proved.png"), full_page=True)
    status.locator(".result-link a").last.click()
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
    page.fill("#ask-question", "How many verified inferences per model?")
    page.click("#ask-submit")
    page.locator("#ask-answer[data-answered=true]").wait_for()
    assert page.locator("#ask-rows tbody tr").count() >= 1  # the table leads
    assert "per model" in page.locator("#ask-interpretation").inner_text()
    assert page.locator("#ask-sql").is_hidden()  # the SQL is folded ...
    page.click("#ask-answer summary")
    assert "decoded_events" in page.locator("#ask-sql").inner_text()  # ... one click away
    page.screenshot(path=str(shots / "analytics-ask.png"), full_page=True)
