"""`lossproj data info|check|plot` through click's test runner (a tiny group holds `data`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lossproj import data as lpdata
from lossproj import plot_data
from lossproj.cli_data import data
from lossproj.paths import packaged_data_dir
from lossproj.plot_data import FIGURES

DATA = packaged_data_dir()


@pytest.fixture
def cli() -> click.Group:
    group = click.Group("lossproj")
    group.add_command(data)
    return group


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    dst.mkdir()
    for name in (*lpdata.TABLES, lpdata.CHECKSUM_FILE):
        shutil.copyfile(DATA / name, dst / name)
    return dst


def test_info_lists_tables_coverage_and_checksums(cli):
    result = CliRunner().invoke(cli, ["data", "info"])
    assert result.exit_code == 0, result.output
    for name in lpdata.TABLES:
        assert name in result.output
    assert "year 1950..2100" in result.output
    assert lpdata.checksums()["mortality_national.csv"] in result.output


def test_check_passes_on_packaged_data(cli):
    result = CliRunner().invoke(cli, ["data", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"OK: {len(lpdata.TABLES)} tables pass all checks")


def test_check_fails_naming_table_row_and_value(cli, data_copy: Path):
    path = data_copy / "mortality_national.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[16] = lines[16].rsplit(",", 1)[0] + ",-0.01"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["data", "check", "--data-dir", str(data_copy)])
    assert result.exit_code == 1
    assert "mortality_national.csv, row 17, column 'mx': value -0.01 is negative" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_info_on_a_broken_table_is_a_message_not_a_traceback(cli, data_copy: Path):
    (data_copy / "sex_ratio_at_birth.csv").write_text("year,ratio\n1950,1.05\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["data", "info", "--data-dir", str(data_copy)])
    assert result.exit_code == 1
    assert "Error: sex_ratio_at_birth.csv, row 1 (header): missing column(s) 'srb'" in result.output
    assert isinstance(result.exception, SystemExit)


def test_check_on_a_missing_directory(cli, tmp_path: Path):
    result = CliRunner().invoke(cli, ["data", "check", "--data-dir", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "does not exist" in result.output


@pytest.mark.slow
def test_plot_writes_every_documented_figure(cli, tmp_path: Path):
    out = tmp_path / "figs"
    result = CliRunner().invoke(cli, ["data", "plot", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(FIGURES)
    assert all((out / name).stat().st_size > 10_000 for name in FIGURES)
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in FIGURES)


def test_plot_with_a_broken_table_is_a_message(cli, data_copy: Path, tmp_path: Path):
    (data_copy / "wpp_e0_annual.csv").write_text("year,sex,e0\n1950,female,-3\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["data", "plot", "--out", str(tmp_path / "figs"), "--data-dir", str(data_copy)])
    assert result.exit_code == 1
    assert "Error: wpp_e0_annual.csv, row 2, column 'e0': value -3 is not above 0" in result.output
    assert not (tmp_path / "figs").exists()


def test_figure_functions_draw_the_parity_targets():
    births = lpdata.births_by_order()
    fig = plot_data.fig_births_by_order(births)
    ax = fig.axes[0]
    # 4 residences x 2 census years x 3 orders
    assert len(ax.patches) == 24
    heights = sorted(round(p.get_height(), 12) for p in ax.patches)
    nat = births[births["region"] == "China"]["share"].round(12).sort_values().tolist()
    assert heights == nat
    cohort = lpdata.parity_cohort()
    fig = plot_data.fig_parity_cohort(cohort)
    full = cohort.dropna(subset=["share_one"])
    assert len(fig.axes[0].patches) == 3 * len(full)


def test_build_writes_every_table_readme_and_checksums_then_checks(cli, tmp_path):
    from raw_fixtures import all_raw_dir

    from lossproj import sources

    out = tmp_path / "built"
    result = CliRunner().invoke(cli, ["data", "build", "--raw", str(all_raw_dir()), "--out", str(out)])
    # the fixtures are extracts: every table is written, and the checks report the missing rows
    assert result.exit_code == 1
    assert "data check failed" in result.output
    assert "population_census.csv: missing no rows for region='Tianjin'" in result.output
    assert sorted(p.name for p in out.glob("*.csv")) == sorted(sources.TABLES)
    sums = lpdata.checksums(out)
    assert set(sums) == set(sources.TABLES)
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert all(f"### `{name}`" in readme for name in sources.TABLES)


def test_build_twice_gives_the_same_bytes(tmp_path):
    from raw_fixtures import all_raw_dir

    from lossproj import sources

    first = sources.write_tables(all_raw_dir(), tmp_path / "a")
    second = sources.write_tables(all_raw_dir(), tmp_path / "b")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_build_keeps_an_existing_calibration_and_refits_only_the_packaged_one(cli, tmp_path):
    from raw_fixtures import all_raw_dir

    out = tmp_path / "built"
    out.mkdir()
    shutil.copyfile(DATA / "parity_calibration.csv", out / "parity_calibration.csv")
    CliRunner().invoke(cli, ["data", "build", "--raw", str(all_raw_dir()), "--out", str(out)])
    assert lpdata.checksums(out)["parity_calibration.csv"] == lpdata.checksums()["parity_calibration.csv"]
    result = CliRunner().invoke(
        cli, ["data", "build", "--raw", str(all_raw_dir()), "--out", str(out), "--calibrate"]
    )
    assert result.exit_code == 1
    assert "the parity calibration reads the packaged tables: --calibrate needs --out" in result.output


def test_build_names_a_missing_raw_table(cli, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    result = CliRunner().invoke(cli, ["data", "build", "--raw", str(raw), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "raw table 'cn_census_pop_province_age5_sex_2010_2020.csv' not found" in result.output
