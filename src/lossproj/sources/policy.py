"""Policy tables: family-planning eras and the special-assistance allowance standards.

The era boundaries and the allowance schedule come from official documents and their
carriers in the raw folder; the assumptions they need (dates not found) are named constants,
labelled as assumptions in the tables themselves and in :data:`NOTES`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lossproj.errors import DataError
from lossproj.sources.parity import SOURCE_DUAN_CHEN
from lossproj.sources.raw import read_raw

#: First year of the model's rate grid (docs/model.md, ``Y0``); the pre-1971 era starts here.
FIRST_GRID_YEAR = 1890
#: Last year any packaged table covers; the open end of "still in force" periods.
LAST_GRID_YEAR = 2100

#: Year from which the single national 450 RMB standard is assumed to replace the 2014
#: urban/rural split. ASSUMPTION: the switch date was not found (raw
#: ``cn_special_assistance_standards.csv`` row ``S_pre2022_*``: ``start_date_not_found``);
#: the split is kept to the end of 2021, the latest date it could have been in force
#: without contradicting the 2022 notice, and 450 applies to the first half of 2022.
ALLOWANCE_SINGLE_STANDARD_FROM = 2022

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

NOTES: dict[str, str] = {
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
}


def policy_eras() -> pd.DataFrame:
    """Policy eras (and the rebirth rule) used by the parity model, with sources.

    Returns
    -------
    pandas.DataFrame
        Columns ``era, first_year, last_year, description, source, status`` (years are
        calendar years, inclusive), one row per entry of :data:`POLICY_ERAS`.
    """
    return pd.DataFrame(list(POLICY_ERAS))


def allowance_standards(raw_dir: Path) -> pd.DataFrame:
    """National special-assistance standard for parents whose only child died [RMB/person/month].

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["assistance"]`` (one record per official
        standard, with its source).

    Returns
    -------
    pandas.DataFrame
        Columns ``first_year, last_year, residence, amount, basis, source``: ``amount``
        [RMB per person per month] in force over whole calendar years ``first_year`` ..
        ``last_year``; 2022 holds the time-weighted mean of the two standards in force that
        year (Jan-Jun 450, Jul-Dec 590), i.e. one twelfth of the year's payment.

    Raises
    ------
    DataError
        If a record has no amount.
    """
    raw = read_raw(raw_dir, "assistance").set_index("record_id")

    def amount(rid: str) -> float:
        value = raw.loc[rid, "value"]
        if pd.isna(value):
            raise DataError(f"special assistance: record {rid!r} has no amount")
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
