"""The dashboard shows the embedded model, its hash and its recent calls (real model, real browser)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright import sync_api

from aiweb3.chain import Chain, Deployment
from aiweb3.llm import LLMConfig, OpenAICompatible, load_model
from aiweb3.llm.runtime import RuntimeInfo
from aiweb3.server import ServerConfig, ServerHandle, Services, serve

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
SECRET = "my seed phrase is velvet-otter-42"


@pytest.fixture(scope="module")
def server(
    aiweb3_home: Path, chain: Chain, deployments: dict[str, Deployment], llm_runtime: RuntimeInfo
) -> Iterator[ServerHandle]:
    handle = serve(Services.open(ServerConfig(home=aiweb3_home, port=0), chain))
    try:
        yield handle
    finally:
        handle.stop()


def test_overview_lists_recent_model_calls_without_prompts(
    server: ServerHandle, aiweb3_home: Path, llm_runtime: RuntimeInfo
) -> None:
    llm = load_model(LLMConfig(home=aiweb3_home, timeout=120), embedded=True)
    assert isinstance(llm, OpenAICompatible)
    answer = llm.chat(
        [{"role": "user", "content": f"{SECRET}. Say ok."}], max_tokens=4, purpose="dashboard check"
    )
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install the Debian package 'chromium' (make system-packages)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(base_url=server.url)
            page.goto("/")
            line = page.locator("#llm-line").text_content() or ""  # shown in capitals by CSS
            assert llm_runtime.model in line and llm_runtime.sha256[:16] in line
            first = page.locator("#llm-calls tbody tr").first
            cells = [c.inner_text() for c in first.locator("td").all()]
            assert cells[1:6] == [
                "dashboard check",
                llm_runtime.model,
                str(answer.record.prompt_tokens),
                str(answer.record.completion_tokens),
                f"{answer.record.latency_s:.2f}",
            ]
            assert cells[6] == "ok" and cells[0].endswith("ago")
            assert SECRET not in page.content() and answer.text not in ("", None)
        finally:
            browser.close()
