"""National single-year mortality and provincial Brass logit schedules (lossproj.rates.mortality).

The acceptance tests read the processed tables in data/ (built by ``lossproj data build``).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from lossproj.rates import mortality as M
from lossproj.rates.lifetable import life_expectancy
from lossproj.regions import NATIONAL, PROVINCE_NAMES

DATA = Path(__file__).resolve().parents[1] / "data"
SEX = np.array(M.SEXES)[:, None]
CENSUS_YEARS = [1990, 2000, 2010, 2020]


@pytest.fixture(scope="module")
def national():
    m = pd.read_csv(DATA / "mortality_national.csv")
    w = pd.read_csv(DATA / "wpp_e0_annual.csv")
    years = np.arange(1950, 2101)
    mx = np.stack(
        [m[m.sex == s].pivot(index="year", columns="age", values="mx").loc[years].to_numpy() for s in M.SEXES]
    )
    e0 = np.stack([w[w.sex == s].set_index("year").loc[years, "e0"].to_numpy() for s in M.SEXES])
    return years, mx, e0


@pytest.fixture(scope="module")
def census_e0():
    e = pd.read_csv(DATA / "province_e0_census.csv")
    return e.set_index(["region", "sex", "census_year"])["e0"].to_xarray()


# --------------------------------------------------------------- acceptance: packaged tables


def test_national_table_covers_grid(national):
    years, mx, _ = national
    assert mx.shape == (2, 151, 101)
    assert np.all(np.isfinite(mx)) and np.all(mx > 0)


def test_national_e0_matches_wpp_annual_every_year(national):
    """|e0 − WPP annual e0| < 0.1 year for every year 1950–2100 and both sexes."""
    years, mx, e0_wpp = national
    err = np.abs(life_expectancy(mx, SEX) - e0_wpp)
    assert err.max() < 0.1, f"worst year {years[err.max(axis=0).argmax()]}: {err.max():.4f}"
    # the famine years are in the annual schedules, not smoothed away
    assert life_expectancy(mx[:, years == 1960], SEX).max() < 36


def test_census_e0_table_fills_chongqing_and_flags_jiangxi():
    e = pd.read_csv(DATA / "province_e0_census.csv")
    assert set(e.region) == {*PROVINCE_NAMES, NATIONAL}
    assert set(e.sex) == {"female", "male", "both"}
    assert e.e0.notna().all()
    cq = e[(e.region == "Chongqing") & (e.census_year == 1990)].set_index("sex").e0
    sc = e[(e.region == "Sichuan") & (e.census_year == 1990)].set_index("sex").e0
    pd.testing.assert_series_equal(cq, sc)
    assert e[(e.region == "Chongqing") & (e.census_year == 1990)].note.str.contains("Sichuan").all()
    jx = e[(e.region == "Jiangxi") & (e.census_year == 2020)]
    assert jx.note.str.contains("exceeds").all()


@pytest.mark.parametrize("option", ["census_differential", "census_levels"])
def test_provincial_e0_reproduces_census(national, census_e0, option):
    """Each province's e0 differential (census_levels: its e0) is the census one within 0.05 y."""
    years, mx, e0_wpp = national
    prov = M.provincial_mx(mx, e0_wpp, census_e0, years, option=option)
    assert set(prov.region.values) == set(PROVINCE_NAMES)
    idx = np.searchsorted(years, CENSUS_YEARS)
    e0_prov = life_expectancy(prov.values[:, :, idx], SEX[None])  # (region, sex, census)
    cen = census_e0.sel(region=list(prov.region.values), sex=list(M.SEXES), census_year=CENSUS_YEARS)
    if option == "census_differential":
        got = e0_prov - e0_wpp[None][:, :, idx]
        want = (cen - census_e0.sel(region=NATIONAL, sex=list(M.SEXES), census_year=CENSUS_YEARS)).values
    else:
        got, want = e0_prov, cen.values
    assert np.abs(got - want).max() < 0.05


def test_provincial_follows_national_outside_census_years(national, census_e0):
    years, mx, e0_wpp = national
    prov = M.provincial_mx(mx, e0_wpp, census_e0, years)
    e0 = life_expectancy(prov.sel(region="Beijing").values, SEX)
    gap = e0 - e0_wpp
    i1990, i2020 = years.searchsorted(1990), years.searchsorted(2020)
    assert np.abs(gap[:, :i1990] - gap[:, [i1990]]).max() < 1e-5
    assert np.abs(gap[:, i2020:] - gap[:, [i2020]]).max() < 1e-5
    i1995 = years.searchsorted(1995)
    np.testing.assert_allclose(gap[:, i1995], 0.5 * (gap[:, i1990] + gap[:, years.searchsorted(2000)]), atol=1e-5)


# --------------------------------------------------------------- unit tests


def test_single_age_mx_keeps_group_rates():
    ages = np.array(M.ABRIDGED_STARTS)
    abridged = 1e-4 * np.exp(0.085 * ages) + 3e-4
    abridged[0], abridged[1] = 0.03, 0.004
    single = M.single_age_mx(abridged)
    assert single.shape == (101,) and np.all(single > 0)
    assert single[0] == abridged[0] and single[100] == abridged[-1]
    assert single[1:5].mean() == pytest.approx(abridged[1], rel=1e-10)
    means = single[5:100].reshape(19, 5).mean(axis=1)
    np.testing.assert_allclose(means, abridged[2:-1], rtol=1e-10)
    assert np.all(np.diff(single[1:6]) < 0)  # childhood decline into age 5


