"""Scenarios on the packaged data: invariants, levers, and the Sweden stable case."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from lossproj import api
from lossproj.config import load_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def _with(config, section: str, **changes):
    return dataclasses.replace(config, **{section: dataclasses.replace(getattr(config, section), **changes)})


@pytest.fixture(scope="module")
def baseline():
    return load_config(CONFIGS / "baseline.toml")


@pytest.fixture(scope="module")
def two_provinces(baseline):
    config = _with(baseline, "run", regions=("Beijing", "Guizhou"))
    return config, api.run_scenario(config)


def test_a_partial_sum_is_not_labelled_china(two_provinces):
    _, ds = two_provinces
    assert [str(r) for r in ds["region"].values] == ["Beijing", "Guizhou"]


def test_policy_variables_on_real_rates(two_provinces):
    config, ds = two_provinces
    one = ds.sel(year=2030)
    shidu, care = one["shidu_parents_strict"], one["care_dependent_shidu_parents"]
    beijing = one["priority_care_shidu_parents"]
    by_hand = care.where(care["age"] < 70).sum() + shidu.where(shidu["age"] >= 70).sum()
    np.testing.assert_allclose(float(beijing.sum()), float(by_hand), rtol=1e-12)
    # care prevalence by province: the national pattern scaled to each census level
    ratio = (care / shidu.where(shidu > 0)).sel(sex="female", age=80)
    levels = {"Beijing": 0.02846248382, "Guizhou": 0.01893830105}
    assert float(ratio.sel(region="Beijing") / ratio.sel(region="Guizhou")) == pytest.approx(
        levels["Beijing"] / levels["Guizhou"], rel=0.15)
    # the Guangzhou rule prices only the region it names (Guangdong, not run here)
    assert "allowance_cost_local" not in ds


def test_invariants_on_real_rates(two_provinces):
    _, ds = two_provinces
    for v in ds.data_vars:
        assert float(ds[v].min()) >= 0.0, v
    assert bool((ds["shidu_parents_strict"] <= ds["one_child_parents"] + 1e-6).all())
    assert bool((ds["eligible_shidu_parents"] <= ds["shidu_parents_strict"] + 1e-6).all())
    assert bool((ds["care_dependent_shidu_parents"] <= ds["shidu_parents_strict"] + 1e-6).all())
    assert bool((ds["mean_children_surviving"] <= ds["mean_children_ever_born"] + 1e-12).all())
    assert float(ds["allowance_cost"].sel(year=2030).sum()) > 0.0


def test_replacement_after_loss_lowers_strict_shidu(two_provinces):
    """Switching replacement off raises strict shidu mothers; the test pins by how much."""
    config, ds = two_provinces
    off = api.run_scenario(_with(config, "replacement", enabled=False))
    on_2020 = float(ds["shidu_parents_strict"].sel(year=2020, sex="female").sum())
    off_2020 = float(off["shidu_parents_strict"].sel(year=2020, sex="female").sum())
    assert off_2020 > 3 * on_2020  # ignoring replacement overstates strict shidu mothers many times
    # the count of one-child mothers (alive or dead child) is the same order either way
    one_on = float(ds["one_child_parents"].sel(year=2020, sex="female").sum())
    one_off = float(off["one_child_parents"].sel(year=2020, sex="female").sum())
    assert abs(one_off / one_on - 1) < 0.25


def test_fertility_history_no_longer_drives_the_strict_count(baseline):
    """Regression of the coupling of replacement to the intensity solve: the census-level
    fertility history once more than doubled strict shidu mothers 35+ in 2010."""
    counts = []
    for config in (baseline, load_config(CONFIGS / "fertility_census_parity.toml")):
        config = _with(config, "run", first_year=2010, last_year=2010)
        ds = api.run_scenario(config)
        mothers = ds["shidu_parents_strict"].sel(region="China", year=2010, sex="female")
        counts.append(float(mothers.sel(age=slice(35, None)).sum()))
    assert abs(counts[1] / counts[0] - 1) < 0.30, counts


def test_replacement_scenarios_bracket_the_baseline(two_provinces):
    config, ds = two_provinces
    strict = {}
    for name in ("replacement_low", "replacement_high"):
        other = load_config(CONFIGS / f"{name}.toml")
        run = api.run_scenario(dataclasses.replace(config, replacement=other.replacement))
        strict[name] = float(run["shidu_parents_strict"].sel(year=2020).sum())
    base = float(ds["shidu_parents_strict"].sel(year=2020).sum())
    assert strict["replacement_high"] < base < strict["replacement_low"]


def test_higher_child_mortality_raises_shidu(two_provinces):
    config, ds = two_provinces
    high = api.run_scenario(_with(config, "mortality", child_mortality_multiplier=1.5))
    base = ds["shidu_parents_strict"].sum(("region", "sex", "age"))
    more = high["shidu_parents_strict"].sum(("region", "sex", "age"))
    assert bool((more > base).all())


def test_sweden_stable_population_children_rise_then_fall():
    config = load_config(CONFIGS / "sweden_stable.toml")
    ds = api.run_scenario(config).sel(region="Sweden", year=2018)
    # no Chinese policy variable in a Swedish run
    chinese = {"allowance_cost", "allowance_cost_local", "care_dependent_shidu_parents",
               "priority_care_shidu_parents"}
    assert not chinese & set(ds.data_vars)
    surv = ds["mean_children_surviving"].values
    ceb = ds["mean_children_ever_born"].values
    peak = int(np.argmax(surv))
    assert 40 <= peak <= 60
    assert surv[peak] > surv[90] > 0
    assert np.all(np.diff(ceb[:peak]) >= -1e-12)  # ever born never falls with age
    np.testing.assert_allclose(ds["mean_children_dead"].values, ceb - surv, atol=1e-12)
    # after childbearing, children ever born are constant (time-invariant rates)
    np.testing.assert_allclose(ceb[55:95], ceb[55], rtol=1e-9)


def test_net_migration_enters_the_projection(baseline):
    from lossproj.rates.population import project_population

    bundle = api.scenario_bundle(_with(baseline, "run", regions=("Beijing", "Hainan")))
    with_mig = project_population(bundle, include_migration=True).population
    without = project_population(bundle).population
    y = bundle.year_index(2021)
    np.testing.assert_allclose(
        (with_mig[:, :, y] - without[:, :, y]).sum(), bundle.net_migration[:, :, y].sum(), rtol=1e-9
    )
    y0 = bundle.year_index(2019)
    np.testing.assert_array_equal(with_mig[:, :, y0], without[:, :, y0])  # nothing before the base


def test_birth_order_mortality_from_residence(baseline):
    """First-born children are more often urban: lower mortality at 0-4, national level kept."""
    bundle = api.scenario_bundle(_with(baseline, "run", regions=("Beijing",)))
    f = bundle.child_mx_factor
    i = bundle.year_index(2010)
    assert f is not None and f.shape == (2, bundle.mx.shape[2], bundle.mx.shape[3])
    assert 0.85 < f[0, i, 0] < 1.0 < f[1, i, 0] < 1.2
    np.testing.assert_array_equal(f[:, :, 5:], 1.0)
    none = api.scenario_bundle(_with(_with(baseline, "run", regions=("Beijing",)), "mortality",
                                     by_birth_order="none"))
    assert none.child_mx_factor is None
