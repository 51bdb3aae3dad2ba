"""``aiweb3 dev`` — the developer assistant: ask the docs and code, explain a function, serve MCP."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from aiweb3.cli.context import console
from aiweb3.devassist import Retriever, answer_question, default_roots, explain
from aiweb3.devassist.embed import Embedder, cache_dir, load_embedder
from aiweb3.devassist.retrieve import MODES
from aiweb3.errors import InputError
from aiweb3.llm import LanguageModel, LLMConfig, NoModel, load_model

__all__ = ["app"]

app = typer.Typer(
    name="dev",
    help="Developer assistant: answers with file:line citations, explanations, an MCP server.",
    no_args_is_help=True,
    add_completion=False,
)

_ENGINE_HELP = (
    "'extractive' (no model), 'model' (the embedded model unless AIWEB3_LLM_URL is set), or "
    "default: a model only if AIWEB3_LLM_URL or AIWEB3_LLM=embedded names one."
)


_RETRIEVAL_HELP = "'hybrid' (BM25 + local sentence embeddings, the default), 'bm25' or 'embeddings'."


def _embedder(retrieval: str) -> Embedder | None:
    """The embedding model for ``retrieval`` (None for 'bm25', or when it is not installed)."""
    if retrieval not in MODES:
        raise InputError(f"--retrieval must be one of {', '.join(MODES)}, not {retrieval!r}")
    if retrieval == "bm25":
        return None
    embedder = load_embedder()
    if embedder is None:
        if retrieval == "embeddings":
            raise InputError(
                "the sentence-embedding model is not installed: run `make setup`, or use --retrieval bm25"
            )
        from aiweb3.cli.context import err_console

        err_console.print(
            "[dim]the sentence-embedding model is not installed (run `make setup`): BM25 only[/dim]"
        )
    return embedder


def _index(roots: list[Path], retrieval: str) -> Retriever:
    """Read and index ``roots``; a first run embeds the passages (then they come from the cache)."""
    from aiweb3.cli.context import err_console

    retriever = Retriever.from_paths(roots, _embedder(retrieval), retrieval, cache=cache_dir())
    if retriever.embedder is not None:

        def progress(done: int, total: int) -> None:
            err_console.print(f"[dim]embedding new passages: {done}/{total} (cached for next time)[/dim]")

        retriever.vectors(progress)
    return retriever


def _model(engine: str | None) -> LanguageModel:
    if engine not in (None, "extractive", "model"):
        raise InputError("--engine must be 'extractive' or 'model'")
    if engine == "extractive":
        return NoModel()
    model = load_model(LLMConfig.from_env(), embedded=True if engine == "model" else None)
    if engine == "model" and not model.available:
        raise InputError("--engine model needs a language model: the embedded one, or AIWEB3_LLM_URL")
    return model


@app.command("ask")
def ask(
    question: str = typer.Argument(..., help="e.g. 'how do I verify a proof on chain from Python?'"),
    path: list[Path] | None = typer.Option(
        None, "--path", "-p", help="Project folder(s) to read instead of aiweb3's own sources (repeatable)."
    ),
    engine: str | None = typer.Option(None, help=_ENGINE_HELP),
    k: int = typer.Option(5, "-k", min=1, max=20, help="Sources retrieved."),
    retrieval: str = typer.Option("hybrid", help=_RETRIEVAL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
) -> None:
    """Answer a question from the docs and code, citing file:line; 'not found' rather than a guess."""
    model = _model(engine)
    retriever = _index(path or default_roots(), retrieval)
    answer = answer_question(question, retriever, model, k=k)
    if as_json:
        print(json.dumps(answer.to_json(), indent=2))
    else:
        print(answer.render())
        console.print(f"[dim]({answer.engine})[/dim]")
    if not answer.found:
        raise typer.Exit(1)


@app.command("explain")
def explain_cmd(
    target: str = typer.Argument(
        ..., help="FILE.sol:function, FILE.py:name (or Class.method), or a dotted Python name."
    ),
    engine: str | None = typer.Option(None, help=_ENGINE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the explanation as JSON."),
) -> None:
    """Explain a function: what it does, who can call it, state it changes, events, errors (cited)."""
    result = explain(target, _model(engine))
    if as_json:
        print(json.dumps(result.to_json(), indent=2))
        return
    print(result.render())
    console.print(f"[dim]({result.engine})[/dim]")


@app.command("mcp")
def mcp(
    path: list[Path] | None = typer.Option(
        None, "--path", "-p", help="Project folder(s) to read instead of aiweb3's own sources (repeatable)."
    ),
    engine: str | None = typer.Option(None, help=_ENGINE_HELP),
    retrieval: str = typer.Option("hybrid", help=_RETRIEVAL_HELP),
) -> None:
    """Serve the assistant to coding assistants over MCP (stdio): docs, explain, the chain."""
    from aiweb3.cli.context import Context
    from aiweb3.devassist.mcp_server import DevTools, build_server

    ctx = Context()
    roots, embedder = path or default_roots(), _embedder(retrieval)
    tools = DevTools(roots, lambda: ctx.chain, ctx.settings.home, _model(engine), embedder, retrieval)
    build_server(tools).run("stdio")


new_app = typer.Typer(name="new", help="Scaffolds that compile and pass their tests before they are written.")
app.add_typer(new_app)


@new_app.command("contract")
def new_contract(
    name: str = typer.Argument(..., help="Contract name, e.g. ShopEscrow."),
    description: str = typer.Option(..., "--from", help="What it should do, e.g. 'an escrow that ...'."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Folder to create (default: ./NAME)."),
    engine: str | None = typer.Option(None, help=_ENGINE_HELP),
    repairs: int = typer.Option(2, min=0, max=5, help="Further tries after a failure."),
) -> None:
    """Write a contract, its pytest tests and a usage example, once they compile and pass."""
    from aiweb3.cli.context import err_console
    from aiweb3.devassist import scaffold_contract

    folder = out or Path(name)
    result = scaffold_contract(
        name,
        description,
        folder,
        _model(engine),
        repairs=repairs,
        on_step=lambda s: err_console.print(f"[dim]{s}[/dim]"),
    )
    console.print(f"{result.name} ({result.kind}, chosen by {result.engine}): compiles, its tests pass")
    if result.params:
        console.print("  parameters: " + ", ".join(f"{k.lower()}={v}" for k, v in result.params.items()))
    for path in result.files:
        console.print(f"  wrote {path}")
    console.print(f"run its tests: cd {result.folder} && python -m pytest tests")


@new_app.command("test")
def new_test(
    source: Path = typer.Argument(..., help="A .sol file, e.g. contracts/src/Vault.sol."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Test file (default: tests/test_<name>.py)."),
) -> None:
    """Write a first pytest file for a contract (deploy + every view), once it ran and passed."""
    from aiweb3.devassist.scaffold_test import scaffold_tests

    result = scaffold_tests(source, out)
    console.print(
        f"wrote {result.path}: deploys {', '.join(result.contracts)}; calls {len(result.views)} views"
    )
    console.print(f"run it: python -m pytest {result.path}")
