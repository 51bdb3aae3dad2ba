"""Scaffold a contract that works: Solidity, its pytest tests on the ``aiweb3.testing`` fixtures,
and a usage example, compiled with the pinned solc-js and tested *before* anything is written.

The code comes from reviewed templates (``templates/``, one family per kind of contract, see
:mod:`aiweb3.devassist.families`); what varies is the family chosen for the description, its
parameters (a cap, a threshold, shares, ...), the contract's name and its NatSpec. A family is
chosen by keywords and its parameters read from the description; a language model, when available,
decides what the keywords cannot (a tie, no matching word, a retry) and fills the parameters the
description does not state, through a JSON schema. A candidate that fails to compile or to pass
its tests is fed back (the compiler's or pytest's first lines) for another choice, at most
``repairs`` times; after that the failure is reported and nothing is written. Files appear only
by renaming a finished folder into place.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any, Literal

from pydantic import BaseModel, Field

from aiweb3.devassist.families import FAMILIES, extract_params, validate_params
from aiweb3.devassist.solidity import CompileFailed, compile_solidity
from aiweb3.errors import AIWeb3Error, ContractError, InputError
from aiweb3.llm import ChatMessage, LanguageModel

__all__ = [
    "KINDS",
    "Choice",
    "ScaffoldFailed",
    "ScaffoldResult",
    "choose",
    "choose_kind",
    "scaffold_contract",
]

TEMPLATES = Path(__file__).with_name("templates")
#: The scaffolds there are, and the words that choose each without a model.
KINDS: dict[str, frozenset[str]] = {kind: f.words for kind, f in FAMILIES.items()}
_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")


class ScaffoldFailed(ContractError):
    """The scaffold did not compile or pass its tests within the repair budget; nothing was written."""


@dataclass
class ScaffoldResult:
    """What was written (only after it compiled and its tests passed)."""

    name: str
    kind: str
    folder: Path
    files: list[Path]
    attempts: list[str] = field(default_factory=list)
    engine: str = "keywords"
    params: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Choice:
    """A family, its parameters, who chose ("keywords" or "model NAME") and notes on unused values."""

    kind: str
    params: dict[str, Any]
    engine: str
    notes: tuple[str, ...] = ()


class _ModelChoice(BaseModel):
    """What the model is asked for: the family, and any parameters the request implies."""

    kind: Literal[
        "escrow",
        "vault",
        "token",
        "vesting",
        "splitter",
        "auction",
        "multisig",
        "crowdfund",
        "sale",
        "registry",
    ]
    cap: int | None = Field(None, description="token: most whole tokens that can ever exist")
    cliff_days: int | None = Field(None, description="vesting: days before anything vests")
    duration_days: int | None = Field(None, description="vesting: days until everything has vested")
    shares: list[int] | None = Field(None, description="splitter: share of each payee")
    min_raise_pct: int | None = Field(None, description="auction: percent a bid must beat the last by")
    threshold: int | None = Field(None, description="multisig: approvals a payment needs")
    owners: int | None = Field(None, description="multisig: number of owners")
    price: int | None = Field(None, description="sale: payment tokens per token")
    per_buyer: int | None = Field(None, description="sale: most tokens one buyer may buy")


def _description_words(description: str) -> set[str]:
    words = set(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", description.lower()))
    return words | {part for w in words for part in w.split("-")}


def _ask_model(model: LanguageModel, description: str, feedback: str) -> _ModelChoice | None:
    structured = getattr(model, "structured", None)
    if structured is None:
        return None
    menu = "; ".join(f"'{kind}': {f.summary}" for kind, f in FAMILIES.items())
    messages: list[ChatMessage] = [
        {
            "role": "system",
            "content": f"Pick the contract template for the request, one of: {menu}. "
            "Give only the parameters the request states.",
        },
        {"role": "user", "content": description + (f"\nThe last one failed: {feedback}" if feedback else "")},
    ]
    try:
        choice: _ModelChoice = structured(messages, _ModelChoice, max_tokens=240)
    except AIWeb3Error:
        return None
    return choice


def choose(
    description: str, name: str = "Scaffold", model: LanguageModel | None = None, feedback: str = ""
) -> Choice:
    """The family and parameters for ``description``, and who chose them.

    Keywords decide when one family's words clearly lead, and the parameters come from the
    description's own figures ("2-of-3", "capped at 1 million", "70/30"); a language model (when
    available) decides a tie, a description with none of the words, or a retry after a failed
    try (``feedback``), and fills parameters the description does not state. Every value is kept
    within the family's bounds (:func:`aiweb3.devassist.families.validate_params`).

    Raises:
        InputError: the keywords cannot decide and no model chose.
    """
    words = _description_words(description)
    scores = sorted(((len(words & keys), kind) for kind, keys in KINDS.items()), reverse=True)
    (best_score, best), (second_score, _) = scores[0], scores[1]
    kind, engine, given = "", "keywords", {}
    if best_score > second_score and not feedback:
        kind = best
    elif model is not None and model.available and (picked := _ask_model(model, description, feedback)):
        kind, engine = picked.kind, f"model {model.name}"
        given = {k.upper(): v for k, v in picked.model_dump(exclude={"kind"}).items() if v is not None}
    elif best_score > second_score:
        kind = best
    if not kind:
        raise InputError(
            f"no scaffold fits {description!r}; there are: {', '.join(KINDS)} "
            "(say e.g. 'an escrow that ...', 'a 2-of-3 multisig ...', 'a token capped at ...')"
        )
    given.update(extract_params(kind, description))  # the description's own figures win
    params, notes = validate_params(kind, name, given)
    return Choice(kind, params, engine, tuple(notes))


def choose_kind(description: str, model: LanguageModel | None = None, feedback: str = "") -> tuple[str, str]:
    """The family for ``description`` and who chose it (see :func:`choose`)."""
    c = choose(description, "Scaffold", model, feedback)
    return c.kind, c.engine


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _show(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def render(kind: str, name: str, description: str, params: dict[str, Any] | None = None) -> dict[str, str]:
    """The files of a scaffold (relative path -> text); ``params`` default to the family's."""
    values = {"NAME": name, "SNAKE": _snake(name), "DESCRIPTION": " ".join(description.split())[:300]}
    checked, _ = validate_params(kind, name, params or {})
    values.update({k: _show(v) for k, v in checked.items()})

    def fill(template: str) -> str:
        return Template((TEMPLATES / template).read_text()).substitute(values)

    return {
        f"contracts/{name}.sol": fill(f"{kind}.sol.tmpl"),
        f"tests/test_{_snake(name)}.py": fill(f"{kind}_test.py.tmpl"),
        f"examples/use_{_snake(name)}.py": fill(f"{kind}_example.py.tmpl"),
    }


