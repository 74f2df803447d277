"""Labelled results: engine arrays to an xarray Dataset with units, definitions and sources.

Names, dims and attributes come from the registry :mod:`lossproj.variables`.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from lossproj import regions as reg
from lossproj.conventions import GROUP_DIMS
from lossproj.rates.bundle import A_OUT, SEXES
from lossproj.variables import VARIABLES


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
        dim = VARIABLES[name].group_dim
        data_vars[name] = ((*dims3, dim), np.moveaxis(arr, 0, 1))
        group_coords[dim] = list(GROUP_DIMS[dim])
    ds = xr.Dataset(data_vars, coords=_coords(names, result.years) | group_coords)
    women = xr.DataArray(np.moveaxis(result.women, 0, 1), dims=dims3, coords=ds["mean_children_ever_born"].coords)
    if add_national and len(names) > 1 and reg.NATIONAL not in names:
        ds = add_national_total(ds, women)
    for name in ds.data_vars:
        ds[name].attrs = VARIABLES[name].attrs | {"source": source}
    return ds


def add_national_total(ds: xr.Dataset, women: xr.DataArray) -> xr.Dataset:
    """Append region ``China``: sums of counts, population-weighted means of per-woman means."""
    means = [v for v in ds.data_vars if VARIABLES[v].kind == "mean"]
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
