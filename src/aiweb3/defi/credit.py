"""Credit scores across chains: linked wallets, features from the indexer, a proven score.

    registry = deploy_credit_registry(chain_a, deployer, model, attester.address, model_registry)
    registry.link(primary, other_wallet, chain_b.chain_id)       # EIP-712 signature of the wallet
    features = wallet_features([(store_a, [primary]), (store_b, [other_wallet])])
    registry.submit(keeper, primary.address, model, attester, features)  # attest + prove + submit
    market.borrow_limit(primary.address)   # higher: the market reads registry.creditBonus

The features come from one index per chain (aiweb3.indexer): transactions sent, distinct
counterparties, loans repaid and liquidations suffered, summed over the linked wallets. The
attester (whoever runs the indexer) signs them with the hash of exactly the linked wallets;
the proof shows the committed scoring model turned exactly those features into the score.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract

from aiweb3.chain import Chain, artifact, checksum
from aiweb3.chain.client import Receipt
from aiweb3.crypto.typed_data import Domain, sign_typed
from aiweb3.defi.lending_models import Network, fit_network, forward, network_onnx, read_network
from aiweb3.errors import InputError
from aiweb3.indexer import IndexStore
from aiweb3.zkml import FIELD_MODULUS, CompiledModel, CompileOptions, InferenceProof, Model

__all__ = [
    "FEATURES",
    "SHIPPED_CREDIT",
    "CreditModel",
    "CreditRegistryClient",
    "build_credit_model",
    "credit_onnx",
    "deploy_credit_registry",
    "feature_vector",
    "train_credit_network",
    "wallet_features",
]

#: The trained scoring network shipped with aiweb3 (``python -m aiweb3.defi.lending_train``).
SHIPPED_CREDIT = Path(__file__).resolve().parent / "models" / "credit_score.onnx"
FEATURES = ("transactions", "counterparties", "repayments", "liquidations")
LINK_TYPES = {
    "LinkWallet": [
        {"name": "primary", "type": "address"},
        {"name": "wallet", "type": "address"},
        {"name": "walletChainId", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}
FEATURE_TYPES = {
    "CreditFeatures": [
        {"name": "primary", "type": "address"},
        {"name": "walletsHash", "type": "bytes32"},
        {"name": "featuresHash", "type": "bytes32"},
        {"name": "asOf", "type": "uint64"},
    ]
}


def wallet_features(sources: Sequence[tuple[IndexStore, Sequence[str]]]) -> dict[str, int]:
    """Counts over every (index of one chain, wallets on that chain), summed across chains."""
    totals = dict.fromkeys(FEATURES, 0)
    for store, wallets in sources:
        who = [w.lower() for w in wallets]
        if not who:
            continue
        marks = ",".join("?" for _ in who)
        con = store.con
        row = con.execute(
            f"SELECT count(*), count(DISTINCT to_address) FROM transactions WHERE from_address IN ({marks})",
            who,
        ).fetchone()
        totals["transactions"] += int(row[0]) if row else 0
        totals["counterparties"] += int(row[1]) if row else 0
        for feature, event in (("repayments", "Repaid"), ("liquidations", "Liquidated")):
            found = con.execute(
                "SELECT count(*) FROM decoded_events WHERE event_name = ? "
                f"AND lower(json_extract_string(args, '$.borrower')) IN ({marks})",
                [event, *who],
            ).fetchone()
            totals[feature] += int(found[0]) if found else 0
    return totals


def feature_vector(counts: dict[str, int]) -> list[float]:
    """The model's inputs: log1p of the activity counts, liquidations capped at 5."""
    return [
        math.log1p(counts["transactions"]),
        math.log1p(counts["counterparties"]),
        math.log1p(counts["repayments"]),
        float(min(counts["liquidations"], 5)),
    ]


