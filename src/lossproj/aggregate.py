"""Labelled results: engine arrays to an xarray Dataset with units, definitions and sources."""

from __future__ import annotations

import numpy as np
import xarray as xr

from lossproj import regions as reg
from lossproj.rates.bundle import A_OUT, LOSS_AGE_EDGES, SEXES, SINCE_LOSS_EDGES, group_labels

#: Variables with a group dim: name -> (dim, labels) (docs/model.md, "Output variables").
GROUPED_DIMS: dict[str, tuple[str, tuple[str, ...]]] = {
    f"shidu_mothers_{kind}_by_child_age_at_death": ("child_age_at_death", group_labels(LOSS_AGE_EDGES))
    for kind in ("strict", "wide")
} | {
    f"shidu_mothers_{kind}_by_years_since_loss": ("years_since_loss", group_labels(SINCE_LOSS_EDGES))
    for kind in ("strict", "wide")
}

#: Attributes of every output variable (DESIGN.md §1 and §4; docs/model.md).
VARIABLES: dict[str, dict[str, str]] = {
    "population": {
        "units": "persons",
        "long_name": "population",
        "definition": "persons at the reference date (1 Nov) by sex and single age; 100 = 100+",
    },
    "one_child_parents": {
        "units": "persons",
        "long_name": "one-child parents",
        "definition": "living parents with exactly one child ever born (alive or dead)",
    },
    "one_child_families": {
        "units": "couples",
        "long_name": "one-child families",
        "definition": "couples, counted once, whose only child ever born is alive and of whom at "
        "least one parent lives; by the mother's age, or the father's where only he lives",
    },
    "shidu_parents_strict": {
        "units": "persons",
        "long_name": "shidu parents (strict)",
        "definition": "living parents with exactly one child ever born and no surviving child "
        "(独生子女死亡, policy definition)",
    },
    "new_shidu_parents": {
        "units": "persons per year",
        "long_name": "new shidu parents",
        "definition": "living parents who became strict shidu parents in the 12 months before "
        "the reference date",
    },
    "shidu_families": {
        "units": "couples",
        "long_name": "shidu families",
        "definition": "couples, counted once, whose only child has died and of whom at least one "
        "parent lives; by the mother's age, or the father's where only he lives",
    },
    "new_shidu_families": {
        "units": "couples per year",
        "long_name": "new shidu families",
        "definition": "couples, counted once, whose only child died in the 12 months before the "
        "reference date and of whom at least one parent lives at it; by the mother's age, or the "
        "father's where only he lives",
    },
    "new_shidu_families_child_5plus": {
        "units": "couples per year",
        "long_name": "new shidu families, child aged 5+ at death",
        "definition": "new shidu families whose only child was aged 5 or more at the start of the "
        "12 months in which it died",
    },
    "new_shidu_families_child_10plus": {
        "units": "couples per year",
        "long_name": "new shidu families, child aged 10+ at death",
        "definition": "new shidu families whose only child was aged 10 or more at the start of "
        "the 12 months in which it died",
    },
    "only_children": {
        "units": "persons",
        "long_name": "only children",
        "definition": "living persons who are the only child ever born to their mother, whose "
        "mother lives; by the CHILD's own age (children whose mother has died are not counted; "
        "expected-value engine)",
    },
    "eligible_shidu_parents": {
        "units": "persons",
        "long_name": "eligible shidu parents",
        "definition": "strict shidu parents of a couple whose mother is aged at least the "
        "eligibility age (national special assistance: 49; fathers whose wife is, or would be, "
        "49+), with no later birth",
    },
    "care_dependent_shidu_parents": {
        "units": "persons",
        "long_name": "care-dependent shidu parents",
        "definition": "strict shidu parents unable to care for themselves (prevalence by age and "
        "sex applied, with the scenario's trend)",
    },
    "priority_care_shidu_parents": {
        "units": "persons",
        "long_name": "shidu parents with priority admission to public care homes",
        "definition": "strict shidu parents who are care-dependent or aged 70+ (Beijing rule; "
        "lossproj.planner.BEIJING_PRIORITY_CARE)",
    },
    "allowance_cost_local": {
        "units": "RMB per year",
        "long_name": "allowance cost under local rules",
        "definition": "eligible shidu parents × 12 × the monthly amount of the local rules (city "
        "or provincial schedule, e.g. the Guangzhou rule) in the regions they name; missing "
        "elsewhere",
    },
    "allowance_cost": {
        "units": "RMB per year",
        "long_name": "special-assistance allowance cost",
        "definition": "eligible shidu parents × 12 × the scenario's monthly amount per person",
    },
    "shidu_mothers_strict_by_child_age_at_death": {
        "units": "persons",
        "long_name": "strict shidu mothers by the only child's age at death",
        "definition": "living women with exactly one child ever born, dead, by her age and the "
        "child's age at the start of the 12 months in which it died",
    },
    "shidu_mothers_strict_by_years_since_loss": {
        "units": "persons",
        "long_name": "strict shidu mothers by years since the loss",
        "definition": "living women with exactly one child ever born, dead, by her age and the "
        "whole years since the first reference date after the child's death",
    },
    "shidu_mothers_wide_by_child_age_at_death": {
        "units": "persons",
        "long_name": "wide shidu mothers by the last child's age at death",
        "definition": "living women with at least one child ever born and none surviving, by "
        "her age and the age at death of the child whose death left her with none "
        "(microsimulation)",
    },
    "shidu_mothers_wide_by_years_since_loss": {
        "units": "persons",
        "long_name": "wide shidu mothers by years since the loss",
        "definition": "living women with at least one child ever born and none surviving, by "
        "her age and the whole years since the first reference date after she was left with "
        "none (microsimulation)",
    },
    "mean_children_ever_born": {
        "units": "children per woman",
        "long_name": "mean children ever born",
        "definition": "live births per living woman of the age",
    },
    "mean_children_surviving": {
        "units": "children per woman",
        "long_name": "mean children surviving",
        "definition": "living children per living woman of the age (DemoKin count_living)",
    },
    "mean_children_dead": {
        "units": "children per woman",
        "long_name": "mean children dead",
        "definition": "children ever born who have died, per living woman (DemoKin count_cum_dead)",
    },
}


