"""Build the packaged population, mortality and fertility tables from the raw source tables.

Reads the raw CSV files named below (``shared/data/raw/``, see its PROVENANCE.md) and writes
the tidy tables of docs/data_contract.md into an output folder:

    population_census.csv, mortality_national.csv, province_e0_census.csv,
    fertility_national.csv, fertility_province_2020.csv, sex_ratio_at_birth.csv,
    wpp_e0_annual.csv, wpp_tfr_annual.csv, net_migration.csv

The numerical work is done by the package functions in ``lossproj.rates``; this script only
reads, reshapes, checks and writes. ``TABLE_NOTES`` holds one provenance paragraph per table
for data/README.md.

Usage::

    PYTHONPATH=src python scripts/prep_rates.py RAW_DIR OUT_DIR
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from lossproj.errors import DataError
from lossproj.rates.fertility import FIRST_AGE, LAST_AGE
from lossproj.rates.graduation import graduate_counts, graduate_rates_5y, rake_to_total
from lossproj.rates.lifetable import N_AGES, life_expectancy
from lossproj.rates.mortality import (
    ABRIDGED_STARTS,
    SEXES,
    interpolate_years,
    scale_to_e0,
    single_age_mx,
)
from lossproj.regions import NAME_BY_CODE, PROVINCES

log = logging.getLogger("prep_rates")

#: UN M49 code of China in the WPP tables.
WPP_CHINA = 156
#: First projection year of WPP 2024 (low/high variants exist from here on).
WPP_FIRST_PROJECTION_YEAR = 2024
#: Census years whose populations are graduated.
CENSUS_YEARS = (2010, 2020)
#: Youngest age in 2020 that takes its within-group shape from the 2010 single-age census
#: (cohorts aged 5+ in 2010; ages 0-4 in 2010 were under-enumerated).
GUIDED_MIN_AGE_2020 = 15

RAW = {
    "pop5": "cn_census_pop_province_age5_sex_2010_2020.csv",
    "pop1_2010": "cn_census2010_pop_single_age_sex.csv",
    "mx5": "wpp2024_mx_abridged_5yr_periods.csv",
    "e0": "wpp2024_e0_annual.csv",
    "e0_province": "cn_province_e0_1990_2000_2010_2020.csv",
    "pasfr": "wpp2024_pasfr_asfr_age5_annual.csv",
    "tfr": "wpp2024_tfr_annual.csv",
    "asfr_province": "cn_census2020_asfr_province.csv",
    "srb": "wpp2024_srb_annual.csv",
    "netmig": "wpp2024_netmig_age1_sex_proj.csv",
}

_WPP = (
    "United Nations, DESA, Population Division (2024), *World Population Prospects 2024*, "
    "license CC BY 3.0 IGO; carried by the R data package PPgp/wpp2024 (GitHub snapshot "
    "2da7768ae64fc74105d3f9e98f9a74d37b62f99a), China (M49 156) rows"
)
_NBS = (
    "National Bureau of Statistics of China (NBS) / Population Census Office, official census "
    "statistics (no explicit open-data license)"
)

TABLE_NOTES: dict[str, str] = {
    "population_census.csv": (
        f"Census population on 1 November 2010 and 2020 [persons] by province (31 + `China`), "
        f"sex and single age 0..100 (100 = 100+). Source: {_NBS}, tables 1-7 (2010) and 1-5 "
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
    "mortality_national.csv": (
        f"National central death rates mx [deaths per person-year], by sex, single age 0..100 "
        f"(100 = 100+) and single year 1950..2100. Source: {_WPP}: abridged mx by 5-year period "
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
        f"and 2020 by province and `China`, sexes female/male/both. Source: {_NBS}; 1990-2010 "
        "as printed in the China Health Statistics Yearbook 2018 (census-based), via GitHub "
        "fangshuai53/China-Life-Expectancy-Project (MIT); 2020 via GitHub HLGhpz/Data-Handle-TS "
        "(MIT). Corrections made in the raw table and kept (see `note`): Sichuan 1990 values "
        "moved from the source's Chongqing row; Zhejiang 1990 both-sexes 71.38 -> 71.78; "
        "Xinjiang 1990 both-sexes 63.59 -> 62.59. Added here: Chongqing 1990 (part of Sichuan "
        "then, no value in the source) is filled with Sichuan's 1990 values, stated in `note`. "
        "Flag kept as printed: Jiangxi 2020 male 78.08 exceeds its both-sexes 77.64 (probable "
        "source typo; the male differential of Jiangxi 2020 is therefore doubtful)."
    ),
    "fertility_national.csv": (
        f"National age-specific fertility rates asfr [births per woman per year] by single age "
        f"of mother 15..49, years 1950..2100, variants medium/low/high. Source: {_WPP}: annual "
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
        f"Source: {_NBS}, China Population Census Yearbook 2020 table 6-4 各地区育龄妇女年龄别生育率, "
        "transcribed in GitHub HLGhpz/Data-Handle-TS (MIT). Transformation: per 1000 women -> "
        "per woman; 5-year groups 15-19 ... 45-49 graduated to single ages by a PCHIP spline of "
        "cumulative fertility (`graduate_rates_5y`), keeping each group's sum x 5, so the TFR "
        "equals the census 5 x Σ ASFR (= printed TFR to rounding)."
    ),
    "sex_ratio_at_birth.csv": (
        f"Sex ratio at birth srb [male births per female birth], annual 1950..2100 (estimates to "
        f"2023, medium projection after). Source: {_WPP} (data/sexRatio1dt.rda). No "
        "transformation."
    ),
    "wpp_e0_annual.csv": (
        f"Life expectancy at birth e0 [years], annual 1950..2100, sexes female/male/both "
        f"(estimates 1950-2023, median projection 2024-2100). Source: {_WPP} (e01dt, e0proj1dt). "
        "Reshaped to long; used for checks and as the level target of mortality_national.csv."
    ),
    "wpp_tfr_annual.csv": (
        f"Total fertility rate [children per woman], annual 1950..2100, variants medium (median), "
        f"low and high (-/+ 1/2 child). Source: {_WPP} (tfr1dt, tfrproj1dt). Reshaped to long; "
        "before 2024 the low and high rows repeat the medium (estimate) value."
    ),
    "net_migration.csv": (
        f"Projected net international migrants [persons per year] by sex and single age 0..100 "
        f"(100 = 100+), 2023..2100, WPP medium. Source: {_WPP} (migprojAge1dt). "
        "Transformation: thousands x 1000, reshaped to long."
    ),
}

_FLOAT = "%.8g"
_FLOAT_POPULATION = "%.12g"


def _read(raw_dir: Path, key: str) -> pd.DataFrame:
    path = Path(raw_dir) / RAW[key]
    if not path.is_file():
        raise DataError(f"raw table {RAW[key]!r} not found in {raw_dir}")
    return pd.read_csv(path)


def _china(df: pd.DataFrame, name: str) -> pd.DataFrame:
    out = df[df["country_code"] == WPP_CHINA]
    if out.empty:
        raise DataError(f"{name}: no rows with country_code == {WPP_CHINA} (China)")
    return out


def _region_name(code: int, file: str) -> str:
    try:
        return NAME_BY_CODE[int(code)]
    except KeyError:
        raise DataError(
            f"{file}: unknown province_code {code}; known: 0 (China), "
            + ", ".join(str(c) for c, _, _ in PROVINCES)
        ) from None


# --------------------------------------------------------------------------- population


def build_population_census(raw_dir: Path) -> pd.DataFrame:
    """Graduated census population by region, sex and single age (see TABLE_NOTES)."""
    pop5 = _read(raw_dir, "pop5")
    pop1 = _read(raw_dir, "pop1_2010").sort_values("age")
    if pop1["age"].tolist() != list(range(N_AGES)):
        raise DataError(f"{RAW['pop1_2010']}: expected ages 0..100 once each")
    starts = np.array(sorted(pop5["age_start"].unique()))
    complete = _check_province_sums(pop5) == 0
    ref_2010 = {sex: pop1[sex].to_numpy(float) for sex in SEXES}
    single: dict[tuple[int, int, str], np.ndarray] = {}
    for (year, code), grp in pop5.groupby(["census_year", "province_code"], sort=True):
        grp = grp.sort_values("age_start")
        if grp["age_start"].tolist() != starts.tolist():
            raise DataError(f"{RAW['pop5']}: province_code {code}, {year}: age groups incomplete")
        _region_name(code, RAW["pop5"])
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


def _reference_shape(ref_2010: np.ndarray, year: int) -> np.ndarray | None:
    """Single-age reference profile for a census year (NaN where none applies)."""
    if year == 2010:
        return ref_2010
    shift = year - 2010
    shape = np.full(N_AGES, np.nan)
    ages = np.arange(GUIDED_MIN_AGE_2020, N_AGES - 1)
    shape[ages] = ref_2010[ages - shift]
    return shape


def _check_province_sums(pop5: pd.DataFrame) -> float:
    """Largest |Σ provinces − China| over census years, age groups and sexes [persons]."""
    prov = pop5[pop5["province_code"] != 0]
    nat = pop5[pop5["province_code"] == 0].set_index(["census_year", "age_start"])
    if prov["province_code"].nunique() < len(PROVINCES) or nat.empty:
        log.info("population: not all provinces present; Σ provinces = China not checked")
        return float("nan")
    total = prov.groupby(["census_year", "age_start"])[list(SEXES)].sum()
    worst = float((total - nat[list(SEXES)]).abs().to_numpy().max())
    log.info("population: max |Σ provinces − China| per group = %g persons", worst)
    if worst > 0:
        log.warning("population: provinces do not add up to China (max gap %g persons)", worst)
    return worst


# --------------------------------------------------------------------------- mortality


def build_mortality_national(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Single-age, single-year national mx calibrated to WPP annual e0; and the WPP e0 table."""
    mx5 = _china(_read(raw_dir, "mx5"), RAW["mx5"]).copy()
    e0 = _china(_read(raw_dir, "e0"), RAW["e0"]).sort_values("year")
    years = e0["year"].to_numpy(int)
    mx5["age_start"] = mx5["age_start"].astype(int)
    periods = np.array(sorted(mx5["mid_year"].unique()))
    abridged = np.empty((2, periods.size, len(ABRIDGED_STARTS)))
    for s, col in enumerate(("mxF", "mxM")):
        wide = mx5.pivot(index="mid_year", columns="age_start", values=col)
        wide = wide.reindex(index=periods, columns=list(ABRIDGED_STARTS))
        if wide.isna().to_numpy().any():
            raise DataError(f"{RAW['mx5']}: {col} has missing periods or ages")
        abridged[s] = wide.to_numpy(float)
    single = single_age_mx(abridged)  # (sex, period, age)
    # period "t-(t+5)" runs 1 Jul t .. 30 Jun t+5; its mid-point 1 Jan mid_year is the middle
    # of calendar year mid_year - 0.5 when year y is centred on y + 0.5
    annual = interpolate_years(single, periods - 0.5, years, axis=1)
    target = np.stack([e0["e0F"].to_numpy(float), e0["e0M"].to_numpy(float)])
    sex = np.array(SEXES)[:, None]
    mx = scale_to_e0(annual, target, sex)
    err = np.abs(life_expectancy(mx, sex) - target)
    log.info("mortality: max |e0 − WPP| before rounding: %.2e years", err.max())
    table = pd.DataFrame(
        {
            "year": np.repeat(np.tile(years, 2), N_AGES),
            "sex": np.repeat(np.array(SEXES), years.size * N_AGES),
            "age": np.tile(np.arange(N_AGES), 2 * years.size),
            "mx": mx.reshape(-1),
        }
    )
    wpp_e0 = pd.concat(
        [
            pd.DataFrame({"year": years, "sex": sex_name, "e0": e0[col].to_numpy(float)})
            for sex_name, col in (("female", "e0F"), ("male", "e0M"), ("both", "e0B"))
        ],
        ignore_index=True,
    )
    return table, wpp_e0


