"""The LiquidityVault client: deploy, deposit, withdraw, rebalance (proven or not), keepers.

A vault holds a Uniswap v3 base position and a one-sided limit order for a token pair and
issues shares (ERC-4626 style; see ``contracts/src/LiquidityVault.sol``). In proven mode the
base range is accepted only with a proof, verified through the ModelRegistry, that the vault's
registered strategy model produced it from the features the vault recomputes from the pool.
:class:`ProvenKeeper` reads those features, proves the model on them and submits the proof.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.chain import Chain, Deployments, artifact, checksum
from aiweb3.chain.client import Receipt
from aiweb3.defi.uniswap import Pool, approve_max
from aiweb3.errors import InputError
from aiweb3.zkml import FIELD_MODULUS, CompiledModel, InferenceProof

__all__ = ["FEATURE_DIVISOR", "ProvenKeeper", "Vault", "VaultConfig"]

#: the model sees each feature divided by this (a power of two: ezkl quantizes it back exactly)
FEATURE_DIVISOR = 128
_ZERO32 = b"\0" * 32


@dataclass(frozen=True)
class VaultConfig:
    """Vault parameters: TWAP window (seconds), TWAP deviation guard (ticks), limit-order width
    (ticks; 0: none), the widest base half-width a model may choose (tick spacings)."""

    twap_window: int = 6 * 3600
    max_twap_deviation: int = 600
    limit_width: int = 0
    max_half_width: int = 200


def _decode_field(value: int) -> int:
    return value - FIELD_MODULUS if value > FIELD_MODULUS // 2 else value


class Vault:
    """A handle on one deployed LiquidityVault."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.address = checksum(address)
        self.contract: Contract = chain.contract(artifact("LiquidityVault").abi, self.address)
        self.pool = Pool(chain, str(chain.call(self.contract.functions.pool())))

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        deployer: LocalAccount,
        pool: Pool,
        *,
        keeper: str,
        config: VaultConfig = VaultConfig(),
        model: CompiledModel | None = None,
        registry: str | None = None,
    ) -> Vault:
        """Deploy a vault on ``pool``: proven mode with ``model`` (registered in ``registry``,
        by default the system ModelRegistry of this chain), else unproven (the keeper decides)."""
        if config.limit_width % pool.tick_spacing or config.limit_width < 0:
            raise InputError(
                f"limit width must be a non-negative multiple of the tick spacing {pool.tick_spacing}"
            )
        model_id, output_scale, input_shift = _ZERO32, 0, 0
        if model is not None:
            if registry is None:
                raise InputError("a proven vault needs the ModelRegistry address")
            model_id = bytes.fromhex(model.model_id.removeprefix("0x"))
            output_scale = int(model.output_scales[0])
            input_shift = _input_scale(model) - FEATURE_DIVISOR.bit_length() + 1
            if input_shift < 0 or model.input_instances != 4:
                raise InputError("the strategy model must take 4 public inputs at input scale >= 7")
        art = artifact("LiquidityVault")
        address, _ = chain.deploy(
            deployer, art.abi, art.bytecode,
            pool.address, checksum(registry) if registry else "0x" + "00" * 20, model_id, checksum(keeper),
            config.twap_window, config.max_twap_deviation, config.limit_width, config.max_half_width,
            output_scale, input_shift,
        )  # fmt: skip
        return cls(chain, address)

    # -- reads ------------------------------------------------------------------
    def total_amounts(self) -> tuple[int, int]:
        """Everything the vault holds: idle tokens, both positions and their recorded fees."""
        t0, t1 = self.chain.call(self.contract.functions.totalAmounts())
        return int(t0), int(t1)

    def features(self) -> list[int]:
        """The strategy features now (what a proof's inputs must be, before scaling)."""
        return [int(v) for v in self.chain.call(self.contract.functions.features())]

    def base_range(self) -> tuple[int, int]:
        """The current base range (0, 0 before the first rebalance)."""
        fns = self.contract.functions
        return int(self.chain.call(fns.baseLower())), int(self.chain.call(fns.baseUpper()))

    def shares_of(self, owner: str) -> int:
        """Shares ``owner`` holds."""
        return int(self.chain.call(self.contract.functions.balanceOf(checksum(owner))))

    # -- writes -----------------------------------------------------------------
    def deposit(
        self, signer: LocalAccount, amount0: int, amount1: int, *, min0: int = 0, min1: int = 0
    ) -> tuple[int, int, int]:
        """Deposit up to the amounts (approving the vault); returns (shares, amount0, amount1)."""
        for token in (self.pool.token0, self.pool.token1):
            approve_max(self.chain, signer, token, self.address)
        receipt = self.chain.transact(
            signer, self.contract.functions.deposit(amount0, amount1, min0, min1, signer.address)
        )
        event = self.chain.events(self.contract, "Deposit", receipt)[0]
        return int(event["shares"]), int(event["amount0"]), int(event["amount1"])

    def withdraw(self, signer: LocalAccount, shares: int, *, min0: int = 0, min1: int = 0) -> tuple[int, int]:
        """Burn shares for their part of everything; returns the amounts paid out."""
        receipt = self.chain.transact(
            signer, self.contract.functions.withdraw(shares, min0, min1, signer.address)
        )
        event = self.chain.events(self.contract, "Withdraw", receipt)[0]
        return int(event["amount0"]), int(event["amount1"])

    def rebalance(self, keeper: LocalAccount, lower: int, upper: int) -> Receipt:
        """Unproven mode: the keeper sets the base range."""
        return self.chain.transact(keeper, self.contract.functions.rebalance(lower, upper))

    def rebalance_with_proof(self, signer: LocalAccount, proof: InferenceProof) -> Receipt:
        """Proven mode: submit the strategy model's proof (anyone may)."""
        return self.chain.transact(
            signer, self.contract.functions.rebalanceWithProof(proof.proof, [int(v) for v in proof.instances])
        )


def _input_scale(model: CompiledModel) -> int:
    import json

    settings = json.loads(model.artifact_path("settings").read_text())
    scales = settings.get("model_input_scales") or [settings["run_args"]["input_scale"]]
    return int(scales[0])


class ProvenKeeper:
    """Off-chain keeper of a proven vault: reads the features, proves the model, submits."""

    def __init__(self, vault: Vault, model: CompiledModel, signer: LocalAccount) -> None:
        self.vault = vault
        self.model = model
        self.signer = signer
        self.prove_seconds = 0.0

    def propose(self) -> InferenceProof:
        """A proof of the strategy model on the vault's features now."""
        x = self.vault.features()
        started = time.perf_counter()
        proof = self.model.prove([[v / FEATURE_DIVISOR for v in x]])
        self.prove_seconds += time.perf_counter() - started
        return proof

    def half_width(self, proof: InferenceProof) -> float:
        """The model's decision in the proof: base half-width in tick spacings."""
        return float(_decode_field(int(proof.instances[4])) / 2 ** int(self.model.output_scales[0]))

    def rebalance(self) -> Receipt:
        """Prove and rebalance; the vault checks the inputs against the pool and the proof."""
        return self.vault.rebalance_with_proof(self.signer, self.propose())


def system_registry(chain: Chain, home: object) -> str:
    """The ModelRegistry recorded for this chain in ``home``."""
    from pathlib import Path

    return Deployments(Path(str(home)), chain.chain_id).address("ModelRegistry")
