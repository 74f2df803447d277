"""Fit the parity-progression levels and write them to data/parity_calibration.csv.

Run after the tables are built (the calibration reads the packaged tables)::

    python scripts/calibrate_parity.py [--config configs/baseline.toml] [--out data] [--report DIR]

The fit is :func:`lossproj.calibration.write_table` (also run by ``lossproj data build
--calibrate``): era levels once (national), provincial multipliers once for each provincial
fertility rule. This script also updates ``checksums.json`` in ``--out`` and can write the fit
report and its figure.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from lossproj import calibration, data
from lossproj.config import load_config

ROOT = Path(__file__).resolve().parents[1]
logger = logging.getLogger("calibrate_parity")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "baseline.toml")
    parser.add_argument("--out", type=Path, default=ROOT / "data")
    parser.add_argument("--report", type=Path, default=None, help="also write the fit report and figure here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    path, result = calibration.write_table(load_config(args.config), args.out)
    if args.report is not None:
        args.report.mkdir(parents=True, exist_ok=True)
        result.report.to_csv(args.report / "calibration_report.csv", index=False)
        calibration.plot_fit(result.report).savefig(args.report / "calibration.png", dpi=120)
    worst = result.report.reindex(result.report["residual"].abs().sort_values(ascending=False).index)
    logger.info("largest residuals:\n%s", worst.head(10).to_string(index=False))
    sums_path = args.out / data.CHECKSUM_FILE
    if sums_path.is_file():
        sums = json.loads(sums_path.read_text(encoding="utf-8"))
        sums[path.name] = data.sha256_file(path)
        sums_path.write_text(json.dumps(dict(sorted(sums.items())), indent=2) + "\n", encoding="utf-8")
    data.clear_cache()
    problems = data.check_all(args.out, tables=[path.name])
    for p in problems:
        logger.error(p)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
