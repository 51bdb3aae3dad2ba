"""The StructuredVault client: deploy, deposit, withdraw, allocate (proven or not), the keeper.

A structured vault splits its value each epoch between a Uniswap v3 position and the
LendingMarket (see ``contracts/src/StructuredVault.sol``). In proven mode the split is accepted
only with a proof, verified through the ModelRegistry, that the vault's registered allocation
model produced it from the inputs the vault recomputes from chain state.
:class:`AllocationKeeper` reads those inputs, proves the model on them and submits the proof.

    model = prepare_allocation_model(chain, owner, home, default_price_model())
    vault = StructuredVault.deploy(chain, owner, pool, market, keeper=owner.address,
                                   model=model, registry=system_registry(chain, home))
    vault.deposit(alice, assets, others); AllocationKeeper(vault, model, keeper).allocate()
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.chain import Chain, artifact, checksum
from aiweb3.chain.client import Receipt
from aiweb3.defi.lending import LendingMarket
from aiweb3.defi.market import PriceModel
from aiweb3.defi.structured_model import (
    FEATURE_DIVISOR,
    AllocationConfig,
    allocation_onnx,
    allocation_training_set,
    train_allocation,
)
from aiweb3.defi.uniswap import Pool, approve_max
from aiweb3.errors import InputError
from aiweb3.zkml import (
    FIELD_MODULUS,
    CompiledModel,
    CompileOptions,
    InferenceProof,
    Model,
    ModelRegistryClient,
)

__all__ = [
    "AllocationKeeper",
    "StructuredConfig",
    "StructuredVault",
    "compile_allocation_model",
    "prepare_allocation_model",
]

_ZERO32 = b"\0" * 32
_ZERO_ADDRESS = "0x" + "00" * 20


@dataclass(frozen=True)
class StructuredConfig:
    """Vault parameters: TWAP window and epoch (seconds), the TWAP deviation guard (ticks), the
    liquidity half-width (ticks, 0: full range) and the most a rebalancing swap may move the
    price (ticks)."""

    twap_window: int = 6 * 3600
    epoch_seconds: int = 24 * 3600
    max_twap_deviation: int = 600
    lp_half_width: int = 0
    max_slippage: int = 200


class StructuredVault:
    """A handle on one deployed StructuredVault."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address = checksum(address)
        self.contract: Contract = chain.contract(artifact("StructuredVault").abi, self.address)
        fns = self.contract.functions
        self.pool = Pool(chain, str(chain.call(fns.pool())))
        self.market = LendingMarket(chain, str(chain.call(fns.market())))
        self.asset = checksum(str(chain.call(fns.asset())))
        self.other = checksum(str(chain.call(fns.other())))

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        deployer: LocalAccount,
        pool: Pool,
        market: LendingMarket,
        *,
        keeper: str,
        config: StructuredConfig = StructuredConfig(),
        model: CompiledModel | None = None,
        registry: str | None = None,
    ) -> StructuredVault:
        """Deploy a vault over ``pool`` and ``market``: proven mode with ``model`` (registered in
        ``registry``), else unproven (the keeper names each allocation)."""
        if config.lp_half_width % pool.tick_spacing or config.lp_half_width < 0:
            raise InputError(
                f"the liquidity half-width must be a non-negative multiple of {pool.tick_spacing}"
            )
        if config.max_slippage <= 0 or config.epoch_seconds < 0 or config.twap_window <= 0:
            raise InputError("slippage and the TWAP window must be positive, the epoch non-negative")
        model_id, output_scale, input_shift = _ZERO32, 0, 0
        if model is not None:
            if registry is None:
                raise InputError("a proven structured vault needs the ModelRegistry address")
            model_id = bytes.fromhex(model.model_id.removeprefix("0x"))
            output_scale = int(model.output_scales[0])
            input_shift = _input_scale(model) - FEATURE_DIVISOR.bit_length() + 1
            if input_shift < 0 or model.input_instances != 3:
                raise InputError("the allocation model must take 3 public inputs at input scale >= 7")
        art = artifact("StructuredVault")
        params = (
            pool.address, market.address, checksum(registry) if registry else _ZERO_ADDRESS, model_id,
            checksum(keeper), config.twap_window, config.epoch_seconds, config.max_twap_deviation,
            config.lp_half_width, config.max_slippage, output_scale, input_shift,
        )  # fmt: skip
        address, _ = chain.deploy(deployer, art.abi, art.bytecode, params)
        return cls(chain, address)

    # -- reads ------------------------------------------------------------------
    def total_amounts(self) -> tuple[int, int]:
        """(assets, others): idle, lent (interest included) and in the position with its fees."""
        a, o = self.chain.call(self.contract.functions.totalAmounts())
        return int(a), int(o)

    def features(self) -> list[int]:
        """The model's inputs now: TWAP volatility (ticks), utilisation and supply rate (bps)."""
        return [int(v) for v in self.chain.call(self.contract.functions.features())]

    def allocation_bps(self) -> int:
        """The share of value put into liquidity at the last epoch (basis points)."""
        return int(self.chain.call(self.contract.functions.allocationBps()))

    def lent(self) -> int:
        """Assets the vault has supplied to the market, interest included."""
        return self.market.supplied(self.address)

    def shares_of(self, owner: str) -> int:
        """Shares ``owner`` holds."""
        return int(self.chain.call(self.contract.functions.balanceOf(checksum(owner))))

    # -- writes -----------------------------------------------------------------
    def deposit(
        self, signer: LocalAccount, assets: int, others: int, *, min_assets: int = 0, min_others: int = 0
    ) -> tuple[int, int, int]:
        """Deposit up to the amounts (approving the vault); returns (shares, assets, others)."""
        for token in (self.asset, self.other):
            approve_max(self.chain, signer, token, self.address)
        fn = self.contract.functions.deposit(assets, others, min_assets, min_others, signer.address)
        event = self.chain.events(self.contract, "Deposit", self.chain.transact(signer, fn))[0]
        return int(event["shares"]), int(event["assets"]), int(event["others"])

    def withdraw(
        self, signer: LocalAccount, shares: int, *, min_assets: int = 0, min_others: int = 0
    ) -> tuple[int, int]:
        """Burn shares for their part of everything; returns (assets, others) paid out."""
        fn = self.contract.functions.withdraw(shares, min_assets, min_others, signer.address)
        event = self.chain.events(self.contract, "Withdraw", self.chain.transact(signer, fn))[0]
        return int(event["assets"]), int(event["others"])

    def allocate(self, keeper: LocalAccount, bps: int) -> Receipt:
        """Unproven mode: the keeper puts ``bps`` / 10,000 of the value into liquidity."""
        return self.chain.transact(keeper, self.contract.functions.allocate(bps))

    def allocate_with_proof(self, signer: LocalAccount, proof: InferenceProof) -> Receipt:
        """Proven mode: submit the allocation model's proof (anyone may)."""
        instances = [int(v) for v in proof.instances]
        return self.chain.transact(signer, self.contract.functions.allocateWithProof(proof.proof, instances))


