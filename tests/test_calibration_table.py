"""`lossproj.calibration.write_table`: era levels once, provincial multipliers for every rule,
the fingerprint of the engine.

The fit itself is replaced by a stub (tests/test_calibration.py runs the real one); this pins
what the table holds and that it is written whole.
"""

from __future__ import annotations

import pandas as pd

from lossproj import calibration, scenarios
from lossproj.config import PROVINCE_RULES, load_config, packaged_config


def test_write_table_holds_the_eras_once_and_multipliers_per_rule(tmp_path, monkeypatch):
    calls = []

    def fake_calibrate(config, *, eras=None, **_):
        rule = config.fertility.province_rule
        calls.append((rule, eras))
        return calibration.CalibrationResult(
            eras=eras or {"one_child_1980_2015": {"second": 0.4}},
            provinces={"Beijing": {"second": len(calls), "third": 1.0}},
            report=pd.DataFrame(), province_rule=rule,
        )

    monkeypatch.setattr(calibration, "calibrate", fake_calibrate)
    monkeypatch.setattr(calibration, "summarize_fit", lambda report: pd.DataFrame())
    monkeypatch.setattr(calibration, "fingerprint_table", lambda config, levels: pd.DataFrame(
        [{"kind": "fingerprint", "name": "China", "parameter": "x", "province_rule": "all",
          "value": 0.5, "unit": "share", "source": "stub"}]))
    config = load_config(packaged_config("baseline"))
    path, result = calibration.write_table(config, tmp_path)
    assert path == tmp_path / scenarios.CALIBRATION_TABLE
    table = pd.read_csv(path)
    assert (table["kind"] == "era").sum() == 1
    assert (table["kind"] == "fingerprint").sum() == 1
    province = table[table["kind"] == "province"]
    assert sorted(set(province["province_rule"])) == sorted(PROVINCE_RULES)
    assert calls[0] == (config.fertility.province_rule, None)
    assert all(eras == result.eras for _, eras in calls[1:])  # other rules on the same era levels
    assert not list(tmp_path.glob("*.tmp"))