def _coords(region_names, years):
    codes = [reg.CODE_BY_NAME.get(r, 0) for r in region_names]
    zh = [reg.ZH_BY_NAME.get(r, "") for r in region_names]
    return {
        "year": np.asarray(years),
        "region": list(region_names),
        "region_code": ("region", codes),
        "region_zh": ("region", zh),
        "sex": list(SEXES),
        "age": np.arange(A_OUT + 1),
    }


def to_dataset(result, *, source: str, add_national: bool = True) -> xr.Dataset:
    """Dataset with dims ``(year, region, sex, age)`` from an :class:`ExpectedResult`.

    ``China`` (the sum of the regions run) is appended when ``add_national`` and more than one
    province is present; the per-woman means are population-weighted there.
    """
    names = list(result.regions)
    dims4 = ("year", "region", "sex", "age")
    dims3 = ("year", "region", "age")
    data_vars = {}
    for name, arr in result.parents.items():
        data_vars[name] = (dims4, np.moveaxis(arr, 0, 1))
    data_vars["population"] = (dims4, np.moveaxis(result.population, 0, 1))
    for name, arr in {**result.families, **result.means}.items():
        data_vars[name] = (dims3, np.moveaxis(arr, 0, 1))
    group_coords = {}
    for name, arr in result.grouped.items():
        dim, labels = GROUPED_DIMS[name]
        data_vars[name] = ((*dims3, dim), np.moveaxis(arr, 0, 1))
        group_coords[dim] = list(labels)
    ds = xr.Dataset(data_vars, coords=_coords(names, result.years) | group_coords)
    women = xr.DataArray(np.moveaxis(result.women, 0, 1), dims=dims3, coords=ds["mean_children_ever_born"].coords)
    if add_national and len(names) > 1 and reg.NATIONAL not in names:
        ds = add_national_total(ds, women)
    for name in ds.data_vars:
        ds[name].attrs = VARIABLES.get(name, {}) | {"source": source}
    return ds


def add_national_total(ds: xr.Dataset, women: xr.DataArray) -> xr.Dataset:
    """Append region ``China``: sums of counts, population-weighted means of per-woman means."""
    means = [v for v in ds.data_vars if v.startswith("mean_")]
    counts = [v for v in ds.data_vars if v not in means]
    total = ds[counts].sum("region")
    w = women.sum("region")
    for v in means:
        total[v] = (ds[v] * women).sum("region") / w.where(w > 0, 1.0)
    total = total.expand_dims(region=[reg.NATIONAL])
    total = total.assign_coords(region_code=("region", [reg.NATIONAL_CODE]), region_zh=("region", [reg.NATIONAL_ZH]))
    return xr.concat([ds, total], dim="region", data_vars="all", coords="different", compat="equals", join="outer")


def add_care_dependence(ds: xr.Dataset, prevalence: xr.DataArray, annual_trend: float, base_year: int = 2020) -> xr.Dataset:
    """``care_dependent_shidu_parents`` = strict shidu parents × prevalence(sex, age) × trend.

    prevalence : DataArray (sex, age) — share unable to care for oneself [fraction]
    annual_trend : float — relative change of the prevalence per year after ``base_year``
    """
    trend = (1.0 + annual_trend) ** np.maximum(ds["year"] - base_year, 0)
    prev = prevalence.reindex(age=ds["age"], fill_value=0.0)
    ds["care_dependent_shidu_parents"] = ds["shidu_parents_strict"] * prev * trend
    return ds


def add_allowance_cost(ds: xr.Dataset, monthly: xr.DataArray) -> xr.Dataset:
    """``allowance_cost`` [RMB per year] = eligible parents × 12 × monthly amount.

    monthly : DataArray with dims among (year, sex, age) [RMB per person per month]
    """
    ds["allowance_cost"] = ds["eligible_shidu_parents"] * 12.0 * monthly
    return ds
