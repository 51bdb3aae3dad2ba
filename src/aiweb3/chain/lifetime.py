"""Child processes that never outlive their supervisor.

On Linux a child can ask the kernel for a signal when its parent dies (``prctl`` with
``PR_SET_PDEATHSIG``); set in the child between ``fork`` and ``exec``, it holds even when the
parent is killed with SIGKILL and has no chance to clean up. Elsewhere nothing is set and the
supervisor's own shutdown path stops its children.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

__all__ = ["die_with_parent"]

_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: signal.Signals = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` for :class:`subprocess.Popen`: the child gets ``sig`` when this process dies.

    The kernel ties the signal to the *thread* that starts the child: start it from a thread that
    lives as long as the supervisor (the main thread). Returns None where ``prctl`` does not exist.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before fork: no loading in the child
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), sig)

    return preexec
