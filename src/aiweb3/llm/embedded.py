"""The embedded backend: a client of the model server aiweb3 runs for a home."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from aiweb3.config import Settings
from aiweb3.llm.base import LLMConfig
from aiweb3.llm.calllog import CallLog, call_log_path
from aiweb3.llm.openai import OpenAICompatible
from aiweb3.llm.runtime import ModelRuntime, RuntimeConfig, RuntimeInfo

__all__ = ["embedded_client", "ensure_runtime"]


def ensure_runtime(home: Path | None = None, model: str | None = None) -> RuntimeInfo:
    """Find the model server of ``home`` (default: the settings' home), or start it.

    A server started here outlives this process (like the node): later calls reuse it, and
    ``aiweb3 llm stop`` stops it.
    """
    home = home or Settings.load().home
    return ModelRuntime(RuntimeConfig(home=home, model=model)).start()


def embedded_client(config: LLMConfig) -> OpenAICompatible:
    """An OpenAI-compatible client of the embedded runtime (started if needed).

    ``config.model`` names a registered model ("default" means the home's default model). Every
    call is also appended to the home's call log (:mod:`aiweb3.llm.calllog`), which the dashboard shows.
    """
    wanted = None if config.model == "default" else config.model
    home = config.home or Settings.load().home
    info = ensure_runtime(home, wanted)
    log = CallLog(call_log_path(home))
    client = OpenAICompatible(
        replace(config, url=info.api_url, model=info.model), send_deadline=True, on_call=log.append
    )
    client.name = f"{info.model}@embedded"
    return client
