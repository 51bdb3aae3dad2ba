"""Read one Solidity function: who can call it, what state it writes, its events and errors.

A small line-oriented reader (the sources aiweb3 explains are formatted by ``forge fmt`` rules):
it follows the internal functions the function calls, within the same file, so ``post`` is
explained together with the ``_post`` it delegates to. Every fact carries its line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiweb3.devassist.corpus import solidity_blocks
from aiweb3.errors import InputError

__all__ = ["Fact", "FunctionFacts", "read_solidity_function"]


@dataclass(frozen=True)
class Fact:
    """One statement about the code and the line that shows it."""

    text: str
    line: int


@dataclass
class FunctionFacts:
    """What the reader found; the sections are lists of facts."""

    contract: str
    name: str
    signature: Fact
    notice: list[Fact] = field(default_factory=list)
    callers: list[Fact] = field(default_factory=list)
    writes: list[Fact] = field(default_factory=list)
    events: list[Fact] = field(default_factory=list)
    errors: list[Fact] = field(default_factory=list)
    calls: list[Fact] = field(default_factory=list)
    internal: list[Fact] = field(default_factory=list)


_STATE_VAR = re.compile(
    r"^\s*(?:mapping\s*\(.*\)|[A-Za-z_][\w.]*(?:\[\d*\])*)\s+"
    r"(?:(?:public|private|internal|immutable|constant|override)\s+)*([A-Za-z_]\w*)\s*(?:=|;)"
)
_STORAGE_PTR = re.compile(r"\b\w+(?:\[\])?\s+storage\s+(\w+)\s*=\s*([A-Za-z_]\w*)(\s*\()?")
_ASSIGN = re.compile(r"^\s*(?:delete\s+)?([A-Za-z_]\w*)([\w\[\].()]*)\s*(?:[-+*/|&^]?=(?!=)|\+\+|--)")
_PRE_INC = re.compile(r"(?:\+\+|--)\s*([A-Za-z_]\w*)")
_DELETE = re.compile(r"\bdelete\s+([A-Za-z_]\w*)")
_PUSH = re.compile(r"\b([A-Za-z_]\w*)(?:\[[^\]]*\])*\.(push|pop)\(")
_EMIT = re.compile(r"\bemit\s+(\w+)\s*\(")
_REVERT = re.compile(r"\brevert\s+(\w+)\s*\(")
_REQUIRE = re.compile(r"\brequire\s*\((.*)")
_CALL = re.compile(r"\b([A-Za-z_]\w*(?:\([^()]*\))?)\.(\w+)\s*(?:\{[^}]*\})?\(")
_WORD_CALL = re.compile(r"(?<![.\w])([A-Za-z_]\w*)\s*\(")
_KEYWORDS = frozenset(
    [
        "external",
        "public",
        "internal",
        "private",
        "view",
        "pure",
        "payable",
        "virtual",
        "override",
        "returns",
        "memory",
        "calldata",
        "storage",
        "function",
    ]
)
_NOT_CALLS = frozenset(
    ["abi", "msg", "block", "tx", "type", "super", "this", "address", "bytes", "string", "keccak256"]
)


def _state_variables(lines: Sequence[str], start: int, end: int) -> set[str]:
    """Names declared at the contract's top level (brace depth 1) between ``start`` and ``end``."""
    names: set[str] = set()
    depth = 0
    for i in range(start - 1, end):
        code = lines[i].split("//", 1)[0]
        if depth == 1 and not re.match(
            r"\s*(function|event|error|modifier|struct|enum|using|constructor)\b", code
        ):
            m = _STATE_VAR.match(code)
            if m:
                names.add(m.group(1))
        depth += code.count("{") - code.count("}")
    return names


def _signature(lines: Sequence[str], decl: int) -> tuple[str, int]:
    parts: list[str] = []
    i = decl - 1
    while i < len(lines):
        code = lines[i].split("//", 1)[0].strip()
        parts.append(code.split("{", 1)[0].strip())
        if "{" in code or code.endswith(";"):
            break
        i += 1
    return " ".join(p for p in parts if p).rstrip(";").strip(), i + 1


