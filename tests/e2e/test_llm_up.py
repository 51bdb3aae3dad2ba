"""`aiweb3 up` runs the embedded model alongside the node, shows it on the dashboard, stops it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from aiweb3.chain import Chain
from aiweb3.llm.models import DEFAULT_MODEL_SHA256, ModelStore
from aiweb3.llm.runtime import ModelRuntime, RuntimeConfig, RuntimeInfo
from aiweb3.presence import process_alive

AIWEB3 = [sys.executable, "-m", "aiweb3.cli.main"]


def test_up_starts_the_model_and_stops_it(
    llm_runtime: RuntimeInfo, aiweb3_home: Path, chain: Chain, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(aiweb3_home / "deployments", home / "deployments")
    # the session's default model, hard-linked (no second 98 MB copy); `up` checks its SHA-256
    source = ModelStore(aiweb3_home)
    (home / "llm" / "models").mkdir(parents=True)
    (home / "llm" / "models" / "smollm2-135m.gguf").hardlink_to(source.path(source.get(verify=False)))
    (home / "llm" / "models.json").write_text(source.index_file.read_text())
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWEB3_")}
    env.update({"AIWEB3_HOME": str(home), "AIWEB3_RPC_URL": chain.url, "COLUMNS": "200"})
    proc = subprocess.Popen(
        [*AIWEB3, "up", "--port", "0", "--no-demo", "--no-index"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not any("aiweb3 is up" in line for line in lines):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
        assert any("aiweb3 is up" in line for line in lines), lines
        (llm_line,) = [line for line in lines if line.startswith("llm: smollm2-135m")]
        assert DEFAULT_MODEL_SHA256[:16] in llm_line
        info = ModelRuntime(RuntimeConfig(home=home)).info()
        assert info is not None and info.pid != llm_runtime.pid
        (url,) = [line.split(" ", 1)[1].strip() for line in lines if line.startswith("dashboard: ")]
        overview = httpx.get(f"{url}/api/overview", timeout=30).json()
        assert overview["llm"]["sha256"] == DEFAULT_MODEL_SHA256
        page = httpx.get(url, timeout=30).text
        assert "Language model: smollm2-135m" in page and DEFAULT_MODEL_SHA256[:16] in page
        answer = httpx.post(
            f"{info.api_url}/chat/completions",
            json={"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4},
            timeout=120,
        )
        assert answer.status_code == 200 and answer.json()["choices"][0]["message"]["content"]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "language model stopped" in out
    assert not process_alive(info.pid)
    assert ModelRuntime(RuntimeConfig(home=home)).info() is None
