"""The microsimulation against the expected-value engine, within Monte Carlo error.

Both engines run the same process (docs/model.md) on the same hazards, so the
microsimulation's weighted counts are unbiased for the expected engine's exact expectations.
Cells are years × 10-year age groups × sex; a cell is tested where the expected count exceeds
100 (persons). Each test is |z| < 4, false-alarm rate 6.3e-5 per cell under normality; with the
~400 cells below the chance that a correct engine fails somewhere is about 2.5 % for one seed
(the seed is fixed, so the outcome is reproducible).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from synthetic import synthetic_bundle, synthetic_parity

from lossproj.engines import micro
from lossproj.engines.expected import project_expected
from lossproj.engines.micro_bridge import micro_inputs

YEARS = (1990, 2000, 2010, 2020, 2030, 2040, 2050)
Z_MAX = 4.0
MIN_EXPECTED = 100.0


@pytest.fixture(scope="module")
def both_engines():
    bundle = synthetic_bundle(n_regions=2, child_mx=0.02)
    # a back-projection correction before the base year, as the China bundle has
    factor = np.ones((2, bundle.mx.shape[2], bundle.mx.shape[3]))
    before = bundle.years < bundle.base_year
    factor[0, before] = np.linspace(0.8, 1.2, bundle.mx.shape[3])
    factor[1, before] = np.linspace(1.1, 0.9, bundle.mx.shape[3])
    # first-born children less at risk at ages 0-4 than later-born ones (birth-order mortality)
    ages = np.arange(bundle.mx.shape[3])
    child = np.stack([np.where(ages < 5, f, 1.0) * np.ones((bundle.mx.shape[2], 1)) for f in (0.7, 1.3)])
    bundle = dataclasses.replace(bundle, back_projection_factor=factor, child_mx_factor=child)
    # sterile women and mothers who stop after the first child (more often in 1980-2015)
    stop = np.where((bundle.years >= 1980) & (bundle.years <= 2015), 0.3, 0.05)
    parity = dataclasses.replace(
        synthetic_parity(bundle),
        stop=np.tile(stop, (2, 1)),
        sterile=np.full((2, bundle.years.size), 0.03),
    )
    exp_res = project_expected(bundle, parity, 1990, 2050)
    inp = micro_inputs(bundle, parity, exp_res, 1990, 2050)
    result = micro.simulate(inp, seed=20201101, scale=0.05)
    ds = micro.to_dataset(result, bundle.regions)
    return exp_res, ds, inp, bundle.regions


def _grouped(arr: np.ndarray) -> np.ndarray:
    """Sum the last axis (ages 0..100) into 10-year groups (100+ joins 90–99)."""
    out = arr[..., :100].reshape(*arr.shape[:-1], 10, 10).sum(axis=-1)
    out[..., -1] += arr[..., 100]
    return out


@pytest.mark.parametrize(
    "name",
    ["shidu_parents_strict", "one_child_parents", "new_shidu_parents", "eligible_shidu_parents"],
)
def test_parent_counts_agree_within_monte_carlo_error(both_engines, name):
    exp_res, ds = both_engines[:2]
    yi = [y - 1990 for y in YEARS]
    expected = _grouped(exp_res.parents[name][:, yi])  # (R, T, sex, group)
    sim = ds[name].sel(year=list(YEARS)).transpose("region", "year", "sex", "age").values
    se = ds[f"{name}_se"].sel(year=list(YEARS)).transpose("region", "year", "sex", "age").values
    sim_g = _grouped(sim)
    se_g = np.sqrt(_grouped(se**2))
    mask = expected > MIN_EXPECTED
    assert mask.sum() > 20, "too few cells to test"
    z = (sim_g[mask] - expected[mask]) / se_g[mask]
    assert np.all(np.isfinite(z))
    assert np.abs(z).max() < Z_MAX, f"{name}: max |z| = {np.abs(z).max():.2f}"


@pytest.mark.parametrize("name", [
    "one_child_families", "shidu_families", "new_shidu_families", "new_shidu_families_child_5plus",
    "new_shidu_families_child_10plus", "rebirths",
])
def test_family_counts_agree_within_monte_carlo_error(both_engines, name):
    exp_res, ds = both_engines[:2]
    yi = [y - 1990 for y in YEARS]
    expected = _grouped(exp_res.families[name][:, yi])
    sim = ds[name].sel(year=list(YEARS)).transpose("region", "year", "age").values
    se = ds[f"{name}_se"].sel(year=list(YEARS)).transpose("region", "year", "age").values
    mask = expected > MIN_EXPECTED
    assert mask.sum() > 20, "too few cells to test"
    z = (_grouped(sim)[mask] - expected[mask]) / np.sqrt(_grouped(se**2))[mask]
    assert np.abs(z).max() < Z_MAX, f"{name}: max |z| = {np.abs(z).max():.2f}"


@pytest.mark.parametrize("name", ["shidu_mothers_strict_by_child_age_at_death",
                                  "shidu_mothers_strict_by_years_since_loss"])
def test_strict_mothers_by_group_agree_within_monte_carlo_error(both_engines, name):
    exp_res, ds = both_engines[:2]
    yi = [y - 1990 for y in YEARS]
    dim = ds[name].dims[-1]
    expected = _grouped(np.moveaxis(exp_res.grouped[name][:, yi], -1, -2))  # (R, T, K, group)
    sim = ds[name].sel(year=list(YEARS)).transpose("region", "year", dim, "age").values
    se = ds[f"{name}_se"].sel(year=list(YEARS)).transpose("region", "year", dim, "age").values
    # cells of a group are small: ask for ~50 simulated women (an observed 0 has no usable SE)
    mask = expected > 10 * MIN_EXPECTED
    assert mask.sum() > 20, "too few cells to test"
    z = (_grouped(sim)[mask] - expected[mask]) / np.sqrt(_grouped(se**2))[mask]
    assert np.abs(z).max() < Z_MAX, f"{name}: max |z| = {np.abs(z).max():.2f}"
    # the groups add up to the strict shidu mothers
    np.testing.assert_allclose(exp_res.grouped[name].sum(axis=-1),
                               exp_res.parents["shidu_parents_strict"][:, :, 0], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(ds[name].sum(dim), ds["shidu_parents_strict"].sel(sex="female"), rtol=1e-12)


@pytest.fixture(scope="module")
def narrow(both_engines):
    """The microsimulation with the replacement process for strict shidu women only."""
    _, _, inp, names = both_engines
    result = micro.simulate(dataclasses.replace(inp, wide_replacement=False), seed=20201101, scale=0.05)
    return micro.to_dataset(result, names)


def test_wide_replacement_lowers_wide_shidu_only(both_engines, narrow):
    _, ds = both_engines[:2]
    for name in ("shidu_parents_strict", "one_child_parents"):
        np.testing.assert_array_equal(ds[name], narrow[name])
    wide, wide_narrow = (float(d["shidu_parents_wide"].sel(year=2010).sum()) for d in (ds, narrow))
    assert wide < wide_narrow
    np.testing.assert_allclose(ds["shidu_mothers_wide_by_years_since_loss"].sum("years_since_loss"),
                               ds["shidu_parents_wide"].sel(sex="female"), rtol=1e-12)


def test_wide_at_least_strict_and_means_agree(both_engines, narrow):
    """Per-woman means: the expected engine gives women of parity 2+ with no surviving child the
    hazards of their parity, so the comparison runs on the microsimulation that does the same."""
    exp_res, ds = both_engines[:2]
    assert np.all(ds["shidu_parents_wide"] >= ds["shidu_parents_strict"])
    ds = narrow
    yi = [y - 1990 for y in YEARS]
    for name in ("mean_children_ever_born", "mean_children_surviving"):
        expected = exp_res.means[name][:, yi][..., 20:90:10]
        sim = ds[name].sel(year=list(YEARS)).transpose("region", "year", "age").values[..., 20:90:10]
        se = ds[f"{name}_se"].sel(year=list(YEARS)).transpose("region", "year", "age").values[..., 20:90:10]
        z = (sim - expected) / se
        assert np.abs(z).max() < Z_MAX, f"{name}: max |z| = {np.abs(z).max():.2f}"


def test_sweden_stable_case_agrees_with_expected_engine():
    """Time-invariant Swedish rates: mean children surviving, micro vs expected (4 SE)."""
    from pathlib import Path

    from lossproj import api
    from lossproj.config import load_config, override

    config = load_config(Path(__file__).resolve().parents[1] / "configs" / "sweden_stable.toml")
    exp = api.run_scenario(config).sel(region="Sweden", year=2018)
    sim = api.run_scenario(override(config, engine="micro", scale=0.02)).sel(region="Sweden", year=2018)
    ages = list(range(25, 91, 5))
    for name in ("mean_children_surviving", "mean_children_ever_born"):
        z = (sim[name].sel(age=ages) - exp[name].sel(age=ages)) / sim[f"{name}_se"].sel(age=ages)
        assert float(abs(z).max()) < Z_MAX, f"{name}: max |z| = {float(abs(z).max()):.2f}"


def test_large_runs_are_announced_and_impossible_ones_refused(monkeypatch):
    import lossproj.engines.micro_bridge as bridge
    from lossproj.errors import LossprojWarning

    bundle = synthetic_bundle()
    parity = synthetic_parity(bundle)
    inp = micro_inputs(bundle, parity, project_expected(bundle, parity, 1990, 2000), 1990, 2000)
    monkeypatch.setattr(bridge, "LONG_RUN_SECONDS", 1e-6)
    with pytest.warns(LossprojWarning, match="will simulate .* women"):
        bridge.check_run_size(inp, 1.0, 1)
    monkeypatch.setattr(bridge, "_machine_memory_bytes", lambda: 1024.0)
    with pytest.raises(ValueError, match="needs about .* GiB, more than 80% of this machine"):
        bridge.check_run_size(inp, 1.0, 1)