def build_province_e0(raw_dir: Path) -> pd.DataFrame:
    """Census e0 by province, sex and census year, with Chongqing 1990 filled (TABLE_NOTES)."""
    raw = _read(raw_dir, "e0_province").copy()
    raw["note"] = raw["note"].fillna("")
    cols = {"female": "e0_female", "male": "e0_male", "both": "e0_both"}
    chongqing, sichuan = 50, 51
    fill = (raw["province_code"] == chongqing) & raw[list(cols.values())].isna().all(axis=1)
    for idx in raw.index[fill]:
        year = raw.at[idx, "year"]
        src = raw[(raw["province_code"] == sichuan) & (raw["year"] == year)]
        if src.empty:
            raise DataError(f"{RAW['e0_province']}: Chongqing {year} is empty and no Sichuan row")
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
            f"{RAW['e0_province']}: missing e0 for province_code {bad['province_code']}, "
            f"year {bad['year']}"
        )
    out = []
    for sex, col in cols.items():
        out.append(
            pd.DataFrame(
                {
                    "census_year": raw["year"].astype(int),
                    "region": [_region_name(c, RAW["e0_province"]) for c in raw["province_code"]],
                    "sex": sex,
                    "e0": raw[col].astype(float),
                    "note": raw["note"],
                    "_code": raw["province_code"],
                }
            )
        )
    table = pd.concat(out, ignore_index=True)
    table["_sex"] = table["sex"].map({"female": 0, "male": 1, "both": 2})
    table = table.sort_values(["census_year", "_code", "_sex"]).drop(columns=["_code", "_sex"])
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------- fertility


