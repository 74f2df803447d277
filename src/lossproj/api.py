"""Python API: run scenarios end to end (config → rates → engine → labelled Dataset)."""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import xarray as xr

import lossproj
from lossproj import aggregate, data, planner, plausibility, scenarios
from lossproj.config import load_configs
from lossproj.engines.expected import project_expected
from lossproj.errors import ConfigError, DataError, LossprojWarning, ModelError
from lossproj.rates import assemble
from lossproj.rates.bundle import A_OUT, RateBundle
from lossproj.regions import NATIONAL, PROVINCE_NAMES
from lossproj.variables import VARIABLES

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]

SOURCE = "lossproj {version}, {engine} engine; rates: {bundle} (see data/README.md)"


def scenario_bundle(config) -> RateBundle:
    """The scenario's rates for the regions it asks for."""
    name = config.rates.bundle
    if name == "sweden":
        bundle = assemble.sweden_bundle()
    else:
        bundle = assemble.china_bundle(
            config.mortality.province_levels, config.fertility.variant,
            province_rule=config.fertility.province_rule,
        )
    wanted = config.run.regions
    if name == "china" and tuple(wanted) != bundle.regions:
        bundle = bundle.select([r for r in wanted if r != "China"] or list(bundle.regions))
    try:
        return scenarios.apply_rates(bundle, config)
    except DataError as exc:
        raise ConfigError(
            f"{_where(config)}: the scenario's rates leave physical bounds: {exc}. Check "
            "mortality.child_mortality_multiplier, mortality.shocks, mortality.improvement and "
            "fertility.tfr_path (docs/model.md, 'Plausibility checks')"
        ) from None


def _where(config) -> str:
    """``path: scenario 'name'`` for messages."""
    return f"{config.path or '(built in code)'}: scenario {config.name!r}"


def _shortfall_record(bundle: RateBundle, res) -> dict:
    """Births left unplaced over the whole history, and the worst region-year (below the
    tolerance, or the run would have stopped)."""
    share, (r, t) = plausibility.worst_shortfall(res.shortfall_history, res.births_history)
    return {"births_unplaced_history": float(res.shortfall_history.sum()),
            "worst_share": share, "worst_region": bundle.regions[r],
            "worst_year": int(bundle.first_year + t),
            "tolerance_share": plausibility.SHORTFALL_TOLERANCE}


def _check_result(config, bundle: RateBundle, res, ds: xr.Dataset) -> None:
    """Stop a run whose fertility input is not met or whose counts are not finite."""
    years = bundle.years[: res.births_history.shape[1]]
    found = plausibility.shortfall_problem(res.shortfall_history, res.births_history,
                                           bundle.regions, years)
    if found is not None:
        problem, year = found
        era = next(e for e in scenarios.resolved_parity(config)["eras"]
                   if e["first_year"] <= year <= e["last_year"])
        used = ", ".join(f"{k} {era[k]:.3g}" for k in scenarios.CALIBRATED_KEYS)
        raise ModelError(
            f"{_where(config)}: {problem}. Era {era['name']!r} runs with {used}: too few women "
            "can have the births the fertility input asks for; lower sterile or "
            "stop_after_first, or raise second/third/fourth_plus in parity.eras "
            "(docs/model.md, 'Fertility shortfall')"
        )
    bad = plausibility.nonfinite_problems(ds)
    if bad:
        raise ModelError(f"{_where(config)}: the result has non-finite counts: "
                         + "; ".join(bad[:5]) + ". Check the scenario's multipliers and rates")


def _monthly_allowance(config, ds: xr.Dataset, guangzhou=()) -> xr.DataArray:
    """Monthly amount per eligible parent [RMB per person per month] by year, (region,) sex
    and age: the national schedule, or with ``schedule = "guangzhou"`` the Guangzhou rule in
    the regions it names and the national schedule elsewhere."""
    years = ds["year"]
    schedule = config.allowance.schedule
    if schedule == "none":
        return xr.zeros_like(years, dtype=float)
    national = _national_schedule(years)
    if schedule == "guangzhou":
        per_region = []
        for region in ds["region"].values:
            if region in planner.rule_regions(guangzhou):
                amount = planner.monthly_amount(guangzhou, str(region), years.values,
                                                ds["sex"].values, ds["age"].values)
            else:
                amount = national.broadcast_like(ds["sex"]).broadcast_like(ds["age"])
            per_region.append(amount.transpose("year", "sex", "age"))
        return xr.concat(per_region, dim=ds["region"])
    return national


