"""`benchmarks/run_all.py --compare` on two result files of the benchmark schema (no timing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RUN_ALL = Path(__file__).resolve().parents[1] / "benchmarks" / "run_all.py"


def _result(path: Path, commit: str, medians: dict[str, float], schema="lossproj-benchmarks/1") -> Path:
    entries = {
        name: {"unit": "s", "repeats": 3, "min": m * 0.9, "median": m, "max": m * 1.2, "description": name}
        for name, m in medians.items()
    }
    path.write_text(json.dumps({
        "schema": schema, "commit": commit, "dirty": False, "package_version": "0.1.0",
        "date": "2026-11-30T00:00:00Z", "cpu_model": "test CPU", "cpu_count": 2, "threads": 2,
        "python": "3.11", "numpy": "2", "numba": "0.6", "mode": "quick", "benchmarks": entries,
    }))
    return path


def _compare(old: Path, new: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUN_ALL), "--compare", str(old), str(new)],
                          capture_output=True, text=True, check=False)


def test_compare_prints_the_ratio_of_medians(tmp_path):
    old = _result(tmp_path / "old.json", "a" * 40, {"micro.first_call": 40.0, "expected.run_scenario": 2.0,
                                                     "gone": 1.0})
    new = _result(tmp_path / "new.json", "b" * 40, {"micro.first_call": 0.8, "expected.run_scenario": 2.0,
                                                     "added": 1.0})
    done = _compare(old, new)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("old: aaaaaaaaaa lossproj 0.1.0, 2026-11-30T00:00:00Z, test CPU, 2 threads")
    row = next(line for line in lines if line.startswith("micro.first_call"))
    assert row.split()[1:] == ["40.000", "0.800", "0.02", "0.02"]
    row = next(line for line in lines if line.startswith("expected.run_scenario"))
    assert row.split()[-2:] == ["1.00", "1.00"]
    assert "only in old: gone" in lines and "only in new: added" in lines


def test_compare_refuses_another_schema(tmp_path):
    old = _result(tmp_path / "old.json", "a" * 40, {"x": 1.0}, schema="something else")
    new = _result(tmp_path / "new.json", "b" * 40, {"x": 1.0})
    done = _compare(old, new)
    assert done.returncode == 2
    assert "schema 'something else', expected 'lossproj-benchmarks/1'" in done.stderr