def test_interpolate_years_linear_in_log_and_flat_outside():
    values = np.array([[0.01, 0.1], [0.04, 0.4]])  # (time, age)
    out = M.interpolate_years(values, [2000.0, 2010.0], [1990, 2000, 2005, 2010, 2020], axis=0)
    np.testing.assert_allclose(out[[0, 1]], values[[0, 0]])
    np.testing.assert_allclose(out[2], [0.02, 0.2])
    np.testing.assert_allclose(out[[3, 4]], values[[1, 1]])


def test_extend_years_holds_first_year():
    arr = np.arange(6.0).reshape(3, 2)
    ext, years = M.extend_years(arr, [1950, 1951, 1952], 1948, axis=0)
    assert years.tolist() == [1948, 1949, 1950, 1951, 1952]
    np.testing.assert_array_equal(ext[:3], arr[[0, 0, 0]])
    with pytest.raises(ValueError, match="first_year 1960 is after the first year 1950"):
        M.extend_years(arr, [1950, 1951, 1952], 1960)


def test_scale_to_e0_hits_target():
    base = M.single_age_mx(np.r_[0.03, 0.004, 1e-4 * np.exp(0.085 * np.arange(5, 101, 5)) + 3e-4])
    out = M.scale_to_e0(np.stack([base, base]), [35.0, 80.0], np.array(["female", "male"]))
    np.testing.assert_allclose(life_expectancy(out, np.array(["female", "male"])), [35.0, 80.0], atol=1e-6)
    np.testing.assert_allclose(out[0] / base, (out[0] / base)[0])  # one factor at all ages


def test_brass_alpha_zero_returns_the_standard(national):
    _, mx, _ = national
    std = mx[:, [0, 70, 150]]  # 1950, 2020, 2100
    target = life_expectancy(std, SEX)
    alpha, fitted = M.brass_logit_fit(std, target, SEX)
    np.testing.assert_allclose(alpha, 0.0, atol=1e-6)
    np.testing.assert_allclose(fitted, std, rtol=1e-4)


def test_brass_higher_e0_means_negative_alpha(national):
    _, mx, _ = national
    std = mx[:, 70]
    e0 = life_expectancy(std, M.SEXES)
    alpha, fitted = M.brass_logit_fit(std, e0 + 2.0, np.array(M.SEXES))
    assert np.all(alpha < 0)
    np.testing.assert_allclose(life_expectancy(fitted, np.array(M.SEXES)), e0 + 2.0, atol=1e-6)


def test_weighted_and_pooled_e0():
    mx = np.full((2, 101), 0.02)
    mx[1] = 0.04
    assert float(M.weighted_mean_e0([50.0, 25.0], [3.0, 1.0])) == pytest.approx(43.75)
    pooled = M.pooled_e0(mx, np.array([[1.0], [1.0]]), "female")
    assert float(pooled) == pytest.approx(1 / 0.03)


def test_errors_name_the_problem(national, census_e0):
    years, mx, e0 = national
    with pytest.raises(ValueError, match="unknown option 'census'; allowed"):
        M.provincial_mx(mx, e0, census_e0, years, option="census")
    with pytest.raises(ValueError, match=r"national_mx must have shape \(2, 151, 101\)"):
        M.provincial_mx(mx[:, :, :100], e0, census_e0, years)
    no_china = census_e0.sel(region=[r for r in census_e0.region.values if r != NATIONAL])
    with pytest.raises(ValueError, match="needs a 'China' region row"):
        M.provincial_mx(mx, e0, no_china, years)
    with pytest.raises(ValueError, match="outside the Brass logit range"):
        M.brass_logit_fit(mx[:, 70], [1e5, 1e5], np.array(M.SEXES))
    empty = xr.full_like(census_e0, np.nan).copy()
    empty.loc[{"region": NATIONAL}] = census_e0.sel(region=NATIONAL)
    with pytest.raises(ValueError, match="region '[A-Za-z ]+', sex 'female' has no census e0 value"):
        M.census_differential(empty, years)


def test_national_e0_gap_zero_when_provinces_are_national(national):
    years, mx, e0 = national
    prov = xr.DataArray(
        np.stack([mx[:, :3], mx[:, :3]]),
        dims=("region", "sex", "year", "age"),
        coords={"region": ["A", "B"], "sex": list(M.SEXES), "year": years[:3], "age": np.arange(101)},
    )
    pop = np.ones((2, 2, 101))
    gap = M.national_e0_gap(prov, pop, life_expectancy(mx[:, :3], SEX))
    np.testing.assert_allclose(gap.weighted_mean_gap, 0.0, atol=1e-10)
    np.testing.assert_allclose(gap.pooled_gap, 0.0, atol=1e-10)
    shifted = M.national_e0_gap(prov, pop, life_expectancy(mx[:, :3], SEX) - 1.0)
    np.testing.assert_allclose(shifted.weighted_mean_gap, 1.0, atol=1e-10)