def _national_schedule(years: xr.DataArray) -> xr.DataArray:
    """National special-assistance amount by year [RMB per person per month]."""
    table = data.allowance_standards()  # (year, residence)
    mean = table.mean("residence")
    # years after the last standard keep the last amount; years before the scheme pay nothing
    last = int(mean["year"].max())
    amount = mean.reindex(year=years.where(years <= last, last).values).fillna(0.0)
    return xr.DataArray(amount.values, dims="year", coords={"year": years.values})


def _without_partial_national(ds: xr.Dataset) -> xr.Dataset:
    """Drop ``China`` unless every province was run: a partial sum is not the nation."""
    names = [str(r) for r in ds["region"].values]
    if NATIONAL in names and not set(PROVINCE_NAMES) <= set(names):
        return ds.drop_sel(region=NATIONAL)
    return ds


def _care_prevalence(config, ds: xr.Dataset) -> tuple[xr.DataArray, str]:
    """Care prevalence by (region,) sex and age for the run's regions, and its source note."""
    national = data.care_prevalence()
    provinces = [str(r) for r in ds["region"].values if str(r) in PROVINCE_NAMES]
    if config.care.prevalence == "national" or not provinces:
        return national, "prevalence: data/care_prevalence.csv (national age-sex pattern)"
    levels = data.care_prevalence_province().sel(region=provinces)
    population = data.base_population(2020).sel(region=provinces)
    prev = planner.provincial_care_prevalence(national, levels, population)
    return prev, ("prevalence: data/care_prevalence.csv (national age-sex pattern) scaled to each "
                  "province's 2020 census 60+ level (data/care_prevalence_province.csv)")


def add_policy_variables(ds: xr.Dataset, config, source: str) -> xr.Dataset:
    """Care dependence, priority care admission and allowance costs of a Chinese scenario.

    Adds ``care_dependent_shidu_parents``, ``priority_care_shidu_parents`` (Beijing rule),
    ``allowance_cost`` (the scenario's schedule) and, where local rules name regions,
    ``allowance_cost_local`` (missing in the regions no rule names).
    """
    provinces = [str(r) for r in ds["region"].values if str(r) != NATIONAL]
    prev, note = _care_prevalence(config, ds)
    care = aggregate.add_care_dependence(ds.sel(region=provinces), prev, config.care.annual_trend)
    ds["care_dependent_shidu_parents"] = _with_national(care["care_dependent_shidu_parents"], ds)
    ds["care_dependent_shidu_parents"].attrs = VARIABLES["care_dependent_shidu_parents"].attrs | {
        "source": f"{source}; {note}"}
    rule = planner.BEIJING_PRIORITY_CARE
    ds["priority_care_shidu_parents"] = planner.priority_care_parents(
        ds["shidu_parents_strict"], ds["care_dependent_shidu_parents"], rule)
    ds["priority_care_shidu_parents"].attrs = VARIABLES["priority_care_shidu_parents"].attrs | {
        "source": f"{source}; rule: {rule.source}"}
    years = ds["year"].values
    guangzhou = planner.guangzhou_rules(config.allowance.guangzhou, int(years.min()),
                                        int(years.max()))
    local = guangzhou
    if config.allowance.local_table:
        local = local + planner.read_allowance_rules(config.allowance.local_table)
    ds = aggregate.add_allowance_cost(ds, _monthly_allowance(config, ds, guangzhou))
    ds["allowance_cost"] = _with_national(ds["allowance_cost"].sel(region=provinces), ds)
    ds["allowance_cost"].attrs = VARIABLES["allowance_cost"].attrs | {
        "source": source + f"; schedule: {config.allowance.schedule}",
        "note": "urban/rural residence of parents is not modelled: the national schedule's urban "
        "and rural amounts are averaged where they differ",
    }
    if set(planner.rule_regions(local)) & set(provinces):
        ds["allowance_cost_local"] = planner.local_allowance_cost(ds["eligible_shidu_parents"], local)
        named = ", ".join(planner.rule_regions(local))
        ds["allowance_cost_local"].attrs = VARIABLES["allowance_cost_local"].attrs | {
            "source": f"{source}; rules: " + "; ".join(sorted({r.source for r in local})),
            "regions": named,
        }
    return ds


