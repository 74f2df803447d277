"""Assemble the packaged tables into rate bundles on the engines' year × age grid."""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np

from lossproj import data, regions
from lossproj.conventions import PROVINCE_RULES
from lossproj.rates.bundle import A_MAX, A_OUT, FERT_MAX, FERT_MIN, RateBundle
from lossproj.rates.fertility import (
    CEB_LAST_AGE,
    ceb_adjusted_asfr,
    census_relative_level,
    mean_ceb,
    provincial_asfr,
    relative_ceb_target,
)
from lossproj.rates.mortality import provincial_mx
from lossproj.rates.population import project_population

#: Rule ``census_2010_2020_relative_ceb``: the CEB factor is held up to this year [year], the
#: 2010 census level is met in the step of the 2010 census births (1 Nov 2009 – 31 Oct 2010).
TWO_CENSUS_FULL_UNTIL, TWO_CENSUS_ANCHOR_YEAR = 2000, 2009

#: First year of the rate grid: mothers of every cohort alive at 100 in 1990 are followed.
GRID_FIRST_YEAR = 1890

WPP_SCALING_NOTE = (
    "Population before 2020: back-projected by province from the 2020 (and, for the oldest, "
    "2010) census with the model's death rates, then scaled by year, sex and 5-year age group "
    "so that the national total equals WPP 2024 estimates (factor interpolated between "
    "quinquennial years; 1 in 2020)."
)
HELD_BEFORE_DATA = (
    "Rates before the first data year are held at that year's values (China: 1950, WPP 2024)."
)


def _extend(values: np.ndarray, data_years: np.ndarray, first_year: int, last_year: int) -> np.ndarray:
    """Put ``values[..., year, :]`` on ``first_year..last_year``, holding the edge years."""
    grid = np.arange(first_year, last_year + 1)
    idx = np.clip(grid - data_years[0], 0, data_years.size - 1)
    return np.take(values, idx, axis=-2)


def _ages_to_grid(values: np.ndarray, first_age: int) -> np.ndarray:
    """Place ages ``first_age..`` (last axis) on ages 0..A_MAX; ages above the data hold the last."""
    out = np.zeros(values.shape[:-1] + (A_MAX + 1,))
    n = values.shape[-1]
    out[..., first_age : first_age + n] = values
    if first_age == 0:
        out[..., n:] = values[..., -1:]
    return out


def _population_grid(pop: np.ndarray) -> np.ndarray:
    """Census population by single age 0..100 (100 = 100+) on ages 0..A_MAX (open group at 100)."""
    out = np.zeros(pop.shape[:-1] + (A_MAX + 1,))
    out[..., : A_OUT + 1] = pop
    return out


