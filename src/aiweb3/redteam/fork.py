"""A private anvil fork of a real chain, for attacking contracts that already live there.

``anvil --fork-url URL`` reads the upstream chain's state lazily and keeps every transaction
local: nothing the red team sends reaches the upstream node (forked state is never sent anywhere).
The fork listens on 127.0.0.1 only and dies with the process that started it.

    with ForkNode(rpc_url) as fork:
        chain = fork.chain()
        deployed = deploy_target(chain, fork_target("0x..."), "vulnerable", dev_accounts(4))
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from aiweb3.chain import DEV_MNEMONIC, Chain, lifetime
from aiweb3.errors import InputError, NodeError
from aiweb3.presence import terminate
from aiweb3.tools import anvil_binary

__all__ = ["ForkNode", "check_upstream"]

_LISTENING = re.compile(r"Listening on 127\.0\.0\.1:(\d+)")


def check_upstream(rpc_url: str, timeout: float = 5.0) -> int:
    """The chain id the fork URL serves; InputError in one line when it does not answer JSON-RPC."""
    if not re.match(r"^https?://", rpc_url):
        raise InputError(f"fork URL {rpc_url!r} must start with http:// or https://")
    try:
        resp = httpx.post(
            rpc_url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=timeout
        )
        return int(resp.json()["result"], 16)
    except httpx.HTTPError as exc:
        raise InputError(
            f"the fork URL {rpc_url} is unreachable ({type(exc).__name__}); check the URL and your network"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise InputError(
            f"the fork URL {rpc_url} does not answer JSON-RPC eth_chainId; is it an RPC URL?"
        ) from None


class ForkNode:
    """Runs one anvil forked from ``rpc_url`` (optionally at ``block``) until :meth:`stop`.

    Its dev accounts (anvil's public test mnemonic) are funded on the fork only.
    """

    def __init__(self, rpc_url: str, *, block: int | None = None, startup_timeout: float = 60.0) -> None:
        self.rpc_url = rpc_url
        self.block = block
        self.startup_timeout = startup_timeout
        self.url = ""
        self.chain_id = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Path | None = None

    def __enter__(self) -> ForkNode:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> str:
        """Check the upstream answers, start the fork and return its local URL."""
        self.chain_id = check_upstream(self.rpc_url)
        fd, log_name = tempfile.mkstemp(prefix="aiweb3-fork-", suffix=".log")
        self._log = Path(log_name)
        cmd = [
            str(anvil_binary()), "--host", "127.0.0.1", "--port", "0",
            "--fork-url", self.rpc_url, "--mnemonic", DEV_MNEMONIC, "--accounts", "10",
        ]  # fmt: skip
        if self.block is not None:
            cmd += ["--fork-block-number", str(self.block)]
        with open(fd, "wb") as log:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=lifetime.die_with_parent(),
            )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            text = self._log.read_text(errors="replace")
            match = _LISTENING.search(text)
            if match:
                self.url = f"http://127.0.0.1:{match.group(1)}"
                return self.url
            if self._proc.poll() is not None:
                tail = " | ".join(text.strip().splitlines()[-2:]) or "no output"
                self._proc = None
                raise InputError(f"anvil could not fork {self.rpc_url}: {tail}")
            time.sleep(0.05)
        self.stop()
        raise NodeError(f"the fork of {self.rpc_url} did not start within {self.startup_timeout:.0f} s")

    def chain(self) -> Chain:
        """A client on the fork (close it when done)."""
        if not self.url:
            raise NodeError("the fork is not running; call start() first")
        return Chain(self.url)

    def stop(self) -> None:
        """Stop the fork and remove its log."""
        if self._proc is not None:
            terminate(self._proc.pid, self._proc, 10.0)
            self._proc = None
        if self._log is not None:
            self._log.unlink(missing_ok=True)
            self._log = None
        self.url = ""
