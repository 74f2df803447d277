"""Fit the parity-progression levels and write them to data/parity_calibration.csv.

Run after scripts/prepare_data.py (the calibration reads the packaged tables):

    python scripts/calibrate_parity.py [--config configs/baseline.toml] [--out data] [--report DIR]

The era levels are fitted once (national); the provincial multipliers once for each provincial
fertility rule (config.PROVINCE_RULES). They are used by every scenario whose
`parity.province_one_child_multiplier` is "calibrated" (the baseline and the scenarios based on
it), each with the multipliers of its own `fertility.province_rule`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
from pathlib import Path

import pandas as pd

from lossproj import calibration, data
from lossproj.config import PROVINCE_RULES, load_config

ROOT = Path(__file__).resolve().parents[1]
logger = logging.getLogger("calibrate_parity")

TABLE_NOTES = {
    "parity_calibration.csv": (
        "**Source:** computed by lossproj itself (`lossproj.calibration.calibrate`, run by "
        "`scripts/calibrate_parity.py` on the baseline config) from the tables above. **Units:** "
        "`value` is a level of the birth hazard relative to the first-birth level of the same "
        "year and age (kind `era`, parameters `second`, `third`, `fourth_plus`), a share (kind "
        "`era`: `stop_after_first`, of first births after which the mother stops while the "
        "child lives; `sterile`, of the women reaching 15 in the era), or a provincial multiplier of the second-birth level "
        "(`second_multiplier`) and of the third-and-higher levels (`third_multiplier`) of every "
        "era from 1980 on (kind `province`), fitted once for each provincial fertility rule "
        "(column `province_rule`, `all` for the era rows; a scenario uses the multipliers of its "
        "own `fertility.province_rule`). **Method:** least squares through the expected-value engine's own "
        "state process, child mortality and replacement after loss on, residuals in units of "
        "their declared tolerance, soft-L1 loss (see the module docstring): national era "
        "levels and shares to the Duan & Chen (2022) cohort parity shares "
        "(cohorts 1935+), the 2010/2020 census birth-order shares and the 2010 census "
        "order-specific fertility by age; provincial multipliers to each province's census "
        "birth-order shares of 2010 and 2020. Era levels are bounded to 0.05..5, stop shares to "
        "0..0.9, sterile shares to 0..0.1, provincial multipliers to 0.1..10. `lossproj calibrate` prints the fit against declared tolerances. The three-child era (2021+) has no "
        "target yet: its levels are the config's starting values. Rows of kind `fingerprint` record "
        "national model values under the fitted levels and the model revision they were fitted "
        "with (`lossproj.calibration.fingerprint`); a test fails when the engine no longer gives "
        "them, i.e. when the packaged fit is stale."
    )
}


def write_calibration(config_path: Path, out_dir: Path, report_dir: Path | None = None) -> Path:
    """Fit the levels with ``config_path`` and write ``out_dir/parity_calibration.csv``."""
    data.clear_cache()
    config = load_config(config_path)
    result = calibration.calibrate(config)
    tables = [result.to_table()]
    for rule in PROVINCE_RULES:  # provincial multipliers for every rule, on the same era levels
        if rule != config.fertility.province_rule:
            other = dataclasses.replace(config, fertility=dataclasses.replace(config.fertility, province_rule=rule))
            fit = calibration.calibrate(other, eras=result.eras)
            tables.append(fit.to_table().query("kind == 'province'"))
            logger.info("fit, provincial rule %s:\n%s", rule, calibration.summarize_fit(fit.report).to_string(index=False))
    tables.append(calibration.fingerprint_table(config, result.eras))
    table = pd.concat(tables, ignore_index=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "parity_calibration.csv"
    tmp = path.with_suffix(".csv.tmp")
    table.to_csv(tmp, index=False, float_format="%.8g")
    tmp.replace(path)
    logger.info("wrote %s (%d rows)", path, len(table))
    if report_dir is not None:
        report_dir.mkdir(parents=True, exist_ok=True)
        result.report.to_csv(report_dir / "calibration_report.csv", index=False)
        calibration.plot_fit(result.report).savefig(report_dir / "calibration.png", dpi=120)
    worst = result.report.reindex(result.report["residual"].abs().sort_values(ascending=False).index)
    logger.info("largest residuals:\n%s", worst.head(10).to_string(index=False))
    logger.info("fit:\n%s", calibration.summarize_fit(result.report).to_string(index=False))
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "baseline.toml")
    parser.add_argument("--out", type=Path, default=ROOT / "data")
    parser.add_argument("--report", type=Path, default=None, help="also write the fit report and figure here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    write_calibration(args.config, args.out, args.report)
    sums_path = args.out / data.CHECKSUM_FILE
    if sums_path.is_file():
        sums = json.loads(sums_path.read_text(encoding="utf-8"))
        sums["parity_calibration.csv"] = data.sha256_file(args.out / "parity_calibration.csv")
        sums_path.write_text(json.dumps(dict(sorted(sums.items())), indent=2) + "\n", encoding="utf-8")
    data.clear_cache()
    problems = data.check_all(args.out, tables=["parity_calibration.csv"])
    for p in problems:
        logger.error(p)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
