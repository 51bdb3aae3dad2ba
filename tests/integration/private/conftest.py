"""Private-inference fixtures, shared per session: the medical use case's salted model, compiled once."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiweb3 import usecases
from aiweb3.zkml import CompiledModel


@pytest.fixture(scope="session")
def medical_case() -> usecases.UseCase:
    """The medical use case (breast-cancer classifier, committed ONNX + held-out split)."""
    return usecases.get("medical")


@pytest.fixture(scope="session")
def medical_model(aiweb3_home: Path, medical_case: usecases.UseCase) -> CompiledModel:
    """Its salted model, compiled with a hashed input in the session home (development SRS)."""
    return usecases.compile_usecase(medical_case, aiweb3_home)