def _teacher(x: np.ndarray) -> np.ndarray:
    """Synthetic labels: no public data set of on-chain credit outcomes ships offline, so the
    model learns a stated scoring rule (activity and repayments up, liquidations down)."""
    z = 0.6 * x[:, 0] + 0.4 * x[:, 1] + 1.2 * x[:, 2] - 1.5 * x[:, 3] - 3.0
    return np.asarray(1.0 / (1.0 + np.exp(-z)))[:, None]


@dataclass(frozen=True)
class CreditModel:
    """The compiled scoring model and its fixed-point scales."""

    compiled: CompiledModel
    weights: Network
    input_scale: int
    output_scale: int

    @property
    def model_id(self) -> str:
        """The model commitment (ModelRegistry id)."""
        return self.compiled.model_id

    def quantize(self, features: Sequence[float]) -> list[int]:
        """Features as the field elements the proof carries (round(x * 2^scale))."""
        return [round(f * (1 << self.input_scale)) % FIELD_MODULUS for f in features]

    def register(self, chain: Chain, signer: LocalAccount) -> str:
        """Register the model in the home's system ModelRegistry (no-op when registered)."""
        from aiweb3.zkml import ModelRegistryClient

        registry = ModelRegistryClient.from_home(chain, self.compiled.home)
        if any(m.model_id.lower() == self.model_id.lower() for m in registry.models()):
            return self.model_id
        return self.compiled.register(chain, signer, name="credit-score")

    def score(self, features: Sequence[float]) -> float:
        """The float network's score (for reports; the proof carries the circuit's)."""
        return float(forward(self.weights, np.array([features], dtype=np.float32))[0, 0])


def train_credit_network(*, seed: int = 11, epochs: int = 2000) -> Network:
    """Fit the scoring network to the stated rule on synthetic activity (seeded)."""
    rng = np.random.default_rng(seed)
    n = 2000
    x = np.stack(
        [rng.uniform(0, 6, n), rng.uniform(0, 5, n), rng.uniform(0, 3, n), rng.integers(0, 6, n)],
        axis=1,
    ).astype(np.float64)
    return fit_network(x, _teacher(x), hidden=8, seed=seed, epochs=epochs)


def credit_onnx(weights: Network) -> bytes:
    """The scoring network as ONNX (input ``features`` [1, 4], output ``score`` [1, 1])."""
    return network_onnx(weights, "credit_score", "features", "score", {"features": ",".join(FEATURES)})


def calibration_samples() -> list[list[list[float]]]:
    """Inputs spread over the range of the features."""
    rng = np.random.default_rng(5)
    rows = [[0.0, 0.0, 0.0, 0.0], [8.0, 7.0, 4.0, 5.0]]
    rows += [
        [float(rng.uniform(0, 6)), float(rng.uniform(0, 5)), float(rng.uniform(0, 3)), 0.0] for _ in range(14)
    ]
    return [[row] for row in rows]


def build_credit_model(home: Path | str, onnx_path: Path = SHIPPED_CREDIT) -> CreditModel:
    """Compile the scoring network with public inputs (reused when already compiled in ``home``)."""
    weights, _meta = read_network(onnx_path)
    compiled = Model.from_onnx(onnx_path, home=home).compile(
        calibration_samples(), CompileOptions(input_visibility="public")
    )
    settings = json.loads(compiled.artifact_path("settings").read_text())
    input_scale = int((settings.get("model_input_scales") or [settings["run_args"]["input_scale"]])[0])
    return CreditModel(compiled, weights, input_scale, int(compiled.output_scales[0]))


