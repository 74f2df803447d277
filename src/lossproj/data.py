"""Reading and checking the packaged data tables (the only module that opens data files).

Every table in ``data/`` (see ``docs/data_contract.md`` and ``data/README.md``) has a
:class:`TableSchema` here: its columns with type, allowed values and numeric range, its key
columns, and the key grid it must cover. :func:`load_table` reads a table as text, checks it
against its schema and raises :class:`lossproj.errors.DataError` naming the file, the line
(1-based, header = line 1), the column, the bad value and what was expected. Nothing is fixed
silently. The labelled accessors (:func:`mortality_national`, :func:`base_population`, …)
return ``xarray`` objects with canonical dims and ``units``, ``long_name`` and ``source``
attributes.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import itertools
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from lossproj import plausibility, regions
from lossproj.errors import DataError
from lossproj.paths import packaged_data_dir

logger = logging.getLogger(__name__)

SEXES: tuple[str, ...] = ("female", "male")
SEXES_BOTH: tuple[str, ...] = ("female", "male", "both")
ALL_REGIONS: tuple[str, ...] = (*regions.PROVINCE_NAMES, regions.NATIONAL)
VARIANTS: tuple[str, ...] = ("medium", "low", "high")
ORDERS: tuple[str, ...] = ("1", "2", "3+")
RESIDENCES_CENSUS: tuple[str, ...] = ("total", "city", "town", "rural")
RESIDENCES_ALLOWANCE: tuple[str, ...] = ("total", "urban", "rural")
CENSUS_YEARS_E0: tuple[int, ...] = (1990, 2000, 2010, 2020)
RESIDENCES_URBAN_RURAL: tuple[str, ...] = ("urban", "rural")
#: Child mortality indicators: infant (deaths before age 1) and under-5 mortality.
CHILD_MORTALITY_INDICATORS: tuple[str, ...] = ("imr", "u5mr")
#: How a published value reached a table: the publisher's own text, a report quoting it,
#: or computed from published values.
ORIGINS: tuple[str, ...] = ("published", "second-hand", "derived")

#: Relative tolerance of the cross-table sum checks (provinces vs China).
SUM_RTOL = 1e-6
#: Absolute tolerance for "shares add up to one" within a table.
SHARE_ATOL = 1e-9
#: At most this many problems are listed per table (the rest are counted).
MAX_PROBLEMS = 20

CHECKSUM_FILE = "checksums.json"


# ----------------------------------------------------------------------------------------
# Schemas
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a packaged table.

    Attributes
    ----------
    name : str
        Column name in the header.
    kind : {"int", "float", "str"}
        Cell type.
    expect : str
        What a valid value is, in words (used in error messages).
    allowed : tuple of str, optional
        Allowed values of a text column.
    minimum, maximum : float, optional
        Inclusive bounds of a numeric column (``strict_min`` makes the minimum exclusive).
    nullable : bool
        Whether an empty cell is allowed.
    """

    name: str
    kind: str
    expect: str
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    strict_min: bool = False
    nullable: bool = False


@dataclass(frozen=True)
class TableSchema:
    """Columns, keys and coverage of one packaged table.

    ``grid`` maps each key column to its declared coverage: a ``range`` of integers, a tuple
    of values, or ``None`` (the values present; for integers every integer between the
    smallest and largest present). With ``grid=None`` no completeness check is made.
    """

    name: str
    columns: tuple[Column, ...]
    keys: tuple[str, ...]
    grid: dict[str, range | tuple | None] | None
    long_name: str
    source: str
    checks: tuple[Callable[[pd.DataFrame, str], list[str]], ...] = field(default=())

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _int(name: str, expect: str, lo=None, hi=None, nullable=False) -> Column:
    return Column(name, "int", expect, minimum=lo, maximum=hi, nullable=nullable)


def _num(name: str, expect: str, lo=None, hi=None, strict_min=False, nullable=False) -> Column:
    return Column(name, "float", expect, minimum=lo, maximum=hi, strict_min=strict_min, nullable=nullable)


def _cat(name: str, allowed: Sequence[str], expect: str) -> Column:
    return Column(name, "str", expect, allowed=tuple(allowed))


def _text(name: str, expect: str, nullable=False) -> Column:
    return Column(name, "str", expect, nullable=nullable)


_REGION = _cat("region", ALL_REGIONS, "one of the 31 province names or 'China'")
_SEX = _cat("sex", SEXES, "'female' or 'male'")
_SEX_BOTH = _cat("sex", SEXES_BOTH, "'female', 'male' or 'both'")
_AGE = _int("age", "an integer age 0..100 (100 = 100+)", 0, 100)
_AGE_FERT = _int("age", "an integer age of mother 15..49", 15, 49)
_YEAR = _int("year", "an integer calendar year")
_MX = plausibility.BOUNDS["mx"]
_SRB = plausibility.BOUNDS["srb"]
_RATE = f"a death rate in [0, {_MX.high:g}] [deaths per person-year]"
_ASFR = "a fertility rate in [0, 1] [births per woman per year]"
_SHARE = "a share in [0, 1]"
_E0 = "a life expectancy in (0, 120) years"

_WPP = "UN DESA Population Division, World Population Prospects 2024 (CC BY 3.0 IGO), via PPgp/wpp2024"
_NBS = "NBS of China, population census tabulations (2010, 2020)"


def _shares_sum_to_one(group_cols: Sequence[str], share_col: str) -> Callable[[pd.DataFrame, str], list[str]]:
    def check(df: pd.DataFrame, fname: str) -> list[str]:
        out = []
        sub = df.dropna(subset=[share_col])
        for key, grp in sub.groupby(list(group_cols), sort=False) if group_cols else [((), sub)]:
            total = float(grp[share_col].sum())
            if abs(total - 1.0) > SHARE_ATOL * max(1, len(grp)) * 10:
                where = _fmt_key(group_cols, key if isinstance(key, tuple) else (key,))
                out.append(
                    f"{fname}, rows {int(grp['_line'].min())}-{int(grp['_line'].max())}, column "
                    f"{share_col!r}: values for {where or 'the table'} sum to {total:.10g}; expected 1"
                )
        return out

    return check


def _cohort_shares(df: pd.DataFrame, fname: str) -> list[str]:
    out = []
    cols = ["share_childless", "share_one", "share_two_plus"]
    full = df.dropna(subset=cols)
    total = full[cols].sum(axis=1)
    for line, cohort, t in zip(full["_line"], full["cohort"], total, strict=True):
        if abs(t - 1.0) > 1e-6:
            out.append(f"{fname}, row {line}, cohort {cohort}: shares sum to {t:.10g}; expected 1")
    for line, c1, c2 in zip(df["_line"], df["ccfr1"], df["ccfr2"], strict=True):
        if pd.notna(c1) and pd.notna(c2) and c2 > c1:
            out.append(f"{fname}, row {line}, column 'ccfr2': value {c2} exceeds ccfr1 {c1}; expected ccfr2 <= ccfr1")
    return out


