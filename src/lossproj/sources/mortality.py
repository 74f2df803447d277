"""Readers of mortality tables: WPP national death rates made single-age and annual, e0 tables.

:data:`NOTES` holds the provenance paragraph of each table for ``data/README.md``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from lossproj.errors import DataError
from lossproj.rates.lifetable import N_AGES, life_expectancy
from lossproj.rates.mortality import (
    ABRIDGED_STARTS,
    SEXES,
    interpolate_years,
    scale_to_e0,
    single_age_mx,
)
from lossproj.sources.raw import (
    NBS_SOURCE,
    RAW_FILES,
    WPP_SOURCE,
    china_rows,
    read_raw,
    region_name,
)

logger = logging.getLogger(__name__)

#: GB/T 2260 codes of Chongqing (part of Sichuan until 1997) and Sichuan.
CHONGQING, SICHUAN = 50, 51

NOTES: dict[str, str] = {
    "mortality_national.csv": (
        f"National central death rates mx [deaths per person-year], by sex, single age 0..100 "
        f"(100 = 100+) and single year 1950..2100. Source: {WPP_SOURCE}: abridged mx by 5-year period "
        "(1950-1955 ... 2095-2100; estimates to 2020-2025, medium projection after) and annual "
        "life expectancy at birth e0 (estimates 1950-2023, medium 2024-2100). Transformation: "
        "(1) ages: log mx of the groups 0, 1-4, ..., 95-99, 100+ placed at mid-ages 0.5, 3, 7.5, "
        "..., 97.5, 101 and interpolated with PCHIP at x+0.5, the knots corrected iteratively so "
        "that the unweighted mean of single-age rates in each group equals the WPP group rate; "
        "ages 0 and 100+ copied (`lossproj.rates.mortality.single_age_mx`); (2) years: log mx "
        "linear in time between period mid-points (period 1950-1955 centred on calendar year "
        "1952.5, i.e. 1 Jan 1953), held constant before 1952.5 and after 2097.5; (3) level: each "
        "year's schedule is multiplied at all ages by one factor (bisection) so that its "
        "life-table e0 (`lossproj.rates.lifetable.life_expectancy`: a0 Andreev-Kingkade, ax = "
        "1/2, e100 = 1/m100) equals WPP's annual e0 of that sex (|difference| < 1e-6 years "
        "before rounding); this puts the 1959-1961 famine years into the annual schedules. "
        "Rounded to 8 significant digits. Both-sexes rates are not written."
    ),
    "province_e0_census.csv": (
        f"Life expectancy at birth e0 [years] from the census life tables of 1990, 2000, 2010 "
        f"and 2020 by province and `China`, sexes female/male/both. Source: {NBS_SOURCE}; 1990-2010 "
        "as printed in the China Health Statistics Yearbook 2018 (census-based), via GitHub "
        "fangshuai53/China-Life-Expectancy-Project (MIT); 2020 via GitHub HLGhpz/Data-Handle-TS "
        "(MIT). Corrections made in the raw table and kept (see `note`): Sichuan 1990 values "
        "moved from the source's Chongqing row; Zhejiang 1990 both-sexes 71.38 -> 71.78; "
        "Xinjiang 1990 both-sexes 63.59 -> 62.59. Added here: Chongqing 1990 (part of Sichuan "
        "then, no value in the source) is filled with Sichuan's 1990 values, stated in `note`. "
        "Flag kept as printed: Jiangxi 2020 male 78.08 exceeds its both-sexes 77.64 (probable "
        "source typo; the male differential of Jiangxi 2020 is therefore doubtful)."
    ),
    "wpp_e0_annual.csv": (
        f"Life expectancy at birth e0 [years], annual 1950..2100, sexes female/male/both "
        f"(estimates 1950-2023, median projection 2024-2100). Source: {WPP_SOURCE} (e01dt, e0proj1dt). "
        "Reshaped to long; used for checks and as the level target of mortality_national.csv."
    ),
}

#: Columns of the WPP e0 table by sex.
_E0_COLUMNS = (("female", "e0F"), ("male", "e0M"), ("both", "e0B"))


def _wpp_e0(raw_dir: Path) -> pd.DataFrame:
    """WPP annual e0 rows of China, sorted by year."""
    return china_rows(read_raw(raw_dir, "e0"), "e0").sort_values("year")


def mortality_national(raw_dir: Path) -> pd.DataFrame:
    """National single-age, single-year death rates calibrated to WPP's annual e0.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["mx5"]`` (abridged mx by 5-year period
        [deaths per person-year]) and ``RAW_FILES["e0"]`` (annual e0 [years]).

    Returns
    -------
    pandas.DataFrame
        Columns ``year, sex, age, mx`` [deaths per person-year], ages 0..100 (100 = 100+),
        the years of the e0 table.

    Raises
    ------
    DataError
        If a period or age group is missing.

    Notes
    -----
    Ages by :func:`lossproj.rates.mortality.single_age_mx`; years log-linear between period
    mid-points (period ``t..t+5`` centred on 1 Jan of its ``mid_year``, i.e. the middle of
    calendar year ``mid_year - 0.5``) by :func:`lossproj.rates.mortality.interpolate_years`;
    each year's level scaled to WPP's e0 by :func:`lossproj.rates.mortality.scale_to_e0`.
    """
    mx5 = china_rows(read_raw(raw_dir, "mx5"), "mx5").copy()
    e0 = _wpp_e0(raw_dir)
    years = e0["year"].to_numpy(int)
    mx5["age_start"] = mx5["age_start"].astype(int)
    periods = np.array(sorted(mx5["mid_year"].unique()))
    abridged = np.empty((2, periods.size, len(ABRIDGED_STARTS)))
    for s, col in enumerate(("mxF", "mxM")):
        wide = mx5.pivot(index="mid_year", columns="age_start", values=col)
        wide = wide.reindex(index=periods, columns=list(ABRIDGED_STARTS))
        if wide.isna().to_numpy().any():
            raise DataError(f"{RAW_FILES['mx5']}: {col} has missing periods or ages")
        abridged[s] = wide.to_numpy(float)
    single = single_age_mx(abridged)  # (sex, period, age)
    annual = interpolate_years(single, periods - 0.5, years, axis=1)
    target = np.stack([e0["e0F"].to_numpy(float), e0["e0M"].to_numpy(float)])
    sex = np.array(SEXES)[:, None]
    mx = scale_to_e0(annual, target, sex)
    err = np.abs(life_expectancy(mx, sex) - target)
    logger.info("mortality: max |e0 − WPP| before rounding: %.2e years", err.max())
    return pd.DataFrame(
        {
            "year": np.repeat(np.tile(years, 2), N_AGES),
            "sex": np.repeat(np.array(SEXES), years.size * N_AGES),
            "age": np.tile(np.arange(N_AGES), 2 * years.size),
            "mx": mx.reshape(-1),
        }
    )


def wpp_e0_annual(raw_dir: Path) -> pd.DataFrame:
    """WPP 2024 annual life expectancy at birth of China by sex.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["e0"]``.

    Returns
    -------
    pandas.DataFrame
        Columns ``year, sex, e0`` [years], sexes female, male, both.
    """
    e0 = _wpp_e0(raw_dir)
    years = e0["year"].to_numpy(int)
    return pd.concat(
        [
            pd.DataFrame({"year": years, "sex": sex_name, "e0": e0[col].to_numpy(float)})
            for sex_name, col in _E0_COLUMNS
        ],
        ignore_index=True,
    )


def province_e0_census(raw_dir: Path) -> pd.DataFrame:
    """Census life expectancy at birth by province, sex and census year (1990-2020).

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["e0_province"]``.

    Returns
    -------
    pandas.DataFrame
        Columns ``census_year, region, sex, e0, note``; ``e0`` [years]; ``note`` says what
        was corrected or filled. Chongqing 1990 (part of Sichuan then) is filled with
        Sichuan's 1990 values.

    Raises
    ------
    DataError
        If an e0 other than Chongqing's before 1997 is missing.
    """
    key = "e0_province"
    raw = read_raw(raw_dir, key).copy()
    raw["note"] = raw["note"].fillna("")
    cols = {"female": "e0_female", "male": "e0_male", "both": "e0_both"}
    fill = (raw["province_code"] == CHONGQING) & raw[list(cols.values())].isna().all(axis=1)
    for idx in raw.index[fill]:
        year = raw.at[idx, "year"]
        src = raw[(raw["province_code"] == SICHUAN) & (raw["year"] == year)]
        if src.empty:
            raise DataError(f"{RAW_FILES[key]}: Chongqing {year} is empty and no Sichuan row")
        for col in cols.values():
            raw.at[idx, col] = float(src[col].iloc[0])
        raw.at[idx, "note"] = (
            f"no {year} value in the source (Chongqing was part of Sichuan until 1997); "
            f"filled with Sichuan's {year} values"
        )
    missing = raw[list(cols.values())].isna().any(axis=1)
    if missing.any():
        bad = raw[missing].iloc[0]
        raise DataError(
            f"{RAW_FILES[key]}: missing e0 for province_code {bad['province_code']}, "
            f"year {bad['year']}"
        )
    out = [
        pd.DataFrame(
            {
                "census_year": raw["year"].astype(int),
                "region": [region_name(c, key) for c in raw["province_code"]],
                "sex": sex,
                "e0": raw[col].astype(float),
                "note": raw["note"],
                "_code": raw["province_code"],
            }
        )
        for sex, col in cols.items()
    ]
    table = pd.concat(out, ignore_index=True)
    table["_sex"] = table["sex"].map({"female": 0, "male": 1, "both": 2})
    table = table.sort_values(["census_year", "_code", "_sex"]).drop(columns=["_code", "_sex"])
    return table.reset_index(drop=True)
