"""Identity use case: a biometric-style code derived locally, with the proof posted on chain.

Modelled on schemes that reduce a biometric (an iris, a face) to a short code on the user's
device: the person runs an open, registered model on a private embedding of one capture and
publishes only

- the **code**: the signs of the model's 32 projections (the proof's public outputs, so anyone
  reads the code off the proof, and off the ``verifyInference`` calldata on chain),
- a **salted commitment** ``Poseidon(embedding ‖ salt)`` to the embedding (see
  :mod:`aiweb3.private.salted`), and
- the **proof** that the registered model produced those projections from the committed
  embedding.

:func:`run_identity` runs it end to end on held-out captures (``examples/private/identity.json``):
enrol a person (fresh salt, prove, verify locally and with ``verifyInference`` from the
person's account, open the commitment to a chosen verifier, a wrong salt refused); a second
capture of the same person, posted from another account (a duplicate enrolment attempt), gives a
code a few bits from the enrolled one; another person's code is far. The issuer's uniqueness
check reads every verified inference of the model (:func:`aiweb3.zkml.audit`), recovers each code
from its transaction's calldata (the event carries only ``keccak256(outputs)``; the calldata's
instances are checked against it) and lists the codes within the match threshold of an earlier
one (:func:`codes_on_chain`, :func:`matches`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from aiweb3.errors import InputError, ProofError
from aiweb3.private.salted import SALT_SLOTS, Opening, check_opening, new_salt, salted_input
from aiweb3.usecases.flow import UseCase, compile_usecase, ensure_registered
from aiweb3.zkml import (
    FIELD_MODULUS,
    CompiledModel,
    InferenceProof,
    ModelRegistryClient,
    VerifiedInference,
    audit,
    run,
    verified_outputs,
)

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from aiweb3.chain import Chain

__all__ = [
    "CodeProof",
    "IdentityReport",
    "Match",
    "OnChainCode",
    "captures_of",
    "code_bits",
    "code_hex",
    "code_stats",
    "codes_of",
    "codes_on_chain",
    "evaluate_codes",
    "field_sign_bit",
    "hamming",
    "matches",
    "prove_code",
    "run_identity",
]


# -- codes ---------------------------------------------------------------------
def codes_of(projections: ArrayLike) -> NDArray[np.uint8]:
    """Code bits of each row of projections: 1 where the projection is positive, else 0."""
    return (np.asarray(projections, dtype=np.float64) > 0).astype(np.uint8)


def code_bits(projections: Sequence[float]) -> list[int]:
    """The code of one capture's projections (bit i = 1 when projection i > 0)."""
    return [int(b) for b in codes_of([list(projections)])[0]]


def code_hex(bits: Sequence[int]) -> str:
    """A code as 0x-prefixed hex, first bit most significant."""
    value = 0
    for b in bits:
        value = (value << 1) | (1 if b else 0)
    return f"0x{value:0{(len(bits) + 3) // 4}x}"


def hamming(a: Sequence[int], b: Sequence[int]) -> int:
    """Number of differing bits of two codes of one length."""
    if len(a) != len(b):
        raise ValueError(f"codes of different lengths ({len(a)} and {len(b)} bits)")
    return sum(1 for x, y in zip(a, b, strict=True) if bool(x) != bool(y))


def code_stats(codes: ArrayLike, person: ArrayLike, *, threshold: int) -> dict[str, Any]:
    """Hamming distances between captures of the same person and of different people.

    ``codes``: one row of bits per capture; ``person``: whose capture each row is. Every pair
    of captures counts once. ``false_reject``: share of same-person pairs farther than
    ``threshold`` bits; ``false_accept``: share of different-people pairs within it.
    """
    c = np.asarray(codes, dtype=np.float64)
    who = np.asarray(person)
    # distance matrix by two products of 0/1 matrices (exact in float64 at these sizes)
    dist = np.rint(c @ (1.0 - c).T + (1.0 - c) @ c.T).astype(np.int64)
    upper = np.triu(np.ones(dist.shape, dtype=bool), k=1)
    same_mask = (who[:, None] == who[None, :]) & upper
    diff_mask = (who[:, None] != who[None, :]) & upper
    same, diff = dist[same_mask], dist[diff_mask]
    bits = c.shape[1]
    return {
        "bits": int(bits),
        "captures": len(c),
        "same_person_pairs": int(same.size),
        "same_person_mean": round(float(same.mean()), 3),
        "same_person_mean_fraction": round(float(same.mean()) / bits, 4),
        "same_person_max": int(same.max()),
        "different_people_pairs": int(diff.size),
        "different_people_mean": round(float(diff.mean()), 3),
        "different_people_mean_fraction": round(float(diff.mean()) / bits, 4),
        "different_people_min": int(diff.min()),
        "threshold": int(threshold),
        "false_reject": round(float((same > threshold).mean()), 4),
        "false_accept": round(float((diff <= threshold).mean()), 6),
    }