def _surviving_le_born(df: pd.DataFrame, fname: str) -> list[str]:
    bad = df["mean_children_surviving"] > df["mean_children_ever_born"]
    return [
        f"{fname}, row {line}, column 'mean_children_surviving': value {v} exceeds mean children ever "
        f"born {b}; expected surviving <= ever born"
        for line, v, b in zip(
            df.loc[bad, "_line"], df.loc[bad, "mean_children_surviving"], df.loc[bad, "mean_children_ever_born"],
            strict=True,
        )
    ]


def _first_le_last(first: str, last: str) -> Callable[[pd.DataFrame, str], list[str]]:
    def check(df: pd.DataFrame, fname: str) -> list[str]:
        bad = df[first] > df[last]
        return [
            f"{fname}, row {line}, column {last!r}: value {b} is before {first} {a}; expected {last} >= {first}"
            for line, a, b in zip(df.loc[bad, "_line"], df.loc[bad, first], df.loc[bad, last], strict=True)
        ]

    return check


def _allowance_periods(df: pd.DataFrame, fname: str) -> list[str]:
    """Periods must not overlap: per residence, and 'total' not with urban/rural."""
    out = []
    rows = list(zip(df["_line"], df["first_year"], df["last_year"], df["residence"], strict=True))
    for (l1, f1, e1, r1), (l2, f2, e2, r2) in itertools.combinations(rows, 2):
        clash = r1 == r2 or "total" in (r1, r2)
        if clash and f1 <= e2 and f2 <= e1:
            out.append(
                f"{fname}, row {l2}: period {f2}-{e2} ({r2}) overlaps row {l1} ({f1}-{e1}, {r1}); "
                "expected one amount per year and residence"
            )
    return out


def _care_ages(df: pd.DataFrame, fname: str) -> list[str]:
    out = _first_le_last("age_start", "age_end")(df, fname)
    for (year, sex), grp in df.groupby(["year", "sex"]):
        grp = grp.sort_values("age_start")
        for (l1, e1), (l2, s2) in zip(
            zip(grp["_line"], grp["age_end"], strict=True),
            list(zip(grp["_line"], grp["age_start"], strict=True))[1:],
            strict=False,
        ):
            if s2 != e1 + 1:
                out.append(
                    f"{fname}, row {l2}, column 'age_start': value {s2} does not follow age_end {e1} "
                    f"of row {l1} (year {year}, {sex}); expected contiguous age groups"
                )
    return out


def _urban_rural_pairs(df: pd.DataFrame, fname: str) -> list[str]:
    """Each (year, indicator) has one urban and one rural row, urban not above rural."""
    out = []
    for (year, indicator), grp in df.groupby(["year", "indicator"], sort=True):
        by_res = dict(zip(grp["residence"], zip(grp["_line"], grp["value"], strict=True), strict=True))
        where = f"year={year}, indicator={indicator!r}"
        missing = [r for r in RESIDENCES_URBAN_RURAL if r not in by_res]
        if missing:
            line = int(grp["_line"].min())
            out.append(
                f"{fname}, row {line}, column 'residence': {where} has no {missing[0]!r} row; "
                "expected an 'urban' and a 'rural' row for each year and indicator"
            )
            continue
        (line_u, urban), (_, rural) = by_res["urban"], by_res["rural"]
        if urban > rural:
            out.append(
                f"{fname}, row {line_u}, column 'value': urban value {_fmt_value(urban)} exceeds "
                f"the rural value {_fmt_value(rural)} ({where}); expected urban <= rural "
                "(an urban/rural ratio in (0, 1])"
            )
    return out


