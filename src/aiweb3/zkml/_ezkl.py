"""The one adapter around ezkl: every call goes through here (only this module imports ezkl).

Each wrapper takes and returns paths, converts ezkl's exceptions into :class:`ProofError`
(or :class:`InputError` for a model ezkl cannot translate) with a message that says what to
do, and keeps ezkl's own printing (calibration tables, warnings) off standard output so
command output stays parseable.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import ezkl

from aiweb3.errors import InputError, ProofError

__all__ = [
    "EZKL_VERSION",
    "calibrate",
    "compile_circuit",
    "create_reusable_verifier",
    "create_vka",
    "gen_settings",
    "gen_srs",
    "gen_witness",
    "poseidon_commitment",
    "prove",
    "setup",
    "verify",
]

EZKL_VERSION: str = str(getattr(ezkl, "__version__", "unknown"))

T = TypeVar("T")

_UNSUPPORTED = re.compile(r"Unimplemented\((\w+)\)|Unknown op: (\w+)|unsupported operation:? (\w+)", re.I)


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """ezkl's Rust code prints to file descriptor 1; send it to 2 while it runs."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no real stdout (e.g. captured): nothing to protect
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _call(what: str, hint: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    try:
        with _stdout_to_stderr():
            result: T = fn(*args, **kwargs)
            return result
    except (RuntimeError, ValueError, OSError, TypeError) as exc:
        raise ProofError(f"{what} failed: {_short(exc)}; {hint}") from exc
    except BaseException as exc:  # pyo3 surfaces Rust panics as PanicException (a BaseException)
        if type(exc).__name__ == "PanicException":
            raise ProofError(f"{what} failed (ezkl panicked: {_short(exc)}); {hint}") from exc
        raise


def _await(what: str, hint: str, make: Callable[[], Awaitable[T]]) -> T:
    async def run() -> T:
        result: T = await make()  # ezkl's async functions need a running loop when called
        return result

    done: T = _call(what, hint, asyncio.run, run())
    return done


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:400] + ("…" if len(text) > 400 else "")


def _check(ok: object, what: str, hint: str) -> None:
    if ok is False:
        raise ProofError(f"{what} failed; {hint}")


def gen_settings(
    onnx_path: Path,
    settings_path: Path,
    *,
    input_visibility: str,
    output_visibility: str,
    param_visibility: str,
    decomp_base: int,
    decomp_legs: int,
    batch_size: int = 1,
) -> None:
    """Write circuit settings for an ONNX file; unsupported operators raise InputError naming them.

    ``batch_size`` sizes the ONNX model's symbolic ``batch_size`` axis.
    """
    args: Any = ezkl.PyRunArgs()  # its stub omits the settable fields
    if batch_size != 1:  # the default run args already say batch_size 1
        args.variables = [("batch_size", batch_size)]
    args.input_visibility = input_visibility
    args.output_visibility = output_visibility
    args.param_visibility = param_visibility
    args.decomp_base = decomp_base
    args.decomp_legs = decomp_legs
    try:
        with _stdout_to_stderr():
            ok = ezkl.gen_settings(str(onnx_path), str(settings_path), py_run_args=args)
    except (RuntimeError, ValueError) as exc:
        ops = sorted({a or b or c for a, b, c in _UNSUPPORTED.findall(str(exc))})
        if ops:
            raise InputError(
                f"the ONNX model uses operators ezkl cannot prove: {', '.join(ops)}; "
                "replace them (or export the model without them) and compile again"
            ) from exc
        raise InputError(
            f"ezkl could not translate the ONNX model: {_short(exc)}; check that the model has "
            "fixed input shapes and only operators ezkl supports"
        ) from exc
    _check(ok, "generating circuit settings", "check the ONNX file")


def calibrate(
    data_path: Path,
    onnx_path: Path,
    settings_path: Path,
    *,
    max_logrows: int | None,
    scales: list[int] | None = None,
) -> None:
    """Calibrate scales and logrows on sample inputs (rewrites the settings file).

    ``scales``: the fixed-point scales to try (all of ezkl's defaults when None).
    """
    ok = _call(
        "calibrating the circuit",
        "pass samples with the model's input shape, or allow more logrows",
        ezkl.calibrate_settings,
        str(data_path),
        str(onnx_path),
        str(settings_path),
        "resources",
        max_logrows=max_logrows,
        scales=scales,
    )
    _check(ok, "calibrating the circuit", "check the samples")


