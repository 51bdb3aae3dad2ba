"""Turn a project folder into passages a retriever can rank and an answer can cite.

Every passage knows its file and line range, so whatever is built on it cites ``path:line``.
Markdown is cut at headings and paragraphs; Python into its module docstring and one passage per
function or class (``ast``); Solidity into one passage per declaration with its NatSpec comment;
any other text file into windows of lines.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from aiweb3.errors import InputError

__all__ = [
    "Passage",
    "SourceFile",
    "aiweb3_checkout",
    "collect_passages",
    "default_roots",
    "read_sources",
]

#: Suffixes read, and the parser each gets.
TEXT_SUFFIXES = {".md", ".rst", ".txt", ".py", ".sol", ".js", ".mjs", ".ts", ".toml"}
#: Folders never read (dependencies, virtual environments, generated files, and the red-team
#: corpus's deliberately vulnerable contracts and attackers, which must never be cited as examples).
SKIP_DIRS = {
    ".git",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "artifacts",
    "build",
    "dist",
    "out",
    "cache",
    "vendor",
    "redteam_corpus",
    "redteam_attackers",
}
MAX_FILE_BYTES = 512 * 1024
MAX_FILES = 5000
_WINDOW = 14  # lines per passage in plain text and long bodies


@dataclass(frozen=True)
class SourceFile:
    """One file read from disk: its path as shown in citations and its lines."""

    path: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Passage:
    """A citable piece of a file.

    Attributes:
        path: the file, relative to the root it was read from (as cited).
        start: first line (1-based).
        end: last line (inclusive).
        kind: "doc" (Markdown/text), "python", "solidity", "test" or "code".
        title: the heading chain or the symbol the passage belongs to.
        text: the passage's lines joined.
    """

    path: str
    start: int
    end: int
    kind: str
    title: str
    text: str

    @property
    def cite(self) -> str:
        """``path:start`` (or ``path:start-end``)."""
        return (
            f"{self.path}:{self.start}" if self.start == self.end else f"{self.path}:{self.start}-{self.end}"
        )


def aiweb3_checkout() -> Path | None:
    """The source checkout aiweb3 runs from (it has ``docs/`` and ``src/aiweb3``), if any."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "src" / "aiweb3").is_dir() and (parent / "docs").is_dir():
            return parent
    return None


def default_roots() -> list[Path]:
    """What ``aiweb3 dev ask`` reads without ``--path``: the checkout, else the installed package."""
    checkout = aiweb3_checkout()
    if checkout is not None:
        return [checkout]
    return [Path(__file__).resolve().parents[1]]


def _walk(root: Path) -> Iterator[Path]:
    """The files under ``root`` in a stable order, never entering skipped or hidden folders."""
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(names):
            path = Path(folder) / name
            if path.suffix in TEXT_SUFFIXES and not name.endswith(".min.js"):
                yield path


def read_sources(roots: Sequence[Path]) -> list[SourceFile]:
    """Every readable text file under ``roots`` (a root may also be one file).

    Raises:
        InputError: a root does not exist, or holds no file aiweb3 can read.
    """
    files: list[SourceFile] = []
    for root in roots:
        root = root.expanduser()
        if not root.exists():
            raise InputError(f"{root} does not exist: pass a project folder or file to read")
        base = root.parent if root.is_file() else root
        candidates = [root] if root.is_file() else _walk(root)
        for path in candidates:
            if path.stat().st_size > MAX_FILE_BYTES:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            rel = path.relative_to(base).as_posix()
            if len(roots) > 1 and root.is_dir():
                rel = f"{root.name}/{rel}"
            files.append(SourceFile(rel, tuple(text.splitlines())))
            if len(files) > MAX_FILES:
                raise InputError(
                    f"{root} holds more than {MAX_FILES} source files: point at a smaller folder"
                )
    if not files:
        shown = ", ".join(str(r) for r in roots)
        raise InputError(f"no Markdown, Python or Solidity files under {shown}: point at a project folder")
    return files


def collect_passages(files: Iterable[SourceFile]) -> list[Passage]:
    """Cut every file into passages by its kind."""
    out: list[Passage] = []
    for f in files:
        if f.path.endswith(".py"):
            out.extend(_python(f))
        elif f.path.endswith(".sol"):
            out.extend(_solidity(f))
        elif f.path.endswith((".md", ".rst", ".txt")):
            out.extend(_markdown(f))
        else:
            out.extend(_windows(f, 1, len(f.lines), "code", Path(f.path).name))
    return [p for p in out if p.text.strip()]


def _make(f: SourceFile, start: int, end: int, kind: str, title: str) -> Passage:
    return Passage(f.path, start, end, kind, title, "\n".join(f.lines[start - 1 : end]))


def _windows(f: SourceFile, start: int, end: int, kind: str, title: str) -> Iterator[Passage]:
    line = start
    while line <= end:
        last = min(end, line + _WINDOW - 1)
        yield _make(f, line, last, kind, title)
        line = last + 1