def _input_scale(model: CompiledModel) -> int:
    settings = json.loads(model.artifact_path("settings").read_text())
    scales = settings.get("model_input_scales") or [settings["run_args"]["input_scale"]]
    return int(scales[0])


def _decode_field(value: int) -> int:
    return value - FIELD_MODULUS if value > FIELD_MODULUS // 2 else value


class AllocationKeeper:
    """Off-chain keeper of a proven structured vault: reads the inputs, proves, submits."""

    def __init__(self, vault: StructuredVault, model: CompiledModel, signer: LocalAccount) -> None:
        self.vault = vault
        self.model = model
        self.signer = signer
        self.prove_seconds = 0.0

    def propose(self) -> InferenceProof:
        """A proof of the allocation model on the vault's inputs now."""
        x = self.vault.features()
        started = time.perf_counter()
        proof = self.model.prove([[v / FEATURE_DIVISOR for v in x]])
        self.prove_seconds += time.perf_counter() - started
        return proof

    def allocation(self, proof: InferenceProof) -> float:
        """The model's decision in the proof: the share of value for liquidity."""
        return float(_decode_field(int(proof.instances[3])) / 2 ** int(self.model.output_scales[0]))

    def allocate(self) -> Receipt:
        """Prove and allocate; the vault checks the inputs against chain state and the proof."""
        return self.vault.allocate_with_proof(self.signer, self.propose())


def compile_allocation_model(onnx_path: Path, home: Path | str) -> CompiledModel:
    """Compile an allocation network with public inputs (reused when already compiled)."""
    samples = [[[v / FEATURE_DIVISOR for v in row]] for row in _CALIBRATION]
    return Model.from_onnx(onnx_path, home=home).compile(samples, CompileOptions(input_visibility="public"))


#: inputs spanning what the vault feeds the model (volatility ticks, utilisation and rate in bps)
_CALIBRATION = [
    [0, 0, 0],
    [2000, 9500, 2000],
    [40, 5000, 600],
    [400, 2000, 120],
    [120, 8000, 1440],
    [900, 300, 6],
]


def prepare_allocation_model(
    chain: Chain,
    owner: LocalAccount,
    home: Path | str,
    price_model: PriceModel,
    config: AllocationConfig = AllocationConfig(),
) -> CompiledModel:
    """Train the allocation model on the training seeds, compile it and register it in this
    home's ModelRegistry (each step reused when already done)."""
    x, y = allocation_training_set(price_model, config)
    weights = train_allocation(x, y)
    onnx_path = allocation_onnx(weights, Path(home) / "defi" / "structured_allocation.onnx")
    model = compile_allocation_model(onnx_path, home)
    registry = ModelRegistryClient.from_home(chain, home)
    if model.model_id not in {m.model_id for m in registry.models()}:
        model.register(chain, owner)
    return model
