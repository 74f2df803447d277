"""Bad input tables: every violation is a DataError naming file, row, column, value and rule."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from lossproj import data as lpdata
from lossproj.errors import DataError
from lossproj.paths import packaged_data_dir

DATA = packaged_data_dir()


def _copy(tmp_path: Path, name: str) -> Path:
    dst = tmp_path / name
    shutil.copyfile(DATA / name, dst)
    return dst


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _set_cell(path: Path, line_no: int, column: str, value: str) -> None:
    """Replace one cell; ``line_no`` is 1-based with the header on line 1."""
    lines = _lines(path)
    header = lines[0].split(",")
    cells = lines[line_no - 1].split(",")
    cells[header.index(column)] = value
    lines[line_no - 1] = ",".join(cells)
    _write(path, lines)


def test_negative_death_rate(tmp_path: Path):
    path = _copy(tmp_path, "mortality_national.csv")
    _set_cell(path, 17, "mx", "-0.01")
    with pytest.raises(
        DataError,
        match=re.escape("mortality_national.csv, row 17, column 'mx': value -0.01 is negative; "
                        "expected a death rate in [0, 10]"),
    ):
        lpdata.load_table("mortality_national.csv", tmp_path)


def test_missing_year(tmp_path: Path):
    path = _copy(tmp_path, "mortality_national.csv")
    lines = _lines(path)
    _write(path, [ln for ln in lines if not ln.startswith("1990,")])
    with pytest.raises(DataError, match=r"mortality_national\.csv: missing no rows for year=1990; "
                                        r"expected a complete grid of year 1950\.\.2100"):
        lpdata.load_table("mortality_national.csv", tmp_path)


def test_missing_age(tmp_path: Path):
    path = _copy(tmp_path, "mortality_national.csv")
    lines = _lines(path)
    _write(path, [ln for ln in lines if not ln.startswith("2000,female,17,")])
    with pytest.raises(DataError, match=r"missing row\(s\) \(year=2000, sex='female', age=17\); "
                                        r"expected a complete grid .* age 0\.\.100"):
        lpdata.load_table("mortality_national.csv", tmp_path)


def test_duplicated_row(tmp_path: Path):
    path = _copy(tmp_path, "sex_ratio_at_birth.csv")
    lines = _lines(path)
    lines.insert(11, lines[10])  # line 11 (year 1959) repeated as line 12
    _write(path, lines)
    with pytest.raises(DataError, match=r"sex_ratio_at_birth\.csv, row 12, column\(s\) year: duplicated key "
                                        r"\(year=1959\), first at row 11; expected one row per year"):
        lpdata.load_table("sex_ratio_at_birth.csv", tmp_path)


def test_non_numeric_cell(tmp_path: Path):
    path = _copy(tmp_path, "fertility_province_2020.csv")
    _set_cell(path, 5, "asfr", "n/a")
    with pytest.raises(DataError, match=r"fertility_province_2020\.csv, row 5, column 'asfr': value 'n/a' is "
                                        r"not a number; expected a fertility rate in \[0, 1\]"):
        lpdata.load_table("fertility_province_2020.csv", tmp_path)


def test_unknown_province_names_closest(tmp_path: Path):
    path = _copy(tmp_path, "fertility_province_2020.csv")
    lines = _lines(path)
    line_no = next(i for i, ln in enumerate(lines, start=1) if ln.startswith("Guangdong,"))
    lines[line_no - 1] = lines[line_no - 1].replace("Guangdong", "Guangdon")
    _write(path, lines)
    with pytest.raises(DataError, match=rf"row {line_no}, column 'region': value 'Guangdon' is not a known "
                                        r"region; did you mean 'Guangdong'"):
        lpdata.load_table("fertility_province_2020.csv", tmp_path)


def test_wrong_and_missing_columns(tmp_path: Path):
    path = _copy(tmp_path, "mortality_national.csv")
    lines = _lines(path)
    lines[0] = "year,sex,age,qx"
    _write(path, lines)
    with pytest.raises(DataError, match=r"mortality_national\.csv, row 1 \(header\): missing column\(s\) 'mx'; "
                                        r"unexpected column\(s\) 'qx'; expected columns year, sex, age, mx"):
        lpdata.load_table("mortality_national.csv", tmp_path)


def test_share_above_one_and_empty_cell(tmp_path: Path):
    path = _copy(tmp_path, "births_by_order.csv")
    _set_cell(path, 2, "share", "1.5")
    _set_cell(path, 3, "births", "")
    with pytest.raises(DataError) as err:
        lpdata.load_table("births_by_order.csv", tmp_path)
    msg = str(err.value)
    assert "births_by_order.csv, row 2, column 'share': value 1.5 is above 1; expected a share in [0, 1]" in msg
    assert "births_by_order.csv, row 3, column 'births': empty cell; expected a number of births >= 0" in msg


def test_shares_must_add_up(tmp_path: Path):
    path = _copy(tmp_path, "spouse_age_gap.csv")
    _set_cell(path, 2, "probability", "0.5")
    with pytest.raises(DataError, match=r"spouse_age_gap\.csv, rows 2-22, column 'probability': values for the "
                                        r"table sum to .*; expected 1"):
        lpdata.load_table("spouse_age_gap.csv", tmp_path)


def test_leading_space_is_not_silently_stripped(tmp_path: Path):
    path = _copy(tmp_path, "mean_ceb_2020.csv")
    _set_cell(path, 3, "region", " Beijing")
    with pytest.raises(DataError, match=r"row 3, column 'region': value ' Beijing' is not a known region; "
                                        r"did you mean 'Beijing'"):
        lpdata.load_table("mean_ceb_2020.csv", tmp_path)


def test_non_integer_age_and_infinite_rate(tmp_path: Path):
    path = _copy(tmp_path, "sweden_female.csv")
    _set_cell(path, 4, "age", "2.5")
    _set_cell(path, 6, "mx", "inf")
    with pytest.raises(DataError) as err:
        lpdata.load_table("sweden_female.csv", tmp_path)
    assert "sweden_female.csv, row 4, column 'age': value 2.5 is not an integer" in str(err.value)
    assert "sweden_female.csv, row 6, column 'mx': value 'inf' is not finite" in str(err.value)


def test_short_and_long_rows(tmp_path: Path):
    path = _copy(tmp_path, "sex_ratio_at_birth.csv")
    lines = _lines(path)
    lines[4] = "1953"
    _write(path, lines)
    with pytest.raises(DataError, match=r"sex_ratio_at_birth\.csv, row 5, column 'srb': empty cell; expected a sex "
                                        r"ratio at birth"):
        lpdata.load_table("sex_ratio_at_birth.csv", tmp_path)
    lines[4] = "1953,1.05,7"
    _write(path, lines)
    with pytest.raises(DataError, match=r"sex_ratio_at_birth\.csv: not a readable CSV table .*line 5"):
        lpdata.load_table("sex_ratio_at_birth.csv", tmp_path)


def test_missing_file_and_unknown_table(tmp_path: Path):
    with pytest.raises(DataError, match=r"mortality_national\.csv: file not found in "):
        lpdata.load_table("mortality_national.csv", tmp_path)
    with pytest.raises(DataError, match=r"unknown table 'mortality_nationl\.csv'; did you mean 'mortality_national\.csv'"):
        lpdata.load_table("mortality_nationl.csv", tmp_path)


def test_check_all_lists_problems_instead_of_raising(tmp_path: Path):
    for name in lpdata.TABLES:
        shutil.copyfile(DATA / name, tmp_path / name)
    shutil.copyfile(DATA / lpdata.CHECKSUM_FILE, tmp_path / lpdata.CHECKSUM_FILE)
    # a population table whose China rows are exactly the provinces' sum, then one bad cell
    pop = pd.read_csv(DATA / "population_census.csv")
    provinces = pop[pop["region"] != "China"]
    china = provinces.groupby(["census_year", "sex", "age"], as_index=False)["population"].sum()
    china.insert(1, "region", "China")
    pop = pd.concat([provinces, china[pop.columns]], ignore_index=True)
    hit = (pop["census_year"] == 2020) & (pop["region"] == "Beijing") & (pop["sex"] == "female") & (pop["age"] == 30)
    pop.loc[hit, "population"] += 1000.0
    pop.to_csv(tmp_path / "population_census.csv", index=False)
    (tmp_path / "care_prevalence.csv").unlink()
    problems = lpdata.check_all(tmp_path)
    pop_problems = [p for p in problems if p.startswith("population_census.csv: census_year")]
    assert len(pop_problems) == 1
    assert pop_problems[0].startswith("population_census.csv: census_year=2020, sex='female', age=30: provinces sum to")
    assert any(p.startswith("population_census.csv: sha256") and "differs from checksums.json" in p for p in problems)
    assert any(p.startswith("care_prevalence.csv: file not found") for p in problems)
    assert not any(p.startswith("mortality_national.csv") for p in problems)