def _with_national(da: xr.DataArray, ds: xr.Dataset) -> xr.DataArray:
    """``da`` over the provinces of ``ds``, with ``China`` as their sum when ``ds`` has it."""
    da = da.drop_vars([c for c in ("region_code", "region_zh") if c in da.coords])
    if NATIONAL in ds["region"].values:
        total = da.sum("region").expand_dims(region=[NATIONAL])
        da = xr.concat([da, total], dim="region")
    return da.reindex(region=ds["region"].values)


def run_scenario(config, *, progress: Progress | None = None,
                 data_dir=None, shards: int = 1, map_tasks=None) -> xr.Dataset:
    """One scenario's Dataset (dims ``year, region, sex, age``), engine chosen by the config.

    ``data_dir``: read the tables from this directory instead of the packaged ``data/``.
    ``shards``, ``map_tasks``: split the microsimulation of each region and replicate into this
    many tasks and run them with ``map_tasks`` (:func:`dask_task_mapper`); results are
    bit-identical to an unsharded run.
    """
    with data.using_data_dir(data_dir):
        return _run_scenario(config, progress, shards, map_tasks)


def _run_scenario(config, progress: Progress | None, shards: int = 1, map_tasks=None) -> xr.Dataset:
    t0 = time.perf_counter()
    bundle = scenario_bundle(config)
    try:
        parity = scenarios.parity_model(bundle, config)
    except DataError as exc:
        raise ConfigError(f"{_where(config)}: {exc}; check parity.eras, "
                          "replacement and family.spouse_age_gap") from None
    t_rates = time.perf_counter()

    def region_progress(done, total):
        if progress is not None:
            progress(config.name, done, total)

    res = project_expected(
        bundle, parity, config.run.first_year, config.run.last_year,
        include_migration=config.migration.include, progress=region_progress,
    )
    engine = config.run.engine
    if engine != "micro" and config.mortality.shared_frailty_sd > 0:
        warnings.warn(
            f"scenario {config.name!r}: mortality.shared_frailty_sd applies to the "
            "microsimulation only; the expected-value engine assumes independent deaths",
            LossprojWarning,
            stacklevel=2,
        )
    source = SOURCE.format(version=lossproj.__version__, engine=engine, bundle=bundle.name)
    if engine == "micro":
        from lossproj.engines.micro_bridge import run_micro_dataset

        ds = run_micro_dataset(bundle, parity, res, config, progress=progress, source=source,
                               shards=shards, map_tasks=map_tasks)
    else:
        ds = aggregate.to_dataset(res, source=source)
    t_engine = time.perf_counter()
    ds = _without_partial_national(ds)
    _check_result(config, bundle, res, ds)
    if bundle.name == "china":
        ds = add_policy_variables(ds, config, source)
    ds.attrs.update(
        {
            "scenario": config.name,
            "engine": engine,
            "rates_bundle": bundle.name,
            "assumptions": json.dumps(list(bundle.assumptions), ensure_ascii=False),
            "fertility_solve_shortfall_births": float(res.shortfall.sum()),
            "fertility_solve_shortfall": json.dumps(_shortfall_record(bundle, res)),
            "parity_parameters": json.dumps(scenarios.resolved_parity(config)),
            "timings_s": json.dumps(
                {"rates": t_rates - t0, "engine": t_engine - t_rates}
            ),
        }
    )
    return ds


#: Seconds ``--dask ADDRESS`` waits for a dask.distributed scheduler before giving up.
DASK_CONNECT_TIMEOUT = 10.0


def _run_with_dask(configs: Sequence, scheduler: str, data_dir=None,
                   timeout: float = DASK_CONNECT_TIMEOUT) -> list[xr.Dataset]:
    """Run each scenario as a Dask task: ``"local"`` (processes) or a distributed address.

    Each scenario's result depends only on its config (its seed included), so the results are
    identical to a sequential run whatever the workers.
    """
    try:
        import dask
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError("running with Dask needs the 'dask' extra: pip install 'lossproj[dask]'") from exc
    if scheduler in ("local", "processes", "threads", "synchronous"):
        tasks = [dask.delayed(run_scenario)(c, data_dir=data_dir) for c in configs]
        mode = "processes" if scheduler == "local" else scheduler
        return list(dask.compute(*tasks, scheduler=mode))
    try:
        from dask.distributed import Client
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError("--dask ADDRESS needs dask.distributed: pip install "
                          "'lossproj[dask]'") from exc
    try:
        client = Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(
            f"cannot reach the Dask scheduler at {scheduler!r} within {timeout:g} s "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'}); "
            "check the address and that the scheduler runs, raise --dask-timeout, or use "
            "--dask local"
        ) from None
    with client:
        futures = client.map(run_scenario, list(configs), pure=False, data_dir=data_dir)
        return client.gather(futures)


