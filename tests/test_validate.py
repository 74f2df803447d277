"""Tests of the comparison with published figures."""

from __future__ import annotations

import numpy as np
import pytest

from lossproj.config import load_validation_targets
from lossproj.validate import format_table, model_value, validation_table


def test_table_lists_every_target(fake_projection):
    table = validation_table(fake_projection)
    targets = load_validation_targets()
    assert len(table) == len(targets)
    assert list(table["id"].unique()) == [f"V{i}" for i in range(1, 15)]
    assert table.attrs["scenario"] == "baseline"
    assert set(table.loc[table["id"].isin(["V11", "V12"]), "kind"]) == {"calibration"}
    assert set(table.loc[~table["id"].isin(["V11", "V12"]), "kind"]) == {"validation"}


def test_uncomputable_rows_give_reasons(fake_projection):
    table = validation_table(fake_projection).set_index("id")
    for ident in ("V5", "V8", "V9", "V10", "V12"):
        rows = table.loc[[ident]]
        assert set(rows["status"]) == {"not computable"}, ident
        assert rows["model"].isna().all()
        assert (rows["note"].str.len() > 20).all()
    assert "province" in table.loc["V9", "note"].iloc[0]


def test_model_values_follow_the_definitions(fake_projection):
    table = validation_table(fake_projection).set_index("figure")
    one = fake_projection.sel(scenario="baseline", region="China")
    # V3: strict shidu women aged 35+ in 2015
    v3 = float(one["shidu_parents_strict"].sel(year=2015, sex="female", age=slice(35, 100)).sum())
    row = table.loc["shidu women aged 35+"]
    assert row["model"] == pytest.approx(v3)
    assert row["ratio"] == pytest.approx(v3 / 1.4e6)
    assert row["published"] == 1.4e6
    assert row["source"].startswith("Wang Guangzhou 2016")
    # V1: new shidu families whose only child died aged 10+, mean of 2010-2012
    v1 = float(one["new_shidu_families_child_10plus"].sel(year=[2010, 2011, 2012]).sum("age").mean())
    assert table.loc["new shidu families per year", "model"] == pytest.approx(v1)
    # V2: only-child deaths of 2010 by the child's age, through the families they leave
    for figure, name in (("all ages", "new_shidu_families"), ("child aged 5+", "new_shidu_families_child_5plus"),
                         ("child aged 10+", "new_shidu_families_child_10plus")):
        value = float(one[name].sel(year=2010).sum())
        assert table.loc[f"only-child deaths in the year, {figure}", "model"] == pytest.approx(value)
    # V7: only children 0-30 over all persons 0-30 (both sexes), 2005, by region
    for figure, region in (("both sexes", "China"), ("Shanghai", "Shanghai")):
        one_r = fake_projection.sel(scenario="baseline", region=region, year=2005, age=slice(0, 30))
        share = float(one_r["only_children"].sum() / one_r["population"].sum())
        assert table.loc[f"only children among persons aged 0-30, {figure}", "model"] == pytest.approx(share)
    assert table.loc["only children among persons aged 0-30, male", "status"] == "not computable"
    # V11: mean children ever born of women 15-64, weighted by women
    w = one["population"].sel(year=2020, sex="female", age=slice(15, 64))
    ceb = one["mean_children_ever_born"].sel(year=2020, age=slice(15, 64))
    expected = float((ceb * w).sum() / w.sum())
    assert table.loc["mean children ever born, women 15-64", "model"] == pytest.approx(expected)
    # V4 is an upper bound
    assert table.loc["shidu women, upper bound", "status"] == "below bound"


def test_rows_need_their_variable(fake_projection):
    """A result without new_shidu_families* (e.g. from an older lossproj): V1 and V2 say so."""
    micro_like = fake_projection.drop_vars(
        ["new_shidu_families", "new_shidu_families_child_5plus", "new_shidu_families_child_10plus"])
    table = validation_table(micro_like).set_index("id")
    for ident in ("V1", "V2"):
        rows = table.loc[[ident]]
        assert set(rows["status"]) == {"not in result"}, ident
        assert rows["note"].str.contains("the result has no variable 'new_shidu_families").all()


def test_upper_bound_exceeded_is_flagged(fake_projection):
    big = fake_projection.copy()
    big["shidu_parents_strict"] = big["shidu_parents_strict"] * 1e4
    table = validation_table(big).set_index("figure")
    assert table.loc["shidu women, upper bound", "status"] == "ABOVE BOUND"


