"""Compile Solidity 0.4 to 0.8 offline with the solc-js versions pinned as npm aliases.

The version comes from the sources' ``pragma solidity`` lines (the newest pinned version that
satisfies all of them) unless one is given. Results are cached by a hash of the compiler, the
settings and the sources: in memory for the process, and on disk when a ``cache_dir`` is given.
Many jobs compile in one node process (:func:`compile_many`), each compiler loaded once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiweb3.errors import ConfigError, InputError
from aiweb3.files import atomic_write_json, ensure_private_dir
from aiweb3.tools import node_modules

__all__ = [
    "SOLC_PACKAGES",
    "Compiled",
    "CompiledContract",
    "compile_many",
    "compile_sources",
    "pick_version",
    "solc_standin",
]

#: pinned solc-js versions -> the npm package (alias) that holds each (package.json pins them)
SOLC_PACKAGES: dict[str, str] = {
    "0.4.26": "solc0426",
    "0.5.17": "solc0517",
    "0.6.12": "solc0612",
    "0.7.6": "solc0706",
    "0.8.20": "solc0820",
    "0.8.30": "solc",
}

_SCRIPT = Path(__file__).with_name("solc.mjs")
_STANDIN = Path(__file__).with_name("solc-standin.mjs")
_OUTPUTS = [
    "abi",
    "evm.bytecode.object",
    "evm.deployedBytecode.object",
    "evm.methodIdentifiers",
    "storageLayout",
]
_PRAGMA = re.compile(r"pragma\s+solidity\s+([^;]+);")
_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_MEMORY: dict[str, Compiled] = {}

Version = tuple[int, int, int]


@dataclass(frozen=True)
class CompiledContract:
    """One deployable contract of a compile: ABI, creation and runtime code, selectors, layout."""

    name: str
    source: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    method_ids: dict[str, str]
    storage_layout: dict[str, Any] | None


@dataclass(frozen=True)
class Compiled:
    """The result of compiling a set of sources with one solc version.

    Attributes:
        version: the solc version used (``0.4.26``, ...).
        contracts: deployable contracts by name (interfaces and abstract contracts left out).
        asts: each source's AST, for static checks.
        sources: the compiled sources (file name -> text).
        warnings: solc's warnings, one formatted message each.
        key: the cache key (sha256 of compiler, settings and sources).
    """

    version: str
    contracts: dict[str, CompiledContract]
    asts: dict[str, Any]
    sources: dict[str, str]
    warnings: list[str]
    key: str

    def contract(self, name: str) -> CompiledContract:
        """The contract called ``name``; InputError naming the ones there are when missing."""
        try:
            return self.contracts[name]
        except KeyError:
            raise InputError(
                f"no deployable contract {name!r} in the sources; found: {', '.join(sorted(self.contracts))}"
            ) from None


def _parse_version(text: str) -> tuple[Version, int]:
    """A version and how many of its parts were given (``0.8`` -> ((0, 8, 0), 2))."""
    parts = [p for p in text.strip().split(".") if p not in ("", "x", "X", "*")]
    if not parts or len(parts) > 3 or not all(p.isdigit() for p in parts):
        raise ValueError(text)
    nums = [int(p) for p in parts] + [0] * (3 - len(parts))
    return (nums[0], nums[1], nums[2]), len(parts)


def _comparator_ok(version: Version, comp: str) -> bool:
    match = re.fullmatch(r"(\^|~|>=|<=|>|<|=)?\s*(.+)", comp)
    if match is None:
        raise ValueError(comp)
    op, (ref, given) = match.group(1) or "", _parse_version(match.group(2))
    if op == "^":
        # npm caret: the left-most non-zero part is fixed
        if ref[0] > 0:
            upper: Version = (ref[0] + 1, 0, 0)
        elif ref[1] > 0 or given < 3:
            upper = (0, ref[1] + 1, 0)
        else:
            upper = (0, 0, ref[2] + 1)
        return ref <= version < upper
    if op == "~" or (op in ("", "=") and given < 3):
        upper = (ref[0] + 1, 0, 0) if given == 1 else (ref[0], ref[1] + 1, 0)
        return ref <= version < upper
    return {
        "": version == ref,
        "=": version == ref,
        ">=": version >= ref,
        "<=": version <= ref,
        ">": version > ref,
        "<": version < ref,
    }[op]


def _range_ok(version: Version, spec: str) -> bool:
    """True when ``version`` satisfies a pragma range (``^0.8.0``, ``>=0.6.0 <0.9.0 || 0.4.26``)."""
    for alternative in spec.split("||"):
        comps = re.findall(r"(?:\^|~|>=|<=|>|<|=)?\s*[\d.xX*]+", alternative)
        if comps and all(_comparator_ok(version, c.replace(" ", "")) for c in comps):
            return True
    return False


def pick_version(sources: dict[str, str]) -> str:
    """The newest pinned solc version that satisfies every ``pragma solidity`` in ``sources``.

    Raises:
        InputError: no pinned version satisfies the pragmas, or a pragma cannot be read.
    """
    specs = [
        (name, m.group(1).strip())
        for name, text in sources.items()
        for m in _PRAGMA.finditer(_COMMENTS.sub("", text))
    ]
    for name, spec in specs:
        if not _readable(spec):
            raise InputError(f"cannot read the pragma ({name}: {spec}); write e.g. `pragma solidity ^0.8.0;`")
    installed = sorted(SOLC_PACKAGES, key=lambda v: _parse_version(v)[0], reverse=True)
    for version in installed:
        if all(_range_ok(_parse_version(version)[0], spec) for _, spec in specs):
            return version
    wanted = "; ".join(f"{n}: {s}" for n, s in specs)
    raise InputError(
        f"no pinned solc version satisfies the pragma ({wanted}); pinned: {', '.join(reversed(installed))}"
    )


def _readable(spec: str) -> bool:
    try:
        _range_ok((0, 8, 0), spec)
    except ValueError:
        return False
    return True


def _request(sources: dict[str, str]) -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sorted(sources.items())},
        "settings": {
            "optimizer": {"enabled": True, "runs": 200},
            "outputSelection": {"*": {"": ["ast"], "*": _OUTPUTS}},
        },
    }


def _key(version: str, request: dict[str, Any]) -> str:
    blob = json.dumps([version, request], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _from_output(version: str, key: str, sources: dict[str, str], output: dict[str, Any]) -> Compiled:
    messages = output.get("errors", [])
    errors = [e for e in messages if e.get("severity") == "error"]
    if errors:
        first = str(errors[0].get("formattedMessage") or errors[0].get("message", "")).strip()
        lines = first.splitlines() or ["unknown error"]
        where = lines[1].strip().removeprefix("-->").strip().rstrip(":") if len(lines) > 1 else ""
        at = f" at {where}" if where else ""
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(f"the sources do not compile with solc {version}: {lines[0]}{at}{more}; fix them")
    contracts: dict[str, CompiledContract] = {}
    for source, items in output.get("contracts", {}).items():
        if source not in sources:
            continue  # an imported library file
        for name, c in items.items():
            code = c.get("evm", {}).get("bytecode", {}).get("object", "")
            if not code:
                continue
            contracts[name] = CompiledContract(
                name=name,
                source=source,
                abi=c.get("abi", []),
                bytecode="0x" + code,
                deployed_bytecode="0x" + c["evm"].get("deployedBytecode", {}).get("object", ""),
                method_ids=dict(c["evm"].get("methodIdentifiers", {})),
                storage_layout=c.get("storageLayout"),
            )
    asts = {name: out.get("ast") for name, out in output.get("sources", {}).items() if name in sources}
    warnings = [str(e.get("formattedMessage", e.get("message", ""))) for e in messages if e not in errors]
    return Compiled(version, contracts, asts, dict(sources), warnings, key)


def _private_cache(folder: Path) -> Path:
    """The cache folder, created readable and writable by this user only: compile outputs are
    deployed as they are, so nobody else may plant one."""
    folder = ensure_private_dir(folder)
    if folder.stat().st_uid != os.getuid():
        raise InputError(
            f"the compile cache {folder} belongs to another user; pass a cache folder of your own"
        )
    return folder


def _cache_load(cache_dir: Path | None, key: str) -> dict[str, Any] | None:
    if cache_dir is None:
        return None
    try:
        data = json.loads((cache_dir / f"{key}.json").read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def compile_many(
    jobs: list[tuple[dict[str, str], str | None]],
    *,
    cache_dir: Path | None = None,
    timeout: float = 600.0,
) -> list[Compiled]:
    """Compile several source sets in one node process; results in job order.

    Args:
        jobs: ``(sources, version)`` pairs; sources map file names to text, a version of None is
            picked from the pragmas (:func:`pick_version`).
        cache_dir: where compile outputs are kept between runs (None: memory only).

    Raises:
        InputError: a source set does not compile, or no pinned version fits its pragma.
        ConfigError: node or the pinned solc-js packages are missing (run ``make setup``).
    """
    if cache_dir is not None:
        cache_dir = _private_cache(cache_dir)
    planned: list[tuple[str, str, dict[str, Any], dict[str, str]]] = []
    for sources, version in jobs:
        if not sources:
            raise InputError("no Solidity sources given; pass a .sol file or a folder holding some")
        chosen = version or pick_version(sources)
        if chosen not in SOLC_PACKAGES:
            raise InputError(f"solc {chosen} is not pinned; use one of {', '.join(SOLC_PACKAGES)}")
        request = _request(sources)
        planned.append((chosen, _key(chosen, request), request, sources))
    outputs: dict[str, dict[str, Any]] = {}
    todo: list[tuple[str, str, dict[str, Any]]] = []
    for version, key, request, _ in planned:
        if key in _MEMORY or key in outputs:
            continue
        cached = _cache_load(cache_dir, key)
        if cached is not None:
            outputs[key] = cached
        elif all(key != k for _, k, _ in todo):
            todo.append((version, key, request))
    if todo:
        outputs.update(_run_node(todo, timeout))
        if cache_dir is not None:
            for _, key, _ in todo:
                if not any(e.get("severity") == "error" for e in outputs[key].get("errors", [])):
                    atomic_write_json(cache_dir / f"{key}.json", outputs[key])
    results: list[Compiled] = []
    for version, key, _, sources in planned:
        if key not in _MEMORY:
            _MEMORY[key] = _from_output(version, key, sources, outputs[key])
        results.append(_MEMORY[key])
    return results


def compile_sources(
    sources: dict[str, str], *, version: str | None = None, cache_dir: Path | None = None
) -> Compiled:
    """Compile one source set (see :func:`compile_many`)."""
    return compile_many([(sources, version)], cache_dir=cache_dir)[0]


def _run_node(todo: list[tuple[str, str, dict[str, Any]]], timeout: float) -> dict[str, dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        raise ConfigError("node is not installed: install Node 20 and run `make setup`")
    modules = node_modules()
    missing = sorted({SOLC_PACKAGES[v] for v, _, _ in todo if not (modules / SOLC_PACKAGES[v]).is_dir()})
    if missing:
        raise ConfigError(f"solc-js package(s) {', '.join(missing)} are not installed; run `make setup`")
    payload = {
        "modules": str(modules),
        "jobs": [{"package": SOLC_PACKAGES[v], "input": req} for v, _, req in todo],
    }
    try:
        proc = subprocess.run(
            [node, str(_SCRIPT)],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(
            f"solc-js took longer than {timeout:.0f} s; compile fewer sources at once"
        ) from None
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        raise ConfigError(f"solc-js could not run ({tail[0][:200]}); run `make setup`")
    results = json.loads(proc.stdout)
    return {key: res["output"] for (_, key, _), res in zip(todo, results, strict=True)}


def solc_standin(version: str) -> tuple[Path, dict[str, str]]:
    """A ``solc`` executable for analysers (Slither's ``--solc``) that compiles with pinned ``version``.

    Returns the stand-in's path and the environment variables to run it with (add them to the
    analyser's environment). It answers ``--version`` and ``--standard-json``.

    Raises:
        InputError: ``version`` is not pinned.
        ConfigError: the solc-js package for it is not installed (run ``make setup``).
    """
    if version not in SOLC_PACKAGES:
        raise InputError(f"solc {version} is not pinned; use one of {', '.join(SOLC_PACKAGES)}")
    modules = node_modules()
    if not (modules / SOLC_PACKAGES[version]).is_dir():
        raise ConfigError(f"solc-js package {SOLC_PACKAGES[version]} is not installed; run `make setup`")
    return _STANDIN, {"AIWEB3_SOLC_PACKAGE": SOLC_PACKAGES[version], "AIWEB3_NODE_MODULES": str(modules)}
