"""Every `aiweb3 ...` command the dashboard or the README names is a real command."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from aiweb3.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "src" / "aiweb3" / "server" / "templates").glob("*.html")), ROOT / "README.md"]
COMMAND = re.compile(r"`aiweb3 ([a-z][a-z0-9 |-]*)")


def named_commands() -> list[tuple[str, str]]:
    found = set()
    for path in SOURCES:
        for match in COMMAND.finditer(path.read_text()):
            found.add((path.name, match.group(1).strip()))
    return sorted(found)


def resolve(words: list[str]) -> list[str]:
    """The words that name commands; fails on the first word that is not one."""
    command: Any = typer.main.get_command(app)  # Typer vendors its own click: duck-typed here
    path: list[str] = []
    for word in words:
        if not hasattr(command, "list_commands"):
            break
        ctx = command.context_class(command)
        for alternative in word.split("|"):  # `aiweb3 usecase medical|credit`
            sub = command.get_command(ctx, alternative)
            assert sub is not None, f"`aiweb3 {' '.join([*path, alternative])}` is not a command"
        command, path = sub, [*path, word]
    return path


@pytest.mark.parametrize(("source", "text"), named_commands())
def test_named_command_exists(source: str, text: str) -> None:
    words = [w for w in text.split() if not w.isupper()]
    assert resolve(words), f"{source}: `aiweb3 {text}`"


def test_the_dataset_empty_states_name_real_commands() -> None:
    assert ("datasets.html", "dataset record contribute") in named_commands()
