"""Read one Python function or class with ``ast``: its signature, docstring, what it raises,
writes and calls. Every fact carries its line."""

from __future__ import annotations

import ast
from collections.abc import Sequence

from aiweb3.devassist.explain_sol import Fact, FunctionFacts
from aiweb3.errors import InputError

__all__ = ["read_python_symbol"]

_WRITES = {
    "write_text": "writes a file",
    "write_bytes": "writes a file",
    "replace": "renames a file into place",
    "unlink": "deletes a file",
    "mkdir": "creates a folder",
    "transact": "sends a transaction",
    "send_raw_transaction": "sends a transaction",
    "bulk_send": "sends transactions",
}


def _find(
    body: Sequence[ast.stmt], parts: list[str]
) -> ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | None:
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == parts[0]:
            if len(parts) == 1:
                return node
            if isinstance(node, ast.ClassDef):
                return _find(node.body, parts[1:])
    return None


def _names(body: Sequence[ast.stmt]) -> list[str]:
    return [n.name for n in body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]


def read_python_symbol(lines: Sequence[str], symbol: str) -> FunctionFacts:
    """The facts about ``symbol`` (``name`` or ``Class.method``) in a Python file.

    Raises:
        InputError: the file does not parse, or has no such symbol (the message lists its names).
    """
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError as exc:
        raise InputError(f"the file does not parse as Python (line {exc.lineno}): fix it first") from None
    node = _find(tree.body, symbol.split("."))
    if node is None:
        known = ", ".join(_names(tree.body)) or "none"
        raise InputError(f"no function or class {symbol!r} in this file; its top-level names: {known}")
    end_sig = node.body[0].lineno - 1 if node.body else node.lineno
    sig_lines = [ln.strip() for ln in lines[node.lineno - 1 : max(node.lineno, end_sig)]]
    signature = " ".join(sig_lines).rstrip(":")
    facts = FunctionFacts(
        symbol.rsplit(".", 1)[0] if "." in symbol else "", symbol, Fact(signature, node.lineno)
    )
    doc = ast.get_docstring(node, clean=False)
    if doc and node.body:
        first = node.body[0].lineno
        paragraph: list[str] = []
        start = first
        for offset, text in enumerate([*doc.splitlines(), ""]):
            if text.strip():
                if not paragraph:
                    start = first + offset
                paragraph.append(text.strip())
            elif paragraph:
                facts.notice.append(Fact(" ".join(paragraph), start))
                paragraph = []
    private = node.name.startswith("_")
    facts.callers.append(
        Fact(
            "private: meant for this module only" if private else "public: any caller may use it",
            node.lineno,
        )
    )
    if isinstance(node, ast.ClassDef):
        for method in node.body:
            if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef) and not method.name.startswith("_"):
                facts.internal.append(Fact(f"method {method.name}", method.lineno))
        return facts
    seen_calls: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Raise) and sub.exc is not None:
            raised = sub.exc.func if isinstance(sub.exc, ast.Call) else sub.exc
            facts.errors.append(Fact(f"raises {ast.unparse(raised)}", sub.lineno))
        elif isinstance(sub, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
            for t in targets:
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
                    facts.writes.append(Fact(f"sets self.{t.attr}", sub.lineno))
        elif isinstance(sub, ast.Call):
            name = ast.unparse(sub.func)
            attr = sub.func.attr if isinstance(sub.func, ast.Attribute) else name
            if attr in _WRITES:
                facts.writes.append(Fact(f"{_WRITES[attr]} ({name})", sub.lineno))
            elif name == "open" and any(
                isinstance(a, ast.Constant) and isinstance(a.value, str) and any(c in a.value for c in "wax")
                for a in sub.args[1:2]
            ):
                facts.writes.append(Fact("writes a file (open)", sub.lineno))
            if name not in seen_calls and len(seen_calls) < 12:
                seen_calls.add(name)
                facts.calls.append(Fact(f"calls {name}", sub.lineno))
    facts.errors.sort(key=lambda f: f.line)
    facts.writes.sort(key=lambda f: f.line)
    facts.calls.sort(key=lambda f: f.line)
    return facts
