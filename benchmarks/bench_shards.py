"""Sharded microsimulation: one process against two local Dask worker processes.

The same microsimulation (all provinces, baseline hazards, one seed) runs unsharded in this
process (the Numba kernel with one thread) and as shards on two Dask worker processes of one
thread each; the results are checked bit-identical and the speed-up is reported with the
throughput (simulated women per second). Measures, never asserts a time. The JSON entries
follow ``benchmarks/common.py``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from common import ROOT, print_entries, summary, write

# each worker process, and this one, use one Numba thread: the comparison is 1 process vs 2
os.environ["NUMBA_NUM_THREADS"] = "1"

from lossproj import api, scenarios  # noqa: E402
from lossproj.config import load_config  # noqa: E402
from lossproj.engines import micro  # noqa: E402
from lossproj.engines.expected import project_expected  # noqa: E402
from lossproj.engines.micro_bridge import micro_inputs  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller sample (CI)")
    parser.add_argument("--json", default=None, help="write the results here")
    args = parser.parse_args(argv)
    scale = 0.002 if args.quick else 0.02

    config = load_config(ROOT / "configs" / "baseline.toml")
    bundle = api.scenario_bundle(config)
    parity = scenarios.parity_model(bundle, config)
    inp = micro_inputs(bundle, parity, project_expected(bundle, parity, 1990, 2050), 1990, 2050)
    micro.simulate(inp, seed=1, scale=0.0005)  # compilation or cache load, not timed

    t0 = time.perf_counter()
    one = micro.simulate(inp, seed=1, scale=scale)
    t_one = time.perf_counter() - t0
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster, Client(cluster) as client:

        def mapper(fn, args_list):
            shared = client.scatter(args_list[0][0], broadcast=True)
            return client.gather([client.submit(fn, shared, *a[1:], pure=False) for a in args_list])

        # warm both workers: kernels loaded from the compilation cache, not timed
        micro.simulate(inp, seed=2, scale=0.0005, shards=1, map_tasks=mapper)
        micro.simulate(inp, seed=2, scale=0.0005, shards=2, map_tasks=mapper)
        t0 = time.perf_counter()
        two = micro.simulate(inp, seed=1, scale=scale, shards=1, map_tasks=mapper)
        t_two = time.perf_counter() - t0
        t0 = time.perf_counter()
        split = micro.simulate(inp, seed=1, scale=scale, shards=2, map_tasks=mapper)
        t_split = time.perf_counter() - t0
    identical = all(np.array_equal(one.values[n], other.values[n], equal_nan=True)
                    for n in one.values for other in (two, split))
    women = int(one.info["women"])
    entries = {
        "micro.shards_1_process": summary([t_one], "all provinces, one process, one thread",
                                          women=women, women_per_s=women / t_one, scale=scale),
        "micro.regions_2_dask_workers": summary(
            [t_two], "the same run, one task per region (tabulated in the worker), on 2 local "
            "Dask worker processes", women=women, women_per_s=women / t_two, scale=scale,
            speedup=t_one / t_two, bit_identical=identical),
        "micro.shards_2_dask_workers": summary(
            [t_split], "the same run, 2 block-range shards per region (counts sent back and "
            "summed), on 2 local Dask worker processes", women=women, women_per_s=women / t_split,
            scale=scale, speedup=t_one / t_split, bit_identical=identical),
    }
    print_entries(entries)
    print(f"speed-up with 2 local workers: {t_one / t_two:.2f}x (tasks by region), "
          f"{t_one / t_split:.2f}x (2 shards per region); bit-identical: {identical}; {women:,} women")
    write(args.json, "quick" if args.quick else "full", entries)
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