def read_solidity_function(lines: Sequence[str], name: str) -> FunctionFacts:
    """The facts about function ``name`` (``constructor`` for the constructor) in a Solidity file.

    Raises:
        InputError: no function of that name; the message lists the functions there are.
    """
    blocks = list(solidity_blocks(lines))
    contracts = [b for b in blocks if b[3] in ("contract", "library", "interface")]
    functions = {
        b[4]: b for b in blocks if b[3] in ("function", "constructor", "modifier", "receive", "fallback")
    }
    if name not in functions:
        known = ", ".join(sorted(n for n, b in functions.items() if b[3] != "modifier")) or "none"
        raise InputError(f"no function {name!r} in this file; its functions: {known}")
    doc, decl, end, _, _ = functions[name]
    owner = next((c for c in reversed(contracts) if c[1] <= decl <= c[2]), None)
    state = _state_variables(lines, owner[1], owner[2]) if owner else set()
    sig, _ = _signature(lines, decl)
    facts = FunctionFacts(owner[4] if owner else "?", name, Fact(sig, decl))
    state_getters: dict[str, str] = {}
    for i in range(doc, decl):
        text = re.sub(r"^\s*(///|/\*\*|\*/?)\s*", "", lines[i - 1]).strip()
        text = re.sub(
            r"^@(notice|dev|param|return)\s*",
            lambda m: "" if m.group(1) == "notice" else f"{m.group(1)}: ",
            text,
        )
        if not text:
            continue
        if facts.notice and not lines[i - 1].lstrip().lstrip("/* ").startswith("@"):
            last = facts.notice[-1]
            facts.notice[-1] = Fact(f"{last.text} {text}", last.line)
        else:
            facts.notice.append(Fact(text, i))
    _who_calls(facts, sig, decl, functions, lines)
    # internal getters that return a storage pointer into a state variable (``_task(id)``)
    for fname, (_, fdecl, fend, kind, _) in functions.items():
        if kind == "function" and "storage" in _signature(lines, fdecl)[0].partition("returns")[2]:
            for i in range(fdecl, fend + 1):
                got = re.search(r"=\s*([A-Za-z_]\w*)\s*\[", lines[i - 1])
                if got and got.group(1) in state:
                    state_getters[fname] = got.group(1)
                    break
    seen = {name}
    queue = [(name, decl, end)]
    while queue:
        fname, fdecl, fend = queue.pop(0)
        _, body_start = _signature(lines, fdecl)
        pointers: dict[str, str] = {}
        for i in range(body_start, fend + 1):
            code = lines[i - 1].split("//", 1)[0]
            _scan_line(facts, code, i, state, pointers, state_getters)
            for m in _WORD_CALL.finditer(code):
                callee = m.group(1)
                if callee in functions and callee not in seen and functions[callee][3] == "function":
                    seen.add(callee)
                    _, cdecl, cend, _, _ = functions[callee]
                    facts.internal.append(Fact(f"{fname} calls {callee}", i))
                    queue.append((callee, cdecl, cend))
    return facts


def _who_calls(
    facts: FunctionFacts, sig: str, decl: int, functions: dict[str, tuple[int, int, int, str, str]],
    lines: Sequence[str],
) -> None:  # fmt: skip
    words = set(re.findall(r"\b\w+\b", sig.split(")", 1)[1] if ")" in sig else ""))
    visibility = next((v for v in ("external", "public", "internal", "private") if v in words), "public")
    if visibility in ("external", "public"):
        facts.callers.append(Fact(f"{visibility}: any account or contract may call it", decl))
    else:
        facts.callers.append(Fact(f"{visibility}: only code of this contract can call it", decl))
    for mutability in ("view", "pure", "payable"):
        if mutability in words:
            facts.callers.append(Fact(f"{mutability}", decl))
    for word in sorted(words - _KEYWORDS):
        if (word in functions and functions[word][3] == "modifier") or word in (
            "nonReentrant",
            "onlyOwner",
            "onlyRole",
            "whenNotPaused",
        ):
            facts.callers.append(Fact(f"modifier {word} applies", decl))


def _add_write(facts: FunctionFacts, target: str, var: str, code: str, i: int, *, via_pointer: bool) -> None:
    """One fact per state variable: fields written through a storage pointer are gathered."""
    field_name = re.match(rf"\s*{re.escape(var)}\.(\w+)", code) if via_pointer else None
    for n, fact in enumerate(facts.writes):
        if fact.text.startswith(f"writes {target} ") or fact.text == f"writes {target}":
            if field_name and field_name.group(1) not in fact.text:
                head, _, fields = fact.text.partition(" fields ")
                fields = f"{fields}, {field_name.group(1)}" if fields else field_name.group(1)
                facts.writes[n] = Fact(f"{head} fields {fields}", fact.line)
            return
    if field_name:
        facts.writes.append(Fact(f"writes {target} fields {field_name.group(1)}", i))
    else:
        facts.writes.append(Fact(f"writes {target}: {code}", i))


def _scan_line(
    facts: FunctionFacts,
    code: str,
    i: int,
    state: set[str],
    pointers: dict[str, str],
    getters: dict[str, str],
) -> None:
    stripped = code.strip()
    ptr = _STORAGE_PTR.search(code)
    if ptr and ptr.group(2) in state and not ptr.group(3):
        pointers[ptr.group(1)] = ptr.group(2)
    elif ptr and ptr.group(3) and ptr.group(2) in getters:
        pointers[ptr.group(1)] = getters[ptr.group(2)]
    if "msg.sender" in code and ("revert" in code or "require" in code or "if (" in code):
        facts.callers.append(Fact(f"checks the caller: {stripped}", i))
    for m in _EMIT.finditer(code):
        facts.events.append(Fact(f"emits {m.group(1)}", i))
    for m in _REVERT.finditer(code):
        facts.errors.append(Fact(f"reverts with {m.group(1)}: {stripped}", i))
    required = _REQUIRE.search(code)
    if required:
        facts.errors.append(Fact(f"requires {required.group(1).rstrip(');').strip()}", i))
    written: list[str] = []
    assign = _ASSIGN.match(code)
    if assign:
        written.append(assign.group(1))
    written += [m.group(1) for m in _PRE_INC.finditer(code)]
    written += [m.group(1) for m in _DELETE.finditer(code)]
    written += [m.group(1) for m in _PUSH.finditer(code)]
    for var in written:
        target = var if var in state else pointers.get(var)
        if target is not None and not (ptr and var == ptr.group(1)):
            _add_write(facts, target, var, stripped, i, via_pointer=var not in state)
            break
    for m in _CALL.finditer(code):
        receiver = m.group(1).split("(", 1)[0]
        if receiver in _NOT_CALLS or receiver in pointers:
            continue
        if receiver in state or receiver[:1].isupper():
            facts.calls.append(Fact(f"calls {m.group(1)}.{m.group(2)}", i))
