"""Run every benchmark: `python benchmarks/run_all.py [--quick] [--out DIR]`.

`--quick` is what CI runs (a minute or two); each benchmark's JSON goes to DIR
(default: a temporary directory) and its table to standard output.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("bench_expected.py", "bench_micro.py")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="lossproj-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    failed = []
    for name in BENCHMARKS:
        cmd = [sys.executable, str(HERE / name), "--json", str(out / name.replace(".py", ".json"))]
        if args.quick:
            cmd.append("--quick")
        print(f"== {name}", flush=True)
        if subprocess.run(cmd, check=False).returncode != 0:
            failed.append(name)
    print(f"results in {out}")
    if failed:
        print(f"benchmarks that did not run: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
