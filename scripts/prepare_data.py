"""Rebuild the packaged tables in ``data/`` from the raw sources: ``lossproj data build``.

Usage::

    python scripts/prepare_data.py [--raw PATH] [--out PATH] [--calibrate]

A convenience for a source checkout: ``--raw`` defaults to ``../shared/data/raw`` next to the
repository, ``--out`` to ``data/``; the work is done by ``lossproj data build`` (the readers
of ``lossproj.sources``), which writes every table, ``README.md`` and ``checksums.json`` and
checks the result. ``--calibrate`` also re-fits ``parity_calibration.csv`` (minutes).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lossproj.cli import main as lossproj

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=REPO.parent / "shared" / "data" / "raw",
                        help="folder of raw source tables (default: ../shared/data/raw)")
    parser.add_argument("--out", type=Path, default=REPO / "data", help="output folder (default: data/)")
    parser.add_argument("--calibrate", action="store_true",
                        help="also re-fit data/parity_calibration.csv (minutes)")
    args = parser.parse_args(argv)
    command = ["-v", "data", "build", "--raw", str(args.raw), "--out", str(args.out)]
    lossproj(command + (["--calibrate"] if args.calibrate else []))


if __name__ == "__main__":
    main()
