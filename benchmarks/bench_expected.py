"""Benchmark of the expected-value engine on the full baseline (31 provinces, 1990–2050).

Times the cold data loading, the first call (JIT compilation or loading the compiled kernels
from the disk cache), the steady-state ``lossproj.api.run_scenario`` (rates assembly + engine +
labelled Dataset) and the engine alone at 1 and 2 Numba threads, with throughput in simulated
cohort-years per second. It measures; it never fails on speed. Results follow the schema of
``benchmarks/common.py``.

    python benchmarks/bench_expected.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import time

import numba
from common import ROOT, print_entries, summary, timed, write

from lossproj import api, scenarios
from lossproj.config import load_config
from lossproj.engines.expected import project_expected


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (CI)")
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args(argv)
    repeat = 2 if args.quick else 5

    config = load_config(ROOT / "configs" / "baseline.toml")
    t0 = time.perf_counter()
    api.scenario_bundle(config)
    data_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    api.run_scenario(config)
    first_call = time.perf_counter() - t0
    full = timed(lambda: api.run_scenario(config), repeat)

    bundle = api.scenario_bundle(config)
    parity = scenarios.parity_model(bundle, config)
    threads_max = numba.config.NUMBA_NUM_THREADS
    cohort_years = len(bundle.regions) * (2050 - bundle.first_year + 1) * 111
    entries = {
        "expected.data_load_cold": summary(
            [data_load], "first scenario_bundle: packaged tables read and rates assembled"),
        "expected.first_call": summary(
            [first_call], "first run_scenario: includes JIT compilation or the disk-cache load"),
        "expected.run_scenario": summary(
            full, "run_scenario, baseline 31 provinces 1990-2050, steady state",
            cohort_years_per_s=cohort_years / min(full)),
    }
    for n in sorted({1, min(2, threads_max)}):
        numba.set_num_threads(n)
        seconds = timed(lambda: project_expected(bundle, parity, 1990, 2050), repeat)
        entries[f"expected.engine_threads_{n}"] = summary(
            seconds, f"project_expected alone at {n} Numba thread(s)", threads=n,
            speed_up_vs_1_thread=(entries["expected.engine_threads_1"]["min"] / min(seconds)
                                  if n > 1 else 1.0))
    numba.set_num_threads(threads_max)
    print_entries(entries)
    write(args.json, "quick" if args.quick else "full", entries)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
