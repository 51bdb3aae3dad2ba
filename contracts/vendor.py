"""Copy the vendored contracts' compiled artifacts (ABI + bytecode) from node_modules.

The Ethereum Attestation Service and Uniswap v3 contracts are deployed from the compiled artifacts their npm
packages ship (audited builds; never recompiled here). Run after changing the pinned version in
package.json: ``.venv/bin/python contracts/vendor.py``. A test fails when the committed copies
differ from node_modules.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "aiweb3" / "contracts" / "artifacts" / "vendor"

#: contract name -> (npm package, path of its artifact inside the package)
VENDORED = {
    "SchemaRegistry": (
        "@ethereum-attestation-service/eas-contracts",
        "artifacts/contracts/SchemaRegistry.sol/SchemaRegistry.json",
    ),
    "EAS": ("@ethereum-attestation-service/eas-contracts", "artifacts/contracts/EAS.sol/EAS.json"),
    # Uniswap v3 (aiweb3.defi): core and periphery as their authors compiled them
    "UniswapV3Factory": (
        "@uniswap/v3-core",
        "artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json",
    ),
    "UniswapV3Pool": ("@uniswap/v3-core", "artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json"),
    "SwapRouter": ("@uniswap/v3-periphery", "artifacts/contracts/SwapRouter.sol/SwapRouter.json"),
    "NonfungiblePositionManager": (
        "@uniswap/v3-periphery",
        "artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json",
    ),
    "QuoterV2": ("@uniswap/v3-periphery", "artifacts/contracts/lens/QuoterV2.sol/QuoterV2.json"),
}


def vendored_artifact(name: str, node_modules: Path) -> dict[str, object]:
    """The committed form of one vendored artifact, read from ``node_modules``."""
    package, path = VENDORED[name]
    version = json.loads((node_modules / package / "package.json").read_text())["version"]
    data = json.loads((node_modules / package / path).read_text())
    return {
        "contractName": data["contractName"],
        "npmPackage": package,
        "npmVersion": version,
        "npmPath": path,
        "abi": data["abi"],
        "bytecode": data["bytecode"],
        "deployedBytecode": data["deployedBytecode"],
    }


def main() -> None:
    """Write every vendored artifact to ``src/aiweb3/contracts/artifacts/vendor``."""
    node_modules = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "node_modules"
    OUT.mkdir(parents=True, exist_ok=True)
    for name in VENDORED:
        (OUT / f"{name}.json").write_text(json.dumps(vendored_artifact(name, node_modules), indent=1) + "\n")
        print(f"wrote {OUT / name}.json")


if __name__ == "__main__":
    main()
