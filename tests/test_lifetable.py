"""Single-year period life tables (lossproj.rates.lifetable)."""

import numpy as np
import pytest

from lossproj.rates.lifetable import (
    death_probability,
    infant_ax,
    life_expectancy,
    person_years,
    survival_probability,
)


def reference_e0(mx, sex):
    """Slow, obvious life table: loops over ages (HMD protocol, AK a0, ax = 1/2, e100 = 1/m)."""
    m0 = mx[0]
    if sex == "female":
        a0 = 0.14903 - 2.05527 * m0 if m0 < 0.01724 else (0.04667 + 3.88089 * m0 if m0 < 0.06891 else 0.31411)
    else:
        a0 = 0.14929 - 1.99545 * m0 if m0 < 0.0230 else (0.02832 + 3.26201 * m0 if m0 < 0.08307 else 0.29915)
    lx, total = 1.0, 0.0
    for x in range(100):
        ax = a0 if x == 0 else 0.5
        qx = min(mx[x] / (1 + (1 - ax) * mx[x]), 1.0)
        nxt = lx * (1 - qx)
        total += nxt + ax * (lx - nxt)
        lx = nxt
    return total + lx / mx[100]


def gompertz(level=1e-4, slope=0.09, infant=0.02):
    ages = np.arange(101)
    mx = level * np.exp(slope * ages) + 2e-4
    mx[0] = infant
    return mx


@pytest.mark.parametrize(
    ("m0", "sex", "a0"),
    [
        (0.01, "female", 0.14903 - 2.05527 * 0.01),
        (0.03, "female", 0.04667 + 3.88089 * 0.03),
        (0.20, "female", 0.31411),
        (0.01, "male", 0.14929 - 1.99545 * 0.01),
        (0.05, "male", 0.02832 + 3.26201 * 0.05),
        (0.20, "male", 0.29915),
    ],
)
def test_infant_ax_andreev_kingkade(m0, sex, a0):
    assert float(infant_ax(m0, sex)) == pytest.approx(a0, abs=1e-12)


@pytest.mark.parametrize("m", [0.001, 0.02, 0.3])
def test_constant_rate_gives_e0_one_over_m(m):
    for sex in ("female", "male"):
        assert float(life_expectancy(np.full(101, m), sex)) == pytest.approx(1 / m, rel=1e-12)


def test_matches_slow_reference():
    rng = np.random.default_rng(7)
    for _ in range(20):
        mx = gompertz(10 ** rng.uniform(-5, -3), rng.uniform(0.06, 0.11), rng.uniform(0.002, 0.25))
        for sex in ("female", "male"):
            assert float(life_expectancy(mx, sex)) == pytest.approx(reference_e0(mx, sex), rel=1e-12)


def test_vectorised_over_batch_axes_and_axis_argument():
    rng = np.random.default_rng(1)
    mx = np.stack([gompertz(10 ** rng.uniform(-5, -3)) for _ in range(6)]).reshape(2, 3, 101)
    sex = np.array(["female", "male"])[:, None]
    e0 = life_expectancy(mx, sex)
    assert e0.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            assert e0[i, j] == pytest.approx(reference_e0(mx[i, j], sex[i, 0]), rel=1e-12)
    moved = np.moveaxis(mx, -1, 0)
    np.testing.assert_allclose(life_expectancy(moved, sex, axis=0), e0, rtol=1e-14)


def test_survival_and_death_probabilities_consistent():
    mx = gompertz()
    lx = survival_probability(mx, "male")
    qx = death_probability(mx, "male")
    assert lx[0] == 1.0 and qx[-1] == 1.0
    assert np.all(np.diff(lx) < 0)
    np.testing.assert_allclose(lx[1:], np.cumprod(1 - qx[:-1]), rtol=1e-14)
    big_l = person_years(mx, "male")
    assert big_l[-1] == pytest.approx(lx[-1] / mx[-1])
    assert big_l.sum() == pytest.approx(float(life_expectancy(mx, "male")))


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="needs 101 ages"):
        life_expectancy(np.full(100, 0.01), "female")
    with pytest.raises(ValueError, match="finite and >= 0"):
        life_expectancy(np.r_[-0.01, np.full(100, 0.01)], "female")
    with pytest.raises(ValueError, match="open age group 100\\+ needs a death rate > 0"):
        life_expectancy(np.r_[np.full(100, 0.01), 0.0], "female")
    with pytest.raises(ValueError, match="unknown sex 'both'"):
        life_expectancy(np.full(101, 0.01), "both")
