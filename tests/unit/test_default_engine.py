"""The CLI and the service pick a question's engine the same way (`default_engine`)."""

from __future__ import annotations

from pathlib import Path

from aiweb3.indexer.ask import default_engine
from aiweb3.llm import LLMConfig, NoModel, OpenAICompatible


def test_a_configured_model_means_auto(tmp_path: Path) -> None:
    engine, model = default_engine(LLMConfig(url="http://127.0.0.1:9/v1"), tmp_path)
    assert engine == "auto" and isinstance(model, OpenAICompatible)


def test_no_model_and_none_running_means_offline(tmp_path: Path) -> None:
    engine, model = default_engine(LLMConfig(), tmp_path)
    assert engine == "offline" and isinstance(model, NoModel)
