"""Graduation of grouped counts and rates to single ages (lossproj.rates.graduation)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from raw_fixtures import raw_dir

from lossproj.rates.graduation import graduate_counts, graduate_rates_5y, rake_to_total

RAW_SMALL = raw_dir("raw_small")
DATA = Path(__file__).resolve().parents[1] / "data"
CENSUS_STARTS = np.array([0, 1, *range(5, 101, 5)])


def group_sums(single, starts, first_age=None):
    first_age = starts[0] if first_age is None else first_age
    ages = np.arange(first_age, first_age + single.shape[-1])
    idx = np.searchsorted(starts, ages, side="right") - 1
    return np.stack([single[..., idx == g].sum(axis=-1) for g in range(len(starts))], axis=-1)


@pytest.fixture(scope="module")
def census_china():
    pop5 = pd.read_csv(RAW_SMALL / "cn_census_pop_province_age5_sex_2010_2020.csv")
    pop1 = pd.read_csv(RAW_SMALL / "cn_census2010_pop_single_age_sex.csv")
    nat = pop5[pop5.province_code == 0].sort_values(["census_year", "age_start"])
    return nat, pop1


def test_census_groups_kept_exactly(census_china):
    nat, _ = census_china
    for (_, grp) in nat.groupby("census_year"):
        totals = grp[["female", "male"]].to_numpy(float).T  # (sex, group)
        single = graduate_counts(CENSUS_STARTS, totals)
        assert single.shape == (2, 101)
        assert np.all(single >= 0)
        np.testing.assert_allclose(group_sums(single, CENSUS_STARTS), totals, rtol=1e-13)


def test_guided_by_own_profile_returns_the_profile(census_china):
    """2010 national groups guided by the 2010 national single ages give those single ages."""
    nat, pop1 = census_china
    totals = nat[nat.census_year == 2010]["female"].to_numpy(float)
    shape = pop1.sort_values("age")["female"].to_numpy(float)
    single = graduate_counts(CENSUS_STARTS, totals, shape=shape)
    np.testing.assert_allclose(single, shape, rtol=1e-10)


def test_guided_keeps_totals_and_copies_irregularity(census_china):
    nat, pop1 = census_china
    totals = nat[nat.census_year == 2020]["male"].to_numpy(float)
    ref = pop1.sort_values("age")["male"].to_numpy(float)
    shape = np.full(101, np.nan)
    shape[15:100] = ref[5:90]  # same cohorts ten years earlier
    guided = graduate_counts(CENSUS_STARTS, totals, shape=shape)
    plain = graduate_counts(CENSUS_STARTS, totals)
    np.testing.assert_allclose(group_sums(guided, CENSUS_STARTS), totals, rtol=1e-13)
    # no reference below 15: identical to the plain graduation there
    np.testing.assert_allclose(guided[:15], plain[:15], rtol=1e-12)
    # the famine birth cohorts (aged 59-60 at the 2020 census) form a trough, as in 2010;
    # the plain graduation cannot see it
    assert guided[60] < 0.8 * guided[57] and guided[60] < 0.8 * guided[63]
    assert plain[60] > plain[63]


def test_smooth_population_recovered_closely():
    ages = np.arange(101)
    truth = 1e6 * np.exp(-((ages - 35.0) / 30.0) ** 2) + 1e3
    totals = np.array([truth[s:e].sum() for s, e in zip(CENSUS_STARTS[:-1], CENSUS_STARTS[1:], strict=True)])
    totals = np.append(totals, truth[100])
    single = graduate_counts(CENSUS_STARTS, totals)
    # within 2.5 % below 95; the last closed group (95-99) is the least constrained
    assert np.max(np.abs(single[:95] - truth[:95]) / truth[:95]) < 0.025


@settings(max_examples=60, deadline=None)
@given(
    widths=st.lists(st.integers(1, 10), min_size=1, max_size=12),
    data=st.data(),
    guided=st.booleans(),
)
def test_property_group_totals_exact(widths, data, guided):
    starts = np.concatenate([[0], np.cumsum(widths)])
    max_age = int(starts[-1])
    totals = data.draw(
        arrays(float, starts.size, elements=st.floats(0, 1e8, allow_subnormal=False))
    )
    shape = None
    if guided:
        shape = data.draw(
            arrays(float, max_age + 1, elements=st.floats(0.1, 1e6, allow_subnormal=False))
        )
    single = graduate_counts(starts, totals, max_age=max_age, shape=shape)
    assert single.shape == (max_age + 1,)
    assert np.all(single >= 0)
    np.testing.assert_allclose(group_sums(single, starts), totals, rtol=1e-12, atol=1e-6)


@pytest.mark.parametrize("method", ["cubic", "pchip"])
@settings(max_examples=40, deadline=None)
@given(rates=arrays(float, 9, elements=st.floats(0, 0.4, allow_subnormal=False)))
def test_property_rates_sums_exact(method, rates):
    single = graduate_rates_5y(rates, first_age=10, keep=(15, 49), method=method)
    assert single.shape == (35,)
    assert np.all(single >= 0)
    np.testing.assert_allclose(single.sum(), 5 * rates.sum(), rtol=1e-12, atol=1e-14)
    # the inner groups 20-24 .. 45-49 keep their own sums (ages 15 and 49 carry the folds)
    inner = single[5:34].reshape(-1)
    np.testing.assert_allclose(inner[:25].reshape(5, 5).sum(1), 5 * rates[2:7], rtol=1e-12, atol=1e-14)


def test_rates_fold_tails_into_edge_ages():
    rates = np.array([0.01, 0.05, 0.1, 0.1, 0.06, 0.03, 0.01, 0.002, 0.001])
    full = graduate_rates_5y(rates, first_age=10)
    kept = graduate_rates_5y(rates, first_age=10, keep=(15, 49))
    assert kept[0] == pytest.approx(full[:6].sum())
    assert kept[-1] == pytest.approx(full[39:].sum())
    np.testing.assert_allclose(kept[1:-1], full[6:39])


def test_smooth_fertility_recovered_closely():
    """A smooth ASFR curve, grouped to 5 years, is graduated back within 6 % of its peak."""
    ages = np.arange(15, 50)
    truth = 0.12 * np.exp(-(((ages + 0.5) - 28.0) / 6.0) ** 2)
    groups = truth.reshape(7, 5).mean(axis=1)
    single = graduate_rates_5y(groups, first_age=15)
    assert np.max(np.abs(single - truth)) < 0.06 * truth.max()


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="open group starting at max_age=100"):
        graduate_counts([0, 1, 5], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="increase strictly"):
        graduate_counts([0, 5, 5], [1.0, 2.0, 3.0], max_age=5)
    with pytest.raises(ValueError, match="finite and >= 0"):
        graduate_counts([0, 1, 5], [1.0, -2.0, 3.0], max_age=5)
    with pytest.raises(ValueError, match="keep=.* must lie within"):
        graduate_rates_5y([0.1, 0.1], first_age=15, keep=(14, 20))
    with pytest.raises(ValueError, match="unknown graduation method 'loess'"):
        graduate_rates_5y([0.1, 0.1], first_age=15, method="loess")


def test_rake_keeps_part_groups_and_matches_total():
    rng = np.random.default_rng(5)
    starts = np.array([0, 1, 5, 10])
    parts = np.stack([graduate_counts(starts, rng.uniform(1e3, 1e5, 4), max_age=10) for _ in range(4)])
    totals_by_group = group_sums(parts, starts)
    whole = graduate_counts(starts, totals_by_group.sum(axis=0), max_age=10)
    raked = rake_to_total(parts, starts, whole)
    np.testing.assert_allclose(raked.sum(axis=0), whole, rtol=1e-11)
    np.testing.assert_allclose(group_sums(raked, starts), totals_by_group, rtol=1e-12)
    assert np.all(raked >= 0)
    with pytest.raises(ValueError, match="disagree on group totals"):
        rake_to_total(parts, starts, 2 * whole)


def test_population_table_provinces_add_up_to_china():
    """Packaged table: 31 provinces + China, ages 0..100, provinces sum to China at every age."""
    pop = pd.read_csv(DATA / "population_census.csv")
    assert pop.region.nunique() == 32 and sorted(pop.census_year.unique()) == [2010, 2020]
    assert sorted(pop.age.unique()) == list(range(101)) and (pop.population >= 0).all()
    china = pop[pop.region == "China"].set_index(["census_year", "sex", "age"]).population
    provinces = pop[pop.region != "China"].groupby(["census_year", "sex", "age"]).population.sum()
    np.testing.assert_allclose(provinces.loc[china.index], china, rtol=1e-9)
    # the national census total of 2020 (1 409 778 724 persons)
    assert china.loc[2020].sum() == pytest.approx(1_409_778_724, abs=1)
