"""Our own static checks over solc's compact AST (any solc from 0.4.12 to 0.8).

Each check walks one function's body and yields :class:`Hypothesis` objects with the
``file:line`` of the statement that raised them. They are deliberately simple patterns (no
data-flow analysis): Slither complements them, and only an exploit confirmed on chain counts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aiweb3.redteam.hypotheses import Hypothesis

__all__ = ["check_ast"]

Node = dict[str, Any]

_GUARD_MODIFIER = re.compile(r"nonreentrant|noreentr|lock|mutex", re.I)
_AUTH_MODIFIER = re.compile(r"only|auth|admin|owner|initializer|guard|role|restricted", re.I)
_PRIVILEGED_VAR = re.compile(r"owner|admin|governance|controller|authority|operator", re.I)
_INIT_NAME = re.compile(r"^_?(init|initiali[sz]e|setup)", re.I)
_SHARE_FUNC = re.compile(r"deposit|mint|redeem|withdraw|convert|preview|share", re.I)
_SHARE_TERM = re.compile(r"supply|shares|totalassets|balanceof", re.I)
_BLOCK_MEMBERS = {"timestamp", "number", "difficulty", "prevrandao", "coinbase", "gaslimit", "blockhash"}
_HASHES = {"keccak256", "sha3", "sha256"}


def _walk(node: Any) -> Iterator[Node]:
    """Every AST node under ``node`` (itself included), depth first, in source order."""
    if isinstance(node, dict):
        if "nodeType" in node:
            yield node
        for value in node.values():
            if isinstance(value, (dict, list)):
                yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _start(node: Node) -> int:
    return int(str(node.get("src", "0:0:0")).split(":")[0])


def _root_id(expr: Node | None) -> int | None:
    """The declaration an lvalue ultimately names (``a[i].b`` -> ``a``)."""
    while expr is not None:
        kind = expr.get("nodeType")
        if kind == "Identifier":
            ref = expr.get("referencedDeclaration")
            return int(ref) if isinstance(ref, int) else None
        if kind == "IndexAccess":
            expr = expr.get("baseExpression")
        elif kind == "MemberAccess":
            expr = expr.get("expression")
        elif kind == "TupleExpression" and len(expr.get("components") or []) == 1:
            expr = (expr.get("components") or [None])[0]
        else:
            return None
    return None


def _callee(call: Node) -> Node | None:
    """For a call, the MemberAccess it calls (``a.call``, under ``{value:}`` or ``.value()``)."""
    expr = call.get("expression")
    while isinstance(expr, dict):
        kind = expr.get("nodeType")
        if kind == "FunctionCallOptions":
            expr = expr.get("expression")
        elif kind == "FunctionCall" and _member(expr.get("expression")) in {"value", "gas"}:
            expr = expr["expression"].get("expression")
        elif (
            kind == "MemberAccess"
            and expr.get("memberName") in {"value", "gas"}
            and _member(expr.get("expression")) == "call"
        ):
            expr = expr.get("expression")
        else:
            break
    return expr if isinstance(expr, dict) and expr.get("nodeType") == "MemberAccess" else None


def _member(expr: Any) -> str:
    return (
        str(expr.get("memberName", ""))
        if isinstance(expr, dict) and expr.get("nodeType") == "MemberAccess"
        else ""
    )


def _with_value(call: Node) -> bool:
    expr = call.get("expression")
    if isinstance(expr, dict) and expr.get("nodeType") == "FunctionCallOptions":
        return "value" in (expr.get("names") or [])
    return (
        isinstance(expr, dict)
        and expr.get("nodeType") == "FunctionCall"
        and _member(expr.get("expression")) == "value"
    )


def _type_of(expr: Any) -> str:
    return (
        str((expr or {}).get("typeDescriptions", {}).get("typeString") or "")
        if isinstance(expr, dict)
        else ""
    )


def _names(node: Any) -> set[str]:
    """Identifier names and member names under ``node``."""
    out: set[str] = set()
    for n in _walk(node):
        if n.get("nodeType") in {"Identifier", "YulIdentifier"}:
            out.add(str(n.get("name", "")))
        elif n.get("nodeType") == "MemberAccess":
            out.add(str(n.get("memberName", "")))
        elif n.get("nodeType") == "YulFunctionCall":
            out.add(str((n.get("functionName") or {}).get("name", "")))
    return out


def _is_tx_origin(n: Node) -> bool:
    base = n.get("expression") or {}
    return (
        n.get("nodeType") == "MemberAccess" and n.get("memberName") == "origin" and base.get("name") == "tx"
    )


def _is_block_value(n: Node) -> bool:
    kind = n.get("nodeType")
    if kind == "MemberAccess":
        base = n.get("expression") or {}
        return base.get("name") == "block" and n.get("memberName") in _BLOCK_MEMBERS
    if kind == "Identifier":
        return n.get("name") in {"now", "blockhash"}
    return False


@dataclass
class _Function:
    """One function with what the checks ask of it."""

    contract: str
    name: str
    node: Node
    file: str
    text: bytes
    state_ids: dict[int, str]
    legacy: bool

    @property
    def body(self) -> Node:
        return self.node.get("body") or {}

    @property
    def modifiers(self) -> list[str]:
        return [str((m.get("modifierName") or {}).get("name", "")) for m in self.node.get("modifiers") or []]

    @property
    def params(self) -> set[int]:
        plist = (self.node.get("parameters") or {}).get("parameters") or []
        return {int(p["id"]) for p in plist if isinstance(p.get("id"), int)}

    @property
    def public(self) -> bool:
        return self.node.get("visibility") in {"public", "external"}

    @property
    def mutates(self) -> bool:
        mut = self.node.get("stateMutability")
        if mut is None:  # solc < 0.4.16
            return not self.node.get("constant", False)
        return mut not in {"view", "pure"}

    def line(self, node: Node) -> str:
        newlines = self.text[: _start(node)].count(b"\n")
        return f"{self.file}:{newlines + 1}"

    def hyp(self, cls: str, at: Node, confidence: float, evidence: str) -> Hypothesis:
        return Hypothesis(cls, self.contract, self.name, self.line(at), confidence, [evidence], ["ast"])

    def state_writes(self) -> list[tuple[Node, str]]:
        out: list[tuple[Node, str]] = []
        for n in _walk(self.body):
            target: Node | None = None
            if n.get("nodeType") == "Assignment":
                target = n.get("leftHandSide")
            elif n.get("nodeType") == "UnaryOperation" and n.get("operator") in {"++", "--", "delete"}:
                target = n.get("subExpression")
            ref = _root_id(target)
            if ref is not None and ref in self.state_ids:
                out.append((n, self.state_ids[ref]))
        return out

    def checks_sender(self) -> bool:
        """Whether a require/if/assert in the body mentions msg.sender or tx.origin."""
        for n in _walk(self.body):
            cond: Any = None
            if n.get("nodeType") == "IfStatement":
                cond = n.get("condition")
            elif n.get("nodeType") == "FunctionCall" and (n.get("expression") or {}).get("name") in {
                "require",
                "assert",
            }:
                cond = n.get("arguments")
            if cond is not None and ({"sender", "origin"} & _names(cond)):
                return True
        return False


def _functions(ast: Node, file: str, text: str, state_ids: dict[int, str]) -> Iterator[_Function]:
    legacy = False
    for contract in _walk(ast):
        if contract.get("nodeType") != "ContractDefinition" or contract.get("contractKind") != "contract":
            continue
        for fn in contract.get("nodes") or []:
            if fn.get("nodeType") != "FunctionDefinition" or not fn.get("body"):
                continue
            kind = fn.get("kind") or ("constructor" if fn.get("isConstructor") else "")
            name = str(fn.get("name") or "")
            if not kind:
                legacy = True
                kind = (
                    "constructor"
                    if name == contract.get("name")
                    else ("fallback" if not name else "function")
                )
            if kind == "constructor":
                continue
            label = name if kind == "function" else kind
            yield _Function(str(contract["name"]), label, fn, file, text.encode(), state_ids, legacy)


def check_ast(asts: dict[str, Node], sources: dict[str, str], version: str) -> list[Hypothesis]:
    """Run every check on the compiled ASTs (file name -> compact AST).

    Args:
        asts: solc's ``sources[file].ast`` per file.
        sources: the source texts (offsets are bytes into them).
        version: the compiler version ("0.6.12"): overflow checks apply below 0.8.
    """
    state_ids: dict[int, str] = {}
    uses_safemath = False
    for ast in asts.values():
        for n in _walk(ast):
            if n.get("nodeType") == "VariableDeclaration" and n.get("stateVariable"):
                state_ids[int(n["id"])] = str(n.get("name", ""))
            if n.get("nodeType") == "UsingForDirective" and "SafeMath" in str(
                n.get("libraryName", {}).get("name", "")
            ):
                uses_safemath = True
    old = tuple(int(p) for p in re.findall(r"\d+", version)[:2]) < (0, 8)
    found: list[Hypothesis] = []
    for file, ast in asts.items():
        if file not in sources:
            continue  # imported library code
        for fn in _functions(ast, file, sources[file], state_ids):
            found.extend(_reentrancy(fn))
            found.extend(_calls(fn))
            found.extend(_auth(fn))
            found.extend(_math(fn, old and not uses_safemath))
    return found


def _reentrancy(fn: _Function) -> Iterator[Hypothesis]:
    guarded = any(_GUARD_MODIFIER.search(m) for m in fn.modifiers)
    calls: list[tuple[Node, bool]] = []
    for n in _walk(fn.body):
        if n.get("nodeType") != "FunctionCall":
            continue
        callee = _callee(n)
        if callee is None:
            continue
        if callee.get("memberName") == "call":
            calls.append((n, True))
        elif (
            _type_of(callee.get("expression")).startswith("contract ")
            and (callee.get("expression") or {}).get("name") != "this"
        ):
            calls.append((n, _with_value(n)))
    writes = fn.state_writes()
    for call, low_level in calls:
        later = [(w, name) for w, name in writes if _start(w) > _start(call)]
        if later:
            w, name = later[0]
            conf = 0.85 if low_level or _with_value(call) else 0.55
            if guarded:  # the lock stops re-entering this function, not the others that write `name`
                yield fn.hyp(
                    "reentrancy", call, 0.45,
                    f"guarded, but the external call at {fn.line(call)} precedes the write of `{name}` at "
                    f"{fn.line(w)}: other functions writing it can be re-entered",
                )  # fmt: skip
                return
            yield fn.hyp(
                "reentrancy",
                call,
                conf,
                f"external call at {fn.line(call)} before the write of `{name}` at {fn.line(w)}",
            )
            return


def _calls(fn: _Function) -> Iterator[Hypothesis]:
    params = fn.params
    unchecked_done = False
    for stmt in _walk(fn.body):
        kind = stmt.get("nodeType")
        if kind == "ExpressionStatement" and not unchecked_done:
            expr = stmt.get("expression") or {}
            callee = _callee(expr) if expr.get("nodeType") == "FunctionCall" else None
            if callee is not None and callee.get("memberName") in {"call", "send", "delegatecall"}:
                unchecked_done = True
                yield fn.hyp(
                    "unchecked_call",
                    stmt,
                    0.8,
                    f"the result of .{callee['memberName']} at {fn.line(stmt)} is discarded",
                )
        if kind != "FunctionCall":
            continue
        callee = _callee(stmt)
        member = callee.get("memberName") if callee else (stmt.get("expression") or {}).get("name")
        if member == "delegatecall" and callee is not None:
            base = _root_id(callee.get("expression"))
            data_ids = {_root_id(a) for a in stmt.get("arguments") or []}
            if base in params:
                yield fn.hyp(
                    "delegatecall", stmt, 0.85, f"delegatecall to the caller-given address at {fn.line(stmt)}"
                )
            elif data_ids & params:
                yield fn.hyp(
                    "delegatecall", stmt, 0.7, f"delegatecall with caller-given data at {fn.line(stmt)}"
                )
            elif "data" in _names(stmt.get("arguments")) and fn.name in {"fallback", "receive"}:
                yield fn.hyp(
                    "delegatecall",
                    stmt,
                    0.5,
                    f"the fallback forwards msg.data by delegatecall at {fn.line(stmt)}",
                )
        elif member in {"slot0", "getReserves"}:
            yield fn.hyp(
                "spot_price", stmt, 0.7, f"reads the pool's current price ({member}) at {fn.line(stmt)}"
            )
        elif member in {"ecrecover", "recover", "tryRecover"}:
            names = {n.lower() for n in _names(fn.body)}
            nonce = any("nonce" in n for n in names) or "used" in " ".join(names)
            chain = "chainid" in names or any("domain" in n for n in names)
            if not (nonce and chain):
                missing = " and ".join(w for w, ok in (("nonce", nonce), ("chain id", chain)) if not ok)
                yield fn.hyp(
                    "signature_replay",
                    stmt,
                    0.75 if not nonce else 0.5,
                    f"signature check at {fn.line(stmt)} without a {missing}",
                )
        elif (member in _HASHES or (stmt.get("expression") or {}).get("name") in _HASHES) and any(
            _is_block_value(n) for n in _walk(stmt.get("arguments"))
        ):
            yield fn.hyp(
                "bad_randomness",
                stmt,
                0.75,
                f"hashes block values at {fn.line(stmt)} (predictable in the same block)",
            )


def _auth(fn: _Function) -> Iterator[Hypothesis]:
    for n in _walk(fn.body):
        if n.get("nodeType") == "BinaryOperation" and n.get("operator") in {"==", "!="}:
            sides = [n.get("leftExpression") or {}, n.get("rightExpression") or {}]
            if any(_is_tx_origin(s) for s in sides) and not any(_member(s) == "sender" for s in sides):
                yield fn.hyp("tx_origin", n, 0.85, f"authorises with tx.origin at {fn.line(n)}")
                break
    if not fn.public or not fn.mutates or fn.name in {"fallback", "receive"}:
        return
    guarded = any(_AUTH_MODIFIER.search(m) for m in fn.modifiers) or fn.checks_sender()
    writes = fn.state_writes()
    if _INIT_NAME.search(fn.name) and not any(_AUTH_MODIFIER.search(m) for m in fn.modifiers):
        conditions = [
            n
            for n in _walk(fn.body)
            if n.get("nodeType") in {"IfStatement"}
            or (n.get("nodeType") == "FunctionCall" and (n.get("expression") or {}).get("name") == "require")
        ]
        if writes and not conditions:
            yield fn.hyp(
                "unprotected_init",
                fn.node,
                0.85,
                f"initialiser `{fn.name}` has no guard and writes `{writes[0][1]}`",
            )
            return
    if guarded:
        return
    for w, name in writes:
        if _PRIVILEGED_VAR.search(name):
            yield fn.hyp("access_control", w, 0.8, f"anyone can set `{name}` at {fn.line(w)}")
            return
    for n in _walk(fn.body):
        if n.get("nodeType") == "FunctionCall" and (n.get("expression") or {}).get("name") in {
            "selfdestruct",
            "suicide",
        }:
            yield fn.hyp("access_control", n, 0.85, f"anyone can selfdestruct at {fn.line(n)}")
            return
        callee = _callee(n) if n.get("nodeType") == "FunctionCall" else None
        if (
            callee is not None
            and callee.get("memberName") in {"transfer", "send", "call"}
            and "balance" in _names(n.get("arguments")) | _names(n.get("expression"))
        ):
            yield fn.hyp("access_control", n, 0.6, f"anyone can send the contract's balance at {fn.line(n)}")
            return


def _math(fn: _Function, unchecked_math: bool) -> Iterator[Hypothesis]:
    if _SHARE_FUNC.search(fn.name):
        for n in _walk(fn.body):
            divides = n.get("nodeType") == "BinaryOperation" and n.get("operator") == "/"
            if divides and any(_SHARE_TERM.search(x) for x in _names(n)):
                yield fn.hyp("share_rounding", n, 0.5, f"share math divides (rounds down) at {fn.line(n)}")
                break
    if not unchecked_math or not fn.mutates:
        return
    for n in _walk(fn.body):
        if n.get("nodeType") == "Assignment" and n.get("operator") in {"+=", "-=", "*="}:
            ref = _root_id(n.get("leftHandSide"))
            if ref in fn.state_ids:
                yield fn.hyp(
                    "integer_overflow",
                    n,
                    0.55,
                    f"unchecked `{n['operator']}` on `{fn.state_ids[ref]}` at {fn.line(n)} (solc < 0.8)",
                )
                return
        if n.get("nodeType") == "Assignment" and n.get("operator") == "=":
            rhs = n.get("rightHandSide") or {}
            if (
                rhs.get("nodeType") == "BinaryOperation"
                and rhs.get("operator") in {"+", "-", "*"}
                and _root_id(n.get("leftHandSide")) in fn.state_ids
            ):
                yield fn.hyp(
                    "integer_overflow",
                    n,
                    0.5,
                    f"unchecked `{rhs['operator']}` stored at {fn.line(n)} (solc < 0.8, no SafeMath)",
                )
                return
