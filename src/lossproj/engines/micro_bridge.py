"""Bridge from a scenario's rates and the expected-value engine's hazards to the microsimulation."""

from __future__ import annotations

import os
import warnings

import numpy as np
import xarray as xr

from lossproj import regions as reg
from lossproj.engines import micro
from lossproj.engines.expected import ExpectedResult
from lossproj.errors import ConfigError, LossprojWarning
from lossproj.rates.bundle import A_OUT, FERT_MIN, ParityModel, RateBundle
from lossproj.rates.population import PopulationArrays, project_population, step_mortality
from lossproj.variables import VARIABLES
from lossproj.variables import attrs as variable_attrs


def micro_inputs(
    bundle: RateBundle,
    parity: ParityModel,
    expected: ExpectedResult,
    first_year: int,
    last_year: int,
    pop: PopulationArrays | None = None,
    frailty_sd: float = 0.0,
) -> micro.MicroInputs:
    """Plain-array inputs of the microsimulation on the same hazards as the expected engine."""
    pop = project_population(bundle) if pop is None else pop
    cohorts = np.arange(bundle.first_year, last_year + 1)
    sizes = pop.cohort_size[:, 0, cohorts - pop.first_cohort]
    factor = None
    if bundle.back_projection_factor is not None:
        yi = np.arange(first_year, last_year + 1) - bundle.first_year
        factor = np.ascontiguousarray(bundle.back_projection_factor[:, yi, : A_OUT + 1])
    # the sterile share of a cohort is that of the year it reaches FERT_MIN (expected engine)
    y_fert = np.clip(cohorts + FERT_MIN - bundle.first_year, 0, bundle.mx.shape[2] - 1)
    return micro.MicroInputs(
        mx=np.ascontiguousarray(step_mortality(bundle.mx)),
        lam=np.ascontiguousarray(expected.hazards.lam),
        rel=np.ascontiguousarray(parity.rel),
        dur1=np.asarray(parity.dur1, dtype=float),
        replace_share=np.ascontiguousarray(parity.replace_share, dtype=float),
        wait_pmf=np.asarray(parity.wait_pmf, dtype=float),
        srb=np.asarray(bundle.srb, dtype=float),
        gap_values=np.asarray(parity.gap_values, dtype=np.int64),
        gap_pmf=np.asarray(parity.gap_pmf, dtype=float),
        union_age=int(parity.union_age),
        cohort_sizes=np.ascontiguousarray(sizes),
        first_cohort=int(cohorts[0]),
        last_cohort=int(cohorts[-1]),
        out_first_year=first_year,
        out_last_year=last_year,
        rate_first_year=bundle.first_year,
        eligibility_age=int(parity.eligibility_age),
        birth_mx=np.ascontiguousarray(bundle.mx[..., 0]),
        population_factor=factor,
        frailty_sd=float(frailty_sd),
        stop=np.ascontiguousarray(parity.stop, dtype=float),
        sterile=np.ascontiguousarray(parity.sterile[:, y_fert], dtype=float),
        child_mx_factor=None if bundle.child_mx_factor is None
        else np.ascontiguousarray(bundle.child_mx_factor, dtype=float),
    )


#: A run estimated to take longer than this is announced with a warning before it starts [s].
LONG_RUN_SECONDS = 120.0
#: Share of the machine's memory a run may be estimated to need before it is refused.
MEMORY_SHARE = 0.8


def _machine_memory_bytes() -> float | None:
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - non-POSIX systems
        return None


#: Fewest simulated women per cohort of mothers, on average over a region's cohorts, for a
#: microsimulation's cells to hold more than a handful of women [women per cohort].
MIN_WOMEN_PER_COHORT = 10


def _check_scale(inp: micro.MicroInputs, scale: float, regions=None) -> None:
    """Refuse a sampling fraction too small for the cells it fills, naming the scale needed."""
    if scale >= 1.0:
        return
    n, _ = micro.women_per_cohort(inp, scale)
    cohorts = np.maximum((inp.cohort_sizes > 0).sum(axis=1), 1)
    weights = inp.cohort_sizes.sum(axis=1)
    per_cohort = n.sum(axis=1) / cohorts
    if (per_cohort >= MIN_WOMEN_PER_COHORT).all():
        return
    r = int(np.argmin(per_cohort))
    name = regions[r] if regions is not None else f"#{r}"
    needed = float(np.max(MIN_WOMEN_PER_COHORT * cohorts / np.where(weights > 0, weights, 1.0)))
    needed = min(1.0, float(f"{needed * 1.05:.2g}"))
    raise ConfigError(
        f"run.scale = {scale:g} simulates {int(n[r].sum()):,} women for {int(cohorts[r])} "
        f"cohorts of mothers in {name} ({per_cohort[r]:.2g} per cohort): too few for "
        f"the cells it fills (at least {MIN_WOMEN_PER_COHORT} per cohort in every region); "
        f"use --scale {needed:g} or more"
    )


