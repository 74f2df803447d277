"""Care dependence: share of older people unable to care for themselves, nationally by sex and
age group and by province.

:data:`NOTES` holds the provenance paragraph of each table for ``data/README.md``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from lossproj.errors import DataError
from lossproj.sources.raw import read_raw, region_name

logger = logging.getLogger(__name__)

SOURCE_CLHLS = (
    "China CDC Weekly 2023;5(27):593-598, doi:10.46234/ccdcw2023.114, Table 2 "
    "(ADL moderate+severe, 2018 wave)"
)
SOURCE_CENSUS_HEALTH_2020 = (
    "NBS, China Population Census Yearbook 2020, long-form table 8-1 (60+ unable to care "
    "for oneself, both sexes) via HLGhpz/Data-Handle-TS"
)
SOURCE_SH_TOWN_2010 = (
    "Shanghai Municipal Statistics Bureau, 2010 census tabulation, table 8-2b (town, by age)"
)

NOTES: dict[str, str] = {
    "care_prevalence.csv": (
        "**Publishers:** NBS China Population Census Yearbook 2020 long-form table 8-1 (via "
        "GitHub HLGhpz/Data-Handle-TS, MIT); *China CDC Weekly* 2023;5(27):593-598, "
        "doi:10.46234/ccdcw2023.114, Table 2 (ADL impairment, survey waves 2011/2014/2018, "
        "CLHLS wave years); Shanghai Municipal Statistics Bureau 2010 census tabulation table "
        "8-2b (town). **Carrier:** raw `cn_care_selfcare_prevalence.csv` (hand transcription, "
        "record ids P20_00, CL2018_*, SH10_town_*) and, for age weights, raw "
        "`cn_census_pop_province_age5_sex_2010_2020.csv`. **Units:** `prevalence` fraction of "
        "persons in the sex × age group unable to care for themselves (census item 不健康且生活"
        "不能自理); `year` 2020 (reference date 2020-11-01). **Construction (there is no national "
        "table by age and sex):** (1) age pattern for 65-74, 75-84, 85+ (open, `age_end` 100 "
        "= 100+) from CLHLS 2018 ADL moderate + severe impairment, both sexes; (2) 60-64 = "
        "65-74 × the ratio of 60-64 to 65-74 prevalence in Shanghai town 2010 (census item); "
        "(3) female/male factor = CLHLS 2018 65+ moderate+severe female/male ratio, "
        "age-standardised with the 2020 census age weights; (4) one scale factor so that the "
        "2020 census population-weighted 60+ prevalence equals the census national 60+ share "
        "(598,118 / 25,523,101 = 2.343 %). **Caveats:** the survey's ADL measure is broader than "
        "the census item (its 65+ level is ≈3× the census level), so only its age and sex "
        "*pattern* is used; the 60-64 ratio comes from one small local subpopulation (11,210 "
        "respondents); the CLHLS sample's age composition is not known, the standardisation "
        "assumes the census one; no trend (a trend is a scenario assumption)."
    ),
    "care_prevalence_province.csv": (
        "**Publisher:** NBS / Population Census Office, China Population Census Yearbook 2020, "
        "long-form table 8-1 各地区分性别、健康状况的60岁及以上老年人口 (via GitHub "
        "HLGhpz/Data-Handle-TS, MIT). **Carrier:** raw `cn_care_selfcare_prevalence.csv`, rows "
        "P20_11..P20_65. **Units:** `prevalence_60plus` fraction of persons aged 60+ (both "
        "sexes) unable to care for themselves (不健康且生活不能自理); `respondents_60plus` "
        "long-form sample persons (unweighted); `year` 2020 (reference date 2020-11-01). "
        "**Transformation:** share = unable ÷ respondents. **Use:** the census gives no age or "
        "sex split by province; `lossproj` multiplies the national age-sex pattern of "
        "`care_prevalence.csv` by one factor per province so that, with the province's own 2020 "
        "census population 60+ by age and sex, its 60+ prevalence equals this share "
        "(`care.prevalence = \"data\"`; `\"national\"` uses the national pattern everywhere). "
        "**Caveats:** the transcription has both sexes only; no severity levels (the census item "
        "has none)."
    ),
}


def _record_value(raw: pd.DataFrame, record_id: str) -> float:
    """The ``value`` of one record of the care table; DataError if missing or empty."""
    row = raw.loc[raw["record_id"] == record_id]
    if len(row) != 1 or pd.isna(row["value"].iloc[0]):
        raise DataError(f"care table: record {record_id!r} missing or empty")
    return float(row["value"].iloc[0])


#: Age groups of ``care_prevalence.csv`` (first age, last age; 100 = 100+).
CARE_AGE_GROUPS = ((60, 64), (65, 74), (75, 84), (85, 100))


def care_prevalence(raw_dir: Path) -> tuple[pd.DataFrame, dict]:
    """Share unable to care for oneself by sex and age group 60+, calibrated to census 2020.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["care"]`` (hand-transcribed records of the
        census, CLHLS and Shanghai tabulations) and ``RAW_FILES["pop5"]`` (2020 census
        population by 5-year group, the age weights [persons]).

    Returns
    -------
    table : pandas.DataFrame
        Columns ``sex, age_start, age_end, prevalence, year, source``: ``prevalence``
        [fraction of persons unable to care for themselves] by sex and age group of
        :data:`CARE_AGE_GROUPS` (``age_end`` 100 = 100+), ``year`` 2020.
    info : dict
        The intermediate numbers of the construction (percentages, ratios, scale factor).

    Notes
    -----
    No national table by age and sex exists in raw/ (rows ``GAP20*``). Construction:

    1. age pattern ``r(g)`` for 65-74, 75-84, 85+: CLHLS 2018 ADL moderate + severe,
       both sexes (China CDC Weekly 2023, Table 2);
    2. ``r(60-64) = r(65-74) × ρ`` with ρ the ratio of 60-64 to 65-74 prevalence in the
       Shanghai-town 2010 census tabulation (the only age split of the census item);
    3. sex factor: the CLHLS 2018 65+ moderate+severe female/male ratio, divided by the
       ratio of the sexes' age-weighted ``r`` (2020 census weights), i.e. age-standardised;
    4. level: one factor ``k`` so that the 2020 census population-weighted prevalence over
       60+ (both sexes) equals the census national 60+ share (2.343 %).
    """
    raw = read_raw(raw_dir, "care")
    ms = {
        g: _record_value(raw, f"CL2018_moderate_{g}") + _record_value(raw, f"CL2018_severe_{g}")
        for g in ("65-74", "75-84", "85+", "male", "female")
    }
    sh = raw[raw["record_id"].isin(["SH10_town_60-64_both", "SH10_town_65-69_both", "SH10_town_70-74_both"])]
    if len(sh) != 3:
        raise DataError("care table: Shanghai town 2010 age rows 60-64, 65-69, 70-74 not found")
    sh = sh.set_index("record_id")
    p6064 = sh.loc["SH10_town_60-64_both", "n_unable_selfcare"] / sh.loc["SH10_town_60-64_both", "n_persons_sample"]
    p6574 = (
        sh.loc[["SH10_town_65-69_both", "SH10_town_70-74_both"], "n_unable_selfcare"].sum()
        / sh.loc[["SH10_town_65-69_both", "SH10_town_70-74_both"], "n_persons_sample"].sum()
    )
    rho = float(p6064 / p6574)
    census = raw.loc[raw["record_id"] == "P20_00"].iloc[0]
    level = float(census["n_unable_selfcare"] / census["n_persons_sample"])

    pop = read_raw(raw_dir, "pop5")
    pop = pop[(pop["province_code"] == 0) & (pop["census_year"] == 2020) & (pop["age_start"] >= 60)]
    weights = {}
    for sex in ("female", "male"):
        weights[sex] = np.array(
            [pop.loc[(pop["age_start"] >= a) & (pop["age_start"] <= b), sex].sum() for a, b in CARE_AGE_GROUPS],
            dtype=float,
        )
    r = np.array([ms["65-74"] * rho, ms["65-74"], ms["75-84"], ms["85+"]]) / 100.0
    w65 = {s: weights[s][1:] / weights[s][1:].sum() for s in weights}
    std_ratio = (ms["female"] / ms["male"]) / (float(r[1:] @ w65["female"]) / float(r[1:] @ w65["male"]))
    sex_factor = {"female": std_ratio, "male": 1.0}
    implied = sum(float((r * sex_factor[s]) @ weights[s]) for s in weights) / sum(w.sum() for w in weights.values())
    k = level / implied
    rows = []
    for sex in ("female", "male"):
        for (a, b), rg in zip(CARE_AGE_GROUPS, r, strict=True):
            src = SOURCE_CLHLS if a >= 65 else f"{SOURCE_SH_TOWN_2010} ratio x {SOURCE_CLHLS}"
            rows.append(
                {
                    "sex": sex,
                    "age_start": a,
                    "age_end": b,
                    "prevalence": k * sex_factor[sex] * rg,
                    "year": 2020,
                    "source": f"age pattern: {src}; level: {SOURCE_CENSUS_HEALTH_2020}",
                }
            )
    out = pd.DataFrame(rows)
    crude = {
        s: float(out.loc[out["sex"] == s, "prevalence"].to_numpy() @ weights[s] / weights[s].sum()) for s in weights
    }
    info = {
        "clhls_2018_moderate_plus_severe_pct": ms,
        "shanghai_town_ratio_60_64_to_65_74": rho,
        "census_2020_level_60plus": level,
        "sex_ratio_female_to_male_standardised": std_ratio,
        "scale_k": k,
        "implied_crude_60plus": crude,
    }
    return out, info


def care_prevalence_table(raw_dir: Path) -> pd.DataFrame:
    """The table of :func:`care_prevalence`, its construction numbers logged."""
    table, info = care_prevalence(raw_dir)
    logger.info("care_prevalence construction: %s", info)
    return table


def care_prevalence_province(raw_dir: Path) -> pd.DataFrame:
    """Each province's 2020 census share of persons 60+ unable to care for themselves.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads rows ``P20_11`` .. ``P20_65`` of ``RAW_FILES["care"]``:
        long-form (10 % sample) counts of the census item 不健康且生活不能自理 and all
        respondents 60+, both sexes.

    Returns
    -------
    pandas.DataFrame
        Columns ``region, region_code, prevalence_60plus, respondents_60plus, year, source``:
        ``prevalence_60plus`` [fraction of persons 60+ unable to care for themselves],
        ``respondents_60plus`` [persons, sample], sorted by GB/T 2260 code.

    Raises
    ------
    DataError
        If the table has no provincial row (completeness is checked by :mod:`lossproj.data`
        on the written table).

    Notes
    -----
    The census gives no age or sex split by province; ``lossproj`` scales the national
    age-sex pattern of ``care_prevalence.csv`` to each province's level with the province's
    own population.
    """
    raw = read_raw(raw_dir, "care")
    rows = raw[raw["record_id"].str.match(r"^P20_\d\d$") & (raw["record_id"] != "P20_00")]
    out = []
    for rec in rows.itertuples(index=False):
        code = int(rec.geo_code)
        out.append({
            "region": region_name(code, "care"),
            "region_code": code,
            "prevalence_60plus": float(rec.n_unable_selfcare) / float(rec.n_persons_sample),
            "respondents_60plus": int(rec.n_persons_sample),
            "year": 2020,
            "source": SOURCE_CENSUS_HEALTH_2020,
        })
    if not out:
        raise DataError("care table: no provincial rows P20_11..P20_65")
    # completeness (all 31 provinces) is checked by lossproj.data on the written table
    return pd.DataFrame(out).sort_values("region_code").reset_index(drop=True)
