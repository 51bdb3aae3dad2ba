"""Proven liquidation protection: the risk model, its guard contract, the keeper.

    model = build_risk_model(home)                    # compile the shipped network
    model_id = model.register(chain, deployer)        # commit it in the ModelRegistry
    guard = deploy_guard(chain, deployer, market, model, registry)
    guard.enroll(borrower, "repay", budget)           # the borrower authorises it
    ProtectionKeeper(guard, model).step(keeper, borrower.address)  # prove + act when needed

The model (2 -> 16 -> 16 -> 1 ReLU network) maps the two inputs LiquidationGuard recomputes on
chain (health factor, spot / TWAP - 1) to the share of the debt to repay. It is trained (seeded;
``python -m aiweb3.defi.lending_train``) to reproduce ``forward_rule`` at the parameters tuned
on training crash paths (see :mod:`aiweb3.defi.protect_sim`). Its inputs are public instances
of the proof, so the guard checks them against the chain state of the block it runs in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.chain import Chain, artifact, checksum
from aiweb3.chain.client import Receipt
from aiweb3.defi.lending import MAX_UINT, LendingMarket
from aiweb3.defi.lending_models import Network, fit_network, forward, network_onnx, read_network
from aiweb3.defi.protect_sim import PathConfig, Policy, forward_rule, tune_forward_rule
from aiweb3.errors import InputError
from aiweb3.zkml import FIELD_MODULUS, CompiledModel, CompileOptions, InferenceProof, Model

__all__ = [
    "SHIPPED_RISK",
    "TRAIN_SEEDS",
    "GuardClient",
    "KeeperStep",
    "ProtectionKeeper",
    "RiskModel",
    "RiskPolicy",
    "build_risk_model",
    "calibration_samples",
    "deploy_guard",
    "load_risk_policy",
    "model_policy",
    "risk_onnx",
    "train_risk_network",
]

#: Crash-path seeds the rule is tuned on; benchmarks and reports use other seeds.
TRAIN_SEEDS = range(10_000, 10_100)
MODES = {"repay": 1, "collateral": 2}
#: The trained risk network shipped with aiweb3 (``python -m aiweb3.defi.lending_train`` rewrites it).
SHIPPED_RISK = Path(__file__).resolve().parent / "models" / "liquidation_risk.onnx"


@dataclass(frozen=True)
class RiskPolicy:
    """The tuned forward rule the network imitates, and the network's weights."""

    trigger: float
    target: float
    weights: Network

    def network(self, x: np.ndarray) -> np.ndarray:
        """The network's output for inputs of shape (n, 2)."""
        return forward(self.weights, x)


