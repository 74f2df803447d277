"""Tests of scenario-file parsing, inheritance, validation and command-line overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lossproj.config import (
    ScenarioConfig,
    load_config,
    load_configs,
    load_validation_targets,
    override,
    packaged_config,
    packaged_config_dir,
)
from lossproj.errors import ConfigError
from lossproj.regions import PROVINCE_NAMES

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
BASELINE = CONFIGS / "baseline.toml"


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def derived(tmp_path: Path, body: str, name: str = "s.toml") -> Path:
    """A scenario file based on the packaged baseline."""
    return write(tmp_path, name, f'base = "{BASELINE.as_posix()}"\n{body}')


# ---------------------------------------------------------------------------- packaged files


SCENARIO_FILES = sorted(p for p in CONFIGS.glob("*.toml") if p.name != "validation_targets.toml")


def test_packaged_scenarios_present():
    assert {p.stem for p in SCENARIO_FILES} >= {
        "baseline", "fertility_low", "fertility_high", "mortality_slow_improvement",
        "mortality_fast_improvement", "replacement_low", "replacement_high", "no_replacement",
        "sweden_example",
        "sweden_stable"}


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_every_packaged_scenario_loads(path):
    config = load_config(path)
    assert isinstance(config, ScenarioConfig)
    assert config.name == path.stem


def test_baseline_values_and_provenance():
    config = load_config(BASELINE)
    assert config.run.regions == PROVINCE_NAMES
    assert (config.run.first_year, config.run.last_year) == (1990, 2050)
    assert config.run.engine == "expected"
    assert config.replacement.enabled is True
    assert [e.name for e in config.parity.eras] == [
        "pre1971", "later_longer_fewer", "one_child", "two_child", "three_child"]
    assert config.parity.era_of(1985).name == "one_child"
    assert config.parity.duration_second[0] == 0.0
    assert config.allowance.guangzhou.monthly == 800.0
    provenance = {key: (unit, source) for key, unit, source in config.provenance}
    assert provenance["mortality.improvement"][0] == "multiplier"
    assert "Liu & He 2022" in provenance["allowance.guangzhou.monthly"][1]
    assert "Leridon 2004" in provenance["replacement.wait_pmf"][1]
    assert "Leridon 2008" in provenance["replacement.infecund_share"][1]
    assert all(source for _, _, source in config.provenance)


def test_every_number_in_baseline_has_unit_and_source():
    # The baseline gives each number of [run], [mortality], [parity], [family], [care] and
    # [allowance.guangzhou] as a {value, unit, source} table.
    keys = {key for key, _, _ in load_config(BASELINE).provenance}
    expected = {"run.first_year", "run.last_year", "run.scale", "run.replicates", "run.seed",
                "run.block_size", "mortality.improvement",
                "mortality.child_mortality_multiplier", "replacement.never_multiplier",
                "parity.duration_second", "replacement.wait_pmf", "replacement.infecund_ages",
                "replacement.infecund_share", "parity.eras[2].never_replace", "family.union_age",
                "family.eligibility_age", "care.annual_trend"}
    assert expected <= keys


def test_derived_scenarios_inherit_and_change_only_their_keys():
    base = load_config(BASELINE)
    slow = load_config(CONFIGS / "mortality_slow_improvement.toml")
    assert slow.mortality.improvement == 0.5
    assert slow.parity == base.parity
    assert slow.run == base.run
    assert slow.bases == (str(BASELINE),)
    assert load_config(CONFIGS / "replacement_low.toml").replacement.never_multiplier == 2.0
    assert load_config(CONFIGS / "replacement_high.toml").replacement.never_multiplier == 0.5
    assert load_config(CONFIGS / "no_replacement.toml").replacement.enabled is False
    assert load_config(CONFIGS / "fertility_low.toml").fertility.variant == "low"


def test_sweden_configs():
    example = load_config(CONFIGS / "sweden_example.toml")
    assert example.run.regions == ("Sweden",)
    assert example.rates.bundle == "sweden"
    assert (example.run.first_year, example.run.last_year) == (1950, 2018)
    stable = load_config(CONFIGS / "sweden_stable.toml")
    assert stable.rates.time_invariant_year == 1950
    assert len(stable.bases) == 2


def test_name_and_description_are_not_inherited(tmp_path):
    config = load_config(derived(tmp_path, "[fertility]\nvariant = 'high'\n", "my_case.toml"))
    assert config.name == "my_case"
    assert config.scenario.description == ""


def test_to_dict_is_json_and_complete():
    config = load_config(CONFIGS / "replacement_low.toml")
    data = json.loads(json.dumps(config.to_dict()))
    assert data["replacement"]["never_multiplier"] == 2.0
    assert data["run"]["regions"][0] == "Beijing"
    assert data["parity"]["eras"][2]["name"] == "one_child"
    assert data["path"].endswith("replacement_low.toml")
    assert any(p["key"] == "replacement.never_multiplier" for p in data["provenance"])


def test_packaged_lookup():
    assert packaged_config("baseline") == packaged_config_dir() / "baseline.toml"
    with pytest.raises(ConfigError, match="no packaged scenario 'baselin'; did you mean "
                       "'baseline'"):
        packaged_config("baselin")


def test_validation_targets_cover_v1_to_v14():
    # V1-V12: DESIGN's VALIDATION.md; V13-V14: census-based counts found since
    ids = {t["id"] for t in load_validation_targets()}
    assert ids == {f"V{i}" for i in range(1, 15)}


# ---------------------------------------------------------------------------- errors


def test_several_problems_reported_together(tmp_path):
    path = derived(tmp_path, """