_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def _markdown(f: SourceFile) -> Iterator[Passage]:
    """Sections by heading, cut at blank lines into passages of at most ~_WINDOW lines."""
    headings: list[str] = []
    block_start: int | None = None
    in_fence = False
    n = len(f.lines)

    def flush(upto: int) -> Iterator[Passage]:
        nonlocal block_start
        if block_start is not None and upto >= block_start:
            yield _make(f, block_start, upto, "doc", " > ".join(headings) or Path(f.path).name)
        block_start = None

    for i, raw in enumerate(f.lines, start=1):
        if raw.strip().startswith("```"):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(raw)
        if heading:
            yield from flush(i - 1)
            level = len(heading.group(1))
            headings[level - 1 :] = [heading.group(2).strip()]
            block_start = i
            continue
        if block_start is None and raw.strip():
            block_start = i
        too_long = block_start is not None and i - block_start + 1 >= _WINDOW
        if (
            block_start is not None
            and not in_fence
            and ((not raw.strip() and i - block_start >= 3) or too_long)
        ):
            yield from flush(i if raw.strip() else i - 1)
    yield from flush(n)


def _python(f: SourceFile) -> Iterator[Passage]:
    parts = Path(f.path).parts
    is_test = "tests" in parts[:-1] or parts[-1].startswith("test_") or parts[-1] == "conftest.py"
    kind = "test" if is_test else "python"
    try:
        tree = ast.parse("\n".join(f.lines))
    except SyntaxError:
        yield from _windows(f, 1, len(f.lines), kind, Path(f.path).name)
        return
    module = f.path.removesuffix(".py").replace("/", ".").removeprefix("src.")
    doc = ast.get_docstring(tree, clean=False)
    if doc and tree.body:
        first = tree.body[0]
        yield _make(f, first.lineno, first.end_lineno or first.lineno, kind, module)
    yield from _python_defs(f, tree.body, module, kind)


def _python_defs(f: SourceFile, body: list[ast.stmt], prefix: str, kind: str) -> Iterator[Passage]:
    for node in body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        name = f"{prefix}.{node.name}"
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        end = node.end_lineno or node.lineno
        if isinstance(node, ast.ClassDef):
            # the class line and docstring; its methods get passages of their own
            head_end = node.body[0].end_lineno if node.body and ast.get_docstring(node) else node.lineno
            yield _make(f, start, head_end or node.lineno, kind, name)
            yield from _python_defs(f, node.body, name, kind)
        elif end - start < 2 * _WINDOW:
            yield _make(f, start, end, kind, name)
        else:
            # signature and docstring, then the body in windows
            doc_end = node.body[0].end_lineno if ast.get_docstring(node) else node.lineno
            yield _make(f, start, doc_end or node.lineno, kind, name)
            yield from _windows(f, (doc_end or node.lineno) + 1, end, kind, name)


_SOL_DECL = re.compile(
    r"^\s*(?:abstract\s+)?(contract|interface|library|function|event|error|modifier|struct|constructor"
    r"|enum|receive|fallback)\b\s*(\w*)"
)


def solidity_blocks(lines: Sequence[str]) -> Iterator[tuple[int, int, int, str, str]]:
    """Each Solidity declaration: (comment start, declaration line, end line, keyword, name), 1-based.

    The comment start is the first line of the NatSpec (``///`` or ``/** */``) right above it.
    """
    for i, raw in enumerate(lines):
        m = _SOL_DECL.match(raw)
        if not m:
            continue
        keyword, name = m.group(1), m.group(2) or m.group(1)
        doc = i
        while doc > 0 and lines[doc - 1].strip().startswith(("///", "/**", "*", "*/")):
            doc -= 1
        end = _block_end(lines, i, keyword)
        yield doc + 1, i + 1, end + 1, keyword, name


def _block_end(lines: Sequence[str], i: int, keyword: str) -> int:
    """The line where the declaration at ``i`` ends: its ``;`` or its matching ``}``."""
    depth = 0
    opened = False
    for j in range(i, len(lines)):
        code = lines[j].split("//", 1)[0]
        for ch in code:
            if ch == "{":
                depth += 1
                opened = True
            elif ch == "}":
                depth -= 1
                if opened and depth == 0:
                    return j
            elif ch == ";" and not opened and keyword not in ("contract", "interface", "library"):
                return j
    return len(lines) - 1


def _solidity(f: SourceFile) -> Iterator[Passage]:
    contract = Path(f.path).stem
    covered = 0
    for doc, decl, end, keyword, name in solidity_blocks(f.lines):
        if keyword in ("contract", "interface", "library"):
            contract = name
            # the contract's NatSpec and its first line; members get passages of their own
            yield _make(f, doc, decl, "solidity", contract)
            covered = decl
            continue
        title = f"{contract}.{name}"
        if end - doc < 2 * _WINDOW:
            yield _make(f, doc, end, "solidity", title)
        else:
            yield _make(f, doc, decl + 2, "solidity", title)
            yield from _windows(f, decl + 3, end, "solidity", title)
        covered = max(covered, end)
    if covered == 0:
        yield from _windows(f, 1, len(f.lines), "solidity", contract)
