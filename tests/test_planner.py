"""Planner indicators: age bands, policy rules, allowance tables, provincial care prevalence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from lossproj import planner
from lossproj import regions as reg
from lossproj.config import ConfigError, load_config
from lossproj.errors import DataError
from lossproj.paths import packaged_config_dir

CONFIGS = Path(__file__).resolve().parents[1] / "configs"

HEADER = "region,category,sex,age_min,monthly,first_year,last_year,indexation,source\n"


def _toy(values_by_age: dict[int, float], name="x") -> xr.DataArray:
    ages = np.arange(101)
    data = np.zeros((1, 2, ages.size))
    for age, v in values_by_age.items():
        data[0, :, age] = v
    return xr.DataArray(data, dims=("region", "sex", "age"), name=name,
                        coords={"region": ["Beijing"], "sex": ["female", "male"], "age": ages})


# --- regions -------------------------------------------------------------------------------


@pytest.mark.parametrize("code, name, zh", reg.PROVINCES)
def test_region_names_round_trip(code, name, zh):
    for alias in (name, name.lower(), name.upper(), zh, f"{code}", code):
        assert reg.resolve_region(alias) == name
    assert reg.ZH_BY_NAME[reg.resolve_region(zh)] == zh
    assert reg.CODE_BY_NAME[reg.resolve_region(code)] == code


def test_region_aliases_of_the_nation_and_suffixes():
    assert reg.resolve_region("全国") == reg.NATIONAL
    assert reg.resolve_region("china") == reg.NATIONAL
    assert reg.resolve_region("广东省") == "Guangdong"
    assert reg.resolve_region("内蒙古自治区") == "Inner Mongolia"
    assert reg.resolve_region("Guangzou") is None
    with pytest.raises(ValueError, match=r"unknown region 'Guangzou'; did you mean 'Guangdong'"):
        reg.check_region("Guangzou")


def test_config_accepts_region_aliases_and_packaged_base(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('base = "lossproj:baseline"\n[scenario]\nname = "mine"\n[run]\n'
                    'regions = ["guangdong", "上海", 11]\n'
                    '[allowance.guangzhou]\nregions = ["广东"]\n', encoding="utf-8")
    config = load_config(path)
    assert config.run.regions == ("Beijing", "Shanghai", "Guangdong")
    assert config.allowance.guangzhou.regions == ("Guangdong",)
    # the packaged scenario: the checkout's configs/ or, installed, lossproj/_configs
    assert config.bases == (str((packaged_config_dir() / "baseline.toml").resolve()),)


def test_packaged_scenarios_by_name():
    assert load_config("baseline").name == "baseline"
    assert load_config("lossproj:fertility_low").name == "fertility_low"
    with pytest.raises(ConfigError, match=r"nor is it a packaged scenario \(baseline, "):
        load_config("no_such_scenario")


def test_missing_base_is_one_problem(tmp_path):
    path = tmp_path / "orphan.toml"
    path.write_text('base = "nothere.toml"\n[run]\nregions = ["Beijing"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith("1 problem in")
    assert "base file" in message and '"lossproj:NAME"' in message
    path.write_text('base = "lossproj:basline"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"(?s)1 problem.*did you mean 'baseline'"):
        load_config(path)


# --- age bands and the Beijing rule ---------------------------------------------------------


def test_band_totals_are_open_bands_and_keep_missing():
    da = _toy({30: 1.0, 50: 2.0, 56: 4.0, 65: 8.0, 75: 16.0, 85: 32.0})
    bands = planner.band_totals(da).sel(region="Beijing")
    expected = {"all ages": 63, "49+": 62, "55+": 60, "60+": 56, "70+": 48, "80+": 32}
    assert {k: float(bands.sel(age_band=k)) / 2 for k in expected} == expected
    missing = planner.band_totals(da.where(False))
    assert bool(missing.isnull().all())


def test_beijing_count_is_care_dependent_below_70_plus_all_70_and_over():
    shidu = _toy({55: 100.0, 62: 100.0, 68: 100.0, 70: 100.0, 85: 100.0})
    care = _toy({62: 3.0, 68: 5.0, 70: 7.0, 85: 30.0})
    count = planner.priority_care_parents(shidu, care)
    by_hand = 3.0 + 5.0 + 100.0 + 100.0  # care-dependent 60-69, every shidu parent 70+
    assert float(count.sel(sex="female").sum()) == by_hand
    assert float(count.sum()) == 2 * by_hand
    assert planner.BEIJING_PRIORITY_CARE.age == 70


# --- allowance rules ------------------------------------------------------------------------


def test_allowance_rules_and_amounts(tmp_path):
    path = tmp_path / "rules.csv"
    path.write_text(HEADER
                    + "广东,base,both,0,800,2020,2100,0.02,Guangzhou rule\n"
                    + "44,supplement,male,60,300,2020,2100,0,Guangzhou rule\n"
                    + "Guangdong,supplement,female,55,300,2020,2100,,Guangzhou rule\n",
                    encoding="utf-8")
    rules = planner.read_allowance_rules(path)
    assert [r.region for r in rules] == ["Guangdong"] * 3
    amount = planner.monthly_amount(rules, "Guangdong", [2019, 2020, 2021], ("female", "male"),
                                    np.arange(101))
    assert float(amount.sel(year=2019).max()) == 0.0
    assert float(amount.sel(year=2020, sex="female", age=54)) == 800.0
    assert float(amount.sel(year=2020, sex="female", age=55)) == 1100.0
    assert float(amount.sel(year=2020, sex="male", age=59)) == 800.0
    assert float(amount.sel(year=2021, sex="male", age=60)) == pytest.approx(800 * 1.02 + 300)
    assert float(planner.monthly_amount(rules, "Beijing", [2020], ("female",), [60]).sum()) == 0


def test_local_cost_is_missing_where_no_rule_applies():
    ages = np.arange(101)
    eligible = xr.DataArray(np.ones((2, 3, 2, ages.size)), dims=("year", "region", "sex", "age"),
                            coords={"year": [2030, 2031],
                                    "region": ["Beijing", "Guangdong", "China"],
                                    "sex": ["female", "male"], "age": ages})
    rules = (planner.AllowanceRule("Guangdong", "base", "both", 0, 100.0, 2000, 2100),)
    cost = planner.local_allowance_cost(eligible, rules)
    assert float(cost.sel(region="Guangdong", year=2030).sum()) == 12 * 100.0 * 2 * ages.size
    assert bool(cost.sel(region=["Beijing", "China"]).isnull().all())


@pytest.mark.parametrize("row, where", [
    ("Guangdong,base,both,0,-800,2020,2100,0,x", r"row 2, column 'monthly': value '-800'"),
    ("Guangzou,base,both,0,800,2020,2100,0,x", r"row 2, column 'region': value 'Guangzou'"),
    ("Guangdong,base,both,120,800,2020,2100,0,x", r"row 2, column 'age_min': value '120'"),
    ("Guangdong,base,both,0,800,2030,2020,0,x", r"row 2, column 'last_year': value 2020 is before"),
    ("Guangdong,base,both,0,800,2020,2030,0,x\nGuangdong,base,female,0,900,2030,2040,0,x",
     r"row 3, column 'first_year': years 2030-2040 overlap row 2"),
])
def test_bad_allowance_tables_name_file_row_and_column(tmp_path, row, where):
    path = tmp_path / "bad_rules.csv"
    path.write_text(HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad_rules\.csv, " + where):
        planner.read_allowance_rules(path)


def test_guangzhou_rule_prices_only_the_named_region():
    config = load_config(CONFIGS / "baseline.toml")
    rules = planner.guangzhou_rules(config.allowance.guangzhou, 2020, 2050)
    assert planner.rule_regions(rules) == ["Guangdong"]
    amount = planner.monthly_amount(rules, "Guangdong", [2030], ("female", "male"), [54, 55, 60])
    assert amount.sel(year=2030).values.tolist() == [[800.0, 1100.0, 1100.0],
                                                     [800.0, 800.0, 1100.0]]


# --- care prevalence by province ------------------------------------------------------------


def test_provincial_care_prevalence_meets_each_level():
    ages = np.arange(101)
    national = xr.DataArray(np.where(ages >= 60, 0.01 + 0.001 * (ages - 60), 0.0)[None, :]
                            * np.array([[1.2], [1.0]]), dims=("sex", "age"),
                            coords={"sex": ["female", "male"], "age": ages})
    rng = np.random.default_rng(3)
    pop = xr.DataArray(rng.uniform(1e3, 1e4, (2, 2, ages.size)), dims=("region", "sex", "age"),
                       coords={"region": ["Beijing", "Tibet"], "sex": ["female", "male"],
                               "age": ages})
    levels = xr.DataArray([0.028, 0.046], dims="region", coords={"region": ["Beijing", "Tibet"]})
    prev = planner.provincial_care_prevalence(national, levels, pop)
    old = pop.where(pop["age"] >= 60, 0.0)
    achieved = (prev * old).sum(["sex", "age"]) / old.sum(["sex", "age"])
    np.testing.assert_allclose(achieved.values, levels.values, rtol=1e-12)
    # the age-sex pattern is the national one
    ratio = prev.sel(region="Tibet") / national.where(national > 0)
    assert float(ratio.max() - ratio.min()) < 1e-12


def test_policy_variables_of_a_national_run(make_fake_projection):
    from lossproj import api

    ds = make_fake_projection(years=[2020, 2030], regions=reg.PROVINCE_NAMES).isel(
        scenario=0, drop=True)
    ds = ds.drop_vars(["care_dependent_shidu_parents", "allowance_cost"])
    config = load_config(CONFIGS / "baseline.toml")
    out = api.add_policy_variables(ds, config, "test")
    provinces = out.sel(region=list(reg.PROVINCE_NAMES))
    for name in ("care_dependent_shidu_parents", "priority_care_shidu_parents", "allowance_cost"):
        np.testing.assert_allclose(out[name].sel(region="China"), provinces[name].sum("region"),
                                   rtol=1e-12)
    local = out["allowance_cost_local"]
    assert bool(local.sel(region="China").isnull().all())  # one province priced: no national sum
    assert bool(local.sel(region="Beijing").isnull().all())
    eligible = out["eligible_shidu_parents"].sel(region="Guangdong", year=2030)
    by_hand = 12 * (800 * eligible.sum() + 300 * eligible.sel(sex="male", age=slice(60, None)).sum()
                    + 300 * eligible.sel(sex="female", age=slice(55, None)).sum())
    assert float(local.sel(region="Guangdong", year=2030).sum()) == pytest.approx(float(by_hand))
    national = float(out["allowance_cost"].sel(region="Guangdong", year=2030).sum())
    assert national == pytest.approx(12 * 590 * float(eligible.sum()))
    assert list(out["region_code"].values[-2:]) == [65, 0]


def test_guangzhou_schedule_prices_only_its_regions(make_fake_projection):
    import dataclasses

    from lossproj import api

    ds = make_fake_projection(years=[2030], regions=("Beijing", "Guangdong")).isel(
        scenario=0, drop=True).drop_sel(region="China")
    ds = ds.drop_vars(["care_dependent_shidu_parents", "allowance_cost"])
    config = load_config(CONFIGS / "baseline.toml")
    config = dataclasses.replace(config, allowance=dataclasses.replace(config.allowance,
                                                                       schedule="guangzhou"))
    out = api.add_policy_variables(ds, config, "test")
    np.testing.assert_allclose(out["allowance_cost"].sel(region="Guangdong"),
                               out["allowance_cost_local"].sel(region="Guangdong"))
    beijing = out["eligible_shidu_parents"].sel(region="Beijing").sum()
    assert float(out["allowance_cost"].sel(region="Beijing").sum()) == pytest.approx(
        12 * 590 * float(beijing))


def test_eligibility_by_the_mothers_age_on_a_hand_computed_couple_table():
    import pandas as pd

    couples = pd.DataFrame(
        [  # mother, father, mother alive, father alive, strict shidu, couples
            (45, 50, True, True, True, 10.0),    # father 50, wife 45: neither eligible
            (49, 47, True, True, True, 20.0),    # wife 49, husband 47: both eligible
            (60, 63, False, True, True, 5.0),    # widower whose wife would be 60: he is
            (52, 55, True, False, True, 7.0),    # widow 52: she is
            (55, 58, True, True, False, 100.0),  # child alive (or a later birth): no one
            (48, 49, True, True, True, 3.0),     # wife 48: not yet
        ], columns=planner.COUPLE_COLUMNS)
    table = planner.eligible_parents(couples).set_index(["sex", "age"])["eligible"]
    by_hand = {("female", 49): 20.0, ("female", 52): 7.0, ("male", 47): 20.0, ("male", 63): 5.0}
    assert table.to_dict() == by_hand
    # the rule by each parent's own age would have counted the fathers of 50 and 49 and missed
    # the father of 47
    own_age = {("male", 50), ("male", 49)}
    assert not own_age & set(table.index) and ("male", 47) in table.index


def test_a_configs_local_table_prices_its_regions(tmp_path, make_fake_projection):
    from lossproj import api

    (tmp_path / "rules.csv").write_text(HEADER + "北京,base,both,60,1000,2025,2100,0,city rule\n",
                                        encoding="utf-8")
    path = tmp_path / "mine.toml"
    path.write_text('base = "lossproj:baseline"\n[allowance]\nlocal_table = "rules.csv"\n'
                    "[allowance.guangzhou]\nregions = []\n", encoding="utf-8")
    config = load_config(path)
    ds = make_fake_projection(years=[2020, 2030], regions=("Beijing", "Guangdong")).isel(
        scenario=0, drop=True).drop_sel(region="China")
    ds = ds.drop_vars(["care_dependent_shidu_parents", "allowance_cost"])
    local = api.add_policy_variables(ds, config, "test")["allowance_cost_local"]
    eligible = ds["eligible_shidu_parents"].sel(region="Beijing", year=2030)
    assert float(local.sel(region="Beijing", year=2030).sum()) == pytest.approx(
        12 * 1000 * float(eligible.sel(age=slice(60, None)).sum()))
    assert float(local.sel(region="Beijing", year=2020).sum()) == 0.0  # not yet in force
    assert bool(local.sel(region="Guangdong").isnull().all())
    bad = tmp_path / "bad.toml"
    bad.write_text('base = "lossproj:baseline"\n[allowance]\nlocal_table = "none.csv"\n',
                   encoding="utf-8")
    with pytest.raises(ConfigError, match=r"allowance\.local_table = 'none\.csv': file .* does "
                       "not exist"):
        load_config(bad)


def test_a_bad_rule_table_fails_before_the_run(tmp_path, monkeypatch):
    from lossproj import api

    (tmp_path / "rules.csv").write_text(HEADER + "Guangdong,base,both,0,-5,2025,2100,0,x\n",
                                        encoding="utf-8")
    path = tmp_path / "mine.toml"
    path.write_text('base = "lossproj:baseline"\n[allowance]\nlocal_table = "rules.csv"\n',
                    encoding="utf-8")

    def no_run(config, progress=None, data_dir=None):
        raise AssertionError("the scenario ran")

    monkeypatch.setattr(api, "run_scenario", no_run)
    with pytest.raises(DataError, match=r"rules\.csv, row 2, column 'monthly'"):
        api.project([path])
