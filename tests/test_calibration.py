"""Parity calibration: the fit report, the table it writes, and that fitting lowers the misfit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lossproj import calibration
from lossproj.config import load_config

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
