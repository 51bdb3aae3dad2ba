"""Targets: contracts to attack, deployed on the local node with their setup, and the win check.

A corpus entry is a folder with ``vulnerable.sol``, ``patched.sol`` and ``target.json`` (its
setup, functional checks and win condition, written in the step language of
:mod:`aiweb3.redteam.steps`). Any other folder of ``.sol`` files, or one ``.sol`` file, is a user
target: its only variant is ``vulnerable``, the deploy takes the named contract or the first one
whose constructor takes no arguments, gives it 10 ether to lose, and the win is the attacker's
profit or (when it has ``owner()``) its ownership. :func:`fork_target` names a contract that
already lives on a forked chain (see :mod:`aiweb3.redteam.fork`).

    target = load_target("tests/redteam_corpus/unprotected-withdraw")
    deployed = deploy_target(chain, target, "vulnerable", accounts)
    before = deployed.snapshot_value(attacker.address)
    ...  # the attack
    result = check_win(deployed, attacker.address, before)   # WinResult(won, kind, detail, profit_wei)
    run_functional(deployed)                                  # the entry's own legit-use checks

Win kinds: ``attacker_profit`` (the attacker's ether plus the entry's listed assets, valued in wei,
grew by more than ``min_profit``; the gas it paid counts against it), ``privilege`` (a view such
as ``owner()`` returns the attacker now and did not before) and ``invariant`` (a check step that
holds after setup now fails).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3.contract import Contract

from aiweb3.chain import Chain, TxRequest
from aiweb3.errors import InputError
from aiweb3.redteam.solc import Compiled, compile_many
from aiweb3.redteam.steps import (
    ROLES,
    CheckFailed,
    Roles,
    StepContext,
    request,
    run_step,
    run_steps,
    view_value,
)

__all__ = [
    "ROLES",
    "VARIANTS",
    "CheckFailed",
    "Compiled",
    "Deployed",
    "Roles",
    "Target",
    "ValueSnapshot",
    "WinResult",
    "check_win",
    "compile_target",
    "compile_targets",
    "corpus_targets",
    "deploy_target",
    "fork_target",
    "load_target",
    "run_functional",
]

VARIANTS = ("vulnerable", "patched")
WIN_KINDS = ("attacker_profit", "privilege", "invariant")
#: what a user target (no target.json) holds for the attacker to take
USER_TARGET_BAIT = "10 ether"
_SPEC_KEYS = {
    "title", "category", "description", "solc", "target", "setup", "functional", "win",
    "assets", "victim_actions", "include",
}  # fmt: skip


@dataclass(frozen=True)
class Target:
    """A contract to attack: its sources per variant and how to set it up and judge it.

    Attributes:
        name: the folder or file name (``unprotected-withdraw``).
        path: where it was loaded from.
        sources: variant -> (file name -> Solidity text).
        spec: the parsed ``target.json`` (None for user targets until deployed with defaults).
        contract: for user targets, the contract to deploy (None: the first without constructor args).
        solc: a pinned solc version to use (None: picked from the pragma).
        address: for a fork target, the contract already on chain (nothing is deployed).
        steps_as: variants added with :meth:`with_variant` -> the variant whose ``only`` steps
            they take (a proposed patch of the vulnerable code sets up like ``vulnerable``).
    """

    name: str
    path: Path
    sources: Mapping[str, Mapping[str, str]]
    spec: Mapping[str, Any] | None = None
    contract: str | None = None
    solc: str | None = None
    address: str | None = None
    steps_as: Mapping[str, str] = field(default_factory=dict)

    @property
    def variants(self) -> tuple[str, ...]:
        """The variants this target has sources for (``vulnerable``, ``patched``, ...)."""
        return tuple(self.sources)

    @property
    def is_corpus(self) -> bool:
        """True for a corpus entry (it has a ``target.json``)."""
        return self.spec is not None

    @property
    def title(self) -> str:
        """A one-line title (the entry's, or the target's name)."""
        return str((self.spec or {}).get("title", self.name))

    @property
    def category(self) -> str:
        """The vulnerability class of a corpus entry (``reentrancy``, ...); empty for user targets."""
        return str((self.spec or {}).get("category", ""))

    def variant_sources(self, variant: str) -> dict[str, str]:
        """The sources of one variant; InputError naming the variants there are."""
        if variant not in self.sources:
            raise InputError(
                f"target {self.name} has no {variant!r} variant; it has {', '.join(self.variants) or 'none'}"
            )
        return dict(self.sources[variant])

    def with_variant(self, variant: str, sources: Mapping[str, str], *, like: str = "vulnerable") -> Target:
        """A copy with another variant's sources (a proposed patch, for instance).

        Its setup, functional checks and victim actions are those of variant ``like``: steps
        marked ``"only": like`` run for it.
        """
        return replace(
            self,
            sources={**self.sources, variant: dict(sources)},
            steps_as={**self.steps_as, variant: like},
        )

    def steps_variant(self, variant: str) -> str:
        """The variant whose ``only`` steps apply to ``variant``."""
        return self.steps_as.get(variant, variant)


@dataclass(frozen=True)
class ValueSnapshot:
    """What a holder owns at one moment, and the privilege views of the target then.

    ``wei`` values everything: ether plus each listed asset at its price.
    """

    holder: str
    eth: int
    assets: dict[str, int]
    wei: int
    views: dict[str, str]


@dataclass(frozen=True)
class WinResult:
    """Whether the attacker won, how, and the profit measured (wei, net of the gas it paid)."""

    won: bool
    kind: str
    detail: str
    profit_wei: int


@dataclass
class Deployed:
    """A target deployed (or found, on a fork) and set up on a chain."""

    chain: Chain
    target: Target
    variant: str
    roles: Roles
    compiled: Compiled | None
    spec: dict[str, Any]
    contracts: dict[str, Contract]
    saved: dict[str, Any] = field(default_factory=dict)
    setup_txs: list[str] = field(default_factory=list)
    home: Path | None = None

    @property
    def address(self) -> str:
        """The address of the contract under attack."""
        return str(self.target_contract.address)

    @property
    def target_contract(self) -> Contract:
        """The contract under attack (web3.py object with its ABI)."""
        return self.contracts[str(self.spec["target"])]

    def context(self) -> StepContext:
        """A step context over this deployment (saved values copied, so steps never leak back)."""
        return StepContext(
            chain=self.chain,
            roles=self.roles,
            variant=self.target.steps_variant(self.variant),
            code=self._code,
            contracts=dict(self.contracts),
            saved=dict(self.saved),
            home=self.home,
        )

    def _code(self, name: str) -> tuple[list[dict[str, Any]], str]:
        if self.compiled is None:
            raise InputError(f"no compiled sources to deploy {name} from")
        c = self.compiled.contract(name)
        return c.abi, c.bytecode

    def snapshot_value(self, addr: str) -> ValueSnapshot:
        """What ``addr`` owns now (ether and listed assets) and who the privilege views name."""
        holder = to_checksum_address(addr)
        ctx = self.context()
        eth = self.chain.balance(holder)
        assets: dict[str, int] = {}
        total = Fraction(eth)
        for asset in self.spec.get("assets", []):
            step = {"to": asset["to"], "fn": asset.get("fn", "balanceOf"), "args": [holder]}
            amount = int(view_value(ctx, step)[0])
            assets[str(asset.get("name", asset["to"]))] = amount
            total += amount * Fraction(str(asset.get("price", 1)))
        views = {_view_key(w): str(view_value(ctx, _view_step(w))[0]) for w in self._wins("privilege")}
        return ValueSnapshot(holder, eth, assets, int(total), views)

    def _wins(self, kind: str) -> list[dict[str, Any]]:
        return [w for w in self.spec.get("win", []) if w.get("kind") == kind]

    def victim_requests(self) -> list[tuple[str, TxRequest]]:
        """The victim's pending transactions (``victim_actions``), as an observer of the mempool
        sees them before they are mined: (role, request) pairs."""
        ctx = self.context()
        return [
            (str(step.get("from", "victim")), request(ctx, step))
            for step in self.spec.get("victim_actions", [])
            if step.get("only") in (None, self.target.steps_variant(self.variant))
        ]

    def run_victim_actions(self) -> None:
        """Send the victim's pending transactions (the ones an attacker may front-run).

        A victim transaction that reverts is skipped, as a wallet would drop it.
        """
        ctx = self.context()
        for index, step in enumerate(self.spec.get("victim_actions", [])):
            if step.get("only") not in (None, self.target.steps_variant(self.variant)):
                continue
            try:
                run_step(ctx, f"victim action {index + 1}", {**step, "do": step.get("do", "call")})
            except CheckFailed:
                continue


def _view_key(win: Mapping[str, Any]) -> str:
    return f"{win['to']}.{win['fn']}({','.join(map(str, win.get('args', [])))})"


def _view_step(win: Mapping[str, Any]) -> dict[str, Any]:
    return {"to": win["to"], "fn": win["fn"], "args": list(win.get("args", []))}


# -- loading ---------------------------------------------------------------
def _read_spec(path: Path) -> dict[str, Any]:
    try:
        spec = json.loads(path.read_text())
    except ValueError as exc:
        raise InputError(f"{path} is not valid JSON ({exc}); fix it") from None
    if not isinstance(spec, dict):
        raise InputError(f"{path} must hold a JSON object")
    unknown = set(spec) - _SPEC_KEYS
    if unknown:
        raise InputError(f"{path}: unknown field(s) {', '.join(sorted(unknown))}")
    for key in ("target", "setup", "win"):
        if key not in spec:
            raise InputError(f"{path} lacks the field {key!r}")
    ids = {
        s.get("id")
        for s in spec["setup"]
        if isinstance(s, dict) and s.get("do") in ("deploy", "v3pool", "at")
    }
    if spec["target"] not in ids:
        raise InputError(f"{path}: target {spec['target']!r} is not the id of a deploy step")
    for win in spec["win"]:
        if win.get("kind") not in WIN_KINDS:
            raise InputError(f"{path}: win kind {win.get('kind')!r} is not one of {', '.join(WIN_KINDS)}")
    return spec


def _sol_files(folder: Path) -> dict[str, str]:
    files = sorted(p for p in folder.rglob("*.sol") if "node_modules" not in p.parts)
    return {str(p.relative_to(folder)): p.read_text() for p in files}


def load_target(path: str | Path, *, contract: str | None = None, solc: str | None = None) -> Target:
    """Load a corpus entry (a folder with ``target.json``) or a user target (a .sol file or folder).

    Args:
        contract: for a user target, the contract to deploy (default: the first one whose
            constructor takes no arguments).
        solc: a pinned solc version (default: picked from the pragma).

    Raises:
        InputError: the path does not exist, holds no Solidity, or its target.json is malformed.
    """
    root = Path(path)
    if not root.exists():
        raise InputError(f"{root} does not exist; pass a .sol file or a folder of Solidity sources")
    if root.is_file():
        if root.suffix != ".sol":
            raise InputError(f"{root} is not a .sol file; pass Solidity sources or a corpus folder")
        return Target(root.stem, root, {"vulnerable": {root.name: root.read_text()}}, None, contract, solc)
    spec_file = root / "target.json"
    if not spec_file.is_file():
        found = _sol_files(root)
        if not found:
            raise InputError(f"{root} holds no .sol files; pass a folder of Solidity sources")
        return Target(root.name, root, {"vulnerable": found}, None, contract, solc)
    spec = _read_spec(spec_file)
    shared = {n: t for n, t in _sol_files(root).items() if n not in ("vulnerable.sol", "patched.sol")}
    for rel in spec.get("include", []):
        extra = (root / rel).resolve()
        if extra.suffix != ".sol" or not extra.is_file():
            raise InputError(f"{spec_file}: include {rel!r} is not a .sol file next to the entry")
        shared[extra.name] = extra.read_text()
    sources: dict[str, dict[str, str]] = {}
    for variant in VARIANTS:
        file = root / f"{variant}.sol"
        if not file.is_file():
            raise InputError(f"corpus entry {root.name} lacks {variant}.sol")
        sources[variant] = {**shared, f"{variant}.sol": file.read_text()}
    return Target(root.name, root, sources, spec, contract, solc or spec.get("solc"))


def corpus_targets(root: str | Path) -> list[Target]:
    """Every corpus entry under ``root`` (folders holding a ``target.json``), by name."""
    folder = Path(root)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder of corpus entries")
    return [load_target(p.parent) for p in sorted(folder.glob("*/target.json"))]


def fork_target(address: str, sources: str | Path | None = None, *, contract: str | None = None) -> Target:
    """A contract already on a (forked) chain, optionally with its sources for the ABI."""
    try:
        checked = to_checksum_address(address)
    except ValueError:
        raise InputError(f"{address!r} is not a contract address (0x followed by 40 hex digits)") from None
    if sources is None:
        return Target(checked, Path(checked), {}, None, contract, None, checked)
    base = load_target(sources, contract=contract)
    return replace(base, address=checked)


# -- compiling -------------------------------------------------------------
def compile_target(target: Target, variant: str = "vulnerable", *, cache_dir: Path | None = None) -> Compiled:
    """Compile one variant with the solc version its pragma (or target.json) asks for.

    Raises:
        InputError: the sources do not compile, or no pinned solc fits their pragma.
    """
    return compile_many([(target.variant_sources(variant), target.solc)], cache_dir=cache_dir)[0]


def compile_targets(targets: Sequence[Target], *, cache_dir: Path | None = None) -> None:
    """Compile every variant of many targets in one go (warms the cache; each solc loads once)."""
    compile_many([(t.variant_sources(v), t.solc) for t in targets for v in t.variants], cache_dir=cache_dir)


# -- deploying -------------------------------------------------------------
def _user_spec(compiled: Compiled, contract: str | None) -> dict[str, Any]:
    if contract is None:
        candidates = [
            c.name
            for c in compiled.contracts.values()
            if not any(i.get("type") == "constructor" and i.get("inputs") for i in c.abi)
        ]
        if not candidates:
            raise InputError("every contract takes constructor arguments; name the one to deploy")
        contract = min(candidates, key=lambda n: _declared_at(compiled, n))
    abi = compiled.contract(contract).abi
    wins: list[dict[str, Any]] = [{"kind": "attacker_profit", "min_profit": 0}]
    if any(i.get("name") == "owner" and not i.get("inputs") and i.get("type") == "function" for i in abi):
        wins.insert(0, {"kind": "privilege", "to": "$target", "fn": "owner"})
    return {
        "target": "target",
        "setup": [
            {"do": "deploy", "id": "target", "contract": contract, "from": "deployer"},
            {"do": "fund", "of": "$target", "value": USER_TARGET_BAIT},
        ],
        "functional": [],
        "win": wins,
    }


def _declared_at(compiled: Compiled, name: str) -> tuple[int, int]:
    """Where contract ``name`` is declared: (file order, offset in the file)."""
    source = compiled.contracts[name].source
    found = re.search(rf"\bcontract\s+{re.escape(name)}\b", compiled.sources[source])
    return list(compiled.sources).index(source), found.start() if found else 0


def deploy_target(
    chain: Chain,
    target: Target,
    variant: str,
    accounts: Roles | Mapping[str, LocalAccount] | Sequence[LocalAccount],
    *,
    home: Path | None = None,
    cache_dir: Path | None = None,
) -> Deployed:
    """Deploy a variant and run its setup (victim deposits, funding, helper contracts, pools).

    Args:
        accounts: the roles by name, or four accounts in the order deployer, victim, user, attacker.
        home: an AIWEB3_HOME to record helper deployments (Uniswap) in; default a temporary one.

    Raises:
        InputError: the target does not compile, or (fork targets) has no code at its address.
        CheckFailed: a setup step did not behave as target.json says.
    """
    roles = accounts if isinstance(accounts, Roles) else Roles.of(accounts)
    if target.address is not None:
        return _attach(chain, target, roles, cache_dir)
    compiled = compile_target(target, variant, cache_dir=cache_dir)
    spec = dict(target.spec) if target.spec is not None else _user_spec(compiled, target.contract)
    deployed = Deployed(chain, target, variant, roles, compiled, spec, {}, home=home)
    ctx = deployed.context()
    run_steps(ctx, "setup", list(spec["setup"]))
    deployed.contracts, deployed.saved, deployed.setup_txs = ctx.contracts, ctx.saved, ctx.tx_hashes
    return deployed


def _attach(chain: Chain, target: Target, roles: Roles, cache_dir: Path | None) -> Deployed:
    assert target.address is not None
    if not chain.code(target.address):
        raise InputError(
            f"no contract code at {target.address} on chain {chain.chain_id} (block "
            f"{chain.block_number()}); check the address and the fork's chain and block"
        )
    compiled: Compiled | None = None
    abi: list[dict[str, Any]] = []
    if target.sources:
        compiled = compile_target(target, target.variants[0], cache_dir=cache_dir)
        name = target.contract or _user_spec(compiled, None)["setup"][0]["contract"]
        abi = compiled.contract(name).abi
    wins: list[dict[str, Any]] = [{"kind": "attacker_profit", "min_profit": 0}]
    if any(i.get("name") == "owner" and not i.get("inputs") for i in abi):
        wins.insert(0, {"kind": "privilege", "to": "$target", "fn": "owner"})
    spec = {"target": "target", "setup": [], "functional": [], "win": wins}
    contracts = {"target": chain.contract(abi, target.address)}
    return Deployed(chain, target, "vulnerable", roles, compiled, spec, contracts)


# -- judging ---------------------------------------------------------------
def check_win(deployed: Deployed, attacker: str | LocalAccount, before: ValueSnapshot) -> WinResult:
    """Did the attacker win since ``before`` (a :meth:`Deployed.snapshot_value` of it)?

    Checks every win condition of the target in order and returns the first that holds; when none
    does, ``won`` is False and ``detail`` says what was measured.
    """
    who = to_checksum_address(attacker if isinstance(attacker, str) else attacker.address)
    after = deployed.snapshot_value(who)
    profit = after.wei - before.wei
    ctx = deployed.context()
    misses: list[str] = []
    for win in deployed.spec.get("win", []):
        kind = str(win["kind"])
        if kind == "attacker_profit":
            floor = ctx.amount(win.get("min_profit", 0))
            if profit > floor:
                return WinResult(True, kind, f"the attacker gained {profit} wei (more than {floor})", profit)
            misses.append(f"profit {profit} wei (needs > {floor})")
        elif kind == "privilege":
            key = _view_key(win)
            now = after.views.get(key, "")
            if now.lower() == who.lower() and before.views.get(key, "").lower() != who.lower():
                return WinResult(True, kind, f"{key} now returns the attacker {who}", profit)
            misses.append(f"{key} = {now}")
        elif kind == "invariant":
            broken = _invariant_broken(deployed, ctx, dict(win["check"]))
            says = str(win.get("says", "the invariant"))
            if broken is not None:
                return WinResult(True, kind, f"{says} broke: {broken}", profit)
            misses.append(f"{says} holds")
    kinds = [str(w["kind"]) for w in deployed.spec.get("win", [])]
    return WinResult(False, kinds[0] if kinds else "attacker_profit", "no win: " + "; ".join(misses), profit)


def _invariant_broken(deployed: Deployed, ctx: StepContext, check: dict[str, Any]) -> str | None:
    """Why an invariant check fails now, or None when it holds. A check that sends a transaction
    (``call``, ``send``) runs on a snapshot that is rolled back."""
    sends = check.get("do") in ("call", "send")
    snap = deployed.chain.snapshot() if sends else None
    try:
        run_step(ctx, "invariant", check)
    except CheckFailed as exc:
        return str(exc)
    finally:
        if snap is not None:
            deployed.chain.revert(snap)
    return None


def run_functional(deployed: Deployed) -> None:
    """Run the entry's legit-use checks on a snapshot of the chain, then roll back.

    Raises:
        CheckFailed: a check did not hold (the message names the step).
    """
    steps = list(deployed.spec.get("functional", []))
    if not steps:
        return
    snap = deployed.chain.snapshot()
    try:
        run_steps(deployed.context(), "functional", steps)
    finally:
        deployed.chain.revert(snap)