def build_fertility_national(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Single-age national ASFR by variant and the WPP TFR table (see TABLE_NOTES)."""
    pasfr = _china(_read(raw_dir, "pasfr"), RAW["pasfr"]).copy()
    tfr = _china(_read(raw_dir, "tfr"), RAW["tfr"]).sort_values("year").set_index("year")
    pasfr["age_start"] = pasfr["age_start"].astype(int)
    wide = pasfr.pivot(index="year", columns="age_start", values="pasfr").sort_index()
    starts = np.array(wide.columns, dtype=int)
    if np.any(np.diff(starts) != 5) or wide.isna().to_numpy().any():
        raise DataError(f"{RAW['pasfr']}: expected complete 5-year groups for every year")
    years = wide.index.to_numpy(int)
    missing = sorted(set(years) - set(tfr.index))
    if missing:
        raise DataError(f"{RAW['tfr']}: no TFR for years {missing[:5]}")
    share = wide.to_numpy(float) / wide.to_numpy(float).sum(axis=1, keepdims=True)
    tables, tfr_rows = [], []
    for variant in ("medium", "low", "high"):
        level = tfr.loc[years, f"tfr_{variant}"].to_numpy(float)
        medium = tfr.loc[years, "tfr_medium"].to_numpy(float)
        level = np.where(np.isnan(level) & (years < WPP_FIRST_PROJECTION_YEAR), medium, level)
        if np.isnan(level).any():
            raise DataError(f"{RAW['tfr']}: tfr_{variant} missing in projection years")
        groups = level[:, None] * share / 5.0
        single = graduate_rates_5y(groups, first_age=int(starts[0]), keep=(FIRST_AGE, LAST_AGE))
        n_age = LAST_AGE - FIRST_AGE + 1
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
        tfr_rows.append(pd.DataFrame({"variant": variant, "year": years, "tfr": level}))
    return pd.concat(tables, ignore_index=True), pd.concat(tfr_rows, ignore_index=True)


def build_fertility_province_2020(raw_dir: Path) -> pd.DataFrame:
    """Single-age 2020 census ASFR per woman by region (see TABLE_NOTES)."""
    raw = _read(raw_dir, "asfr_province").sort_values("province_code")
    cols = [f"asfr_{a}_{a + 4}" for a in range(FIRST_AGE, LAST_AGE + 1, 5)]
    missing = [c for c in cols if c not in raw.columns]
    if missing:
        raise DataError(f"{RAW['asfr_province']}: missing columns {missing}")
    groups = raw[cols].to_numpy(float) / 1000.0
    single = graduate_rates_5y(groups, first_age=FIRST_AGE)
    n_age = LAST_AGE - FIRST_AGE + 1
    regions = [_region_name(c, RAW["asfr_province"]) for c in raw["province_code"]]
    return pd.DataFrame(
        {
            "region": np.repeat(regions, n_age),
            "age": np.tile(np.arange(FIRST_AGE, LAST_AGE + 1), len(regions)),
            "asfr": single.reshape(-1),
        }
    )


# --------------------------------------------------------------------------- small tables


def build_srb(raw_dir: Path) -> pd.DataFrame:
    """Sex ratio at birth by year."""
    srb = _china(_read(raw_dir, "srb"), RAW["srb"]).sort_values("year")
    return srb[["year", "srb"]].reset_index(drop=True)


def build_net_migration(raw_dir: Path) -> pd.DataFrame:
    """Net migrants by year, sex and single age [persons]."""
    mig = _china(_read(raw_dir, "netmig"), RAW["netmig"]).sort_values(["year", "age"])
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


# --------------------------------------------------------------------------- driver


def write_rate_tables(raw_dir: Path, out_dir: Path) -> list[Path]:
    """Write the nine population/mortality/fertility tables into ``out_dir``.

    Parameters
    ----------
    raw_dir : Path
        Folder with the raw source tables named in ``RAW``.
    out_dir : Path
        Folder to write into (created if missing).

    Returns
    -------
    list of Path
        The files written, in the order of ``TABLE_NOTES``.
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    mortality, wpp_e0 = build_mortality_national(raw_dir)
    fert, wpp_tfr = build_fertility_national(raw_dir)
    tables = {
        "population_census.csv": build_population_census(raw_dir),
        "mortality_national.csv": mortality,
        "province_e0_census.csv": build_province_e0(raw_dir),
        "fertility_national.csv": fert,
        "fertility_province_2020.csv": build_fertility_province_2020(raw_dir),
        "sex_ratio_at_birth.csv": build_srb(raw_dir),
        "wpp_e0_annual.csv": wpp_e0,
        "wpp_tfr_annual.csv": wpp_tfr,
        "net_migration.csv": build_net_migration(raw_dir),
    }
    written = []
    for name in TABLE_NOTES:
        path = out_dir / name
        fmt = _FLOAT_POPULATION if name == "population_census.csv" else _FLOAT
        tables[name].to_csv(path, index=False, float_format=fmt, lineterminator="\n")
        log.info("wrote %s (%d rows)", path, len(tables[name]))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: ``prep_rates.py RAW_DIR OUT_DIR``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    write_rate_tables(args.raw_dir, args.out_dir)


if __name__ == "__main__":
    main()
