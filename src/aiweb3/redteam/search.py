"""Property-based search: hypothesis stateful sequences over the target's ABI from the attacker.

The state machine's one rule calls any state-changing function of the target, as the attacker,
with arguments drawn per ABI type (the roles' and the target's addresses, edge-case amounts);
its invariant is the target's win condition turned around: the attacker's value does not grow,
no privilege changes hands, no stated invariant breaks. Every example starts from the same
``evm_snapshot``; when the invariant fails, hypothesis shrinks the sequence and the shortest
failing one is returned, as portable steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from aiweb3.redteam.exploit_arena import Arena, Step, StepFailed, Win, abi_type, encode_fn, functions_of

__all__ = ["SearchResult", "search"]

ETHER = 10**18
_EDGE_UINTS = (0, 1, 2, ETHER, 10 * ETHER, 2**128, 2**255, 2**256 - 1)


@dataclass
class SearchResult:
    """What the search found: the shortest failing sequence (or None) and how hard it looked."""

    steps: list[Step] | None
    win: Win | None
    examples: int = 0
    transactions: int = 0
    seconds: float = 0.0
    functions: list[str] = field(default_factory=list)


def _strategy(typ: str, addresses: list[str], amounts: tuple[int, ...] = ()) -> st.SearchStrategy[Any]:
    """Values of one ABI type: the attacker's address half the time (``addresses[0]``), edge
    amounts (and ``amounts``, such as the target's balance) half the time."""
    if typ.endswith("]"):
        inner, _, size = typ[:-1].rpartition("[")
        elem = _strategy(inner, addresses, amounts)
        return st.lists(elem, min_size=int(size), max_size=int(size)) if size else st.lists(elem, max_size=2)
    if typ.startswith("("):
        parts = _split_tuple(typ[1:-1])
        return st.tuples(*[_strategy(p, addresses, amounts) for p in parts])
    if typ == "address":
        return st.one_of(st.just(addresses[0]), st.sampled_from(addresses))
    if typ.startswith("uint"):
        bits = int(typ[4:] or 256)
        top = 2**bits - 1
        edges = sorted({min(v, top) for v in (*_EDGE_UINTS, *amounts)})
        likely = sorted({min(v, top) for v in (ETHER, *amounts)})
        anything = st.integers(0, min(top, 100 * ETHER))
        return st.one_of(st.sampled_from(likely), st.sampled_from(edges), anything)
    if typ.startswith("int"):
        bits = int(typ[3:] or 256)
        return st.sampled_from([0, 1, -1, 2 ** (bits - 1) - 1, -(2 ** (bits - 1))])
    if typ == "bool":
        return st.booleans()
    if typ == "bytes":
        return st.sampled_from([b"", b"\x00" * 32])
    if typ.startswith("bytes"):
        n = int(typ[5:])
        return st.sampled_from([b"\x00" * n, b"\xff" * n])
    if typ == "string":
        return st.sampled_from(["", "x"])
    return st.nothing()


def _split_tuple(body: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in body:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur:
        parts.append(cur)
    return parts


def search(arena: Arena, *, max_examples: int = 60, steps: int = 5, budget_s: float = 60.0) -> SearchResult:
    """Search for a sequence of attacker calls that breaks the win condition's invariants.

    Runs on snapshots of the arena's chain and leaves it as it found it.

    Args:
        max_examples: sequences hypothesis generates (before shrinking).
        steps: most calls in one sequence.
        budget_s: after this many seconds the remaining examples send nothing.

    Sequences are derandomized: the same target gives the same search.
    """
    chain = arena.chain
    fns = [
        f
        for f in functions_of(arena.abi)
        if all(_strategy(abi_type(i), ["0x0"]) is not st.nothing() for i in f.get("inputs", []))
    ]
    others = {arena.target, *(a.address for a in arena.roles.values()), "0x" + "0" * 40}
    addresses = [arena.attacker.address, *sorted(others - {arena.attacker.address})]
    amounts = (chain.balance(arena.target),)
    result = SearchResult(None, None, functions=[f["name"] for f in fns])
    if not fns:
        return result
    started = time.perf_counter()
    state: dict[str, Any] = {"snap": chain.snapshot()}

    calls = st.integers(0, len(fns) - 1).flatmap(
        lambda i: st.tuples(
            st.just(i),
            st.tuples(*[_strategy(abi_type(p), addresses, amounts) for p in fns[i].get("inputs", [])]),
            st.sampled_from([0, ETHER]) if fns[i].get("stateMutability") == "payable" else st.just(0),
        )
    )

    class AttackerMachine(RuleBasedStateMachine):
        """Random attacker calls; the invariant is the win condition turned around."""

        def __init__(self) -> None:
            super().__init__()
            chain.revert(state["snap"])
            state["snap"] = chain.snapshot()
            arena.sent.clear()
            result.examples += 1
            self.before = arena.measure()

        @rule(call=calls)
        def attacker_calls(self, call: tuple[int, tuple[Any, ...], int]) -> None:
            if time.perf_counter() - started > budget_s:
                return
            index, args, value = call
            entry = fns[index]
            try:
                data = encode_fn(entry, list(args))
            except Exception:
                return
            try:
                result.transactions += 1
                arena.step("attacker", arena.target, data, value, f"{entry['name']}{_show(args)}")
            except StepFailed:
                return

        @invariant()
        def attacker_gains_nothing(self) -> None:
            win = arena.check(self.before)
            if win.won:
                state["found"] = (list(arena.sent), win)
                raise AssertionError(f"invariant broken: {win.kind} {win.detail}")

    conf = settings(
        max_examples=max_examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    try:
        run_state_machine_as_test(AttackerMachine, settings=conf)
    except (AssertionError, HypothesisException):
        pass
    finally:
        chain.revert(state["snap"])
        arena.sent.clear()
    found = state.get("found")
    if found is not None:
        result.steps, result.win = found
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _show(args: tuple[Any, ...]) -> str:
    shown = []
    for a in args:
        if isinstance(a, bytes):
            shown.append("0x" + a.hex()[:16])
        elif isinstance(a, str) and a.startswith("0x"):
            shown.append(a[:8] + "…")
        else:
            shown.append(repr(a))
    return "(" + ", ".join(shown) + ")"
