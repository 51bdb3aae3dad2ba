"""High-stakes use cases of proven private inference: medical, credit, insurance, identity.

Each is a trained model (``examples/private``), salted and compiled with a hashed input,
registered in the ModelRegistry, and run end to end (``aiweb3 usecase NAME``): the classifiers
by :func:`run_usecase`, the identity code model (``kind="code"``) by :func:`run_identity`.
``split`` (:mod:`aiweb3.usecases.split`, :func:`run_split`) chains two
proofs instead: the patient's preprocessing and the operator's diagnosis (``aiweb3 usecase split``).
"""

from aiweb3.errors import InputError
from aiweb3.usecases.flow import (
    Accuracy,
    Decision,
    UseCase,
    UseCaseReport,
    compile_usecase,
    ensure_registered,
    evaluate,
    run_usecase,
)
from aiweb3.usecases.identity import IdentityReport, evaluate_codes, run_identity
from aiweb3.usecases.split import SPLIT, SplitReport, run_split

__all__ = [
    "SPLIT",
    "USE_CASES",
    "Accuracy",
    "Decision",
    "IdentityReport",
    "SplitReport",
    "UseCase",
    "UseCaseReport",
    "compile_usecase",
    "ensure_registered",
    "evaluate",
    "evaluate_codes",
    "get",
    "run_identity",
    "run_split",
    "run_usecase",
]

#: the shipped use cases; ``subjects`` is how many records ``aiweb3 usecase`` scores
USE_CASES: dict[str, UseCase] = {
    "medical": UseCase("medical", "patient", ("malignant", "benign"), subjects=1),
    "credit": UseCase("credit", "applicant", ("approve (repays)", "decline (defaults)"), subjects=3),
    "insurance": UseCase("insurance", "claim", ("pay", "refer to investigation"), subjects=2),
    # the code model: person, the same person from a second account, another person
    "identity": UseCase("identity", "person", (), subjects=3, kind="code"),
}


def get(name: str) -> UseCase:
    """A use case by name.

    Raises:
        InputError: unknown name (the message lists the known ones).
    """
    try:
        return USE_CASES[name]
    except KeyError:
        raise InputError(
            f"unknown use case {name!r}; choose one of {', '.join([*USE_CASES, SPLIT])}"
        ) from None