def compile_circuit(onnx_path: Path, circuit_path: Path, settings_path: Path) -> None:
    """Compile the ONNX model into an ezkl circuit file."""
    ok = _call(
        "compiling the circuit",
        "check the ONNX file and settings",
        ezkl.compile_circuit,
        str(onnx_path),
        str(circuit_path),
        str(settings_path),
    )
    _check(ok, "compiling the circuit", "check the ONNX file and settings")


def gen_srs(srs_path: Path, logrows: int) -> None:
    """Generate a development SRS (its maker knows the toxic waste)."""
    _call("generating an SRS", "check the disk space", ezkl.gen_srs, str(srs_path), logrows)


def setup(circuit_path: Path, vk_path: Path, pk_path: Path, srs_path: Path) -> None:
    """Make the proving and verifying keys."""
    ok = _call(
        "key setup",
        "check that the SRS has at least the circuit's logrows",
        ezkl.setup,
        str(circuit_path),
        str(vk_path),
        str(pk_path),
        srs_path=str(srs_path),
    )
    _check(ok, "key setup", "check the SRS")


def gen_witness(data_path: Path, circuit_path: Path, witness_path: Path) -> dict[str, Any]:
    """Run the quantized forward pass; returns ezkl's witness (inputs, outputs as felts)."""
    out = _call(
        "running the model",
        "check the input values and shape",
        ezkl.gen_witness,
        str(data_path),
        str(circuit_path),
        str(witness_path),
    )
    return dict(out)


def prove(witness_path: Path, circuit_path: Path, pk_path: Path, proof_path: Path, srs_path: Path) -> None:
    """Make a proof from a witness."""
    _call(
        "proving",
        "the proving key or SRS may be corrupted or from another model; compile the model again",
        ezkl.prove,
        str(witness_path),
        str(circuit_path),
        str(pk_path),
        str(proof_path),
        srs_path=str(srs_path),
    )


def verify(proof_path: Path, settings_path: Path, vk_path: Path, srs_path: Path) -> bool:
    """True when the proof verifies; a malformed proof or key raises ProofError."""
    return bool(
        _call(
            "verifying the proof",
            "the proof or the verifying key is malformed",
            ezkl.verify,
            str(proof_path),
            str(settings_path),
            str(vk_path),
            srs_path=str(srs_path),
        )
    )


def poseidon_commitment(values: list[float], scale: int) -> int:
    """The Poseidon hash ezkl publishes for a ``hashed`` input: quantize at ``scale``, then hash."""

    def run() -> int:
        felts = [ezkl.float_to_felt(float(v), scale, ezkl.PyInputType.F32) for v in values]
        return int.from_bytes(bytes.fromhex(ezkl.poseidon_hash(felts)[0]), "little")

    return _call("hashing the input", "check the input values", run)


def create_vka(vk_path: Path, settings_path: Path, vka_path: Path, srs_path: Path) -> None:
    """Write the verifying-key artifact the reusable EVM verifier takes."""
    ok = _await(
        "creating the verifying-key artifact",
        "check the verifying key and SRS",
        lambda: ezkl.create_evm_vka(str(vk_path), str(settings_path), str(vka_path), srs_path=str(srs_path)),
    )
    _check(ok, "creating the verifying-key artifact", "check the verifying key and SRS")


def create_reusable_verifier(
    vk_path: Path, settings_path: Path, sol_path: Path, abi_path: Path, srs_path: Path
) -> None:
    """Render the reusable Halo2 verifier (needs solc 0.8.20 through svm; see aiweb3.zkml.evm)."""
    ok = _await(
        "rendering the reusable verifier",
        "solc 0.8.20 must be reachable through svm (see aiweb3.zkml.evm)",
        lambda: ezkl.create_evm_verifier(
            str(vk_path),
            str(settings_path),
            str(sol_path),
            str(abi_path),
            srs_path=str(srs_path),
            reusable=True,
        ),
    )
    _check(ok, "rendering the reusable verifier", "check solc 0.8.20")
