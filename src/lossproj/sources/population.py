"""Readers of population tables: census counts by single age, WPP estimates, net migration.

Each reader takes the raw folder and returns one packaged table (docs/data_contract.md);
:data:`NOTES` holds the provenance paragraph of each table for ``data/README.md``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from lossproj.errors import DataError
from lossproj.rates.graduation import graduate_counts, rake_to_total
from lossproj.rates.lifetable import N_AGES
from lossproj.rates.mortality import SEXES
from lossproj.regions import NAME_BY_CODE, PROVINCES
from lossproj.sources.raw import (
    NBS_SOURCE,
    RAW_FILES,
    WPP_SOURCE,
    china_rows,
    read_raw,
    region_name,
)

logger = logging.getLogger(__name__)

#: Youngest age in 2020 that takes its within-group shape from the 2010 single-age census
#: [years] (cohorts aged 5+ in 2010; ages 0-4 in 2010 were under-enumerated).
GUIDED_MIN_AGE_2020 = 15

NOTES: dict[str, str] = {
    "population_census.csv": (
        f"Census population on 1 November 2010 and 2020 [persons] by province (31 + `China`), "
        f"sex and single age 0..100 (100 = 100+). Source: {NBS_SOURCE}, tables 1-7 (2010) and 1-5 "
        "(2020) 各地区分年龄、性别的人口 (full count), transcribed in GitHub earfanfan/yuanfan "
        "(no license file) and, for the national 2010 single-age profile, Yiguan/CN_pop_simu "
        "(2010 全国分年龄、性别的人口). Transformation: each region/sex/year's groups 0, 1-4, "
        "5-9, ..., 95-99, 100+ are graduated to single years by `lossproj.rates.graduation."
        "graduate_counts`: a monotone PCHIP spline of the cumulative count (keeps every group "
        "total exactly, values >= 0), multiplied within groups by the deviation of a reference "
        "single-age profile from its own PCHIP graduation and rescaled to the group total "
        "(guided graduation). Reference: the 2010 national single-age census counts of the same "
        "sex; for 2020 the same profile shifted by 10 years (same birth cohorts) for ages 15+, "
        "none for ages 0-14 (plain PCHIP; 2010 ages 0-4 were under-enumerated). The reference "
        "brings the national cohort irregularities (e.g. the 1959-61 famine cohorts) into every "
        "province. For `China` 2010 the result equals the national single-age census table. "
        "`China` is graduated from its own group totals (Σ provinces = China in every group of the "
        "raw table, checked); the provinces' single-age values are then raked (iterative "
        "proportional fitting within each age group, `lossproj.rates.graduation.rake_to_total`) so that they add "
        "up to China at every single age while each province keeps its group totals exactly. "
        "Values are floats (not rounded to persons)."
    ),
    "net_migration.csv": (
        f"Projected net international migrants [persons per year] by sex and single age 0..100 "
        f"(100 = 100+), 2023..2100, WPP medium. Source: {WPP_SOURCE} (migprojAge1dt). "
        "Transformation: thousands x 1000, reshaped to long."
    ),
    "population_wpp.csv": (
        "**Source:** UN DESA Population Division, *World Population Prospects 2024*, "
        "estimates (CC BY 3.0 IGO), carried by the R package PPgp/wpp2024 (`popAge5dt`, raw "
        "file `wpp2024_pop_age5_sex.csv`). **Units:** persons (source thousands x 1000). "
        "**Reference date:** 1 July of 1950, 1955, ..., 2020. **Transformations:** China rows "
        "(country code 156) of the `estimates` variant only; columns `popF`/`popM` reshaped to "
        "a `sex` column. **Use:** the population before the 2020 base is back-projected by "
        "province from the censuses and then scaled, by year, sex and 5-year age group, to these "
        "national totals (interpolated between the fifth years): survival-based back-projection "
        "of the oldest cohorts from the 2010/2020 censuses overstates the 1990s population at "
        "ages 70+ several times."
    ),
}


def population_census(raw_dir: Path) -> pd.DataFrame:
    """Census population of 2010 and 2020 graduated to single ages, provinces raked to China.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["pop5"]`` (5-year groups by province and sex)
        and ``RAW_FILES["pop1_2010"]`` (national 2010 single-age counts, the reference shape).

    Returns
    -------
    pandas.DataFrame
        Columns ``census_year, region, sex, age, population`` [persons], ages 0..100
        (100 = 100+), sorted by census year, province code, sex and age.

    Raises
    ------
    DataError
        If the single-age reference lacks an age or a region's age groups are incomplete.

    Notes
    -----
    Guided graduation (:func:`lossproj.rates.graduation.graduate_counts`) with the 2010
    national single-age profile as the within-group shape, the 2020 shape being that profile
    shifted by ten years from age :data:`GUIDED_MIN_AGE_2020`; when every province is present
    the provinces are raked (:func:`lossproj.rates.graduation.rake_to_total`) to China.
    """
    pop5 = read_raw(raw_dir, "pop5")
    pop1 = read_raw(raw_dir, "pop1_2010").sort_values("age")
    if pop1["age"].tolist() != list(range(N_AGES)):
        raise DataError(f"{RAW_FILES['pop1_2010']}: expected ages 0..100 once each")
    starts = np.array(sorted(pop5["age_start"].unique()))
    complete = _province_sum_gap(pop5) == 0
    ref_2010 = {sex: pop1[sex].to_numpy(float) for sex in SEXES}
    single: dict[tuple[int, int, str], np.ndarray] = {}
    for (year, code), grp in pop5.groupby(["census_year", "province_code"], sort=True):
        grp = grp.sort_values("age_start")
        if grp["age_start"].tolist() != starts.tolist():
            raise DataError(
                f"{RAW_FILES['pop5']}: province_code {code}, {year}: age groups incomplete"
            )
        region_name(code, "pop5")
        for sex in SEXES:
            shape = _reference_shape(ref_2010[sex], int(year))
            single[int(year), int(code), sex] = graduate_counts(
                starts, grp[sex].to_numpy(float), N_AGES - 1, shape=shape
            )
    if complete:
        codes = [c for c, _, _ in PROVINCES]
        for year in sorted({k[0] for k in single}):
            for sex in SEXES:
                parts = np.stack([single[year, c, sex] for c in codes])
                raked = rake_to_total(parts, starts, single[year, 0, sex])
                for c, row in zip(codes, raked, strict=True):
                    single[year, c, sex] = row
    rows = [
        pd.DataFrame(
            {
                "census_year": year,
                "region": NAME_BY_CODE[code],
                "sex": sex,
                "age": np.arange(N_AGES),
                "population": values,
            }
        )
        for (year, code, sex), values in sorted(single.items())
    ]
    return pd.concat(rows, ignore_index=True)


def _reference_shape(ref_2010: np.ndarray, year: int) -> np.ndarray:
    """Single-age reference profile [persons] for a census year (NaN where none applies)."""
    if year == 2010:
        return ref_2010
    shift = year - 2010
    shape = np.full(N_AGES, np.nan)
    ages = np.arange(GUIDED_MIN_AGE_2020, N_AGES - 1)
    shape[ages] = ref_2010[ages - shift]
    return shape


def _province_sum_gap(pop5: pd.DataFrame) -> float:
    """Largest |Σ provinces − China| over census years, age groups and sexes [persons].

    NaN when not every province is in the table (nothing to compare).
    """
    prov = pop5[pop5["province_code"] != 0]
    nat = pop5[pop5["province_code"] == 0].set_index(["census_year", "age_start"])
    if prov["province_code"].nunique() < len(PROVINCES) or nat.empty:
        logger.info("population: not all provinces present; Σ provinces = China not checked")
        return float("nan")
    total = prov.groupby(["census_year", "age_start"])[list(SEXES)].sum()
    worst = float((total - nat[list(SEXES)]).abs().to_numpy().max())
    logger.info("population: max |Σ provinces − China| per group = %g persons", worst)
    if worst > 0:
        logger.warning("population: provinces do not add up to China (max gap %g persons)", worst)
    return worst


def net_migration(raw_dir: Path) -> pd.DataFrame:
    """WPP 2024 projected net international migrants of China by year, sex and single age.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["netmig"]`` (thousands of persons).

    Returns
    -------
    pandas.DataFrame
        Columns ``year, sex, age, net_migrants`` [persons per year].
    """
    mig = china_rows(read_raw(raw_dir, "netmig"), "netmig").sort_values(["year", "age"])
    out = [
        pd.DataFrame(
            {
                "year": mig["year"].to_numpy(int),
                "sex": sex,
                "age": mig["age"].to_numpy(int),
                "net_migrants": mig[col].to_numpy(float) * 1000.0,
            }
        )
        for sex, col in (("female", "migF"), ("male", "migM"))
    ]
    table = pd.concat(out, ignore_index=True)
    return table.sort_values(["year", "sex", "age"], kind="stable").reset_index(drop=True)


def population_wpp(raw_dir: Path) -> pd.DataFrame:
    """WPP 2024 estimates of China's population by sex and 5-year age group, 1950-2020.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["pop_wpp"]`` (thousands of persons).

    Returns
    -------
    pandas.DataFrame
        Columns ``year, sex, age_start, population`` [persons] at 1 July of each fifth year;
        age groups 0-4 ... 95-99 and 100+ (``age_start`` 100).
    """
    raw = china_rows(read_raw(raw_dir, "pop_wpp"), "pop_wpp")
    raw = raw[raw["variant"] == "estimates"]
    rows = []
    for r in raw.itertuples(index=False):
        for sex, col in (("female", "popF"), ("male", "popM")):
            rows.append({"year": int(r.year), "sex": sex, "age_start": int(r.age_start),
                         "population": float(getattr(r, col)) * 1000.0})
    return pd.DataFrame(rows).sort_values(["year", "sex", "age_start"]).reset_index(drop=True)
