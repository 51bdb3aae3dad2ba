"""Parse JSON that comes from outside (HTTP bodies, uploaded files) within bounds on size and depth.

Python's ``json`` module recurses once per nested array or object, in C, on the caller's thread
stack. Nesting 100,000 levels deep fits in a 200 KB body; parsed with a high recursion limit it
overflows the stack and the whole process dies. :func:`loads_untrusted` measures the nesting
first with a scan that does not recurse (strings are skipped, brackets counted) and refuses
anything deeper than ``max_depth`` before :func:`json.loads` sees it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from aiweb3.errors import InputError, JSONTooDeep, JSONTooLarge

__all__ = [
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "check_json_bytes",
    "json_depth",
    "load_untrusted_file",
    "loads_untrusted",
]

#: deepest nesting accepted from outside; aiweb3's own documents (proofs, manifests) nest < 10
MAX_JSON_DEPTH = 64
#: largest untrusted JSON document parsed (a sidecar of a long recording is a few MiB)
MAX_JSON_BYTES = 32 * 1024 * 1024

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_OPEN = frozenset(b"[{")


def json_depth(data: bytes | str, stop_above: int | None = None) -> int:
    """How deeply ``data`` nests arrays and objects (0 for a scalar), without recursing.

    Brackets inside strings are not counted. ``stop_above`` ends the scan as soon as the depth
    passes it (a hostile document is refused after a few dozen bytes of bookkeeping).
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", raw))
    depth = deepest = 0
    for byte in brackets:
        if byte in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    break
        else:
            depth -= 1
    return deepest


def check_json_bytes(
    data: bytes | str, *, what: str, max_depth: int = MAX_JSON_DEPTH, max_bytes: int = MAX_JSON_BYTES
) -> None:
    """Refuse ``data`` if it is larger than ``max_bytes`` or nests deeper than ``max_depth``.

    Raises:
        JSONTooLarge: over the size limit.
        JSONTooDeep: over the depth limit.
    """
    if len(data) > max_bytes:
        raise JSONTooLarge(
            f"{what}: {len(data)} bytes of JSON is over the limit of {max_bytes}; send a smaller document",
            max_bytes,
        )
    if json_depth(data, stop_above=max_depth) > max_depth:
        raise JSONTooDeep(
            f"{what}: JSON nested more than {max_depth} levels deep is refused; send a flatter document"
        )


def loads_untrusted(
    data: bytes | str, *, what: str, max_depth: int = MAX_JSON_DEPTH, max_bytes: int = MAX_JSON_BYTES
) -> Any:
    """``json.loads`` for input from outside: size and depth are checked before parsing.

    Args:
        what: names the input in error messages (``"field 'proof'"``, ``"proof.json"``).

    Raises:
        JSONTooLarge, JSONTooDeep: over a limit (nothing was parsed).
        InputError: not JSON.
    """
    check_json_bytes(data, what=what, max_depth=max_depth, max_bytes=max_bytes)
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{what} is not valid JSON ({exc})") from None


def load_untrusted_file(
    path: Path, *, what: str | None = None, max_depth: int = MAX_JSON_DEPTH, max_bytes: int = MAX_JSON_BYTES
) -> Any:
    """:func:`loads_untrusted` on a file; its size is checked before it is read.

    Raises:
        InputError: the file cannot be read, is not JSON, or passes a limit (the subclasses above).
    """
    path = Path(path)
    name = what or path.name
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise JSONTooLarge(
                f"{name}: {size} bytes of JSON is over the limit of {max_bytes}; send a smaller document",
                max_bytes,
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {name}: {exc.strerror}") from None
    return loads_untrusted(data, what=name, max_depth=max_depth, max_bytes=max_bytes)
