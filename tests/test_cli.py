"""Tests of the ``lossproj`` command line (with a fake ``lossproj.api`` unless stated)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from lossproj.cli import main

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
BASELINE = CONFIGS / "baseline.toml"


@pytest.fixture
def runner():
    return CliRunner()


def small_config(tmp_path: Path, name: str = "small", body: str = "") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'base = "{BASELINE.as_posix()}"\n[run]\nregions = ["Beijing"]\n'
                    f"first_year = 2018\nlast_year = 2022\n{body}", encoding="utf-8")
    return path


def test_run_writes_results(runner, tmp_path, fake_api):
    out = tmp_path / "out"
    cfg = small_config(tmp_path)
    result = runner.invoke(main, ["run", str(cfg), "--out", str(out), "--no-figures"])
    assert result.exit_code == 0, result.output
    assert f"wrote 5 files to {out}" in result.output
    assert (out / "projection.nc").is_file() and (out / "projection.xlsx").is_file()
    assert not (out / "figures").exists()
    meta = json.loads((out / "run.json").read_text())
    assert meta["command"][:2] == ["lossproj", "run"]
    assert "project_s" in meta["timings"]
    assert meta["config"][0]["scenario"]["name"] == "small"


def test_run_several_configs_and_overrides(runner, tmp_path, fake_api):
    a = small_config(tmp_path, "a")
    b = small_config(tmp_path, "b", "[fertility]\nvariant = 'low'\n")
    out = tmp_path / "out"
    result = runner.invoke(main, ["run", str(a), str(b), "--out", str(out), "--engine", "micro",
                                  "--scale", "0.01", "--replicates", "2", "--seed", "5",
                                  "--no-figures"])
    assert result.exit_code == 0, result.output
    (configs,) = fake_api.calls
    assert [c.name for c in configs] == ["a", "b"]
    assert all((c.run.engine, c.run.scale, c.run.replicates, c.run.seed) == ("micro", 0.01, 2, 5)
               for c in configs)
    assert configs[1].fertility.variant == "low"
    meta = json.loads((out / "run.json").read_text())
    assert meta["overrides"] == {"engine": "micro", "scale": 0.01, "replicates": 2, "seed": 5}
    assert meta["scenarios"] == ["a", "b"]


def test_run_refuses_existing_directory(runner, tmp_path, fake_api):
    out = tmp_path / "out"
    out.mkdir()
    (out / "x.txt").write_text("x")
    result = runner.invoke(main, ["run", str(small_config(tmp_path)), "--out", str(out)])
    assert result.exit_code == 2
    assert f"Error: output directory {out} exists and is not empty" in result.output
    assert "--force" in result.output
    assert "Traceback" not in result.output
    assert fake_api.calls == []  # refused before the projection ran
    result = runner.invoke(main, ["run", str(small_config(tmp_path)), "--out", str(out),
                                  "--force", "--no-figures"])
    assert result.exit_code == 0, result.output
    assert (out / "x.txt").exists() and (out / "projection.nc").exists()


def test_config_errors_are_clean(runner, tmp_path, fake_api):
    cfg = small_config(tmp_path, body="[replacement]\nnever_multipler = 2\n")
    result = runner.invoke(main, ["run", str(cfg), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "Error: 1 problem in" in result.output
    assert "did you mean 'never_multiplier'?" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_bad_override_is_clean(runner, tmp_path, fake_api):
    result = runner.invoke(main, ["run", str(small_config(tmp_path)), "--out",
                                  str(tmp_path / "o"), "--scale", "3"])
    assert result.exit_code == 2
    assert "scale = 3.0: must satisfy 0 < scale <= 1" in result.output


def test_missing_config_file(runner, tmp_path, fake_api):
    result = runner.invoke(main, ["run", str(tmp_path / "nope.toml"), "--out",
                                  str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "nope.toml: scenario file does not exist" in result.output


def test_validate_summary_on_a_result(runner, tmp_path, fake_api):
    out = tmp_path / "out"
    cfg = tmp_path / "full.toml"
    cfg.write_text(f'base = "{BASELINE.as_posix()}"\n[run]\nregions = ["Beijing", "Shanghai"]\n',
                   encoding="utf-8")
    assert runner.invoke(main, ["run", str(cfg), "--out", str(out), "--no-figures"]).exit_code == 0
    result = runner.invoke(main, ["validate", str(out)])
    assert result.exit_code == 0, result.output
    assert "shidu women aged 35+" in result.output and "not computable" in result.output
    result = runner.invoke(main, ["validate", str(out / "projection.nc"), "--scenario", "x"])
    assert result.exit_code == 2
    assert "Error: scenario 'x' is not in the result; scenarios: full" in result.output
    result = runner.invoke(main, ["summary", str(out), "--by", "age_group", "--year", "2030"])
    assert result.exit_code == 0, result.output
    assert "Year 2030" in result.output and "50-59" in result.output
    result = runner.invoke(main, ["summary", str(out), "--year", "1800"])
    assert result.exit_code == 2
    assert "Error: year 1800 is not in the result; it has years 1990..2050" in result.output


def test_validate_without_result_runs_baseline(runner, fake_api):
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    (configs,) = fake_api.calls
    assert configs[0].name == "baseline"
    assert "lossproj validation" in result.output


def test_calibrate(runner, tmp_path, fake_api):
    result = runner.invoke(main, ["calibrate", str(small_config(tmp_path)), "--out",
                                  str(tmp_path / "cal")])
    assert result.exit_code == 0, result.output
    assert "mean_ceb_2020" in result.output
    assert (tmp_path / "cal" / "calibration.png").is_file()
    assert (tmp_path / "cal" / "calibration_report.csv").is_file()
    # the replacement diagnostics follow the fit
    assert "another birth within 5 / 10 years" in result.output
    assert "Strict shidu mothers under 35" in result.output
    for name in ("replacement_probabilities.csv", "replacement_time_bereaved.csv"):
        assert (tmp_path / "cal" / name).is_file()


def test_calibrate_replacement_only(runner, tmp_path, fake_api):
    result = runner.invoke(main, ["calibrate", str(small_config(tmp_path)), "--replacement-only",
                                  "--out", str(tmp_path / "cal")])
    assert result.exit_code == 0, result.output
    assert "mean_ceb_2020" not in result.output
    table = pd.read_csv(tmp_path / "cal" / "replacement_probabilities.csv")
    assert set(table["loss_age"]) == {20, 25, 30, 35, 40, 45}
    assert table["probability"].between(0, 1).all()
    assert "Strict shidu mothers under 35" in result.output


def test_help_lists_commands(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "validate", "summary", "calibrate"):
        assert command in result.output
    if importlib.util.find_spec("lossproj.cli_data") is not None:
        assert "data" in result.output


def test_real_pipeline_end_to_end(runner, tmp_path):
    """`lossproj run` through the real `lossproj.api` on one province, a few years."""
    if importlib.util.find_spec("lossproj.api") is None:
        pytest.skip("lossproj.api does not exist yet (the lead's module); remove this skip "
                    "when it does")
    out = tmp_path / "out"
    result = runner.invoke(main, ["run", str(small_config(tmp_path)), "--out", str(out),
                                  "--no-figures"])
    assert result.exit_code == 0, result.output
    from lossproj.outputs import read_results

    ds = read_results(out)
    assert set(ds.dims) >= {"scenario", "year", "region", "sex", "age"}
    assert list(ds["year"].values) == [2018, 2019, 2020, 2021, 2022]
    assert "Beijing" in ds["region"].values
    for name in ("population", "one_child_parents", "shidu_parents_strict"):
        assert set(ds[name].attrs) >= {"units", "long_name", "definition", "source"}
        assert float(ds[name].min()) >= 0


def test_run_accepts_packaged_scenario_names(runner, tmp_path, fake_api):
    out = tmp_path / "out"
    result = runner.invoke(main, ["run", "baseline", "fertility_low", "--out", str(out),
                                  "--no-figures"])
    assert result.exit_code == 0, result.output
    (configs,) = fake_api.calls
    assert [c.name for c in configs] == ["baseline", "fertility_low"]


def test_plot_draws_a_region_by_its_chinese_name(runner, tmp_path, make_fake_projection):
    from lossproj.outputs import write_results

    ds = make_fake_projection(regions=("Beijing", "Guangdong"), years=range(2018, 2024))
    write_results(ds, tmp_path / "r", excel=False, figures=False)
    out = tmp_path / "figs"
    result = runner.invoke(main, ["plot", str(tmp_path / "r"), "--region", "广东", "--out",
                                  str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == ["guangdong_budget.png", "guangdong_care.png", "guangdong_pyramid.png",
                     "guangdong_shidu_60_70.png"]
    result = runner.invoke(main, ["plot", str(tmp_path / "r"), "--region", "44", "--variable",
                                  "eligible_shidu_parents", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "guangdong_eligible_shidu_parents_60_70.png").stat().st_size > 1000
    bad = runner.invoke(main, ["plot", str(tmp_path / "r"), "--region", "Guangzou", "--out",
                               str(out)])
    assert bad.exit_code == 2 and "did you mean 'Guangdong'" in bad.output
