"""Language-model backends: any OpenAI-compatible HTTP endpoint, or none.

Features ask a :class:`LanguageModel` for a chat completion and must keep working, with
reduced ability, when :func:`load_model` returns the :class:`NoModel` backend.
"""

from aiweb3.llm.base import ChatMessage, LanguageModel, LLMConfig, NoModel, load_model
from aiweb3.llm.openai import OpenAICompatible

__all__ = ["ChatMessage", "LLMConfig", "LanguageModel", "NoModel", "OpenAICompatible", "load_model"]
