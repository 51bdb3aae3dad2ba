"""The developer assistant on its question set (tests/unit/data/devassist_questions.json: 64
questions written against the docs and code, each with the files that answer it).

Figures (BENCHMARKS.md format, one JSON line each):
- retrieval hit@5 (goal 0.9) per mode — hybrid (BM25 + local sentence embeddings), BM25 only
  (words and titles), embeddings only — against a peer: plain ``bm25s`` with its own tokenizer
  and English stopwords over the same passages (no identifier splitting, no title ranking, no
  source weights); the same on the paraphrased questions (devassist_paraphrased.json: no word in
  common with the sources that answer them), with the share of those answered (found);
- answers found, and answers whose citations all exist and carry the cited words
  (``check_citation``), extractive (no model);
- the same with a language model (``AIWEB3_LLM_URL`` if set, else the embedded model) on the first
  ``MODEL_QUESTIONS`` questions (a ~135M model takes ~20 s per answer on 2 shared cores); if no
  model can start, the line says so and carries no figure;
- unanswerable questions answered "not found" (goal 1.0);
- for 10 scaffold requests, one per family (tests/unit/data/devassist_scaffold_requests.json):
  the share written (compiled with solc-js and passed their own tests on a real node; goal 1.0),
  the share whose family was the one the request meant and whose stated parameters were used,
  keywords choosing; then requests no family's words place
  (devassist_scaffold_requests_model.json): written by keywords alone (none: refused) against the
  language model choosing, and the share where it chose the meant family.

The passages' embeddings come from the cache (``AIWEB3_DEV_CACHE`` or ~/.cache/aiweb3/devassist);
a cold first run embeds them (minutes on 2 shared cores).

Usage: python bench/devassist.py [--only retrieval|scaffolds|scaffolds-model]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import bm25s
from _common import log, report  # bench/ is on sys.path when run as a script

from aiweb3.devassist import Retriever, answer_question, check_citation, default_roots, scaffold_contract
from aiweb3.devassist.embed import load_embedder
from aiweb3.devassist.retrieve import MODES
from aiweb3.errors import AIWeb3Error
from aiweb3.llm import LanguageModel, LLMConfig, load_model

BENCH = "devassist"
DATA = Path(__file__).resolve().parents[1] / "tests" / "unit" / "data"
MODEL_QUESTIONS = 10
PEER = "plain bm25s (own tokenizer, en stopwords)"
NO_MODEL = "language model: not measured (none could start)"


def hit_rate(retriever: Retriever, questions: list[dict[str, object]], mode: str) -> float:
    found = sum(
        any(h.passage.path in q["files"] for h in retriever.search(str(q["q"]), k=5, mode=mode))  # type: ignore[operator]
        for q in questions
    )
    return found / len(questions)


def plain_bm25_hit_rate(retriever: Retriever, questions: list[dict[str, object]]) -> float:
    corpus = [f"{p.title} {p.text}" for p in retriever.passages]
    index = bm25s.BM25()
    index.index(bm25s.tokenize(corpus, stopwords="en", show_progress=False), show_progress=False)
    hits = 0
    for q in questions:
        tokens = bm25s.tokenize([str(q["q"])], stopwords="en", show_progress=False)
        docs, _ = index.retrieve(tokens, k=5, show_progress=False, n_threads=1)
        files = {retriever.passages[int(d)].path for d in docs[0]}
        hits += bool(files & set(q["files"]))  # type: ignore[arg-type]
    return hits / len(questions)


def answer_figures(
    retriever: Retriever, questions: list[dict[str, object]], model: LanguageModel | None
) -> tuple[float, float, float, str]:
    roots = default_roots()
    found = cited = 0
    engines: set[str] = set()
    started = time.perf_counter()
    for q in questions:
        answer = answer_question(str(q["q"]), retriever, model)
        engines.add(answer.engine)
        if answer.found:
            found += 1
            cited += all(check_citation(c, roots) for c in answer.claims)
    seconds = (time.perf_counter() - started) / len(questions)
    return found / len(questions), cited / len(questions), seconds, ",".join(sorted(engines))


def scaffold_figures(
    requests: list[dict[str, Any]], model: LanguageModel | None
) -> tuple[float, float, float]:
    """Share written (compiled and tested), share with the meant family and stated parameters,
    seconds per request."""
    written = meant = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for r in requests:
            try:
                result = scaffold_contract(r["name"], r["from"], Path(tmp) / r["name"], model)
            except AIWeb3Error as exc:
                log(f"  {r['name']}: {exc}")
                continue
            written += 1
            params_used = all(result.params.get(k) == v for k, v in r["params"].items())
            meant += result.kind == r["kind"] and params_used
            log(
                f"  {r['name']}: {result.kind} {result.params} by {result.engine}, "
                f"{len(result.attempts)} tries"
            )
    return written / len(requests), meant / len(requests), (time.perf_counter() - started) / len(requests)


def retrieval_figures() -> None:
    questions = json.loads((DATA / "devassist_questions.json").read_text())
    paraphrased = json.loads((DATA / "devassist_paraphrased.json").read_text())
    unanswerable = json.loads((DATA / "devassist_unanswerable.json").read_text())
    log("indexing aiweb3's sources ...")
    started = time.perf_counter()
    retriever = Retriever.from_paths(default_roots(), load_embedder())
    log(f"  {len(retriever.passages)} passages in {time.perf_counter() - started:.1f} s")
    if retriever.embedder is None:
        log("  the embedding model is not installed: BM25 figures only")
        modes: tuple[str, ...] = ("bm25",)
    else:
        started = time.perf_counter()
        vectors = retriever.vectors(lambda done, total: log(f"  embedded {done}/{total}"))
        log(f"  {len(vectors)} passage embeddings in {time.perf_counter() - started:.1f} s")
        modes = MODES
    for name, qs in (("", questions), ("_paraphrased", paraphrased)):
        peer = plain_bm25_hit_rate(retriever, qs)
        for mode in modes:
            started = time.perf_counter()
            ours = hit_rate(retriever, qs, mode)
            per_q = (time.perf_counter() - started) / len(qs)
            extra = {"questions": len(qs), "s_per_search": round(per_q, 3)}
            report(BENCH, f"retrieval_hit_at_5{name}_{mode}", [ours], PEER, [peer], "higher", goal=0.9,
                   extra=extra)  # fmt: skip
    found, cited, per_q, _ = answer_figures(retriever, questions, None)
    report(BENCH, "answers_found_extractive", [found], None, None, "higher",
           extra={"s_per_answer": round(per_q, 3), "retrieval": retriever.mode})  # fmt: skip
    report(BENCH, "answers_all_citations_hold_extractive", [cited], None, None, "higher", goal=1.0)
    found, cited, per_q, _ = answer_figures(retriever, paraphrased, None)
    report(BENCH, "answers_found_paraphrased", [found], None, None, "higher",
           extra={"all_citations_hold": round(cited, 4), "questions": len(paraphrased)})  # fmt: skip
    declined = sum(not answer_question(q, retriever).found for q in unanswerable) / len(unanswerable)
    report(BENCH, "unanswerable_not_found", [declined], None, None, "higher", goal=1.0,
           extra={"questions": len(unanswerable), "retrieval": retriever.mode})  # fmt: skip
    model = load_model(LLMConfig.from_env(), embedded=True)
    if not model.available:
        report(BENCH, "answers_all_citations_hold_model", [0.0], NO_MODEL, None, "higher")
        return
    subset = questions[:MODEL_QUESTIONS]
    found, cited, per_q, engine = answer_figures(retriever, subset, model)
    _base_found, base_cited, _, _ = answer_figures(retriever, subset, None)
    report(BENCH, "answers_all_citations_hold_model", [cited], "extractive, same questions", [base_cited],
           "higher", goal=1.0, extra={"questions": len(subset), "found": found, "engines": engine,
                            "s_per_answer": round(per_q, 2)})  # fmt: skip


def scaffold_bench(with_model: bool) -> None:
    """The ten requests with keywords choosing; then (``with_model``) requests no family's words
    place, without and with the language model choosing."""
    requests = json.loads((DATA / "devassist_scaffold_requests.json").read_text())
    if not with_model:
        log("scaffolding (keywords choose) ...")
        written, meant, per_s = scaffold_figures(requests, None)
        extra = {
            "requests": len(requests),
            "meant_family_and_params": meant,
            "s_per_scaffold": round(per_s, 1),
        }
        report(BENCH, "scaffolds_compile_and_pass_keywords", [written], None, None, "higher", goal=1.0,
               extra=extra)  # fmt: skip
        return
    unplaced = json.loads((DATA / "devassist_scaffold_requests_model.json").read_text())
    written, _, _ = scaffold_figures(unplaced, None)
    model = load_model(LLMConfig.from_env(), embedded=True)
    if not model.available:
        report(BENCH, "scaffolds_compile_and_pass_model", [0.0], NO_MODEL, None, "higher")
        return
    log("scaffolding requests no family's words place (the model chooses) ...")
    ours, meant, per_s = scaffold_figures(unplaced, model)
    note = "the ten requests above are all placed by keywords: the model is not asked for them"
    extra = {
        "requests": len(unplaced),
        "meant_family": meant,
        "s_per_scaffold": round(per_s, 1),
        "note": note,
    }
    report(BENCH, "scaffolds_compile_and_pass_model", [ours], "keywords alone (refuse them)", [written],
           "higher", goal=1.0, extra=extra)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", choices=("retrieval", "scaffolds", "scaffolds-model"), help="run one part")
    args = parser.parse_args()
    if args.only in (None, "retrieval"):
        retrieval_figures()
    if args.only in (None, "scaffolds"):
        scaffold_bench(with_model=False)
    if args.only in (None, "scaffolds-model"):
        scaffold_bench(with_model=True)


if __name__ == "__main__":
    main()
