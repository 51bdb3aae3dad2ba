"""Explain a Solidity function or a Python symbol: what it does, who can call it, the state it
changes, its events and errors, each fact cited ``file:line``.

Targets: ``contracts/src/TaskEscrow.sol:post``, ``src/aiweb3/llm/base.py:load_model`` (or
``Class.method``), or a dotted Python name (``aiweb3.llm.load_model``, re-exports followed).
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from aiweb3.devassist.corpus import aiweb3_checkout
from aiweb3.devassist.explain_py import read_python_symbol
from aiweb3.devassist.explain_sol import Fact, FunctionFacts, read_solidity_function
from aiweb3.devassist.retrieve import content_terms
from aiweb3.errors import AIWeb3Error, InputError
from aiweb3.llm import ChatMessage, LanguageModel

__all__ = ["Explanation", "explain", "resolve_target"]

SECTIONS = (
    ("what it does", "notice"),
    ("who can call it", "callers"),
    ("state it changes", "writes"),
    ("events", "events"),
    ("errors", "errors"),
    ("external calls", "calls"),
    ("follows", "internal"),
)


@dataclass
class Explanation:
    """The facts about one function, the file they cite and an optional one-line summary."""

    target: str
    path: str
    language: str
    facts: FunctionFacts
    summary: Fact | None
    engine: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready form: every fact with its ``cite``."""

        def cite(f: Fact) -> dict[str, str]:
            return {"text": f.text, "cite": f"{self.path}:{f.line}"}

        out: dict[str, Any] = {
            "target": self.target,
            "language": self.language,
            "engine": self.engine,
            "signature": cite(self.facts.signature),
            "summary": cite(self.summary) if self.summary else None,
        }
        for title, attr in SECTIONS:
            out[title.replace(" ", "_")] = [cite(f) for f in getattr(self.facts, attr)]
        return out

    def render(self) -> str:
        """Plain text, one section per heading, each fact with ``[path:line]``."""
        lines = [f"{self.facts.signature.text}  [{self.path}:{self.facts.signature.line}]"]
        if self.summary is not None:
            lines.append(f"summary: {self.summary.text}  [{self.path}:{self.summary.line}]")
        for title, attr in SECTIONS:
            facts: list[Fact] = getattr(self.facts, attr)
            lines.append(f"{title}:")
            if not facts:
                lines.append("  none found")
            lines.extend(f"  - {f.text}  [{self.path}:{f.line}]" for f in facts)
        return "\n".join(lines)


def _display(path: Path) -> str:
    path = path.resolve()
    for base in (Path.cwd().resolve(), aiweb3_checkout()):
        if base is not None and path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return str(path)


def _locate(path_text: str) -> Path:
    candidates = [Path(path_text).expanduser()]
    checkout = aiweb3_checkout()
    if checkout is not None:
        candidates.append(checkout / path_text)
    for c in candidates:
        if c.is_file():
            return c
    raise InputError(f"{path_text} is not a file: give a path to a .sol or .py file, then ':' and a name")


def resolve_target(target: str) -> tuple[Path, str]:
    """The file and the symbol a target names.

    Raises:
        InputError: a malformed target, a missing file, or a Python name that does not import.
    """
    if ":" in target:
        path_text, _, symbol = target.rpartition(":")
        if not symbol or not path_text:
            raise InputError(f"{target!r}: write FILE:NAME, e.g. contracts/src/TaskEscrow.sol:post")
        path = _locate(path_text)
        if path.suffix not in (".sol", ".py"):
            raise InputError(f"{path_text}: explain reads .sol and .py files")
        return path, symbol
    if "." not in target or target.endswith((".sol", ".py")):
        raise InputError(
            f"{target!r}: write FILE:NAME (contracts/src/TaskEscrow.sol:post) or a dotted Python name"
        )
    parts = target.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
            source = inspect.getsourcefile(obj)
        except (AttributeError, TypeError):
            raise InputError(f"{target!r}: {'.'.join(parts[:cut])} has no {'.'.join(parts[cut:])}") from None
        if source is None:
            break
        qualname = getattr(obj, "__qualname__", parts[-1])
        return Path(source), str(qualname)
    raise InputError(f"{target!r} does not name an importable Python function or class")


class _Summary(BaseModel):
    summary: str = Field(max_length=300)


def _model_summary(facts: FunctionFacts, model: LanguageModel) -> Fact | None:
    structured = getattr(model, "structured", None)
    if structured is None:
        return None
    listed = "\n".join(
        f"{title}: " + "; ".join(f.text for f in getattr(facts, attr)) for title, attr in SECTIONS
    )
    messages: list[ChatMessage] = [
        {
            "role": "system",
            "content": "Summarise what this function does in one sentence, using only the facts.",
        },
        {"role": "user", "content": f"{facts.signature.text}\n{listed}"},
    ]
    try:
        out = structured(messages, _Summary, max_tokens=80)
    except AIWeb3Error:
        return None
    terms = content_terms(out.summary)
    known = content_terms(facts.signature.text + " " + listed)
    # keep it only if it speaks of what the facts hold
    if not terms or len(terms & known) / len(terms) < 0.6:
        return None
    return Fact(out.summary.strip(), facts.signature.line)


def explain(target: str, model: LanguageModel | None = None) -> Explanation:
    """Explain ``target``; a model (if given and available) adds a one-line summary checked
    against the facts, else the summary is the first line of the NatSpec or docstring.

    Raises:
        InputError: the target does not resolve (see :func:`resolve_target`) or names nothing.
    """
    path, symbol = resolve_target(target)
    lines = path.read_text(encoding="utf-8").splitlines()
    if path.suffix == ".sol":
        facts, language = read_solidity_function(lines, symbol), "solidity"
    else:
        facts, language = read_python_symbol(lines, symbol), "python"
    summary: Fact | None = None
    engine = "reader"
    if model is not None and model.available:
        summary = _model_summary(facts, model)
        if summary is not None:
            engine = f"reader + model {model.name}"
    if summary is None and facts.notice:
        summary = facts.notice[0]
    return Explanation(target, _display(path), language, facts, summary, engine)
