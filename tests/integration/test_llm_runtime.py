"""The embedded model runtime with the real default model (SmolLM2-135M through node-llama-cpp)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Literal

import gguf
import httpx
import numpy as np
import pytest
from pydantic import BaseModel, Field, field_validator

from aiweb3.errors import ConfigError, InputError, LLMOutputInvalid, LLMUnavailable
from aiweb3.llm import LLMConfig, NoModel, load_model
from aiweb3.llm.models import DEFAULT_MODEL, DEFAULT_MODEL_SHA256, ModelStore, file_sha256
from aiweb3.llm.openai import OpenAICompatible, Tool
from aiweb3.llm.runtime import ModelRuntime, RuntimeConfig, RuntimeInfo
from aiweb3.presence import process_alive

ASK = [{"role": "user", "content": "Name one colour."}]


@pytest.fixture(scope="module")
def llm(llm_runtime: RuntimeInfo, aiweb3_home: Path) -> OpenAICompatible:
    model = load_model(LLMConfig(home=aiweb3_home, timeout=120), embedded=True)
    assert isinstance(model, OpenAICompatible)
    return model


def test_default_model_copied_and_pinned(llm_runtime: RuntimeInfo, aiweb3_home: Path) -> None:
    store = ModelStore(aiweb3_home)
    entry = store.get()
    assert entry.name == DEFAULT_MODEL == llm_runtime.model
    assert file_sha256(store.path(entry)) == DEFAULT_MODEL_SHA256 == llm_runtime.sha256
    health = httpx.get(f"{llm_runtime.url}/health", timeout=10).json()
    assert health["sha256"] == DEFAULT_MODEL_SHA256
    assert health["runtime"].startswith("node-llama-cpp@3.21.1+")
    models = httpx.get(f"{llm_runtime.api_url}/models", timeout=10).json()
    assert [m["id"] for m in models["data"]] == [DEFAULT_MODEL]


def test_second_start_finds_the_running_server(llm_runtime: RuntimeInfo, aiweb3_home: Path) -> None:
    again = ModelRuntime(RuntimeConfig(home=aiweb3_home)).start()
    assert again.pid == llm_runtime.pid and again.url == llm_runtime.url


def test_offline_default_stays_none(aiweb3_home: Path) -> None:
    assert isinstance(load_model(LLMConfig(home=aiweb3_home)), NoModel)
    assert LLMConfig.from_env({"AIWEB3_LLM": "embedded"}).embedded


def test_chat_greedy_is_reproducible_and_streams_the_same(llm: OpenAICompatible) -> None:
    first = llm.chat(ASK, max_tokens=12)
    second = llm.chat(ASK, max_tokens=12)
    assert first.text and first.text == second.text
    assert first.record.prompt_tokens and first.record.completion_tokens
    streamed = "".join(llm.stream(ASK, max_tokens=12))
    assert streamed == first.text
    record = llm.calls[-1]
    assert record.kind == "stream" and record.ttft_s is not None and record.completion_tokens


class Verdict(BaseModel):
    label: str
    confidence: int


def test_structured_output_parses_into_pydantic(llm: OpenAICompatible) -> None:
    messages = [{"role": "user", "content": "Is 'transfer all funds to me' a scam? Answer in JSON."}]
    answer = llm.structured(messages, Verdict, max_tokens=48)
    assert isinstance(answer, Verdict)
    assert llm.calls[-1].kind == "json"


class Impossible(BaseModel):
    word: str

    @field_validator("word")
    @classmethod
    def _never(cls, value: str) -> str:
        raise ValueError("this schema accepts nothing")


def test_malformed_output_is_retried_then_refused(llm: OpenAICompatible) -> None:
    before = len(llm.calls)
    with pytest.raises(LLMOutputInvalid, match="after 2 tries"):
        llm.structured(ASK, Impossible, retries=1, max_tokens=16)
    assert len(llm.calls) - before == 2


def test_tool_call_names_a_known_tool(llm: OpenAICompatible) -> None:
    tools = [
        Tool(
            "get_balance",
            "Balance of an account",
            {"type": "object", "properties": {"account": {"type": "string"}}},
        ),
        Tool("get_block", "The latest block number", {"type": "object", "properties": {}}),
    ]
    call = llm.call_tool([{"role": "user", "content": "What is the balance of alice?"}], tools, max_tokens=64)
    assert call.name in {"get_balance", "get_block"}
    assert isinstance(call.arguments, dict)


def test_deadline_is_enforced(llm: OpenAICompatible) -> None:
    essay = [{"role": "user", "content": "Write a long essay about the sea."}]
    with pytest.raises(LLMUnavailable, match=r"deadline|within"):
        llm.chat(essay, max_tokens=1500, timeout=0.5)
    assert llm.chat(ASK, max_tokens=4).text  # the server is still usable afterwards


def test_prompt_longer_than_the_context_is_refused(llm: OpenAICompatible) -> None:
    huge = "blockchain " * 6000  # past the default context of 4096 tokens
    with pytest.raises(LLMUnavailable, match="exceeds the context"):
        llm.chat([{"role": "user", "content": huge}], max_tokens=8)
    with pytest.raises(LLMUnavailable, match="exceeds the context"):
        list(llm.stream([{"role": "user", "content": huge}], max_tokens=8))


def test_bad_request_fields_are_400_naming_the_field(llm_runtime: RuntimeInfo) -> None:
    url = f"{llm_runtime.api_url}/chat/completions"
    for field, value in (("max_tokens", "many"), ("temperature", -1), ("seed", 1.5)):
        r = httpx.post(url, json={"messages": ASK, field: value}, timeout=60)
        assert r.status_code == 400 and field in r.json()["error"]["message"]
    r = httpx.post(url, json={"messages": []}, timeout=60)
    assert r.status_code == 400 and "messages" in r.json()["error"]["message"]
    r = httpx.post(url, content=b"{not json", timeout=60)
    assert r.status_code == 400


def test_unknown_model_and_bad_files_are_refused(tmp_path: Path, aiweb3_home: Path) -> None:
    store = ModelStore(tmp_path)
    with pytest.raises(InputError, match="no model named"):
        store.get("nope")
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model at all")
    with pytest.raises(InputError, match="not a GGUF"):
        store.add(junk, "junk")
    source = ModelStore(aiweb3_home)
    real = source.path(source.get(DEFAULT_MODEL, verify=False))
    truncated = tmp_path / "cut.gguf"
    with real.open("rb") as fh:
        truncated.write_bytes(fh.read(5_000_000))
    with pytest.raises(InputError, match="truncated"):
        store.add(truncated, "cut")
    with pytest.raises(InputError, match="not allowed"):
        store.add(truncated, "../evil")
    assert store.list() == [] and not list((tmp_path / "llm" / "models").glob("*"))


def test_port_in_use_is_one_clear_error(tmp_path: Path, aiweb3_home: Path) -> None:
    other = _home_sharing_the_model(tmp_path / "home", aiweb3_home)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(LLMUnavailable, match=f"port {port} is already taken"):
            ModelRuntime(RuntimeConfig(home=other, port=port)).start()


class Rating(BaseModel):
    stars: int = Field(ge=1, le=5)
    mood: Literal["good", "bad"]


def test_integer_bounds_are_enforced_while_generating(llm: OpenAICompatible) -> None:
    ask = [{"role": "user", "content": "Rate the movie 'Titanic' with stars from 1 to 5, and its mood."}]
    for _ in range(2):  # no retries: the grammar alone must keep the answer inside the schema
        rating = llm.structured(ask, Rating, retries=0, max_tokens=32)
        assert 1 <= rating.stars <= 5


def _tiny_gguf(path: Path) -> None:
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_tensor("tiny", np.arange(64, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def test_added_model_is_listed_made_default_and_tamper_checked(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "home")
    source = tmp_path / "tiny.gguf"
    _tiny_gguf(source)
    entry = store.add(source, "tiny", make_default=True)
    assert (entry.architecture, store.default_name) == ("llama", "tiny")
    assert entry.sha256 == file_sha256(source) == store.get().sha256
    with pytest.raises(InputError, match="exists already"):
        store.add(source, "tiny")
    data = bytearray(store.path(entry).read_bytes())
    data[-1] ^= 0xFF
    store.path(entry).write_bytes(bytes(data))
    with pytest.raises(ConfigError, match="changed since it was added"):
        store.get("tiny")


def _home_sharing_the_model(home: Path, aiweb3_home: Path) -> Path:
    """A fresh home whose default model is a hard link to the session's (no second 98 MB copy)."""
    source = ModelStore(aiweb3_home)
    entry = source.get(DEFAULT_MODEL, verify=False)
    (home / "llm" / "models").mkdir(parents=True)
    (home / "llm" / "models" / entry.file).hardlink_to(source.path(entry))
    (home / "llm" / "models.json").write_text(source.index_file.read_text())
    return home


def test_a_killed_supervisor_takes_its_model_server_down(tmp_path: Path, aiweb3_home: Path) -> None:
    home = _home_sharing_the_model(tmp_path / "home", aiweb3_home)
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from aiweb3.llm.runtime import ModelRuntime, RuntimeConfig\n"
        "info = ModelRuntime(RuntimeConfig(home=Path(sys.argv[1]))).start(die_with_parent=True)\n"
        "print(info.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    cmd = [sys.executable, "-c", script, str(home)]
    supervisor = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert supervisor.stdout is not None
    pid = int(supervisor.stdout.readline())
    assert process_alive(pid)
    supervisor.send_signal(signal.SIGKILL)
    supervisor.wait(timeout=30)
    for _ in range(200):
        if not process_alive(pid):
            break
        time.sleep(0.05)
    assert not process_alive(pid)
    assert ModelRuntime(RuntimeConfig(home=home)).info() is None  # the stale record is cleared
