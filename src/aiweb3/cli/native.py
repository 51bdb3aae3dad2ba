"""Keep what native code (ezkl's Rust) writes on file descriptor 2 off the terminal.

A Rust panic prints its message, and a backtrace when ``RUST_BACKTRACE`` is set, straight to
fd 2 before Python sees the exception; the CLI then prints its own one-line error. While a
native call runs, fd 2 goes to a temporary file and the CLI's console writes to the terminal
through a duplicate: what was captured is replayed after a success and dropped after a failure.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator

from rich.console import Console

__all__ = ["native_stderr_captured"]


@contextlib.contextmanager
def native_stderr_captured(console: Console) -> Iterator[None]:
    """Capture fd 2 while the block runs; ``console`` keeps writing to the real stderr."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2: nothing to protect
        yield
        return
    previous = console.file
    terminal = os.fdopen(os.dup(saved), "w", encoding="utf-8", errors="replace")
    ok = False
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        console.file = terminal
        try:
            yield
            ok = True
        finally:
            with contextlib.suppress(ValueError, OSError):
                sys.stderr.flush()
            terminal.flush()
            os.dup2(saved, 2)
            os.close(saved)
            console.file = previous
            terminal.close()
            if ok:
                captured.seek(0)
                noise = captured.read()
                if noise:
                    os.write(2, noise)
