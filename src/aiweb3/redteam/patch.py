"""Patch: re-run each confirmed exploit against a fixed contract; it must fail, and the
contract's own functional checks must still pass.

The fix is the corpus entry's patched twin when there is one, else a template fix written into
the source at the function the hypothesis names (a re-entrancy lock, ``msg.sender`` for
``tx.origin``, an owner check, a checked low-level call). The patched variant is deployed with the
same setup on a snapshot, the exploit's recorded steps are replayed, and the class's templates
are tried afresh.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

from aiweb3.chain import Chain
from aiweb3.errors import AIWeb3Error
from aiweb3.redteam.exploit import Exploit, replay_steps
from aiweb3.redteam.exploit_arena import Arena, StepFailed, Win, on_snapshot
from aiweb3.redteam.exploit_templates import attempts_for, front_run
from aiweb3.redteam.hypotheses import Hypothesis

__all__ = ["diff_sources", "template_fix", "verify_patch"]


def diff_sources(before: dict[str, str], after: dict[str, str]) -> str:
    """A unified diff of two source sets."""
    out: list[str] = []
    for name in sorted(set(before) | set(after)):
        out += difflib.unified_diff(
            before.get(name, "").splitlines(keepends=True),
            after.get(name, "").splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
    return "".join(out)


def _function_span(text: str, function: str) -> tuple[int, int] | None:
    """(start of the header, index of the body's opening brace) of ``function`` in ``text``."""
    found = re.search(rf"function\s+{re.escape(function)}\s*\(", text)
    if not found:
        return None
    brace = text.find("{", found.end())
    return (found.start(), brace) if brace != -1 else None


def _body_end(text: str, brace: int) -> int:
    depth = 0
    for i in range(brace, len(text)):
        depth += text[i] == "{"
        depth -= text[i] == "}"
        if depth == 0:
            return i
    return len(text)


def _contract_open(text: str, before: int) -> int:
    starts = [m.end() for m in re.finditer(r"\bcontract\s+\w+[^{]*\{", text[:before])]
    return starts[-1] if starts else -1


def template_fix(sources: dict[str, str], hyp: Hypothesis) -> tuple[dict[str, str], str] | None:
    """A fixed copy of ``sources`` for one hypothesis and a line saying what changed, or None
    when no template fits."""
    for name, text in sources.items():
        span = _function_span(text, hyp.function)
        if span is None:
            continue
        start, brace = span
        end = _body_end(text, brace)
        body = text[brace:end]
        if hyp.cls == "reentrancy":
            opening = _contract_open(text, start)
            if opening < 0:
                return None
            lock = (
                "\n    bool private rtLocked;\n    modifier rtNonReentrant() {\n        require(!rtLocked);\n"
                "        rtLocked = true;\n        _;\n        rtLocked = false;\n    }\n"
            )
            fixed = text[:brace] + "rtNonReentrant " + text[brace:]
            fixed = fixed[:opening] + lock + fixed[opening:]
            return {**sources, name: fixed}, f"add a re-entrancy lock (rtNonReentrant) to {hyp.function}"
        if hyp.cls == "tx_origin" and "tx.origin" in body:
            fixed = text[:brace] + body.replace("tx.origin", "msg.sender") + text[end:]
            return {**sources, name: fixed}, f"authorise {hyp.function} by msg.sender instead of tx.origin"
        if hyp.cls in {"access_control", "unprotected_init"} and re.search(
            r"\baddress\b[^;=]*\bowner\b", text
        ):
            guard = "\n        require(msg.sender == owner);"
            if hyp.cls == "unprotected_init":
                guard = "\n        require(owner == address(0));"
            fixed = text[: brace + 1] + guard + text[brace + 1 :]
            return {**sources, name: fixed}, f"only the owner may call {hyp.function}"
        if hyp.cls == "unchecked_call":
            fixed_body = re.sub(
                r"(?m)^(\s*)([^\n;=]*\.(?:send|call)\b[^\n;]*);", r"\1require(\2);", body, count=1
            )
            if fixed_body != body and ".call{" not in fixed_body:
                return {
                    **sources,
                    name: text[:brace] + fixed_body + text[end:],
                }, f"require the call in {hyp.function} to succeed"
        return None
    return None


def verify_patch(
    chain: Chain,
    deploy: Callable[[], tuple[Arena, Callable[[], None]]],
    exploit: Exploit,
    hyp: Hypothesis | None,
    *,
    source: str,
    diff: str,
    note: str = "",
) -> dict[str, Any]:
    """Deploy the fix on a snapshot, replay the exploit, retry its class's templates; revert.

    Args:
        deploy: deploys the patched variant with the target's setup; returns its arena and a
            function running the target's functional checks (raising when one fails).
        source: where the fix came from ("patched twin", "template fix").

    Returns:
        ``{"source", "diff", "note", "exploit_blocked", "functional", "verified", "detail"}``.
    """
    result: dict[str, Any] = {"source": source, "diff": diff, "note": note}
    with on_snapshot(chain):
        try:
            arena, functional = deploy()
        except AIWeb3Error as exc:
            result.update(
                exploit_blocked=False,
                functional=False,
                verified=False,
                detail=f"the fix does not deploy: {exc}",
            )
            return result
        with on_snapshot(chain):
            replayed = replay_steps(arena, exploit.steps) if exploit.strategy != "front_run" else Win(False)
        retried = []
        if hyp is not None and hyp.cls != "search":
            # a front-run replays the victim's old pending call: run it against the fix's own instead
            again = [front_run()] if exploit.strategy == "front_run" else attempts_for(arena, hyp)
            for attempt in again:
                with on_snapshot(chain):
                    arena.sent.clear()
                    before = arena.measure()
                    try:
                        attempt.run(arena)
                    except (StepFailed, AIWeb3Error):
                        continue
                    if arena.check(before).won:
                        retried.append(attempt.strategy)
        blocked = not replayed.won and not retried
        try:
            functional()
            works, detail = True, "functional checks pass"
        except AIWeb3Error as exc:
            works, detail = False, f"functional check failed: {exc}"
        if not blocked:
            detail = f"the exploit still wins on the fix ({replayed.detail or ', '.join(retried)}); {detail}"
        result.update(exploit_blocked=blocked, functional=works, verified=blocked and works, detail=detail)
    return result