def _ceb_scaled(asfr_p, f_nat, f_years, prov_2020, cen_2020, rule: str):
    """Provincial rates before 2020 scaled to the census mean CEB (rules ``*_ceb``); with a note.

    The relative rules take the WPP-implied national mean children ever born over the women
    15–64 of the 2020 census national row (region ``China``; it equals the sum of the
    provinces) and weight each province by its own women 15–64. ``census_2010_2020_relative_ceb``
    also pins each province's level in the 2010 census step to its 2010 census births
    (indirectly standardised on the census national 2010 schedule,
    :func:`~lossproj.rates.fertility.census_relative_level`).
    """
    women = data.base_population(2020).sel(sex="female", age=slice(FERT_MIN, CEB_LAST_AGE))
    ceb = data.mean_ceb_2020().set_index("region")["mean_children_ever_born"]
    target = ceb.loc[list(regions.PROVINCE_NAMES)].values
    if rule == "census_2020_ratio_ceb":
        to = "to the 2020 census mean children ever born of women 15-64"
    else:
        implied = float(mean_ceb(f_nat, f_years, women.sel(region=regions.NATIONAL).values))
        target = relative_ceb_target(target, float(ceb.loc[regions.NATIONAL]), implied)
        to = (
            "so that the mean children ever born of its women 15-64 in 2020 is its 2020 census "
            f"mean relative to the census national mean ({ceb.loc[regions.NATIONAL]:.2f}) times "
            f"the national mean implied by WPP 2024 fertility ({implied:.3f})"
        )
    kwargs, fade = {}, "fully to 2010, fading to 2020"
    if rule == "census_2010_2020_relative_ceb":
        rel_2010 = _census_2010_levels()
        rel_2020 = prov_2020.sum(axis=1) / cen_2020.sum()
        kwargs = dict(
            full_until=TWO_CENSUS_FULL_UNTIL, anchor_year=TWO_CENSUS_ANCHOR_YEAR, anchor=rel_2010 / rel_2020,
        )
        fade = (
            f"fully to {TWO_CENSUS_FULL_UNTIL}; in {TWO_CENSUS_ANCHOR_YEAR} its TFR relative to the "
            "nation is the 2010 census level (births 2009-10 by province over the births the "
            "census national 2010 rates give its women; "
            f"{rel_2010.min():.2f}..{rel_2010.max():.2f}); linear in between and to 2020"
        )
    women_p = women.sel(region=list(regions.PROVINCE_NAMES)).values
    asfr_p, k = ceb_adjusted_asfr(asfr_p, f_years, women_p, target, **kwargs)
    return asfr_p, (
        f"Before 2020 each province's fertility is scaled ({fade}) {to} "
        f"(factors {k.min():.2f}..{k.max():.2f})."
    )


def _census_2010_levels() -> np.ndarray:
    """Provinces' 2010 census fertility relative to the nation [dimensionless], shape (31,)."""
    births = data.births_by_order()
    births = births[(births.census_year == 2010) & (births.residence == "total")]
    births = births.groupby("region")["births"].sum()
    names = [regions.NATIONAL, *regions.PROVINCE_NAMES]
    women = data.base_population(2010).sel(sex="female", age=slice(FERT_MIN, FERT_MAX), region=names)
    rates = data.parity_order_rates_2010().groupby("age")["asfr"].sum()
    national = rates.reindex(range(FERT_MIN, FERT_MAX + 1)).values
    return census_relative_level(births.loc[names].values, women.values, national)[1:]


@lru_cache(maxsize=8)
def china_bundle(
    province_levels: str = "census_differential",
    fertility_variant: str = "medium",
    last_year: int = 2100,
    province_rule: str = "census_2020_ratio",
) -> RateBundle:
    """All 31 provinces on the grid 1890..``last_year`` from the packaged tables.

    Parameters
    ----------
    province_levels : {"census_differential", "census_levels"} — provincial mortality option
        (:func:`lossproj.rates.mortality.provincial_mx`)
    fertility_variant : {"medium", "low", "high"} — WPP 2024 variant of national fertility
    province_rule : one of :data:`lossproj.conventions.PROVINCE_RULES` — provincial fertility rule
        (docs/configuration.md; :mod:`lossproj.rates.fertility`; :func:`_ceb_scaled`).
    last_year : int — last year of the grid (≤ 2100)
    """
    mx_nat = data.mortality_national()  # (sex, year, age)
    mx_nat = mx_nat.transpose("sex", "year", "age").sel(sex=["female", "male"])
    years = mx_nat["year"].values
    e0_census = data.province_e0_census()
    e0_census = e0_census.sel(sex=["female", "male"]) if "both" in e0_census["sex"] else e0_census
    prov = provincial_mx(mx_nat.values, None, e0_census, years, option=province_levels)
    prov = prov.sel(region=list(regions.PROVINCE_NAMES))
    mx = _extend(_ages_to_grid(prov.values, 0), years, GRID_FIRST_YEAR, last_year)

    f_nat = data.fertility_national(fertility_variant).transpose("year", "age")
    f_years = f_nat["year"].values
    f_prov = data.fertility_province_2020()
    prov_2020 = f_prov.sel(region=list(regions.PROVINCE_NAMES)).values
    cen_2020 = f_prov.sel(region=regions.NATIONAL).values
    asfr_p = provincial_asfr(f_nat.values, prov_2020, cen_2020)  # (region, year, 35)
    fert_note = (
        "Provincial fertility: WPP 2024 national ASFR times each province's 2020 census "
        "age ratio, provincial/national TFR ratio of 2020 held in every year."
    )
    if province_rule not in PROVINCE_RULES:
        raise ValueError(f"unknown province_rule {province_rule!r}; allowed: {', '.join(PROVINCE_RULES)}")
    if province_rule != "census_2020_ratio":
        asfr_p, note = _ceb_scaled(asfr_p, f_nat.values, f_years, prov_2020, cen_2020, province_rule)
        fert_note += " " + note
    asfr = _extend(_ages_to_grid(asfr_p, FERT_MIN), f_years, GRID_FIRST_YEAR, last_year)
    asfr[..., FERT_MAX + 1 :] = 0.0

    return _china_bundle(
        "china",
        regions.PROVINCE_NAMES,
        mx,
        asfr,
        last_year,
        (
            HELD_BEFORE_DATA,
            "Provincial mortality: Brass logit (slope 1) on WPP 2024 national rates, provincial "
            f"level from the censuses ({province_levels}).",
            fert_note,
            "Net migration (when included): WPP 2024 national net migrants by age and sex, "
            "shared among provinces by their 2020 population (no interprovincial migration).",
        ),
        net_migration=lambda base: _provincial_migration(base, last_year),
    )


