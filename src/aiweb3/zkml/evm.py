"""Render the ezkl reusable Halo2 verifier (a build step; its output is committed).

ezkl renders the Solidity verifier and checks it with solc 0.8.20, which it fetches through
svm — impossible offline. svm first looks for an installed compiler at
``$XDG_DATA_HOME/svm/0.8.20/solc-0.8.20`` (when ``~/.svm`` does not exist), so a small
stand-in there answers ``--version`` and ``--standard-json`` with solc-js 0.8.20 from
``node_modules/solc0820``. No library provides this shim, hence the few lines below.

The rendered verifier is the same for every model: ``python -m aiweb3.zkml.evm`` writes it
to ``contracts/src/Halo2VerifierReusable.sol`` (then ``make artifacts``), and
:func:`render_reusable_verifier` lets a test check that the committed file is current.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from aiweb3.errors import ConfigError
from aiweb3.zkml import _ezkl

__all__ = ["VERIFIER_SOURCE", "render_reusable_verifier", "solc_standin"]

REPO = Path(__file__).resolve().parents[3]
VERIFIER_SOURCE = REPO / "contracts" / "src" / "Halo2VerifierReusable.sol"

_STANDIN = """#!/usr/bin/env node
// solc 0.8.20 stand-in for svm: answers --version and --standard-json with solc-js 0.8.20.
const solc = require(%(module)s);
const args = process.argv.slice(2);
if (args.includes("--version")) {
  const banner = "solc, the solidity compiler commandline interface\\n";
  process.stdout.write(banner + "Version: " + solc.version() + "\\n");
} else if (args.includes("--standard-json")) {
  let input = "";
  process.stdin.on("data", (d) => (input += d));
  process.stdin.on("end", () => process.stdout.write(solc.compile(input)));
} else {
  process.stderr.write("solc stand-in: unsupported arguments " + args.join(" ") + "\\n");
  process.exit(2);
}
"""


@contextlib.contextmanager
def solc_standin(node_modules: Path | None = None) -> Iterator[Path]:
    """Point svm at a solc-js 0.8.20 stand-in for the duration of the block.

    Raises:
        ConfigError: solc-js 0.8.20 is not installed (run ``make setup``) or ``~/.svm`` exists.
    """
    module = (node_modules or REPO / "node_modules") / "solc0820"
    if not (module / "package.json").is_file():
        raise ConfigError(f"solc-js 0.8.20 is missing at {module}; run `make setup` (npm ci)")
    if (Path.home() / ".svm").exists():
        raise ConfigError("~/.svm exists, so svm would ignore the stand-in; move it away and retry")
    saved = os.environ.get("XDG_DATA_HOME")
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "svm" / "0.8.20" / "solc-0.8.20"
        exe.parent.mkdir(parents=True)
        exe.write_text(_STANDIN % {"module": repr(str(module))})
        exe.chmod(0o755)
        os.environ["XDG_DATA_HOME"] = tmp
        try:
            yield exe
        finally:
            if saved is None:
                os.environ.pop("XDG_DATA_HOME", None)
            else:
                os.environ["XDG_DATA_HOME"] = saved


def render_reusable_verifier(vk: Path, settings: Path, srs: Path, out_dir: Path) -> Path:
    """Render the reusable verifier for any compiled model into ``out_dir``; returns the .sol path."""
    sol, abi = Path(out_dir) / "Halo2VerifierReusable.sol", Path(out_dir) / "Halo2VerifierReusable.abi"
    with solc_standin():
        _ezkl.create_reusable_verifier(vk, settings, sol, abi, srs)
    return sol


def main() -> None:
    """Regenerate contracts/src/Halo2VerifierReusable.sol from the example MLP."""
    from aiweb3.zkml.model import Model

    onnx_path = REPO / "examples" / "zkml" / "mlp.onnx"
    with tempfile.TemporaryDirectory() as home:
        model = Model.from_onnx(onnx_path, home=Path(home))
        compiled = model.compile([[0.0] * model.inputs[0].size])
        paths = [compiled.artifact_path(k) for k in ("vk", "settings", "srs")]
        sol = render_reusable_verifier(paths[0], paths[1], paths[2], Path(home))
        VERIFIER_SOURCE.write_bytes(sol.read_bytes())
    print(f"wrote {VERIFIER_SOURCE}; now run `make artifacts`", file=sys.stderr)


if __name__ == "__main__":
    main()