def run_tests(folder: Path, timeout: float = 600.0) -> tuple[bool, str]:
    """Run the scaffold's tests with pytest (a real node from ``aiweb3.testing``): passed, output tail."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIWEB3_HOME", "PYTEST_"))}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "tests"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False, f"the tests took longer than {timeout:.0f} s"
    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
    return proc.returncode == 0, tail


def scaffold_contract(
    name: str,
    description: str,
    out: Path,
    model: LanguageModel | None = None,
    *,
    repairs: int = 2,
    renderer: Callable[[str, str, str, dict[str, Any]], dict[str, str]] = render,
    on_step: Callable[[str], None] | None = None,
) -> ScaffoldResult:
    """Write a contract, its tests and an example to ``out`` once they compile and pass.

    ``renderer`` makes the files for (kind, name, description, params); the default uses the
    templates.

    Raises:
        InputError: a bad name, ``out`` exists and is not empty, or no template fits.
        ScaffoldFailed: still failing after ``repairs`` more tries (nothing written).
    """
    if not _NAME.match(name):
        raise InputError(
            f"{name!r} is not a contract name: start with a capital letter, letters and digits only"
        )
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} exists and is not empty: choose a new folder (nothing is overwritten)")
    step = on_step or (lambda _: None)
    attempts: list[str] = []
    feedback = ""
    for attempt in range(repairs + 1):
        choice = choose(description, name, model, feedback)
        kind, engine = choice.kind, choice.engine
        files = renderer(kind, name, description, choice.params)
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=out.parent))
        try:
            for rel, text in files.items():
                (work / rel).parent.mkdir(parents=True, exist_ok=True)
                (work / rel).write_text(text)
            shown = ", ".join(f"{k.lower()}={_show(v)}" for k, v in choice.params.items())
            step(
                f"attempt {attempt + 1}: {kind + (f' ({shown})' if shown else '')} ({engine}); "
                "compiling with solc-js"
            )
            for note in choice.notes:
                step(f"  note: {note}")
            sources = {Path(rel).name: text for rel, text in files.items() if rel.endswith(".sol")}
            try:
                compiled = compile_solidity(sources)
                if name not in compiled:
                    raise CompileFailed([f"the sources define no contract named {name}"])
            except CompileFailed as exc:
                feedback = "does not compile: " + " | ".join(
                    e.strip().splitlines()[0] for e in exc.errors[:3]
                )
                attempts.append(feedback)
                continue
            step(f"attempt {attempt + 1}: running its tests on a local node")
            passed, tail = run_tests(work)
            if not passed:
                feedback = "tests fail: " + tail.splitlines()[-1] if tail else "tests fail"
                attempts.append(feedback)
                continue
            attempts.append("compiled, tests passed")
            if out.exists():
                out.rmdir()  # empty (checked above)
            os.replace(work, out)
            return ScaffoldResult(
                name,
                kind,
                out,
                [out / rel for rel in files],
                attempts,
                engine,
                choice.params,
                list(choice.notes),
            )
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    raise ScaffoldFailed(
        f"{name} did not compile and pass its tests after {repairs + 1} tries ({attempts[-1]}); "
        "nothing was written"
    )
