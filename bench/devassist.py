"""The developer assistant on its question set (tests/unit/data/devassist_questions.json: 64
questions written against the docs and code, each with the files that answer it).

Figures (BENCHMARKS.md format, one JSON line each):
- retrieval hit@5 (goal 0.9), against a peer: plain ``bm25s`` with its own tokenizer and English
  stopwords over the same passages (no identifier splitting, no title ranking, no source weights);
- answers found, and answers whose citations all exist and carry the cited words
  (``check_citation``), extractive (no model);
- the same with a language model (``AIWEB3_LLM_URL`` if set, else the embedded model) on the first
  ``MODEL_QUESTIONS`` questions (a ~135M model takes ~20 s per answer on 2 shared cores); if no
  model can start, the line says so and carries no figure;
- unanswerable questions answered "not found" (goal 1.0);
- for 10 scaffold requests (tests/unit/data/devassist_scaffold_requests.json): the share written
  (compiled with solc-js and passed their own tests on a real node; goal 1.0) and the share whose
  template was the one the request meant, with keywords choosing, then with the model choosing.

Usage: python bench/devassist.py
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import bm25s
from _common import log, report  # bench/ is on sys.path when run as a script

from aiweb3.devassist import Retriever, answer_question, check_citation, default_roots, scaffold_contract
from aiweb3.errors import AIWeb3Error
from aiweb3.llm import LanguageModel, LLMConfig, load_model

BENCH = "devassist"
DATA = Path(__file__).resolve().parents[1] / "tests" / "unit" / "data"
MODEL_QUESTIONS = 10


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
    requests: list[dict[str, str]], model: LanguageModel | None
) -> tuple[float, float, float]:
    """Share written (compiled and tested), share with the meant template, seconds per request."""
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
            meant += result.kind == r["kind"]
            log(f"  {r['name']}: {result.kind} by {result.engine}, {len(result.attempts)} tries")
    return written / len(requests), meant / len(requests), (time.perf_counter() - started) / len(requests)


def main() -> None:
    questions = json.loads((DATA / "devassist_questions.json").read_text())
    unanswerable = json.loads((DATA / "devassist_unanswerable.json").read_text())
    log("indexing aiweb3's sources ...")
    started = time.perf_counter()
    retriever = Retriever.from_paths(default_roots())
    log(f"  {len(retriever.passages)} passages in {time.perf_counter() - started:.1f} s")
    ours = sum(
        any(h.passage.path in q["files"] for h in retriever.search(q["q"], k=5)) for q in questions
    ) / len(questions)
    peer = plain_bm25_hit_rate(retriever, questions)
    report(BENCH, "retrieval_hit_at_5", [ours], "plain bm25s (own tokenizer, en stopwords)", [peer], "higher",
           goal=0.9, extra={"questions": len(questions)})  # fmt: skip
    found, cited, per_q, engine = answer_figures(retriever, questions, None)
    report(BENCH, "answers_found_extractive", [found], None, None, "higher",
           extra={"s_per_answer": round(per_q, 3)})  # fmt: skip
    report(BENCH, "answers_all_citations_hold_extractive", [cited], None, None, "higher", goal=1.0)
    declined = sum(not answer_question(q, retriever).found for q in unanswerable) / len(unanswerable)
    report(BENCH, "unanswerable_not_found", [declined], None, None, "higher", goal=1.0,
           extra={"questions": len(unanswerable)})  # fmt: skip
    requests = json.loads((DATA / "devassist_scaffold_requests.json").read_text())
    log("scaffolding (keywords choose) ...")
    written, meant, per_s = scaffold_figures(requests, None)
    extra = {"requests": len(requests), "meant_template": meant, "s_per_scaffold": round(per_s, 1)}
    report(
        BENCH, "scaffolds_compile_and_pass_keywords", [written], None, None, "higher", goal=1.0, extra=extra
    )
    model = load_model(LLMConfig.from_env(), embedded=True)
    if not model.available:
        peer = "language model: not measured (none could start)"
        report(BENCH, "answers_all_citations_hold_model", [0.0], peer, None, "higher")
        return
    log("scaffolding (the model chooses) ...")
    written, meant, per_s = scaffold_figures(requests, model)
    extra = {"requests": len(requests), "meant_template": meant, "s_per_scaffold": round(per_s, 1)}
    report(BENCH, "scaffolds_compile_and_pass_model", [written], None, None, "higher", goal=1.0, extra=extra)
    subset = questions[:MODEL_QUESTIONS]
    found, cited, per_q, engine = answer_figures(retriever, subset, model)
    _base_found, base_cited, _, _ = answer_figures(retriever, subset, None)
    report(BENCH, "answers_all_citations_hold_model", [cited], "extractive, same questions", [base_cited],
           "higher", goal=1.0, extra={"questions": len(subset), "found": found, "engines": engine,
                            "s_per_answer": round(per_q, 2)})  # fmt: skip


if __name__ == "__main__":
    main()