SCHEMAS: dict[str, TableSchema] = {
    s.name: s
    for s in (
        TableSchema(
            "population_census.csv",
            (_int("census_year", "a census year 2010 or 2020"),
             _REGION, _SEX, _AGE, _num("population", "a population count >= 0 [persons]", 0)),
            ("census_year", "region", "sex", "age"),
            {"census_year": (2010, 2020), "region": ALL_REGIONS, "sex": SEXES, "age": range(0, 101)},
            "census population on 1 November, graduated to single ages",
            _NBS + "; see data/README.md",
        ),
        TableSchema(
            "mortality_national.csv",
            (_YEAR, _SEX, _AGE, _num("mx", _RATE, 0, _MX.high)),
            ("year", "sex", "age"),
            {"year": range(1950, 2101), "sex": SEXES, "age": range(0, 101)},
            "central death rate, China",
            _WPP + " (medium); see data/README.md",
        ),
        TableSchema(
            "province_e0_census.csv",
            (_int("census_year", "a census year 1990, 2000, 2010 or 2020"), _REGION, _SEX_BOTH,
             _num("e0", _E0, 0, 120, strict_min=True), _text("note", "free text", nullable=True)),
            ("census_year", "region", "sex"),
            {"census_year": CENSUS_YEARS_E0, "region": ALL_REGIONS, "sex": SEXES_BOTH},
            "life expectancy at birth by province from the censuses",
            "NBS / National Health Commission (census life tables); see data/README.md",
        ),
        TableSchema(
            "fertility_national.csv",
            (_cat("variant", VARIANTS, "'medium', 'low' or 'high'"), _YEAR, _AGE_FERT, _num("asfr", _ASFR, 0, 1)),
            ("variant", "year", "age"),
            {"variant": VARIANTS, "year": range(1950, 2101), "age": range(15, 50)},
            "age-specific fertility rate, China",
            _WPP + "; see data/README.md",
        ),
        TableSchema(
            "fertility_province_2020.csv",
            (_REGION, _AGE_FERT, _num("asfr", _ASFR, 0, 1)),
            ("region", "age"),
            {"region": ALL_REGIONS, "age": range(15, 50)},
            "age-specific fertility rate by province, census 2019-11..2020-10",
            _NBS + " (table 6-4); see data/README.md",
        ),
        TableSchema(
            "sex_ratio_at_birth.csv",
            (_YEAR, _num("srb", f"a sex ratio at birth in [{_SRB.low:g}, {_SRB.high:g}] [male births per female birth]", _SRB.low, _SRB.high)),
            ("year",),
            {"year": range(1950, 2101)},
            "sex ratio at birth, China",
            _WPP + "; see data/README.md",
        ),
        TableSchema(
            "wpp_e0_annual.csv",
            (_YEAR, _SEX_BOTH, _num("e0", _E0, 0, 120, strict_min=True)),
            ("year", "sex"),
            {"year": range(1950, 2101), "sex": SEXES_BOTH},
            "life expectancy at birth, China (WPP)",
            _WPP + "; see data/README.md",
        ),
        TableSchema(
            "wpp_tfr_annual.csv",
            (_cat("variant", VARIANTS, "'medium', 'low' or 'high'"), _YEAR,
             _num("tfr", "a total fertility rate in [0, 10] [children per woman]", 0, 10)),
            ("variant", "year"),
            {"variant": VARIANTS, "year": range(1950, 2101)},
            "total fertility rate, China (WPP)",
            _WPP + "; see data/README.md",
        ),
        TableSchema(
            "net_migration.csv",
            (_YEAR, _SEX, _AGE, _num("net_migrants", "a number of net migrants [persons per year]")),
            ("year", "sex", "age"),
            {"year": range(2023, 2101), "sex": SEXES, "age": range(0, 101)},
            "net migrants, China (WPP medium)",
            _WPP + "; see data/README.md",
        ),
        TableSchema(
            "parity_order_rates_2010.csv",
            (_AGE_FERT, _cat("order", ORDERS, "a birth order '1', '2' or '3+'"),
             _num("women", "an average number of women > 0", 0, strict_min=True),
             _num("births", "a number of births >= 0", 0), _num("asfr", _ASFR, 0, 1)),
            ("age", "order"),
            {"age": range(15, 50), "order": ORDERS},
            "order-specific fertility rates, 2010 census (national)",
            _NBS + " (2010 long form); see data/README.md",
        ),
        TableSchema(
            "births_by_order.csv",
            (_int("census_year", "a census year 2010 or 2020"), _REGION,
             _cat("residence", RESIDENCES_CENSUS, "'total', 'city', 'town' or 'rural'"),
             _cat("order", ORDERS, "a birth order '1', '2' or '3+'"),
             _num("births", "a number of births >= 0 (sample)", 0), _num("share", _SHARE, 0, 1)),
            ("census_year", "region", "residence", "order"),
            {"census_year": (2010, 2020), "region": ALL_REGIONS, "residence": RESIDENCES_CENSUS, "order": ORDERS},
            "census births by birth order and their shares",
            _NBS + " (tables 6-1, 6-1a/b/c); see data/README.md",
            (_shares_sum_to_one(("census_year", "region", "residence"), "share"),),
        ),
        TableSchema(
            "parity_cohort.csv",
            (_int("cohort", "a birth cohort year"),
             _num("ccfr", "a cumulative fertility >= 0 [children per woman]", 0),
             _num("ccfr1", _SHARE, 0, 1, nullable=True), _num("ccfr2", _SHARE, 0, 1, nullable=True),
             _num("ccfr3plus", "births of order 3+ per woman >= 0", 0, nullable=True),
             _num("share_childless", _SHARE, 0, 1, nullable=True), _num("share_one", _SHARE, 0, 1, nullable=True),
             _num("share_two_plus", _SHARE, 0, 1, nullable=True)),
            ("cohort",),
            None,
            "cohort cumulative fertility by order",
            "Duan & Chen (2022), IJPS 8(1):88-106, Table 1; see data/README.md",
            (_cohort_shares,),
        ),
        TableSchema(
            "mean_ceb_2020.csv",
            (_REGION, _num("mean_children_ever_born", "a mean number of children >= 0", 0),
             _num("mean_children_surviving", "a mean number of children >= 0", 0)),
            ("region",),
            {"region": ALL_REGIONS},
            "mean children ever born and surviving, women 15-64, 2020 census",
            _NBS + " (2020 long form); see data/README.md",
            (_surviving_le_born,),
        ),
        TableSchema(
            "only_children_2005.csv",
            (_REGION, _SEX_BOTH, _num("share_only_children", _SHARE, 0, 1)),
            ("region", "sex"),
            {"region": None, "sex": SEXES_BOTH},
            "share of persons aged 0-30 who are only children, 2005",
            "NBS, China Statistical Yearbook 2006, table 4-16; see data/README.md",
        ),
        TableSchema(
            "policy_eras.csv",
            (_text("era", "an era name"), _int("first_year", "a calendar year"), _int("last_year", "a calendar year"),
             _text("description", "a description"), _text("source", "a source"), _text("status", "sourced or assumption")),
            ("era",),
            None,
            "fertility policy eras",
            "official documents named in the table; see data/README.md",
            (_first_le_last("first_year", "last_year"),),
        ),
        TableSchema(
            "spouse_age_gap.csv",
            (_int("gap", "an integer age gap [years]"), _num("probability", "a probability in [0, 1]", 0, 1)),
            ("gap",),
            {"gap": None},
            "husband's age minus wife's age (ASSUMPTION)",
            "labelled assumption, no source table; see data/README.md",
            (_shares_sum_to_one((), "probability"),),
        ),
        TableSchema(
            "care_prevalence.csv",
            (_SEX, _int("age_start", "an age 0..100", 0, 100), _int("age_end", "an age 0..100", 0, 100),
             _num("prevalence", _SHARE, 0, 1), _int("year", "a calendar year"), _text("source", "a source")),
            ("year", "sex", "age_start"),
            None,
            "share unable to care for oneself",
            "census 2020 level with CLHLS 2018 age/sex pattern; see data/README.md",
            (_care_ages,),
        ),
        TableSchema(
            "care_prevalence_province.csv",
            (_cat("region", regions.PROVINCE_NAMES, "one of the 31 province names"),
             _int("region_code", "a GB/T 2260 province code", 11, 65),
             _num("prevalence_60plus", _SHARE, 0, 1),
             _int("respondents_60plus", "a count of sample persons > 0", 1),
             _int("year", "a calendar year"), _text("source", "a source")),
            ("year", "region"),
            {"year": (2020,), "region": regions.PROVINCE_NAMES},
            "share of persons 60+ unable to care for oneself, by province",
            "NBS census 2020 long-form table 8-1; see data/README.md",
        ),
        TableSchema(
            "allowance_standards.csv",
            (_int("first_year", "a calendar year"), _int("last_year", "a calendar year"),
             _cat("residence", RESIDENCES_ALLOWANCE, "'total', 'urban' or 'rural'"),
             _num("amount", "an amount >= 0 [RMB per person per month]", 0),
             _text("basis", "how the amount arose"), _text("source", "a source")),
            ("first_year", "residence"),
            None,
            "national special-assistance standard, only child died",
            "MoF / NHFPC / NHC notices 2011, 2013, 2022; see data/README.md",
            (_first_le_last("first_year", "last_year"), _allowance_periods),
        ),
        TableSchema(
            "sweden_female.csv",
            (_YEAR, _AGE, _num("mx", _RATE, 0, _MX.high), _num("asfr", _ASFR, 0, 1),
             _num("population", "a population count >= 0 [persons]", 0)),
            ("year", "age"),
            {"year": None, "age": range(0, 101)},
            "Swedish women: death rate, fertility rate, population",
            "HMD / HFD (CC BY 4.0) via DemoKin; see data/README.md",
        ),
        TableSchema(
            "population_wpp.csv",
            (_YEAR, _SEX, _int("age_start", "the first age of a 5-year group 0..100 (100 = 100+)", 0, 100),
             _num("population", "a population count >= 0 [persons]", 0)),
            ("year", "sex", "age_start"),
            {"year": tuple(range(1950, 2021, 5)), "sex": SEXES, "age_start": tuple(range(0, 101, 5))},
            "population by 5-year age group, China (WPP estimates, 1 July)",
            _WPP + "; see data/README.md",
        ),
        TableSchema(
            "child_mortality_residence.csv",
            (_YEAR,
             _cat("indicator", CHILD_MORTALITY_INDICATORS, "'imr' (infant) or 'u5mr' (under-5 mortality)"),
             _cat("residence", RESIDENCES_URBAN_RURAL, "'urban' or 'rural'"),
             _num("value", "a mortality rate in (0, 1000] [deaths per 1000 live births]", 0, 1000, strict_min=True),
             _cat("unit", ("per 1000 live births",), "'per 1000 live births'"),
             _cat("origin", ORIGINS, "'published', 'second-hand' or 'derived'"),
             _cat("confidence", ("H", "M"), "'H' (seen verbatim at url) or 'M'"),
             _text("source", "a source"), _text("url", "where the value was seen")),
            ("year", "indicator", "residence"),
            None,
            "infant and under-5 mortality, urban and rural",
            "MCH surveillance (Ministry of Health / NHC) in published abstracts and NBS reports; "
            "see data/README.md",
            (_urban_rural_pairs,),
        ),
    )
}