def _provincial_migration(base: np.ndarray, last_year: int) -> np.ndarray:
    """WPP national net migrants by age and sex shared by provincial population [persons/yr]."""
    mig = data.net_migration().transpose("sex", "year", "age").sel(sex=["female", "male"])
    years = mig["year"].values
    grid = np.arange(GRID_FIRST_YEAR, last_year + 1)
    out = np.zeros((base.shape[0], 2, grid.size, A_MAX + 1))
    share = base.sum(axis=(1, 2)) / base.sum()
    inside = (grid >= years[0]) & (grid <= years[-1])
    vals = _ages_to_grid(mig.values, 0)[:, np.clip(grid - years[0], 0, years.size - 1)]
    vals[..., A_OUT + 1 :] = 0.0
    out[:, :, inside] = share[:, None, None, None] * vals[None][:, :, inside]
    return out


@lru_cache(maxsize=2)
def china_national_bundle(fertility_variant: str = "medium", last_year: int = 2100) -> RateBundle:
    """China as one region: WPP 2024 national rates and the national census base.

    Used by the parity calibration, whose targets are national.
    """
    mx_nat = data.mortality_national().transpose("sex", "year", "age").sel(sex=["female", "male"])
    years = mx_nat["year"].values
    mx = _extend(_ages_to_grid(mx_nat.values[None], 0), years, GRID_FIRST_YEAR, last_year)
    f_nat = data.fertility_national(fertility_variant).transpose("year", "age")
    asfr = _extend(_ages_to_grid(f_nat.values[None], FERT_MIN), f_nat["year"].values, GRID_FIRST_YEAR, last_year)
    return _china_bundle("china-national", (regions.NATIONAL,), mx, asfr, last_year, (HELD_BEFORE_DATA,))


