"""Benchmark of the expected-value engine on the full baseline (31 provinces, 1990–2050).

Reports the JIT compile time (first call) separately from the steady-state time of
`lossproj.api.run_scenario` (rates assembly + engine + labelled Dataset), the engine alone at
1 and 2 Numba threads (speed-up ratio measured in the same run), and throughput in simulated
cohort-years per second. It measures; it never fails on speed.

    python benchmarks/bench_expected.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numba

from lossproj import api, scenarios
from lossproj.config import load_config
from lossproj.engines.expected import project_expected

ROOT = Path(__file__).resolve().parents[1]


def _time(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (CI)")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    args = parser.parse_args(argv)
    repeat = 2 if args.quick else 5

    config = load_config(ROOT / "configs" / "baseline.toml")
    t0 = time.perf_counter()
    api.scenario_bundle(config)
    data_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    api.run_scenario(config)
    first_call = time.perf_counter() - t0
    full = _time(lambda: api.run_scenario(config), repeat)

    bundle = api.scenario_bundle(config)
    parity = scenarios.parity_model(bundle, config)
    threads_max = numba.config.NUMBA_NUM_THREADS
    engine = {}
    for n in sorted({1, min(2, threads_max)}):
        numba.set_num_threads(n)
        engine[n] = _time(lambda: project_expected(bundle, parity, 1990, 2050), repeat)
    numba.set_num_threads(threads_max)
    n_regions = len(bundle.regions)
    cohort_years = n_regions * (2050 - bundle.first_year + 1) * 111
    best = {n: min(v) for n, v in engine.items()}
    res = {
        "benchmark": "expected engine, baseline 31 provinces 1990-2050",
        "machine": platform.processor() or platform.machine(),
        "numba_threads_available": threads_max,
        "data_load_and_rates_s (cold)": round(data_load, 3),
        "first_call_s (includes JIT compile or cache load)": round(first_call, 3),
        "jit_compile_s (first call - steady state)": round(first_call - min(full), 3),
        "run_scenario_s (median)": round(statistics.median(full), 3),
        "run_scenario_s (best)": round(min(full), 3),
        "engine_s_by_threads (best)": {str(n): round(v, 3) for n, v in best.items()},
        "speedup_2_over_1_threads": round(best[1] / best[max(best)], 2),
        "cohort_years_per_s": round(cohort_years / min(full)),
    }
    for k, v in res.items():
        print(f"{k:45s} {v}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return res


if __name__ == "__main__":
    main()
