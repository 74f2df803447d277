"""Planner indicators: parent age bands, policy rules counted by province and year.

The rules planners apply to strict shidu parents, each a dataclass with its value, unit and
source, and the arithmetic that turns a projection into their counts and budgets:

- care-dependence prevalence by province (national age-sex pattern scaled to each province's
  2020 census level);
- priority admission to public care homes (Beijing's rule: care-dependent **or** aged 70+);
- allowance schedules by province or city from a rule table (monthly amount by category, sex
  and age threshold, years in force, annual indexation), priced on eligible shidu parents.

Eligibility for the national special assistance (mother aged 49+, the couple counted) is the
engines' ``eligible_shidu_parents``. This module reads no file except the user's rule table.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from lossproj import regions as reg
from lossproj.errors import ConfigError, DataError

#: Parent age bands of planner tables: label → (lowest age included [years of age], Chinese).
AGE_BANDS: dict[str, tuple[int, str]] = {
    "all ages": (0, "全部年龄"),
    "49+": (49, "49岁及以上"),
    "55+": (55, "55岁及以上"),
    "60+": (60, "60岁及以上"),
    "70+": (70, "70岁及以上"),
    "80+": (80, "80岁及以上"),
}


@dataclass(frozen=True)
class Indicator:
    """A planner indicator: variable, sheet name, Chinese name and the unit it is shown in.

    ``divisor`` converts the variable's unit to the shown one (RMB → RMB 10,000 = 1e4).
    """

    variable: str
    sheet: str
    zh: str
    unit: str
    divisor: float = 1.0


#: RMB per 万元 (the unit planners write budgets in).
RMB_PER_WAN = 1e4

#: Indicator sheets, in the order planners read them (those absent from a result are skipped).
INDICATORS: tuple[Indicator, ...] = (
    Indicator("shidu_parents_strict", "shidu_parents", "失独父母（独生子女死亡）",
              "persons / 人"),
    Indicator("shidu_parents_wide", "shidu_parents_wide", "失独父母（宽口径：现无存活子女）",
              "persons / 人"),
    Indicator("eligible_shidu_parents", "eligible", "符合特别扶助条件的失独父母（女方49岁及以上）",
              "persons / 人"),
    Indicator("care_dependent_shidu_parents", "care_dependent", "生活不能自理的失独父母",
              "persons / 人"),
    Indicator("priority_care_shidu_parents", "priority_care_Beijing_rule",
              "优先入住公办养老机构的失独父母（北京规则：不能自理或70岁及以上）", "persons / 人"),
    Indicator("allowance_cost", "budget_national", "特别扶助金支出（情景标准）",
              "RMB 10,000 per year / 万元每年", RMB_PER_WAN),
    Indicator("allowance_cost_local", "budget_local_rule", "特别扶助金支出（地方规则，如广州标准）",
              "RMB 10,000 per year / 万元每年", RMB_PER_WAN),
    Indicator("new_shidu_parents", "new_shidu_parents", "当年新增失独父母", "persons per year / 人每年"),
    Indicator("shidu_families", "shidu_families", "失独家庭（按母亲年龄）", "couples / 户"),
    Indicator("one_child_parents", "one_child_parents", "独生子女父母", "persons / 人"),
    Indicator("one_child_families", "one_child_families", "独生子女家庭（按母亲年龄）",
              "couples / 户"),
    Indicator("population", "population", "人口", "persons / 人"),
)


def indicators_of(ds: xr.Dataset) -> list[Indicator]:
    """The indicators :data:`INDICATORS` present in ``ds``."""
    return [i for i in INDICATORS if i.variable in ds.data_vars]


def indicator(variable: str) -> Indicator:
    """The :class:`Indicator` of ``variable``; ``ConfigError`` naming the known ones."""
    for ind in INDICATORS:
        if ind.variable == variable:
            return ind
    raise ConfigError(f"no planner indicator {variable!r}; known: "
                     f"{', '.join(i.variable for i in INDICATORS)}")


def band_totals(da: xr.DataArray, bands: dict[str, tuple[int, str]] = AGE_BANDS) -> xr.DataArray:
    """Sums of ``da`` over sex (if present) and the ages of each open band, dim ``age_band``.

    A cell is missing (NaN) where every summed value is missing: a region not computed in a
    scenario stays missing, it does not become 0.

    Parameters
    ----------
    da : DataArray with an ``age`` dim [persons, or RMB per year]
    bands : mapping label → (lowest age [years of age], Chinese label)
    """
    if "sex" in da.dims:
        da = da.sum("sex", min_count=1)
    # sums from each age up (reverse cumulative sums), and how many values were present
    backwards = {"age": slice(None, None, -1)}
    upward = da.fillna(0.0).isel(backwards).cumsum("age").isel(backwards)
    present = da.notnull().isel(backwards).cumsum("age").isel(backwards)
    lows = [lo for lo, _ in bands.values()]
    out = upward.sel(age=lows).where(present.sel(age=lows) > 0)
    out = out.rename(age="age_band").assign_coords(age_band=list(bands))
    out.attrs = dict(da.attrs)
    return out


# --------------------------------------------------------------------------------------------
# Eligibility for the national special assistance
# --------------------------------------------------------------------------------------------

#: Columns of a couple table (:func:`eligible_parents`).
COUPLE_COLUMNS = ("mother_age", "father_age", "mother_alive", "father_alive", "strict_shidu",
                  "weight")


def eligible_parents(couples: pd.DataFrame, eligibility_age: int = 49) -> pd.DataFrame:
    """Eligible shidu parents of a couple table, by the parent's own sex and age.

    The national special assistance (计划生育家庭特别扶助) is paid to **both** living parents of
    a couple whose only child died, with no later birth, once the **mother** is aged
    ``eligibility_age`` or more: a father of 50 whose wife is 45 is not eligible, a father of
    45 whose wife is 49 is. The mother's age is the couple's clock; where she has died it is
    the age she would have (her husband's age minus the couple's age gap).

    Parameters
    ----------
    couples : DataFrame with columns :data:`COUPLE_COLUMNS` — ages [years of age], alive flags,
        ``strict_shidu`` (only child died, no later birth) and ``weight`` [couples]
    eligibility_age : int — the mother's age from which the couple is eligible [years of age]

    Returns
    -------
    DataFrame with columns ``sex, age, eligible`` [persons], one row per living eligible
    parent's sex and own age.

    Notes
    -----
    This is the reference the engines' ``eligible_shidu_parents`` is checked against.
    """
    missing = [c for c in COUPLE_COLUMNS if c not in couples.columns]
    if missing:
        raise DataError(f"couple table lacks column(s) {', '.join(missing)}")
    ok = couples[couples["strict_shidu"].astype(bool)
                 & (couples["mother_age"] >= eligibility_age)]
    parts = []
    for sex, age, alive in (("female", "mother_age", "mother_alive"),
                            ("male", "father_age", "father_alive")):
        living = ok[ok[alive].astype(bool)]
        parts.append(pd.DataFrame({"sex": sex, "age": living[age].astype(int),
                                   "eligible": living["weight"].astype(float)}))
    out = pd.concat(parts, ignore_index=True)
    return out.groupby(["sex", "age"], as_index=False)["eligible"].sum()


# --------------------------------------------------------------------------------------------
# Care dependence by province
# --------------------------------------------------------------------------------------------


def provincial_care_prevalence(national: xr.DataArray, level_60plus: xr.DataArray,
                               population: xr.DataArray) -> xr.DataArray:
    """National age-sex prevalence scaled to each province's 60+ level.

    Parameters
    ----------
    national : DataArray (sex, age) — share unable to care for oneself [fraction]
    level_60plus : DataArray (region,) — province's share of persons 60+ [fraction]
    population : DataArray (region, sex, age) — population of the same year [persons]

    Returns
    -------
    DataArray (region, sex, age) [fraction]

    Notes
    -----
    ``p_r(s, a) = k_r p(s, a)`` with ``k_r = L_r Σ_{a≥60} P_r / Σ_{a≥60} p P_r``: the province's
    population-weighted 60+ prevalence equals its census level ``L_r``. Shares above 1 after
    scaling raise (they would mean the national pattern does not fit the province).
    """
    prev = national.reindex(age=population["age"], fill_value=0.0)
    old = population.where(population["age"] >= 60, 0.0).sel(region=level_60plus["region"])
    implied = (old * prev).sum(["sex", "age"]) / old.sum(["sex", "age"])
    factor = level_60plus / implied
    out = factor * prev
    if float(out.max()) > 1.0:
        raise DataError("provincial care prevalence above 1: the national age pattern does "
                         "not fit a province's level")
    out.attrs = {"units": "1", "long_name": "share unable to care for oneself"}
    return out.transpose("region", "sex", "age")


# --------------------------------------------------------------------------------------------
# Priority admission to public care homes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PriorityCareRule:
    """Priority admission to public care homes for strict shidu parents who are care-dependent
    or at least ``age`` years old.

    Attributes
    ----------
    age : int — age from which every shidu parent qualifies [years of age]
    description, source : str
    """

    age: int
    description: str
    source: str


#: Beijing's rule: care-dependent shidu parents, and all shidu parents aged 70+.
BEIJING_PRIORITY_CARE = PriorityCareRule(
    age=70,
    description="priority admission to public care homes: shidu parents who are care-dependent "
    "or aged 70+ (Beijing rule) / 失独父母生活不能自理或年满70周岁的优先入住公办养老机构（北京）",
    source="Beijing municipal rule for family-planning special families as stated by the "
    "planners' request (lossproj issue 12); the municipal document number is not recorded here",
)


def priority_care_parents(shidu: xr.DataArray, care_dependent: xr.DataArray,
                          rule: PriorityCareRule = BEIJING_PRIORITY_CARE) -> xr.DataArray:
    """Shidu parents qualifying under ``rule``: care-dependent below ``rule.age``, all from it.

    Parameters
    ----------
    shidu : DataArray (..., age) — strict shidu parents [persons]
    care_dependent : DataArray (..., age) — care-dependent strict shidu parents [persons]
    """
    return xr.where(shidu["age"] >= rule.age, shidu, care_dependent)


# --------------------------------------------------------------------------------------------
# Allowance rules
# --------------------------------------------------------------------------------------------

#: Columns of an allowance rule table, with what each must hold.
RULE_COLUMNS: dict[str, str] = {
    "region": "a province (English or Chinese name, or GB/T 2260 code)",
    "category": "a label of the payment (e.g. base, supplement)",
    "sex": "'female', 'male' or 'both'",
    "age_min": "the age from which the amount is paid, an integer 0..100 [years of age]",
    "monthly": "an amount >= 0 [RMB per person per month]",
    "first_year": "the first year in force [year]",
    "last_year": "the last year in force [year]",
    "indexation": "the annual relative change from first_year, > -1 [per year]",
    "source": "where the rule is published",
}


@dataclass(frozen=True)
class AllowanceRule:
    """One line of a local allowance schedule.

    The amount in year ``y`` is ``monthly × (1 + indexation) ** (y − first_year)`` [RMB per
    person per month] for eligible shidu parents of ``sex`` aged ``age_min`` or more.
    """

    region: str
    category: str
    sex: str
    age_min: int
    monthly: float
    first_year: int
    last_year: int
    indexation: float = 0.0
    source: str = ""


def read_allowance_rules(path: str | Path) -> tuple[AllowanceRule, ...]:
    """Read a CSV table of allowance rules (columns :data:`RULE_COLUMNS`).

    Raises
    ------
    DataError
        Naming the file, the row (line number, header = 1) and the column of every bad cell:
        an unknown region, a negative amount, an age threshold outside 0..100, a year range
        that ends before it starts or overlaps another of the same region, category and sex.
    """
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: not a readable UTF-8 CSV table of allowance rules ({exc})") from None
    missing = [c for c in RULE_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)}; an allowance rule "
                        f"table has {', '.join(RULE_COLUMNS)}")
    problems: list[str] = []
    rules: list[tuple[int, AllowanceRule]] = []
    for i, row in enumerate(raw.to_dict("records")):
        line = i + 2
        bad = len(problems)

        def cell(column, convert, ok, row=row, line=line):
            text = str(row[column]).strip()
            try:
                value = convert(text)
            except ValueError:
                value = None
            if value is None or not ok(value):
                problems.append(f"{path}, row {line}, column {column!r}: value {text!r}; "
                                f"expected {RULE_COLUMNS[column]}")
                return None
            return value

        region = cell("region", reg.resolve_region, lambda v: v in reg.PROVINCE_NAMES)
        category = cell("category", str, bool)
        sex = cell("sex", str, lambda v: v in ("female", "male", "both"))
        age_min = cell("age_min", int, lambda v: 0 <= v <= 100)
        monthly = cell("monthly", float, lambda v: np.isfinite(v) and v >= 0)
        first = cell("first_year", int, lambda v: True)
        last = cell("last_year", int, lambda v: True)
        index = cell("indexation", lambda t: float(t) if t else 0.0,
                     lambda v: np.isfinite(v) and v > -1)
        if first is not None and last is not None and last < first:
            problems.append(f"{path}, row {line}, column 'last_year': value {last} is before "
                            f"first_year {first}; expected last_year >= first_year")
        if len(problems) == bad:
            rules.append((line, AllowanceRule(region, category, sex, age_min, monthly, first,
                                              last, index, str(row["source"]))))
    for (l1, a), (l2, b) in itertools.combinations(rules, 2):
        same = (a.region, a.category) == (b.region, b.category) and (
            "both" in (a.sex, b.sex) or a.sex == b.sex)
        if same and a.first_year <= b.last_year and b.first_year <= a.last_year:
            problems.append(f"{path}, row {l2}, column 'first_year': years {b.first_year}-"
                            f"{b.last_year} overlap row {l1} ({a.first_year}-{a.last_year}) for "
                            f"{b.region}, {b.category!r}, {b.sex}; expected one amount per year")
    if problems:
        raise DataError("\n".join(problems))
    return tuple(rule for _, rule in rules)


def guangzhou_rules(rule, first_year: int, last_year: int) -> tuple[AllowanceRule, ...]:
    """The Guangzhou rule of a config (``config.allowance.guangzhou``) as allowance rules for
    the regions it names, in force over ``first_year..last_year``."""
    if rule is None:
        return ()
    source = rule.source or "Guangzhou rule"
    out = []
    for region in rule.regions:
        out.append(AllowanceRule(region, "Guangzhou base", "both", 0, rule.monthly, first_year,
                                 last_year, 0.0, source))
        for sex, age in (("male", rule.supplement_age_male), ("female", rule.supplement_age_female)):
            out.append(AllowanceRule(region, "Guangzhou supplement", sex, age, rule.supplement,
                                     first_year, last_year, 0.0, source))
    return tuple(out)


def monthly_amount(rules, region: str, years, sexes, ages) -> xr.DataArray:
    """Monthly amount per eligible parent under ``rules`` in ``region`` [RMB per person per
    month], dims (year, sex, age); 0 where no rule is in force."""
    years, ages = np.asarray(years), np.asarray(ages)
    out = xr.DataArray(np.zeros((years.size, len(sexes), ages.size)), dims=("year", "sex", "age"),
                       coords={"year": years, "sex": list(sexes), "age": ages})
    for r in rules:
        if r.region != region:
            continue
        in_force = (years >= r.first_year) & (years <= r.last_year)
        level = np.where(in_force, r.monthly * (1.0 + r.indexation) ** (years - r.first_year), 0.0)
        sex_ok = np.array([r.sex in ("both", s) for s in sexes], dtype=float)
        age_ok = (ages >= r.age_min).astype(float)
        out += level[:, None, None] * sex_ok[None, :, None] * age_ok[None, None, :]
    return out


def rule_regions(rules) -> list[str]:
    """Provinces some rule prices, in GB/T code order."""
    named = {r.region for r in rules}
    return [n for n in reg.PROVINCE_NAMES if n in named]


def local_allowance_cost(eligible: xr.DataArray, rules) -> xr.DataArray:
    """``allowance_cost_local`` [RMB per year]: eligible parents × 12 × the local monthly amount
    in every region a rule names; missing (NaN) in the others, and for ``China`` unless every
    province has a rule (a partial sum is never labelled China).

    eligible : DataArray (..., year, region, sex, age) [persons]
    """
    priced = rule_regions(rules)
    cost = xr.full_like(eligible, np.nan, dtype=float)
    regions_present = [str(r) for r in eligible["region"].values]
    for region in priced:
        if region not in regions_present:
            continue
        amount = monthly_amount(rules, region, eligible["year"].values, eligible["sex"].values,
                                eligible["age"].values)
        cost.loc[{"region": region}] = eligible.sel(region=region) * 12.0 * amount
    if reg.NATIONAL in regions_present and set(priced) == set(reg.PROVINCE_NAMES):
        provinces = cost.sel(region=list(reg.PROVINCE_NAMES))
        cost.loc[{"region": reg.NATIONAL}] = provinces.sum("region")
    return cost
