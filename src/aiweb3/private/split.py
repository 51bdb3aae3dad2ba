"""Split inference: the user proves the preprocessing, the operator proves the model, proofs linked.

- The **user** runs a preprocessing model (feature extraction) on the raw record and proves it
  with a *hashed output*: the proof publishes ``Poseidon(features)``, not the features.
- The user hands the operator only the features (:class:`FeatureHandoff`) — never the raw record.
- The **operator** proves its (proprietary, registered) model on the features with a *hashed
  input*: its proof publishes ``Poseidon(features)`` as the input commitment.
- :func:`check_link` verifies both proofs and that the first proof's output commitment equals
  the second proof's input commitment, and that the first proof is from the expected
  preprocessing model. Both models must share the fixed-point scale at the boundary (the
  preprocessing output scale equals the operator's input scale), checked by :func:`check_pair`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiweb3.errors import InputError, ProofError
from aiweb3.zkml import CompiledModel, InferenceProof

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from aiweb3.chain import Chain

__all__ = [
    "FeatureHandoff",
    "SplitResult",
    "SplitVerifierClient",
    "check_link",
    "check_pair",
    "operator_prove",
    "user_prove",
]


def _scales(model: CompiledModel) -> dict[str, Any]:
    return dict(json.loads(model.artifact_path("settings").read_text()))


def check_pair(pre: CompiledModel, operator: CompiledModel) -> None:
    """Raise InputError unless ``pre`` (hashed output) can feed ``operator`` (hashed input)."""
    if pre.options.get("output_visibility") != "hashed":
        raise InputError(f"the preprocessing model {pre.model_id} must be compiled with hashed outputs")
    if operator.options.get("input_visibility") != "hashed":
        raise InputError(f"the operator's model {operator.model_id} must be compiled with a hashed input")
    out_scales = _scales(pre).get("model_output_scales", [])
    in_scales = _scales(operator).get("model_input_scales", [])
    if out_scales != in_scales:
        raise InputError(
            f"the preprocessing output scale {out_scales} differs from the operator's input scale "
            f"{in_scales}; compile both with the same scales (CompileOptions(scales=(s,)))"
        )


@dataclass(frozen=True)
class FeatureHandoff:
    """Everything the operator receives from the user: the proof and the features, nothing raw."""

    pre_proof: InferenceProof
    features: list[float]


def user_prove(pre: CompiledModel, raw: Any) -> FeatureHandoff:
    """The user's side: prove the preprocessing on the raw record; returns what goes to the operator."""
    proof = pre.prove(raw)
    if proof.witness_outputs is None or proof.output_commitment is None:
        raise ProofError(f"the preprocessing model {pre.model_id} does not hash its output")
    features = [float(v) for v in proof.witness_outputs[0]]
    # the proof file keeps no outputs, only their commitment: drop the prover's copy
    public = InferenceProof.from_json(proof.to_json())
    return FeatureHandoff(public, features)


@dataclass(frozen=True)
class SplitResult:
    """Both proofs of one split inference and the shared commitment that links them."""

    pre_proof: InferenceProof
    proof: InferenceProof
    link: str


def operator_prove(operator: CompiledModel, handoff: FeatureHandoff, *, pre: CompiledModel) -> SplitResult:
    """The operator's side: check the user's proof, prove the model on the features, check the link."""
    check_pair(pre, operator)
    _expect(pre, handoff.pre_proof)
    pre.verify(handoff.pre_proof)
    proof = operator.prove(handoff.features)
    return check_link(pre, operator, handoff.pre_proof, proof)


def _expect(pre: CompiledModel, pre_proof: InferenceProof) -> None:
    if pre_proof.model_id.lower() != pre.model_id.lower():
        raise ProofError(
            f"the first proof is from preprocessing model {pre_proof.model_id}, "
            f"not the expected {pre.model_id}"
        )


def check_link(
    pre: CompiledModel, operator: CompiledModel, pre_proof: InferenceProof, proof: InferenceProof
) -> SplitResult:
    """Verify both proofs and their link (what any verifier runs locally).

    Raises:
        ProofError: a proof from another preprocessing (or operator) model, a proof that does
            not verify, or commitments that differ (the message names both).
    """
    _expect(pre, pre_proof)
    if proof.model_id.lower() != operator.model_id.lower():
        raise ProofError(
            f"the second proof is from model {proof.model_id}, not the operator's {operator.model_id}"
        )
    pre.verify(pre_proof)
    operator.verify(proof)
    out, inp = pre_proof.output_commitment, proof.input_commitment
    if out is None or inp is None:
        raise ProofError("the proofs carry no output/input commitments; compile with hashed output/input")
    if out != inp:
        raise ProofError(
            f"the split proofs are not linked: the preprocessing output commitment {out} differs from "
            f"the operator's input commitment {inp}"
        )
    return SplitResult(pre_proof, proof, out)


class SplitVerifierClient:
    """Client of the SplitVerifier contract (both proofs and their link in one transaction)."""

    def __init__(self, chain: Chain, address: str) -> None:
        from aiweb3.chain import artifact

        self.chain = chain
        self.contract = chain.contract(artifact("SplitVerifier").abi, address)
        self.address = str(self.contract.address)

    @classmethod
    def deploy(cls, chain: Chain, signer: LocalAccount, registry: str) -> SplitVerifierClient:
        """Deploy a SplitVerifier bound to the ModelRegistry at ``registry``."""
        from aiweb3.chain import artifact

        art = artifact("SplitVerifier")
        address, _receipt = chain.deploy(signer, art.abi, art.bytecode, registry)
        return cls(chain, address)

    def verify(self, result: SplitResult, signer: LocalAccount) -> tuple[str, int]:
        """Send ``verifySplit``; returns (tx hash, gas used).

        Raises:
            TransactionReverted: ``LinkMismatch`` (names both commitments), or the registry's
                ``InvalidProof`` / ``UnknownModel`` for either proof.
        """
        pre, proof = result.pre_proof, result.proof
        fn = self.contract.functions.verifySplit(
            bytes.fromhex(pre.model_id[2:]),
            pre.proof,
            pre.instances,
            bytes.fromhex(proof.model_id[2:]),
            proof.proof,
            proof.instances,
        )
        receipt = self.chain.transact(signer, fn)
        return str(receipt["transactionHash"]), int(receipt["gasUsed"])
