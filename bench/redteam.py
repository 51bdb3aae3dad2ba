"""Red-team engine over the corpus (tests/redteam_corpus), on one private local node.

Per entry: detection (a hypothesis of the entry's class on the vulnerable variant), a confirmed
exploit on the vulnerable variant (the win condition holds on chain and the steps replay), and
false positives (a confirmed exploit on the patched twin; goal 0). Time to a confirmed exploit
is measured from the start of the exploit phase. Two planners alternate entry by entry: the
templates' own order, and the embedded language model (SmolLM2-135M) picking the first attempt;
``REDTEAM_BENCH_MODEL=0`` leaves the model out (its lines then say so). Slither runs when
installed (``make slither``); ``REDTEAM_BENCH_SLITHER=0`` skips it.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import log, report  # bench/ is on sys.path when run as a script

from aiweb3.chain import Chain, LocalNode, NodeConfig
from aiweb3.errors import AIWeb3Error
from aiweb3.redteam.exploit_run import run_target
from aiweb3.redteam.targets import corpus_targets

BENCH = "redteam"
CORPUS = Path(__file__).resolve().parents[1] / "tests" / "redteam_corpus"
#: corpus categories -> the hypothesis classes that count as detecting them
CATEGORY_CLASSES: dict[str, set[str]] = {
    "reentrancy": {"reentrancy"},
    "access-control": {"access_control", "unprotected_init"},
    "unprotected-initializer": {"unprotected_init", "access_control"},
    "tx-origin": {"tx_origin"},
    "delegatecall": {"delegatecall"},
    "storage-collision": {"delegatecall"},
    "unchecked-call": {"unchecked_call"},
    "integer-overflow": {"integer_overflow"},
    "bad-randomness": {"bad_randomness"},
    "oracle-manipulation": {"spot_price"},
    "spot-price": {"spot_price"},
    "share-inflation": {"share_rounding"},
    "erc4626-inflation": {"share_rounding"},
    "flash-loan-governance": {"access_control", "spot_price"},
    "signature-replay": {"signature_replay"},
}


def _model(home: Path, stack: contextlib.ExitStack) -> Any:
    if os.environ.get("REDTEAM_BENCH_MODEL") == "0":
        return None
    try:
        from aiweb3.llm import LLMConfig, load_model
        from aiweb3.llm.runtime import ModelRuntime, RuntimeConfig
        from aiweb3.redteam.exploit_planner import model_planner

        runtime = ModelRuntime(RuntimeConfig(home=home))
        runtime.start(die_with_parent=True)
        stack.callback(runtime.stop)
        return model_planner(load_model(LLMConfig(home=home, timeout=120), embedded=True))  # type: ignore[arg-type]
    except AIWeb3Error as exc:
        log(f"no embedded model ({exc}); the model planner is left out")
        return None


def main() -> None:
    targets = corpus_targets(CORPUS)
    slither = os.environ.get("REDTEAM_BENCH_SLITHER") != "0"
    with tempfile.TemporaryDirectory(prefix="aiweb3-bench-redteam-") as tmp, contextlib.ExitStack() as stack:
        node = LocalNode(NodeConfig(home=Path(tmp) / "node"))
        info = node.start(die_with_parent=True)
        stack.callback(node.stop)
        chain = Chain(info.url, expected_chain_id=info.chain_id)
        planner = _model(Path(tmp) / "llm", stack)
        planners: dict[str, Any] = {"templates": None}
        if planner is not None:
            planners["model"] = planner
        detected, confirmed, false_pos = 0, {p: 0 for p in planners}, 0
        times: dict[str, list[float]] = {p: [] for p in planners}
        for n, target in enumerate(targets):
            order = list(planners) if n % 2 == 0 else list(reversed(planners))
            for name in order:
                t0 = time.perf_counter()
                rep = run_target(
                    chain,
                    target,
                    slither=slither and name == "templates",
                    planner=planners[name],
                    planner_name=name,
                    patch=False,
                    search_examples=40,
                    search_budget_s=30,
                )
                got = [f for f in rep.confirmed if f.exploit is not None]
                if got:
                    confirmed[name] += 1
                    times[name].append(min(f.exploit.seconds for f in got if f.exploit is not None))
                if name == "templates":
                    want = CATEGORY_CLASSES.get(target.category, set())
                    hit = any(h.cls in want for h in rep.hypotheses) if want else bool(rep.hypotheses)
                    detected += hit
                log(
                    f"{target.name} [{name}]: {len(got)} confirmed, {len(rep.hypotheses)} hypotheses, "
                    f"{time.perf_counter() - t0:.1f} s"
                )
            twin = run_target(
                chain,
                target,
                variant="patched",
                slither=False,
                patch=False,
                search_examples=40,
                search_budget_s=30,
            )
            if twin.confirmed:
                false_pos += 1
                first = twin.confirmed[0].exploit
                log(f"{target.name} [patched]: FALSE POSITIVE {first.win.detail if first else ''}")
        total = len(targets)
        extra = {"entries": total}
        report(
            BENCH,
            "confirmed_exploit_rate",
            [confirmed["templates"] / total],
            None,
            None,
            "higher",
            extra=extra,
        )
        report(BENCH, "detection_recall", [detected / total], None, None, "higher", extra=extra)
        report(
            BENCH,
            "false_positives_on_patched_twins",
            [float(false_pos)],
            None,
            None,
            "lower",
            goal=0,
            extra=extra,
        )
        median = statistics.median(times["templates"]) if times["templates"] else float("nan")
        if "model" in planners:
            report(
                BENCH,
                "confirmed_exploit_rate_with_llm_planner",
                [confirmed["model"] / total],
                None,
                None,
                "higher",
                extra=extra,
            )
            report(
                BENCH,
                "median_s_to_confirmed_exploit",
                [median],
                "same engine, LLM planner (SmolLM2-135M) picks first",
                [statistics.median(times["model"])] if times["model"] else None,
                "lower",
                extra=extra,
            )
        else:
            report(
                BENCH,
                "median_s_to_confirmed_exploit",
                [median],
                None,
                None,
                "lower",
                extra={**extra, "note": "LLM planner left out (REDTEAM_BENCH_MODEL=0 or no model)"},
            )


if __name__ == "__main__":
    main()