[run]
scael = 0.1
engine = "mikro"
first_year = 1980
[replacement]
never_multiplier = -1
[care]
annual_trend = 1.5
""")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"5 problems in {path}")
    assert "run.scael = 0.1: unknown key; did you mean 'scale'?" in message
    assert "run.engine = 'mikro': did you mean 'micro'? allowed: 'expected', 'micro'" in message
    assert "run.first_year = 1980: output years must lie in 1990..2100" in message
    assert "replacement.never_multiplier = -1: must be >= 0" in message
    assert "care.annual_trend = 1.5" in message
    # every line names the file the bad key is in
    assert all(str(path) in line for line in message.splitlines()[1:])


@pytest.mark.parametrize(("body", "pattern"), [
    ("[run]\nregion = 'all'\n", r"run\.region = 'all': unknown key; did you mean 'regions'\?"),
    ("[mortalty]\nimprovement = 1\n", r"mortalty = .*unknown key; did you mean 'mortality'\?"),
    ("[replacement]\nnever_multipler = 2\n",
     r"replacement\.never_multipler = 2: unknown key; did you mean 'never_multiplier'\?"),
    ("[parity]\nrebirth_multiplier = 2\n",
     r"parity\.rebirth_multiplier = 2: no longer a key: replacement after loss is its own "
     r"process; use replacement\.never_multiplier"),
    ("[parity]\nrebirth_time = [1.0]\n", r"parity\.rebirth_time = \[1\.0\]: no longer a key.*"
     r"replacement\.wait_pmf"),
    ("[allowance.guangzhou]\nmonthy = 800\n",
     r"allowance\.guangzhou\.monthy = 800: unknown key; did you mean 'monthly'\?"),
])
def test_unknown_key_suggests_closest(tmp_path, body, pattern):
    with pytest.raises(ConfigError, match=pattern):
        load_config(derived(tmp_path, body))


def test_unknown_region_suggests_closest(tmp_path):
    path = derived(tmp_path, "[run]\nregions = ['Beijing', 'Guangzou']\n")
    with pytest.raises(ConfigError, match=r"run\.regions\[1\] = 'Guangzou': unknown region; "
                       r"did you mean 'Guangdong'.*Known regions: Beijing, Tianjin"):
        load_config(path)


@pytest.mark.parametrize(("body", "pattern"), [
    ("[run]\nregions = ['Sweden']\n", r"region \"Sweden\" needs rates\.bundle = \"sweden\""),
    ("[rates]\nbundle = 'sweden'\n[run]\nregions = ['Beijing']\nfirst_year = 1950\n"
     "last_year = 2000\n", r"the sweden bundle has the single region 'Sweden'"),
    ("[run]\nregions = ['China']\n", r"'China' is always output as the sum"),
    ("[run]\nregions = ['Hebei', 'Hebei']\n", r"lists Hebei more than once"),
])
def test_region_rules(tmp_path, body, pattern):
    with pytest.raises(ConfigError, match=pattern):
        load_config(derived(tmp_path, body))


def test_selected_regions_in_code_order(tmp_path):
    config = load_config(derived(tmp_path, "[run]\nregions = ['Xinjiang', 'Beijing']\n"))
    assert config.run.regions == ("Beijing", "Xinjiang")


@pytest.mark.parametrize(("body", "pattern"), [
    ("[run]\nfirst_year = 1989\n", r"run\.first_year = 1989: output years must lie in "
     r"1990\.\.2100 for the china rate bundle"),
    ("[run]\nlast_year = 2101\n", r"run\.last_year = 2101: output years must lie in 1990\.\.2100"),
    ("[run]\nfirst_year = 2030\nlast_year = 2020\n",
     r"run\.first_year = 2030: must not be after run\.last_year = 2020"),
    ("[rates]\ntime_invariant_year = 1900\n",
     r"rates\.time_invariant_year = 1900: must be a year with data, 1950\.\.2100"),
    ("[rates]\nbundle = 'sweden'\n[run]\nregions = 'all'\nlast_year = 2030\n",
     r"run\.last_year = 2030: output years must lie in 1900\.\.2018 for the sweden rate bundle"),
    ("[run]\nfirst_year = 2000.0\n", r"run\.first_year = 2000\.0: must be an integer"),
    ("[[mortality.shocks]]\nfirst_year = 1959\nlast_year = 1958\nage_min = 0\nage_max = 10\n"
     "multiplier = 2\n", r"mortality\.shocks\[0\]\.first_year = 1959: must not be after "
     r"last_year = 1958"),
])
def test_bad_years(tmp_path, body, pattern):
    with pytest.raises(ConfigError, match=pattern):
        load_config(derived(tmp_path, body))


@pytest.mark.parametrize(("body", "pattern"), [
    ("[run]\nscale = 0\n", r"run\.scale = 0: the sampling fraction must satisfy 0 < scale <= 1"),
    ("[run]\nscale = 1.5\n", r"run\.scale = 1\.5: the sampling fraction"),
    ("[run]\nreplicates = 0\n", r"run\.replicates = 0: must be an integer >= 1"),
    ("[run]\nseed = -3\n", r"run\.seed = -3: a seed must be an integer in 0\.\.18446744073709551615"),
    ("[mortality]\nchild_mortality_multiplier = 0\n", r"must be > 0"),
    ("[replacement]\nwait_pmf = [0.5, 0.6]\n",
     r"replacement\.wait_pmf = \[0\.5, 0\.6\]: probabilities must sum to 1; they sum to 1\.1"),
    ("[replacement]\nwait_pmf = [1.5, -0.5]\n", r"replacement\.wait_pmf\[0\] = 1\.5: must satisfy"),
    ("[replacement]\ninfecund_share = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 1.2]\n",
     r"replacement\.infecund_share\[10\] = 1\.2: must satisfy"),
    ("[replacement]\ninfecund_share = [0.5, 0.4]\ninfecund_ages = [30, 40]\n",
     r"replacement\.infecund_share = \[0\.5, 0\.4\]: must not decrease with age"),
    ("[replacement]\ninfecund_ages = [30, 40]\n",
     r"replacement\.infecund_share = .*: needs one share per age"),
    ("[replacement]\nnever_multiplier = { value = -0.5, unit = 'multiplier', source = 'x' }\n",
     r"replacement\.never_multiplier = -0\.5: must be >= 0"),
    ("[replacement]\nenabled = 'yes'\n", r"replacement\.enabled = 'yes': must be true or false"),
    ("[care]\nannual_trend = { value = 0.01, unit = 'percent', source = 'x' }\n",
     r"care\.annual_trend\.unit = 'percent': the unit of care\.annual_trend is "
     r"'relative change per year'"),
    ("[[parity.eras]]\nname = 'all'\nfirst_year = 1890\nlast_year = 2050\nsecond = 1\n"
     "third = 1\nfourth_plus = 1\nnever_replace = 0.1\n",
     r"eras must cover every year 1890\.\.2100 .*the last era ends in 2050, before 2100"),
    ("[parity]\nprovince_one_child_multiplier = { Jiangsu = 1.2, Sichuan = 0 }\n",
     r"parity\.province_one_child_multiplier\.Sichuan = 0: must be > 0"),
])
def test_values_out_of_range(tmp_path, body, pattern):
    with pytest.raises(ConfigError, match=pattern):
        load_config(derived(tmp_path, body))


def test_spouse_gap_probabilities_must_sum_to_one(tmp_path):
    path = derived(tmp_path, "[family]\nspouse_age_gap = { gaps = [0, 2, 4], "
                   "probabilities = [0.3, 0.3, 0.3] }\n")
    with pytest.raises(ConfigError, match=r"family\.spouse_age_gap\.probabilities = "
                       r"\[0\.3, 0\.3, 0\.3\]: probabilities sum to 0\.9; they must sum to 1 "
                       r"within 1e-06"):
        load_config(path)
    path = derived(tmp_path, "[family]\nspouse_age_gap = { gaps = [0, 2], "
                   "probabilities = [0.5, 0.5], source = 'test' }\n")
    gap = load_config(path).family.spouse_age_gap
    assert gap.gaps == (0, 2) and gap.probabilities == (0.5, 0.5)
    path = derived(tmp_path, "[family]\nspouse_age_gap = { gaps = [0, 2], "
                   "probabilities = [0.5, 0.6] }\n")
    with pytest.raises(ConfigError, match=r"probabilities\[1\] = 0\.6: must satisfy|"
                       r"sum to 1\.1"):
        load_config(path)


def test_tfr_path_inline_and_from_file(tmp_path):
    config = load_config(derived(tmp_path, "[fertility]\ntfr_path = { years = [2025, 2050], "
                                 "tfr = [1.0, 1.4], source = 'test' }\n"))
    assert config.fertility.tfr_path.tfr == (1.0, 1.4)
    write(tmp_path, "tfr.toml", "years = [2030, 2040]\ntfr = [1.1, 1.2]\n")
    config = load_config(derived(tmp_path, "[fertility]\ntfr_path = 'tfr.toml'\n"))
    assert config.fertility.tfr_path.years == (2030, 2040)
    with pytest.raises(ConfigError, match=r"fertility\.tfr_path = 'nope\.toml': file .*nope\.toml "
                       "does not exist"):
        load_config(derived(tmp_path, "[fertility]\ntfr_path = 'nope.toml'\n"))
    with pytest.raises(ConfigError, match="years must be strictly increasing"):
        load_config(derived(tmp_path, "[fertility]\ntfr_path = { years = [2030, 2030], "
                            "tfr = [1.0, 1.2] }\n"))


def test_missing_base_file(tmp_path):
    path = write(tmp_path, "s.toml", 'base = "missing.toml"\n')
    with pytest.raises(ConfigError, match=r"base = 'missing\.toml': base file .*missing\.toml "
                       "does not exist"):
        load_config(path)


def test_missing_scenario_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.toml: scenario file does not exist"):
        load_config(tmp_path / "nope.toml")


def test_base_cycle_detected(tmp_path):
    write(tmp_path, "a.toml", 'base = "b.toml"\n')
    write(tmp_path, "b.toml", 'base = "a.toml"\n')
    with pytest.raises(ConfigError, match=r"bases form a cycle: .*a\.toml -> .*b\.toml -> "
                       r".*a\.toml"):
        load_config(tmp_path / "a.toml")


def test_root_file_must_give_every_key(tmp_path):
    path = write(tmp_path, "root.toml", "[run]\nengine = 'expected'\n")
    with pytest.raises(ConfigError, match=r"run\.first_year is missing: required; the root "
                       r"scenario file \(one without `base`\) must give every key"):
        load_config(path)


def test_bad_toml_syntax(tmp_path):
    path = write(tmp_path, "s.toml", "[run\nengine = 1\n")
    with pytest.raises(ConfigError, match=r"s\.toml: not valid TOML"):
        load_config(path)


def test_recursive_base_chain_and_error_in_base(tmp_path):
    write(tmp_path, "mid.toml", f'base = "{BASELINE.as_posix()}"\n[mortality]\n'
          "improvement = -2\n")
    top = write(tmp_path, "top.toml", 'base = "mid.toml"\n[fertility]\nvariant = "lowest"\n')
    with pytest.raises(ConfigError) as info:
        load_config(top)
    message = str(info.value)
    # each problem names the file that set the bad value
    assert f"{tmp_path / 'mid.toml'}: mortality.improvement = -2" in message
    assert f"{tmp_path / 'top.toml'}: fertility.variant = 'lowest'" in message


def test_three_level_inheritance(tmp_path):
    write(tmp_path, "mid.toml", f'base = "{BASELINE.as_posix()}"\n[mortality]\n'
          "improvement = 0.7\n[run]\nlast_year = 2040\n")
    top = write(tmp_path, "top.toml", 'base = "mid.toml"\n[run]\nlast_year = 2045\n')
    config = load_config(top)
    assert config.mortality.improvement == 0.7
    assert config.run.last_year == 2045
    assert config.run.first_year == 1990


def test_load_configs_collects_all_files_and_checks_names(tmp_path):
    bad1 = derived(tmp_path, "[run]\nengine = 'x'\n", "bad1.toml")
    bad2 = derived(tmp_path, "[run]\nseed = -1\n", "bad2.toml")
    with pytest.raises(ConfigError) as info:
        load_configs([bad1, bad2])
    assert "bad1.toml" in str(info.value) and "bad2.toml" in str(info.value)
    same = derived(tmp_path, "[scenario]\nname = 'baseline'\n", "same.toml")
    with pytest.raises(ConfigError, match="scenario names must be unique .*repeated: baseline"):
        load_configs([BASELINE, same])
    assert [c.name for c in load_configs([BASELINE, CONFIGS / "fertility_low.toml"])] == [
        "baseline", "fertility_low"]


# ---------------------------------------------------------------------------- override


def test_override_replaces_run_values():
    config = load_config(BASELINE)
    changed = override(config, engine="micro", scale=0.01, replicates=4, seed=7)
    assert (changed.run.engine, changed.run.scale, changed.run.replicates, changed.run.seed) == (
        "micro", 0.01, 4, 7)
    assert changed.run.regions == config.run.regions
    assert config.run.engine == "expected"  # the original is frozen and unchanged
    assert override(config, engine=None, seed=None) == config


def test_override_validates():
    config = load_config(BASELINE)
    with pytest.raises(ConfigError) as info:
        override(config, scale=2.0, engine="fast", replicates=0)
    message = str(info.value)
    assert "3 problems in command-line options for 'baseline'" in message
    assert "scale = 2.0: must satisfy 0 < scale <= 1" in message
    assert "engine = 'fast'" in message
    with pytest.raises(ConfigError, match="unknown option; did you mean 'seed'"):
        override(config, sed=3)


def test_config_is_frozen():
    config = load_config(BASELINE)
    with pytest.raises(AttributeError):
        config.run.seed = 3  # type: ignore[misc]


def test_birth_order_mortality_switch(tmp_path):
    assert load_config(BASELINE).mortality.by_birth_order == "residence"
    assert load_config(CONFIGS / "sweden_example.toml").mortality.by_birth_order == "none"
    with pytest.raises(ConfigError, match=r"mortality\.by_birth_order = 'urban': allowed: 'residence', 'none'"):
        load_config(derived(tmp_path, "[mortality]\nby_birth_order = 'urban'\n"))
    sweden = tmp_path / "sw.toml"
    sweden.write_text(f'base = "{(CONFIGS / "sweden_example.toml").as_posix()}"\n'
                      '[mortality]\nby_birth_order = "residence"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"'residence' needs the china rate bundle"):
        load_config(sweden)
