"""Tests of the provincial fertility-history rules: mean CEB helper, the relative and two-census rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lossproj import data, regions
from lossproj.config import PROVINCE_RULES, load_config
from lossproj.errors import ConfigError
from lossproj.rates import assemble
from lossproj.rates.bundle import FERT_MAX, FERT_MIN
from lossproj.rates.fertility import (
    CEB_LAST_AGE,
    ceb_adjusted_asfr,
    census_relative_level,
    mean_ceb,
    relative_ceb_target,
)

PROVINCES = list(regions.PROVINCE_NAMES)
BASELINE = Path(__file__).resolve().parents[1] / "configs" / "baseline.toml"


def derived(tmp_path: Path, body: str) -> Path:
    """A scenario file based on the packaged baseline."""
    path = tmp_path / "s.toml"
    path.write_text(f'base = "{BASELINE.as_posix()}"\n{body}', encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- mean_ceb helper


def test_mean_ceb_by_hand():
    # rates that differ by year and age, so that a wrong diagonal would show
    years = np.arange(1950, 2021)
    ages = np.arange(15, 50)
    asfr = 0.001 * (years[:, None] - 1900) + 0.0001 * (ages[None, :] - 15)
    women = np.zeros(50)
    women[[0, 2, 40]] = [5.0, 1.0, 3.0]  # 5 women aged 15, 1 aged 17, 3 aged 55
    # aged 15: no births yet. Aged 17: steps at ages 15 (year 2018) and 16 (year 2019).
    aged_17 = (0.001 * 118 + 0.0) + (0.001 * 119 + 0.0001)
    # aged 55: steps at ages 15..49 in years 1980..2014, i.e. year = 1980 + (x - 15)
    aged_55 = sum(0.001 * (80 + x - 15) + 0.0001 * (x - 15) for x in range(15, 50))
    expected = (5 * 0.0 + 1 * aged_17 + 3 * aged_55) / 9.0
    assert mean_ceb(asfr, years, women) == pytest.approx(expected, rel=1e-12)


def test_mean_ceb_broadcasts_over_regions_and_needs_early_years():
    years = np.arange(1960, 2021)
    asfr = np.stack([np.full((years.size, 35), 0.02), np.full((years.size, 35), 0.04)])
    women = np.ones((2, 50))
    out = mean_ceb(asfr, years, women)
    assert out.shape == (2,)
    assert out[1] == pytest.approx(2 * out[0], rel=1e-12)
    with pytest.raises(ValueError, match="fertility years start after 1971"):
        mean_ceb(asfr[:, 12:], years[12:], women)


def test_ceb_adjusted_asfr_hits_targets_with_helper():
    years = np.arange(1950, 2031)
    rng = np.random.default_rng(7)
    asfr = rng.uniform(0.01, 0.1, size=(3, years.size, 35))
    women = rng.uniform(1.0, 2.0, size=(3, 50))
    target = np.array([1.2, 1.5, 2.0])
    out, k = ceb_adjusted_asfr(asfr, years, women, target)
    np.testing.assert_allclose(mean_ceb(out, years, women), target, rtol=1e-12)
    # years from the census on are untouched
    np.testing.assert_array_equal(out[:, years >= 2020], asfr[:, years >= 2020])
    assert k.shape == (3,)


def test_ceb_adjusted_asfr_with_anchor_by_hand():
    years = np.arange(1950, 2031)
    asfr = np.full((2, years.size, 35), 0.05)
    women = np.ones((2, 50))
    target = np.array([1.0, 1.4])
    anchor = np.array([0.5, 2.0])
    out, k = ceb_adjusted_asfr(asfr, years, women, target, full_until=2000, anchor=anchor, anchor_year=2009)
    np.testing.assert_allclose(mean_ceb(out, years, women), target, rtol=1e-12)
    factor = out[:, :, 0] / 0.05
    year = {y: i for i, y in enumerate(years)}
    np.testing.assert_allclose(factor[:, year[2009]], anchor, rtol=1e-12)  # the anchor is met
    np.testing.assert_allclose(factor[:, year[1990]], k, rtol=1e-12)  # k held before 2000
    np.testing.assert_allclose(factor[:, year[2000]], k, rtol=1e-12)
    # linear between the knots: halfway from 2009 to 2020 the factor is halfway to 1
    np.testing.assert_allclose(factor[:, year[2015]], anchor + (1 - anchor) * 6 / 11, rtol=1e-12)
    np.testing.assert_array_equal(factor[:, years >= 2020], 1.0)
    with pytest.raises(ValueError, match="anchor_year must lie between 2000 and 2020"):
        ceb_adjusted_asfr(asfr, years, women, target, full_until=2000, anchor=anchor, anchor_year=2020)


def test_census_relative_level_by_hand():
    women = np.array([[2.0] * 35, [1.0] * 35, [1.0] * 35])
    f = np.linspace(0.01, 0.1, 35)
    expected = women @ f  # births each region would have at the national rates
    births = expected * np.array([1.0, 1.5, 0.5]) * 0.1  # a 10 % sample
    np.testing.assert_allclose(census_relative_level(births, women, f), [1.0, 1.5, 0.5], rtol=1e-12)
    with pytest.raises(ValueError, match="must be > 0"):
        census_relative_level([0.0, 1.0, 1.0], women, f)


def test_relative_ceb_target_rejects_nonpositive_national():
    with pytest.raises(ValueError, match="national mean CEB must be > 0"):
        relative_ceb_target([1.0], 0.0, 1.5)


# ---------------------------------------------------------------------------- the packaged rule


@pytest.fixture(scope="module")
def relative():
    """Provincial and national mean CEB 2020 under census_2020_relative_ceb, with the census."""
    bundle = assemble.china_bundle(province_rule="census_2020_relative_ceb")
    women = data.base_population(2020).sel(sex="female", age=slice(FERT_MIN, CEB_LAST_AGE))
    w_prov = women.sel(region=PROVINCES).values
    model = mean_ceb(bundle.asfr[..., FERT_MIN : FERT_MAX + 1], bundle.years, w_prov)
    f_nat = data.fertility_national("medium").transpose("year", "age")
    implied = float(mean_ceb(f_nat.values, f_nat["year"].values, women.sel(region=regions.NATIONAL).values))
    census = data.mean_ceb_2020().set_index("region")["mean_children_ever_born"]
    return {
        "bundle": bundle, "model": model, "implied": implied, "weights": w_prov.sum(axis=1),
        "census": census.loc[PROVINCES].values, "census_national": float(census.loc[regions.NATIONAL]),
    }


def test_relative_rule_reproduces_census_ratios(relative):
    ratio_model = relative["model"] / relative["implied"]
    ratio_census = relative["census"] / relative["census_national"]
    np.testing.assert_allclose(ratio_model, ratio_census, rtol=1e-9)


def test_relative_rule_keeps_national_level_of_wpp(relative):
    w = relative["weights"]
    national = float((w * relative["model"]).sum() / w.sum())
    census_weighted = float((w * relative["census"]).sum() / w.sum())
    # exact by construction: the national model mean is WPP's times the census's own ratio of
    # its women-weighted provincial mean to its national value
    assert national / relative["implied"] == pytest.approx(census_weighted / relative["census_national"], rel=1e-9)
    # that ratio departs from 1 only through rounding: the census table gives every mean CEB
    # to 0.01, so the weighted provincial mean and the national value each carry up to 0.005
    # of rounding error, and differ by at most 0.01 children, i.e. 0.01 / C^N relative
    assert national == pytest.approx(relative["implied"], rel=0.01 / relative["census_national"])
    # the implied national level is well above the census national mean (the point of the rule)
    assert relative["implied"] > relative["census_national"] + 0.1


def test_relative_rule_note_and_post_census_rates(relative):
    note = next(a for a in relative["bundle"].assumptions if a.startswith("Provincial fertility"))
    assert f"({relative['implied']:.3f})" in note
    assert "relative to the census national mean (1.33)" in note
    base = assemble.china_bundle(province_rule="census_2020_ratio")
    after = relative["bundle"].years >= 2020
    np.testing.assert_array_equal(relative["bundle"].asfr[:, after], base.asfr[:, after])


def test_two_census_rule_meets_2010_census_level_and_relative_ceb(relative):
    """census_2010_2020_relative_ceb: the 2010 census level in 2009, the same CEB as the relative rule."""
    bundle = assemble.china_bundle(province_rule="census_2010_2020_relative_ceb")
    women = data.base_population(2020).sel(sex="female", age=slice(FERT_MIN, CEB_LAST_AGE))
    model = mean_ceb(bundle.asfr[..., FERT_MIN : FERT_MAX + 1], bundle.years, women.sel(region=PROVINCES).values)
    np.testing.assert_allclose(model, relative["model"], rtol=1e-9)
    # TFR in 2009 relative to WPP's national TFR = the 2010 census level, computed here by hand
    births = data.births_by_order()
    births = births[(births.census_year == 2010) & (births.residence == "total")].groupby("region")["births"].sum()
    w10 = data.base_population(2010).sel(
        sex="female", age=slice(FERT_MIN, FERT_MAX), region=[regions.NATIONAL, *PROVINCES])
    f10 = data.parity_order_rates_2010().groupby("age")["asfr"].sum().values
    expected = w10.values @ f10
    level = (births.loc[PROVINCES].values / expected[1:]) / (births.loc[regions.NATIONAL] / expected[0])
    i = int(np.searchsorted(bundle.years, 2009))
    tfr_nat = float(data.fertility_national("medium").sel(year=2009).sum())
    np.testing.assert_allclose(bundle.asfr[:, i].sum(axis=-1) / tfr_nat, level, rtol=1e-9)
    assert level.min() < 0.6 and level.max() > 1.4  # Beijing about 0.55, Guizhou about 1.46
    note = next(a for a in bundle.assumptions if a.startswith("Provincial fertility"))
    assert "2010 census level" in note


def test_unknown_rule_rejected_by_bundle():
    with pytest.raises(ValueError, match="allowed: census_2020_ratio, census_2020_ratio_ceb, "
                       "census_2020_relative_ceb, census_2010_2020_relative_ceb"):
        assemble.china_bundle(province_rule="census_2020_relative")


# ---------------------------------------------------------------------------- configuration


def test_config_accepts_relative_rule(tmp_path):
    assert "census_2020_relative_ceb" in PROVINCE_RULES
    config = load_config(derived(tmp_path, '[fertility]\nprovince_rule = "census_2020_relative_ceb"\n'))
    assert config.fertility.province_rule == "census_2020_relative_ceb"


def test_config_unknown_rule_names_allowed_values(tmp_path):
    path = derived(tmp_path, '[fertility]\nprovince_rule = "census_relative"\n')
    with pytest.raises(ConfigError, match=r"fertility\.province_rule = 'census_relative': .*allowed: "
                       r"'census_2020_ratio', 'census_2020_ratio_ceb', 'census_2020_relative_ceb'"):
        load_config(path)
