"""Bad inputs, one row per case: each stops with one clear message naming the place, or is
accepted and does what it says.

Every refused case asserts the exit status, that no traceback is printed and that the message
names the file, key, table, option or path at fault. Groups: scenario files (``CONFIG_CASES``),
command lines (``CLI_CASES``), data tables (``DATA_CASES``), rates that leave physical bounds
once a scenario is applied (``RATE_CASES``), bring-your-own-rates bundles (``BUNDLE_CASES``)
and inputs that must be accepted (``ACCEPTED``). Faults (kills, concurrent runs, full disks)
are in ``test_faults.py``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from synthetic import synthetic_bundle, synthetic_parity

from lossproj import data as lpdata
from lossproj import outputs
from lossproj.cli import main
from lossproj.config import load_config
from lossproj.errors import DataError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
BASELINE = CONFIGS / "baseline.toml"
DATA = lpdata.packaged_data_dir()

#: Exit status of a refused input (``lossproj.cli.USER_ERROR_EXIT``).
REFUSED = 2


def header(tmp_path: Path) -> str:
    """First line of a case: its base, a small scenario on the baseline (Beijing, 2018..2022,
    no workbook or figures), written beside it."""
    (tmp_path / "small.toml").write_text(
        f'base = "{BASELINE.as_posix()}"\n[run]\nregions = ["Beijing"]\nfirst_year = 2018\n'
        "last_year = 2022\n[outputs]\nexcel = false\nfigures = false\n", encoding="utf-8")
    return 'base = "small.toml"\n'



def invoke(args: list[str]):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_refused(result, pattern: str, status: int = REFUSED) -> None:
    """Exit status, no traceback, and a message matching ``pattern`` (it names the place)."""
    assert result.exit_code == status, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert re.search(pattern, result.output, flags=re.S), result.output


# --------------------------------------------------------------------------------------------
# Scenario files: (id, text after the header, message pattern). {file} is the file's path.
# "ROOT:" texts replace the header; each case holds exactly one problem, reported once.
# --------------------------------------------------------------------------------------------

ERAS_OK = """
[[parity.eras]]
name = "early"
first_year = 1890
last_year = 1979
second = 0.8
third = 0.5
fourth_plus = 0.4
never_replace = 0.05
[[parity.eras]]
name = "late"
first_year = 1980
last_year = 2100
second = 0.4
third = 0.1
fourth_plus = 0.1
never_replace = 0.1
"""


def eras(old: str, new: str) -> str:
    assert old in ERAS_OK
    return "[parity]\n" + ERAS_OK.replace(old, new, 1)


CONFIG_CASES = [
    ("toml_syntax", "[mortality\nimprovement = 1\n", r"{file}: not valid TOML"),
    ("base_missing", 'ROOT:base = "nothere.toml"\n', r"{file}: base = 'nothere.toml': base file .*nothere\.toml does not exist"),
    ("base_not_string", "ROOT:base = 3\n", r"{file}: base = 3: must be a file name"),
    ("base_self", 'ROOT:base = "case.toml"\n', r"{file}: base = 'case.toml': bases form a cycle"),
    ("encoding_utf16", "UTF16", r"{file}: starts with a UTF-16 \(little-endian\) byte-order mark \(BOM\)"),
    ("encoding_latin1", "LATIN1", r"{file}: line 2: byte 0xe9 is not UTF-8 text"),
    ("encoding_bom", "BOM", r"{file}: starts with a UTF-8 byte-order mark \(BOM\)"),
    ("unknown_section", "[mortallity]\nimprovement = 1\n", r"{file}: mortallity = .*did you mean 'mortality'"),
    ("unknown_key", "[mortality]\nimprovment = 1\n", r"{file}: mortality\.improvment = 1: unknown key; did you mean 'improvement'"),
    ("section_not_table", "ROOT:base = \"{base}\"\nmigration = 3\n", r"{file}: migration = 3: must be a table"),
    ("region_unknown", '[run]\nregions = ["Guangzou"]\n', r"{file}: run\.regions\[0\] = 'Guangzou': unknown region; did you mean .*'Guangdong'"),
    ("region_twice", '[run]\nregions = ["Beijing", "Beijing"]\n', r"{file}: run\.regions = .*lists Beijing more than once"),
    ("regions_empty", "[run]\nregions = []\n", r'{file}: run\.regions = \[\]: must be "all" or a non-empty list'),
    ("region_sweden", '[run]\nregions = ["Sweden"]\n', r'{file}: run\.regions\[0\] = \'Sweden\': region "Sweden" needs rates\.bundle = "sweden"'),
    ("first_year_early", "[run]\nfirst_year = 1900\n", r"{file}: run\.first_year = 1900: output years must lie in 1990\.\.2100"),
    ("last_year_late", "[run]\nlast_year = 2200\n", r"{file}: run\.last_year = 2200: output years must lie in 1990\.\.2100"),
    ("years_reversed", "[run]\nfirst_year = 2040\nlast_year = 2030\n", r"{file}: run\.first_year = 2040: must not be after run\.last_year = 2030"),
    ("engine_typo", '[run]\nengine = "mirco"\n', r"{file}: run\.engine = 'mirco': did you mean 'micro'"),
    ("scale_zero", "[run]\nscale = 0\n", r"{file}: run\.scale = 0: the sampling fraction must satisfy 0 < scale <= 1"),
    ("scale_above_one", "[run]\nscale = 2\n", r"{file}: run\.scale = 2: the sampling fraction"),
    ("scale_text", '[run]\nscale = "1%"\n', r"{file}: run\.scale = '1%': must be a number"),
    ("replicates_zero", "[run]\nreplicates = 0\n", r"{file}: run\.replicates = 0: must be an integer >= 1"),
    ("seed_negative", "[run]\nseed = -1\n", r"{file}: run\.seed = -1: a seed must be an integer in 0\.\.18446744073709551615"),
    ("seed_above_64_bits", "[run]\nseed = 18446744073709551616\n", r"{file}: run\.seed = 18446744073709551616: a seed must be an integer in 0\.\.18446744073709551615"),
    ("seed_float", "[run]\nseed = 1.5\n", r"{file}: run\.seed = 1\.5: must be an integer"),
    ("block_size_zero", "[run]\nblock_size = 0\n", r"{file}: run\.block_size = 0: must be an integer >= 1"),
    ("bundle_typo", '[rates]\nbundle = "chian"\n', r"{file}: rates\.bundle = 'chian': did you mean 'china'"),
    ("time_invariant_early", "[rates]\ntime_invariant_year = 1800\n", r"{file}: rates\.time_invariant_year = 1800: must be a year with data, 1950\.\.2100"),
    ("variant_typo", '[fertility]\nvariant = "meduim"\n', r"{file}: fertility\.variant = 'meduim': did you mean 'medium'"),
    ("province_rule_unknown", '[fertility]\nprovince_rule = "census"\n', r"{file}: fertility\.province_rule = 'census': .*allowed: 'census_2020_ratio'"),
    ("tfr_path_lengths", '[fertility]\ntfr_path = { years = [2025, 2050], tfr = [1.0], source = "s" }\n', r"{file}: fertility\.tfr_path = .*`years` has 2 values and `tfr` 1"),
    ("tfr_path_years_down", '[fertility]\ntfr_path = { years = [2050, 2025], tfr = [1.0, 1.2], source = "s" }\n', r"{file}: fertility\.tfr_path\.years = \[2050, 2025\]: years must be strictly increasing"),
    ("tfr_path_negative", '[fertility]\ntfr_path = { years = [2025, 2050], tfr = [-1.0, 1.2], source = "s" }\n', r"{file}: fertility\.tfr_path\.tfr\[0\] = -1\.0"),
    ("tfr_path_file_missing", '[fertility]\ntfr_path = "nopath.toml"\n', r"{file}: fertility\.tfr_path = 'nopath\.toml': file .*nopath\.toml does not exist"),
    ("province_levels_unknown", '[mortality]\nprovince_levels = "census"\n', r"{file}: mortality\.province_levels = 'census'"),
    ("improvement_negative", "[mortality]\nimprovement = -1\n", r"{file}: mortality\.improvement = -1: must be >= 0"),
    ("child_multiplier_zero", "[mortality]\nchild_mortality_multiplier = 0\n", r"{file}: mortality\.child_mortality_multiplier = 0: must be > 0"),
    ("shocks_not_list", "[mortality]\nshocks = 3\n", r"{file}: mortality\.shocks = 3: must be an array of tables"),
    ("shock_no_multiplier", "[[mortality.shocks]]\nfirst_year = 2030\nlast_year = 2031\nage_min = 0\nage_max = 10\n", r"{file}: mortality\.shocks\[0\]\.multiplier is missing: required in every shock"),
    ("shock_ages_reversed", "[[mortality.shocks]]\nfirst_year = 2030\nlast_year = 2031\nage_min = 20\nage_max = 10\nmultiplier = 2\n", r"{file}: mortality\.shocks\[0\]\.age_min = 20: must not be above age_max = 10"),
    ("shock_sex_unknown", '[[mortality.shocks]]\nfirst_year = 2030\nlast_year = 2031\nage_min = 0\nage_max = 10\nmultiplier = 2\nsex = "men"\n', r"{file}: mortality\.shocks\[0\]\.sex = 'men'"),
    ("frailty_too_large", "[mortality]\nshared_frailty_sd = 5\n", r"{file}: mortality\.shared_frailty_sd = 5: must be in 0\.\.3"),
    ("migration_text", '[migration]\ninclude = "yes"\n', r"{file}: migration\.include = 'yes': must be true or false"),
    ("replacement_text", '[replacement]\nenabled = "yes"\n', r"{file}: replacement\.enabled = 'yes': must be true or false"),
    ("retired_parity_replacement", '[parity]\nreplacement = false\n', r"{file}: parity\.replacement = False: no longer a key.*use replacement\.enabled"),
    ("never_multiplier_negative", "[replacement]\nnever_multiplier = -1\n", r"{file}: replacement\.never_multiplier = -1: must be >= 0"),
    ("retired_rebirth_multiplier", "[parity]\nrebirth_multiplier = 2\n", r"{file}: parity\.rebirth_multiplier = 2: no longer a key: replacement after loss is its own process; use replacement\.never_multiplier"),
    ("duration_empty", "[parity]\nduration_second = []\n", r"{file}: parity\.duration_second = \[\]: must be a non-empty list"),
    ("wait_pmf_negative", "[replacement]\nwait_pmf = [1.0, -0.5]\n", r"{file}: replacement\.wait_pmf\[1\] = -0\.5: must satisfy"),
    ("wait_pmf_sum", "[replacement]\nwait_pmf = [0.3, 0.3]\n", r"{file}: replacement\.wait_pmf = \[0\.3, 0\.3\]: probabilities must sum to 1; they sum to 0\.6"),
    ("infecund_share_above_one", "[replacement]\ninfecund_ages = [30, 40]\ninfecund_share = [0.1, 1.5]\n", r"{file}: replacement\.infecund_share\[1\] = 1\.5: must satisfy"),
    ("eras_gap", eras("first_year = 1980", "first_year = 1981"), r"{file}: parity\.eras = .*'early' \(1890-1979\) and 'late' \(1981-2100\) leave a gap"),
    ("eras_overlap", eras("first_year = 1980", "first_year = 1975"), r"{file}: parity\.eras = .*overlap"),
    ("eras_short", eras("last_year = 2100", "last_year = 2050"), r"{file}: parity\.eras = .*the last era ends in 2050, before 2100"),
    ("era_names_repeated", eras('name = "late"', 'name = "early"'), r"{file}: parity\.eras = .*era names must be unique; repeated: early"),
    ("era_key_missing", eras("third = 0.1\n", ""), r"{file}: parity\.eras\[1\]\.third is missing: required in every era"),
    ("era_share_above_one", eras("never_replace = 0.1\n", "never_replace = 0.1\nsterile = 1.5\n"), r"{file}: parity\.eras\[1\]\.sterile = 1\.5: a share must be in 0\.\.1"),
    ("era_level_negative", eras("second = 0.4", "second = -0.4"), r"{file}: parity\.eras\[1\]\.second = -0\.4: a relative level must be >= 0"),
    ("era_calibrated_typo", eras("second = 0.4", 'second = "calibrate"'), r'{file}: parity\.eras\[1\]\.second = \'calibrate\': did you mean "calibrated"\?'),
    ("era_never_replace_calibrated", eras("never_replace = 0.1", 'never_replace = "calibrated"'), r"{file}: parity\.eras\[1\]\.never_replace = 'calibrated': must be a number"),
    ("era_never_replace_above_one", eras("never_replace = 0.1", "never_replace = 1.2"), r"{file}: parity\.eras\[1\]\.never_replace = 1\.2: a share must be in 0\.\.1"),
    ("era_retired_rebirth", eras("never_replace = 0.1\n", "never_replace = 0.1\nrebirth = 0.8\n"), r"{file}: parity\.eras\[1\]\.rebirth = 0\.8: no longer a key.*never_replace"),
    ("era_unknown_key", eras("never_replace = 0.1\n", "never_replace = 0.1\nsecnd = 1\n"), r"{file}: parity\.eras\[1\]\.secnd = 1: unknown key; did you mean 'second'"),
    ("province_multiplier_unknown", "[parity]\nprovince_one_child_multiplier = { Guangzou = 1.2 }\n", r"{file}: parity\.province_one_child_multiplier\.Guangzou = 'Guangzou': unknown region; did you mean 'Guangdong'"),
    ("province_multiplier_zero", "[parity]\nprovince_one_child_multiplier = { Jiangsu = 0 }\n", r"{file}: parity\.province_one_child_multiplier\.Jiangsu = 0: must be > 0"),
    ("province_multiplier_text", '[parity]\nprovince_one_child_multiplier = "fitted"\n', r"{file}: parity\.province_one_child_multiplier = 'fitted': \"calibrated\" or a table"),
    ("union_age_low", "[family]\nunion_age = 5\n", r"{file}: family\.union_age = 5: must be an age in 10\.\.49"),
    ("eligibility_age_high", "[family]\neligibility_age = 200\n", r"{file}: family\.eligibility_age = 200: must be an age in 0\.\.100"),
    ("gap_probabilities_sum", '[family]\nspouse_age_gap = { gaps = [0, 2], probabilities = [0.5, 0.4], source = "s" }\n', r"{file}: family\.spouse_age_gap\.probabilities = \[0\.5, 0\.4\]: probabilities sum to 0\.9"),
    ("gap_husband_minus_200", '[family]\nspouse_age_gap = { gaps = [-200], probabilities = [1.0], source = "s" }\n', r"{file}: family\.spouse_age_gap\.gaps\[0\] = -200"),
    ("gap_repeated", '[family]\nspouse_age_gap = { gaps = [2, 2], probabilities = [0.5, 0.5], source = "s" }\n', r"{file}: family\.spouse_age_gap\.gaps = \[2, 2\]: each gap may appear only once"),
    ("care_prevalence_unknown", '[care]\nprevalence = "survey"\n', r"{file}: care\.prevalence = 'survey'"),
    ("care_trend_one", "[care]\nannual_trend = 1\n", r"{file}: care\.annual_trend = 1: a relative change per year must satisfy -1 < annual_trend < 1"),
    ("allowance_typo", '[allowance]\nschedule = "guangzou"\n', r"{file}: allowance\.schedule = 'guangzou': did you mean 'guangzhou'"),
    ("guangzhou_negative", "[allowance.guangzhou]\nmonthly = -1\n", r"{file}: allowance\.guangzhou\.monthly = -1: must be >= 0"),
    ("outputs_text", '[outputs]\nexcel = "no"\n', r"{file}: outputs\.excel = 'no': must be true or false"),
    ("quantity_unit_typo", '[mortality]\nimprovement = { value = 1.0, unti = "multiplier" }\n', r"{file}: mortality\.improvement\.unti = 'multiplier': unknown key in a \{value, unit, source\} table; did you mean 'unit'"),
    ("quantity_source_typo", '[mortality]\nimprovement = { value = 1.0, sorce = "me" }\n', r"{file}: mortality\.improvement\.sorce = 'me': .*did you mean 'source'"),
    ("quantity_value_typo", '[mortality]\nimprovement = { vale = 1.0, unit = "multiplier" }\n', r"{file}: mortality\.improvement\.vale = 1\.0: .*did you mean 'value'"),
    ("quantity_unit_wrong", '[mortality]\nimprovement = { value = 1.0, unit = "percent" }\n', r"{file}: mortality\.improvement\.unit = 'percent': the unit of mortality\.improvement is 'multiplier'"),
    ("number_nan", "[mortality]\nimprovement = nan\n", r"{file}: mortality\.improvement = nan: must be a number"),
    ("number_inf", "[mortality]\nchild_mortality_multiplier = inf\n", r"{file}: mortality\.child_mortality_multiplier = inf: must be a number"),
    ("name_blank", '[scenario]\nname = " "\n', r"{file}: scenario\.name = ' ': must be a non-empty string"),
]


def write_case(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "case.toml"
    if text == "UTF16":
        path.write_text(header(tmp_path), encoding="utf-16")
    elif text == "BOM":
        path.write_bytes(b"\xef\xbb\xbf" + header(tmp_path).encode())
    elif text == "LATIN1":
        path.write_bytes((header(tmp_path) + "# caf\xe9 au lait\n").encode("latin-1"))
    elif text.startswith("ROOT:"):
        path.write_text(text.removeprefix("ROOT:").replace("{base}", BASELINE.as_posix()))
    else:
        path.write_text(header(tmp_path) + text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text, pattern", [c[1:] for c in CONFIG_CASES],
                         ids=[c[0] for c in CONFIG_CASES])
def test_config_case_is_one_clear_error(tmp_path, text, pattern):
    result = run_refused(tmp_path, text, pattern)
    assert "Error: 1 problem in" in result.output  # one message per real problem


def run_refused(tmp_path: Path, text: str, pattern: str):
    """Run a case's scenario; assert it is refused with ``pattern`` and writes nothing."""
    path = write_case(tmp_path, text)
    result = invoke(["run", path, "--out", tmp_path / "out"])
    assert_refused(result, pattern.replace("{file}", re.escape(str(path))))
    assert not (tmp_path / "out").exists()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")]
    return result


