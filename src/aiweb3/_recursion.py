"""Undo py_ecc's process-wide recursion limit; ``aiweb3/__init__`` imports this module first.

``py_ecc`` (loaded by eth-account through eth-keyfile) calls ``sys.setrecursionlimit(100000)``
when imported. At that limit, C code that recurses per nesting level (``json.loads`` of a deeply
nested document, ``repr`` of a deep list) overflows the thread's stack before Python can raise
``RecursionError``, and the process dies with a segfault. Loading py_ecc here, then putting the
limit back, keeps Python's own guard in place for the whole process.
"""

from __future__ import annotations

import sys

__all__ = ["SAFE_RECURSION_LIMIT"]

#: Python's default; used when the limit was already py_ecc's before aiweb3 was imported
SAFE_RECURSION_LIMIT = 1000
_PY_ECC_LIMIT = 100_000

_before = sys.getrecursionlimit()
import py_ecc  # noqa: E402, F401  (loaded now so that its limit change happens here, once)

sys.setrecursionlimit(_before if _before < _PY_ECC_LIMIT else SAFE_RECURSION_LIMIT)
