"""Shared test fixtures: a small synthetic projection Dataset and a fake ``lossproj.api``."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest
import xarray as xr

from lossproj.regions import CODE_BY_NAME, NATIONAL, ZH_BY_NAME
from lossproj.variables import BY_AGE, BY_SEX_AGE, VARIABLES

SEXES = ("female", "male")
AGES = np.arange(101)

#: Variables by sex and age of the parent (persons), with their synthetic share of population.
SEXED = {
    "one_child_parents": 0.20,
    "shidu_parents_strict": 0.004,
    "new_shidu_parents": 0.0003,
    "eligible_shidu_parents": 0.003,
    "care_dependent_shidu_parents": 0.0002,
}
#: Variables without a sex dim (indexed by the mother's age).
UNSEXED = ("one_child_families", "shidu_families", "new_shidu_families", "new_shidu_families_child_5plus",
           "new_shidu_families_child_10plus", "only_children", "mean_children_ever_born", "mean_children_surviving",
           "mean_children_dead")


def _attrs(name: str) -> dict:
    """The registry's attributes, with a synthetic source."""
    return VARIABLES[name].attrs | {"source": "tests/conftest.py (synthetic)"}


# the synthetic variables are registered with the dims given them here
assert all(VARIABLES[n].dims == BY_SEX_AGE for n in SEXED), "SEXED: registry dims differ"
assert all(VARIABLES[n].dims == BY_AGE for n in UNSEXED), "UNSEXED: registry dims differ"


def make_projection(scenarios=("baseline",), years=range(1990, 2051),
                    regions=("Beijing", "Shanghai"), *, replicates: int | None = None,
                    seed: int = 1) -> xr.Dataset:
    """A small Dataset with the schema of ``lossproj.api.project`` (values are synthetic).

    ``China`` is appended as the sum of ``regions`` (means: population-weighted).
    """
    rng = np.random.default_rng(seed)
    years = np.asarray(list(years))
    provinces = list(regions)
    shape = (len(scenarios), len(years), len(provinces), 2, AGES.size)
    age_profile = np.exp(-((AGES - 35.0) / 30.0) ** 2)
    pop = 1e4 * (1 + rng.random(shape)) * age_profile
    growth = 1 + 0.01 * (years - years[0])
    scen_factor = 1 + 0.1 * np.arange(len(scenarios))
    # parents' states only from age 20 on, increasing with age
    parent_age = np.clip((AGES - 20) / 40.0, 0, 1.5)
    dims = ("scenario", "year", "region", "sex", "age")
    data = {"population": pop}
    for name, share in SEXED.items():
        trend = growth[None, :, None, None, None] * scen_factor[:, None, None, None, None]
        data[name] = pop * share * parent_age * trend
    data["eligible_shidu_parents"] = data["shidu_parents_strict"] * (AGES >= 49)
    data["allowance_cost"] = data["eligible_shidu_parents"] * 12 * 340.0
    fem = pop[:, :, :, 0, :]
    unsexed = {
        "one_child_families": data["one_child_parents"][:, :, :, 0, :] * 1.05,
        "shidu_families": data["shidu_parents_strict"][:, :, :, 0, :] * 1.05,
        "new_shidu_families": data["new_shidu_parents"][:, :, :, 0, :] * 1.05,
        "new_shidu_families_child_5plus": data["new_shidu_parents"][:, :, :, 0, :] * 0.5,
        "new_shidu_families_child_10plus": data["new_shidu_parents"][:, :, :, 0, :] * 0.4,
        "only_children": pop.sum(axis=3) * 0.2,
        "mean_children_ever_born": 1.4 * parent_age[None, None, None, :] + 0 * fem,
        "mean_children_surviving": 1.35 * parent_age[None, None, None, :] + 0 * fem,
    }
    unsexed["mean_children_dead"] = (unsexed["mean_children_ever_born"]
                                     - unsexed["mean_children_surviving"])

    coords = {"scenario": list(scenarios), "year": years, "region": provinces,
              "sex": list(SEXES), "age": AGES}
    ds = xr.Dataset(
        {k: (dims, v) for k, v in data.items()}
        | {k: (("scenario", "year", "region", "age"), v) for k, v in unsexed.items()},
        coords=coords,
    )
    # China = sum of provinces; means weighted by women
    national = ds.sum("region")
    women = ds["population"].sel(sex="female")
    for name in ("mean_children_ever_born", "mean_children_surviving", "mean_children_dead"):
        national[name] = (ds[name] * women).sum("region") / women.sum("region")
    national = national.expand_dims(region=[NATIONAL])
    ds = xr.concat([ds, national], dim="region")
    names = list(ds["region"].values)
    ds = ds.assign_coords(
        region_code=("region", [CODE_BY_NAME[n] for n in names]),
        region_zh=("region", [ZH_BY_NAME[n] for n in names]),
    )
    if replicates:
        ds = xr.concat(
            [ds * (1 + 0.01 * k) for k in range(replicates)],
            dim=xr.DataArray(np.arange(replicates), dims="replicate", name="replicate"),
        )
    for name in ds.data_vars:
        ds[name] = ds[name].astype("float64")
        ds[name].attrs = _attrs(name)
    ds.attrs = {
        "title": "lossproj projection (synthetic test data)",
        "lossproj_version": "0+test",
        "config": json.dumps([{"scenario": {"name": s}} for s in scenarios]),
        "seed": 20201101,
        "engine": "expected",
        "data_checksums": json.dumps({"population_census.csv": "sha256:test"}),
    }
    return ds


