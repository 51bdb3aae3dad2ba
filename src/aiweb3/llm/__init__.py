"""Language models: aiweb3's embedded local model, any OpenAI-compatible endpoint, or none.

Features ask a :class:`LanguageModel` for a chat completion and must keep working, with
reduced ability, when :func:`load_model` returns the :class:`NoModel` backend. The typed helpers
(:meth:`OpenAICompatible.chat`, ``stream``, ``structured``, ``call_tool``) put a deadline on every
call and keep a :class:`CallRecord` of each (also appended to the home's :class:`CallLog`). See docs/llm.md.
"""

from aiweb3.llm.base import ChatMessage, LanguageModel, LLMConfig, NoModel, load_model
from aiweb3.llm.calllog import CallLog, call_log_path
from aiweb3.llm.openai import CallRecord, ChatResult, OpenAICompatible, Tool, ToolCall

__all__ = [
    "CallLog",
    "CallRecord",
    "ChatMessage",
    "ChatResult",
    "LLMConfig",
    "LanguageModel",
    "NoModel",
    "OpenAICompatible",
    "Tool",
    "ToolCall",
    "call_log_path",
    "load_model",
]
