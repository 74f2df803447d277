"""Readers of the parity targets: births by order, cohort parity, children ever born, only children.

These tables are what the parity calibration fits (``lossproj.calibration``) and what
``lossproj validate`` compares with. :data:`NOTES` holds the provenance paragraph of each
table for ``data/README.md``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from lossproj import regions
from lossproj.errors import DataError
from lossproj.sources.raw import CENSUS_PUBLISHER, read_raw, region_name

SOURCE_DUAN_CHEN = (
    "Duan Y. & Chen W. (2022), Fertility by parity in China in the context of changing "
    "fertility policy, Int. J. Population Studies 8(1):88-106, doi:10.36922/ijps.v8i1.348"
)

#: Largest |recomputed − printed| share of only children [percentage points] (print rounding).
ONLY_CHILDREN_PRINT_TOLERANCE = 0.0101
#: Largest |births / women − printed rate / 1000| [births per woman] (print rounding of the
#: rate per 1000 to two decimals).
ORDER_RATE_PRINT_TOLERANCE = 0.5e-5 + 1e-12

NOTES: dict[str, str] = {
    "parity_order_rates_2010.csv": (
        f"**Publisher:** {CENSUS_PUBLISHER}; *Tabulation on the 2010 Population Census*, table 全国育龄妇女分年龄、"
        "孩次的生育状况 (long-form ≈10 % sample). **Carrier:** GitHub Yiguan/CN_pop_simu @ 7b2c017 "
        "(`birth.csv`; no license file) → raw `cn_census2010_asfr_by_order_single_age.csv`. "
        "**Reference period:** 2009-11-01..2010-10-31. **Units:** `women` average number of women "
        "(sample), `births` sample births, `asfr` births per woman per year. **Transformations:** "
        "reshaped to one row per age (15..49) × order (`1`, `2`, `3+`); `asfr` recomputed as "
        "births / average women (the raw per-1000 rates divided by 1000 agree to print rounding, "
        "checked); order births checked to add to all-order births."
    ),
    "births_by_order.csv": (
        f"**Publisher:** {CENSUS_PUBLISHER}; 2010 tabulation and China Population Census Yearbook 2020, "
        "tables 6-1, 6-1a/b/c (births in the 12 months before the census by province, residence, "
        "order and sex; long-form sample). **Carrier:** GitHub earfanfan/yuanfan @ 8790356 "
        "(workbook `我国人口普查数据整理2010+2020.xlsx`; no license file) → raw "
        "`cn_census_births_province_order_sex_2010_2020.csv`. **Reference periods:** "
        "2009-11-01..2010-10-31 and 2019-11-01..2020-10-31. **Units:** `births` sample births of "
        "both sexes; `share` fraction of all-order births of the same census year, region and "
        "residence (`total`, `city`, `town`, `rural`). **Transformations:** regions from GB/T 2260 "
        "codes to English names (national row = `China`); order `3+` = orders 3 + 4 + 5+; empty "
        "raw cells (15 cells, all orders 4 or 5+ in small city/town groups of 2010) read as 0 "
        "after checking that in every group the orders add up exactly to the printed total."
    ),
    "parity_cohort.csv": (
        "**Publisher:** Duan Yuanyuan & Chen Wei (2022), *International Journal of Population "
        "Studies* 8(1):88-106, doi:10.36922/ijps.v8i1.348, Table 1 (CC BY-NC 4.0), reconstructed by "
        "the authors from the 1982/1988/1992/2017 fertility surveys and censuses. **Carrier:** "
        "hand transcription of the journal's HTML pages → raw "
        "`cn_parity_cohort_ccfr_duan_chen2022.csv`. **Units:** children per woman (`ccfr*`), "
        "fractions of women (`share_*`). **Transformations:** only cohorts with printed values "
        "(1926-1940, 1949-1950, 1958-1970; 1941-48 were not retrieved, 1951-57 are '-' in the "
        "source); 1969 has only CCFR and CCFR1, 1970 only CCFR (from the article text), other "
        "cells empty. `share_childless = 1 − ccfr1`, `share_one = ccfr1 − ccfr2`, "
        "`share_two_plus = ccfr2` (two-decimal source rounding ⇒ ±0.01). National only."
    ),
    "mean_ceb_2020.csv": (
        f"**Publisher:** {CENSUS_PUBLISHER}; China Population Census Yearbook 2020, table 各地区15-64岁妇女"
        "平均活产子女数和平均存活子女数 (long form). **Carrier:** GitHub HLGhpz/Data-Handle-TS @ 54e950e "
        "(README: MIT) → raw `cn_census2020_mean_ceb_province.csv`. **Reference date:** "
        "2020-11-01. **Units:** children per woman aged 15-64. **Transformations:** province codes "
        "→ English names; columns renamed."
    ),
    "only_children_2005.csv": (
        "**Publisher:** NBS, *China Statistical Yearbook 2006*, table 4-16 各地区0-30岁独生子女数 "
        "(2005 1 % population sample survey, sampling fraction 1.325 %). **Carrier:** hand "
        "transcription of stats.gov.cn (D0416C.HTM) → raw "
        "`cn_parity_only_children_0_30_province_2005.csv`. **Reference date:** 2005-11-01. "
        "**Units:** fraction of persons aged 0-30 who are only children. **Transformations:** "
        "share recomputed from the sample counts (only children / persons, by sex and both "
        "sexes; agrees with every printed percentage to ±0.01 points, checked); only `China` and "
        "the first 20 provinces in table order (Beijing … Guangdong) are available — the other 11 "
        "provinces were not transcribed."
    ),
}


def parity_order_rates_2010(raw_dir: Path) -> pd.DataFrame:
    """Order-specific fertility rates by single age, 2010 census (national).

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["asfr_order_2010"]`` (sample births by order
        and average women by single age 15..49, with the printed rates per 1000).

    Returns
    -------
    pandas.DataFrame
        Columns ``age, order, women, births, asfr``: ``women`` average women [persons,
        sample], ``births`` [births, sample], ``asfr = births / women`` [births per woman per
        year]; orders ``1``, ``2``, ``3+``.

    Raises
    ------
    DataError
        If a recomputed rate disagrees with the printed one beyond print rounding
        (:data:`ORDER_RATE_PRINT_TOLERANCE`), or the orders do not add up to all births.
    """
    raw = read_raw(raw_dir, "asfr_order_2010")
    parts = []
    for order, key in (("1", "order1"), ("2", "order2"), ("3+", "order3plus")):
        births = raw[f"births_{key}"].astype(float)
        asfr = births / raw["avg_women"].astype(float)
        printed = raw[f"asfr_{key}_per1000"].astype(float) / 1000.0
        off = np.abs(asfr - printed) > ORDER_RATE_PRINT_TOLERANCE
        if off.any():
            bad = raw.loc[off, "age"].tolist()
            raise DataError(
                f"order {order}: births/women disagrees with the printed rate at ages {bad}"
            )
        parts.append(
            pd.DataFrame(
                {
                    "age": raw["age"].astype(int),
                    "order": order,
                    "women": raw["avg_women"].astype(float),
                    "births": births,
                    "asfr": asfr,
                }
            )
        )
    total = raw[["births_order1", "births_order2", "births_order3plus"]].sum(axis=1)
    if (total != raw["births_all"]).any():
        raise DataError("births by order do not add up to all births in the 2010 order table")
    out = pd.concat(parts, ignore_index=True)
    out["_o"] = out["order"].map({"1": 0, "2": 1, "3+": 2})
    return out.sort_values(["age", "_o"]).drop(columns="_o").reset_index(drop=True)


def births_by_order(raw_dir: Path) -> pd.DataFrame:
    """Census births by order 1, 2, 3+ and their share of all births, 2010 and 2020.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["births_order"]`` (sample births by
        province, census year, residence and order 1, 2, 3, 4, 5+ and all).

    Returns
    -------
    pandas.DataFrame
        Columns ``census_year, region, residence, order, births, share``: ``births`` [births,
        sample, both sexes], ``share`` of all-order births of the group [fraction].

    Raises
    ------
    DataError
        If an all-order total is missing or the orders do not add up to it. Empty cells are
        read as zero sample births only after that check.
    """
    raw = read_raw(raw_dir, "births_order", dtype={"birth_order": str})
    keys = ["province_code", "census_year", "residence"]
    wide = raw.pivot_table(
        index=keys, columns="birth_order", values="births_both", aggfunc="sum", dropna=False
    )
    detail = ["1", "2", "3", "4", "5+"]
    missing_all = wide["all"].isna()
    if missing_all.any():
        raise DataError(f"all-order total missing for {wide.index[missing_all].tolist()}")
    diff = wide[detail].sum(axis=1, min_count=1) - wide["all"]
    if (diff.abs() > 0).any():
        raise DataError(
            f"births by order do not add up to the total for {wide.index[diff != 0].tolist()}"
        )
    wide = wide.fillna(0.0)  # checked above: an empty cell is a zero sample count
    wide["3+"] = wide["3"] + wide["4"] + wide["5+"]
    long = (
        wide[["1", "2", "3+", "all"]]
        .reset_index()
        .melt(id_vars=[*keys, "all"], value_vars=["1", "2", "3+"], var_name="order",
              value_name="births")
    )
    long["share"] = long["births"] / long["all"]
    long["region"] = long["province_code"].map(lambda code: region_name(code, "births_order"))
    rank = {
        "region": {name: i for i, name in enumerate((*regions.PROVINCE_NAMES, regions.NATIONAL))},
        "residence": {"total": 0, "city": 1, "town": 2, "rural": 3},
        "order": {"1": 0, "2": 1, "3+": 2},
    }
    long = long.sort_values(
        ["census_year", "region", "residence", "order"],
        key=lambda s: s.map(rank[s.name]) if s.name in rank else s,
    )
    out = long[["census_year", "region", "residence", "order", "births", "share"]]
    out = out.reset_index(drop=True)
    out["census_year"] = out["census_year"].astype(int)
    return out


def parity_cohort(raw_dir: Path) -> pd.DataFrame:
    """Cohort cumulative fertility by order (Duan & Chen 2022), cohorts with printed values.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["parity_cohort"]``.

    Returns
    -------
    pandas.DataFrame
        Columns ``cohort, ccfr, ccfr1, ccfr2, ccfr3plus`` [children per woman] and
        ``share_childless = 1 − ccfr1``, ``share_one = ccfr1 − ccfr2``,
        ``share_two_plus = ccfr2`` [fraction of women]. Partially printed cohorts (1969,
        1970) keep empty cells.
    """
    raw = read_raw(raw_dir, "parity_cohort")
    raw = raw[raw["ccfr"].notna()].copy()
    out = pd.DataFrame(
        {
            "cohort": raw["birth_cohort"].astype(int),
            "ccfr": raw["ccfr"],
            "ccfr1": raw["ccfr1"],
            "ccfr2": raw["ccfr2"],
            "ccfr3plus": raw["ccfr3plus"],
        }
    )
    out["share_childless"] = (1.0 - out["ccfr1"]).round(10)
    out["share_one"] = (out["ccfr1"] - out["ccfr2"]).round(10)
    out["share_two_plus"] = out["ccfr2"]
    return out.reset_index(drop=True)


def mean_ceb_2020(raw_dir: Path) -> pd.DataFrame:
    """Mean children ever born and surviving of women 15-64 by province, 2020 census.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["mean_ceb_2020"]``.

    Returns
    -------
    pandas.DataFrame
        Columns ``region, mean_children_ever_born, mean_children_surviving`` [children per
        woman aged 15-64].
    """
    raw = read_raw(raw_dir, "mean_ceb_2020")
    return pd.DataFrame(
        {
            "region": raw["province_code"].map(lambda code: region_name(code, "mean_ceb_2020")),
            "mean_children_ever_born": raw["mean_children_ever_born"].astype(float),
            "mean_children_surviving": raw["mean_children_surviving"].astype(float),
        }
    )


def only_children_2005(raw_dir: Path) -> pd.DataFrame:
    """Share of persons aged 0-30 who are only children, 2005 1 % survey, by region and sex.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["only_children_2005"]`` (sample counts and
        printed percentages).

    Returns
    -------
    pandas.DataFrame
        Columns ``region, sex, share_only_children`` [fraction of persons aged 0-30]; sexes
        female, male, both.

    Raises
    ------
    DataError
        If a share recomputed from the counts differs from a printed percentage by more than
        :data:`ONLY_CHILDREN_PRINT_TOLERANCE` (Guangdong's are not printed).
    """
    key = "only_children_2005"
    raw = read_raw(raw_dir, key)
    rows = []
    for _, r in raw.iterrows():
        region = region_name(r["province_code"], key)
        for sex, suffix in (("female", "female"), ("male", "male"), ("both", "total")):
            share = r[f"only_children_0_30_{suffix}"] / r[f"pop_0_30_{suffix}"]
            printed = r[f"pct_only_{suffix}"]
            if not math.isnan(printed) and abs(100 * share - printed) > ONLY_CHILDREN_PRINT_TOLERANCE:
                raise DataError(f"{region} {sex}: recomputed share {share} != printed {printed} %")
            rows.append({"region": region, "sex": sex, "share_only_children": share})
    return pd.DataFrame(rows)
