"""Wall time of whole ``lossproj run`` commands, each in a new process, as a user runs them.

Includes starting Python, importing lossproj, loading the compiled kernels (from the disk
cache when it is warm: ``run_all.py`` runs this after the kernel benchmarks), the projection
and writing every output (NetCDF, CSV, workbook, figures). ``--quick`` times the baseline with
the expected-value engine once; the full run also times a small microsimulation
(``--engine micro --scale 0.0003``, about 490,000 women, the smallest scale at which every
province has enough women per cohort). Results follow the schema of
``benchmarks/common.py``.

    python benchmarks/bench_cli.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, print_entries, summary, write

COMMANDS = {
    "cli.run_baseline_expected": (
        ["run", "configs/baseline.toml"],
        "lossproj run configs/baseline.toml --out DIR (expected engine, every output written)",
    ),
    "cli.run_baseline_micro_small": (
        ["run", "configs/baseline.toml", "--engine", "micro", "--scale", "0.0003"],
        "lossproj run configs/baseline.toml --engine micro --scale 0.0003 --out DIR",
    ),
}


def time_command(args: list[str], repeats: int) -> list[float]:
    """Wall times [s] of ``repeats`` runs of ``python -m lossproj ARGS --out TMP --force``."""
    seconds = []
    with tempfile.TemporaryDirectory(prefix="lossproj-bench-cli-") as out:
        for _ in range(repeats):
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "lossproj", *args, "--out",
                                   str(Path(out) / "run"), "--force"],
                                  cwd=ROOT, capture_output=True, text=True, check=False)
            seconds.append(time.perf_counter() - t0)
            if done.returncode != 0:
                print(done.stderr[-2000:], file=sys.stderr)
                raise SystemExit(f"lossproj {' '.join(args)} failed (exit {done.returncode})")
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the expected-engine baseline once (CI)")
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args(argv)
    names = ["cli.run_baseline_expected"] if args.quick else list(COMMANDS)
    entries = {}
    for name in names:
        command, description = COMMANDS[name]
        entries[name] = summary(time_command(command, 1 if args.quick else 3), description)
    print_entries(entries)
    write(args.json, "quick" if args.quick else "full", entries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