@pytest.fixture
def make_fake_projection():
    """The factory :func:`make_projection` (for tests needing other shapes)."""
    return make_projection


@pytest.fixture
def fake_projection() -> xr.Dataset:
    """A small synthetic projection: baseline, 1990..2050, Beijing, Shanghai and China."""
    return make_projection()


@pytest.fixture
def fake_api(monkeypatch):
    """Install a fake ``lossproj.api`` whose ``project`` builds the synthetic Dataset.

    Returns a namespace recording the calls (``calls``: list of config lists).
    """
    module = types.ModuleType("lossproj.api")
    module.calls = []

    def project(configs, *, progress=None, **options):
        module.calls.append(list(configs))
        first = configs[0]
        if progress is not None:
            progress(first.name, 1, 1)
        ds = make_projection(
            scenarios=tuple(c.name for c in configs),
            years=range(first.run.first_year, first.run.last_year + 1),
            regions=tuple(r for r in first.run.regions if r in CODE_BY_NAME)[:3] or ("Beijing",),
            seed=first.run.seed,
        )
        ds.attrs["config"] = json.dumps([c.to_dict() for c in configs])
        ds.attrs["seed"] = first.run.seed
        ds.attrs["engine"] = first.run.engine
        return ds

    def replacement_diagnostics(config):
        import pandas as pd

        probabilities = pd.DataFrame(
            [(r, period, age, n, max(0.0, 0.95 - age / 100 - 0.01 * (10 - n)), 0.9 - age / 100)
             for r in ("Beijing",) for period in (1985, 1995, 2005, 2015)
             for age in (20, 25, 30, 35, 40, 45) for n in (5, 10)],
            columns=["region", "period", "loss_age", "within_years", "probability", "probability_alive"],
        )
        time_bereaved = pd.DataFrame({"region": ["Beijing"], "year": [2005], "stock": [10.0],
                                      "inflow": [3.0], "mean_years": [10 / 3]})
        return probabilities, time_bereaved, None

    module.replacement_diagnostics = replacement_diagnostics

    def calibrate(config):
        import pandas as pd
        from matplotlib.figure import Figure

        report = pd.DataFrame({"target": ["mean_ceb_2020"], "observed": [1.33],
                               "model": [1.31]})
        fig = Figure()
        fig.add_subplot().plot([0, 1], [0, 1])
        module.calls.append(["calibrate", config])
        return report, fig

    module.project = project
    module.calibrate = calibrate
    monkeypatch.setitem(sys.modules, "lossproj.api", module)
    return module
