"""Question answering on the blind evaluation set: accuracy per kind, declines, latency.

Seeds a fresh local chain (``aiweb3.indexer.seed.seed_chain``, every aiweb3 contract
exercised), indexes it, and scores the deterministic parser on the *test* half of
``aiweb3.indexer.eval_set`` (the development half was the only one looked at while
tuning). It scores the language-model path too (the model writes every plan): the model at
``AIWEB3_LLM_URL`` if set, else aiweb3's embedded model; if none can start, the model lines say
so and carry no figure. With a model it also prints, per route key (the measure the parser read,
or "not understood"), both engines' accuracy, the routes this measurement supports (the model
where it was better), and the accuracy of ``--engine auto`` with the routes in
``aiweb3.indexer.ask.ROUTES``.

Prints one JSON line per figure (BENCHMARKS.md format): overall test accuracy (goal 0.9),
accuracy per kind, the share of unanswerable questions declined (goal 1.0), the share of
answerable questions wrongly declined (goal <= 0.05), the median answer latency, and the
development-half and older-set accuracies for context.

The model needs tens of seconds per question on a crowded 2-core machine, so
``--model-sample N`` scores the model (and ``auto``, and the parser beside them) on N evenly
spaced test questions instead of all of them; the parser's headline figures stay on the whole half.

Usage: python bench/nlq.py [--model-sample N]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _common import log, report  # bench/ is on sys.path when run as a script

from aiweb3.errors import AIWeb3Error
from aiweb3.indexer.ask import ROUTES, Answer
from aiweb3.indexer.eval_questions import HELDOUT, QUESTIONS
from aiweb3.indexer.evaluation import BlindResult, evaluate, evaluate_blind, seeded_index
from aiweb3.llm import LanguageModel, LLMConfig, NoModel, load_model

BENCH = "nlq"


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--model-sample", type=int, default=None, help="score the model on N test questions")
    sample = args.parse_args().model_sample
    with tempfile.TemporaryDirectory() as tmp:
        log("seeding and indexing a local chain ...")
        node, store = seeded_index(Path(tmp))
        model: LanguageModel
        try:
            model = load_model(LLMConfig.from_env(), embedded=True)  # a URL wins; else the embedded model
        except AIWeb3Error as exc:
            log(f"no language model could start: {exc}")
            model = NoModel()
        try:
            dev = evaluate_blind(store.con, half="dev")
            with_model: BlindResult | None = None
            auto: BlindResult | None = None
            keys: dict[str, str] = {}
            per_key: dict[str, dict[str, list[bool]]] = {}

            def offline_seen(question: str, kind: str, answer: Answer | None, right: bool) -> None:
                if answer is None:
                    keys[question] = "input error"
                elif answer.plan is not None:
                    keys[question] = answer.plan.measure
                else:
                    keys[question] = "not understood" if answer.reason == "not understood" else "declined"
                per_key.setdefault(keys[question], {"offline": [], "model": []})["offline"].append(right)

            def model_seen(question: str, kind: str, answer: Answer | None, right: bool) -> None:
                per_key[keys[question]]["model"].append(right)

            test = evaluate_blind(store.con, half="test")
            same = evaluate_blind(store.con, half="test", on_answer=offline_seen, sample=sample)
            if model.available:
                n_model = sum(same.total.values())
                log(f"scoring the language model on {n_model} questions (it writes every plan) ...")
                with_model = evaluate_blind(
                    store.con, half="test", model=model, on_answer=model_seen, sample=sample
                )
                log("scoring --engine auto ...")
                auto = evaluate_blind(store.con, half="test", model=model, engine="auto", sample=sample)
            old_main, old_heldout = (
                evaluate(store.con, questions=QUESTIONS),
                evaluate(store.con, questions=HELDOUT),
            )
        finally:
            store.close()
            node.stop()
    for q, why in test.failures:
        log(f"  [test] {q} -> {why}")
    s = test.summary()
    whole = with_model is not None and sum(with_model.total.values()) == sum(test.total.values())
    peer = f"model {model.name}" if with_model else "language model: not measured (no model could start)"
    if with_model is not None and not whole:
        peer = f"model {model.name}: measured on a sample (test_sample_accuracy)"
    peer_value = [with_model.accuracy] if with_model is not None and whole else None
    report(BENCH, "test_accuracy_offline", [test.accuracy], peer, peer_value, "higher", goal=0.9)
    for kind, value in s["per_kind"].items():
        report(BENCH, f"test_accuracy_{kind}", [value], None, None, "higher")
    report(BENCH, "test_unanswerable_declined", [s["unanswerable_declined"]], None, None, "higher", goal=1.0)
    report(BENCH, "test_answerable_wrongly_declined", [s["answerable_wrongly_declined"]], None, None, "lower",
           goal=0.05)  # fmt: skip
    report(BENCH, "median_answer_latency_ms", [s["median_latency_ms"]], None, None, "lower")
    if with_model is not None and auto is not None:
        n = sum(same.total.values())
        report(BENCH, "test_sample_accuracy", [same.accuracy], f"model {model.name}", [with_model.accuracy],
               "higher", extra={"questions": n, "engine": "offline"})  # fmt: skip
        log("per route key: offline right / model right / questions")
        better = []
        for key, seen in sorted(per_key.items()):
            off, mod = sum(seen["offline"]), sum(seen["model"])
            log(f"  {key:>15}: {off} / {mod} / {len(seen['offline'])}")
            if mod > off:
                better.append(key)
            report(BENCH, f"test_accuracy_route_{key.replace(' ', '_')}", [off / len(seen["offline"])],
                   f"model {model.name}", [mod / len(seen["model"])] if seen["model"] else None, "higher",
                   extra={"questions": len(seen["offline"])})  # fmt: skip
        log(f"routes to the model this run supports: {better or 'none'}; in use: {ROUTES or 'none'}")
        report(BENCH, "test_sample_accuracy_auto", [auto.accuracy], "offline parser alone", [same.accuracy],
               "higher",
               extra={"model": model.name, "model_alone": round(with_model.accuracy, 3), "questions": n,
                      "routes_supported": better})  # fmt: skip
    report(BENCH, "dev_accuracy_offline", [dev.accuracy], None, None, "higher")
    report(BENCH, "old_main_set_accuracy_offline", [old_main.accuracy], None, None, "higher")
    report(BENCH, "old_heldout_set_accuracy_offline", [old_heldout.accuracy], None, None, "higher")


if __name__ == "__main__":
    main()
