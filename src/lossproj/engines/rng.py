"""Counter-based random numbers for the microsimulation: one uniform per (stream, person, draw).

A uniform is a pure function of a 64-bit *stream key* and a *counter* that packs the woman's
birth cohort, her index within the cohort and the draw number. Nothing is advanced or stored, so
the number a woman receives does not depend on block size, thread count or the order in which
women are simulated.

Notes
-----
Keys come from :class:`numpy.random.SeedSequence`: ``SeedSequence(seed, spawn_key=(replicate,
region_id))`` (the same as ``SeedSequence(seed).spawn(...)[replicate].spawn(...)[region_id]``).
The scenario is *not* part of the key by default, so scenarios share common random numbers; pass
``scenario_stream`` to :func:`stream_keys` to give a scenario independent streams.

The hash is the SplitMix64 output function [1]_ applied twice::

    z = mix64(key + (counter + 1) * 0x9E3779B97F4A7C15)   # SplitMix64 at position `counter`
    z = mix64(z ^ key)                                    # decorrelates streams of other keys
    u = (z >> 11) * 2**-53                                # uniform on [0, 1), 53 random bits

The same arithmetic is implemented twice: scalar ``@njit`` functions for the kernels and
vectorised NumPy ``uint64`` functions for the reference implementation and tests; both give
the same bits.

References
----------
.. [1] Steele, G. L., Lea, D., Flood, C. H. (2014). Fast splittable pseudorandom number
   generators. OOPSLA 2014, 453-472. https://doi.org/10.1145/2660193.2660195
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from lossproj.engines.jit import njit

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_ONE = np.uint64(1)
_COHORT_SHIFT = np.uint64(44)
_WOMAN_SHIFT = np.uint64(8)
_TO_UNIT = 2.0**-53

#: Exclusive upper bounds of the three counter fields (cohort year, woman index, draw number).
COHORT_LIMIT = 1 << 12
WOMAN_LIMIT = 1 << 36
DRAW_LIMIT = 1 << 8


@njit(inline="always")
def mix64(z):
    """SplitMix64 output function (a bijection of uint64)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(inline="always")
def counter(cohort, woman, draw):
    """Pack (cohort year, woman index within cohort, draw number) into one uint64 counter."""
    return (
        (np.uint64(cohort) << _COHORT_SHIFT) | (np.uint64(woman) << _WOMAN_SHIFT) | np.uint64(draw)
    )


@njit(inline="always")
def uniform(key, cohort, woman, draw):
    """Uniform on [0, 1) for one draw of one woman in stream ``key``.

    Parameters
    ----------
    key : uint64
        Stream key (one per replicate and region).
    cohort : int
        Woman's birth cohort [calendar year], 0 <= cohort < 4096.
    woman : int
        Index of the woman within her cohort, 0 <= woman < 2**36.
    draw : int
        Draw number for this woman, 0 <= draw < 256.

    Returns
    -------
    float
        ``(z >> 11) * 2**-53`` for the hashed counter ``z``.
    """
    z = key + (counter(cohort, woman, draw) + _ONE) * GOLDEN
    z = mix64(z)
    z = mix64(z ^ key)
    return np.float64(z >> _S11) * _TO_UNIT


def uniform_np(key, cohort, woman, draw) -> np.ndarray:
    """Vectorised NumPy twin of :func:`uniform` (same bits), for references and tests.

    Parameters
    ----------
    key : int or ndarray of uint64
        Stream key(s).
    cohort, woman, draw : int or ndarray of int
        Counter fields, broadcast together (see :func:`uniform` for ranges).

    Returns
    -------
    ndarray of float64
        Uniforms on [0, 1).
    """
    key = np.asarray(key, dtype=np.uint64)
    c = np.asarray(cohort, dtype=np.uint64)
    w = np.asarray(woman, dtype=np.uint64)
    d = np.asarray(draw, dtype=np.uint64)
    with np.errstate(over="ignore"):
        ctr = (c << _COHORT_SHIFT) | (w << _WOMAN_SHIFT) | d
        z = key + (ctr + _ONE) * GOLDEN
        z = _mix64_np(z)
        z = _mix64_np(z ^ key)
    return (z >> _S11).astype(np.float64) * _TO_UNIT


def _mix64_np(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def stream_keys(
    seed: int,
    n_replicates: int,
    region_ids: Sequence[int],
    scenario_stream: int | None = None,
) -> np.ndarray:
    """Stream keys for every (replicate, region) from one seed.

    Parameters
    ----------
    seed : int
        Run seed (non-negative).
    n_replicates : int
        Number of replicates K.
    region_ids : sequence of int
        Stable identifiers of the regions (e.g. GB/T 2260 codes), non-negative; using codes
        rather than positions keeps a region's numbers the same whichever regions a run selects.
    scenario_stream : int, optional
        When given, it is prepended to the spawn key so the scenario gets its own streams;
        by default (None) all scenarios share common random numbers.

    Returns
    -------
    ndarray of uint64, shape (K, R)
    """
    if n_replicates < 1:
        raise ValueError(f"n_replicates must be >= 1, got {n_replicates}")
    prefix = () if scenario_stream is None else (int(scenario_stream),)
    keys = np.empty((n_replicates, len(region_ids)), dtype=np.uint64)
    for k in range(n_replicates):
        for j, rid in enumerate(region_ids):
            ss = np.random.SeedSequence(int(seed), spawn_key=(*prefix, k, int(rid)))
            keys[k, j] = ss.generate_state(1, dtype=np.uint64)[0]
    return keys


# Normal quantile (P. J. Acklam's rational approximation, relative error < 1.2e-9), used to
# turn a uniform into a lognormal frailty. Coefficients are part of the published algorithm.
_A = (-3.969683028665376e01, 2.209460984245205e02, -2.759285104469687e02,
      1.383577518672690e02, -3.066479806614716e01, 2.506628277459239e00)
_B = (-5.447609879822406e01, 1.615858368580409e02, -1.556989798598866e02,
      6.680131188771972e01, -1.328068155288572e01)
_C = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e00,
      -2.549732539343734e00, 4.374664141464968e00, 2.938163982698783e00)
_D = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
_P_LOW = 0.02425


@njit(inline="always")
def normal_quantile(p):
    """Standard normal quantile of ``p`` in (0, 1) (Acklam's approximation)."""
    if p < _P_LOW:
        q = math.sqrt(-2.0 * math.log(p))
        return (((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0
        )
    if p > 1.0 - _P_LOW:
        q = math.sqrt(-2.0 * math.log(1.0 - p))
        return -(((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / (
            (((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0
        )
    q = p - 0.5
    r = q * q
    return (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q / (
        ((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0
    )


@njit(inline="always")
def frailty_power(v, sd):
    """``1 / Z`` for a lognormal frailty ``Z = exp(sd·Φ⁻¹(v) − sd²/2)`` (mean 1).

    A person with frailty ``Z`` and survival table ``L`` is alive at ``j`` iff
    ``u < L[j]^Z``, i.e. ``u^(1/Z) < L[j]``: frailty transforms the uniform, not the table.
    """
    return math.exp(-(sd * normal_quantile(v) - 0.5 * sd * sd))