def dask_task_mapper(scheduler: str, timeout: float = DASK_CONNECT_TIMEOUT):
    """A ``map_tasks(function, argument tuples) -> results`` that runs the tasks with Dask.

    ``scheduler``: ``"local"`` (worker processes on this machine), ``"threads"``,
    ``"synchronous"`` or a dask.distributed address. Large shared arguments (the inputs) travel
    once per worker on a cluster (scattered with ``broadcast``).
    """
    try:
        import dask
    except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
        raise ConfigError("running with Dask needs the 'dask' extra: pip install 'lossproj[dask]'") from exc
    if scheduler in ("local", "processes", "threads", "synchronous"):
        mode = "processes" if scheduler == "local" else scheduler

        def local_map(fn, args_list):
            return list(dask.compute(*[dask.delayed(fn)(*a) for a in args_list], scheduler=mode))

        return local_map

    def cluster_map(fn, args_list):
        from dask.distributed import Client

        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {scheduler!r} within {timeout:g} s "
                              f"({type(exc).__name__}); check the address or use --dask local") from None
        with client:
            shared = client.scatter(args_list[0][0], broadcast=True) if args_list else None
            futures = [client.submit(fn, shared, *a[1:], pure=False) for a in args_list]
            return client.gather(futures)

    return cluster_map


def project(
    configs: Sequence, *, progress: Progress | None = None, scheduler: str | None = None,
    data_dir=None, dask_timeout: float = DASK_CONNECT_TIMEOUT, shards: int = 0,
) -> xr.Dataset:
    """Run every scenario and combine them along ``scenario``.

    Parameters
    ----------
    configs : sequence of ScenarioConfig, or of scenario files (str or Path) or packaged
        scenario names (``"baseline"``), read with ``lossproj.config.load_configs``
    progress : callable(scenario name, regions done, regions total) or None
    scheduler : None, "local", "threads", "synchronous" or a dask.distributed address —
        run the scenarios as Dask tasks (None: one after another in this process)
    data_dir : path or None
        Directory of the data tables (None: the packaged ``data/``). Either is checked before
        use (:func:`lossproj.data.verify_for_run`: the packaged tables against their recorded
        checksums, a user's directory in full).
    dask_timeout : float
        Seconds to wait for a dask.distributed scheduler [s].
    shards : int
        0 (default): with a ``scheduler``, each scenario is one Dask task. ``N >= 1``, with a
        microsimulation and a ``scheduler``: each region and replicate is split into ``N`` Dask
        tasks (1: one task per region, tabulated in the worker); scenarios then run one after
        another, their tasks in parallel. Bit-identical to an unsharded run.

    Returns
    -------
    xarray.Dataset with dims ``scenario, year, region, sex, age`` (plus ``replicate`` for
    microsimulation ensembles) and run metadata in ``attrs``.
    """
    if not configs:
        raise ConfigError("no scenario to run")
    if isinstance(configs, str | Path):
        configs = [configs]
    configs = _as_configs(configs)
    for config in configs:  # a bad rule table fails before the run, not after it
        if config.allowance.local_table:
            planner.read_allowance_rules(config.allowance.local_table)
    names = [c.name for c in configs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"scenario names must differ; repeated: {', '.join(dupes)}")
    data.verify_for_run(data_dir)
    if scheduler is None:
        sharding = {"shards": shards} if shards > 1 else {}  # in this process, one after another
        parts = [run_scenario(c, progress=progress, data_dir=data_dir, **sharding) for c in configs]
    elif shards >= 1:
        mapper = dask_task_mapper(scheduler, dask_timeout)
        parts = [run_scenario(c, progress=progress, data_dir=data_dir, shards=shards, map_tasks=mapper)
                 for c in configs]
    else:
        parts = _run_with_dask(configs, scheduler, data_dir, dask_timeout)
    per_scenario = {p.attrs["scenario"]: dict(p.attrs) for p in parts}
    for p in parts:
        p.attrs = {}
    ds = xr.concat(
        [p.expand_dims(scenario=[n]) for p, n in zip(parts, names, strict=True)],
        dim="scenario", data_vars="all", coords="different", compat="equals", join="outer",
    )
    ds = ds.transpose("scenario", "year", "region", ...)
    ds.attrs = {
        "title": "lossproj projection of one-child and shidu parents",
        "lossproj_version": lossproj.__version__,
        "scenarios": json.dumps(per_scenario, ensure_ascii=False),
        "config": json.dumps([c.to_dict() for c in configs], ensure_ascii=False),
        "seed": int(configs[0].run.seed),
        "engine": ",".join(sorted({c.run.engine for c in configs})),
        "data_checksums": json.dumps(data.checksums(data_dir)),
        "data_dir": str(data_dir) if data_dir is not None else "packaged",
        "age_note": f"age {A_OUT} is the open group {A_OUT}+",
        "numpy_version": np.__version__,
    }
    return ds


