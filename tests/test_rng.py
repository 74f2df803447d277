"""Tests of the counter-based random numbers used by the microsimulation."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from scipy import stats

from lossproj.engines.rng import stream_keys, uniform, uniform_np


@numba.njit
def _uniforms_numba(key, cohorts, women, draws):
    out = np.empty(cohorts.size)
    for j in range(cohorts.size):
        out[j] = uniform(key, cohorts[j], women[j], draws[j])
    return out


def _counters(n: int, seed: int = 3):
    g = np.random.default_rng(seed)
    return (g.integers(0, 4096, n), g.integers(0, 2**36, n), g.integers(0, 256, n))


def test_numba_and_numpy_give_the_same_bits():
    key = stream_keys(5, 1, [0])[0, 0]
    c, w, d = _counters(20000)
    np.testing.assert_array_equal(_uniforms_numba(key, c, w, d), uniform_np(key, c, w, d))


def test_uniforms_are_uniform_on_unit_interval():
    key = stream_keys(1, 1, [0])[0, 0]
    n = 400_000
    i = np.arange(n)
    u = uniform_np(key, 1960, i // 100, i % 100)  # consecutive women and draws
    assert u.min() >= 0.0 and u.max() < 1.0
    counts = np.bincount((u * 100).astype(int), minlength=100)
    # chi-square with 99 df: false-alarm rate 1e-4 for a good generator
    assert stats.chisquare(counts).pvalue > 1e-4
    assert abs(u.mean() - 0.5) < 4 * np.sqrt(1 / 12 / n)


def test_neighbouring_counters_and_keys_are_uncorrelated():
    keys = stream_keys(2, 1, [0, 1])[0]
    n = 200_000
    i = np.arange(n)
    a = uniform_np(keys[0], 1970, i, 0)
    b = uniform_np(keys[0], 1970, i, 1)  # next draw of the same woman
    c = uniform_np(keys[0], 1970, i + 1, 0)  # next woman
    d = uniform_np(keys[1], 1970, i, 0)  # other region
    for other in (b, c, d):
        assert abs(np.corrcoef(a, other)[0, 1]) < 4 / np.sqrt(n)


def test_stream_keys_follow_seedsequence_spawning():
    keys = stream_keys(42, 2, range(3))
    assert keys.shape == (2, 3) and keys.dtype == np.uint64
    children = np.random.SeedSequence(42).spawn(2)
    for k in range(2):
        for r, grandchild in enumerate(children[k].spawn(3)):
            assert keys[k, r] == grandchild.generate_state(1, dtype=np.uint64)[0]
    assert len(set(keys.ravel().tolist())) == 6
    np.testing.assert_array_equal(keys, stream_keys(42, 2, range(3)))


def test_scenario_stream_gives_other_keys_and_default_is_common():
    common = stream_keys(42, 1, [11, 12])
    own = stream_keys(42, 1, [11, 12], scenario_stream=3)
    assert not np.any(common == own)


def test_stream_keys_rejects_zero_replicates():
    with pytest.raises(ValueError, match="n_replicates must be >= 1"):
        stream_keys(1, 0, [0])
