"""Summary tables of a projection: counts by region, or by parent's age group, in one year."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from lossproj.errors import ConfigError
from lossproj.regions import NATIONAL, closest_names, resolve_region
from lossproj.variables import SE_SUFFIX, VARIABLES

#: Lower edges of the parent age groups used in tables [years of age]; the last is open.
#: Presentation choice: 10-year groups from 20, matching the survey bands of Liu & He 2022.
AGE_GROUP_EDGES: tuple[int, ...] = (0, 20, 30, 40, 50, 60, 70, 80, 90)

#: Persons per 1,000 (for rates per 1,000 population of the same age).
PER_THOUSAND = 1000.0

By = Literal["region", "age_group"]


def age_group_labels(ages, edges=AGE_GROUP_EDGES) -> np.ndarray:
    """Label of each age's group, e.g. ``"50-59"``, ``"90+"``.

    Parameters
    ----------
    ages : array_like of int
        Single ages [years of age].
    edges : sequence of int
        Lower edges of the groups [years of age]; the last group is open.

    Examples
    --------
    >>> list(age_group_labels([0, 19, 20, 55, 95]))
    ['0-19', '0-19', '20-29', '50-59', '90+']
    """
    ages = np.asarray(ages)
    edges = np.asarray(edges)
    idx = np.searchsorted(edges, ages, side="right") - 1
    labels = [
        f"{edges[i]}-{edges[i + 1] - 1}" if i + 1 < edges.size else f"{edges[i]}+" for i in idx
    ]
    return np.asarray(labels, dtype=object)


#: Dims of every result variable; a variable with another dim (a group such as
#: ``child_age_at_death``) is a grouped count, tabulated apart.
STANDARD_DIMS = frozenset({"replicate", "quantile", "scenario", "year", "region", "sex", "age"})


def is_grouped(da: xr.DataArray) -> bool:
    """Whether a variable has a dim beyond :data:`STANDARD_DIMS` (a breakdown by group)."""
    return not set(da.dims) <= STANDARD_DIMS


def is_count(da: xr.DataArray) -> bool:
    """Whether a variable is an additive count by the standard dims (not a per-woman mean, a
    standard error or a grouped breakdown)."""
    name = str(da.name)
    if name.endswith(SE_SUFFIX) or is_grouped(da):
        return False
    var = VARIABLES.get(name)  # the registry's kind; by name for a variable of another origin
    return var.kind == "count" if var is not None else not name.startswith("mean_")


def count_variables(ds: xr.Dataset) -> list[str]:
    """Names of the additive variables of ``ds``, in Dataset order."""
    return [str(n) for n in ds.data_vars if is_count(ds[n])]


def replicate_mean(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` averaged over ``replicate`` when it has that dim (attributes kept)."""
    if "replicate" in ds.dims:
        return ds.mean("replicate", keep_attrs=True)
    return ds


def check_year(ds: xr.Dataset, year: int | None) -> int:
    """``year`` if ``ds`` has it (default: its last year); ``ConfigError`` naming the range."""
    years = ds["year"].values
    if year is None:
        return int(years[-1])
    if year not in years:
        raise ConfigError(f"year {year} is not in the result; it has years {int(years[0])}.."
                         f"{int(years[-1])}")
    return int(year)


def check_region(ds: xr.Dataset, region: str) -> str:
    """The English name of ``region`` (any accepted spelling: ``guangdong``, ``广东``, ``44``)
    if ``ds`` has it; ``ConfigError`` naming the closest regions otherwise."""
    names = [str(r) for r in ds["region"].values]
    found = resolve_region(region)
    if found in names:
        return found
    by_case = {n.lower(): n for n in names}  # regions outside China (Sweden) by letter case
    if str(region).lower() in by_case:
        return by_case[str(region).lower()]
    hint = closest_names(region, names)
    extra = f"did you mean {', '.join(repr(h) for h in hint)}? " if hint else ""
    raise ConfigError(f"region {region!r} is not in the result; {extra}regions: {', '.join(names)}")


def check_scenario(ds: xr.Dataset, scenario: str | None) -> list[str]:
    """Scenarios to show: ``[scenario]`` if given and present, else all of them."""
    names = [str(s) for s in ds["scenario"].values]
    if scenario is None:
        return names
    if scenario not in names:
        raise ConfigError(f"scenario {scenario!r} is not in the result; scenarios: "
                         f"{', '.join(names)}")
    return [scenario]


