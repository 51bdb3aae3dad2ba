"""The shielded pool's proving side: the circuit's artifacts, Poseidon, Merkle roots and Groth16
proofs, all computed by ``circuits/pool.mjs`` (Poseidon with circomlib's parameters and constants,
snarkjs for proofs): one Poseidon implementation, checked against circomlib's test vectors and
against the roots the on-chain hasher (circomlibjs's generated contract) computes.

Artifacts come from the package (``privacy/zk/``: a local, development-only trusted setup made
at build time by ``circuits/setup.mjs``) or, after ``aiweb3 privacy setup --ptau FILE``, from
``<home>/privacy/zk`` (phase 2 over a ceremony's powers of tau), which then takes precedence.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import keccak

from aiweb3.errors import ConfigError, InputError, ProofError
from aiweb3.tools import node_modules

__all__ = [
    "FIELD_SIZE",
    "LEVELS",
    "ZERO_LEAF",
    "WithdrawalWitness",
    "ZkArtifacts",
    "check_zk_fresh",
    "circuit_input",
    "merkle_root",
    "note_hashes",
    "prove_withdrawal",
    "run_setup",
    "verify_withdrawal",
    "zk_artifacts",
]

#: the BN254 scalar field: every public signal and Poseidon input is below it
FIELD_SIZE = 21888242871839275222246405745257275088548364400416034343698204186575808495617
LEVELS = 20
#: the empty leaf, as ShieldedPool.ZERO_LEAF
ZERO_LEAF = int.from_bytes(keccak(text="aiweb3.shielded-pool"), "big") % FIELD_SIZE

CIRCUITS = Path(__file__).resolve().parent / "circuits"
PACKAGED = Path(__file__).resolve().parent / "zk"
_POOL_SCRIPT = CIRCUITS / "pool.mjs"
_SETUP_SCRIPT = CIRCUITS / "setup.mjs"


@dataclass(frozen=True)
class ZkArtifacts:
    """One trusted setup's files: the witness generator, proving key, verification key, and the
    verifier contract (``verifier.json``; None for the packaged setup, whose verifier is the
    committed ``ShieldedPoolVerifier`` artifact)."""

    root: Path
    manifest: dict[str, Any]

    @property
    def wasm(self) -> Path:
        """The witness generator (circom's WebAssembly)."""
        return self.root / "withdraw.wasm"

    @property
    def zkey(self) -> Path:
        """The Groth16 proving key."""
        return self.root / "withdraw.zkey"

    @property
    def vkey(self) -> Path:
        """The verification key (JSON)."""
        return self.root / "vkey.json"

    @property
    def local_setup(self) -> bool:
        """True when phase 1 was made locally (insecure: development only)."""
        return str(self.manifest.get("phase1", {}).get("source", "")).startswith("local")

    def verifier(self) -> tuple[list[dict[str, Any]], str] | None:
        """(abi, bytecode) of this setup's own verifier, or None for the packaged one."""
        path = self.root / "verifier.json"
        if not path.is_file():
            return None
        data = json.loads(path.read_text())
        return list(data["abi"]), str(data["bytecode"])


def _load(root: Path) -> ZkArtifacts:
    try:
        manifest = json.loads((root / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"no usable pool setup in {root} ({exc}); run `aiweb3 privacy setup --ptau FILE` again"
        ) from None
    return ZkArtifacts(root, manifest)


def zk_artifacts(home: Path | None = None) -> ZkArtifacts:
    """The setup in use: ``<home>/privacy/zk`` if ``aiweb3 privacy setup`` made one, else the packaged one."""
    if home is not None and (Path(home) / "privacy" / "zk" / "manifest.json").is_file():
        return _load(Path(home) / "privacy" / "zk")
    return _load(PACKAGED)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise ConfigError("node (Node.js 20+) is not on PATH; install it and run `make setup`")
    return node


def _pool_script(request: dict[str, Any], *, timeout: float = 600.0) -> dict[str, Any]:
    try:
        proc = subprocess.run(
            [_node(), str(_POOL_SCRIPT), "--node-modules", str(node_modules())],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ProofError(f"the pool prover took longer than {timeout:.0f} s") from None
    if proc.returncode != 0:
        reason = proc.stderr.strip().splitlines()[-1:] or ["no output"]
        raise ProofError(f"the pool prover failed on {request['command']!r}: {reason[0][:300]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def note_hashes(nullifier: int, secret: int) -> tuple[int, int]:
    """(commitment, nullifierHash) = (Poseidon(nullifier, secret), Poseidon(nullifier))."""
    for name, value in (("nullifier", nullifier), ("secret", secret)):
        if not 0 < value < FIELD_SIZE:
            raise InputError(f"the note's {name} is not a field element")
    out = _pool_script({"command": "note", "nullifier": str(nullifier), "secret": str(secret)})
    return int(out["commitment"]), int(out["nullifierHash"])


def merkle_root(leaves: list[int]) -> int:
    """The root of the depth-20 Poseidon tree holding ``leaves`` (then empty leaves)."""
    out = _pool_script({"command": "root", "leaves": [str(x) for x in leaves], "zero": str(ZERO_LEAF),
                        "levels": LEVELS})  # fmt: skip
    return int(out["root"])


@dataclass(frozen=True)
class WithdrawalWitness:
    """What a withdrawal proof is made from: both trees, the note's place in each, its secrets
    and the payout it binds."""

    leaves: list[int]
    index: int
    association_leaves: list[int]
    association_index: int
    nullifier: int
    secret: int
    recipient: str
    relayer: str
    fee: int
    chain_id: int
    pool: str

    def request(self, command: str) -> dict[str, Any]:
        """The pool script's request for ``command`` ("input" or "prove")."""
        return {
            "command": command,
            "zero": str(ZERO_LEAF),
            "levels": LEVELS,
            "leaves": [str(x) for x in self.leaves],
            "index": self.index,
            "associationLeaves": [str(x) for x in self.association_leaves],
            "associationIndex": self.association_index,
            "nullifier": str(self.nullifier),
            "secret": str(self.secret),
            "recipient": str(int(self.recipient, 16)),
            "relayer": str(int(self.relayer, 16)),
            "fee": str(self.fee),
            "chainId": str(self.chain_id),
            "pool": str(int(self.pool, 16)),
        }


def circuit_input(witness: WithdrawalWitness) -> dict[str, Any]:
    """The circuit's input JSON (what ``snarkjs groth16 fullprove`` takes)."""
    return _pool_script(witness.request("input"))


def prove_withdrawal(zk: ZkArtifacts, witness: WithdrawalWitness) -> tuple[list[int], list[int]]:
    """A Groth16 proof (eight numbers in the Solidity verifier's order) and its public signals
    ``[root, nullifierHash, recipient, relayer, fee, chainId, pool, associationRoot]``."""
    out = _pool_script({**witness.request("prove"), "wasm": str(zk.wasm), "zkey": str(zk.zkey)})
    return [int(x) for x in out["proof"]], [int(x) for x in out["publicSignals"]]


def verify_withdrawal(zk: ZkArtifacts, proof: list[int], public_signals: list[int]) -> bool:
    """Check a proof against the setup's verification key (off chain, with snarkjs)."""
    if len(proof) != 8 or len(public_signals) != 8:
        return False
    if any(not 0 <= x < 2**256 for x in proof) or any(not 0 <= x < FIELD_SIZE for x in public_signals):
        return False
    try:
        out = _pool_script({"command": "verify", "vkey": str(zk.vkey), "proof": [str(x) for x in proof],
                            "publicSignals": [str(x) for x in public_signals]})  # fmt: skip
    except ProofError:
        return False  # a malformed proof (a point off the curve) is simply not valid
    return bool(out["valid"])


def run_setup(out: Path, *, ptau: Path | None = None, verifier_sol: Path | None = None,
              compile_verifier: bool = False, timeout: float = 3600.0) -> dict[str, Any]:  # fmt: skip
    """Compile the circuit and make a Groth16 setup into ``out`` (phase 1 from ``ptau``, or a
    local insecure one without it). Returns the manifest."""
    if ptau is not None and not Path(ptau).is_file():
        raise InputError(f"no powers-of-tau file at {ptau}; pass a .ptau from a ceremony")
    cmd = [_node(), str(_SETUP_SCRIPT), "--node-modules", str(node_modules()), "--out", str(out)]
    if ptau is not None:
        cmd += ["--ptau", str(ptau)]
    if verifier_sol is not None:
        cmd += ["--verifier-sol", str(verifier_sol)]
    if compile_verifier:
        cmd.append("--compile-verifier")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ProofError(f"the pool setup took longer than {timeout:.0f} s") from None
    if proc.returncode != 0:
        lines = [line for line in proc.stderr.splitlines() if "failed" in line] or proc.stderr.splitlines()[
            -1:
        ]
        hint = " (is the ptau file big enough: 2^14 constraints, and prepared for phase 2?)" if ptau else ""
        raise ProofError(f"pool setup failed: {(lines or ['no output'])[0][:300]}{hint}")
    manifest: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return manifest


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_zk_fresh(zk: ZkArtifacts | None = None, verifier_sol: Path | None = None) -> None:
    """Raise ProofError unless the packaged artifacts were built from the current circuit source
    and are the files the manifest names (and ``verifier_sol``, if given, is their verifier)."""
    zk = zk or zk_artifacts()
    if zk.manifest.get("circuitSha256") != _sha256(CIRCUITS / "withdraw.circom"):
        raise ProofError("the pool artifacts are older than withdraw.circom; run `make pool-setup`")
    for name, digest in dict(zk.manifest.get("files", {})).items():
        if not (zk.root / name).is_file() or _sha256(zk.root / name) != digest:
            raise ProofError(f"{zk.root / name} does not match its manifest; run `make pool-setup`")
    if verifier_sol is not None and _sha256(verifier_sol) != zk.manifest["files"]["verifier.sol"]:
        raise ProofError(f"{verifier_sol} is not the verifier of the pool setup; run `make pool-setup`")
