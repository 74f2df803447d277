"""The parity, policy, care, allowance and Sweden readers of lossproj.sources, and the README
builder, on small raw-table fixtures."""

from __future__ import annotations

import io
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from raw_fixtures import raw_dir

from lossproj import data as lpdata
from lossproj import sources
from lossproj.errors import DataError
from lossproj.plot_data import FIGURES
from lossproj.sources import assumptions, care, child_mortality, parity, policy, sweden
from lossproj.sources.manifest import build_readme

RAW = raw_dir("raw_tables")
#: The tables these fixtures build (the rate tables have their own, tests/test_sources_rates.py).
TABLES = [
    "parity_order_rates_2010.csv", "births_by_order.csv", "parity_cohort.csv", "mean_ceb_2020.csv",
    "only_children_2005.csv", "policy_eras.csv", "spouse_age_gap.csv", "care_prevalence.csv",
    "care_prevalence_province.csv", "allowance_standards.csv", "sweden_female.csv", "population_wpp.csv",
]


@pytest.fixture
def raw_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixtures, for tests that corrupt a raw file."""
    dst = tmp_path / "raw"
    shutil.copytree(RAW, dst)
    return dst


def _valid(df: pd.DataFrame, name: str) -> list[str]:
    """Problems ``lossproj.data`` finds in ``df`` once written as the build writes it."""
    fmt = sources.TABLES[name].float_format
    text = pd.read_csv(io.StringIO(df.to_csv(index=False, float_format=fmt)), dtype=str,
                       keep_default_na=False)
    return lpdata.validate_frame(text, lpdata.SCHEMAS[name], name)[1]


def test_parity_order_rates_are_births_per_woman():
    df = parity.parity_order_rates_2010(RAW)
    assert df["order"].tolist()[:3] == ["1", "2", "3+"]
    row = df[(df["age"] == 25) & (df["order"] == "2")].iloc[0]
    assert row["births"] == 20501
    assert row["asfr"] == pytest.approx(20501 / 918518, rel=1e-12)
    # the three orders add up to the all-order rate printed per 1000 (91.58 at age 25)
    assert df[df["age"] == 25]["asfr"].sum() * 1000 == pytest.approx(91.58, abs=0.005)


def test_parity_order_rates_reject_a_misprinted_rate(raw_copy: Path):
    path = raw_copy / "cn_census2010_asfr_by_order_single_age.csv"
    raw = pd.read_csv(path)
    raw.loc[raw["age"] == 30, "asfr_order2_per1000"] = 36.72  # printed 26.72
    raw.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"order 2: births/women disagrees .* ages \[30\]"):
        parity.parity_order_rates_2010(raw_copy)


def test_births_by_order_three_plus_and_shares():
    df = parity.births_by_order(RAW)
    china = df[(df["region"] == "China") & (df["census_year"] == 2010) & (df["residence"] == "total")]
    assert china.set_index("order")["births"].to_dict() == {"1": 739866, "2": 372295, "3+": 63047 + 11514 + 3338}
    assert china["share"].sum() == pytest.approx(1.0, abs=1e-12)
    # Hebei 2010 city has an empty 5+ cell: read as zero after the total was checked
    hebei = df[(df["region"] == "Hebei") & (df["census_year"] == 2010) & (df["residence"] == "city")]
    assert hebei["share"].sum() == pytest.approx(1.0, abs=1e-12)
    assert set(df["region"]) == {"China", "Beijing", "Hebei"}
    assert set(df.columns) == {c.name for c in lpdata.SCHEMAS["births_by_order.csv"].columns}


def test_births_by_order_refuses_orders_not_adding_up(raw_copy: Path):
    path = raw_copy / "cn_census_births_province_order_sex_2010_2020.csv"
    raw = pd.read_csv(path, dtype={"birth_order": str})
    hit = (raw["province_code"] == 11) & (raw["census_year"] == 2020) & (raw["residence"] == "town") & (
        raw["birth_order"] == "2"
    )
    raw.loc[hit, "births_both"] += 1
    raw.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"do not add up .*11, 2020, 'town'"):
        parity.births_by_order(raw_copy)


def test_parity_cohort_keeps_rows_with_values_only():
    df = parity.parity_cohort(RAW)
    assert df["cohort"].tolist() == [1926, 1940, 1950, 1960, 1968, 1969, 1970]
    c1960 = df.set_index("cohort").loc[1960]
    assert c1960["share_childless"] == pytest.approx(0.01)
    assert c1960["share_one"] == pytest.approx(0.99 - 0.66)
    assert c1960["share_two_plus"] == pytest.approx(0.66)
    assert math.isnan(df.set_index("cohort").loc[1970, "ccfr1"])
    assert _valid(df, "parity_cohort.csv") == []


def test_mean_ceb_and_only_children():
    ceb = parity.mean_ceb_2020(RAW)
    assert ceb["region"].tolist() == ["China", "Beijing", "Xinjiang"]
    oc = parity.only_children_2005(RAW).set_index(["region", "sex"])["share_only_children"]
    assert oc[("China", "both")] == pytest.approx(2098947 / 7163448)
    assert oc[("Guangdong", "male")] == pytest.approx(52684 / 323224)  # printed % missing
    assert ((oc >= 0) & (oc <= 1)).all()


def test_only_children_rejects_a_count_that_contradicts_the_printed_share(raw_copy: Path):
    path = raw_copy / "cn_parity_only_children_0_30_province_2005.csv"
    raw = pd.read_csv(path)
    raw.loc[raw["province_code"] == 11, "only_children_0_30_male"] += 1000
    raw.to_csv(path, index=False)
    with pytest.raises(DataError, match="Beijing male: recomputed share"):
        parity.only_children_2005(raw_copy)


def test_spouse_age_gap_is_a_labelled_pmf_with_mean_about_two():
    df = assumptions.spouse_age_gap()
    assert df["gap"].tolist() == list(range(-5, 16))
    assert df["probability"].sum() == pytest.approx(1.0, abs=1e-12)
    assert float((df["gap"] * df["probability"]).sum()) == pytest.approx(2.0, abs=0.1)
    assert "ASSUMPTION" in assumptions.NOTES["spouse_age_gap.csv"]
    assert _valid(df, "spouse_age_gap.csv") == []


def test_care_prevalence_reproduces_the_census_level():
    df, info = care.care_prevalence(RAW)
    assert info["census_2020_level_60plus"] == pytest.approx(598118 / 25523101)
    pop = pd.read_csv(RAW / "cn_census_pop_province_age5_sex_2010_2020.csv")
    total, unable = 0.0, 0.0
    for sex in ("female", "male"):
        for row in df[df["sex"] == sex].itertuples():
            n = pop.loc[(pop["age_start"] >= row.age_start) & (pop["age_start"] <= row.age_end), sex].sum()
            total += n
            unable += n * row.prevalence
    assert unable / total == pytest.approx(598118 / 25523101, rel=1e-12)
    for sex in ("female", "male"):
        assert np.all(np.diff(df[df["sex"] == sex]["prevalence"].to_numpy()) > 0)  # rises with age
    f = df[df["sex"] == "female"]["prevalence"].to_numpy()
    m = df[df["sex"] == "male"]["prevalence"].to_numpy()
    assert np.allclose(f / m, info["sex_ratio_female_to_male_standardised"])
    # 60-64 is 65-74 times the Shanghai-town ratio (81/11210) / ((79+136)/(7614+5348))
    rho = (81 / 11210) / ((79 + 136) / (7614 + 5348))
    assert f[0] / f[1] == pytest.approx(rho)
    assert _valid(df, "care_prevalence.csv") == []


def test_care_prevalence_by_province_is_unable_over_respondents(raw_copy: Path):
    df = care.care_prevalence_province(RAW)
    assert df["region"].tolist() == ["Beijing"]
    assert df["prevalence_60plus"].iloc[0] == pytest.approx(12182 / 428002)
    assert df["respondents_60plus"].iloc[0] == 428002
    path = raw_copy / "cn_care_selfcare_prevalence.csv"
    raw = pd.read_csv(path)
    raw[raw["record_id"] != "P20_11"].to_csv(path, index=False)
    with pytest.raises(DataError, match="no provincial rows P20_11..P20_65"):
        care.care_prevalence_province(raw_copy)


def test_allowance_standards_years_and_amounts():
    df = policy.allowance_standards(RAW)
    assert _valid(df, "allowance_standards.csv") == []
    by = {(r.first_year, r.residence): r.amount for r in df.itertuples()}
    assert by[(2008, "total")] == 100
    assert by[(2012, "total")] == 135
    assert by[(2014, "urban")] == 340 and by[(2014, "rural")] == 170
    assert by[(2022, "total")] == pytest.approx((6 * 450 + 6 * 590) / 12)
    assert by[(2023, "total")] == 590
    assert df["basis"].str.contains("ASSUMPTION").any()


def test_sweden_mx_from_px_and_open_group_from_sx():
    df = sweden.sweden_female(RAW)
    raw = pd.read_csv(RAW / "swe_hmd_hfd_female_single_age_1900_2018.csv")
    merged = df.merge(raw, on=["year", "age"])
    young = merged[merged["age"] < 100]
    assert np.allclose(young["mx"], -np.log(young["px"]))
    old = merged[merged["age"] == 100]
    assert np.allclose(old["mx"], -np.log(old["Sx"]))
    assert (df["mx"] >= 0).all() and np.isfinite(df["mx"]).all()


def test_policy_eras_cover_the_five_eras_and_the_rebirth_rule():
    df = policy.policy_eras()
    assert _valid(df, "policy_eras.csv") == []
    eras = df[~df["era"].str.startswith("rule_")].sort_values("first_year")
    assert eras["first_year"].tolist()[1:] == [1971, 1980, 2016, 2021]
    assert (eras["first_year"].to_numpy()[1:] == eras["last_year"].to_numpy()[:-1] + 1).all()
    rule = df[df["era"].str.startswith("rule_")]
    assert len(rule) == 1 and "ASSUMPTION" in rule["status"].iloc[0]
    assert df["source"].str.len().min() > 10


def test_child_mortality_is_urban_below_rural_with_a_source_per_row():
    df = child_mortality.child_mortality_residence()
    assert _valid(df, "child_mortality_residence.csv") == []
    wide = df.pivot_table(index=["year", "indicator"], columns="residence", values="value")
    assert (wide["urban"] < wide["rural"]).all()
    assert wide.loc[(1996, "u5mr")].tolist() == [51.4, 16.9]  # rural, urban
    assert df["source"].str.len().min() > 20 and df["url"].str.startswith("http").all()


def test_child_mortality_refuses_urban_above_rural(monkeypatch):
    rows = ((2000, "wang_2009", 11.8, 37.0, 50.0, 45.7),)
    monkeypatch.setattr(child_mortality, "CHILD_MORTALITY_RESIDENCE", rows)
    with pytest.raises(DataError, match=r"child mortality 2000 u5mr: urban 50.0 and rural 45.7"):
        child_mortality.child_mortality_residence()


def test_write_tables_writes_every_table_with_its_schema_columns(tmp_path: Path):
    written = sources.write_tables(RAW, tmp_path, names=TABLES)
    assert [p.name for p in written] == [n for n in sources.TABLES if n in TABLES]
    for path in written:
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        expected = [c.name for c in lpdata.SCHEMAS[path.name].columns]
        assert header == expected, path.name


def test_every_packaged_table_has_a_reader_or_is_fitted():
    from lossproj.calibration import TABLE_NOTES

    assert set(sources.TABLES) | set(TABLE_NOTES) == set(lpdata.TABLES)
    assert all(len(t.note) > 200 for t in sources.TABLES.values())


def test_unknown_table_names_what_exists(tmp_path: Path):
    with pytest.raises(KeyError, match=r"unknown tables \['births\.csv'\]; known tables: .*births_by_order\.csv"):
        sources.write_tables(RAW, tmp_path, names=["births.csv"])


def test_readme_has_one_section_per_table_and_the_figures(tmp_path: Path):
    written = sources.write_tables(RAW, tmp_path, names=TABLES)
    text = build_readme(sources.notes(), written, {p.name: "ab" * 32 for p in written}, FIGURES)
    for name in TABLES:
        assert text.count(f"### `{name}`") == 1
    assert "## Figures" in text and "e0_national.png" in text
    assert "No provenance note" not in text
    assert "lossproj data build" in text
