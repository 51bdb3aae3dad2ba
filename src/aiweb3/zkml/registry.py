"""Client of the on-chain ModelRegistry (contracts/src/ModelRegistry.sol).

The registry keeps each model's verifying-key artifact and checks proofs against it with
the shared ezkl reusable verifier. Registration is commit-reveal (a hiding commitment to
owner, VKA digest and a random salt first, the VKA in a later block), so nobody who sees a
registration in the mempool can take the model id first. Reverts come back as
:class:`TransactionReverted` with the custom error decoded (``UnknownModel``,
``ModelIsDeprecated``, ``InvalidProof``, ...).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from aiweb3.chain import Chain, Deployments, artifact, checksum
from aiweb3.chain.client import Receipt
from aiweb3.errors import InputError
from aiweb3.zkml.model import CompiledModel

if TYPE_CHECKING:
    from aiweb3.zkml.audit import VerifiedInference
    from aiweb3.zkml.proof import InferenceProof

__all__ = ["InferenceCheck", "ModelRegistryClient", "RegisteredModel", "settings_input_instances"]

REGISTRY = "ModelRegistry"
VERIFIER = "Halo2VerifierReusable"


@dataclass(frozen=True)
class RegisteredModel:
    """A model as the registry records it."""

    model_id: str
    owner: str
    name: str
    deprecated: bool
    input_instances: int
    vka_words: int
    onnx_hash: str
    settings_hash: str
    price: int
    metadata_uri: str
    registered_at: int


@dataclass(frozen=True)
class InferenceCheck:
    """The result of an on-chain check.

    Attributes:
        valid: the proof verified against the model's registered key.
        input_commitment: the public commitment to the input (zero when the input is private).
        outputs_hash: keccak256 of the output instances.
        tx_hash, gas_used: set when verified by a transaction (``verifyInference``).
    """

    valid: bool
    model_id: str
    input_commitment: str
    outputs_hash: str
    tx_hash: str | None = None
    gas_used: int | None = None
    caller: str | None = None


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def settings_input_instances(settings: Mapping[str, Any], input_sizes: list[int]) -> int:
    """How many leading public instances commit to the input, by the circuit's ezkl settings:
    none for a private input, one Poseidon hash per input tensor when hashed, every element
    when public. Raises InputError for a visibility it does not know."""
    visibility = settings.get("run_args", {}).get("input_visibility")
    name = (visibility if isinstance(visibility, str) else next(iter(visibility or {"?": 0}))).lower()
    if name == "private":
        return 0
    if name.startswith("hash"):
        return len(input_sizes)
    if name == "public":
        return sum(input_sizes)
    raise InputError(f"the circuit settings have an input visibility aiweb3 does not know: {visibility!r}")


def _committed_input_instances(model: CompiledModel) -> int:
    """``model.input_instances`` checked against the settings file its settingsHash commits to."""
    raw = model.artifact_path("settings").read_bytes()
    if "0x" + hashlib.sha256(raw).hexdigest() != model.settings_sha256:
        raise InputError(f"the settings of {model.model_id} changed since compiling; compile the model again")
    sizes = [math.prod(int(d) for d in shape) for _name, shape in model.inputs]
    expected = settings_input_instances(json.loads(raw), sizes)
    if expected != model.input_instances:
        raise InputError(
            f"the model declares {model.input_instances} input instance(s) but its circuit settings "
            f"give {expected}; compile the model again"
        )
    return expected


class ModelRegistryClient:
    """Talk to one ModelRegistry.

    Args:
        chain: the chain client.
        address: the registry's address.
    """

    def __init__(self, chain: Chain, address: str) -> None:
        self.chain = chain
        self.contract: Contract = chain.contract(artifact(REGISTRY).abi, address)
        self.address = self.contract.address

    @classmethod
    def from_home(cls, chain: Chain, home: Path | str) -> ModelRegistryClient:
        """The system registry recorded in ``home``'s deployments (see ``aiweb3 deploy``)."""
        return cls(chain, Deployments(Path(home), chain.chain_id).address(REGISTRY))

    def verifier_address(self) -> str:
        """The reusable verifier the registry checks proofs with."""
        return str(self.chain.call(self.contract.functions.verifier()))

    # -- writes ---------------------------------------------------------------
    def register(
        self,
        model: CompiledModel,
        signer: LocalAccount,
        *,
        name: str,
        metadata_uri: str = "",
        price: int = 0,
    ) -> str:
        """Register ``model`` (commit, then reveal in a later block); returns its id.

        Reverts ModelAlreadyRegistered if it is known, VkaMalformed / InputInstancesExceedCircuit
        when the artifact or the input instance count does not fit the verifier.
        """
        input_instances = _committed_input_instances(model)
        owner = checksum(signer.address)
        digest = bytes.fromhex(model.model_id[2:])
        salt = os.urandom(32)
        commitment = self.chain.call(self.contract.functions.registrationCommitment(owner, digest, salt))
        self.chain.transact(signer, self.contract.functions.commitRegistration(commitment))
        spec = (
            name,
            bytes.fromhex(model.onnx_sha256[2:]),
            bytes.fromhex(model.settings_sha256[2:]),
            input_instances,
            metadata_uri,
            int(price),
        )
        if model.batch_size > 1:
            fn = self.contract.functions.registerBatched(
                spec, model.vka_words(), digest, salt, model.batch_size
            )
        else:
            fn = self.contract.functions.register(spec, model.vka_words(), digest, salt)
        self.chain.transact(signer, fn)
        return model.model_id

    def verify(self, proof: InferenceProof, signer: LocalAccount) -> InferenceCheck:
        """Send ``verifyInference``; returns the emitted InferenceVerified data."""
        fn = self.contract.functions.verifyInference(
            bytes.fromhex(proof.model_id[2:]), proof.proof, proof.instances
        )
        receipt = self.chain.transact(signer, fn)
        event = self.chain.events(self.contract, "InferenceVerified", receipt)[0]
        return InferenceCheck(
            valid=True,
            model_id=_hex(event["modelId"]),
            input_commitment=_hex(event["inputCommitment"]),
            outputs_hash=_hex(event["outputsHash"]),
            tx_hash=str(receipt["transactionHash"]),
            gas_used=int(receipt["gasUsed"]),
            caller=str(event["caller"]),
        )

    def verify_batch(self, proof: InferenceProof, signer: LocalAccount) -> list[InferenceCheck]:
        """Send ``verifyInferenceBatch`` for a batched proof; one InferenceCheck per inference
        (every one of the batch, padding included), all with the same transaction and gas."""
        fn = self.contract.functions.verifyInferenceBatch(
            bytes.fromhex(proof.model_id[2:]), proof.proof, proof.instances
        )
        receipt = self.chain.transact(signer, fn)
        return [
            InferenceCheck(
                valid=True,
                model_id=_hex(event["modelId"]),
                input_commitment=_hex(event["inputCommitment"]),
                outputs_hash=_hex(event["outputsHash"]),
                tx_hash=str(receipt["transactionHash"]),
                gas_used=int(receipt["gasUsed"]),
                caller=str(event["caller"]),
            )
            for event in self.chain.events(self.contract, "InferenceVerified", receipt)
        ]

    def batch_size(self, model_id: str) -> int:
        """Inferences one proof of the registered model covers (0: not batched)."""
        return int(self.chain.call(self.contract.functions.batchSize(bytes.fromhex(model_id[2:]))))

    def deprecate(self, model_id: str, signer: LocalAccount) -> Receipt:
        """Retire a model (owner only); its proofs are refused from then on."""
        return self.chain.transact(signer, self.contract.functions.deprecate(bytes.fromhex(model_id[2:])))

    def transfer_ownership(self, model_id: str, new_owner: str, signer: LocalAccount) -> Receipt:
        """Hand a model to ``new_owner`` (owner only)."""
        fn = self.contract.functions.transferModelOwnership(bytes.fromhex(model_id[2:]), new_owner)
        return self.chain.transact(signer, fn)

    def set_price(self, model_id: str, price: int, signer: LocalAccount) -> Receipt:
        """Change the published price per inference (AIUSD base units, owner only)."""
        return self.chain.transact(
            signer, self.contract.functions.setPrice(bytes.fromhex(model_id[2:]), price)
        )

    # -- reads ----------------------------------------------------------------
    def check(self, proof: InferenceProof) -> InferenceCheck:
        """Call the ``checkInference`` view (no transaction)."""
        valid, commitment, outputs = self.chain.call(
            self.contract.functions.checkInference(
                bytes.fromhex(proof.model_id[2:]), proof.proof, proof.instances
            )
        )
        return InferenceCheck(bool(valid), proof.model_id, _hex(commitment), _hex(outputs))

    def get(self, model_id: str) -> RegisteredModel:
        """The registry's record of one model (reverts UnknownModel)."""
        raw: Any = self.chain.call(self.contract.functions.getModel(bytes.fromhex(model_id[2:])))
        (
            owner,
            deprecated,
            inputs,
            words,
            _pointer,
            registered,
            onnx_hash,
            settings_hash,
            price,
            name,
            uri,
        ) = raw
        return RegisteredModel(
            model_id=model_id.lower(),
            owner=checksum(str(owner)),
            name=str(name),
            deprecated=bool(deprecated),
            input_instances=int(inputs),
            vka_words=int(words),
            onnx_hash=_hex(onnx_hash),
            settings_hash=_hex(settings_hash),
            price=int(price),
            metadata_uri=str(uri),
            registered_at=int(registered),
        )

    def vka(self, model_id: str) -> list[bytes]:
        """The verifying-key artifact the registry holds for a model."""
        return [
            bytes(w) for w in self.chain.call(self.contract.functions.getVka(bytes.fromhex(model_id[2:])))
        ]

    def models(self) -> list[RegisteredModel]:
        """Every registered model, in registration order."""
        count = int(self.chain.call(self.contract.functions.modelCount()))
        ids = [_hex(self.chain.call(self.contract.functions.modelIdAt(i))) for i in range(count)]
        return [self.get(i) for i in ids]

    def inferences(self, model_id: str | None = None, *, from_block: int = 0) -> list[VerifiedInference]:
        """Every ``InferenceVerified`` event (of one model, or all), oldest first."""
        from aiweb3.zkml.audit import read_inferences

        topic = None
        if model_id is not None:
            topic = "0x" + bytes.fromhex(model_id.lower().removeprefix("0x")).rjust(32, b"\0").hex()
        return read_inferences(self, topic, from_block=from_block)
