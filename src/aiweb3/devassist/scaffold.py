"""Scaffold a contract that works: Solidity, its pytest tests on the ``aiweb3.testing`` fixtures,
and a usage example, compiled with the pinned solc-js and tested *before* anything is written.

The code comes from reviewed templates (``templates/``: an escrow and a time-locked vault);
what varies is the template chosen for the description, the contract's name and its NatSpec. A
template is chosen by keywords; a language model, when available, decides what they cannot (a tie,
no matching word, a retry) with a schema-constrained choice. A candidate that fails to compile or
to pass its tests is fed back (the compiler's or pytest's first lines) for another choice, at most
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
from typing import Literal

from pydantic import BaseModel

from aiweb3.devassist.solidity import CompileFailed, compile_solidity
from aiweb3.errors import AIWeb3Error, ContractError, InputError
from aiweb3.llm import ChatMessage, LanguageModel

__all__ = ["KINDS", "ScaffoldFailed", "ScaffoldResult", "choose_kind", "scaffold_contract"]

TEMPLATES = Path(__file__).with_name("templates")
#: The scaffolds there are, and the words that choose each without a model.
KINDS: dict[str, tuple[str, ...]] = {
    "escrow": ("escrow", "buyer", "seller", "release", "deal", "payment", "pay"),
    "vault": ("vault", "lock", "locked", "timelock", "unlock", "savings", "withdraw", "deposit"),
}
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


class _Choice(BaseModel):
    kind: Literal["escrow", "vault"]


def choose_kind(description: str, model: LanguageModel | None = None, feedback: str = "") -> tuple[str, str]:
    """The template for ``description`` and who chose it ("keywords" or "model NAME").

    Keywords decide when one template's words clearly lead; a language model (when available)
    decides a tie, a description with none of the words, or after a failed try (``feedback``).

    Raises:
        InputError: the keywords cannot decide and no model chose.
    """
    words = set(re.findall(r"[a-z]+", description.lower()))
    scores = sorted(((len(words & set(keys)), kind) for kind, keys in KINDS.items()), reverse=True)
    (best_score, best), (second_score, _) = scores[0], scores[1]
    if best_score > second_score and not feedback:
        return best, "keywords"
    structured = getattr(model, "structured", None) if model is not None and model.available else None
    if structured is not None:
        messages: list[ChatMessage] = [
            {
                "role": "system",
                "content": "Pick the contract template for the request: 'escrow' (a buyer pays a seller "
                "through a deposit released later) or 'vault' (deposits locked until a time).",
            },
            {
                "role": "user",
                "content": description + (f"\nThe last one failed: {feedback}" if feedback else ""),
            },
        ]
        try:
            return structured(messages, _Choice, max_tokens=20).kind, f"model {model.name}"  # type: ignore[union-attr]
        except AIWeb3Error:
            pass
    if best_score > second_score:
        return best, "keywords"
    raise InputError(
        f"no scaffold fits {description!r}; there are: {', '.join(KINDS)} "
        "(say e.g. 'an escrow that ...' or 'a vault that locks ...')"
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def render(kind: str, name: str, description: str) -> dict[str, str]:
    """The files of a scaffold (relative path -> text)."""
    values = {"NAME": name, "SNAKE": _snake(name), "DESCRIPTION": " ".join(description.split())[:300]}

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
    renderer: Callable[[str, str, str], dict[str, str]] = render,
    on_step: Callable[[str], None] | None = None,
) -> ScaffoldResult:
    """Write a contract, its tests and an example to ``out`` once they compile and pass.

    ``renderer`` makes the files for (kind, name, description); the default uses the templates.

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
        kind, engine = choose_kind(description, model, feedback)
        files = renderer(kind, name, description)
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=out.parent))
        try:
            for rel, text in files.items():
                (work / rel).parent.mkdir(parents=True, exist_ok=True)
                (work / rel).write_text(text)
            step(f"attempt {attempt + 1}: {kind} ({engine}); compiling with solc-js")
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
            return ScaffoldResult(name, kind, out, [out / rel for rel in files], attempts, engine)
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    raise ScaffoldFailed(
        f"{name} did not compile and pass its tests after {repairs + 1} tries ({attempts[-1]}); "
        "nothing was written"
    )
