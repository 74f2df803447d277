"""Scenarios as Dask tasks give the same Dataset as a sequential run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from lossproj import api
from lossproj.config import load_config

pytest.importorskip("dask", reason="the [dask] extra is not installed")

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def test_dask_threads_equal_sequential():
    base = load_config(CONFIGS / "baseline.toml")
    low = load_config(CONFIGS / "fertility_low.toml")
    configs = [
        dataclasses.replace(c, run=dataclasses.replace(c.run, regions=("Ningxia",), last_year=2030))
        for c in (base, low)
    ]
    seq = api.project(configs)
    par = api.project(configs, scheduler="threads")
    xr.testing.assert_identical(seq.drop_attrs(), par.drop_attrs())


def test_dask_distributed_cluster_by_address():
    distributed = pytest.importorskip("dask.distributed")
    base = load_config(CONFIGS / "baseline.toml")
    config = dataclasses.replace(base, run=dataclasses.replace(base.run, regions=("Hainan",), last_year=2025))
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        par = api.project([config], scheduler=cluster.scheduler_address)
    seq = api.project([config])
    xr.testing.assert_identical(seq.drop_attrs(), par.drop_attrs())


def test_sharded_microsimulation_is_bit_identical():
    """Shards of contiguous blocks, run as Dask tasks, add up to the unsharded counts exactly."""
    from synthetic import synthetic_bundle, synthetic_parity

    from lossproj.api import dask_task_mapper
    from lossproj.engines import micro
    from lossproj.engines.expected import project_expected
    from lossproj.engines.micro_bridge import micro_inputs

    bundle = synthetic_bundle(n_regions=2, child_mx=0.02)
    parity = synthetic_parity(bundle)
    inp = micro_inputs(bundle, parity, project_expected(bundle, parity, 1990, 2020), 1990, 2020)
    whole = micro.simulate(inp, seed=11, scale=0.01, block_size=512)
    assert len(micro.shard_ranges(whole.n_women[0], 512, 3)) == 3
    for shards, mapper in ((3, None), (4, dask_task_mapper("threads")), (1, dask_task_mapper("threads"))):
        part = micro.simulate(inp, seed=11, scale=0.01, block_size=512, shards=shards, map_tasks=mapper)
        for name, arr in whole.values.items():
            np.testing.assert_array_equal(arr, part.values[name], err_msg=f"{name}, {shards} shards")


@pytest.mark.slow
def test_sharded_run_on_local_worker_processes_equals_a_local_run():
    config = load_config(CONFIGS / "baseline.toml")
    config = dataclasses.replace(
        config, run=dataclasses.replace(config.run, regions=("Beijing", "Tibet"), engine="micro",
                                        scale=0.002, first_year=2000, last_year=2020))
    local = api.project([config])
    for shards in (1, 2):
        sharded = api.project([config], scheduler="local", shards=shards)
        for name in local.data_vars:
            np.testing.assert_array_equal(local[name].values, sharded[name].values, err_msg=name)