@lru_cache(maxsize=2)
def sweden_bundle(last_year: int = 2018) -> RateBundle:
    """Sweden, women only (HMD/HFD via DemoKin): children and 'husbands' get female mortality.

    One-sex model: male rates are the female ones, the sex ratio at birth is 1, and the base
    population (both sexes) is the female population of the last year.
    """
    swe = data.sweden_female()  # Dataset or DataFrame with year, age, mx, asfr, population
    mx_f = swe["mx"].transpose("year", "age").values
    asfr_f = swe["asfr"].transpose("year", "age").values
    pop = swe["population"].transpose("year", "age").values
    years = swe["year"].values
    first = int(years[0])
    grid_first = first - A_MAX // 2
    mx = _extend(_ages_to_grid(mx_f, 0)[None], years, grid_first, last_year)
    mx = np.stack([mx[0], mx[0]])[None]
    asfr = _extend(_ages_to_grid(asfr_f, 0)[None], years, grid_first, last_year)
    asfr[..., :FERT_MIN] = 0.0
    asfr[..., FERT_MAX + 1 :] = 0.0
    n_y = mx.shape[2]
    base_year = min(last_year, int(years[-1]))
    p = pop[years.tolist().index(base_year)]
    base = np.zeros((1, 2, A_MAX + 1))
    base[0, :, : p.size] = p
    return RateBundle(
        name="sweden",
        regions=("Sweden",),
        region_codes=(0,),
        region_zh=("",),
        first_year=grid_first,
        mx=np.ascontiguousarray(mx),
        asfr=np.ascontiguousarray(asfr),
        srb=np.ones(n_y),
        base_year=base_year,
        base_population=base,
        assumptions=(
            f"Sweden one-sex example: female rates for everyone; rates before {first} held at {first}.",
        ),
    )


def wpp_back_projection_factor(bundle: RateBundle) -> np.ndarray:
    """Factor [2, Y, A_MAX+1] scaling the back-projected national population to WPP estimates.

    Ratios WPP / back-projection by sex and 5-year group (100+ pooled) at the WPP estimate
    years before the base year, 1 at the base year, linear in between, held before the first
    estimate year; 1 from the base year on.
    """
    unadjusted = dataclasses.replace(bundle, back_projection_factor=None)
    pop = project_population(unadjusted).population.sum(axis=0)  # [2, Y, A]
    wpp = data.population_wpp().sel(sex=["female", "male"])
    est_years = [int(y) for y in wpp["year"].values if y < bundle.base_year]
    starts = [int(a) for a in wpp["age_start"].values]
    ratio = np.ones((2, len(est_years) + 1, A_MAX + 1))
    for k, year in enumerate(est_years):
        yi = bundle.year_index(year)
        for a0 in starts:
            a1 = A_MAX if a0 >= A_OUT else a0 + 4
            model = pop[:, yi, a0 : a1 + 1].sum(axis=-1)
            target = wpp.sel(year=year, age_start=a0).values
            ratio[:, k, a0 : a1 + 1] = np.where(model > 0, target / np.where(model > 0, model, 1), 1.0)[:, None]
    knots = np.array([*est_years, bundle.base_year])
    years = bundle.years
    factor = np.ones((2, years.size, A_MAX + 1))
    before = years < bundle.base_year
    for s in range(2):
        for a in range(A_MAX + 1):
            factor[s, before, a] = np.interp(years[before], knots, ratio[s, :, a])
    return factor


def _china_bundle(name, region_names, mx, asfr, last_year, assumptions, net_migration=None) -> RateBundle:
    """A China bundle on the grid: census bases 2020/2010, WPP sex ratio at birth, WPP scaling."""
    srb_da = data.sex_ratio_at_birth()
    srb = _extend(srb_da.values[None, :, None], srb_da["year"].values, GRID_FIRST_YEAR, last_year)[0, :, 0]
    sel = {"region": list(region_names), "sex": ["female", "male"]}
    base = data.base_population(2020).sel(**sel)
    older = data.base_population(2010).sel(**sel)
    bundle = RateBundle(
        name=name,
        regions=tuple(region_names),
        region_codes=tuple(regions.CODE_BY_NAME[r] for r in region_names),
        region_zh=tuple(regions.ZH_BY_NAME[r] for r in region_names),
        first_year=GRID_FIRST_YEAR,
        mx=np.ascontiguousarray(mx),
        asfr=np.ascontiguousarray(asfr),
        srb=np.ascontiguousarray(srb),
        base_year=2020,
        base_population=_population_grid(base.values),
        older_base_year=2010,
        older_base_population=_population_grid(older.values),
        net_migration=None if net_migration is None else net_migration(base.values),
        assumptions=(*assumptions, WPP_SCALING_NOTE),
    )
    return dataclasses.replace(bundle, back_projection_factor=wpp_back_projection_factor(bundle))
