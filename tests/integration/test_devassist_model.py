"""With the embedded model (real SmolLM2-135M): what it writes is kept only when its cited source
carries it, so every citation still holds — whether the model or the extractive fallback answered."""

from __future__ import annotations

from pathlib import Path

from aiweb3.devassist import Retriever, answer_question, check_citation, default_roots
from aiweb3.llm import LLMConfig, load_model
from aiweb3.llm.runtime import RuntimeInfo


def test_a_model_answer_cites_only_what_its_sources_say(llm_runtime: RuntimeInfo, aiweb3_home: Path) -> None:
    model = load_model(LLMConfig(home=aiweb3_home, timeout=120), embedded=True)
    assert model.available
    question = "how do I register a model with a price per inference?"
    answer = answer_question(question, Retriever.from_paths(default_roots()), model)
    assert answer.found and answer.engine in ("extractive", f"model {model.name}")
    assert answer.claims
    for claim in answer.claims:
        assert check_citation(claim, default_roots()), claim
        assert not claim.text.rstrip().endswith("?"), claim  # an echoed question is not an answer
