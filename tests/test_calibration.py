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
        w = rep["target"].map(
            {"cohort parity (Duan & Chen 2022)": 1.0, "birth-order share (census)": 5.0,
             "order-specific ASFR 2010 (census)": 3.0}
        )
        return float(((w * rep["residual"]) ** 2).sum())

    assert loss(fit.report) < loss(start.report)


def test_table_rows_are_levels_of_the_config_eras(short_fits):
    _, fit = short_fits
    table = fit.to_table()
    eras = {e.name for e in load_config(CONFIG).parity.eras}
    assert set(table.loc[table.kind == "era", "name"]) == eras
    assert (table["value"] > 0).all()
    lo, hi = np.exp(calibration.LOG_BOUNDS)
    era_values = table.loc[table.kind == "era", "value"]
    assert era_values.between(lo * (1 - 1e-9), hi * (1 + 1e-9)).all()