#: Tables that may be absent from a data directory (built after the others).
OPTIONAL_SCHEMAS: dict[str, TableSchema] = {
    "parity_calibration.csv": TableSchema(
        "parity_calibration.csv",
        (_cat("kind", ("era", "province", "fingerprint"), "'era', 'province' or 'fingerprint'"),
         _text("name", "an era name or a province name"),
         _text("parameter", "a parity level or share name"),
         _text("province_rule", "the provincial fertility rule of a province row, 'all' for an era row"),
         _num("value", "a level >= 0 [relative to the first-birth level] or a share [0..1]", 0),
         _text("unit", "a unit"), _text("source", "a source")),
        ("kind", "name", "parameter", "province_rule"),
        None,
        "fitted parity-progression levels and shares",
        "lossproj parity calibration (lossproj data build --calibrate); see data/README.md",
    ),
}
SCHEMAS.update(OPTIONAL_SCHEMAS)

TABLES: tuple[str, ...] = tuple(SCHEMAS)


# ----------------------------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------------------------


def _fmt_value(v) -> str:
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _fmt_key(cols: Sequence[str], values: Sequence) -> str:
    return ", ".join(f"{c}={_fmt_value(v)}" for c, v in zip(cols, values, strict=True))


def _parse_columns(raw: pd.DataFrame, schema: TableSchema, fname: str) -> tuple[pd.DataFrame, list[str]]:
    """Convert the text cells to typed columns; list every bad cell."""
    problems: list[str] = []
    expected = [c.name for c in schema.columns]
    found = list(raw.columns)
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(repr(c) for c in missing))
        if extra:
            parts.append("unexpected column(s) " + ", ".join(repr(c) for c in extra))
        problems.append(
            f"{fname}, row 1 (header): {'; '.join(parts)}; expected columns {', '.join(expected)}"
        )
        return pd.DataFrame(), problems

    lines = pd.Series(np.arange(len(raw)) + 2, index=raw.index)
    out = pd.DataFrame(index=raw.index)
    for col in schema.columns:
        text = raw[col.name]
        empty = text.isna() | (text.fillna("").str.strip() == "")  # NaN: a short row
        where = f"column {col.name!r}"
        if (empty & ~col.nullable).any():
            for line in lines[empty]:
                problems.append(f"{fname}, row {line}, {where}: empty cell; expected {col.expect}")
        if col.kind == "str":
            values = text.where(~empty, None)
            if col.allowed is not None:
                bad = ~text.isin(col.allowed) & ~empty
                for line, v in zip(lines[bad], text[bad], strict=True):
                    hint = regions.closest_names(v, col.allowed)
                    did = f"; did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
                    noun = "known region" if col.name == "region" else "allowed value"
                    problems.append(
                        f"{fname}, row {line}, {where}: value {v!r} is not a {noun}{did} "
                        f"Expected {col.expect}" + (
                            f": {', '.join(col.allowed)}" if col.name == "region" else ""
                        )
                    )
            out[col.name] = values
            continue
        num = pd.to_numeric(text.where(~empty), errors="coerce")
        nonnum = num.isna() & ~empty
        for line, v in zip(lines[nonnum], text[nonnum], strict=True):
            problems.append(f"{fname}, row {line}, {where}: value {v!r} is not a number; expected {col.expect}")
        infinite = np.isinf(num)
        for line, v in zip(lines[infinite], text[infinite], strict=True):
            problems.append(f"{fname}, row {line}, {where}: value {v!r} is not finite; expected {col.expect}")
        num = num.where(~infinite)
        if col.kind == "int":
            frac = num.notna() & (num % 1 != 0)
            for line, v in zip(lines[frac], text[frac], strict=True):
                problems.append(f"{fname}, row {line}, {where}: value {v} is not an integer; expected {col.expect}")
            num = num.where(~frac)
        if col.minimum is not None:
            low = (num <= col.minimum) if col.strict_min else (num < col.minimum)
            for line, v in zip(lines[low], text[low], strict=True):
                what = "is negative" if col.minimum == 0 and not col.strict_min else (
                    f"is not above {_fmt_value(col.minimum)}" if col.strict_min else f"is below {_fmt_value(col.minimum)}"
                )
                problems.append(f"{fname}, row {line}, {where}: value {v.strip()} {what}; expected {col.expect}")
        if col.maximum is not None:
            high = num > col.maximum
            for line, v in zip(lines[high], text[high], strict=True):
                problems.append(
                    f"{fname}, row {line}, {where}: value {v.strip()} is above {_fmt_value(col.maximum)}; "
                    f"expected {col.expect}"
                )
        if col.kind == "int":
            out[col.name] = num.astype("Int64") if num.isna().any() else num.astype("int64")
        else:
            out[col.name] = num.astype("float64")
    out["_line"] = lines
    return out, problems