def test_root_file_without_keys_lists_each_missing_key_once(tmp_path):
    path = write_case(tmp_path, 'ROOT:[scenario]\nname = "x"\n')
    result = invoke(["run", path, "--out", tmp_path / "out"])
    assert_refused(result, rf"{re.escape(str(path))}: run\.regions is missing: required")
    assert result.output.count("run.regions is missing") == 1


def test_base_cycle_between_two_files_is_one_error(tmp_path):
    (tmp_path / "a.toml").write_text('base = "b.toml"\n')
    (tmp_path / "b.toml").write_text('base = "a.toml"\n')
    result = invoke(["run", tmp_path / "a.toml", "--out", tmp_path / "out"])
    assert_refused(result, r"b\.toml: base = 'a\.toml': bases form a cycle: .*a\.toml -> .*b\.toml -> .*a\.toml")
    assert "Error: 1 problem in" in result.output


# --------------------------------------------------------------------------------------------
# Command lines: (id, arguments, message pattern, exit status). {cfg} is a valid small
# scenario, {tmp} the test's folder, {result} a written (synthetic) result directory.
# --------------------------------------------------------------------------------------------

CLI_CASES = [
    ("config_missing", ["run", "{tmp}/nofile.toml", "--out", "{tmp}/o"], r"{tmp}/nofile\.toml: scenario file does not exist", 2),
    ("config_is_folder", ["run", "{tmp}", "--out", "{tmp}/o"], r"Invalid value for 'CONFIGS\.\.\.': File '{tmp}' is a directory", 2),
    ("names_repeated", ["run", "{cfg}", "{tmp}/same/case.toml", "--out", "{tmp}/o"], r"scenario names must be unique across the files run together; repeated: case", 2),
    ("option_scale_zero", ["run", "{cfg}", "--out", "{tmp}/o", "--scale", "0"], r"command-line options for 'case':\n  - scale = 0\.0: must satisfy 0 < scale <= 1", 2),
    ("option_scale_above_one", ["run", "{cfg}", "--out", "{tmp}/o", "--scale", "1.5"], r"scale = 1\.5: must satisfy 0 < scale <= 1", 2),
    ("option_replicates_zero", ["run", "{cfg}", "--out", "{tmp}/o", "--replicates", "0"], r"replicates = 0: must be an integer >= 1", 2),
    ("option_seed_negative", ["run", "{cfg}", "--out", "{tmp}/o", "--seed", "-5"], r"seed = -5: a seed must be an integer in 0\.\.18446744073709551615", 2),
    ("option_seed_above_64_bits", ["run", "{cfg}", "--out", "{tmp}/o", "--seed", str(2**64)], r"seed = 18446744073709551616: a seed must be an integer in 0\.\.18446744073709551615", 2),
    ("option_seed_text", ["run", "{cfg}", "--out", "{tmp}/o", "--seed", "abc"], r"Invalid value for '--seed': 'abc' is not a valid integer", 2),
    ("option_engine_unknown", ["run", "{cfg}", "--out", "{tmp}/o", "--engine", "fast"], r"Invalid value for '--engine': 'fast' is not one of 'expected', 'micro'", 2),
    ("option_dask_timeout_zero", ["run", "{cfg}", "--out", "{tmp}/o", "--dask", "tcp://127.0.0.1:1", "--dask-timeout", "0"], r"Invalid value for '--dask-timeout'", 2),
    ("option_unknown", ["run", "{cfg}", "--out", "{tmp}/o", "--sclae", "0.1"], r"No such option '--sclae'\. \(Did you mean one of: '--scale'", 2),
    ("out_missing", ["run", "{cfg}"], r"Missing option '--out'", 2),
    ("out_is_file", ["run", "{cfg}", "--out", "{tmp}/afile"], r"Invalid value for '--out': Directory '{tmp}/afile' is a file", 2),
    ("out_below_file", ["run", "{cfg}", "--out", "{tmp}/afile/sub"], r"--out {tmp}/afile/sub: {tmp}/afile is a file, not a folder", 2),
    ("out_current_folder", ["run", "{cfg}", "--out", "."], r"--out \. is the current folder or one above it", 2),
    ("out_parent_folder", ["run", "{cfg}", "--out", ".."], r"--out \.\. is the current folder or one above it", 2),
    ("out_not_empty", ["run", "{cfg}", "--out", "{result}"], r"output directory {result} exists and is not empty; choose another --out directory or pass --force", 2),
    ("data_dir_missing", ["run", "{cfg}", "--out", "{tmp}/o", "--data-dir", "{tmp}/nodata"], r"--data-dir {tmp}/nodata is not a directory", 2),
    ("validate_no_result", ["validate", "{tmp}/noresult"], r"no lossproj result in directory {tmp}/noresult: expected projection\.nc", 2),
    ("validate_missing_path", ["validate", "{tmp}/nothere"], r"Invalid value for '\[RESULT\]': Path '{tmp}/nothere' does not exist", 2),
    ("validate_garbage_nc", ["validate", "{tmp}/garbage.nc"], r"{tmp}/garbage\.nc cannot be read as NetCDF .*truncated or damaged", 2),
    ("validate_truncated_nc", ["validate", "{tmp}/truncated.nc"], r"{tmp}/truncated\.nc cannot be read as NetCDF", 2),
    ("validate_empty_nc", ["validate", "{tmp}/empty.nc"], r"{tmp}/empty\.nc cannot be read as NetCDF", 2),
    ("validate_not_lossproj", ["validate", "{tmp}/other.nc"], r"{tmp}/other\.nc is not a lossproj result: it lacks the dims scenario", 2),
    ("validate_scenario_unknown", ["validate", "{result}", "--scenario", "nope"], r"scenario 'nope' is not in the result; scenarios: baseline", 2),
    ("summary_garbage_nc", ["summary", "{tmp}/garbage.nc"], r"{tmp}/garbage\.nc cannot be read as NetCDF", 2),
    ("summary_truncated_nc", ["summary", "{tmp}/truncated.nc"], r"{tmp}/truncated\.nc cannot be read as NetCDF", 2),
    ("summary_year_missing", ["summary", "{result}", "--year", "3000"], r"year 3000 is not in the result; it has years 2018\.\.2022", 2),
    ("summary_scenario_unknown", ["summary", "{result}", "--scenario", "nope"], r"scenario 'nope' is not in the result", 2),
    ("summary_region_unknown", ["summary", "{result}", "--by", "age_group", "--region", "Atlantis"], r"region 'Atlantis' is not in the result", 2),
    ("summary_by_unknown", ["summary", "{result}", "--by", "sex"], r"Invalid value for '--by': 'sex' is not one of 'region', 'age_group'", 2),
    ("calibrate_config_missing", ["calibrate", "{tmp}/nofile.toml"], r"{tmp}/nofile\.toml: scenario file does not exist", 2),
    ("data_check_missing_dir", ["data", "check", "--data-dir", "{tmp}/nodata"], r"data directory {tmp}/nodata does not exist", 1),
    ("data_info_missing_dir", ["data", "info", "--data-dir", "{tmp}/nodata"], r"data directory {tmp}/nodata does not exist", 1),
]