class CreditRegistryClient:
    """Client of one deployed CreditRegistry."""

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.contract: Contract = chain.contract(artifact("CreditRegistry").abi, address)
        self.address = self.contract.address
        self.domain = Domain("aiweb3 CreditRegistry", "1", chain.chain_id, self.address)

    def link_signature(
        self, wallet: LocalAccount, primary: str, wallet_chain_id: int, deadline: int
    ) -> bytes:
        """``wallet``'s EIP-712 consent to be linked to ``primary`` (uses the primary's next nonce)."""
        nonce = int(self.chain.call(self.contract.functions.nonces(checksum(primary))))
        message = {
            "primary": checksum(primary),
            "wallet": checksum(wallet.address),
            "walletChainId": wallet_chain_id,
            "nonce": nonce,
            "deadline": deadline,
        }
        return sign_typed(wallet, self.domain, LINK_TYPES, "LinkWallet", message)

    def link(
        self, primary: LocalAccount, wallet: LocalAccount, wallet_chain_id: int, *, valid_for: int = 3600
    ) -> Receipt:
        """Link ``wallet`` (on chain ``wallet_chain_id``) to ``primary``, signed by both."""
        deadline = self.chain.block_time() + valid_for
        signature = self.link_signature(wallet, primary.address, wallet_chain_id, deadline)
        fn = self.contract.functions.link(checksum(wallet.address), wallet_chain_id, deadline, signature)
        return self.chain.transact(primary, fn)

    def linked(self, primary: str) -> list[tuple[str, int]]:
        """The wallets linked to ``primary``: (address, chain id)."""
        rows = self.chain.call(self.contract.functions.linkedWallets(checksum(primary)))
        return [(checksum(str(w)), int(c)) for w, c in rows]

    def wallets_hash(self, primary: str) -> bytes:
        """What the attester signs for ``primary``'s linked wallets."""
        return bytes(self.chain.call(self.contract.functions.walletsHash(checksum(primary))))

    def attest(self, attester: LocalAccount, primary: str, instances: Sequence[int], as_of: int) -> bytes:
        """The attester's EIP-712 signature over ``primary``'s wallets and feature instances."""
        message = {
            "primary": checksum(primary),
            "walletsHash": self.wallets_hash(primary),
            "featuresHash": keccak(b"".join(int(v).to_bytes(32, "big") for v in instances)),
            "asOf": as_of,
        }
        return sign_typed(attester, self.domain, FEATURE_TYPES, "CreditFeatures", message)

    def prove(self, model: CreditModel, features: Sequence[float]) -> InferenceProof:
        """Prove the score of ``features`` (quantized exactly as attested)."""
        exact = [q / float(1 << model.input_scale) for q in model.quantize(features)]
        return model.compiled.prove([exact])

    def submit(
        self,
        sender: LocalAccount,
        primary: str,
        attestation: bytes,
        as_of: int,
        proof: InferenceProof,
    ) -> Receipt:
        """Send ``submitScore`` with the attestation and the proof."""
        fn = self.contract.functions.submitScore(
            checksum(primary), as_of, attestation, proof.proof, proof.instances
        )
        return self.chain.transact(sender, fn)

    def score(self, primary: str) -> tuple[int, float]:
        """(asOf, score) of ``primary``'s accepted score ((0, 0.0) when none)."""
        as_of, score = self.chain.call(self.contract.functions.scores(checksum(primary)))
        return int(as_of), int(score) / 10**18

    def credit_bonus(self, primary: str) -> int:
        """The collateral-requirement reduction (WAD) the market grants now."""
        return int(self.chain.call(self.contract.functions.creditBonus(checksum(primary))))


def deploy_credit_registry(
    chain: Chain,
    signer: LocalAccount,
    model: CreditModel,
    attester: str,
    model_registry: str,
    *,
    valid_for: int = 7 * 24 * 3600,
) -> CreditRegistryClient:
    """Deploy a CreditRegistry accepting proofs of ``model`` with features signed by ``attester``."""
    if valid_for <= 0:
        raise InputError("a score must stay valid for a positive number of seconds")
    art = artifact("CreditRegistry")
    address, _ = chain.deploy(
        signer,
        art.abi,
        art.bytecode,
        checksum(model_registry),
        bytes.fromhex(model.model_id[2:]),
        checksum(attester),
        len(FEATURES),
        model.output_scale,
        valid_for,
    )
    return CreditRegistryClient(chain, address)
