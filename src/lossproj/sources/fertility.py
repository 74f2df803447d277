"""Readers of fertility tables: WPP national ASFR by variant, census provincial ASFR, TFR, SRB.

:data:`NOTES` holds the provenance paragraph of each table for ``data/README.md``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lossproj.errors import DataError
from lossproj.rates.fertility import FIRST_AGE, LAST_AGE
from lossproj.rates.graduation import graduate_rates_5y
from lossproj.sources.raw import (
    NBS_SOURCE,
    RAW_FILES,
    WPP_SOURCE,
    china_rows,
    read_raw,
    region_name,
)

#: First projection year of WPP 2024 (the low and high variants exist from here on).
WPP_FIRST_PROJECTION_YEAR = 2024
#: WPP fertility variants, in the order written.
VARIANTS = ("medium", "low", "high")

NOTES: dict[str, str] = {
    "fertility_national.csv": (
        f"National age-specific fertility rates asfr [births per woman per year] by single age "
        f"of mother 15..49, years 1950..2100, variants medium/low/high. Source: {WPP_SOURCE}: annual "
        "percentage age distribution of fertility (pasfr, groups 10-14 ... 50-54, from "
        "data-raw/percentASFR5.txt) and annual TFR (medium = median; low/high = WPP -/+ 1/2 "
        "child variants, 2024-2100). Transformation: group rates asfr_g = TFR_v x pasfr_g / "
        "Σ pasfr / 5 (WPP's low/high variants use the medium age pattern); graduated to single "
        "ages 10..54 by a PCHIP spline of cumulative fertility (`lossproj.rates.graduation."
        "graduate_rates_5y`, keeps each group's births exactly); births at ages 10-14 are added "
        "to age 15 and births at 50-54 to age 49 (folding), so Σ single-age asfr = WPP annual "
        "TFR exactly (before rounding to 8 significant digits). Before 2024 the low and high "
        "rows repeat the medium values (estimates have no variants)."
    ),
    "fertility_province_2020.csv": (
        f"Census age-specific fertility rates [births per woman per year] by single age 15..49, "
        f"31 provinces and `China`, births 1 Nov 2019 - 31 Oct 2020 (long-form sample). "
        f"Source: {NBS_SOURCE}, China Population Census Yearbook 2020 table 6-4 各地区育龄妇女年龄别生育率, "
        "transcribed in GitHub HLGhpz/Data-Handle-TS (MIT). Transformation: per 1000 women -> "
        "per woman; 5-year groups 15-19 ... 45-49 graduated to single ages by a PCHIP spline of "
        "cumulative fertility (`graduate_rates_5y`), keeping each group's sum x 5, so the TFR "
        "equals the census 5 x Σ ASFR (= printed TFR to rounding)."
    ),
    "sex_ratio_at_birth.csv": (
        f"Sex ratio at birth srb [male births per female birth], annual 1950..2100 (estimates to "
        f"2023, medium projection after). Source: {WPP_SOURCE} (data/sexRatio1dt.rda). No "
        "transformation."
    ),
    "wpp_tfr_annual.csv": (
        f"Total fertility rate [children per woman], annual 1950..2100, variants medium (median), "
        f"low and high (-/+ 1/2 child). Source: {WPP_SOURCE} (tfr1dt, tfrproj1dt). Reshaped to long; "
        "before 2024 the low and high rows repeat the medium (estimate) value."
    ),
}


def _wpp_fertility(raw_dir: Path) -> tuple[np.ndarray, int, np.ndarray, dict[str, np.ndarray]]:
    """WPP's age pattern and TFR by variant on the years of the pattern table.

    Returns
    -------
    years : ndarray of int
        Calendar years of the ``pasfr`` table.
    first_age : int
        First age of the 5-year groups [years].
    share : ndarray
        Share of the year's births in each 5-year group, shape (year, group) [fraction].
    tfr : dict of str to ndarray
        TFR by variant [children per woman]; before 2024 the low and high variants repeat
        the medium one.
    """
    pasfr = china_rows(read_raw(raw_dir, "pasfr"), "pasfr").copy()
    tfr = china_rows(read_raw(raw_dir, "tfr"), "tfr").sort_values("year").set_index("year")
    pasfr["age_start"] = pasfr["age_start"].astype(int)
    wide = pasfr.pivot(index="year", columns="age_start", values="pasfr").sort_index()
    starts = np.array(wide.columns, dtype=int)
    if np.any(np.diff(starts) != 5) or wide.isna().to_numpy().any():
        raise DataError(f"{RAW_FILES['pasfr']}: expected complete 5-year groups for every year")
    years = wide.index.to_numpy(int)
    missing = sorted(set(years) - set(tfr.index))
    if missing:
        raise DataError(f"{RAW_FILES['tfr']}: no TFR for years {missing[:5]}")
    share = wide.to_numpy(float) / wide.to_numpy(float).sum(axis=1, keepdims=True)
    medium = tfr.loc[years, "tfr_medium"].to_numpy(float)
    levels = {}
    for variant in VARIANTS:
        level = tfr.loc[years, f"tfr_{variant}"].to_numpy(float)
        level = np.where(np.isnan(level) & (years < WPP_FIRST_PROJECTION_YEAR), medium, level)
        if np.isnan(level).any():
            raise DataError(f"{RAW_FILES['tfr']}: tfr_{variant} missing in projection years")
        levels[variant] = level
    return years, int(starts[0]), share, levels


def fertility_national(raw_dir: Path) -> pd.DataFrame:
    """National single-age ASFR by WPP variant, summing to WPP's annual TFR.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["pasfr"]`` (percentage age distribution of
        fertility by 5-year group) and ``RAW_FILES["tfr"]`` (TFR by variant).

    Returns
    -------
    pandas.DataFrame
        Columns ``variant, year, age, asfr`` [births per woman per year], ages 15..49.

    Notes
    -----
    Group rates ``asfr_g = TFR_v × pasfr_g / Σ pasfr / 5`` graduated by
    :func:`lossproj.rates.graduation.graduate_rates_5y`, births below 15 and above 49
    folded into ages 15 and 49.
    """
    years, first_age, share, levels = _wpp_fertility(raw_dir)
    n_age = LAST_AGE - FIRST_AGE + 1
    tables = []
    for variant, level in levels.items():
        groups = level[:, None] * share / 5.0
        single = graduate_rates_5y(groups, first_age=first_age, keep=(FIRST_AGE, LAST_AGE))
        tables.append(
            pd.DataFrame(
                {
                    "variant": variant,
                    "year": np.repeat(years, n_age),
                    "age": np.tile(np.arange(FIRST_AGE, LAST_AGE + 1), years.size),
                    "asfr": single.reshape(-1),
                }
            )
        )
    return pd.concat(tables, ignore_index=True)


def wpp_tfr_annual(raw_dir: Path) -> pd.DataFrame:
    """WPP 2024 annual TFR of China by variant on the years of the age-pattern table.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["pasfr"]`` (for the years) and
        ``RAW_FILES["tfr"]``.

    Returns
    -------
    pandas.DataFrame
        Columns ``variant, year, tfr`` [children per woman]; before 2024 the low and high
        rows repeat the medium value.
    """
    years, _, _, levels = _wpp_fertility(raw_dir)
    return pd.concat(
        [pd.DataFrame({"variant": variant, "year": years, "tfr": level})
         for variant, level in levels.items()],
        ignore_index=True,
    )


def fertility_province_2020(raw_dir: Path) -> pd.DataFrame:
    """2020 census ASFR by province, graduated from 5-year groups to single ages.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["asfr_province"]`` (births per 1000 women
        per year by 5-year group 15-19 ... 45-49).

    Returns
    -------
    pandas.DataFrame
        Columns ``region, age, asfr`` [births per woman per year], ages 15..49, regions in
        province-code order.

    Raises
    ------
    DataError
        If a group column is missing.
    """
    key = "asfr_province"
    raw = read_raw(raw_dir, key).sort_values("province_code")
    cols = [f"asfr_{a}_{a + 4}" for a in range(FIRST_AGE, LAST_AGE + 1, 5)]
    missing = [c for c in cols if c not in raw.columns]
    if missing:
        raise DataError(f"{RAW_FILES[key]}: missing columns {missing}")
    groups = raw[cols].to_numpy(float) / 1000.0
    single = graduate_rates_5y(groups, first_age=FIRST_AGE)
    n_age = LAST_AGE - FIRST_AGE + 1
    names = [region_name(c, key) for c in raw["province_code"]]
    return pd.DataFrame(
        {
            "region": np.repeat(names, n_age),
            "age": np.tile(np.arange(FIRST_AGE, LAST_AGE + 1), len(names)),
            "asfr": single.reshape(-1),
        }
    )


def sex_ratio_at_birth(raw_dir: Path) -> pd.DataFrame:
    """WPP 2024 sex ratio at birth of China by year.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["srb"]``.

    Returns
    -------
    pandas.DataFrame
        Columns ``year, srb`` [male births per female birth].
    """
    srb = china_rows(read_raw(raw_dir, "srb"), "srb").sort_values("year")
    return srb[["year", "srb"]].reset_index(drop=True)
