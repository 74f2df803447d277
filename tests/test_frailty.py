"""Optional shared frailty of a mother and her children (microsimulation only)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.stats import norm
from test_micro_kernels import toy_inputs

from lossproj.engines import micro
from lossproj.engines.micro import simulate_counts_region, women_per_cohort
from lossproj.engines.micro_reference import simulate_reference_region
from lossproj.engines.rng import frailty_power, normal_quantile, stream_keys


def test_normal_quantile_matches_scipy():
    p = np.array([1e-9, 1e-4, 0.02, 0.02425, 0.3, 0.5, 0.77, 0.99, 1 - 1e-7])
    got = np.array([normal_quantile(x) for x in p])
    np.testing.assert_allclose(got, norm.ppf(p), rtol=1e-8, atol=1e-8)


def test_frailty_has_mean_one():
    v = (np.arange(200_000) + 0.5) / 200_000
    z = np.array([1.0 / frailty_power(x, 0.8) for x in v])
    assert z.mean() == pytest.approx(1.0, rel=1e-3)
    assert np.log(z).std() == pytest.approx(0.8, rel=1e-3)


@pytest.fixture(scope="module")
def frail():
    inp = dataclasses.replace(toy_inputs(), frailty_sd=0.7)
    n, _ = women_per_cohort(inp, 1.0)
    keys = stream_keys(11, 1, list(range(inp.n_regions)), None)
    return inp, n, keys


def test_kernel_equals_reference_with_frailty(frail):
    inp, n, keys = frail
    got = simulate_counts_region(inp, 0, keys[0, 0], n[0], block_size=7)
    want = simulate_reference_region(inp, 0, int(keys[0, 0]), n[0])
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_zero_frailty_draws_no_frailty(frail):
    """With frailty_sd = 0 the kernel is the independent model (reference without frailty)."""
    inp, n, keys = frail
    off = dataclasses.replace(inp, frailty_sd=0.0)
    a = simulate_counts_region(off, 0, keys[0, 0], n[0])
    b = simulate_reference_region(off, 0, int(keys[0, 0]), n[0])
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_shared_frailty_lowers_loss_among_surviving_old_mothers():
    """Frail mothers die sooner and so do their frail children: among mothers still alive at
    old ages, fewer have lost their only child than under independence (common random numbers)."""
    base = toy_inputs(n_regions=1, women=400.0)
    res = {}
    for sd in (0.0, 1.0):
        inp = dataclasses.replace(base, frailty_sd=sd)
        ds = micro.to_dataset(micro.simulate(inp, seed=5, scale=1.0), ["R"])
        old = ds.sel(sex="female", age=slice(70, 100))
        res[sd] = float(old["shidu_parents_strict"].sum() / old["one_child_parents"].sum())
    assert res[1.0] < 0.95 * res[0.0], res