# -- float model vs circuit ----------------------------------------------------
def evaluate_codes(case: UseCase, model: CompiledModel, *, limit: int | None = None) -> dict[str, Any]:
    """The code on every held-out capture from the float model (onnxruntime) and the circuit
    (ezkl's witness): bit agreement, the disagreeing projections, and the code statistics of both."""
    import onnxruntime as ort

    case.require("code")
    data = case.data
    x = np.asarray(data["test_x"], dtype=np.float32)[:limit]
    who = np.asarray(data["test_person"], dtype=np.int64)[: len(x)]
    session = ort.InferenceSession(str(case.onnx_path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    floats = np.asarray([session.run(None, {name: row[None, :]})[0][0] for row in x], dtype=np.float64)
    zero = [0] * SALT_SLOTS
    circuit = np.asarray([out[0] for out in run(model, [salted_input(r.tolist(), zero) for r in x])])
    fbits, cbits = codes_of(floats), codes_of(circuit)
    wrong = np.argwhere(fbits != cbits)
    threshold = int(data["match_threshold"])
    return {
        "use_case": case.name,
        "samples": len(x),
        "bits": int(fbits.shape[1]),
        "bit_agreement": round(float((fbits == cbits).mean()), 6),
        "codes_equal": round(float((fbits == cbits).all(axis=1).mean()), 4),
        "disagreeing_bits": [
            {"capture": int(i), "bit": int(j), "float": round(float(floats[i, j]), 5)} for i, j in wrong
        ],
        "max_abs_projection_error": round(float(np.abs(floats - circuit).max()), 5),
        "min_abs_float_projection": round(float(np.abs(floats).min()), 5),
        "float": code_stats(fbits, who, threshold=threshold),
        "circuit": code_stats(cbits, who, threshold=threshold),
    }


# -- the flow ------------------------------------------------------------------
@dataclass
class CodeProof:
    """One capture turned into a code with a proof posted on chain."""

    person: int
    capture: int
    bits: list[int]
    projections: list[float]
    proof: InferenceProof
    opening: Opening
    tx_hash: str
    gas_used: int
    caller: str

    @property
    def code(self) -> str:
        """The code as hex."""
        return code_hex(self.bits)


@dataclass(frozen=True)
class OnChainCode:
    """A verified inference of the code model and the code its calldata carries.

    ``bits`` is None when the code cannot be read from the transaction (the proof was verified
    through another contract, so the calldata is not a direct ``verifyInference`` call).
    """

    inference: VerifiedInference
    bits: list[int] | None

    @property
    def code(self) -> str | None:
        """The code as hex (None when unreadable)."""
        return None if self.bits is None else code_hex(self.bits)


@dataclass(frozen=True)
class Match:
    """A code within the threshold of an earlier code of the same model."""

    tx_hash: str
    caller: str
    earlier_tx_hash: str
    earlier_caller: str
    distance: int


@dataclass
class IdentityReport:
    """What :func:`run_identity` did."""

    case: UseCase
    model: CompiledModel
    registry: str
    owner: str
    newly_registered: bool
    threshold: int
    enrolment: CodeProof
    same_person: CodeProof
    other_person: CodeProof
    wrong_salt_refused: str
    trail: list[VerifiedInference] = field(default_factory=list)
    on_chain: list[OnChainCode] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)

    @property
    def same_distance(self) -> int:
        """Hamming distance between the enrolled code and the same person's second capture."""
        return hamming(self.enrolment.bits, self.same_person.bits)

    @property
    def other_distance(self) -> int:
        """Hamming distance between the enrolled code and another person's code."""
        return hamming(self.enrolment.bits, self.other_person.bits)


def field_sign_bit(felt: int) -> int:
    """The code bit of one public output instance (a fixed-point field element): 1 when it
    encodes a positive value (``0 < felt <= (p - 1) / 2``), else 0."""
    return 1 if 0 < felt <= FIELD_MODULUS // 2 else 0


def codes_on_chain(
    registry: ModelRegistryClient, model_id: str, trail: list[VerifiedInference] | None = None
) -> list[OnChainCode]:
    """The code of every verified inference of ``model_id``, read from the chain alone
    (:func:`aiweb3.zkml.verified_outputs`: the outputs the registry verified, from calldata)."""
    trail = audit(registry, model_id) if trail is None else trail
    outputs = verified_outputs(registry, model_id, trail)
    return [
        OnChainCode(event, None if out is None else [field_sign_bit(v) for v in out])
        for event, out in zip(trail, outputs, strict=True)
    ]


def matches(codes: list[OnChainCode], threshold: int) -> list[Match]:
    """Every readable code within ``threshold`` bits of an earlier one (oldest first)."""
    found = []
    for n, later in enumerate(codes):
        if later.bits is None:
            continue
        for earlier in codes[:n]:
            if earlier.bits is None:
                continue
            distance = hamming(later.bits, earlier.bits)
            if distance <= threshold:
                found.append(
                    Match(
                        later.inference.tx_hash,
                        later.inference.caller,
                        earlier.inference.tx_hash,
                        earlier.inference.caller,
                        distance,
                    )
                )
    return found


def captures_of(case: UseCase, person: int) -> list[int]:
    """Indices of the held-out captures of one held-out person."""
    rows = [i for i, p in enumerate(case.data["test_person"]) if int(p) == person]
    if not rows:
        raise InputError(f"the {case.name} held-out split has no person {person}")
    return rows


def prove_code(
    model: CompiledModel,
    registry: ModelRegistryClient,
    embedding: list[float],
    account: LocalAccount,
    *,
    person: int,
    capture: int,
    on_progress: Callable[[str], None] | None = None,
) -> CodeProof:
    """Derive the code of one capture locally with a fresh salt, prove it, verify the proof
    locally and with ``verifyInference`` from ``account``, and check the opening."""
    step = on_progress or (lambda _s: None)
    salt = new_salt()
    step("prove")
    proof = model.prove(salted_input(embedding, salt))
    proof.verify()
    step("verify on chain")
    check = proof.verify_onchain(registry.chain, signer=account, registry=registry)
    opening = Opening(model.model_id, embedding, salt, check.input_commitment)
    check_opening(model, proof, opening, verify_proof=False)
    return CodeProof(
        person=person,
        capture=capture,
        bits=code_bits(proof.outputs[0]),
        projections=proof.outputs[0],
        proof=proof,
        opening=opening,
        tx_hash=str(check.tx_hash),
        gas_used=int(check.gas_used or 0),
        caller=str(check.caller),
    )


def run_identity(
    case: UseCase,
    *,
    home: Path,
    chain: Chain,
    owner: LocalAccount,
    subjects: list[LocalAccount],
    person: int = 0,
    other: int | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> IdentityReport:
    """Run the identity use case end to end (see the module docstring).

    ``subjects``: three accounts: the enrolling person, a second account the same person uses
    for a duplicate enrolment, another person. ``person``/``other``: held-out people (``other``
    defaults to ``person + 1``).
    """
    case.require("code")
    if len(subjects) != 3:
        raise InputError("the identity use case takes three subject accounts")
    data = case.data
    other_person = person + 1 if other is None else other
    known = sorted({int(p) for p in data["test_person"]})
    if person not in known or other_person not in known or person == other_person:
        raise InputError(
            f"the identity use case enrols held-out person {person} and compares another person "
            f"({other_person}); both must differ and be among the held-out people "
            f"{known[0]}..{known[-1]}"
        )
    step = on_progress or (lambda _s: None)
    model = compile_usecase(case, home, on_progress=step)
    registry = ModelRegistryClient.from_home(chain, home)
    newly = ensure_registered(case, model, registry, owner, on_progress=step)
    test_x = data["test_x"]
    first, second, *_ = captures_of(case, person)
    other_first = captures_of(case, other_person)[0]

    def code_of(row: int, who: int, account: LocalAccount) -> CodeProof:
        embedding = [float(v) for v in test_x[row]]
        return prove_code(model, registry, embedding, account, person=who, capture=row, on_progress=step)

    enrolment = code_of(first, person, subjects[0])
    # the verifier the person opens the commitment to re-checks it; a wrong salt is refused
    check_opening(model, enrolment.proof, enrolment.opening)
    wrong = Opening(
        model.model_id,
        enrolment.opening.features,
        [enrolment.opening.salt[0] ^ 1, *enrolment.opening.salt[1:]],
        enrolment.opening.commitment,
    )
    try:
        check_opening(model, enrolment.proof, wrong, verify_proof=False)
        refused = ""
    except ProofError as exc:
        refused = str(exc)
    same = code_of(second, person, subjects[1])
    another = code_of(other_first, other_person, subjects[2])
    threshold = int(data["match_threshold"])
    trail = audit(registry, model.model_id)
    on_chain = codes_on_chain(registry, model.model_id, trail)
    return IdentityReport(
        case=case,
        model=model,
        registry=registry.address,
        owner=registry.get(model.model_id).owner,
        newly_registered=newly,
        threshold=threshold,
        enrolment=enrolment,
        same_person=same,
        other_person=another,
        wrong_salt_refused=refused,
        trail=trail,
        on_chain=on_chain,
        matches=matches(on_chain, threshold),
    )
