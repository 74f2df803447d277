"""National and provincial single-age fertility (lossproj.rates.fertility, packaged tables).

The acceptance tests read the processed tables in data/ (built by ``lossproj data build``).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lossproj.rates.fertility import census_ratio, provincial_asfr, tfr
from lossproj.regions import NATIONAL, PROVINCE_NAMES

DATA = Path(__file__).resolve().parents[1] / "data"
AGES = np.arange(15, 50)


@pytest.fixture(scope="module")
def national():
    return pd.read_csv(DATA / "fertility_national.csv")


@pytest.fixture(scope="module")
def province_2020():
    f = pd.read_csv(DATA / "fertility_province_2020.csv")
    return f.pivot(index="region", columns="age", values="asfr")


# --------------------------------------------------------------- acceptance: packaged tables


def test_national_tfr_matches_wpp_every_year_and_variant(national):
    """Σ single-age ASFR = WPP annual TFR within 0.5 % for every year and variant."""
    wpp = pd.read_csv(DATA / "wpp_tfr_annual.csv").set_index(["variant", "year"])["tfr"]
    got = national.groupby(["variant", "year"])["asfr"].sum()
    assert set(got.index.get_level_values("variant")) == {"medium", "low", "high"}
    assert sorted(set(got.index.get_level_values("year"))) == list(range(1950, 2101))
    rel = (got / wpp.loc[got.index] - 1).abs()
    assert rel.max() < 0.005, rel.idxmax()


def test_national_variants_equal_medium_before_projection(national):
    wide = national.pivot_table(index=["year", "age"], columns="variant", values="asfr")
    past = wide.loc[wide.index.get_level_values("year") < 2024]
    np.testing.assert_array_equal(past["low"], past["medium"])
    np.testing.assert_array_equal(past["high"], past["medium"])
    future = wide.loc[wide.index.get_level_values("year") >= 2024]
    assert (future["low"] < future["medium"]).any() and (future["high"] > future["medium"]).any()


def test_national_ages_and_values(national):
    assert sorted(national.age.unique()) == AGES.tolist()
    assert (national.asfr >= 0).all() and (national.asfr < 1).all()


def test_province_table_covers_regions(province_2020):
    assert set(province_2020.index) == {*PROVINCE_NAMES, NATIONAL}
    assert province_2020.columns.tolist() == AGES.tolist()
    assert (province_2020.to_numpy() >= 0).all()
    # the census national TFR 2020 (1.3009 children per woman)
    assert tfr(province_2020.loc[NATIONAL].to_numpy()) == pytest.approx(1.3009, abs=1e-4)


def test_provincial_rule_keeps_census_tfr_ratio_every_year(national, province_2020):
    nat = national[national.variant == "medium"].pivot(index="year", columns="age", values="asfr")
    prov = province_2020.loc[list(PROVINCE_NAMES)].to_numpy()
    cen = province_2020.loc[NATIONAL].to_numpy()
    out = provincial_asfr(nat.to_numpy(), prov, cen)
    assert out.shape == (31, 151, 35) and np.all(out >= 0)
    ratio = tfr(out) / tfr(nat.to_numpy())[None, :]
    np.testing.assert_allclose(ratio, np.broadcast_to((tfr(prov) / tfr(cen))[:, None], ratio.shape), rtol=1e-12)
    # age pattern: Beijing's late childbearing survives (mean age above the national one)
    bj = out[PROVINCE_NAMES.index("Beijing"), nat.index.get_loc(2030)]
    mean_age = lambda f: float((f * (AGES + 0.5)).sum() / f.sum())  # noqa: E731
    assert mean_age(bj) > mean_age(nat.loc[2030].to_numpy()) + 1.0


# --------------------------------------------------------------- unit tests


def test_census_ratio_is_group_ratio_at_mid_ages():
    cen = np.repeat([0.01, 0.05, 0.1, 0.06, 0.02, 0.005, 0.001], 5)
    prov = cen * np.repeat([0.5, 1.0, 1.0, 1.5, 2.0, 2.0, 2.0], 5)
    rho = census_ratio(prov[None], cen)[0]
    assert rho[2] == pytest.approx(0.5) and rho[0] == pytest.approx(0.5)  # age 17, below
    assert rho[AGES.tolist().index(32)] == pytest.approx(1.5)
    assert rho[AGES.tolist().index(34)] == pytest.approx(1.5 + 0.5 * 2 / 5)  # linear between


def test_constant_ratio_scales_national():
    nat = np.random.default_rng(3).uniform(0.001, 0.1, size=(4, 35))
    cen = np.full(35, 0.05)
    out = provincial_asfr(nat, np.full((1, 35), 0.06), cen, preserve_tfr_ratio=False)
    np.testing.assert_allclose(out[0], 1.2 * nat)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown fertility rule 'parity'; allowed"):
        provincial_asfr(np.ones((1, 35)), np.ones((1, 35)), np.ones(35), rule="parity")
    with pytest.raises(ValueError, match="35 single ages 15..49"):
        provincial_asfr(np.ones((1, 30)), np.ones((1, 30)), np.ones(30))
    with pytest.raises(ValueError, match="national census group rates must be > 0"):
        census_ratio(np.ones((1, 35)), np.zeros(35))
