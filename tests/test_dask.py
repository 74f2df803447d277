"""Scenarios as Dask tasks give the same Dataset as a sequential run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

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
