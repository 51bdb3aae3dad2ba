"""Contract artifacts (compiled by ``contracts/build.mjs``) and system deployments.

Artifacts live in ``aiweb3/contracts/artifacts/<Name>.json``. Deployments are recorded per
chain id in ``<home>/deployments/<chain_id>.json``; before a recorded deployment is reused,
the code at its address is re-hashed and compared with the hash recorded at deploy time,
and the artifact's bytecode hash with the one it was deployed from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract

from aiweb3.chain.client import Chain
from aiweb3.errors import ContractError, DeploymentError, StaleArtifact
from aiweb3.files import atomic_write_json

__all__ = [
    "SYSTEM_CONTRACTS",
    "Artifact",
    "Deployment",
    "Deployments",
    "SystemContract",
    "all_artifacts",
    "artifact",
    "check_artifacts_fresh",
    "deploy_system",
    "system_contract",
    "vendor_artifacts",
]

ARTIFACTS_DIR = Path(__file__).resolve().parent.parent / "contracts" / "artifacts"
#: Audited third-party builds deployed as shipped (copied from npm by ``contracts/vendor.py``).
VENDOR_DIR = ARTIFACTS_DIR / "vendor"


@dataclass(frozen=True)
class Artifact:
    """A compiled contract: ABI, creation bytecode and provenance."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    compiler: str
    source_file: str
    source_hash: str
    build_hash: str

    @property
    def bytecode_hash(self) -> str:
        """keccak256 of the creation bytecode (names the exact build that was deployed)."""
        return "0x" + keccak(hexstr=self.bytecode).hex()


@cache
def all_artifacts() -> dict[str, Artifact]:
    """Every committed artifact by contract name."""
    out: dict[str, Artifact] = {}
    for path in sorted(ARTIFACTS_DIR.glob("*.json")):
        data = json.loads(path.read_text())
        out[data["contractName"]] = Artifact(
            name=data["contractName"],
            abi=data["abi"],
            bytecode=data["bytecode"],
            deployed_bytecode=data["deployedBytecode"],
            compiler=data["compiler"],
            source_file=data["sourceFile"],
            source_hash=data["sourceHash"],
            build_hash=data["buildHash"],
        )
    return out


@cache
def vendor_artifacts() -> dict[str, Artifact]:
    """Every vendored artifact (the EAS contracts) by contract name: compiled by their authors,
    copied from their npm package; ``compiler`` names the package and version."""
    out: dict[str, Artifact] = {}
    for path in sorted(VENDOR_DIR.glob("*.json")):
        data = json.loads(path.read_text())
        out[data["contractName"]] = Artifact(
            name=data["contractName"],
            abi=data["abi"],
            bytecode=data["bytecode"],
            deployed_bytecode=data["deployedBytecode"],
            compiler=f"npm {data['npmPackage']}@{data['npmVersion']}",
            source_file=data["npmPath"],
            source_hash="",
            build_hash="",
        )
    return out


def artifact(name: str) -> Artifact:
    """One artifact by contract name (ours, or a vendored one such as ``EAS``)."""
    found = all_artifacts().get(name) or vendor_artifacts().get(name)
    if found is None:
        known = ", ".join(sorted({*all_artifacts(), *vendor_artifacts()})) or "none"
        raise ContractError(f"no artifact for contract {name!r} (known: {known})")
    return found


def check_artifacts_fresh(contracts_dir: Path) -> None:
    """Raise :class:`StaleArtifact` unless every artifact matches ``contracts_dir`` sources.

    Mirrors the hashes ``contracts/build.mjs`` records: ``sourceHash`` per source file and
    ``buildHash`` over the compiler version, ``solc-settings.json`` and all sources.
    """
    settings = (contracts_dir / "solc-settings.json").read_text()
    sources = sorted((contracts_dir / "src").glob("*.sol"))
    arts = all_artifacts()
    if not arts:
        raise StaleArtifact("no artifacts; run `make artifacts`")
    compiler = next(iter(arts.values())).compiler.removeprefix("solc-js ")
    build = hashlib.sha256(f"{compiler}\0{settings}\0".encode())
    for src in sources:
        build.update(f"src/{src.name}\0{src.read_text()}\0".encode())
    build_hash = build.hexdigest()
    for art in arts.values():
        src = contracts_dir.parent / art.source_file
        if not src.is_file():
            raise StaleArtifact(f"{art.name}: source {art.source_file} is gone; run `make artifacts`")
        if hashlib.sha256(src.read_bytes()).hexdigest() != art.source_hash:
            raise StaleArtifact(f"{art.name} is older than {art.source_file}; run `make artifacts`")
        if art.build_hash != build_hash:
            raise StaleArtifact(f"{art.name} was built from other sources; run `make artifacts`")


@dataclass(frozen=True)
class SystemContract:
    """A contract `aiweb3 deploy` manages; ``args`` builds constructor arguments from the
    addresses deployed before it (by name)."""

    name: str
    args: Callable[[dict[str, str]], list[Any]] = lambda deployed: []


