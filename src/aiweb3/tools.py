"""Locating the pinned node-side tools (anvil, solc-js) that `npm ci` installs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from aiweb3.errors import ConfigError

__all__ = ["anvil_binary", "node_modules"]


def node_modules() -> Path:
    """The project's ``node_modules`` directory (``AIWEB3_NODE_MODULES`` overrides)."""
    override = os.environ.get("AIWEB3_NODE_MODULES")
    if override:
        return Path(override)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "node_modules"
        if candidate.is_dir():
            return candidate
    raise ConfigError(
        "node_modules not found; run `make setup` in the aiweb3 checkout "
        "or set AIWEB3_NODE_MODULES to a directory with the pinned npm packages"
    )


def anvil_binary() -> Path:
    """The pinned anvil binary (``AIWEB3_ANVIL`` overrides, then node_modules, then PATH)."""
    override = os.environ.get("AIWEB3_ANVIL")
    if override:
        return Path(override)
    try:
        candidate = node_modules() / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
        if candidate.is_file():
            return candidate
    except ConfigError:
        pass
    found = shutil.which("anvil")
    if found:
        return Path(found)
    raise ConfigError("anvil not found; run `make setup` (it installs the pinned @foundry-rs/anvil)")
