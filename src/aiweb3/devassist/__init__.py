"""A developer onboarding assistant for aiweb3 and any Solidity project folder.

- :func:`answer_question` answers from the sources (docs, README, docstrings, contracts with
  NatSpec, examples and tests), ranked by :class:`Retriever` (BM25 over words and code
  identifiers), citing ``file:line`` for every claim, and says "not found" rather than invent.
- :func:`explain` reads a Solidity function or a Python symbol: who can call it, the state it
  changes, its events and errors, each cited.
- :func:`scaffold_contract` writes a contract, its tests and an example once they compile with
  the pinned solc-js (:func:`compile_solidity`) and pass on a real node.
- :mod:`aiweb3.devassist.mcp_server` exposes them, and the chain, to coding assistants (MCP).

See docs/dev-assistant.md.
"""

from aiweb3.devassist.answer import Claim, DevAnswer, answer_question, check_citation
from aiweb3.devassist.corpus import Passage, default_roots
from aiweb3.devassist.explain import Explanation, explain
from aiweb3.devassist.retrieve import Hit, Retriever
from aiweb3.devassist.scaffold import ScaffoldFailed, ScaffoldResult, scaffold_contract
from aiweb3.devassist.solidity import Compiled, CompileFailed, compile_solidity

__all__ = [
    "Claim",
    "CompileFailed",
    "Compiled",
    "DevAnswer",
    "Explanation",
    "Hit",
    "Passage",
    "Retriever",
    "ScaffoldFailed",
    "ScaffoldResult",
    "answer_question",
    "check_citation",
    "compile_solidity",
    "default_roots",
    "explain",
    "scaffold_contract",
]
