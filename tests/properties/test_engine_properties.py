"""Property-based tests: invariants of the expected-value state process for random rates."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from lossproj.engines import expected_kernels as k
from lossproj.engines.expected import run_region_cohorts
from lossproj.rates.bundle import A_MAX, FERT_MAX, FERT_MIN

levels = st.floats(min_value=0.0, max_value=3.0, allow_nan=False)


@settings(max_examples=25, deadline=None)
@given(
    tfr=st.floats(min_value=0.5, max_value=6.0),
    child_mx=st.floats(min_value=0.0, max_value=0.2),
    second=levels, third=levels, more=levels, replace=st.floats(min_value=0.0, max_value=1.0),
    mean_age=st.floats(min_value=20.0, max_value=35.0),
)
def test_state_process_invariants(tfr, child_mx, second, third, more, replace, mean_age):
    first_year, last_year = 1950, 2040
    n_y = last_year - first_year + 1
    ages = np.arange(A_MAX + 1)
    mx = np.zeros((2, n_y, A_MAX + 1))
    mx[:] = 0.0005 * np.exp(0.09 * (ages - 30)) + child_mx * (ages < 5)
    shape = np.exp(-0.5 * ((ages - mean_age) / 5.0) ** 2)
    shape[(ages < FERT_MIN) | (ages > FERT_MAX)] = 0.0
    asfr = np.tile(tfr * shape / shape.sum(), (n_y, 1))
    rel = np.zeros((4, n_y))
    rel[:] = np.array([1.0, second, third, more])[:, None]
    out = run_region_cohorts(
        mx, asfr, np.full(n_y, 1.05), first_year, rel, np.array([0.0, 0.5, 1.0]),
        np.full((n_y, A_MAX + 1), replace), np.array([0.4, 0.4, 0.2]), 15, 1960, 1980,
    )
    np.testing.assert_allclose(out.q.sum(axis=-1), 1.0, atol=1e-9)
    assert out.q.min() >= -1e-12
    assert np.all(out.surv <= out.ceb + 1e-9)
    assert np.all(np.diff(out.ceb, axis=1) >= -1e-12)  # children ever born never fall
    # births per woman reproduce the ASFR wherever the solve could place them
    placed = np.diff(out.ceb[:, FERT_MIN : FERT_MAX + 2], axis=1)
    target = asfr[0, FERT_MIN : FERT_MAX + 1]
    short = out.shortfall[:, FERT_MIN : FERT_MAX + 1]
    np.testing.assert_allclose(placed + short, np.tile(target, (placed.shape[0], 1)), atol=1e-9)
    # strict shidu is a subset of one-child women; rebirths never exceed entries into D1
    assert np.all(out.q[..., k.D1] <= out.q[..., k.N1] + out.q[..., k.D1] + 1e-12)
    assert np.all(out.rebirth.sum(axis=1) <= out.new_d1.sum(axis=(1, 2)) + 1e-9)