def parse_years(text: str | None) -> list[int] | None:
    """Years of a comma-separated list (``"2020,2030,2050"``); ``ConfigError`` if not integers."""
    if text is None:
        return None
    try:
        years = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(f"--years {text!r}: expected comma-separated years, e.g. "
                          "2020,2030,2050") from None
    if not years:
        raise ConfigError("--years: no year given")
    return years


def summarize_years(ds: xr.Dataset, by: By = "region", *, years: list[int] | None = None,
                    **options) -> pd.DataFrame:
    """:func:`summarize` for several years, with a ``year`` level after ``scenario``.

    ``years`` default to the last year of ``ds``; other keyword options as for
    :func:`summarize`.
    """
    years = [check_year(ds, y) for y in (years or [None])]
    parts = {y: summarize(ds, by, year=y, **options) for y in years}
    table = pd.concat(parts, names=["year"])
    levels = list(table.index.names)
    order = [levels[1], "year", *levels[2:]]
    return table.reorder_levels(order).sort_index(level=[0, 1], sort_remaining=False)


def summarize(ds: xr.Dataset, by: By = "region", *, year: int | None = None,
              scenario: str | None = None, region: str | None = None,
              variables: list[str] | None = None) -> pd.DataFrame:
    """Counts of one year by region, or by the parent's age group in one region.

    Parameters
    ----------
    ds : xarray.Dataset
        A projection (``lossproj.api.project``); replicates are averaged.
    by : {"region", "age_group"}
        ``"region"``: one row per (scenario, region), counts summed over sex and age.
        ``"age_group"``: one row per (scenario, age group) of ``region``, summed over sex,
        with ``shidu_parents_strict_per_1000`` = strict shidu parents per 1,000 population of
        the same age group.
    year : int, optional
        Default: the last year of ``ds`` [year].
    scenario : str, optional
        Default: all scenarios.
    region : str, optional
        ``"age_group"``: the region of the table (default ``China``); ``"region"``: the only
        region shown (default: all). Any accepted spelling (``广东``, ``44``).
    variables : list of str, optional
        Default: every additive variable (per-woman means and standard errors are left out).

    Returns
    -------
    pandas.DataFrame
        Counts [persons; ``allowance_cost`` in RMB per year]; NaN where any value summed is
        missing (never shown as 0).
    """
    if by not in ("region", "age_group"):
        raise ConfigError(f"unknown summary {by!r}; allowed: 'region', 'age_group'")
    ds = replicate_mean(ds)
    year = check_year(ds, year)
    scenarios = check_scenario(ds, scenario)
    names = variables if variables is not None else count_variables(ds)
    unknown = [n for n in names if n not in ds.data_vars]
    if unknown:
        raise ConfigError(f"unknown variable(s) {', '.join(unknown)}; the result has "
                         f"{', '.join(map(str, ds.data_vars))}")
    sub = ds[names].sel(year=year, scenario=scenarios)
    if by == "region":
        shown = ([str(r) for r in ds["region"].values] if region is None
                 else [check_region(ds, region)])
        sub = sub.sel(region=shown)
        reduce = [d for d in ("sex", "age") if d in sub.dims]
        table = sub.sum(reduce, skipna=False).to_dataframe()  # NaN stays missing
        table = table[names]
        return table.reindex(pd.MultiIndex.from_product(
            [scenarios, shown], names=["scenario", "region"]))
    region = check_region(ds, NATIONAL if region is None else region)
    sub = sub.sel(region=region)
    groups = xr.DataArray(age_group_labels(sub["age"].values), dims="age", name="age_group")
    columns = {}
    for name in names:
        da = sub[name]
        if "sex" in da.dims:
            da = da.sum("sex", skipna=False)
        columns[name] = da.groupby(groups).sum(skipna=False).to_pandas()
    if "shidu_parents_strict" in names and "population" in ds.data_vars:
        pop = ds["population"].sel(year=year, scenario=scenarios, region=region).sum(
            "sex", skipna=False)
        pop = pop.groupby(groups).sum(skipna=False).to_pandas()
        with np.errstate(divide="ignore", invalid="ignore"):
            columns["shidu_parents_strict_per_1000"] = (
                columns["shidu_parents_strict"] / pop.where(pop > 0) * PER_THOUSAND
            )
    frames = {k: v.stack() if isinstance(v, pd.DataFrame) else v for k, v in columns.items()}
    table = pd.DataFrame(frames)
    table.index = table.index.set_names(["scenario", "age_group"])
    order = list(dict.fromkeys(age_group_labels(sub["age"].values)))
    return table.reindex(pd.MultiIndex.from_product([scenarios, order],
                                                    names=["scenario", "age_group"]))
