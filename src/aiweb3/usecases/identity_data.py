"""A documented, seeded generator of biometric-style captures (no biometric data set loads offline).

It stands in for what a face or iris encoder outputs: a fixed-length embedding per capture. The
structure is the one biometric systems face:

- every *person* has an identity vector ``z`` (``IDENTITY_DIMS`` independent standard normals)
  that never changes;
- a *capture* of that person sees ``A @ z`` (``A``: a fixed ``FEATURES x IDENTITY_DIMS`` mixing
  matrix, the same for everyone) plus
  - *session nuisance* ``B @ e``: lighting, pose, distance, eyelid occlusion. ``e`` has
    ``NUISANCE_DIMS`` standard normals drawn afresh per capture, ``B`` fixed columns with
    magnitudes ``NUISANCE_SCALE`` (larger than the identity signal along those directions), and
  - *sensor noise*: independent normals of standard deviation ``SENSOR_NOISE`` per value.

Two captures of one person differ by nuisance and noise; two people differ by ``A @ (z1 - z2)``.
The raw values are dominated by nuisance along a few directions, so a code taken from the raw
values is unstable; a projection *learned* from enrolment captures (linear discriminant
analysis: maximise between-person over within-person variance) suppresses the nuisance. The
generator is reproducible: the mixing (``A``, ``B``) comes from ``WORLD_SEED``, the people and
their captures from the ``seed`` argument.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "FEATURES",
    "IDENTITY_DIMS",
    "NUISANCE_DIMS",
    "NUISANCE_SCALE",
    "SENSOR_NOISE",
    "WORLD_SEED",
    "captures",
    "people",
    "world",
]

#: values per capture (the embedding's length)
FEATURES = 40
#: dimensions of a person's identity
IDENTITY_DIMS = 32
#: dimensions of per-capture session nuisance (pose, light, occlusion)
NUISANCE_DIMS = 6
#: standard deviation of each nuisance direction (the identity directions have ~1)
NUISANCE_SCALE = 2.5
#: standard deviation of the independent sensor noise per value
SENSOR_NOISE = 0.1
#: seed of the fixed world: the identity mixing and the nuisance directions
WORLD_SEED = 20261122


def world() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The fixed mixing matrices ``(A, B)``: identity ``FEATURES x IDENTITY_DIMS`` (each value's
    identity part has variance ~1) and nuisance ``FEATURES x NUISANCE_DIMS`` (columns of norm
    ``NUISANCE_SCALE``)."""
    rng = np.random.default_rng(WORLD_SEED)
    a = rng.normal(0.0, 1.0 / np.sqrt(IDENTITY_DIMS), (FEATURES, IDENTITY_DIMS))
    b = rng.normal(0.0, 1.0, (FEATURES, NUISANCE_DIMS))
    b *= NUISANCE_SCALE / np.linalg.norm(b, axis=0)
    return a, b


def people(n: int, *, seed: int) -> NDArray[np.float64]:
    """``n`` identity vectors (``n x IDENTITY_DIMS``), reproducible from ``seed``."""
    return np.random.default_rng(seed).normal(0.0, 1.0, (n, IDENTITY_DIMS))


def captures(
    identities: NDArray[np.float64], per_person: int, *, seed: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """``per_person`` captures of each identity: the embeddings (rows of ``FEATURES`` values, person
    by person) and the index of the person each row belongs to."""
    a, b = world()
    rng = np.random.default_rng(seed)
    n = len(identities)
    owner = np.repeat(np.arange(n, dtype=np.int64), per_person)
    nuisance = rng.normal(0.0, 1.0, (n * per_person, NUISANCE_DIMS))
    noise = rng.normal(0.0, SENSOR_NOISE, (n * per_person, FEATURES))
    x = identities[owner] @ a.T + nuisance @ b.T + noise
    return x, owner
