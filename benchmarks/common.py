"""The one JSON schema of lossproj's benchmark results, and the helpers that fill it.

Every benchmark script writes, and ``run_all.py`` merges, one object::

    {
      "schema": "lossproj-benchmarks/1",
      "commit": "<git commit of the checkout>", "dirty": false,
      "package_version": "0.1.0",
      "date": "2026-11-30T05:44:14Z",                  # UTC, ISO 8601
      "cpu_model": "...", "cpu_count": 2, "threads": 2,  # threads: Numba threads available
      "python": "3.11.7", "numpy": "...", "numba": "...",
      "mode": "quick" | "full",
      "benchmarks": {
        "<name>": {"unit": "s", "repeats": 3, "min": 0.1, "median": 0.1, "max": 0.2,
                   "description": "...", ...}             # further fields: parameters, throughput
      }
    }

Times are wall-clock seconds; ``min``/``median``/``max`` are over ``repeats`` runs. Further
fields of an entry (threads, women, women per second, ...) describe it; ``run_all.py
--compare`` compares the medians of the entries two files share.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

SCHEMA = "lossproj-benchmarks/1"
ROOT = Path(__file__).resolve().parents[1]


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux), else what ``platform`` says."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(mode: str) -> dict:
    """The header of a result: commit, versions, date, machine and threads."""
    import numba
    import numpy

    import lossproj

    status = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "schema": SCHEMA,
        "commit": _git("rev-parse", "HEAD") or "unknown",
        "dirty": bool(status) if status is not None else None,
        "package_version": lossproj.__version__,
        "date": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "threads": numba.config.NUMBA_NUM_THREADS,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "mode": mode,
    }


def summary(seconds: list[float], description: str, **fields) -> dict:
    """One benchmark entry from the wall times of its repeats [s]."""
    if not seconds:
        raise ValueError("a benchmark entry needs at least one timed run")
    return {
        "unit": "s",
        "repeats": len(seconds),
        "min": min(seconds),
        "median": statistics.median(seconds),
        "max": max(seconds),
        "description": description,
        **fields,
    }


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    """Wall times [s] of ``repeats`` calls of ``fn``."""
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def print_entries(benchmarks: dict) -> None:
    """A table of the entries: name, repeats, min, median, max [s]."""
    width = max((len(n) for n in benchmarks), default=10)
    print(f"{'benchmark':<{width}} {'n':>3} {'min s':>9} {'median s':>9} {'max s':>9}")
    for name, e in benchmarks.items():
        print(f"{name:<{width}} {e['repeats']:>3} {e['min']:>9.3f} {e['median']:>9.3f} {e['max']:>9.3f}")


def write(path: Path | str | None, mode: str, benchmarks: dict) -> dict:
    """The full result (header + entries); written as JSON to ``path`` when given."""
    result = environment(mode) | {"benchmarks": benchmarks}
    if path is not None:
        Path(path).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def load(path: Path | str) -> dict:
    """Read a result file, checking that it has this schema."""
    result = json.loads(Path(path).read_text(encoding="utf-8"))
    if result.get("schema") != SCHEMA:
        raise ValueError(f"{path}: schema {result.get('schema')!r}, expected {SCHEMA!r}")
    return result


def compare(old: dict, new: dict) -> list[str]:
    """Lines comparing two results: per shared entry, medians and the ratio new / old."""
    lines = []
    for label, r in (("old", old), ("new", new)):
        lines.append(f"{label}: {r['commit'][:10]}{' (dirty)' if r.get('dirty') else ''} "
                     f"lossproj {r['package_version']}, {r['date']}, {r['cpu_model']}, "
                     f"{r['threads']} threads, {r['mode']}")
    shared = [n for n in new["benchmarks"] if n in old["benchmarks"]]
    width = max((len(n) for n in shared), default=10)
    lines.append(f"{'benchmark':<{width}} {'old median s':>12} {'new median s':>12} "
                 f"{'new/old':>8} {'min new/old':>11}")
    for name in shared:
        o, n = old["benchmarks"][name], new["benchmarks"][name]
        ratio = n["median"] / o["median"] if o["median"] > 0 else float("nan")
        ratio_min = n["min"] / o["min"] if o["min"] > 0 else float("nan")
        lines.append(f"{name:<{width}} {o['median']:>12.3f} {n['median']:>12.3f} "
                     f"{ratio:>8.2f} {ratio_min:>11.2f}")
    lines.append("new/old < 1: the new run is faster.")
    for label, a, b in (("only in old", old, new), ("only in new", new, old)):
        missing = [n for n in a["benchmarks"] if n not in b["benchmarks"]]
        if missing:
            lines.append(f"{label}: {', '.join(missing)}")
    return lines
