"""An MCP (Model Context Protocol) server for coding assistants: docs search, answers with
citations, explanations, and the chain (status, read a contract, simulate a call).

Built on the ``mcp`` package's :class:`MCPServer`; ``aiweb3 dev mcp`` serves it over stdio, which
is how editors and coding assistants start MCP servers. The sources are indexed on first use and
the chain is connected on first use, so a server that is only asked about docs never starts a node.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from aiweb3.chain import Chain
from aiweb3.devassist.answer import answer_question
from aiweb3.devassist.chaintools import chain_status, read_contract, simulate_call
from aiweb3.devassist.embed import Embedder, cache_dir
from aiweb3.devassist.explain import explain
from aiweb3.devassist.retrieve import Retriever
from aiweb3.devassist.scaffold import scaffold_contract
from aiweb3.errors import AIWeb3Error
from aiweb3.llm import LanguageModel, NoModel

__all__ = ["DevTools", "build_server"]

T = TypeVar("T")

INSTRUCTIONS = (
    "aiweb3 developer assistant. search_docs and ask read the project's docs, code, contracts and "
    "tests and cite file:line; ask says 'not found' rather than guess. explain reads one Solidity "
    "function (FILE.sol:name) or Python symbol. chain_status, read_contract and simulate_call use "
    "the configured chain; simulate_call never signs or sends. new_contract scaffolds a contract "
    "that compiles and passes its tests."
)


class DevTools:
    """What the tools do, apart from the protocol (so it is usable and testable on its own)."""

    def __init__(
        self,
        roots: Sequence[Path],
        chain: Callable[[], Chain],
        home: Path,
        model: LanguageModel | None = None,
        embedder: Embedder | None = None,
        mode: str = "hybrid",
    ) -> None:
        self.roots = list(roots)
        self.embedder = embedder
        self.mode = mode
        self._chain_factory = chain
        self.home = home
        self.model: LanguageModel = model or NoModel()

    @cached_property
    def retriever(self) -> Retriever:
        """The index of the sources (built on first use)."""
        return Retriever.from_paths(self.roots, self.embedder, self.mode, cache=cache_dir())

    @cached_property
    def chain(self) -> Chain:
        """The chain (connected on first use)."""
        return self._chain_factory()

    def search_docs(self, query: str, k: int = 5) -> list[dict[str, Any]]:
        """The ``k`` best passages: cite (file:start-end), title and text."""
        hits = self.retriever.search(query, k=max(1, min(k, 20)))
        return [{"cite": h.passage.cite, "title": h.passage.title, "text": h.passage.text} for h in hits]

    def ask(self, question: str) -> dict[str, Any]:
        """An answer with a citation per claim, or found=false with the nearest sources."""
        return answer_question(question, self.retriever, self.model).to_json()

    def explain(self, target: str) -> dict[str, Any]:
        """What a function does, who can call it, state, events, errors: each cited."""
        return explain(target, self.model).to_json()

    def chain_status(self) -> dict[str, Any]:
        """Chain id, latest block, deployed system contracts."""
        return chain_status(self.chain, self.home)

    def read_contract(self, contract: str, function: str, args: list[Any] | None = None) -> dict[str, Any]:
        """A view function's result."""
        return read_contract(self.chain, self.home, contract, function, args)

    def new_contract(self, name: str, description: str, out: str) -> dict[str, Any]:
        """Scaffold a contract, its tests and an example into ``out`` (written only if they pass)."""
        result = scaffold_contract(name, description, Path(out).expanduser(), self.model)
        return {
            "name": result.name,
            "kind": result.kind,
            "chosen_by": result.engine,
            "params": result.params,
            "files": [str(f) for f in result.files],
            "attempts": result.attempts,
        }

    def simulate_call(
        self, contract: str, function: str, args: list[Any] | None = None, sender: str | None = None
    ) -> dict[str, Any]:
        """What a call would return, or why it would revert (eth_call; nothing sent)."""
        return simulate_call(self.chain, self.home, contract, function, args, sender)


def _run(call: Callable[[], T]) -> T:
    """Run a tool; an aiweb3 error reaches the client as the tool's error message (one line)."""
    try:
        return call()
    except AIWeb3Error as exc:
        raise ToolError(str(exc)) from None


def build_server(tools: DevTools) -> MCPServer[Any]:
    """The MCP server exposing ``tools``."""
    server: MCPServer[Any] = MCPServer(name="aiweb3-dev", instructions=INSTRUCTIONS, version="0.1.0")

    @server.tool(description="Search aiweb3's docs, code, contracts and tests; passages cite file:line.")
    def search_docs(query: str, k: int = 5) -> list[dict[str, Any]]:
        return _run(lambda: tools.search_docs(query, k))

    @server.tool(description="Answer a question from the sources, every claim cited file:line, or not found.")
    def ask(question: str) -> dict[str, Any]:
        return _run(lambda: tools.ask(question))

    @server.tool(
        description="Explain a Solidity function (contracts/src/TaskEscrow.sol:post) or a Python symbol "
        "(aiweb3.llm.load_model): what it does, who can call it, state it changes, events, errors."
    )
    def explain(target: str) -> dict[str, Any]:
        return _run(lambda: tools.explain(target))

    @server.tool(description="The chain: chain id, latest block and the deployed system contracts.")
    def chain_status() -> dict[str, Any]:
        return _run(lambda: tools.chain_status())

    @server.tool(
        description="Call a view function. contract: a system contract name (AIUSD, ModelRegistry, ...) "
        "or Name@0xADDRESS; args: a list of arguments."
    )
    def read_contract(contract: str, function: str, args: list[Any] | None = None) -> dict[str, Any]:
        return _run(lambda: tools.read_contract(contract, function, args))

    @server.tool(
        description="Simulate a state-changing call as `sender` (eth_call; never signed or sent): its "
        "return value, or the decoded revert reason."
    )
    def simulate_call(
        contract: str, function: str, args: list[Any] | None = None, sender: str | None = None
    ) -> dict[str, Any]:
        return _run(lambda: tools.simulate_call(contract, function, args, sender))

    @server.tool(
        description="Scaffold a Solidity contract (escrow, vault, capped token, vesting, splitter, auction, "
        "multisig, crowdfund, allowlist sale or EIP-712 name registry; parameters such as '2-of-3' or "
        "'capped at 1 million' are read from the description), its pytest tests and a usage example "
        "into the folder `out`; written only after it compiles with solc-js and its tests pass (~1 min)."
    )
    def new_contract(name: str, description: str, out: str) -> dict[str, Any]:
        return _run(lambda: tools.new_contract(name, description, out))

    return server