def test_years_outside_the_result(make_fake_projection):
    ds = make_fake_projection(years=range(2020, 2031))
    table = validation_table(ds).set_index("figure")
    row = table.loc["shidu women aged 35+"]
    assert row["status"] == "not in result"
    assert np.isnan(row["model"])
    assert row["note"] == "the result covers 2020..2030, not all of 2015..2015"


def test_replicates_are_averaged(make_fake_projection):
    ds = make_fake_projection(replicates=3)
    table = validation_table(ds).set_index("figure")
    expected = float(ds["shidu_parents_strict"].sel(scenario="baseline", region="China",
                                                    year=2015, sex="female",
                                                    age=slice(35, 100)).sum(["age"])
                     .mean("replicate"))
    assert table.loc["shidu women aged 35+", "model"] == pytest.approx(expected)


def test_scenario_choice(make_fake_projection):
    ds = make_fake_projection(scenarios=("low", "high"))
    assert validation_table(ds).attrs["scenario"] == "low"
    assert validation_table(ds, scenario="high").attrs["scenario"] == "high"
    with pytest.raises(ValueError, match="scenario 'mid' is not in the result; scenarios: "
                       "low, high"):
        validation_table(ds, scenario="mid")


def test_model_value_missing_variable(fake_projection):
    one = fake_projection.sel(scenario="baseline")
    value, reason = model_value(one, {"variable": "shidu_parents_wide", "first_year": 2015,
                                      "last_year": 2015})
    assert value is None and reason == "the result has no variable 'shidu_parents_wide'"


def test_printed_table(fake_projection):
    text = format_table(validation_table(fake_projection))
    assert "Validation (out-of-sample)" in text
    assert "Calibration fit diagnostics (inputs, not validation)" in text
    assert "1,400,000" in text
    assert "V9: a city (Guangzhou, registered population)" in text
    assert "V8: Jiang, Li & Sánchez-Barricarte 2014" in text


def test_verdicts_follow_the_ratio_band_and_bounds(fake_projection):
    from lossproj.validate import DEFAULT_RATIO_BAND, OUTSIDE, WITHIN, outside_rows

    spec = {"variable": "shidu_parents_strict", "sex": "female", "age_min": 35, "age_max": 100,
            "first_year": 2015, "last_year": 2015, "region": "China", "statistic": "sum"}
    value, _ = model_value(fake_projection.sel(scenario="baseline"), spec)
    targets = [
        {"id": "A", "kind": "validation", "published": value * 1.4, "model": spec},
        {"id": "B", "kind": "validation", "published": value * 1.6, "model": spec},
        {"id": "C", "kind": "validation", "published": value * 1.6, "ratio_band": 2.0,
         "model": spec},
        {"id": "D", "kind": "validation", "published": value * 0.9, "comparison": "upper_bound",
         "model": spec},
        {"id": "E", "kind": "calibration", "published": value * 3, "model": spec},
        {"id": "F", "kind": "validation", "published": 1.0, "model": {"unavailable": "no"}},
    ]
    table = validation_table(fake_projection, targets=targets)
    assert DEFAULT_RATIO_BAND == 1.5
    assert table["verdict"].tolist() == [WITHIN, OUTSIDE, WITHIN, OUTSIDE, OUTSIDE, "-"]
    assert outside_rows(table)["id"].tolist() == ["B", "D"]  # calibration rows are diagnostics
    assert "verdict" in format_table(table)


def test_cli_validate_json_and_fail_outside(tmp_path, fake_projection):
    import json

    from click.testing import CliRunner

    from lossproj.cli import main
    from lossproj.outputs import write_results

    write_results(fake_projection, tmp_path / "r", excel=False, figures=False)
    runner = CliRunner()
    out = tmp_path / "v.json"
    result = runner.invoke(main, ["validate", str(tmp_path / "r"), "--json", str(out)])
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())["rows"]
    assert {"id", "published", "model", "ratio", "verdict"} <= set(rows[0])
    failing = runner.invoke(main, ["validate", str(tmp_path / "r"), "--fail-outside"])
    n_outside = sum(r["verdict"] == "OUTSIDE" and r["kind"] == "validation" for r in rows)
    assert n_outside > 0  # synthetic values are far from the published ones
    assert failing.exit_code == 1 and "validation row(s) OUTSIDE" in failing.output
