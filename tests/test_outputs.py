"""Tests of result files (NetCDF, CSV, Excel, run.json, figures) and summary tables."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from lossproj import outputs
from lossproj.errors import DataError, OutputError
from lossproj.outputs import read_results, write_results
from lossproj.summary import age_group_labels, summarize


@pytest.fixture
def small(make_fake_projection):
    """A smaller projection, to keep the writing tests fast."""
    return make_fake_projection(years=range(2018, 2023))


def test_refuses_existing_nonempty_dir_without_force(tmp_path, small):
    out = tmp_path / "res"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match=rf"output directory {out} exists and is not "
                       r"empty; choose another --out directory or pass --force"):
        write_results(small, out, excel=False, figures=False)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_writes_into_new_or_empty_dir(tmp_path, small):
    files = write_results(small, tmp_path / "a" / "b", excel=False, figures=False)
    assert [f.name for f in files] == ["projection.nc", "projection.csv",
                                       "projection_families.csv", "run.json"]
    assert all(f.is_file() for f in files)
    empty = tmp_path / "empty"
    empty.mkdir()
    write_results(small, empty, excel=False, figures=False)
    assert (empty / "projection.nc").is_file()
    # no temporary directory is left beside the results
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_force_replaces_our_files_and_keeps_others(tmp_path, small, make_fake_projection):
    out = tmp_path / "res"
    write_results(small, out, excel=True, figures=False)
    (out / "notes.txt").write_text("mine")
    other = make_fake_projection(scenarios=("other",), years=range(2018, 2023))
    write_results(other, out, force=True, excel=False, figures=False)
    assert (out / "notes.txt").read_text() == "mine"
    assert not (out / "projection.xlsx").exists()  # stale file of the earlier run removed
    assert list(read_results(out)["scenario"].values) == ["other"]


def test_interrupted_write_leaves_no_projection(tmp_path, small, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(outputs, "write_csv", boom)
    out = tmp_path / "res"
    with pytest.raises(RuntimeError, match="disk full"):
        write_results(small, out, excel=False, figures=False)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # temporary directory removed too


def test_interrupted_forced_write_keeps_previous_result(tmp_path, small, make_fake_projection,
                                                       monkeypatch):
    out = tmp_path / "res"
    write_results(small, out, excel=False, figures=False)
    before = (out / "projection.nc").read_bytes()

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(outputs, "write_excel", boom)
    other = make_fake_projection(scenarios=("other",), years=range(2018, 2023))
    with pytest.raises(KeyboardInterrupt):
        write_results(other, out, force=True, excel=True, figures=False)
    assert (out / "projection.nc").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_netcdf_round_trip_keeps_values_and_attrs(tmp_path, make_fake_projection):
    ds = make_fake_projection(scenarios=("baseline", "low"), years=range(2019, 2022),
                              replicates=2)
    ds.attrs["flag"] = True
    ds.attrs["extra"] = {"a": 1}
    write_results(ds, tmp_path / "r", excel=False, figures=False)
    back = read_results(tmp_path / "r" / "projection.nc")
    assert set(back.data_vars) == set(ds.data_vars)
    for name in ds.data_vars:
        xr.testing.assert_equal(back[name], ds[name])
        assert back[name].attrs == ds[name].attrs
        assert set(back[name].attrs) >= {"units", "long_name", "definition", "source"}
    assert list(back["region_zh"].values) == ["北京", "上海", "全国"]
    assert list(back["region_code"].values) == [11, 31, 0]
    assert back.attrs["engine"] == "expected"
    assert json.loads(back.attrs["config"])[1]["scenario"]["name"] == "low"
    assert back.attrs["flag"] == 1
    assert json.loads(back.attrs["extra"]) == {"a": 1}


def test_read_results_errors(tmp_path):
    with pytest.raises(DataError, match=rf"no lossproj result in directory {tmp_path}"):
        read_results(tmp_path)
    other = tmp_path / "other.nc"
    xr.Dataset({"x": ("t", np.arange(3.0))}).to_netcdf(other, engine=outputs.netcdf_engine())
    with pytest.raises(ValueError, match="is not a lossproj result: it lacks the dims scenario"):
        read_results(other)


def test_csv_tables(tmp_path, small):
    write_results(small, tmp_path / "r", excel=False, figures=False)
    by_sex = pd.read_csv(tmp_path / "r" / "projection.csv")
    assert list(by_sex.columns[:6]) == ["scenario", "year", "region", "region_code", "sex", "age"]
    assert "shidu_parents_strict" in by_sex.columns
    assert "one_child_families" not in by_sex.columns
    assert len(by_sex) == small.sizes["year"] * 3 * 2 * 101
    row = by_sex.query("year == 2020 and region == 'Beijing' and sex == 'male' and age == 60")
    expected = float(small["shidu_parents_strict"].sel(scenario="baseline", year=2020,
                                                       region="Beijing", sex="male", age=60))
    assert row["shidu_parents_strict"].item() == pytest.approx(expected, rel=1e-9)
    families = pd.read_csv(tmp_path / "r" / "projection_families.csv")
    assert "sex" not in families.columns
    assert {"one_child_families", "mean_children_ever_born"} <= set(families.columns)


def test_excel_workbook(tmp_path, small):
    openpyxl = pytest.importorskip("openpyxl")
    from lossproj.planner import RMB_PER_WAN
    from lossproj.workbook import HEADER_ROW, KEY_COLUMNS

    write_results(small, tmp_path / "r", excel=True, figures=False)
    wb = openpyxl.load_workbook(tmp_path / "r" / "projection.xlsx")
    assert wb.sheetnames[:3] == ["README", "shidu_parents", "eligible"]
    assert {"care_dependent", "budget_national", "population"} <= set(wb.sheetnames)
    assert "mean_children_ever_born" not in wb.sheetnames  # per-woman means are not additive
    readme = [str(c.value) for c in wb["README"]["A"]]
    assert any("Scenario baseline" in r for r in readme) and any("数据来源" in r for r in readme)
    ws = wb["shidu_parents"]
    header = [c.value for c in ws[HEADER_ROW]]
    assert tuple(header[:6]) == KEY_COLUMNS and header[6] == 2018 and header[-1] == 2022
    assert "Unit 单位: persons" in ws.cell(2, 1).value
    assert ws.freeze_panes == "G4" and ws.auto_filter.ref.startswith("A3:")
    rows = {(r[2], r[4]): r for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)}
    assert len(rows) == 3 * 6  # Beijing, Shanghai, China × six age bands
    col = header.index(2020)
    one = small["shidu_parents_strict"].sel(scenario="baseline", year=2020, region="China")
    assert rows[("China", "all ages")][col] == round(float(one.sum()))
    assert rows[("China", "70+")][col] == round(float(one.sel(age=slice(70, None)).sum()))
    assert rows[("Beijing", "60+")][3] == "北京" and rows[("Beijing", "60+")][1] == 11
    cell = ws.cell(HEADER_ROW + 1, col + 1)
    assert isinstance(cell.value, int) and cell.number_format == "#,##0"
    budget = wb["budget_national"]
    assert "万元" in budget.cell(2, 1).value
    cost = small["allowance_cost"].sel(scenario="baseline", year=2020, region="Beijing").sum()
    brows = {(r[2], r[4]): r for r in budget.iter_rows(min_row=HEADER_ROW + 1, values_only=True)}
    assert brows[("Beijing", "all ages")][col] == round(float(cost) / RMB_PER_WAN)


def test_excel_leaves_missing_cells_empty(tmp_path, small):
    openpyxl = pytest.importorskip("openpyxl")
    ds = small.copy()
    ds["shidu_parents_strict"] = ds["shidu_parents_strict"].where(ds["region"] != "Shanghai")
    write_results(ds, tmp_path / "r", excel=True, figures=False)
    ws = openpyxl.load_workbook(tmp_path / "r" / "projection.xlsx")["shidu_parents"]
    shanghai = [r for r in ws.iter_rows(min_row=4, values_only=True) if r[2] == "Shanghai"]
    assert shanghai and all(v is None for r in shanghai for v in r[6:])


def test_run_json(tmp_path, small):
    write_results(small, tmp_path / "r", excel=False, figures=False,
                  run_info={"timings": {"project_s": 1.5}})
    meta = json.loads((tmp_path / "r" / "run.json").read_text())
    assert meta["timings"] == {"project_s": 1.5}
    assert meta["seed"] == 20201101 and meta["engine"] == "expected"
    assert set(meta["versions"]) >= {"lossproj", "numpy", "numba", "xarray", "python"}
    assert meta["data_checksums"] == {"population_census.csv": "sha256:test"}
    assert meta["config"][0]["scenario"]["name"] == "baseline"
    assert meta["files"][-1] == "run.json" and "projection.nc" in meta["files"]


def test_figures_written(tmp_path, make_fake_projection):
    ds = make_fake_projection(scenarios=("baseline", "low"), years=[2020, 2030, 2040, 2050],
                              regions=("Beijing",))
    files = write_results(ds, tmp_path / "r", excel=False, figures=True)
    pngs = [f for f in files if f.suffix == ".png"]
    assert {f.name for f in pngs} == {"shidu_pyramid.png", "national_trend.png",
                                      "provincial_small_multiples.png"}
    assert all(f.stat().st_size > 1000 and f.read_bytes()[:4] == b"\x89PNG" for f in pngs)


def test_figures_drawn_in_workers_are_those_drawn_here(tmp_path, make_fake_projection,
                                                      monkeypatch):
    ds = make_fake_projection(scenarios=("baseline", "low"), years=[2020, 2030, 2040, 2050],
                              regions=("Beijing", "Shanghai"))
    # a panel with nothing to draw for one region (the report redraws one figure per region)
    ds["allowance_cost"] = ds["allowance_cost"].where(ds["region"] != "Beijing")
    write_results(ds, tmp_path / "workers", excel=False, figures=True)
    monkeypatch.setattr(outputs, "_drawing_workers", lambda: 1)
    write_results(ds, tmp_path / "here", excel=False, figures=True)
    for name in ("shidu_pyramid.png", "national_trend.png", "provincial_small_multiples.png"):
        drawn = [(tmp_path / d / "figures" / name).read_bytes() for d in ("workers", "here")]
        assert drawn[0] == drawn[1]
    pages = [re.findall(r'src="data:image/png;base64,([^"]+)"',
                        (tmp_path / d / "report.html").read_text(encoding="utf-8"))
             for d in ("workers", "here")]
    assert len(pages[0]) == 3 and pages[0] == pages[1]


@pytest.mark.parametrize("seed", [0, 1])
def test_csv_writer_writes_what_pandas_writes(tmp_path, seed):
    """The compiled writer gives ``DataFrame.to_csv(float_format="%.10g")`` byte for byte,
    roundings at the tenth digit, exponents, signs, NaN and quoted labels included."""
    rng = np.random.default_rng(seed)
    n = 20_000
    special = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 9999999999.5, 9999999999.4,
                        99999.999995, 1e-5, 0.0001, 0.00012345678915, 1234567890.5, 1e10,
                        123456789012.0, 5e-324, 1.7976931348623157e308, 0.5, 2.5, 1e-300])
    values = np.concatenate([
        rng.lognormal(5, 6, n) * rng.choice([-1, 1], n),
        np.round(rng.random(n) * 1e6, 3),
        rng.integers(0, 1000, n).astype(float),
        10.0 ** rng.uniform(-320, 308, n),
        np.tile(special, n // len(special) + 1)[:n],
    ])
    frame = pd.DataFrame({
        "region": rng.choice(np.array(["Inner Mongolia", "a,b", 'say "x"', "内蒙古"],
                                      dtype=object), len(values)),
        "year": rng.integers(1990, 2051, len(values)),
        "value": values,
        "other": rng.permutation(values),
    })
    outputs.write_table_csv(frame, tmp_path / "fast.csv")
    frame.to_csv(tmp_path / "pandas.csv", index=False, float_format=outputs.CSV_FLOAT_FORMAT,
                 lineterminator="\n", encoding="utf-8")
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


# ---------------------------------------------------------------------------- summary


def test_age_group_labels():
    assert list(age_group_labels([0, 19, 20, 49, 50, 89, 90, 100])) == [
        "0-19", "0-19", "20-29", "40-49", "50-59", "80-89", "90+", "90+"]


def test_summary_by_region(make_fake_projection):
    ds = make_fake_projection(scenarios=("baseline", "low"), years=range(2019, 2022))
    table = summarize(ds, "region", year=2020)
    assert list(table.index.get_level_values("region")[:3]) == ["Beijing", "Shanghai", "China"]
    base = table.loc["baseline"]
    assert base.loc["China", "shidu_parents_strict"] == pytest.approx(
        base.loc["Beijing", "shidu_parents_strict"] + base.loc["Shanghai", "shidu_parents_strict"])
    assert "mean_children_ever_born" not in table.columns
    assert summarize(ds, "region").equals(summarize(ds, "region", year=2021))


def test_summary_by_age_group(fake_projection):
    table = summarize(fake_projection, "age_group", year=2030, region="Beijing")
    assert list(table.index.get_level_values("age_group")) == [
        "0-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80-89", "90+"]
    one = fake_projection.sel(scenario="baseline", year=2030, region="Beijing")
    ages = slice(50, 59)
    shidu = float(one["shidu_parents_strict"].sel(age=ages).sum())
    pop = float(one["population"].sel(age=ages).sum())
    row = table.loc[("baseline", "50-59")]
    assert row["shidu_parents_strict"] == pytest.approx(shidu)
    assert row["shidu_parents_strict_per_1000"] == pytest.approx(1000 * shidu / pop)


def test_summary_averages_replicates(make_fake_projection):
    ds = make_fake_projection(years=[2020], replicates=3)
    table = summarize(ds, "region", year=2020)
    expected = float(ds["population"].sel(region="China").mean("replicate").sum())
    assert table.loc[("baseline", "China"), "population"] == pytest.approx(expected)


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"by": "province"}, r"unknown summary 'province'; allowed: 'region', 'age_group'"),
    ({"year": 1980}, r"year 1980 is not in the result; it has years 1990\.\.2050"),
    ({"by": "age_group", "region": "Shanghi"},
     r"region 'Shanghi' is not in the result; did you mean 'Shanghai'"),
    ({"scenario": "high"}, r"scenario 'high' is not in the result; scenarios: baseline"),
])
def test_summary_errors(fake_projection, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        summarize(fake_projection, **kwargs)


def test_csv_split_by_scenario_beyond_spreadsheet_rows(tmp_path, small, monkeypatch):
    monkeypatch.setattr(outputs, "SPREADSHEET_ROWS", 100)
    two = xr.concat([small, small.assign_coords(scenario=["low"])], dim="scenario")
    files = write_results(two, tmp_path / "r", excel=False, figures=False)
    names = {f.name for f in files}
    assert {"projection_baseline.csv", "projection_low.csv",
            "projection_families_baseline.csv"} <= names and "projection.csv" not in names
    part = pd.read_csv(tmp_path / "r" / "projection_low.csv")
    assert set(part["scenario"]) == {"low"} and "shidu_parents_strict" in part.columns


def test_run_json_names_the_netcdf_library(tmp_path, small):
    write_results(small, tmp_path / "r", excel=False, figures=False)
    meta = json.loads((tmp_path / "r" / "run.json").read_text())
    library = meta["netcdf_library"]
    assert library["xarray_engine"] == outputs.netcdf_engine()
    assert library["xarray_engine"] in ("h5netcdf", "netcdf4") and library["hdf5"]


def test_summary_several_years_one_region_and_csv(tmp_path, make_fake_projection):
    from click.testing import CliRunner

    from lossproj.cli import main
    from lossproj.summary import summarize_years

    ds = make_fake_projection(scenarios=("baseline", "low"), years=range(2018, 2031),
                              regions=("Beijing", "Guangdong"))
    table = summarize_years(ds, "region", years=[2020, 2030], region="广东")
    assert list(table.index) == [("baseline", 2020, "Guangdong"), ("baseline", 2030, "Guangdong"),
                                 ("low", 2020, "Guangdong"), ("low", 2030, "Guangdong")]
    write_results(ds, tmp_path / "r", excel=False, figures=False)
    result = CliRunner().invoke(main, ["summary", str(tmp_path / "r"), "--years", "2020,2030",
                                       "--region", "guangdong", "--format", "csv"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("scenario,year,region,") and len(lines) == 5
    assert lines[1].startswith("baseline,2020,Guangdong,")
    result = CliRunner().invoke(main, ["summary", str(tmp_path / "r"), "--by", "age_group",
                                       "--years", "2020,2030", "--region", "44"])
    assert result.exit_code == 0 and "Year 2020, 2030" in result.output
    bad = CliRunner().invoke(main, ["summary", str(tmp_path / "r"), "--years", "2020,x"])
    assert bad.exit_code == 2 and "expected comma-separated years" in bad.output


def test_scenarios_with_different_regions_merge_with_missing_cells(monkeypatch,
                                                                    make_fake_projection):
    from lossproj import api
    from lossproj.config import load_config

    def fake_run(config, progress=None, data_dir=None):
        regions = ("Beijing", "Guangdong") if config.name == "baseline" else ("Beijing",)
        ds = make_fake_projection(years=range(2020, 2023), regions=regions)
        ds = ds.drop_sel(region="China").isel(scenario=0, drop=True)
        ds.attrs = {"scenario": config.name}
        return ds

    monkeypatch.setattr(api, "run_scenario", fake_run)
    ds = api.project(["baseline", "fertility_low"])  # packaged names (paths work too)
    assert list(ds["scenario"].values) == ["baseline", "fertility_low"]
    cell = ds["shidu_parents_strict"].sel(scenario="fertility_low", region="Guangdong")
    assert bool(cell.isnull().all())  # not computed: missing, not 0
    assert "China" not in ds["region"].values
    table = summarize(ds, "region", year=2021)
    assert np.isnan(table.loc[("fertility_low", "Guangdong"), "shidu_parents_strict"])
    assert table.loc[("baseline", "Guangdong"), "shidu_parents_strict"] > 0
    one = load_config("baseline")
    assert api.project([one]).sizes["scenario"] == 1


def test_run_without_a_cjk_font_keeps_its_results(tmp_path, small, monkeypatch):
    from lossproj import planner_plots
    from lossproj.errors import LossprojWarning

    def no_font(path=None):
        raise planner_plots.FontNotFoundError("no font with Chinese glyphs found")

    monkeypatch.setattr(planner_plots, "cjk_font", no_font)
    with pytest.warns(LossprojWarning, match="report.html not written: no font"):
        files = write_results(small, tmp_path / "r", excel=False, figures=True)
    assert "report.html" not in {f.name for f in files}
    meta = json.loads((tmp_path / "r" / "run.json").read_text())
    assert meta["report_not_written"] == "no font with Chinese glyphs found"


def test_summary_regions_outside_china_in_any_case(make_fake_projection):
    from lossproj.summary import check_region

    ds = make_fake_projection(years=[2000], regions=("Beijing",))
    ds = ds.assign_coords(region=["Sweden", "China"])
    assert check_region(ds, "sweden") == "Sweden"
    assert check_region(ds, "全国") == "China"
    with pytest.raises(ValueError, match="region 'Norway' is not in the result"):
        check_region(ds, "Norway")


def test_csv_split_by_scenario_and_replicate(tmp_path, make_fake_projection, monkeypatch):
    monkeypatch.setattr(outputs, "SPREADSHEET_ROWS", 100)
    ds = make_fake_projection(years=[2020, 2021], replicates=2)
    names = {f.name for f in write_results(ds, tmp_path / "r", excel=False, figures=False)}
    assert {"projection_baseline_0.csv", "projection_baseline_1.csv"} <= names
    part = pd.read_csv(tmp_path / "r" / "projection_baseline_1.csv")
    assert set(part["replicate"]) == {1}