@pytest.fixture
def cli_files(tmp_path, make_fake_projection, monkeypatch):
    """The files the command-line cases name."""
    monkeypatch.chdir(tmp_path)
    cfg = write_case(tmp_path, "")
    (tmp_path / "same").mkdir()
    shutil.copy(cfg, tmp_path / "same" / "case.toml")
    shutil.copy(tmp_path / "small.toml", tmp_path / "same" / "small.toml")
    (tmp_path / "afile").write_text("not a folder")
    (tmp_path / "noresult").mkdir()
    ds = make_fake_projection(years=range(2018, 2023))
    outputs.write_results(ds, tmp_path / "result", excel=False, figures=False)
    nc = (tmp_path / "result" / "projection.nc").read_bytes()
    (tmp_path / "truncated.nc").write_bytes(nc[: len(nc) // 2])
    (tmp_path / "garbage.nc").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 8)
    (tmp_path / "empty.nc").write_bytes(b"")
    import xarray as xr

    xr.Dataset({"x": ("t", np.arange(3.0))}).to_netcdf(tmp_path / "other.nc",
                                                       engine=outputs.netcdf_engine())
    return {"cfg": str(cfg), "tmp": str(tmp_path), "result": str(tmp_path / "result")}


@pytest.mark.parametrize("args, pattern, status", [c[1:] for c in CLI_CASES],
                         ids=[c[0] for c in CLI_CASES])
def test_command_line_case_is_one_clear_error(cli_files, args, pattern, status):
    args = [a.format(**cli_files) for a in args]
    pattern = pattern.replace("{tmp}", re.escape(cli_files["tmp"])).replace(
        "{result}", re.escape(cli_files["result"])).replace("{cfg}", re.escape(cli_files["cfg"]))
    assert_refused(invoke(args), pattern, status)
    assert not Path(cli_files["tmp"], "o").exists()


def test_unreachable_dask_scheduler_is_one_line_before_any_work(cli_files):
    pytest.importorskip("dask.distributed")
    result = invoke(["run", cli_files["cfg"], "--out", f"{cli_files['tmp']}/o",
                     "--dask", "tcp://127.0.0.1:1", "--dask-timeout", "0.5"])
    assert_refused(result, r"cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:1' within "
                   r"0\.5 s .*--dask-timeout")


def test_unwritable_out_folder_is_refused_before_computing(cli_files, monkeypatch):
    monkeypatch.setattr(outputs, "_writable", lambda path: False)
    result = invoke(["run", cli_files["cfg"], "--out", f"{cli_files['tmp']}/new/o"])
    assert_refused(result, rf"permission denied: cannot write into {re.escape(cli_files['tmp'])}"
                   r"/new \(the folder of --out")


def test_internal_error_keeps_its_traceback_and_says_how_to_report(cli_files, monkeypatch):
    from lossproj import api

    def broken(*args, **kwargs):
        raise ValueError("an internal inconsistency")

    monkeypatch.setattr(api, "project", broken)
    result = invoke(["run", cli_files["cfg"], "--out", f"{cli_files['tmp']}/o"])
    assert result.exit_code == 1
    assert "Traceback" in result.output and "ValueError: an internal inconsistency" in result.output
    assert "This is a bug in lossproj" in result.output and "please report it" in result.output


# --------------------------------------------------------------------------------------------
# Data tables: (id, table, edit, message pattern). Edits apply to a copy used with
# --data-dir (full checks), or, for "PACKAGED", to a copy standing in for the packaged data/.
# --------------------------------------------------------------------------------------------


def _rows(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def set_cell(table: str, line: int, column: str, value: str):
    def edit(d: Path) -> None:
        rows = _rows(d / table)
        cols = rows[0].split(",")
        cells = rows[line - 1].split(",")
        cells[cols.index(column)] = value
        rows[line - 1] = ",".join(cells)
        (d / table).write_text("\n".join(rows), encoding="utf-8")
    return edit


def scale_column(table: str, column: str, factor: float):
    def edit(d: Path) -> None:
        import pandas as pd

        df = pd.read_csv(d / table)
        df[column] = df[column] * factor
        df.to_csv(d / table, index=False)
    return edit


def delete(table: str):
    return lambda d: (d / table).unlink()


def write_bytes(table: str, content: bytes):
    return lambda d: (d / table).write_bytes(content)


def drop_column(table: str, column: str):
    def edit(d: Path) -> None:
        import pandas as pd

        pd.read_csv(d / table).drop(columns=column).to_csv(d / table, index=False)
    return edit


def duplicate_line(table: str, line: int):
    def edit(d: Path) -> None:
        rows = _rows(d / table)
        rows.insert(line, rows[line - 1])
        (d / table).write_text("\n".join(rows), encoding="utf-8")
    return edit


DATA_CASES = [
    ("census_in_thousands", scale_column("population_census.csv", "population", 1e-3), r"population_census\.csv: census_year=2010: China's population sums to .*\(is the table in thousands\?\)"),
    ("census_province_edited", set_cell("population_census.csv", 300, "population", "9e7"), r"population_census\.csv: census_year=\d+, sex='\w+', age=\d+: provinces sum to .* but China is"),
    ("wpp_in_thousands", scale_column("population_wpp.csv", "population", 1e-3), r"population_wpp\.csv: year=1950: China's population sums to"),
    ("asfr_five", set_cell("fertility_national.csv", 20, "asfr", "5"), r"fertility_national\.csv, row 20, column 'asfr': value 5 is above 1"),
    ("asfr_negative", set_cell("fertility_province_2020.csv", 5, "asfr", "-0.1"), r"fertility_province_2020\.csv, row 5, column 'asfr': value -0\.1 is negative"),
    ("srb_zero", set_cell("sex_ratio_at_birth.csv", 3, "srb", "0"), r"sex_ratio_at_birth\.csv, row 3, column 'srb': value 0 is below 0\.9"),
    ("srb_three", set_cell("sex_ratio_at_birth.csv", 3, "srb", "3"), r"sex_ratio_at_birth\.csv, row 3, column 'srb': value 3 is above 1\.3"),
    ("mx_million", set_cell("mortality_national.csv", 3, "mx", "1000000"), r"mortality_national\.csv, row 3, column 'mx': value 1000000 is above 10"),
    ("mx_negative", set_cell("mortality_national.csv", 3, "mx", "-0.01"), r"mortality_national\.csv, row 3, column 'mx': value -0\.01 is negative"),
    ("mx_text", set_cell("mortality_national.csv", 3, "mx", "high"), r"mortality_national\.csv, row 3, column 'mx'"),
    ("mx_empty_cell", set_cell("mortality_national.csv", 3, "mx", ""), r"mortality_national\.csv, row 3, column 'mx'"),
    ("unknown_region", set_cell("population_census.csv", 2, "region", "Atlantis"), r"population_census\.csv, row 2, column 'region': value 'Atlantis'"),
    ("duplicate_row", duplicate_line("sex_ratio_at_birth.csv", 3), r"sex_ratio_at_birth\.csv.*year=1951"),
    ("column_dropped", drop_column("spouse_age_gap.csv", "probability"), r"spouse_age_gap\.csv.*probability"),
    ("table_deleted", delete("mortality_national.csv"), r"mortality_national\.csv: file not found in"),
    ("calibration_deleted", delete("parity_calibration.csv"), r"parity_calibration\.csv: file not found in .* \(recorded in checksums\.json\)"),
    ("table_not_utf8", write_bytes("spouse_age_gap.csv", "gap,probability\n0,0.5\u00e9\n".encode("latin-1")), r"spouse_age_gap\.csv: not UTF-8 text"),
    ("table_empty", write_bytes("spouse_age_gap.csv", b""), r"spouse_age_gap\.csv: the file is empty"),
    ("checksums_not_json", write_bytes("checksums.json", b"{not json"), r"checksums\.json: not a JSON object"),
    ("packaged_edited", ("PACKAGED", set_cell("sex_ratio_at_birth.csv", 3, "srb", "1.07")), r"sex_ratio_at_birth\.csv: sha256 .* differs from checksums\.json .*the table was changed after"),
    ("packaged_in_thousands", ("PACKAGED", scale_column("population_census.csv", "population", 1e-3)), r"population_census\.csv: sha256 .* differs from checksums\.json"),
    ("packaged_calibration_deleted", ("PACKAGED", delete("parity_calibration.csv")), r"parity_calibration\.csv: file not found \(recorded in checksums\.json\)"),
    ("packaged_checksums_deleted", ("PACKAGED", delete("checksums.json")), r"checksums\.json: missing or empty in"),
]


@pytest.fixture
def data_copy(tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    lpdata.clear_cache()
    yield copy
    lpdata.clear_cache()


@pytest.mark.parametrize("edit, pattern", [c[1:] for c in DATA_CASES],
                         ids=[c[0] for c in DATA_CASES])
def test_data_case_is_refused_before_computing(tmp_path, data_copy, monkeypatch, edit, pattern):
    packaged = isinstance(edit, tuple)
    (edit[1] if packaged else edit)(data_copy)
    cfg = write_case(tmp_path, "")
    args = ["run", cfg, "--out", tmp_path / "out"]
    if packaged:
        monkeypatch.setattr(lpdata, "packaged_data_dir", lambda: data_copy)
    else:
        args += ["--data-dir", data_copy]
    result = invoke(args)
    where = "the packaged data directory" if packaged else "data directory"
    assert_refused(result, rf"({where} {re.escape(str(data_copy))} fails its checks .*)?"
                   + pattern)
    assert not (tmp_path / "out").exists()


def test_data_check_reports_a_deleted_calibration_table(data_copy):
    delete("parity_calibration.csv")(data_copy)
    result = invoke(["data", "check", "--data-dir", data_copy])
    assert_refused(result, r"parity_calibration\.csv: file not found in .*\(recorded in checksums\.json\)"
                   r".*data check failed", status=1)


# --------------------------------------------------------------------------------------------
# Rates that leave physical bounds once a scenario is applied, and runs that cannot give a
# trustworthy result: (id, scenario text, message pattern). These run the real engine up to
# the point of refusal.
# --------------------------------------------------------------------------------------------

ALL_ERAS_STERILE = "[parity]\n" + "\n".join(
    f'[[parity.eras]]\nname = "{n}"\nfirst_year = {a}\nlast_year = {b}\nsecond = 0.5\n'
    f"third = 0.2\nfourth_plus = 0.1\nnever_replace = 0.1\nsterile = 1\n"
    for n, a, b in (("early", 1890, 1979), ("late", 1980, 2100)))
PRE1971_STERILE = "[run]\nfirst_year = 2018\nlast_year = 2020\n" + "[parity]\n[[parity.eras]]" + \
    BASELINE.read_text(encoding="utf-8").split("[[parity.eras]]", 1)[1].split("[family]")[0].replace(
        'sterile = "calibrated"', "sterile = 1", 1)
ONE_CHILD_ZERO = BASELINE.read_text(encoding="utf-8").split("[[parity.eras]]", 1)[1]
ONE_CHILD_ZERO = "[parity]\n[[parity.eras]]" + ONE_CHILD_ZERO.split("[family]")[0].replace(
    'name = "one_child"\nfirst_year = 1980\nlast_year = 2015\nsecond = "calibrated"\nthird = "calibrated"',
    'name = "one_child"\nfirst_year = 1980\nlast_year = 2015\nsecond = 0\nthird = 0')

RATE_CASES = [
    ("child_mortality_1e12", "[mortality]\nchild_mortality_multiplier = 1e12\n", r"{file}: scenario 'case': the scenario's rates leave physical bounds: rate bundle 'china': implausible rates: mx = .* at region Beijing, sex female, year 1890, age 0: outside 0 <= value <= 10 .*mortality\.child_mortality_multiplier"),
    ("shock_million", "[[mortality.shocks]]\nfirst_year = 2030\nlast_year = 2030\nage_min = 60\nage_max = 70\nmultiplier = 1e6\n", r"{file}: scenario 'case': .*mx = .* at region Beijing, sex female, year 2030, age 60"),
    ("tfr_path_fifty", '[fertility]\ntfr_path = { years = [2025, 2050], tfr = [50, 50], source = "s" }\n', r"{file}: scenario 'case': .*asfr = .* at region Beijing, year 2025, age \d+: outside 0 <= value <= 1 \[births per woman per year\]"),
    ("era_level_1e6", eras("second = 0.4", "second = 1e6"), r"{file}: scenario 'case': parity model: implausible values: rel = .* transition second.*outside 0 <= value <= 100"),
    ("all_sterile", ALL_ERAS_STERILE, r"{file}: scenario 'case': the parity levels cannot place .* births .*worst: Beijing \d+.*tolerance 1\.0% .*Era '(early|late)' runs with .*sterile 1"),
    ("one_child_era_zero", "[run]\nfirst_year = 1995\nlast_year = 2000\n" + ONE_CHILD_ZERO, r"{file}: scenario 'case': the parity levels cannot place .*Era 'one_child' runs with second 0, third 0"),
    ("pre1971_sterile_history_only", PRE1971_STERILE, r"{file}: scenario 'case': the parity levels cannot place .*worst: Beijing 19\d\d, .*\(100 %\).*Era 'pre1971' runs with .*sterile 1:"),
    ("micro_scale_1e-9", "[run]\nengine = \"micro\"\nscale = 1e-9\n", r"run\.scale = 1e-09 simulates \d+ women for \d+ cohorts of mothers in Beijing .*use --scale [0-9.e-]+ or more"),
]


@pytest.mark.parametrize("text, pattern", [c[1:] for c in RATE_CASES],
                         ids=[c[0] for c in RATE_CASES])
def test_rates_outside_physical_bounds_stop_the_run(tmp_path, text, pattern):
    run_refused(tmp_path, text, pattern)


# --------------------------------------------------------------------------------------------
# Bring-your-own-rates bundles and parity models (Python API): (id, what to break, pattern).
# --------------------------------------------------------------------------------------------


def _bundle(**arrays):
    import dataclasses

    good = synthetic_bundle(first_year=1950, last_year=2030)
    return dataclasses.replace(good, **{k: f(getattr(good, k).copy()) for k, f in arrays.items()})


def _with(index, value):
    def f(arr):
        arr[index] = value
        return arr
    return f


def _parity(**changes):
    import dataclasses

    good = synthetic_parity(synthetic_bundle(first_year=1950, last_year=2030))
    return dataclasses.replace(good, **{k: f(getattr(good, k).copy()) for k, f in changes.items()})


BUNDLE_CASES = [
    ("asfr_five", lambda: _bundle(asfr=_with((0, 10, 30), 5.0)), r"rate bundle 'synthetic': implausible rates: asfr = 5 at region R0, year 1960, age 30"),
    ("srb_zero", lambda: _bundle(srb=_with(3, 0.0)), r"srb = 0 at year 1953: outside 0\.9 <= value <= 1\.3"),
    ("srb_two", lambda: _bundle(srb=_with(3, 2.0)), r"srb = 2 at year 1953"),
    ("mx_million", lambda: _bundle(mx=_with((0, 1, 5, 40), 1e6)), r"mx = 1e\+06 at region R0, sex male, year 1955, age 40: outside 0 <= value <= 10"),
    ("mx_negative", lambda: _bundle(mx=_with((0, 0, 5, 40), -1.0)), r"RateBundle\.mx must be finite and >= 0"),
    ("mx_nan", lambda: _bundle(mx=_with((0, 0, 5, 40), np.nan)), r"RateBundle\.mx must be finite and >= 0"),
    ("population_negative", lambda: _bundle(base_population=_with((0, 0, 20), -5.0)), r"RateBundle\.base_population must be finite and >= 0"),
    ("population_huge", lambda: _bundle(base_population=_with((0, 0, 20), 1e12)), r"base_population = 1e\+12 at region R0, sex female, age 20"),
    ("husbands_minus_200", lambda: _parity(gap_values=_with(0, -200)), r"parity model: implausible values: gap_values = -200 at gap index 0: outside -30 <= value <= 30"),
    ("parity_level_huge", lambda: _parity(rel=_with((0, 1, 7), 1e6)), r"rel = 1e\+06 at region 0, transition second, year index 7"),
    ("gap_pmf_not_one", lambda: _parity(gap_pmf=lambda a: a * 2), r"spouse age-gap probabilities sum to"),
    ("sterile_above_one", lambda: _parity(sterile=lambda a: a + 2), r"ParityModel\.sterile must be shares in \[0, 1\]"),
]


@pytest.mark.parametrize("build, pattern", [c[1:] for c in BUNDLE_CASES],
                         ids=[c[0] for c in BUNDLE_CASES])
def test_bring_your_own_rates_are_checked(build, pattern):
    with pytest.raises(DataError, match=pattern):
        build()


# --------------------------------------------------------------------------------------------
# Inputs that must be accepted, and do what they say.
# --------------------------------------------------------------------------------------------


def test_accepted_seed_at_the_64_bit_limit(tmp_path):
    config = load_config(write_case(tmp_path, f"[run]\nseed = {2**64 - 1}\n"))
    assert config.run.seed == 2**64 - 1


def test_accepted_utf8_chinese_and_full_quantity_tables(tmp_path):
    text = ('[scenario]\ndescription = "失独家庭 情景"\n[mortality]\nimprovement = { value = 0.5, '
            'unit = "multiplier", source = "慢" }\n')
    config = load_config(write_case(tmp_path, text))
    assert config.scenario.description == "失独家庭 情景" and config.mortality.improvement == 0.5
    assert ("mortality.improvement", "multiplier", "慢") in config.provenance


def test_accepted_era_numbers_are_used_as_stated(tmp_path):
    """A scenario's own era numbers win over the packaged calibration (docs/configuration.md)."""
    from lossproj import scenarios

    config = load_config(write_case(tmp_path, ONE_CHILD_ZERO))
    one_child = scenarios.resolved_parity(config)["eras"][2]
    assert one_child["name"] == "one_child"
    assert (one_child["second"], one_child["third"]) == (0.0, 0.0)
    assert set(one_child["calibrated"]) == {"fourth_plus", "stop_after_first", "sterile"}
    baseline = scenarios.resolved_parity(load_config(BASELINE))["eras"][2]
    assert baseline["second"] > 0 and baseline["fourth_plus"] == one_child["fourth_plus"]


def test_accepted_empty_province_multipliers_keep_the_calibrated_eras(tmp_path):
    from lossproj import scenarios

    config = load_config(write_case(tmp_path, "[parity]\nprovince_one_child_multiplier = {}\n"))
    resolved = scenarios.resolved_parity(config)
    assert resolved["province_multipliers"] == {}
    assert resolved["eras"] == scenarios.resolved_parity(load_config(BASELINE))["eras"]


def test_calibrated_without_table_is_one_clear_error(tmp_path, data_copy, monkeypatch):
    delete("parity_calibration.csv")(data_copy)
    (data_copy / "checksums.json").unlink()
    cfg = write_case(tmp_path, "")
    result = invoke(["run", cfg, "--out", tmp_path / "out", "--data-dir", data_copy])
    assert_refused(result, r"parity_calibration\.csv is missing from .*; the scenario asks for "
                   r'"calibrated" parity levels')


def test_accepted_run_records_the_parameters_it_used(tmp_path):
    cfg = write_case(tmp_path, "")
    result = invoke(["run", cfg, "--out", tmp_path / "out"])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "out" / "run.json").read_text())
    used = meta["resolved_parameters"]["case"]["parity_parameters"]
    assert used["eras"][2]["calibrated"] == ["second", "third", "fourth_plus",
                                             "stop_after_first", "sterile"]
    assert all(isinstance(used["eras"][2][k], float) for k in ("second", "sterile"))
    assert meta["attributes"]["data_dir"] == "packaged"
    shortfall = meta["resolved_parameters"]["case"]["fertility_solve_shortfall"]
    assert shortfall["worst_share"] <= shortfall["tolerance_share"] == 0.01


def test_accepted_force_keeps_other_files_and_replaces_ours(tmp_path, make_fake_projection):
    out = tmp_path / "out"
    outputs.write_results(make_fake_projection(years=range(2018, 2023)), out, excel=False,
                          figures=False)
    (out / "notes.txt").write_text("mine")
    (out / "stale.csv").write_text("old")
    meta = json.loads((out / "run.json").read_text())
    meta["files"].append("stale.csv")
    (out / "run.json").write_text(json.dumps(meta))
    outputs.write_results(make_fake_projection(years=range(2019, 2021)), out, force=True,
                          excel=False, figures=False)
    assert (out / "notes.txt").read_text() == "mine" and not (out / "stale.csv").exists()
    assert json.loads((out / "run.json").read_text())["years"] == [2019, 2020]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_accepted_missing_values_are_shown_as_missing(tmp_path, make_fake_projection):
    ds = make_fake_projection(years=range(2018, 2023))
    for name in ds.data_vars:
        ds[name] = ds[name] * np.nan
    outputs.write_results(ds, tmp_path / "nan", excel=False, figures=False)
    summary = invoke(["summary", tmp_path / "nan"])
    assert summary.exit_code == 0, summary.output
    assert "missing" in summary.output and " 0 " not in summary.output
    validate = invoke(["validate", tmp_path / "nan"])
    assert validate.exit_code == 0, validate.output
    assert "below bound" not in validate.output and "missing values" in validate.output
