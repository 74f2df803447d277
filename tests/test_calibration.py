"""Parity calibration: the fit report, the table it writes, and that fitting lowers the misfit."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from lossproj import calibration
from lossproj.config import load_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "baseline.toml"


@pytest.fixture(scope="module")
def short_fits():
    config = load_config(CONFIG)
    start = calibration.calibrate(config, provinces=False, max_nfev=1)
    fitted = calibration.calibrate(config, provinces=False, max_nfev=8)
    return start, fitted


def test_report_columns_and_residuals(short_fits):
    _, fit = short_fits
    rep = fit.report
    assert {"target", "group", "observed", "fitted", "residual", "tolerance", "within_tolerance"} <= set(rep)
    np.testing.assert_allclose(rep["residual"], rep["fitted"] - rep["observed"])
    assert set(rep["target"]) >= {
        "cohort parity (Duan & Chen 2022)",
        "birth-order share (census)",
        "order-specific ASFR 2010 (census)",
    }
    summary = calibration.summarize_fit(rep)
    assert (summary["within_tolerance"] <= summary["rows"]).all()


def test_fitting_lowers_the_weighted_misfit(short_fits):
    start, fit = short_fits

    def loss(rep):
        """The fitted objective: soft-L1 of residuals in tolerance units, group weights."""
        w = rep["target"].map(
            {"cohort parity (Duan & Chen 2022)": calibration.WEIGHTS["cohort"],
             "birth-order share (census)": calibration.WEIGHTS["order_share"],
             "order-specific ASFR 2010 (census)": calibration.WEIGHTS["order_asfr_2010"]}
        )
        z2 = (w * rep["residual"] / rep["tolerance"]) ** 2
        return float((2.0 * (np.sqrt(1.0 + z2) - 1.0)).sum())

    assert loss(fit.report) < loss(start.report)


def test_table_rows_are_levels_of_the_config_eras(short_fits):
    _, fit = short_fits
    table = fit.to_table()
    eras = {e.name for e in load_config(CONFIG).parity.eras}
    assert set(table.loc[table.kind == "era", "name"]) == eras
    assert (table["value"] >= 0).all()
    lo, hi = np.exp(calibration.LOG_BOUNDS)
    eras_rows = table[table.kind == "era"]
    levels = eras_rows[eras_rows.parameter.isin(calibration.TRANSITIONS)]
    assert len(levels) == 3 * len(eras)
    assert levels["value"].between(lo * (1 - 1e-9), hi * (1 + 1e-9)).all()
    for name, (s_lo, s_hi) in calibration.SHARE_BOUNDS.items():
        shares = eras_rows[eras_rows.parameter == name]
        assert len(shares) == len(eras)
        assert shares["value"].between(s_lo, s_hi).all(), name


def test_attainability_flags_targets_that_conflict_with_the_asfr():
    """A cohort whose targets imply 0.5 fewer children than the model cannot be met."""
    import pandas as pd

    rows = []
    for cohort, gap in ((1935, 0.5), (1960, 0.1)):
        for kind, sign, tol in (("share_childless", -1, 0.03), ("share_two_plus", 1, 0.03),
                                ("ccfr3plus", 1, 0.15), ("share_one", 0, 0.03)):
            resid = gap / 3 * sign if sign else 0.2
            rows.append(("cohort parity (Duan & Chen 2022)", f"cohort {cohort} {kind}", 0.5, 0.5 + resid, resid, tol))
    rep = pd.DataFrame(rows, columns=["target", "group", "observed", "fitted", "residual", "tolerance"])
    rep["within_tolerance"] = rep["residual"].abs() <= rep["tolerance"]
    out = calibration.mark_attainable(rep)
    by = out.set_index("group")
    assert not by.loc["cohort 1935 ccfr3plus", "attainable"]
    assert not by.loc["cohort 1935 share_childless", "attainable"]
    assert by.loc["cohort 1935 ccfr3plus", "input_gap"] == pytest.approx(0.5)
    assert by.loc["cohort 1960 ccfr3plus", "attainable"]
    assert by.loc["cohort 1960 ccfr3plus", "input_gap"] == pytest.approx(0.1)
    # share_one is in no identity: always attainable, no gap
    assert by.loc["cohort 1935 share_one", "attainable"]
    assert np.isnan(by.loc["cohort 1935 share_one", "input_gap"])
    summary = calibration.summarize_fit(out)
    assert int(summary["attainable"].iloc[0]) == 5


def test_ceb_rows_relative_to_the_women_weighted_national_mean():
    """Two provinces by hand: the national model mean weights them by their women 15–64."""
    table = calibration.data.mean_ceb_2020().set_index("region")
    values = {"Beijing": (1.0, 0.9, 300.0), "Guizhou": (2.0, 1.8, 100.0)}
    rows = calibration._ceb_rows(values)
    by = {(t, g): (o, f) for t, g, o, f, _ in rows}
    nat = by[(calibration.CEB_TARGET, "China ever born")]
    assert nat == (pytest.approx(float(table.loc["China", "mean_children_ever_born"])), pytest.approx(1.25))
    rel = by[(calibration.CEB_RELATIVE_TARGET, "Guizhou surviving")]
    census = table.loc["Guizhou", "mean_children_surviving"] / table.loc["China", "mean_children_surviving"]
    assert rel == (pytest.approx(census), pytest.approx(1.8 / 1.125))
    assert all(u is False for *_, u in rows)  # reported, not fitted


def test_ceb_level_gap_is_the_national_gap_pro_rata():
    """A model nationally 10 % above the census gives each province 10 % of its census mean."""
    import pandas as pd

    rows = [(calibration.CEB_TARGET, "China ever born", 1.3, 1.43), (calibration.CEB_TARGET, "Beijing ever born", 0.9, 0.99),
            (calibration.CEB_TARGET, "Tibet ever born", 0.4, 0.44), (calibration.CEB_RELATIVE_TARGET, "Tibet ever born", 0.3, 0.3)]
    rep = pd.DataFrame(rows, columns=["target", "group", "observed", "fitted"])
    rep["residual"] = rep["fitted"] - rep["observed"]
    rep["tolerance"] = [calibration._tolerance(t, g) for t, g in zip(rep["target"], rep["group"], strict=True)]
    rep["within_tolerance"] = rep["residual"].abs() <= rep["tolerance"]
    by = calibration.mark_attainable(rep).set_index(["target", "group"])
    beijing = by.loc[(calibration.CEB_TARGET, "Beijing ever born")]
    assert beijing["input_gap"] == pytest.approx(0.09)
    assert not beijing["attainable"]  # 0.09 > tolerance 0.05
    tibet = by.loc[(calibration.CEB_TARGET, "Tibet ever born")]
    assert tibet["input_gap"] == pytest.approx(0.04)
    assert tibet["attainable"]
    assert np.isnan(by.loc[(calibration.CEB_RELATIVE_TARGET, "Tibet ever born"), "input_gap"])


def test_every_rule_has_packaged_multipliers_and_unknown_rules_are_refused(tmp_path, monkeypatch):
    from lossproj import scenarios
    from lossproj.config import PROVINCE_RULES
    from lossproj.errors import DataError

    for rule in PROVINCE_RULES:
        eras, provinces = scenarios.calibrated_levels(rule)
        assert len(provinces) == 31, rule
        assert set(eras) == {e.name for e in load_config(CONFIG).parity.eras}
    # rules get their own fits: the multipliers differ between two rules
    a = scenarios.calibrated_levels("census_2020_ratio")[1]
    b = scenarios.calibrated_levels("census_2020_ratio_ceb")[1]
    assert a["Guizhou"] != b["Guizhou"]
    # a table without the scenario's rule is an error naming the rules it has
    table = calibration.data.load_table(scenarios.CALIBRATION_TABLE)
    only = table[(table.kind == "era") | (table.province_rule == "census_2020_ratio")]
    only.to_csv(tmp_path / scenarios.CALIBRATION_TABLE, index=False)
    monkeypatch.setattr(scenarios.data, "active_data_dir", lambda: tmp_path)
    monkeypatch.setattr(scenarios.data, "load_table", lambda name: only)
    with pytest.raises(DataError, match=r"no provincial multipliers fitted for fertility\.province_rule "
                       r"'census_2020_ratio_ceb'; the table has census_2020_ratio"):
        scenarios.calibrated_levels("census_2020_ratio_ceb")


def test_replacement_diagnostics_on_real_rates():
    from lossproj import api
    from lossproj.calibration import replacement_diagnostics

    config = load_config(CONFIGS / "baseline.toml")
    config = dataclasses.replace(config, run=dataclasses.replace(config.run, regions=("Beijing", "Guizhou")))
    probabilities, time_bereaved = replacement_diagnostics(config, api.scenario_bundle(config))
    assert set(probabilities["loss_age"]) == {20, 25, 30, 35, 40, 45}
    assert set(probabilities["period"]) == {1985, 1995, 2005, 2015}
    assert probabilities["probability"].between(0, 1).all()
    assert (probabilities["probability_alive"] <= probabilities["probability"] + 1e-12).all()
    ten = probabilities[(probabilities["within_years"] == 10) & (probabilities["period"] == 1995)
                        & (probabilities["region"] == "Beijing")].set_index("loss_age")["probability"]
    assert ten.is_monotonic_decreasing  # older mothers replace less (sterility, fewer fertile years)
    assert ten[25] > 0.85  # above the ordinary 1 -> 2 progression of the one-child era
    five = probabilities[(probabilities["within_years"] == 5) & (probabilities["period"] == 1995)
                         & (probabilities["region"] == "Beijing")].set_index("loss_age")["probability"]
    assert (five <= ten + 1e-12).all()
    china = time_bereaved[time_bereaved["region"] == "China"].set_index("year")["mean_years"]
    assert (china > 0).all() and (china < 6).all()


def test_packaged_fit_is_current():
    """The packaged fit was made with this engine: its fingerprint is reproduced.

    ``data/parity_calibration.csv`` records national model values under the fitted levels and
    the model revision (``calibration.fingerprint``). A change of the engine that moves them
    makes the fit stale: refit with ``python scripts/calibrate_parity.py``.
    """
    from lossproj import data, scenarios

    table = data.load_table("parity_calibration.csv")
    recorded = table[table["kind"] == "fingerprint"]
    assert not recorded.empty, "the packaged fit has no fingerprint rows: refit"
    revision = f"model revision {calibration.MODEL_REVISION}:"
    assert recorded["source"].str.contains(revision, regex=False).all(), (
        f"the packaged fit was made with another model revision than {calibration.MODEL_REVISION}: refit"
    )
    config = load_config(CONFIG)
    levels, _ = scenarios.calibrated_levels(config.fertility.province_rule)
    values = calibration.fingerprint(config, levels)
    assert set(values) == set(recorded["parameter"])
    for row in recorded.itertuples(index=False):
        assert values[row.parameter] == pytest.approx(row.value, rel=1e-6, abs=1e-9), (
            f"{row.parameter}: the engine gives {values[row.parameter]:.8g}, the packaged fit "
            f"recorded {row.value:.8g}: the fit is stale, refit with scripts/calibrate_parity.py"
        )
