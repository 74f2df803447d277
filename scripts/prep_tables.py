"""Build the parity-target, policy, care, allowance and Sweden tables of ``data/`` from raw sources.

Run through ``scripts/prepare_data.py``; the entry point here is :func:`write_other_tables`.
Every function reads raw CSV files from ``raw_dir`` (``shared/data/raw`` and its
``PROVENANCE.md``), transforms them as documented in :data:`TABLE_NOTES` (which becomes
``data/README.md``), and raises ``ValueError`` rather than silently fixing an inconsistency.
The few assumptions that have no source table (spouse age gap, dates of policy switches) are
named module constants below, each labelled as an assumption in the table itself and in the
README.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import pandas as pd

from lossproj import regions

logger = logging.getLogger("prep_tables")

# ----------------------------------------------------------------------------------------
# Assumptions (no raw source table). Each one is written into its table and the README.
# ----------------------------------------------------------------------------------------

#: Spouse age gap (husband's age - wife's age) [years]: discretised normal distribution,
#: ASSUMPTION (no source table in raw/); mean and standard deviation before truncation.
SPOUSE_GAP_MEAN = 2.0
SPOUSE_GAP_SD = 3.0
#: Support of the discretised gap distribution [years], inclusive.
SPOUSE_GAP_RANGE = (-5, 15)

#: First year of the model's rate grid (docs/model.md, ``Y0``); the pre-1971 era starts here.
FIRST_GRID_YEAR = 1890
#: Last year any packaged table covers; used as the open end of "still in force" periods.
LAST_GRID_YEAR = 2100

#: Year from which the single national 450 RMB standard is assumed to replace the 2014
#: urban/rural split. ASSUMPTION: the switch date was not found (raw
#: ``cn_special_assistance_standards.csv`` row ``S_pre2022_*``: ``start_date_not_found``);
#: the split is kept to the end of 2021, the latest date it could have been in force
#: without contradicting the 2022 notice, and 450 applies to the first half of 2022.
ALLOWANCE_SINGLE_STANDARD_FROM = 2022

SOURCE_DUAN_CHEN = (
    "Duan Y. & Chen W. (2022), Fertility by parity in China in the context of changing "
    "fertility policy, Int. J. Population Studies 8(1):88-106, doi:10.36922/ijps.v8i1.348"
)
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


def _read(raw_dir: Path, name: str, **kwargs) -> pd.DataFrame:
    path = Path(raw_dir) / name
    if not path.is_file():
        raise FileNotFoundError(f"raw table {path} not found (see shared/data/raw/PROVENANCE.md)")
    return pd.read_csv(path, **kwargs)


def _region_name(code: int) -> str:
    try:
        return regions.NAME_BY_CODE[int(code)]
    except KeyError:
        raise ValueError(f"unknown GB/T 2260 province code {code!r} in a raw table") from None


def _write(df: pd.DataFrame, out_dir: Path, name: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / name
    df.to_csv(path, index=False, lineterminator="\n", float_format="%.10g")
    return path


# ----------------------------------------------------------------------------------------
# Parity targets
# ----------------------------------------------------------------------------------------


def parity_order_rates_2010(raw_dir: Path) -> pd.DataFrame:
    """Order-specific fertility rates by single age, 2010 census (national).

    Returns columns ``age, order, women, births, asfr`` with ``asfr = births / women``
    [births per woman per year], checked against the printed rate per 1000.
    """
    raw = _read(raw_dir, "cn_census2010_asfr_by_order_single_age.csv")
    parts = []
    for order, key in (("1", "order1"), ("2", "order2"), ("3+", "order3plus")):
        births = raw[f"births_{key}"].astype(float)
        asfr = births / raw["avg_women"].astype(float)
        printed = raw[f"asfr_{key}_per1000"].astype(float) / 1000.0
        off = np.abs(asfr - printed) > 0.5e-5 + 1e-12
        if off.any():
            bad = raw.loc[off, "age"].tolist()
            raise ValueError(f"order {order}: births/women disagrees with the printed rate at ages {bad}")
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
        raise ValueError("births by order do not add up to all births in the 2010 order table")
    out = pd.concat(parts, ignore_index=True)
    out["_o"] = out["order"].map({"1": 0, "2": 1, "3+": 2})
    return out.sort_values(["age", "_o"]).drop(columns="_o").reset_index(drop=True)


def births_by_order(raw_dir: Path) -> pd.DataFrame:
    """Census births by order 1, 2, 3+ and their share of all births, 2010 and 2020.

    Empty cells in the raw table are read as zero sample births, but only after checking that
    the available orders add up exactly to the printed all-order total in that group.
    """
    raw = _read(raw_dir, "cn_census_births_province_order_sex_2010_2020.csv", dtype={"birth_order": str})
    keys = ["province_code", "census_year", "residence"]
    wide = raw.pivot_table(
        index=keys, columns="birth_order", values="births_both", aggfunc="sum", dropna=False
    )
    detail = ["1", "2", "3", "4", "5+"]
    missing_all = wide["all"].isna()
    if missing_all.any():
        raise ValueError(f"all-order total missing for {wide.index[missing_all].tolist()}")
    diff = wide[detail].sum(axis=1, min_count=1) - wide["all"]
    if (diff.abs() > 0).any():
        raise ValueError(f"births by order do not add up to the total for {wide.index[diff != 0].tolist()}")
    wide = wide.fillna(0.0)  # checked above: an empty cell is a zero sample count
    wide["3+"] = wide["3"] + wide["4"] + wide["5+"]
    long = (
        wide[["1", "2", "3+", "all"]]
        .reset_index()
        .melt(id_vars=[*keys, "all"], value_vars=["1", "2", "3+"], var_name="order", value_name="births")
    )
    long["share"] = long["births"] / long["all"]
    long["region"] = long["province_code"].map(_region_name)
    region_rank = {name: i for i, name in enumerate((*regions.PROVINCE_NAMES, regions.NATIONAL))}
    res_rank = {"total": 0, "city": 1, "town": 2, "rural": 3}
    order_rank = {"1": 0, "2": 1, "3+": 2}
    long = long.sort_values(
        ["census_year", "region", "residence", "order"],
        key=lambda s: s.map(region_rank) if s.name == "region" else (
            s.map(res_rank) if s.name == "residence" else (s.map(order_rank) if s.name == "order" else s)
        ),
    )
    out = long[["census_year", "region", "residence", "order", "births", "share"]].reset_index(drop=True)
    out["census_year"] = out["census_year"].astype(int)
    return out


def parity_cohort(raw_dir: Path) -> pd.DataFrame:
    """Cohort cumulative fertility by order (Duan & Chen 2022), cohorts with printed values.

    Shares are recomputed: childless = 1 - ccfr1, exactly one = ccfr1 - ccfr2,
    two or more = ccfr2. Partially printed cohorts (1969, 1970) keep empty cells.
    """
    raw = _read(raw_dir, "cn_parity_cohort_ccfr_duan_chen2022.csv")
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
    """Mean children ever born and surviving of women 15-64 by province, 2020 census."""
    raw = _read(raw_dir, "cn_census2020_mean_ceb_province.csv")
    out = pd.DataFrame(
        {
            "region": raw["province_code"].map(_region_name),
            "mean_children_ever_born": raw["mean_children_ever_born"].astype(float),
            "mean_children_surviving": raw["mean_children_surviving"].astype(float),
        }
    )
    return out


def only_children_2005(raw_dir: Path) -> pd.DataFrame:
    """Share of persons aged 0-30 who are only children, 2005 1% survey, by region and sex.

    The share is recomputed from the sample counts (the printed percentages agree to +-0.01
    points where printed; Guangdong's are not printed).
    """
    raw = _read(raw_dir, "cn_parity_only_children_0_30_province_2005.csv")
    rows = []
    for _, r in raw.iterrows():
        region = _region_name(r["province_code"])
        for sex, suffix in (("female", "female"), ("male", "male"), ("both", "total")):
            share = r[f"only_children_0_30_{suffix}"] / r[f"pop_0_30_{suffix}"]
            printed = r[f"pct_only_{suffix}"]
            if not math.isnan(printed) and abs(100 * share - printed) > 0.0101:
                raise ValueError(f"{region} {sex}: recomputed share {share} != printed {printed} %")
            rows.append({"region": region, "sex": sex, "share_only_children": share})
    return pd.DataFrame(rows)


def population_wpp(raw_dir: Path) -> pd.DataFrame:
    """WPP 2024 estimates of China's population by sex and 5-year age group, 1950-2020.

    Persons (the source's thousands x 1000) at 1 July of each fifth year; age groups 0-4 ...
    95-99 and 100+ (``age_start`` 100). Used to size the population before the 2020 base.
    """
    raw = _read(raw_dir, "wpp2024_pop_age5_sex.csv")
    raw = raw[(raw["country_code"] == 156) & (raw["variant"] == "estimates")]
    rows = []
    for r in raw.itertuples(index=False):
        for sex, col in (("female", "popF"), ("male", "popM")):
            rows.append({"year": int(r.year), "sex": sex, "age_start": int(r.age_start),
                         "population": float(getattr(r, col)) * 1000.0})
    return pd.DataFrame(rows).sort_values(["year", "sex", "age_start"]).reset_index(drop=True)


# ----------------------------------------------------------------------------------------
# Policy eras, spouse gap (assumption), care prevalence, allowances, Sweden
# ----------------------------------------------------------------------------------------

_CHINA_LAW = "Population and Family Planning Law of the PRC"

#: Policy eras. Sources are official documents cited by name (not in raw/, where the only
#: policy material is the parity literature); `status` says what is sourced and what assumed.
POLICY_ERAS: tuple[dict, ...] = (
    {
        "era": "pre_1971_high_fertility",
        "first_year": FIRST_GRID_YEAR,
        "last_year": 1970,
        "description": "no national birth-control policy; high fertility (cohort CCFR 4.4-5.1 "
        "for women born 1926-1940). first_year is the start of the model's rate grid",
        "source": SOURCE_DUAN_CHEN + ", Table 1",
        "status": "sourced (levels); start year = model convention",
    },
    {
        "era": "later_longer_fewer_1971_1979",
        "first_year": 1971,
        "last_year": 1979,
        "description": "wan-xi-shao ('later, longer, fewer') campaign: later marriage, longer "
        "birth intervals, fewer births; period PPR 1->2 still 0.96 in 1979",
        "source": "State Council document Guofa [1971] No. 51 (report on family planning work, "
        "1971); PPR from " + SOURCE_DUAN_CHEN + ", p.97",
        "status": "sourced (document cited by name, not held in raw/)",
    },
    {
        "era": "one_child_1980_2015",
        "first_year": 1980,
        "last_year": 2015,
        "description": "one-child policy with provincial rules (second child allowed to rural "
        "couples whose first child is a girl in many provinces from 1984, to ethnic minorities, "
        "to couples who are both only children, and from 2014 to couples with one only-child "
        "parent); period PPR 1->2 fell to 0.80 in 1984 and 0.54 in 2015",
        "source": "CCP Central Committee Open Letter of 25 Sep 1980; provincial family-planning "
        "regulations; PPR from " + SOURCE_DUAN_CHEN + ", p.97",
        "status": "sourced (documents cited by name, not held in raw/); provincial detail is a "
        "config multiplier",
    },
    {
        "era": "universal_two_child_2016_2020",
        "first_year": 2016,
        "last_year": 2020,
        "description": "universal two-child policy from 1 Jan 2016; period PPR 1->2 0.71 in "
        "2016 and 0.74 in 2017",
        "source": _CHINA_LAW + ", amended 27 Dec 2015, in force 1 Jan 2016; PPR from "
        + SOURCE_DUAN_CHEN + ", p.97",
        "status": "sourced (law cited by name, not held in raw/)",
    },
    {
        "era": "three_child_2021_on",
        "first_year": 2021,
        "last_year": LAST_GRID_YEAR,
        "description": "three-child policy announced 31 May 2021, law amended 20 Aug 2021; "
        "last_year is the end of the packaged projection horizon (no end date)",
        "source": _CHINA_LAW + ", amended 20 Aug 2021",
        "status": "sourced (law cited by name, not held in raw/); end year = model convention",
    },
    {
        "era": "rule_rebirth_after_only_child_death",
        "first_year": 1980,
        "last_year": 2015,
        "description": "RULE, not an era: a couple whose only child died could have another "
        "child (provincial regulations list the death of the only child among the conditions "
        "for a further birth); after 2015 any couple could have a second child. The national "
        "special assistance goes only to parents 'who have not had or adopted another child'",
        "source": "provincial family-planning regulations (not held in raw/); eligibility "
        "wording from raw cn_special_assistance_standards.csv (rows S2008_*, S2014_*); "
        "DESIGN.md cites Wang Guangzhou (2016) microsimulation of rebirth",
        "status": "ASSUMPTION for the dates: the provision is taken to hold for the whole "
        "one-child era in every province (its adoption year varies by province and was not "
        "found in raw/)",
    },
)


def policy_eras() -> pd.DataFrame:
    """Policy eras (and the rebirth rule) used by the parity model, with sources."""
    return pd.DataFrame(list(POLICY_ERAS))


def spouse_age_gap() -> pd.DataFrame:
    """ASSUMPTION: husband's age minus wife's age, discretised normal on integer gaps.

    ``P(gap = g) ∝ Φ((g + ½ − μ)/σ) − Φ((g − ½ − μ)/σ)`` on ``SPOUSE_GAP_RANGE``, renormalised.
    """
    lo, hi = SPOUSE_GAP_RANGE
    gaps = np.arange(lo, hi + 1)
    z_hi = (gaps + 0.5 - SPOUSE_GAP_MEAN) / (SPOUSE_GAP_SD * math.sqrt(2.0))
    z_lo = (gaps - 0.5 - SPOUSE_GAP_MEAN) / (SPOUSE_GAP_SD * math.sqrt(2.0))
    mass = 0.5 * (np.array([math.erf(z) for z in z_hi]) - np.array([math.erf(z) for z in z_lo]))
    prob = mass / mass.sum()
    return pd.DataFrame({"gap": gaps, "probability": prob})


def _care_rows(raw: pd.DataFrame, record_id: str) -> float:
    row = raw.loc[raw["record_id"] == record_id]
    if len(row) != 1 or pd.isna(row["value"].iloc[0]):
        raise ValueError(f"care table: record {record_id!r} missing or empty")
    return float(row["value"].iloc[0])


#: Age groups of ``care_prevalence.csv`` (first age, last age; 100 = 100+).
CARE_AGE_GROUPS = ((60, 64), (65, 74), (75, 84), (85, 100))


def care_prevalence(raw_dir: Path) -> tuple[pd.DataFrame, dict]:
    """Share unable to care for oneself by sex and age group 60+, calibrated to census 2020.

    Returns the table and a dict of the intermediate numbers (logged by
    :func:`write_other_tables`).

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
    raw = _read(raw_dir, "cn_care_selfcare_prevalence.csv")
    ms = {
        g: _care_rows(raw, f"CL2018_moderate_{g}") + _care_rows(raw, f"CL2018_severe_{g}")
        for g in ("65-74", "75-84", "85+", "male", "female")
    }
    sh = raw[raw["record_id"].isin(["SH10_town_60-64_both", "SH10_town_65-69_both", "SH10_town_70-74_both"])]
    if len(sh) != 3:
        raise ValueError("care table: Shanghai town 2010 age rows 60-64, 65-69, 70-74 not found")
    sh = sh.set_index("record_id")
    p6064 = sh.loc["SH10_town_60-64_both", "n_unable_selfcare"] / sh.loc["SH10_town_60-64_both", "n_persons_sample"]
    p6574 = (
        sh.loc[["SH10_town_65-69_both", "SH10_town_70-74_both"], "n_unable_selfcare"].sum()
        / sh.loc[["SH10_town_65-69_both", "SH10_town_70-74_both"], "n_persons_sample"].sum()
    )
    rho = float(p6064 / p6574)
    census = raw.loc[raw["record_id"] == "P20_00"].iloc[0]
    level = float(census["n_unable_selfcare"] / census["n_persons_sample"])

    pop = _read(raw_dir, "cn_census_pop_province_age5_sex_2010_2020.csv")
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


def care_prevalence_province(raw_dir: Path) -> pd.DataFrame:
    """Each province's 2020 census share of persons 60+ unable to care for themselves.

    Rows ``P20_11`` .. ``P20_65`` of the raw care table: long-form (10 % sample) counts of the
    census item 不健康且生活不能自理 divided by all respondents 60+, both sexes. The census
    gives no age or sex split by province; ``lossproj`` scales the national age-sex pattern of
    ``care_prevalence.csv`` to each province's level with the province's own population.
    """
    raw = _read(raw_dir, "cn_care_selfcare_prevalence.csv")
    rows = raw[raw["record_id"].str.match(r"^P20_\d\d$") & (raw["record_id"] != "P20_00")]
    out = []
    for rec in rows.itertuples(index=False):
        code = int(rec.geo_code)
        out.append({
            "region": _region_name(code),
            "region_code": code,
            "prevalence_60plus": float(rec.n_unable_selfcare) / float(rec.n_persons_sample),
            "respondents_60plus": int(rec.n_persons_sample),
            "year": 2020,
            "source": SOURCE_CENSUS_HEALTH_2020,
        })
    if not out:
        raise ValueError("care table: no provincial rows P20_11..P20_65")
    # completeness (all 31 provinces) is checked by lossproj.data on the written table
    return pd.DataFrame(out).sort_values("region_code").reset_index(drop=True)


def allowance_standards(raw_dir: Path) -> pd.DataFrame:
    """National special-assistance standard for parents whose only child died [RMB/person/month].

    Periods are whole calendar years; 2022 holds the time-weighted mean of the two standards in
    force that year (Jan-Jun 450, Jul-Dec 590), i.e. one twelfth of the year's payment.
    """
    raw = _read(raw_dir, "cn_special_assistance_standards.csv").set_index("record_id")

    def amount(rid: str) -> float:
        value = raw.loc[rid, "value"]
        if pd.isna(value):
            raise ValueError(f"special assistance: record {rid!r} has no amount")
        return float(value)

    def src(rid: str) -> str:
        return f"{raw.loc[rid, 'source']} (raw record {rid})"

    s22 = ALLOWANCE_SINGLE_STANDARD_FROM
    rows = [
        (2008, 2011, "total", amount("S2008_only_child_died"), "national minimum", src("S2008_only_child_died")),
        (2012, 2013, "total", amount("S2012_only_child_died"), "national minimum", src("S2012_only_child_died")),
        (2014, s22 - 1, "urban", amount("S2014_only_child_died_urban"),
         "national standard; ASSUMPTION: end year (switch to single standard not dated)",
         src("S2014_only_child_died_urban")),
        (2014, s22 - 1, "rural", amount("S2014_only_child_died_rural"),
         "national standard; ASSUMPTION: end year (switch to single standard not dated)",
         src("S2014_only_child_died_rural")),
        (2022, 2022, "total",
         (6 * amount("S_pre2022_only_child_died") + 6 * amount("S2022_only_child_died")) / 12.0,
         "time-weighted mean of 450 (Jan-Jun, start date of 450 not found) and 590 (Jul-Dec)",
         src("S_pre2022_only_child_died") + "; " + src("S2022_only_child_died")),
        (2023, LAST_GRID_YEAR, "total", amount("S2022_only_child_died"),
         "national standard from 2022-07-01; no later change found (last_year = horizon)",
         src("S2022_only_child_died")),
    ]
    return pd.DataFrame(rows, columns=["first_year", "last_year", "residence", "amount", "basis", "source"])


def sweden_female(raw_dir: Path) -> pd.DataFrame:
    """Swedish female mx, ASFR and population by single age 0-100, 1900-2018 (HMD/HFD).

    ``mx = -ln(px)`` for ages 0-99 (constant hazard within the year of age). For the open
    group 100+, DemoKin's ``px`` is 0 by convention, so ``mx = -ln(Sx)`` with ``Sx`` the
    survival ratio of the open group (the share of the 100+ population alive a year later).
    """
    raw = _read(raw_dir, "swe_hmd_hfd_female_single_age_1900_2018.csv")
    px = raw["px"].astype(float).to_numpy()
    sx = raw["Sx"].astype(float).to_numpy()
    open_group = raw["age"].to_numpy() == 100
    if np.any(px[~open_group] <= 0):
        raise ValueError("Sweden: px <= 0 below age 100; -ln(px) undefined")
    if np.any(sx[open_group] <= 0):
        raise ValueError("Sweden: Sx <= 0 in the open age group")
    with np.errstate(divide="ignore"):
        mx = np.where(open_group, -np.log(sx), -np.log(px))
    out = pd.DataFrame(
        {
            "year": raw["year"].astype(int),
            "age": raw["age"].astype(int),
            "mx": mx + 0.0,
            "asfr": raw["asfr"].astype(float),
            "population": raw["pop_female"].astype(float),
        }
    )
    return out.sort_values(["year", "age"]).reset_index(drop=True)


# ----------------------------------------------------------------------------------------
# Urban and rural child mortality (published figures, not held in raw/)
# ----------------------------------------------------------------------------------------

#: Publications of the urban and rural child mortality figures: key -> (source text, where
#: the value was seen, origin, confidence). ``origin``: ``published`` = the publisher's own
#: text (article abstract of the surveillance network); ``second-hand`` = a news report
#: quoting the official release. ``confidence`` ``H``: the value was seen verbatim at the URL.
CHILD_MORTALITY_SOURCES: dict[str, tuple[str, str, str, str]] = {
    "mch_1996_2000": (
        "Analysis of under 5 years old children mortality and the leading death cause in China "
        "from 1996 to 2000. Zhonghua Yu Fang Yi Xue Za Zhi 2005;39(4):260-264 (PMID 16194383); "
        "national child mortality surveillance network, 116 counties (cities); abstract",
        "https://search.bvsalud.org/gim/resource/en/wpr-282350 ; "
        "https://api-pubmed-ncbi.laibokeji.com/16194383",
        "published",
        "H",
    ),
    "wang_2009": (
        "Wang Y, Zhu J, Miao L, Dai L, He C, Li X, Liang J (2009), Analysis on under-5 "
        "mortality rate and the leading kinds of diseases in China, 2000-2006. Zhonghua Liu "
        "Xing Bing Xue Za Zhi 30(5):466-470 (PMID 19799142; National Office for Maternal and "
        "Child Health Surveillance); abstract",
        "http://chinaepi.icdc.cn/zhlxbx/ch/reader/view_abstract.aspx?file_no=20090514&flag=1 ; "
        "https://search.bvsalud.org/gim/resource/en/wpr-266499",
        "published",
        "H",
    ),
    "xinhua_2006": (
        "Xinhua, Hangzhou, 16 Nov 2006 (reprinted by Henan Daily / Sina, 17 Nov 2006): 2006 "
        "national maternal and child health work conference, 2005 MCH surveillance results "
        "quoted by Vice-minister of Health Jiang Zuojun; news report",
        "http://news.sina.com.cn/c/h/2006-11-17/043811539266.shtml",
        "second-hand",
        "H",
    ),
    "nbs_2016": (
        "NBS (2016), 《中国儿童发展纲要(2011-2020年)》中期统计监测报告 (mid-term statistical "
        "monitoring report of the Programme for the Development of Chinese Children, released "
        "3 Nov 2016; data from MCH surveillance), as quoted by Jiemian news, 3 Nov 2016",
        "https://www.jiemian.com/article/938513.html",
        "second-hand",
        "H",
    ),
}

#: Urban and rural infant (IMR) and under-5 (U5MR) mortality [deaths per 1000 live births]:
#: (year, source key, IMR urban, IMR rural, U5MR urban, U5MR rural). Only years with both an
#: urban and a rural value of the same publication; 2000 appears in both surveillance papers
#: with the same values (kept from Wang et al. 2009).
CHILD_MORTALITY_RESIDENCE: tuple[tuple[int, str, float, float, float, float], ...] = (
    (1996, "mch_1996_2000", 14.8, 40.9, 16.9, 51.4),
    (2000, "wang_2009", 11.8, 37.0, 13.8, 45.7),
    (2005, "xinhua_2006", 9.1, 21.6, 10.7, 25.7),
    (2006, "wang_2009", 8.0, 19.7, 9.6, 23.6),
    (2015, "nbs_2016", 4.7, 9.6, 5.8, 12.9),
)
CHILD_MORTALITY_UNIT = "per 1000 live births"


def child_mortality_residence() -> pd.DataFrame:
    """Urban and rural infant and under-5 mortality, one row per (year, indicator, residence)."""
    rows = []
    for year, key, imr_u, imr_r, u5_u, u5_r in CHILD_MORTALITY_RESIDENCE:
        source, url, origin, confidence = CHILD_MORTALITY_SOURCES[key]
        for indicator, urban, rural in (("imr", imr_u, imr_r), ("u5mr", u5_u, u5_r)):
            if not 0 < urban <= rural:
                raise ValueError(
                    f"child mortality {year} {indicator}: urban {urban} and rural {rural}; "
                    "expected 0 < urban <= rural"
                )
            for residence, value in (("urban", urban), ("rural", rural)):
                rows.append((year, indicator, residence, value, CHILD_MORTALITY_UNIT, origin,
                             confidence, source, url))
    columns = ["year", "indicator", "residence", "value", "unit", "origin", "confidence", "source", "url"]
    return pd.DataFrame(rows, columns=columns).sort_values(["year", "indicator", "residence"],
                                                           ascending=[True, True, False],
                                                           ignore_index=True)

# ----------------------------------------------------------------------------------------
# Provenance notes (one markdown paragraph per table) and the entry point
# ----------------------------------------------------------------------------------------

_CENSUS = (
    "National Bureau of Statistics of China (NBS) / Population Census Office under the State "
    "Council. Official statistics; no explicit open-data license"
)

TABLE_NOTES: dict[str, str] = {
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
    "parity_order_rates_2010.csv": (
        f"**Publisher:** {_CENSUS}; *Tabulation on the 2010 Population Census*, table 全国育龄妇女分年龄、"
        "孩次的生育状况 (long-form ≈10 % sample). **Carrier:** GitHub Yiguan/CN_pop_simu @ 7b2c017 "
        "(`birth.csv`; no license file) → raw `cn_census2010_asfr_by_order_single_age.csv`. "
        "**Reference period:** 2009-11-01..2010-10-31. **Units:** `women` average number of women "
        "(sample), `births` sample births, `asfr` births per woman per year. **Transformations:** "
        "reshaped to one row per age (15..49) × order (`1`, `2`, `3+`); `asfr` recomputed as "
        "births / average women (the raw per-1000 rates divided by 1000 agree to print rounding, "
        "checked); order births checked to add to all-order births."
    ),
    "births_by_order.csv": (
        f"**Publisher:** {_CENSUS}; 2010 tabulation and China Population Census Yearbook 2020, "
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
        f"**Publisher:** {_CENSUS}; China Population Census Yearbook 2020, table 各地区15-64岁妇女"
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
    "policy_eras.csv": (
        "**Sources:** official documents cited by name in the `source` column (State Council "
        "1971 report; CCP Central Committee Open Letter 1980; Population and Family Planning Law "
        "amendments of 2015 and 2021; provincial regulations) — these documents are **not** "
        "held in raw/ and were not re-checked here; era indicators (period PPR 1→2 in 1979, "
        "1984, 2015-2017; cohort CCFR) are from Duan & Chen (2022) via raw "
        "`cn_parity_period_indicators_literature.csv` and `cn_parity_cohort_ccfr_duan_chen2022.csv`. "
        "**Columns:** `era, first_year, last_year, description, source`, plus `status` saying what "
        "is sourced and what is assumed. **Conventions/assumptions:** the first era starts at "
        f"{FIRST_GRID_YEAR} (first year of the model's rate grid) and the last ends at "
        f"{LAST_GRID_YEAR}; the row `rule_rebirth_after_only_child_death` is a rule, not an era: "
        "a new birth after an only child's death is taken to be permitted throughout 1980-2015 "
        "in every province (**assumption**: the adoption year varies by province and was not "
        "found). Era-specific parity-progression levels themselves are config values."
    ),
    "spouse_age_gap.csv": (
        "**ASSUMPTION — no source table.** raw/ holds no distribution of spouses' age "
        "differences. The packaged pmf is a normal distribution with mean "
        f"{SPOUSE_GAP_MEAN:g} years and standard deviation {SPOUSE_GAP_SD:g} years (husband older), "
        f"discretised to integer gaps {SPOUSE_GAP_RANGE[0]}..{SPOUSE_GAP_RANGE[1]} "
        "(mass of [g − ½, g + ½)) and renormalised over that range. **Units:** `gap` years "
        "(husband's age − wife's age), `probability` fraction (sums to 1). A scenario config can "
        "replace it (`spouse age gap`, DESIGN.md §2)."
    ),
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
    "allowance_standards.csv": (
        "**Publisher:** Ministry of Finance, National Population and Family Planning Commission "
        "/ National Health (and Family Planning) Commission: 财教〔2011〕623号 (2012-01-01), "
        "国卫家庭发〔2013〕41号 (2014-01-01), MoF–NHC notice of 2022-05 (2022-07-01); nationwide "
        "start 2008 per NHFPC (Xinhua 2013-12-26). **Carrier:** hand transcription of official "
        "and news pages → raw `cn_special_assistance_standards.csv` (records named in `source`). "
        "**Units:** RMB per person per month, paid to each parent (mother 49+) whose only child "
        "died. **Transformations/assumptions:** whole calendar years; 2008-2013 amounts are "
        "national *minimums* (provinces may pay more); 2014 split urban 340 / rural 170 kept "
        f"until {ALLOWANCE_SINGLE_STANDARD_FROM - 1} (**assumption**: the date the single "
        "standard of 450 replaced it was not found); 2022 = (6 × 450 + 6 × 590) / 12 = 520 "
        f"(change on 2022-07-01); 590 from 2023 to {LAST_GRID_YEAR} (no later change found; "
        "`last_year` = horizon). `residence` is `total` where one standard applies to all, "
        "else `urban`/`rural`. The 2007 pilot (pilot provinces only) and local schemes "
        "(Beijing, Dongguan, Futian) are not included."
    ),
    "sweden_female.csv": (
        "**Publisher:** Human Mortality Database and Human Fertility Database (CC BY 4.0). "
        "**Carrier:** R package IvanWilli/DemoKin @ 66e0c84 (MIT), data `swe_px`, `swe_asfr`, "
        "`swe_pop`, `swe_Sx` → raw `swe_hmd_hfd_female_single_age_1900_2018.csv`. **Units:** `mx` "
        "deaths per person-year, `asfr` births per woman per year, `population` women (HMD "
        "1 January counts as carried by DemoKin). **Transformations:** `mx = −ln(px)` for ages "
        "0-99 (constant force of mortality within each year of age); for the open group 100+ "
        "DemoKin sets `px = 0`, so `mx = −ln(Sx)` with `Sx` the open group's survival ratio; "
        "`pop_female` renamed `population`. Used only to check the engines against DemoKin's "
        "published Swedish examples."
    ),
    "child_mortality_residence.csv": (
        "**Publishers:** China's national surveillance of deaths under age 5 (maternal and "
        "child health (MCH) surveillance of the Ministry of Health, now the National Health "
        "Commission; 116 sample counties and cities in 31 provinces around 2000), as published "
        "for 1996 in *Zhonghua Yu Fang Yi Xue Za Zhi* 2005;39(4):260-264 (PMID 16194383) and "
        "for 2000 and 2006 in Wang et al. (2009), *Zhonghua Liu Xing Bing Xue Za Zhi* "
        "30(5):466-470 (PMID 19799142); the 2005 results as announced by the Ministry of Health "
        "and reported by Xinhua (16 Nov 2006); the 2015 values of NBS's mid-term statistical "
        "monitoring report of the Programme for the Development of Chinese Children (2016) as "
        "quoted by the news. **License:** official statistics and journal abstracts, no "
        "explicit open-data license; only the published numbers are reproduced, each row with "
        "its source. **Carrier:** hand transcription of the pages named in `url` (abstracts and "
        "news text; the printed tables were not seen) into `scripts/prep_tables.py` "
        "(`CHILD_MORTALITY_RESIDENCE`, `CHILD_MORTALITY_SOURCES`); not held in raw/. **Units:** "
        "`value` deaths before age 1 (`imr`) or before age 5 (`u5mr`) per 1000 live births of "
        "the calendar `year`. `residence` as the surveillance defines it: `urban` = city "
        "districts (城市), `rural` = counties (农村), so towns in counties count as rural there, "
        "whereas the census's `town` (镇) includes them. **Columns:** `origin` is `published` "
        "(the surveillance paper's own abstract: 1996, 2000, 2006) or `second-hand` (a news "
        "report quoting the official release: 2005, 2015); `derived` (computed here, not "
        "published) is allowed but no row uses it. `confidence` `H`: the value was seen "
        "verbatim at `url`. **Selection:** only years with an urban and a rural value of the "
        "same indicator from the same publication: 1996, 2000, 2005, 2006, 2015 (2000 is also in "
        "the 1996-2000 paper, with the same values). Left out: years with a national value only "
        "(e.g. 2010, 2020); 2010 urban values derived from published percentage declines (no "
        "rural 2010 value was found); the 1981 census IMR by residence (rural infant deaths "
        "under-reported by about 44 %); the 1988 fertility survey IMR by residence and sex and "
        "the 1990 census values of Anhui and Henan (second-hand or two provinces only); neonatal "
        "mortality. **Use:** `lossproj.rates.child_mortality` takes the urban/rural U5MR ratio "
        "(0.329 in 1996, 0.302 in 2000, 0.416 in 2005, 0.407 in 2006, 0.450 in 2015) for the "
        "relative mortality of first-born and later-born children."
    ),
}


def write_other_tables(raw_dir: Path, out_dir: Path) -> list[Path]:
    """Write the tables listed in :data:`TABLE_NOTES` from ``raw_dir`` into ``out_dir``."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    care, info = care_prevalence(raw_dir)
    logger.info("care_prevalence construction: %s", info)
    tables = {
        "parity_order_rates_2010.csv": parity_order_rates_2010(raw_dir),
        "births_by_order.csv": births_by_order(raw_dir),
        "parity_cohort.csv": parity_cohort(raw_dir),
        "mean_ceb_2020.csv": mean_ceb_2020(raw_dir),
        "only_children_2005.csv": only_children_2005(raw_dir),
        "policy_eras.csv": policy_eras(),
        "spouse_age_gap.csv": spouse_age_gap(),
        "care_prevalence.csv": care,
        "care_prevalence_province.csv": care_prevalence_province(raw_dir),
        "allowance_standards.csv": allowance_standards(raw_dir),
        "sweden_female.csv": sweden_female(raw_dir),
        "population_wpp.csv": population_wpp(raw_dir),
        "child_mortality_residence.csv": child_mortality_residence(),
    }
    return [_write(df, out_dir, name) for name, df in tables.items()]