def _check_keys(df: pd.DataFrame, schema: TableSchema, fname: str) -> list[str]:
    problems: list[str] = []
    keys = list(schema.keys)
    if df[keys].isna().any().any():
        return problems  # the bad key cells are already reported
    dup = df.duplicated(keys, keep="first")
    if dup.any():
        first_line = df.drop_duplicates(keys, keep="first").set_index(keys)["_line"]
        for _, row in df[dup].iterrows():
            key = tuple(row[k] for k in keys)
            problems.append(
                f"{fname}, row {int(row['_line'])}, column(s) {', '.join(keys)}: duplicated key "
                f"({_fmt_key(keys, key)}), first at row {first_line.loc[key if len(keys) > 1 else key[0]]}; "
                f"expected one row per {', '.join(keys)}"
            )
    if schema.grid is None:
        return problems
    coverage: dict[str, list] = {}
    for k in keys:
        spec = schema.grid.get(k)
        present = pd.unique(df[k])
        if spec is None:
            if schema.column(k).kind == "int" and len(present):
                coverage[k] = list(range(int(min(present)), int(max(present)) + 1))
            else:
                coverage[k] = sorted(present)
        else:
            coverage[k] = list(spec)
            outside = ~df[k].isin(coverage[k])
            if schema.column(k).allowed is None:
                for line, v in zip(df.loc[outside, "_line"], df.loc[outside, k], strict=True):
                    problems.append(
                        f"{fname}, row {line}, column {k!r}: value {_fmt_value(v)} is outside the table's "
                        f"coverage; expected {_coverage_text(spec)}"
                    )
    expected_n = int(np.prod([len(v) for v in coverage.values()]))
    present_keys = set(map(tuple, df[keys].drop_duplicates().itertuples(index=False, name=None)))
    if len(present_keys) >= expected_n and not problems:
        return problems
    grid_text = " × ".join(f"{k} {_coverage_text(coverage[k])}" for k in keys)
    whole: list[str] = []
    for k in keys:
        present_values = set(df[k])
        absent = [v for v in coverage[k] if v not in present_values]
        whole += [f"no rows for {k}={_fmt_value(v)}" for v in absent]
    if whole:
        problems.append(
            f"{fname}: missing {', '.join(whole[:10])}{' …' if len(whole) > 10 else ''}; "
            f"expected a complete grid of {grid_text}"
        )
        return problems
    missing = [combo for combo in itertools.product(*coverage.values()) if combo not in present_keys]
    if missing:
        shown = "; ".join(f"({_fmt_key(keys, m)})" for m in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        problems.append(
            f"{fname}: missing row(s) {shown}{more}; expected a complete grid of {grid_text}"
        )
    return problems


def _coverage_text(values) -> str:
    values = list(values)
    if values and all(isinstance(v, int | np.integer) for v in values) and len(values) > 2 and (
        values == list(range(values[0], values[-1] + 1))
    ):
        return f"{values[0]}..{values[-1]}"
    if len(values) > 8:
        return f"{', '.join(map(str, values[:4]))}, …, {values[-1]} ({len(values)} values)"
    return ", ".join(map(str, values))


def validate_frame(raw: pd.DataFrame, schema: TableSchema, fname: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Check a table read as text against ``schema``.

    Parameters
    ----------
    raw : DataFrame
        The table with every cell as a string (empty cells as ``""``).
    schema : TableSchema
        The table's schema.
    fname : str, optional
        File name used in messages (default ``schema.name``).

    Returns
    -------
    (DataFrame, list of str)
        The typed table (with a ``_line`` column: the 1-based line in the file) and the list
        of problems found (empty when the table is valid).
    """
    fname = fname or schema.name
    df, problems = _parse_columns(raw, schema, fname)
    if df.empty and problems:
        return df, problems
    problems += _check_keys(df, schema, fname)
    if not problems:
        for check in schema.checks:
            problems += check(df, fname)
    return df, problems


#: The data directory of the current run (:func:`using_data_dir`); ``None``: the packaged one.
_ACTIVE_DIR: contextvars.ContextVar[Path | None] = contextvars.ContextVar(
    "lossproj_data_dir", default=None)


def active_data_dir() -> Path:
    """The directory tables are read from: the one of :func:`using_data_dir`, else ``data/``."""
    active = _ACTIVE_DIR.get()
    return active if active is not None else packaged_data_dir()


@contextlib.contextmanager
def using_data_dir(data_dir: Path | str | None):
    """Read every table from ``data_dir`` inside the ``with`` block (``None``: the packaged
    ``data/``); used by ``lossproj run --data-dir``."""
    token = _ACTIVE_DIR.set(Path(data_dir).resolve() if data_dir is not None else None)
    try:
        yield
    finally:
        _ACTIVE_DIR.reset(token)


def _resolve_dir(data_dir: Path | str | None) -> Path:
    return Path(data_dir) if data_dir is not None else active_data_dir()


def _read_text(path: Path, fname: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{fname}: not UTF-8 text ({err}); expected a UTF-8 CSV file") from None
    except pd.errors.ParserError as err:
        raise DataError(f"{fname}: not a readable CSV table ({err})") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{fname}: the file is empty; expected a header row and data rows") from None


def _summarise(problems: list[str]) -> str:
    shown = problems[:MAX_PROBLEMS]
    more = len(problems) - len(shown)
    return "\n".join(shown) + (f"\n… and {more} more problem(s)" if more else "")


@functools.lru_cache(maxsize=64)
def _load_cached(name: str, data_dir: str) -> pd.DataFrame:
    if name not in SCHEMAS:
        hint = regions.closest_names(name, TABLES)
        did = f"; did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
        raise DataError(f"unknown table {name!r}{did} Known tables: {', '.join(TABLES)}")
    path = Path(data_dir) / name
    if not path.is_file():
        raise DataError(f"{name}: file not found in {data_dir}; expected the table {name} (docs/data_contract.md)")
    raw = _read_text(path, name)
    df, problems = validate_frame(raw, SCHEMAS[name], name)
    if problems:
        raise DataError(_summarise(problems))
    return df.drop(columns="_line").reset_index(drop=True)


def load_table(name: str, data_dir: Path | None = None) -> pd.DataFrame:
    """Read and check one table of ``data/``.

    Parameters
    ----------
    name : str
        File name, e.g. ``"mortality_national.csv"`` (see :data:`TABLES`).
    data_dir : Path, optional
        Directory holding the tables (default: the packaged ``data/``).

    Returns
    -------
    DataFrame
        The table with typed columns (a copy: callers may modify it).

    Raises
    ------
    DataError
        If the file is missing or any cell, key or coverage check fails; the message names the
        file, the row (1-based line number, header = 1), the column, the value and what was
        expected.
    """
    return _load_cached(name, str(_resolve_dir(data_dir).resolve())).copy()


def clear_cache() -> None:
    """Forget tables read so far (e.g. after rewriting ``data/``)."""
    _load_cached.cache_clear()


# ----------------------------------------------------------------------------------------
# Labelled accessors
# ----------------------------------------------------------------------------------------


def _region_coords(da: xr.DataArray | xr.Dataset) -> xr.DataArray | xr.Dataset:
    names = [str(r) for r in da["region"].values]
    return da.assign_coords(
        region_code=("region", [regions.CODE_BY_NAME[r] for r in names]),
        region_zh=("region", [regions.ZH_BY_NAME[r] for r in names]),
    )


def _to_array(
    df: pd.DataFrame,
    dims: Sequence[str],
    value: str,
    *,
    name: str,
    units: str,
    table: str,
    order: dict[str, Sequence] | None = None,
) -> xr.DataArray:
    da = df.set_index(list(dims))[value].to_xarray()
    for dim, values in (order or {}).items():
        present = set(da[dim].values.tolist())
        da = da.reindex({dim: [v for v in values if v in present]})
    da = da.transpose(*dims)
    schema = SCHEMAS[table]
    da.name = name
    da.attrs = {"units": units, "long_name": schema.long_name, "source": schema.source, "table": table}
    if "region" in dims:
        da = _region_coords(da)
    return da


def population_wpp(data_dir: Path | None = None) -> xr.DataArray:
    """WPP national population [persons] at 1 July, dims (year, sex, age_start), 5-year groups."""
    df = load_table("population_wpp.csv", data_dir)
    return _to_array(df, ("year", "sex", "age_start"), "population", name="population_wpp",
                     units="persons", table="population_wpp.csv", order={"sex": SEXES})


def mortality_national(data_dir: Path | None = None) -> xr.DataArray:
    """National central death rates ``mx`` [deaths per person-year], dims (sex, year, age)."""
    df = load_table("mortality_national.csv", data_dir)
    return _to_array(df, ("sex", "year", "age"), "mx", name="mx", units="deaths per person-year",
                     table="mortality_national.csv", order={"sex": SEXES})


def fertility_national(variant: str = "medium", data_dir: Path | None = None) -> xr.DataArray:
    """National age-specific fertility [births per woman per year], dims (year, age).

    Parameters
    ----------
    variant : {"medium", "low", "high"}
        WPP 2024 variant (low/high equal medium before 2024).
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown fertility variant {variant!r}; known variants: {', '.join(VARIANTS)}")
    df = load_table("fertility_national.csv", data_dir)
    df = df[df["variant"] == variant]
    da = _to_array(df, ("year", "age"), "asfr", name="asfr", units="births per woman per year",
                   table="fertility_national.csv")
    da.attrs["variant"] = variant
    return da


def fertility_province_2020(data_dir: Path | None = None) -> xr.DataArray:
    """Provincial ASFR, census 2019-11..2020-10 [births per woman per year], dims (region, age)."""
    df = load_table("fertility_province_2020.csv", data_dir)
    return _to_array(df, ("region", "age"), "asfr", name="asfr", units="births per woman per year",
                     table="fertility_province_2020.csv", order={"region": ALL_REGIONS})


def base_population(census_year: int = 2020, data_dir: Path | None = None) -> xr.DataArray:
    """Census population on 1 November [persons], dims (region, sex, age)."""
    df = load_table("population_census.csv", data_dir)
    years = sorted(df["census_year"].unique().tolist())
    if census_year not in years:
        raise ValueError(f"no census population for {census_year!r}; available census years: {years}")
    df = df[df["census_year"] == census_year]
    da = _to_array(df, ("region", "sex", "age"), "population", name="population", units="persons",
                   table="population_census.csv", order={"region": ALL_REGIONS, "sex": SEXES})
    da.attrs["census_year"] = census_year
    return da


def province_e0_census(data_dir: Path | None = None) -> xr.DataArray:
    """Census life expectancy at birth [years], dims (region, sex, census_year)."""
    df = load_table("province_e0_census.csv", data_dir)
    return _to_array(df, ("region", "sex", "census_year"), "e0", name="e0", units="years",
                     table="province_e0_census.csv", order={"region": ALL_REGIONS, "sex": SEXES_BOTH})


def sex_ratio_at_birth(data_dir: Path | None = None) -> xr.DataArray:
    """Sex ratio at birth [male births per female birth], dims (year,)."""
    df = load_table("sex_ratio_at_birth.csv", data_dir)
    return _to_array(df, ("year",), "srb", name="srb", units="male births per female birth",
                     table="sex_ratio_at_birth.csv")


def wpp_e0_annual(data_dir: Path | None = None) -> xr.DataArray:
    """WPP 2024 life expectancy at birth [years], dims (sex, year), sex incl. ``both``."""
    df = load_table("wpp_e0_annual.csv", data_dir)
    return _to_array(df, ("sex", "year"), "e0", name="e0", units="years", table="wpp_e0_annual.csv",
                     order={"sex": SEXES_BOTH})


def wpp_tfr_annual(data_dir: Path | None = None) -> xr.DataArray:
    """WPP 2024 total fertility rate [children per woman], dims (variant, year)."""
    df = load_table("wpp_tfr_annual.csv", data_dir)
    return _to_array(df, ("variant", "year"), "tfr", name="tfr", units="children per woman",
                     table="wpp_tfr_annual.csv", order={"variant": VARIANTS})


def net_migration(data_dir: Path | None = None) -> xr.DataArray:
    """WPP 2024 medium net migrants [persons per year], dims (sex, year, age)."""
    df = load_table("net_migration.csv", data_dir)
    return _to_array(df, ("sex", "year", "age"), "net_migrants", name="net_migrants", units="persons per year",
                     table="net_migration.csv", order={"sex": SEXES})


def spouse_age_gap(data_dir: Path | None = None) -> xr.DataArray:
    """Probability of each husband-minus-wife age gap [fraction], dims (gap,). An ASSUMPTION."""
    df = load_table("spouse_age_gap.csv", data_dir)
    da = _to_array(df, ("gap",), "probability", name="spouse_age_gap", units="1", table="spouse_age_gap.csv")
    da["gap"].attrs["units"] = "years (husband's age - wife's age)"
    return da


def care_prevalence(year: int | None = None, data_dir: Path | None = None) -> xr.DataArray:
    """Share unable to care for oneself [fraction], dims (sex, age), single ages 60..100.

    Each age takes its group's value (groups in ``care_prevalence.csv``). Ages below the first
    group are not in the table; the caller decides what they mean.

    Parameters
    ----------
    year : int, optional
        Reference year of the prevalence rows (default: the only or latest one).
    """
    df = load_table("care_prevalence.csv", data_dir)
    years = sorted(df["year"].unique().tolist())
    year = years[-1] if year is None else year
    if year not in years:
        raise ValueError(f"no care prevalence for year {year!r}; available years: {years}")
    df = df[df["year"] == year]
    rows = [
        (sex, age, p)
        for sex, a0, a1, p in df[["sex", "age_start", "age_end", "prevalence"]].itertuples(index=False)
        for age in range(int(a0), int(a1) + 1)
    ]
    single = pd.DataFrame(rows, columns=["sex", "age", "prevalence"])
    da = _to_array(single, ("sex", "age"), "prevalence", name="care_prevalence", units="1",
                   table="care_prevalence.csv", order={"sex": SEXES})
    da.attrs["year"] = year
    return da


def care_prevalence_province(data_dir: Path | None = None) -> xr.DataArray:
    """Each province's 2020 census share of persons 60+ unable to care for themselves
    [fraction], dims (region,), both sexes (``care_prevalence_province.csv``)."""
    df = load_table("care_prevalence_province.csv", data_dir)
    da = _to_array(df, ("region",), "prevalence_60plus", name="care_prevalence_60plus",
                   units="1", table="care_prevalence_province.csv",
                   order={"region": regions.PROVINCE_NAMES})
    da.attrs["year"] = int(df["year"].iloc[0])
    return da


def allowance_standards(data_dir: Path | None = None) -> xr.DataArray:
    """Monthly special-assistance amount [RMB per person per month], dims (year, residence).

    ``residence`` is ``urban``/``rural``; a ``total`` row (one national standard) applies to
    both. Years not covered by any row (before the scheme) are absent.
    """
    df = load_table("allowance_standards.csv", data_dir)
    rows = []
    for first, last, res, amount in df[["first_year", "last_year", "residence", "amount"]].itertuples(index=False):
        for year in range(int(first), int(last) + 1):
            for r in (("urban", "rural") if res == "total" else (res,)):
                rows.append((year, r, amount))
    annual = pd.DataFrame(rows, columns=["year", "residence", "amount"])
    return _to_array(annual, ("year", "residence"), "amount", name="allowance_amount",
                     units="RMB per person per month", table="allowance_standards.csv",
                     order={"residence": ("urban", "rural")})


def sweden_female(data_dir: Path | None = None) -> xr.Dataset:
    """Swedish women 1900-2018: ``mx``, ``asfr``, ``population``, each with dims (year, age)."""
    df = load_table("sweden_female.csv", data_dir)
    units = {"mx": "deaths per person-year", "asfr": "births per woman per year", "population": "persons"}
    ds = df.set_index(["year", "age"]).to_xarray()
    for var, unit in units.items():
        ds[var].attrs = {"units": unit, "long_name": f"Swedish women: {var}"}
    ds.attrs = {"source": SCHEMAS["sweden_female.csv"].source, "table": "sweden_female.csv"}
    return ds


def parity_order_rates_2010(data_dir: Path | None = None) -> pd.DataFrame:
    """Order-specific fertility rates by age, 2010 census (national), as a table."""
    return load_table("parity_order_rates_2010.csv", data_dir)


def births_by_order(data_dir: Path | None = None) -> pd.DataFrame:
    """Census births by order 1/2/3+ and shares, 2010 and 2020, as a table."""
    return load_table("births_by_order.csv", data_dir)


def parity_cohort(data_dir: Path | None = None) -> pd.DataFrame:
    """Cohort cumulative fertility by order (Duan & Chen 2022), as a table."""
    return load_table("parity_cohort.csv", data_dir)


def mean_ceb_2020(data_dir: Path | None = None) -> pd.DataFrame:
    """Mean children ever born / surviving, women 15-64, 2020, as a table."""
    return load_table("mean_ceb_2020.csv", data_dir)


def only_children_2005(data_dir: Path | None = None) -> pd.DataFrame:
    """Share of persons 0-30 who are only children, 2005, as a table."""
    return load_table("only_children_2005.csv", data_dir)


def policy_eras(data_dir: Path | None = None) -> pd.DataFrame:
    """Fertility policy eras with sources, as a table."""
    return load_table("policy_eras.csv", data_dir)


def child_mortality_residence(data_dir: Path | None = None) -> pd.DataFrame:
    """Urban and rural infant and under-5 mortality [deaths per 1000 live births], as a table.

    One row per (year, indicator, residence) with the row's source, origin and confidence.
    """
    return load_table("child_mortality_residence.csv", data_dir)


# ----------------------------------------------------------------------------------------
# Checksums and whole-directory checks
# ----------------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    """Hex SHA-256 digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def checksums(data_dir: Path | None = None) -> dict[str, str]:
    """SHA-256 of every known table present in ``data_dir`` (file name → hex digest)."""
    d = _resolve_dir(data_dir)
    return {name: sha256_file(d / name) for name in TABLES if (d / name).is_file()}


def recorded_checksums(data_dir: Path | None = None) -> dict[str, str]:
    """The checksums written by the preparation script (``checksums.json``); empty if absent."""
    path = _resolve_dir(data_dir) / CHECKSUM_FILE
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, TypeError, ValueError) as err:
        raise DataError(f"{CHECKSUM_FILE}: not a JSON object of file name -> sha256 ({err})") from None


def _population_sums(df: pd.DataFrame, fname: str) -> list[str]:
    """Provinces add up to the China rows per census year, sex and age (relative 1e-6)."""
    prov = df[df["region"] != regions.NATIONAL].groupby(["census_year", "sex", "age"])["population"].sum()
    nat = df[df["region"] == regions.NATIONAL].set_index(["census_year", "sex", "age"])["population"]
    both = pd.concat({"provinces": prov, "china": nat}, axis=1)
    rel = (both["provinces"] - both["china"]).abs() / both["china"].abs().clip(lower=1.0)
    bad = both[(rel > SUM_RTOL) | both.isna().any(axis=1)]
    return [
        f"{fname}: census_year={y}, sex={s!r}, age={a}: provinces sum to {p:.10g} but China is "
        f"{c:.10g}; expected equal within {SUM_RTOL:g} relative"
        for (y, s, a), p, c in zip(bad.index, bad["provinces"], bad["china"], strict=True)
    ]


#: National totals a population table may hold, per census or estimate year [persons]: China's
#: population lay between 0.5 and 1.6 billion from 1950 on; a table in thousands (or in
#: millions) falls outside.
NATIONAL_POPULATION_RANGE = (5e8, 1.6e9)


def _population_magnitude(year_col: str, national_only: bool) -> Callable[[pd.DataFrame, str], list[str]]:
    """National totals per year within :data:`NATIONAL_POPULATION_RANGE` (persons, not thousands)."""
    def check(df: pd.DataFrame, fname: str) -> list[str]:
        rows = df if national_only else df[df["region"] == regions.NATIONAL]
        totals = rows.groupby(year_col)["population"].sum()
        lo, hi = NATIONAL_POPULATION_RANGE
        return [
            f"{fname}: {year_col}={year}: China's population sums to {total:,.0f}; expected "
            f"{lo:,.0f}..{hi:,.0f} persons (is the table in thousands?)"
            for year, total in totals.items() if not lo <= total <= hi
        ]
    return check


def _fertility_variants(df: pd.DataFrame, fname: str) -> list[str]:
    """low/high variants equal medium before 2024 (data contract)."""
    wide = df.pivot_table(index=["year", "age"], columns="variant", values="asfr")
    early = wide[wide.index.get_level_values("year") < 2024]
    out = []
    for v in ("low", "high"):
        if v in early and "medium" in early:
            diff = (early[v] - early["medium"]).abs()
            for (year, age), d in diff[diff > 1e-12].head(5).items():
                out.append(f"{fname}: variant={v!r}, year={year}, age={age}: differs from medium by {d:.3g}; "
                           "expected low/high equal to medium before 2024")
    return out


CROSS_CHECKS: dict[str, tuple[Callable[[pd.DataFrame, str], list[str]], ...]] = {
    "population_census.csv": (_population_sums, _population_magnitude("census_year", False)),
    "population_wpp.csv": (_population_magnitude("year", True),),
    "fertility_national.csv": (_fertility_variants,),
}


def check_all(data_dir: Path | None = None, tables: Iterable[str] | None = None) -> list[str]:
    """Check every table in ``data_dir``, then the cross-table rules and checksums.

    Parameters
    ----------
    data_dir : Path, optional
        Directory holding the tables (default: the packaged ``data/``).
    tables : iterable of str, optional
        Only these tables (default: all of :data:`TABLES`).

    Returns
    -------
    list of str
        One line per problem, naming the table, coordinate and value; empty if all pass.
    """
    d = _resolve_dir(data_dir)
    problems: list[str] = []
    if not d.is_dir():
        return [f"data directory {d} does not exist"]
    names = list(tables) if tables is not None else list(TABLES)
    recorded = recorded_checksums(d) if (d / CHECKSUM_FILE).is_file() else {}
    for name in names:
        path = d / name
        if name not in SCHEMAS:
            problems.append(f"{name}: not a known table; known tables: {', '.join(TABLES)}")
            continue
        if not path.is_file():
            if name not in OPTIONAL_SCHEMAS or name in recorded:
                problems.append(f"{name}: file not found in {d}"
                                + (f" (recorded in {CHECKSUM_FILE})" if name in recorded else ""))
            continue
        try:
            raw = _read_text(path, name)
        except DataError as err:
            problems.append(str(err))
            continue
        df, found = validate_frame(raw, SCHEMAS[name], name)
        if not found:
            for cross in CROSS_CHECKS.get(name, ()):
                found += cross(df, name)
        problems += found[:MAX_PROBLEMS]
        if len(found) > MAX_PROBLEMS:
            problems.append(f"{name}: … and {len(found) - MAX_PROBLEMS} more problem(s)")
        if recorded and name in recorded and recorded[name] != sha256_file(path):
            problems.append(
                f"{name}: sha256 {sha256_file(path)[:12]}… differs from {CHECKSUM_FILE} "
                f"({recorded[name][:12]}…); the table changed after `lossproj data build` wrote it"
            )
    return problems


def verify_for_run(data_dir: Path | str | None = None) -> None:
    """Check a data directory before a run uses it; raise :class:`DataError` listing problems.

    The packaged ``data/`` (``data_dir=None``) is verified cheaply: every table recorded in
    ``checksums.json`` is present with its recorded SHA-256 (so an edited, rescaled or deleted
    table — the parity calibration included — is refused), and the census provinces add up to
    China. A user's directory gets the full :func:`check_all` (every schema, the cross-table
    rules, and its own ``checksums.json`` when it has one). A directory whose files have not
    changed since it last passed (same names, sizes and modification times) is not checked again
    in the same process.
    """
    stamp = _directory_stamp(Path(data_dir) if data_dir is not None else packaged_data_dir())
    if stamp in _VERIFIED:
        return
    _verify(data_dir)
    _VERIFIED.add(stamp)


#: Stamps (:func:`_directory_stamp`) of data directories that passed :func:`verify_for_run`.
_VERIFIED: set[tuple] = set()


def _directory_stamp(d: Path) -> tuple:
    if not d.is_dir():
        return (str(d),)
    return (str(d.resolve()), *sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns)
                                      for f in d.iterdir() if f.is_file()))


