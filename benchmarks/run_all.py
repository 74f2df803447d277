"""Run every benchmark into one JSON result, or compare two results.

    python benchmarks/run_all.py [--quick] [--json PATH]
    python benchmarks/run_all.py --compare OLD.json NEW.json

Each benchmark runs in its own process (so that compilation and cache loading are measured as
a user meets them) and prints its table; their entries are merged into one result file in the
schema of ``benchmarks/common.py`` (commit, package version, date, CPU model, threads, and per
benchmark the repeats with min/median/max seconds). ``--json`` defaults to
``benchmarks.json`` in a new temporary folder. ``--quick`` is what CI runs (a minute or two).
``--compare`` prints, for every benchmark the two files share, the medians and the ratio
new / old (below 1: faster). Benchmarks measure; they never fail on speed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from common import compare, load, write

HERE = Path(__file__).resolve().parent
#: In this order: the kernels first, so that the whole commands of bench_cli.py find the
#: compiled kernels in the disk cache as a returning user does.
BENCHMARKS = ("bench_expected.py", "bench_micro.py", "bench_shards.py", "bench_cli.py",
              "bench_main_job.py")


def run(quick: bool, json_path: Path) -> int:
    parts = Path(tempfile.mkdtemp(prefix="lossproj-bench-"))
    entries, failed = {}, []
    for name in BENCHMARKS:
        part = parts / name.replace(".py", ".json")
        cmd = [sys.executable, str(HERE / name), "--json", str(part)] + (["--quick"] if quick else [])
        print(f"== {name}", flush=True)
        if subprocess.run(cmd, check=False).returncode != 0:
            failed.append(name)
            continue
        entries.update(load(part)["benchmarks"])
    write(json_path, "quick" if quick else "full", entries)
    print(f"results: {json_path}")
    if failed:
        print(f"benchmarks that did not run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and smaller runs (CI)")
    parser.add_argument("--json", type=Path, default=None,
                        help="result file (default: benchmarks.json in a temporary folder)")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"),
                        help="print the ratios NEW / OLD of two result files and exit")
    args = parser.parse_args(argv)
    if args.compare:
        try:
            old, new = (load(p) for p in args.compare)
        except (OSError, ValueError) as err:
            print(f"cannot compare: {err}", file=sys.stderr)
            return 2
        print("\n".join(compare(old, new)))
        return 0
    json_path = args.json or Path(tempfile.mkdtemp(prefix="lossproj-bench-")) / "benchmarks.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    return run(args.quick, json_path)


if __name__ == "__main__":
    raise SystemExit(main())
