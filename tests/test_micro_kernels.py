"""Tests of the microsimulation kernel: exact agreement with the NumPy reference, invariants."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from lossproj.engines import micro_kernels as mk
from lossproj.engines.micro import MicroInputs, simulate_counts_region, women_per_cohort
from lossproj.engines.micro_reference import simulate_reference_region
from lossproj.engines.rng import stream_keys


def toy_inputs(
    *,
    n_regions: int = 2,
    first_cohort: int = 1900,
    last_cohort: int = 2030,
    women: float = 3.0,
    child_mx_factor: float = 6.0,
    a_max: int = 110,
    out_first_year: int = 1990,
    out_last_year: int = 2050,
) -> MicroInputs:
    """Small synthetic inputs: Gompertz-Makeham mortality, bell-shaped fertility, policy eras.

    Child mortality is inflated (``child_mx_factor``) so that losses are common in small
    samples. Rates years run from ``first_cohort`` to ``out_last_year + 5``.
    """
    y0, y1 = first_cohort, out_last_year + 5
    years = np.arange(y0, y1 + 1)
    ages = np.arange(a_max + 1)
    n_y = years.size
    improve = np.exp(-0.015 * (years - y0))[:, None]
    adult = 5e-4 + 4e-5 * np.exp(0.09 * ages)[None, :]
    child = child_mx_factor * 0.02 * np.exp(-0.6 * ages)[None, :] * improve
    mx = np.empty((n_regions, 2, n_y, a_max + 1))
    for r in range(n_regions):
        mx[r, 0] = (adult + child) * (1.0 + 0.1 * r)
        mx[r, 1] = mx[r, 0] * 1.25
    asfr_shape = np.where((ages >= 15) & (ages <= 49), np.exp(-0.5 * ((ages - 26) / 5.0) ** 2), 0)
    tfr = np.where(years < 1975, 5.0, np.where(years < 2000, 2.2, 1.6))
    lam = np.empty((n_regions, n_y, a_max + 1))
    for r in range(n_regions):
        lam[r] = tfr[:, None] * asfr_shape[None, :] / asfr_shape.sum() * (1.0 - 0.05 * r)
    rel = np.empty((n_regions, 4, n_y))
    one_child_era = (years >= 1980) & (years <= 2015)
    rel[:, 0] = 1.0
    rel[:, 1] = np.where(one_child_era, 0.25, 0.9)
    rel[:, 2] = np.where(one_child_era, 0.1, 0.6)
    rel[:, 3] = np.where(one_child_era, 0.05, 0.5)
    # replacement: younger women replace more often; fewer in the one-child era
    replace = np.where((ages >= 15) & (ages <= 49), np.clip(1.1 - ages / 45.0, 0.0, 1.0), 0.0)[None, :]
    replace = replace * np.where(one_child_era, 0.85, 0.95)[:, None]
    return MicroInputs(
        mx=mx,
        lam=lam,
        rel=rel,
        dur1=np.array([0.0, 0.6, 1.0, 1.0, 0.8, 0.6]),
        replace_share=np.broadcast_to(replace, (n_regions, n_y, a_max + 1)).copy(),
        wait_pmf=np.array([0.3, 0.4, 0.2, 0.1]),
        # first-born children die at 0.8 times the rate at ages 0-4, later-born at 1.2 times
        child_mx_factor=np.stack([np.where(ages < 5, f, 1.0) * np.ones((n_y, 1)) for f in (0.8, 1.2)]),
        srb=np.full(n_y, 1.12),
        gap_values=np.arange(-2, 9),
        gap_pmf=np.array([0.03, 0.07, 0.15, 0.2, 0.18, 0.13, 0.09, 0.06, 0.04, 0.03, 0.02]),
        union_age=15,
        cohort_sizes=np.full((n_regions, last_cohort - first_cohort + 1), women),
        first_cohort=first_cohort,
        last_cohort=last_cohort,
        out_first_year=out_first_year,
        out_last_year=out_last_year,
        rate_first_year=y0,
        eligibility_age=49,
    )


@pytest.fixture(scope="module")
def small():
    # six women a cohort: enough for every state, including the rare widowers whose only child
    # dies at 10+ (M_FAM_NEW10), to occur in both regions
    inp = toy_inputs(women=6.0)
    n, _ = women_per_cohort(inp, 1.0)
    keys = stream_keys(7, 1, [11, 12])
    return inp, n, keys


def test_kernel_equals_reference_exactly(small):
    inp, n, keys = small
    totals = [0, 0, 0]
    for r in range(inp.n_regions):
        got = simulate_counts_region(inp, r, keys[0, r], n[r], block_size=5)
        want = simulate_reference_region(inp, r, int(keys[0, r]), n[r])
        for g, w, name in zip(got, want, ("women", "men", "events"), strict=True):
            assert g.shape == w.shape, name
            np.testing.assert_array_equal(g, w, err_msg=f"region {r}: {name}")
        totals = [t + np.abs(g).sum(axis=tuple(range(1, g.ndim))) for t, g in zip(totals, got, strict=True)]
    # the comparison is not vacuous: every state and event occurs in one region or the other
    women, men, events = totals
    for q in range(mk.N_W):
        assert women[q] > 0, f"women quantity {q} never occurs"
    for q in range(mk.N_M):
        assert men[q] > 0, f"men quantity {q} never occurs"
    assert events[mk.E_REBIRTHS] > 0
    # sums of squares exceed sums where someone has two or more children
    assert women[mk.W_CEB2] > women[mk.W_CEB]
    assert women[mk.W_SURV2] > women[mk.W_SURV]


def test_same_counts_for_any_threads_block_size_and_chunking(small):
    inp, n, keys = small
    n = n * 20  # ~8000 women per region
    results = []
    before = numba.get_num_threads()
    try:
        for threads, block, chunk in ((1, 64, None), (2, 64, None), (2, 7, 3), (2, 100000, 1)):
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            results.append(
                simulate_counts_region(inp, 1, keys[0, 1], n[1], block_size=block,
                                       blocks_per_chunk=chunk)  # fmt: skip
            )
    finally:
        numba.set_num_threads(before)
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            np.testing.assert_array_equal(a, b)


def test_different_keys_give_different_counts(small):
    inp, n, keys = small
    a = simulate_counts_region(inp, 0, keys[0, 0], n[0])
    b = simulate_counts_region(inp, 0, keys[0, 1], n[0])
    assert not np.array_equal(a[0], b[0])


def test_state_invariants(small):
    inp, n, keys = small
    women, men, _ = simulate_counts_region(inp, 0, keys[0, 0], n[0] * 20)
    for arr, pop, n1, d1, wide, lost, new in (
        (women, mk.W_POP, mk.W_N1, mk.W_D1, mk.W_WIDE, mk.W_LOST, mk.W_NEW),
        (men, mk.M_POP, mk.M_N1, mk.M_D1, mk.M_WIDE, mk.M_LOST, mk.M_NEW),
    ):
        assert arr.min() >= 0
        assert np.all(arr[wide] >= arr[d1])  # wide >= strict
        assert np.all(arr[lost] >= arr[d1])
        assert np.all(arr[d1] >= arr[new])
        assert np.all(arr[n1] + arr[d1] <= arr[pop])  # one-child parents <= living
        assert np.all(arr[wide] <= arr[pop])
    assert np.all(women[mk.W_SURV] <= women[mk.W_CEB])
    assert np.all(women[mk.W_CEB2] >= women[mk.W_CEB])  # integers: y**2 >= y
    assert np.all(women[mk.W_SURV2] >= women[mk.W_SURV])
    assert np.all(men[mk.M_FAM_D1] <= men[mk.M_D1])
    assert np.all(men[mk.M_FAM_N1] <= men[mk.M_N1])
