"""Figures of the packaged input data: life expectancy paths and parity targets.

Each ``fig_*`` function takes labelled data (as returned by :mod:`lossproj.data`) and returns
a :class:`matplotlib.figure.Figure`; nothing here reads or writes files except through
:func:`data_figures`, which loads the tables via :mod:`lossproj.data`. The figure files are
listed in :data:`FIGURES` (and in ``data/README.md``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from lossproj import data as lpdata
from lossproj import regions

logger = logging.getLogger(__name__)

#: Figure file name → what it shows (the README lists these).
FIGURES: dict[str, str] = {
    "e0_national.png": "life expectancy at birth, China, by sex: WPP 2024 annual e0 (line), e0 "
    "recomputed from the packaged single-year `mortality_national.csv` (dashed) and the census "
    "e0 of 1990-2020 (points)",
    "e0_provinces.png": "census e0 by province and sex, 1990-2020 (points), against the national "
    "WPP 2024 e0 (grey line), one panel per province",
    "parity_cohort.png": "parity distribution of Chinese women by birth cohort (childless, one "
    "child, two or more) and completed cohort fertility, Duan & Chen (2022)",
    "births_by_order.png": "share of births of order 1, 2, 3+ in the 2010 and 2020 censuses, "
    "national, by residence (total, city, town, rural)",
    "births_by_order_provinces.png": "share of first births by province, 2010 vs 2020 census",
    "parity_order_rates_2010.png": "order-specific fertility rates by single age, 2010 census",
}

_SEX_COLOURS = {"female": "tab:red", "male": "tab:blue", "both": "tab:gray"}
_ORDER_COLOURS = {"1": "tab:blue", "2": "tab:orange", "3+": "tab:green"}


def fig_e0_national(wpp_e0: xr.DataArray, census_e0: xr.DataArray, model_e0: xr.DataArray | None = None) -> Figure:
    """National e0 over time: WPP line, packaged-mortality e0 (dashed), census points.

    Parameters
    ----------
    wpp_e0 : DataArray
        WPP e0 [years], dims (sex, year).
    census_e0 : DataArray
        Census e0 [years], dims (region, sex, census_year).
    model_e0 : DataArray, optional
        e0 [years] from the packaged single-year mortality, dims (sex, year).
    """
    fig = Figure(figsize=(8, 5))
    ax = fig.subplots()
    for sex in ("female", "male"):
        c = _SEX_COLOURS[sex]
        w = wpp_e0.sel(sex=sex)
        ax.plot(w["year"], w, color=c, label=f"WPP 2024, {sex}")
        if model_e0 is not None:
            m = model_e0.sel(sex=sex)
            ax.plot(m["year"], m, color=c, linestyle="--", linewidth=1, label=f"packaged mx, {sex}")
        pts = census_e0.sel(region=regions.NATIONAL, sex=sex)
        ax.plot(pts["census_year"], pts, "o", color=c, markeredgecolor="k", label=f"census, {sex}")
    ax.set_xlabel("year")
    ax.set_ylabel("life expectancy at birth [years]")
    ax.set_title("China: e0, WPP 2024 vs censuses")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    return fig


def fig_e0_provinces(census_e0: xr.DataArray, wpp_e0: xr.DataArray) -> Figure:
    """Small multiples: census e0 of each province (points by sex) against national WPP e0."""
    provinces = [r for r in census_e0["region"].values.tolist() if r != regions.NATIONAL]
    ncol = 6
    nrow = int(np.ceil(len(provinces) / ncol))
    fig = Figure(figsize=(2.4 * ncol, 1.9 * nrow))
    axes = fig.subplots(nrow, ncol, sharex=True, sharey=True, squeeze=False).ravel()
    wpp_both = wpp_e0.sel(sex="both").sel(year=slice(1985, 2025))
    for ax, region in zip(axes, provinces, strict=False):
        ax.plot(wpp_both["year"], wpp_both, color="0.6", linewidth=1)
        for sex in ("female", "male"):
            pts = census_e0.sel(region=region, sex=sex)
            ax.plot(pts["census_year"], pts, "o-", color=_SEX_COLOURS[sex], markersize=3, linewidth=0.8)
        ax.set_title(region, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(provinces):]:
        ax.set_visible(False)
    fig.supxlabel("census year")
    fig.supylabel("e0 [years] (red female, blue male, grey WPP China both sexes)")
    return fig


def fig_parity_cohort(cohort: pd.DataFrame) -> Figure:
    """Stacked shares childless / one / two+ by birth cohort, with CCFR on a second axis."""
    full = cohort.dropna(subset=["share_childless", "share_one", "share_two_plus"])
    fig = Figure(figsize=(9, 4.5))
    ax = fig.subplots()
    x = full["cohort"].to_numpy()
    bottom = np.zeros(len(full))
    for col, label, colour in (
        ("share_two_plus", "two or more", "tab:green"),
        ("share_one", "exactly one", "tab:blue"),
        ("share_childless", "childless", "0.7"),
    ):
        ax.bar(x, full[col], bottom=bottom, color=colour, label=label, width=0.8)
        bottom = bottom + full[col].to_numpy()
    ax.set_xlabel("birth cohort of women")
    ax.set_ylabel("share of women [fraction]")
    ax.set_ylim(0, 1.05)
    ax2 = ax.twinx()
    ax2.plot(cohort["cohort"], cohort["ccfr"], "k.-", label="CCFR")
    ax2.set_ylabel("completed cohort fertility [children per woman]")
    ax.legend(loc="lower left", fontsize=8)
    ax2.legend(loc="lower right", fontsize=8)
    ax.set_title("Parity by cohort (Duan & Chen 2022); gaps = cohorts not available")
    return fig


def fig_births_by_order(births: pd.DataFrame) -> Figure:
    """Birth-order shares, national, 2010 and 2020, by residence (stacked bars)."""
    nat = births[births["region"] == regions.NATIONAL]
    residences = [r for r in lpdata.RESIDENCES_CENSUS if r in set(nat["residence"])]
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    labels, positions = [], []
    pos = 0.0
    for residence in residences:
        for year in sorted(nat["census_year"].unique()):
            sub = nat[(nat["residence"] == residence) & (nat["census_year"] == year)].set_index("order")
            bottom = 0.0
            for order in lpdata.ORDERS:
                share = float(sub.loc[order, "share"])
                ax.bar(pos, share, bottom=bottom, color=_ORDER_COLOURS[order],
                       label=f"order {order}" if not labels else None)
                bottom += share
            labels.append(f"{residence}\n{year}")
            positions.append(pos)
            pos += 1.0
        pos += 0.5
    ax.set_xticks(positions, labels, fontsize=8)
    ax.set_ylabel("share of births [fraction]")
    ax.set_title("Births by order, China, censuses 2010 and 2020")
    ax.legend(fontsize=8)
    return fig


def fig_births_by_order_provinces(births: pd.DataFrame) -> Figure:
    """Share of first births by region, 2010 vs 2020 (total residence)."""
    sub = births[(births["residence"] == "total") & (births["order"] == "1")]
    wide = sub.pivot(index="region", columns="census_year", values="share")
    wide = wide.reindex([r for r in lpdata.ALL_REGIONS if r in wide.index])
    fig = Figure(figsize=(6, 8))
    ax = fig.subplots()
    y = np.arange(len(wide))
    for year, marker in zip(wide.columns, ("o", "s"), strict=False):
        ax.plot(wide[year], y, marker, label=str(year))
    ax.set_yticks(y, wide.index, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("share of births that are first births [fraction]")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("First-birth share by province")
    return fig


def fig_parity_order_rates(rates: pd.DataFrame) -> Figure:
    """Order-specific ASFR by single age, 2010 census."""
    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    for order in lpdata.ORDERS:
        sub = rates[rates["order"] == order]
        ax.plot(sub["age"], sub["asfr"], color=_ORDER_COLOURS[order], label=f"order {order}")
    ax.set_xlabel("age of mother [years]")
    ax.set_ylabel("births per woman per year")
    ax.set_title("Order-specific fertility rates, 2010 census")
    ax.legend()
    ax.grid(alpha=0.3)
    return fig


def national_model_e0(mx: xr.DataArray) -> xr.DataArray | None:
    """e0 [years] from single-year ``mx`` (sex, year, age) via ``lossproj.rates.lifetable``.

    Returns ``None`` (and logs why) when the life-table module is not available.
    """
    try:
        from lossproj.rates.lifetable import life_expectancy
    except ImportError as err:  # the rates layer is optional for the data figures
        logger.info("life tables not available (%s): e0 from packaged mx not drawn", err)
        return None
    out = []
    for sex in mx["sex"].values.tolist():
        m = mx.sel(sex=sex).transpose("year", "age")
        out.append(xr.DataArray(life_expectancy(m.values, sex=sex), dims=("year",), coords={"year": m["year"]}))
    da = xr.concat(out, dim=mx["sex"])
    da.attrs = {"units": "years", "long_name": "life expectancy at birth from packaged mx"}
    return da


def data_figures(data_dir: Path | None = None) -> dict[str, Figure]:
    """Build every figure of :data:`FIGURES` from the tables in ``data_dir``."""
    wpp = lpdata.wpp_e0_annual(data_dir)
    census = lpdata.province_e0_census(data_dir)
    births = lpdata.births_by_order(data_dir)
    figs = {
        "e0_national.png": fig_e0_national(wpp, census, national_model_e0(lpdata.mortality_national(data_dir))),
        "e0_provinces.png": fig_e0_provinces(census, wpp),
        "parity_cohort.png": fig_parity_cohort(lpdata.parity_cohort(data_dir)),
        "births_by_order.png": fig_births_by_order(births),
        "births_by_order_provinces.png": fig_births_by_order_provinces(births),
        "parity_order_rates_2010.png": fig_parity_order_rates(lpdata.parity_order_rates_2010(data_dir)),
    }
    if set(figs) != set(FIGURES):  # pragma: no cover - keeps FIGURES and the code in step
        raise RuntimeError(f"figures built {sorted(figs)} differ from FIGURES {sorted(FIGURES)}")
    return figs
