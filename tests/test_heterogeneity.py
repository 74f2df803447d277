"""Sterile women and mothers who stop after their first child, in both engines."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from synthetic import synthetic_bundle, synthetic_parity
from test_expected_engine import _first_births_only
from test_micro_kernels import toy_inputs

from lossproj.engines import expected_kernels as k
from lossproj.engines import micro_kernels as mk
from lossproj.engines.expected import run_region_cohorts
from lossproj.engines.micro import simulate_counts_region, women_per_cohort
from lossproj.engines.micro_reference import simulate_reference_region
from lossproj.engines.rng import stream_keys


def test_sterile_share_closed_form():
    """First births only: P0 = s + (1 − s)·exp(−h·years), births only to the fecund."""
    h, m, s = 0.12, 0.03, 0.07
    mx, lam, rel = _first_births_only(h, m)
    sterile = np.full(mx.shape[1], s)
    out = run_region_cohorts(
        mx, lam, np.ones(mx.shape[1]), 1900, rel, np.ones(1), np.zeros(mx.shape[1:]), np.ones(1), 15, 1930, 1930,
        solve=False, sterile=sterile,
    )
    for a in (10, 15, 20, 35, 49, 55, 70):
        never = np.exp(-h * max(0, min(a, 50) - 15))
        assert out.q[0, a, k.P0] == pytest.approx(s + (1 - s) * never, rel=1e-12)
        assert out.ceb[0, a] == pytest.approx((1 - s) * (1 - never), rel=1e-12)


def test_sterile_share_applies_by_the_year_the_cohort_reaches_15():
    h, m = 0.12, 0.03
    mx, lam, rel = _first_births_only(h, m)
    sterile = np.zeros(mx.shape[1])
    sterile[1930 + 15 - 1900] = 0.2  # only the cohort reaching 15 in 1945
    out = run_region_cohorts(
        mx, lam, np.ones(mx.shape[1]), 1900, rel, np.ones(1), np.zeros(mx.shape[1:]), np.ones(1), 15, 1929, 1931,
        solve=False, sterile=sterile,
    )
    final = out.q[:, 60, k.P0]
    assert final[1] == pytest.approx(0.2 + 0.8 * np.exp(-h * 35), rel=1e-12)
    assert final[0] == pytest.approx(np.exp(-h * 35), rel=1e-12)
    assert final[2] == pytest.approx(np.exp(-h * 35), rel=1e-12)


def test_stopping_after_the_first_child_blocks_the_next_birth_while_it_lives():
    """stop = 1 and no child deaths: nobody reaches two children; stop = 0 lets them."""
    bundle = synthetic_bundle(child_mx=0.0)
    mx = bundle.mx[0].copy()
    mx[:, :, :50] = 0.0  # no child (or young adult) deaths
    parity = synthetic_parity(bundle)
    n_y = mx.shape[1]
    args = (mx, bundle.asfr[0], bundle.srb, bundle.first_year, parity.rel[0], parity.dur1,
            parity.replace_share[0], parity.wait_pmf, 15, 1950, 1960)  # fmt: skip
    stopped = run_region_cohorts(*args, stop=np.ones(n_y))
    free = run_region_cohorts(*args)
    assert np.abs(stopped.q[..., k.P2] + stopped.q[..., k.P3]).max() < 1e-12
    assert np.abs(stopped.q[:, :60, k.D1]).max() < 1e-12  # children are at most 44 at 59
    np.testing.assert_allclose(stopped.q[:, 50, k.N1], 1.0 - stopped.q[:, 50, k.P0], atol=1e-12)
    assert free.q[:, 50, k.P2].min() > 0.1
    # one birth at most: the births of the schedule beyond it are reported as unmet
    assert stopped.ceb.max() <= 1.0 + 1e-12
    assert stopped.shortfall.max() > 0.0
    assert free.shortfall.max() == 0.0


def test_intensity_solve_with_sterile_women_reproduces_asfr():
    bundle = synthetic_bundle()
    parity = synthetic_parity(bundle)
    n_y = bundle.mx.shape[2]
    out = run_region_cohorts(
        bundle.mx[0], bundle.asfr[0], bundle.srb, bundle.first_year, parity.rel[0],
        parity.dur1, parity.replace_share[0], parity.wait_pmf, 15, 1950, 1980,
        stop=np.full(n_y, 0.3), sterile=np.full(n_y, 0.05),
    )
    asfr = bundle.asfr[0, 0, 15:50]
    placed = np.diff(out.ceb[:, 15:51], axis=1)
    np.testing.assert_allclose(placed + out.shortfall[:, 15:50], np.tile(asfr, (31, 1)), rtol=1e-10)
    assert out.shortfall.max() == 0.0
    assert out.q[:, 50, k.P0].min() >= 0.05
    np.testing.assert_allclose(out.q.sum(axis=-1), 1.0, atol=1e-12)


@pytest.fixture(scope="module")
def heterogeneous():
    inp = toy_inputs()
    n_y = inp.mx.shape[2]
    n_c = inp.last_cohort - inp.first_cohort + 1
    years = np.arange(inp.rate_first_year, inp.rate_first_year + n_y)
    stop = np.tile(np.where((years >= 1980) & (years <= 2015), 0.6, 0.1), (inp.n_regions, 1))
    sterile = np.full((inp.n_regions, n_c), 0.15)
    inp = dataclasses.replace(inp, stop=stop, sterile=sterile)
    n, _ = women_per_cohort(inp, 1.0)
    keys = stream_keys(7, 1, [11, 12])
    return inp, n, keys


def test_kernel_equals_reference_with_sterile_and_stopping(heterogeneous):
    inp, n, keys = heterogeneous
    plain = dataclasses.replace(inp, stop=None, sterile=None)
    stop_only = dataclasses.replace(inp, sterile=None)
    for r in range(1):
        got = simulate_counts_region(inp, r, keys[0, r], n[r], block_size=5)
        want = simulate_reference_region(inp, r, int(keys[0, r]), n[r])
        for g, w, name in zip(got, want, ("women", "men", "events"), strict=True):
            np.testing.assert_array_equal(g, w, err_msg=f"region {r}: {name}")
        base = simulate_counts_region(plain, r, keys[0, r], n[r], block_size=5)
        stopping = simulate_counts_region(stop_only, r, keys[0, r], n[r], block_size=5)
        # not vacuous: stopping makes more one-child mothers, sterility fewer births
        assert stopping[0][mk.W_N1].sum() > 1.1 * base[0][mk.W_N1].sum()
        assert got[2][mk.E_BIRTHS].sum() < stopping[2][mk.E_BIRTHS].sum()
        assert got[0][mk.W_POP].sum() == base[0][mk.W_POP].sum()


def test_all_sterile_gives_no_births(heterogeneous):
    inp, n, keys = heterogeneous
    inp = dataclasses.replace(inp, sterile=np.ones_like(inp.sterile))
    women, men, events = simulate_counts_region(inp, 0, keys[0, 0], n[0])
    assert events.sum() == 0
    assert women[mk.W_CEB].sum() == 0
    assert women[mk.W_POP].sum() > 0


def test_shares_outside_0_1_are_refused(heterogeneous):
    from lossproj.engines.micro import validate_inputs

    inp, _, _ = heterogeneous
    with pytest.raises(ValueError, match=r"MicroInputs.stop must be shares <= 1"):
        validate_inputs(dataclasses.replace(inp, stop=inp.stop + 1.0))
    with pytest.raises(ValueError, match=r"MicroInputs.sterile has shape"):
        validate_inputs(dataclasses.replace(inp, sterile=inp.sterile[:, :5]))
