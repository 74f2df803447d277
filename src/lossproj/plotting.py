"""Figures of a projection: age-sex pyramids, national trends by scenario, provincial panels.

Each function returns a :class:`matplotlib.figure.Figure` built without ``pyplot`` (no global
figure state); :mod:`lossproj.outputs` saves them.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from lossproj.errors import ConfigError
from lossproj.regions import NATIONAL

#: Years of the default pyramids [year].
PYRAMID_YEARS: tuple[int, ...] = (2020, 2030, 2040, 2050)

_SEX_COLOURS = {"female": "#c0392b", "male": "#2c6fbb"}


def _label(da: xr.DataArray) -> str:
    long_name = da.attrs.get("long_name", str(da.name))
    units = da.attrs.get("units")
    return f"{long_name} [{units}]" if units else long_name


#: Label of the sum of the regions of a run that is not the whole nation.
REGIONS_RUN = "all regions run (not China)"


def _region(da: xr.DataArray, region: str) -> tuple[xr.DataArray, str]:
    """``da`` in ``region`` and its label; when ``China`` is asked for but absent (a run of
    some provinces), the sum of the regions run, labelled :data:`REGIONS_RUN`."""
    names = [str(r) for r in da["region"].values]
    if region in names:
        return da.sel(region=region), region
    if region == NATIONAL:
        return da.sum("region", keep_attrs=True, min_count=1), REGIONS_RUN
    raise ConfigError(f"region {region!r} is not in the result; regions: {', '.join(names)}")


def _scenario(da: xr.DataArray, scenario: str | None) -> tuple[xr.DataArray, str]:
    names = [str(s) for s in da["scenario"].values]
    scenario = names[0] if scenario is None else scenario
    if scenario not in names:
        raise ConfigError(f"scenario {scenario!r} is not in the result; scenarios: "
                         f"{', '.join(names)}")
    return da.sel(scenario=scenario), scenario


def _mean_replicates(da: xr.DataArray) -> xr.DataArray:
    return da.mean("replicate", keep_attrs=True) if "replicate" in da.dims else da


def shidu_pyramid(ds: xr.Dataset, *, variable: str = "shidu_parents_strict",
                  years=PYRAMID_YEARS, region: str = NATIONAL,
                  scenario: str | None = None) -> Figure:
    """Pyramids of a parent count by single age and sex, one panel per year.

    Parameters
    ----------
    ds : xarray.Dataset
        A projection; replicates are averaged.
    variable : str
        A variable with ``sex`` and ``age`` dims [persons].
    years : sequence of int
        Years to draw; those absent from ``ds`` are skipped (its last year if none is present).
    region : str
        Default ``China`` (the sum of the regions if ``China`` is absent).
    scenario : str, optional
        Default: the first scenario.
    """
    da, region = _region(_mean_replicates(ds[variable]), region)
    da, scenario = _scenario(da, scenario)
    present = [int(y) for y in years if int(y) in da["year"].values]
    if not present:
        present = [int(da["year"].values[-1])]
    fig = Figure(figsize=(3.2 * len(present), 4.5), layout="constrained")
    axes = fig.subplots(1, len(present), sharey=True, squeeze=False)[0]
    ages = da["age"].values
    vmax = float(da.sel(year=present).max()) or 1.0
    for ax, year in zip(axes, present, strict=True):
        one = da.sel(year=year)
        ax.fill_betweenx(ages, 0, -one.sel(sex="female").values, step="mid", linewidth=0,
                         color=_SEX_COLOURS["female"], label="women")
        ax.fill_betweenx(ages, 0, one.sel(sex="male").values, step="mid", linewidth=0,
                         color=_SEX_COLOURS["male"], label="men")
        ax.set_xlim(-vmax * 1.05, vmax * 1.05)
        ax.set_title(str(year))
        ax.axvline(0, color="black", linewidth=0.5)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{abs(x):,.0f}"))
        ax.tick_params(axis="x", labelrotation=45)
    axes[0].set_ylabel("age of parent [years]")
    axes[0].legend(loc="upper left", fontsize="small")
    fig.suptitle(f"{_label(ds[variable])}, {region}, scenario {scenario}")
    return fig


def national_trend(ds: xr.Dataset, *, variable: str = "shidu_parents_strict",
                   region: str = NATIONAL, age_min: int = 0, age_max: int = 100) -> Figure:
    """Yearly totals of a variable, one line per scenario (a min–max band over replicates).

    Parameters
    ----------
    ds : xarray.Dataset
    variable : str
        An additive variable [persons, or RMB per year].
    region : str
    age_min, age_max : int
        Ages summed, inclusive [years of age].
    """
    da, region = _region(ds[variable], region)
    da = da.sel(age=slice(age_min, age_max))
    reduce = [d for d in ("sex", "age") if d in da.dims]
    total = da.sum(reduce, keep_attrs=True)
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    years = total["year"].values
    for scenario in total["scenario"].values:
        one = total.sel(scenario=scenario)
        if "replicate" in one.dims:
            ax.fill_between(years, one.min("replicate").values, one.max("replicate").values,
                            alpha=0.25)
            one = one.mean("replicate")
        ax.plot(years, one.values, label=str(scenario))
    ax.set_xlabel("year")
    ax.set_ylabel(_label(ds[variable]))
    ages = "all ages" if (age_min, age_max) == (0, 100) else f"aged {age_min}-{age_max}"
    ax.set_title(f"{region}, {ages}")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return fig


def provincial_small_multiples(ds: xr.Dataset, *, variable: str = "shidu_parents_strict",
                               scenario: str | None = None, ncols: int = 6) -> Figure:
    """One small panel per province: yearly totals of a variable (national row left out).

    Parameters
    ----------
    ds : xarray.Dataset
    variable : str
        An additive variable [persons, or RMB per year].
    scenario : str, optional
        Default: the first scenario.
    ncols : int
        Panels per row.
    """
    da, scenario = _scenario(_mean_replicates(ds[variable]), scenario)
    reduce = [d for d in ("sex", "age") if d in da.dims]
    total = da.sum(reduce)
    provinces = [str(r) for r in total["region"].values if str(r) != NATIONAL] or [NATIONAL]
    ncols = max(1, min(ncols, len(provinces)))
    nrows = math.ceil(len(provinces) / ncols)
    fig = Figure(figsize=(2.2 * ncols, 1.8 * nrows + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, squeeze=False).ravel())
    years = total["year"].values
    for ax, name in zip(axes, provinces, strict=False):
        ax.plot(years, total.sel(region=name).values, color="#444444")
        ax.set_title(name, fontsize="small")
        ax.tick_params(labelsize="x-small")
    for ax in axes[len(provinces):]:
        ax.set_visible(False)
    fig.suptitle(f"{_label(ds[variable])} by province, scenario {scenario}")
    return fig
