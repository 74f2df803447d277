"""Throughput of the microsimulation kernel on synthetic China-like rates.

Usage::

    python benchmarks/bench_micro.py [--quick] [--json PATH]
    python benchmarks/bench_micro.py --china-scale 0.01 [--json PATH]
    python benchmarks/bench_micro.py --china-full [--json PATH]

Simulates one region with women born 1890-2050 (cohort sizes shaped like China's, scaled to
1e5, 1e6 and, without --quick, 1e7 women), counted 1990-2050, and reports simulated women per
second and person-years (living women x reference years in the window) per second, the speed-up
from 1 to 2 threads, and the speed of the per-woman NumPy reference on a small sample measured
in the same run. The synthetic rates are benchmark fixtures, not model inputs. Results follow
the schema of ``benchmarks/common.py``.

``--china-full`` (``--china-scale F``) runs the packaged China baseline (configs/baseline.toml,
31 provinces, cohorts 1890-2050, outputs 1990-2050) through ``micro.simulate`` at scale 1
(``F``) and reports the wall time of the simulation and tabulation, women per second and the
peak resident memory of the process.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numba
import numpy as np
from common import print_entries, summary, write

from lossproj.engines import micro_kernels as mk
from lossproj.engines.micro import MicroInputs, simulate, simulate_counts_region, women_per_cohort
from lossproj.engines.micro_reference import simulate_reference_region
from lossproj.engines.rng import stream_keys

FIRST_COHORT, LAST_COHORT = 1890, 2050
OUT_FIRST, OUT_LAST = 1990, 2050
RATE_FIRST, RATE_LAST = 1890, 2100
A_MAX = 110


def synthetic_inputs(total_women: float) -> MicroInputs:
    """China-like synthetic rates and cohort sizes summing to ``total_women``."""
    years = np.arange(RATE_FIRST, RATE_LAST + 1)
    ages = np.arange(A_MAX + 1)
    t = (years - RATE_FIRST)[:, None]
    # Gompertz-Makeham with falling level and infant/child mortality over time
    level = np.exp(-0.018 * np.clip(years - 1950, 0, None))[:, None] * np.where(
        years < 1950, 1.6, 1.0
    )[:, None]
    adult = 4e-4 + 3e-5 * np.exp(0.095 * ages)[None, :]
    child = 0.12 * np.exp(-0.8 * ages)[None, :] * np.exp(-0.03 * t)
    mx_f = np.clip((adult + child) * level, 0, 5)
    mx = np.stack([mx_f, mx_f * 1.3])[None]
    # bell-shaped ASFR; TFR 5.5 before 1970, 2.5 in the 1980s, 1.6 after 1995, 1.1 after 2020
    shape = np.where((ages >= 15) & (ages <= 49), np.exp(-0.5 * ((ages - 25.5) / 4.5) ** 2), 0)
    tfr = np.interp(years, [1890, 1970, 1980, 1995, 2020, 2100], [5.5, 5.5, 2.6, 1.6, 1.1, 1.3])
    lam = (tfr[:, None] * shape[None, :] / shape.sum())[None]
    era = (years >= 1980) & (years <= 2015)
    rel = np.stack([
        np.ones(years.size), np.where(era, 0.3, 0.9), np.where(era, 0.15, 0.7),
        np.where(era, 0.1, 0.6),
    ])[None]  # fmt: skip
    # replacement after the loss of the only child: 80 % at ages 15-34, none from 45
    share = np.interp(ages, [15, 34, 45], [0.8, 0.8, 0.0]) * ((ages >= 15) & (ages <= 49))
    replace_share = np.broadcast_to(share, (1, years.size, ages.size)).copy()
    cohorts = np.arange(FIRST_COHORT, LAST_COHORT + 1)
    size = np.interp(cohorts, [1890, 1950, 1965, 1990, 2000, 2020, 2050], [3, 9, 13, 12, 8, 6, 4])
    return MicroInputs(
        mx=mx, lam=lam, rel=rel, dur1=np.array([0.0, 0.4, 0.9, 1.0, 0.9, 0.7, 0.5]),
        replace_share=replace_share, wait_pmf=np.array([0.3, 0.35, 0.2, 0.1, 0.05]),
        srb=np.full(years.size, 1.12),
        gap_values=np.arange(-3, 11),
        gap_pmf=np.array([1, 2, 5, 9, 14, 16, 15, 12, 9, 7, 4, 3, 2, 1]) / 100.0,
        union_age=15, cohort_sizes=(size / size.sum() * total_women)[None],
        first_cohort=FIRST_COHORT, last_cohort=LAST_COHORT, out_first_year=OUT_FIRST,
        out_last_year=OUT_LAST, rate_first_year=RATE_FIRST, eligibility_age=49,
    )  # fmt: skip


def timed_run(inp: MicroInputs, threads: int, repeats: int) -> dict:
    """Wall times of ``repeats`` kernel runs at ``threads`` threads, with throughput at the best."""
    numba.set_num_threads(threads)
    n, _ = women_per_cohort(inp, 1.0)
    key = stream_keys(2024, 1, [0])[0, 0]
    seconds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        women, _, _ = simulate_counts_region(inp, 0, key, n[0], block_size=4096)
        seconds.append(time.perf_counter() - t0)
    women_total = int(n.sum())
    person_years = int(women[mk.W_POP].sum())
    best = min(seconds)
    return {
        "women": women_total, "threads": threads, "seconds": seconds,
        "women_per_s": women_total / best, "person_years_per_s": person_years / best,
    }  # fmt: skip


def peak_memory_mib() -> float:
    """Peak resident memory of this process [MiB] (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def china_run(scale: float, block_size: int = 65536) -> dict:
    """Run the packaged China baseline through ``micro.simulate`` at ``scale``; time it."""
    from lossproj import api, scenarios
    from lossproj.config import load_config
    from lossproj.engines.expected import project_expected
    from lossproj.engines.micro_bridge import micro_inputs

    root = Path(__file__).resolve().parents[1]
    t_in = time.perf_counter()
    config = load_config(root / "configs" / "baseline.toml")
    bundle = api.scenario_bundle(config)
    parity = scenarios.parity_model(bundle, config)
    expected = project_expected(bundle, parity, 1990, 2050)
    inp = micro_inputs(bundle, parity, expected, 1990, 2050)
    inputs_s = time.perf_counter() - t_in
    t_c = time.perf_counter()
    simulate(synthetic_inputs(2e3), seed=1)  # JIT compilation
    compile_s = time.perf_counter() - t_c
    last = [time.perf_counter()]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 30 or done == total:
            last[0] = time.perf_counter()
            print(f"  {done:,} / {total:,} women", flush=True)

    t0 = time.perf_counter()
    res = simulate(inp, seed=20201101, scale=scale, block_size=block_size, progress=progress)
    wall = time.perf_counter() - t0
    women = int(res.info["women"])
    out = {
        "scale": scale, "regions": inp.n_regions, "women": women, "wall_seconds": wall,
        "women_per_s": women / wall, "threads": numba.get_num_threads(),
        "inputs_seconds": inputs_s, "compile_seconds": compile_s,
        "peak_memory_mib": peak_memory_mib(),
    }  # fmt: skip
    print(f"China baseline at scale {scale:g}: {women:,} women in {wall:.1f} s "
          f"({women / wall:,.0f} women/s, {out['threads']} threads); inputs {inputs_s:.1f} s, "
          f"compile {compile_s:.1f} s; peak memory {out['peak_memory_mib']:,.0f} MiB", flush=True)  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1e5 and 1e6 women only (< 60 s)")
    ap.add_argument("--json", metavar="PATH", help="write the results as JSON")
    ap.add_argument("--china-full", action="store_true", help="China baseline at scale 1")
    ap.add_argument("--china-scale", type=float, metavar="F", help="China baseline at scale F")
    args = ap.parse_args(argv)
    if args.china_full or args.china_scale is not None:
        out = china_run(1.0 if args.china_full else args.china_scale)
        entries = {
            f"micro.china_scale_{out['scale']:g}": summary(
                [out.pop("wall_seconds")], "micro.simulate of the China baseline (31 provinces, "
                "cohorts 1890-2050, outputs 1990-2050), compiled kernels", **out),
        }
        print_entries(entries)
        write(args.json, "china", entries)
        return 0
    sizes = [1e5, 1e6] if args.quick else [1e5, 1e6, 1e7]
    max_threads = min(2, numba.config.NUMBA_NUM_THREADS)
    before = numba.get_num_threads()
    rows = []
    t_compile = time.perf_counter()
    timed_run(synthetic_inputs(2e3), 1, 1)  # JIT compilation or disk-cache load
    compile_s = time.perf_counter() - t_compile
    try:
        for size in sizes:
            inp = synthetic_inputs(size)
            for threads in sorted({1, max_threads}):
                rows.append(timed_run(inp, threads, 1 if size >= 1e7 else (2 if args.quick else 3)))
    finally:
        numba.set_num_threads(before)
    # the NumPy reference on a small sample, same inputs
    ref_inp = synthetic_inputs(300 if args.quick else 1000)
    n, _ = women_per_cohort(ref_inp, 1.0)
    t0 = time.perf_counter()
    simulate_reference_region(ref_inp, 0, int(stream_keys(2024, 1, [0])[0, 0]), n[0])
    ref_s = time.perf_counter() - t0
    ref_women = int(n.sum())
    entries = {
        "micro.first_call": summary(
            [compile_s], "first kernel call on 2,000 women: JIT compilation or disk-cache load"),
    }
    one = {r["women"]: min(r["seconds"]) for r in rows if r["threads"] == 1}
    for size, r in zip([s for s in sizes for _ in sorted({1, max_threads})], rows, strict=True):
        seconds = r.pop("seconds")
        entries[f"micro.kernel_{size:.0e}_threads_{r['threads']}".replace("+0", "")] = summary(
            seconds, f"simulate_counts_region, one synthetic region of {r['women']:,} women "
            f"born 1890-2050, {r['threads']} thread(s)",
            **r, speed_up_vs_1_thread=one[r["women"]] / min(seconds))
    entries["micro.numpy_reference"] = summary(
        [ref_s], f"per-woman NumPy reference on {ref_women} women (same inputs)",
        women=ref_women, women_per_s=ref_women / ref_s)
    best = max(e["women_per_s"] for name, e in entries.items() if name.startswith("micro.kernel"))
    print_entries(entries)
    print(f"numba {numba.__version__}; best {best:,.0f} women/s; kernel/reference speed ratio "
          f"{best / (ref_women / ref_s):,.0f}; 1e9 women (China 1:1) at the best rate: "
          f"{1e9 / best:,.0f} s")  # fmt: skip
    write(args.json, "quick" if args.quick else "full", entries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