def _verify(data_dir: Path | str | None) -> None:
    if data_dir is not None:
        d = Path(data_dir)
        problems = check_all(d)
        where = f"data directory {d}"
    else:
        d = packaged_data_dir()
        where = f"the packaged data directory {d}"
        recorded = recorded_checksums(d)
        if not recorded:
            problems = [f"{CHECKSUM_FILE}: missing or empty in {d}; reinstall lossproj"]
        else:
            problems = []
            for name, digest in sorted(recorded.items()):
                path = d / name
                if not path.is_file():
                    problems.append(f"{name}: file not found (recorded in {CHECKSUM_FILE})")
                elif sha256_file(path) != digest:
                    problems.append(
                        f"{name}: sha256 {sha256_file(path)[:12]}… differs from {CHECKSUM_FILE} "
                        f"({digest[:12]}…): the table was changed after `lossproj data build` "
                        "wrote it")
            if not problems:
                census = load_table("population_census.csv", d)
                for cross in CROSS_CHECKS["population_census.csv"]:
                    problems += cross(census, "population_census.csv")
    if problems:
        fix = ("restore the packaged tables (reinstall lossproj, or `git checkout data/` in a "
               "checkout), or run on a copy with `lossproj run --data-dir DIR`, which checks "
               "every table in full") if data_dir is None else "fix the tables listed (`lossproj data check --data-dir DIR` lists them)"
        raise DataError(f"{where} fails its checks ({len(problems)} problem(s)); {fix}:\n"
                        + _summarise(problems))
