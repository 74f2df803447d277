"""The main job end to end, warm: `lossproj run configs/baseline.toml --out DIR`, by phase.

Each run is a new process (interpreter start, imports, data loading and checks, the expected
engine, and every output: NetCDF, tidy CSVs, the planner workbook, figures, report.html,
run.json), timed from outside. The full benchmark runs once to fill the compilation cache
(reported as `main_job.first_run`), then three times warm; `--quick` runs once (warm when
`run_all.py` runs it, after `bench_cli.py`). Each phase comes from the runs' `run.json`
(`timings`: configs and projection; `output_timings`: each file, and the wait for the figures
drawn in worker processes), as an entry `main_job.<phase>`. Results follow the schema of
`benchmarks/common.py`; it measures and never fails on speed.

    python benchmarks/bench_main_job.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, print_entries, summary, write

COMMAND = ["run", "configs/baseline.toml", "--force", "--out"]
DESCRIPTION = "lossproj run configs/baseline.toml --out DIR, new process, every output"


def _run(out: Path) -> tuple[float, dict]:
    """Wall time [s] of one run in a new process, and its run.json."""
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lossproj", *COMMAND, str(out)], check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0, json.loads((out / "run.json").read_text(encoding="utf-8"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run (CI)")
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args(argv)
    entries = {}
    with tempfile.TemporaryDirectory(prefix="lossproj-bench-main-") as tmp:
        out = Path(tmp) / "run"
        if not args.quick:
            first, _ = _run(out)
            entries["main_job.first_run"] = summary(
                [first], f"{DESCRIPTION}; first run (fills the compilation cache)")
        runs = [_run(out) for _ in range(1 if args.quick else 3)]
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    metas = [meta for _, meta in runs]
    entries["main_job.warm"] = summary([wall for wall, _ in runs], f"{DESCRIPTION}; warm",
                                       files=len(metas[-1]["files"]), output_bytes=size)
    for phase in {**metas[-1].get("timings", {}), **metas[-1].get("output_timings", {})}:
        seconds = [{**m.get("timings", {}), **m.get("output_timings", {})}.get(phase, 0.0)
                   for m in metas]
        entries[f"main_job.{phase.removesuffix('_s')}"] = summary(
            seconds, f"phase {phase.removesuffix('_s')} of the warm run (run.json)")
    print_entries(entries)
    write(args.json, "quick" if args.quick else "full", entries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