def replacement_diagnostics(config):
    """Replacement-after-loss diagnostics of ``config``: ``(probabilities, time_bereaved, figure)``
    (:func:`lossproj.calibration.replacement_diagnostics`, national figure)."""
    from lossproj import calibration

    probabilities, time_bereaved = calibration.replacement_diagnostics(config, scenario_bundle(config))
    return probabilities, time_bereaved, calibration.plot_replacement(probabilities)


def _as_configs(items: Sequence) -> list:
    """Configs as given, files and packaged names read (problems of all reported together)."""
    paths = [i for i in items if isinstance(i, str | Path)]
    loaded = iter(load_configs(paths)) if paths else iter(())
    return [next(loaded) if isinstance(i, str | Path) else i for i in items]


def calibrate(config):
    """Fit the parity levels for ``config``; returns ``(report DataFrame, figure)``.

    The fitted levels are not written anywhere: ``lossproj data build --calibrate`` writes
    them to the packaged ``data/parity_calibration.csv``.
    """
    from lossproj import calibration

    result = calibration.calibrate(config)
    return result.report, calibration.plot_fit(result.report)


def build_data(raw_dir: Path, out_dir: Path, *, calibrate: bool = False,
               config: Path | None = None) -> tuple[list[Path], list[str]]:
    """Build the packaged tables from the raw sources, with README, checksums and checks.

    Parameters
    ----------
    raw_dir : Path
        Folder of raw source tables (:data:`lossproj.sources.raw.RAW_FILES`).
    out_dir : Path
        Folder to write into (created if missing).
    calibrate : bool
        Also re-fit ``parity_calibration.csv`` (minutes). The fit reads the packaged
        tables, so ``out_dir`` must be the packaged data folder. Without it, a
        ``parity_calibration.csv`` already in ``out_dir`` is kept (and logged as kept).
    config : Path, optional
        Scenario file whose targets the calibration fits; the packaged baseline by default.

    Returns
    -------
    written : list of Path
        The tables in ``out_dir`` listed in its ``checksums.json`` and ``README.md``.
    problems : list of str
        What :func:`lossproj.data.check_all` finds wrong with them (empty when all pass).

    Raises
    ------
    DataError
        If a raw table is missing or inconsistent.
    ValueError
        If ``calibrate`` is asked for a folder other than the packaged data folder.
    """
    from lossproj import calibration, sources
    from lossproj.config import load_config, packaged_config
    from lossproj.paths import packaged_data_dir
    from lossproj.plot_data import FIGURES
    from lossproj.sources.manifest import write_manifest

    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    packaged = out_dir.resolve() == packaged_data_dir().resolve()
    if calibrate and not packaged:
        raise ValueError(
            f"the parity calibration reads the packaged tables: --calibrate needs --out "
            f"{packaged_data_dir()} (got {out_dir})"
        )
    written = sources.write_tables(raw_dir, out_dir)
    notes = sources.notes() | calibration.TABLE_NOTES
    fitted = out_dir / scenarios.CALIBRATION_TABLE
    if calibrate:
        path, _ = calibration.write_table(load_config(config or packaged_config("baseline")),
                                          out_dir)
        written.append(path)
    elif fitted.is_file():
        logger.warning("kept %s from an earlier fit; re-fit it with --calibrate when source tables "
                    "changed", fitted)
        written.append(fitted)
    else:
        logger.warning("%s not written: it is fitted by --calibrate on the packaged data folder",
                    scenarios.CALIBRATION_TABLE)
    write_manifest(out_dir, written, notes, FIGURES)
    data.clear_cache()
    present = [p.name for p in written if p.name in data.SCHEMAS]
    return written, data.check_all(out_dir, tables=present)