#: The system contracts in deployment order. Features add theirs here.
SYSTEM_CONTRACTS: list[SystemContract] = [
    SystemContract("AIUSD"),
    SystemContract("CreatorRegistry"),
    SystemContract("IssuerRegistry"),
    SystemContract("DatasetPool", args=lambda d: [d["AIUSD"], d["IssuerRegistry"]]),
    # zkml: the ezkl reusable Halo2 verifier and the model registry that uses it
    SystemContract("Halo2VerifierReusable"),
    SystemContract("ModelRegistry", args=lambda deployed: [deployed["Halo2VerifierReusable"]]),
    # attestations (audits): the Ethereum Attestation Service, deployed from its npm artifacts
    SystemContract("SchemaRegistry"),
    SystemContract("EAS", args=lambda d: [d["SchemaRegistry"]]),
    # agents: proof-gated escrow release calls ModelRegistry.verifyInference; a task may also
    # require an EAS model audit
    SystemContract("TaskEscrow", args=lambda d: [d["AIUSD"], d["ModelRegistry"], d["EAS"]]),
    SystemContract("AgentRegistry", args=lambda d: [d["TaskEscrow"]]),
    # privacy: stealth addresses (the ERC-6538 meta-address registry and the ERC-5564 announcer)
    SystemContract("ERC6538Registry"),
    SystemContract("ERC5564Announcer"),
]


@dataclass(frozen=True)
class Deployment:
    """A recorded deployment."""

    name: str
    address: str
    code_hash: str
    bytecode_hash: str
    tx_hash: str
    block: int


class Deployments:
    """The deployments file of one chain: ``<home>/deployments/<chain_id>.json``."""

    def __init__(self, home: Path, chain_id: int) -> None:
        self.path = Path(home) / "deployments" / f"{chain_id}.json"
        self.chain_id = chain_id

    def load(self) -> dict[str, Deployment]:
        """Every recorded deployment by name (empty if none)."""
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except ValueError as exc:
            raise DeploymentError(
                f"{self.path} is not valid JSON; delete it and run `aiweb3 deploy` again"
            ) from exc
        return {name: Deployment(**entry) for name, entry in data.items()}

    def save(self, deployments: dict[str, Deployment]) -> None:
        """Write atomically."""
        atomic_write_json(self.path, {n: d.__dict__ for n, d in sorted(deployments.items())})

    def address(self, name: str) -> str:
        """The recorded address of ``name``; raises DeploymentError when not deployed."""
        dep = self.load().get(name)
        if dep is None:
            raise DeploymentError(f"{name} is not deployed on chain {self.chain_id}; run `aiweb3 deploy`")
        return dep.address


def _code_hash(chain: Chain, address: str) -> str:
    return "0x" + keccak(chain.code(address)).hex()


def deploy_system(
    chain: Chain,
    deployer: LocalAccount,
    home: Path,
    *,
    contracts: list[SystemContract] | None = None,
    on_progress: Callable[[str, str], None] | None = None,
) -> dict[str, Deployment]:
    """Deploy the system contracts idempotently.

    A recorded deployment is reused when the code at its address still hashes to the
    recorded code hash and it was deployed from the current artifact; otherwise the
    contract is deployed again (and contracts after it that take its address too).

    When EAS is among them, the aiweb3 attestation schemas are registered too.

    Returns:
        The deployments by name. ``on_progress(name, "reused"|"deployed")`` reports each.
    """
    book = Deployments(home, chain.chain_id)
    recorded = book.load()
    result: dict[str, Deployment] = {}
    changed = False
    for spec in contracts if contracts is not None else SYSTEM_CONTRACTS:
        art = artifact(spec.name)
        old = recorded.get(spec.name)
        if (
            old is not None
            and not changed
            and old.bytecode_hash == art.bytecode_hash
            and _code_hash(chain, old.address) == old.code_hash
        ):
            result[spec.name] = old
            if on_progress:
                on_progress(spec.name, "reused")
            continue
        args = spec.args({n: d.address for n, d in result.items()})
        address, receipt = chain.deploy(deployer, art.abi, art.bytecode, *args)
        result[spec.name] = Deployment(
            name=spec.name,
            address=address,
            code_hash=_code_hash(chain, address),
            bytecode_hash=art.bytecode_hash,
            tx_hash=str(receipt["transactionHash"]),
            block=int(receipt["blockNumber"]),
        )
        changed = True  # later contracts may hold this address: redeploy them too
        book.save({**recorded, **result})
        if on_progress:
            on_progress(spec.name, "deployed")
    if "EAS" in result:  # the aiweb3 attestation schemas (registered once; idempotent)
        from aiweb3.chain.eas import register_aiweb3_schemas

        register_aiweb3_schemas(chain, deployer, result["EAS"].address)
    return result


def system_contract(chain: Chain, home: Path, name: str) -> Contract:
    """A web3 contract object for a deployed system contract."""
    return chain.contract(artifact(name).abi, Deployments(home, chain.chain_id).address(name))