def check_run_size(inp: micro.MicroInputs, scale: float, replicates: int, regions=None) -> dict:
    """Refuse a run that would not fit in memory or whose scale is too small for its cells;
    warn before one that will take long.

    Returns the estimate (:func:`lossproj.engines.micro.estimate_run`).
    """
    est = micro.estimate_run(inp, scale=scale, replicates=replicates)
    _check_scale(inp, scale, regions)
    memory = _machine_memory_bytes()
    if memory is not None and est["memory_bytes"] > MEMORY_SHARE * memory:
        raise ConfigError(
            f"a microsimulation at scale {scale} with {replicates} replicate(s) needs about "
            f"{est['memory_bytes'] / 2**30:.1f} GiB, more than {MEMORY_SHARE:.0%} of this "
            f"machine's {memory / 2**30:.1f} GiB; lower the scale or the replicates"
        )
    if est["seconds"] > LONG_RUN_SECONDS:
        warnings.warn(
            f"the microsimulation will simulate {est['women']:,} women and take about "
            f"{est['seconds'] / 60:.0f} min on {est['threads']} thread(s) (scale {scale}, "
            f"{replicates} replicate(s)); a scale of 0.01-0.1 gives small standard errors",
            LossprojWarning,
            stacklevel=2,
        )
    return est


def run_micro_dataset(
    bundle: RateBundle,
    parity: ParityModel,
    expected: ExpectedResult,
    config,
    *,
    progress=None,
    source: str = "",
    max_seconds: float | None = None,
    shards: int = 1,
    map_tasks=None,
) -> xr.Dataset:
    """Microsimulation Dataset with the expected engine's names and dims, plus extras and ``*_se``.

    ``population`` (both sexes) is the deterministic projection: the microsimulation follows
    women and their husbands only. ``China`` is the sum over the provinces run (standard errors
    of independent regions combined in quadrature).
    """
    run = config.run
    inp = micro_inputs(
        bundle, parity, expected, run.first_year, run.last_year,
        frailty_sd=config.mortality.shared_frailty_sd,
    )
    codes = [reg.CODE_BY_NAME.get(r, i) for i, r in enumerate(bundle.regions)]

    def tick(done, total):
        if progress is not None:
            progress(config.name, done, total)

    check_run_size(inp, float(run.scale), int(run.replicates), bundle.regions)
    result = micro.simulate(
        inp, seed=int(run.seed), scale=float(run.scale), replicates=int(run.replicates),
        region_ids=codes, block_size=int(run.block_size), progress=tick, max_seconds=max_seconds,
        shards=shards, map_tasks=map_tasks,
    )
    ds = micro.to_dataset(result, bundle.regions)
    ds = ds.drop_vars([v for v in ds.data_vars if v.startswith("population")])
    ds["population"] = (("year", "region", "sex", "age"), np.moveaxis(expected.population, 0, 1))
    ds = ds.assign_coords(
        region_code=("region", codes), region_zh=("region", [reg.ZH_BY_NAME.get(r, "") for r in bundle.regions])
    )
    if len(bundle.regions) > 1:
        ds = _add_national(ds, expected)
    for name in ds.data_vars:
        base = name[:-3] if name.endswith("_se") else name
        attrs = variable_attrs(name)
        if name.endswith("_se"):
            attrs["definition"] = micro.SE_METHOD
        if base == "population":
            attrs["note"] = "deterministic projection (the microsimulation follows women and husbands only)"
        ds[name].attrs = attrs | {"source": source}
    ds.attrs.update({"micro_scale": float(run.scale), "micro_women": int(result.info["women"]), "micro_seconds": float(result.info["seconds"])})
    return ds


def _add_national(ds: xr.Dataset, expected: ExpectedResult) -> xr.Dataset:
    women = xr.DataArray(np.moveaxis(expected.women, 0, 1), dims=("year", "region", "age"),
                         coords={"year": ds["year"], "region": ds["region"], "age": ds["age"]})
    means = [v for v in ds.data_vars if not v.endswith("_se") and VARIABLES[v].kind == "mean"]
    ses = [v for v in ds.data_vars if v.endswith("_se")]
    counts = [v for v in ds.data_vars if v not in means and v not in ses]
    total = ds[counts].sum("region", min_count=1)
    w = women.sum("region")
    for v in means:
        if "age" in ds[v].dims:
            total[v] = (ds[v].fillna(0) * women).sum("region") / w.where(w > 0)
        else:
            total[v] = ds[v].mean("region")
    for v in ses:
        base = v[:-3]
        if base in means and "age" in ds[v].dims:
            total[v] = np.sqrt(((ds[v].fillna(0) * women) ** 2).sum("region")) / w.where(w > 0)
        elif base in means:
            total[v] = np.sqrt((ds[v] ** 2).sum("region")) / ds.sizes["region"]
        else:
            total[v] = np.sqrt((ds[v] ** 2).sum("region"))
    total = total.expand_dims(region=[reg.NATIONAL]).assign_coords(
        region_code=("region", [reg.NATIONAL_CODE]), region_zh=("region", [reg.NATIONAL_ZH])
    )
    return xr.concat([ds, total], dim="region", data_vars="all", coords="different", compat="equals", join="outer")