def _training_set(policy: Policy, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    hf = np.concatenate([rng.uniform(0.95, 2.0, n * 3 // 4), rng.uniform(2.0, 4.0, n - n * 3 // 4)])
    move = np.concatenate([rng.uniform(-0.5, 0.1, n // 2), rng.uniform(-0.08, 0.08, n - n // 2)])
    x = np.stack([hf, move], axis=1)
    y = np.array([[policy(float(a), float(b))] for a, b in x])
    return x, y


def train_risk_network(config: PathConfig | None = None, *, seed: int = 7, epochs: int = 3000) -> RiskPolicy:
    """Tune the forward rule on :data:`TRAIN_SEEDS`, then fit the network to it."""
    trigger, target = tune_forward_rule(TRAIN_SEEDS, config or PathConfig())
    x, y = _training_set(forward_rule(trigger, target), np.random.default_rng(seed), 4000)
    return RiskPolicy(trigger, target, fit_network(x, y, seed=seed, epochs=epochs))


@dataclass(frozen=True)
class RiskModel:
    """The compiled risk model and the fixed-point scales the guard needs."""

    compiled: CompiledModel
    policy: RiskPolicy
    input_scale: int
    output_scale: int

    @property
    def model_id(self) -> str:
        """The model commitment (ModelRegistry id)."""
        return self.compiled.model_id

    def register(self, chain: Chain, signer: LocalAccount) -> str:
        """Register the model in the system ModelRegistry of its home (no-op when registered)."""
        from aiweb3.zkml import ModelRegistryClient

        registry = ModelRegistryClient.from_home(chain, self.compiled.home)
        if any(m.model_id.lower() == self.model_id.lower() for m in registry.models()):
            return self.model_id
        return self.compiled.register(chain, signer, name="liquidation-risk")

    def share(self, hf_input: float, move_input: float) -> float:
        """The circuit's output (the share of the debt to repay) for one input, without proving."""
        from aiweb3.zkml import run

        return float(run(self.compiled, [[[hf_input, move_input]]])[0][0][0])


def calibration_samples(count: int = 24, seed: int = 3) -> list[list[list[float]]]:
    """Inputs spread over the range the guard feeds the model."""
    rng = np.random.default_rng(seed)
    corners = [[0.9, -0.5], [4.0, 0.5], [4.0, -0.5], [0.9, 0.5]]
    rows = corners + [[float(rng.uniform(0.9, 4.0)), float(rng.uniform(-0.5, 0.5))] for _ in range(count)]
    return [[row] for row in rows]


def risk_onnx(policy: RiskPolicy) -> bytes:
    """The risk network as ONNX (input ``features`` [1, 2], output ``share`` [1, 1]), with the
    rule it imitates in its metadata."""
    meta = {"trigger": str(policy.trigger), "target": str(policy.target), "train_seeds": "10000-10099"}
    return network_onnx(policy.weights, "liquidation_risk", "features", "share", meta)


def load_risk_policy(path: Path = SHIPPED_RISK) -> RiskPolicy:
    """The risk network from its ONNX file (by default the one shipped with aiweb3)."""
    weights, meta = read_network(path)
    try:
        return RiskPolicy(float(meta["trigger"]), float(meta["target"]), weights)
    except (KeyError, ValueError):
        raise InputError(f"{path} lacks the trigger/target metadata of a risk model") from None


def build_risk_model(home: Path | str, onnx_path: Path = SHIPPED_RISK) -> RiskModel:
    """Compile the risk network with public inputs (reused when already compiled in ``home``)."""
    policy = load_risk_policy(onnx_path)
    compiled = Model.from_onnx(onnx_path, home=home).compile(
        calibration_samples(), CompileOptions(input_visibility="public")
    )
    settings = json.loads(compiled.artifact_path("settings").read_text())
    input_scale = int((settings.get("model_input_scales") or [settings["run_args"]["input_scale"]])[0])
    return RiskModel(compiled, policy, input_scale, int(compiled.output_scales[0]))


def _signed(felt: int) -> int:
    return felt - FIELD_MODULUS if felt > FIELD_MODULUS // 2 else felt


class GuardClient:
    """Client of one deployed LiquidationGuard."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.contract: Contract = chain.contract(artifact("LiquidationGuard").abi, address)
        self.address = self.contract.address
        self.market = LendingMarket(chain, chain.call(self.contract.functions.market()))
        self.input_scale = int(chain.call(self.contract.functions.inputScale()))

    def enroll(self, borrower: LocalAccount, mode: str, budget: int) -> Receipt:
        """Authorise the guard for ``borrower``'s position: ``repay`` (spends debt tokens) or
        ``collateral`` (adds collateral tokens), at most ``budget`` tokens in all."""
        if mode not in MODES:
            raise InputError(f"protection mode must be repay or collateral, not {mode!r}")
        if budget <= 0:
            raise InputError("the protection budget must be a positive token amount")
        token = self.market.debt if mode == "repay" else self.market.collateral
        if int(self.chain.call(token.functions.allowance(borrower.address, self.address))) < budget:
            self.chain.transact(borrower, token.functions.approve(self.address, MAX_UINT))
        return self.chain.transact(borrower, self.contract.functions.enroll(MODES[mode], budget))

    def inputs(self, borrower: str) -> tuple[int, int]:
        """The model's inputs for ``borrower`` now, as the field elements a proof must carry."""
        hf, move = self.chain.call(self.contract.functions.currentInputs(checksum(borrower)))
        return int(hf), int(move)

    def input_values(self, borrower: str) -> list[float]:
        """The same inputs as the exact floats to prove (quantizing them gives the field elements)."""
        return [_signed(q) / float(1 << self.input_scale) for q in self.inputs(borrower)]

    def protect(self, keeper: LocalAccount, borrower: str, proof: InferenceProof) -> Receipt:
        """Send ``protect`` with a proof of the guard's model."""
        fn = self.contract.functions.protect(checksum(borrower), proof.proof, proof.instances)
        return self.chain.transact(keeper, fn)

    def budget(self, borrower: str) -> int:
        """Tokens the guard may still spend for ``borrower``."""
        return int(self.chain.call(self.contract.functions.plans(checksum(borrower)))[2])


def deploy_guard(
    chain: Chain, signer: LocalAccount, market: LendingMarket, model: RiskModel, registry: str
) -> GuardClient:
    """Deploy a LiquidationGuard for ``market`` that acts on proofs of ``model``."""
    art = artifact("LiquidationGuard")
    address, _ = chain.deploy(
        signer,
        art.abi,
        art.bytecode,
        market.address,
        checksum(registry),
        bytes.fromhex(model.model_id[2:]),
        model.input_scale,
        model.output_scale,
    )
    return GuardClient(chain, address)


@dataclass(frozen=True)
class KeeperStep:
    """What one keeper step did."""

    inputs: list[float]
    share: float
    acted: bool
    gas_used: int | None = None
    proof: InferenceProof | None = None


class ProtectionKeeper:
    """Off-chain keeper: reads the guard's inputs, proves the model on them, acts when it says so."""

    def __init__(self, guard: GuardClient, model: RiskModel) -> None:
        self.guard = guard
        self.model = model

    def step(self, keeper: LocalAccount, borrower: str) -> KeeperStep:
        """One check of ``borrower``: prove and send ``protect`` when the share is worth acting on."""
        values = self.guard.input_values(borrower)
        share = self.model.share(*values)
        if share < 0.01:
            return KeeperStep(values, share, False)
        proof = self.model.compiled.prove([values])
        receipt = self.guard.protect(keeper, borrower, proof)
        return KeeperStep(values, proof.outputs[0][0], True, int(receipt["gasUsed"]), proof)


def model_policy(policy: RiskPolicy) -> Policy:
    """The network (float) as a simulation policy."""

    def act(hf: float, move: float) -> float:
        return float(policy.network(np.array([[hf, move]], dtype=np.float32))[0, 0])

    return act
