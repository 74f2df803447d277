"""Result files: NetCDF, tidy CSV, an Excel workbook for planners, run metadata and figures.

Everything is written into a temporary directory beside the output directory and moved into
place only when complete, so an interrupted run leaves no half-written ``projection.nc``.

Files written by :func:`write_results`:

``projection.nc``
    The whole Dataset (NetCDF-4, via h5netcdf or netCDF4), with variable and run attributes.
``projection.csv``
    One row per (``replicate``,) ``scenario, year, region, sex, age`` with ``region_code`` and
    one column per variable that has a ``sex`` dim (parents by their own age and sex).
``projection_families.csv``
    One row per (``replicate``,) ``scenario, year, region, age`` and one column per variable
    without a ``sex`` dim (families by the mother's age; per-woman means by the woman's age).
``projection.xlsx``
    For planners: a ``README`` sheet (variables, units, definitions, sources), one sheet per
    additive variable (rows scenario × region, columns years, summed over sex and age) and
    ``national_by_age_group`` (rows scenario × variable × age group, columns years).
``run.json``
    Configuration, seed, engine, package versions, data checksums, timings and the file list.
``figures/*.png``
    Pyramids of strict shidu parents, national trends by scenario, provincial panels.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import platform
import shutil
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from lossproj import __version__, plotting
from lossproj.regions import NATIONAL
from lossproj.summary import (
    STANDARD_DIMS,
    age_group_labels,
    count_variables,
    is_grouped,
    replicate_mean,
)

logger = logging.getLogger(__name__)

NETCDF = "projection.nc"
CSV_BY_SEX = "projection.csv"
CSV_FAMILIES = "projection_families.csv"
EXCEL = "projection.xlsx"
RUN_JSON = "run.json"
FIGURE_DIR = "figures"

#: Packages whose versions are recorded in ``run.json``.
RECORDED_PACKAGES = ("numpy", "numba", "xarray", "pandas", "scipy", "h5netcdf", "matplotlib")

#: Significant digits of numbers in the CSV files.
CSV_FLOAT_FORMAT = "%.10g"

#: Excel sheet names are limited to 31 characters.
_SHEET_NAME_MAX = 31


# --------------------------------------------------------------------------------------------
# Output directory
# --------------------------------------------------------------------------------------------


def check_out_dir(out_dir: str | Path, *, force: bool = False) -> Path:
    """Refuse an existing non-empty output directory unless ``force``.

    Called before a long run so that it fails early; :func:`write_results` checks again.

    Raises
    ------
    FileExistsError
        Naming the directory and ``--force``.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"output path {out_dir} exists and is not a directory")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise FileExistsError(
            f"output directory {out_dir} exists and is not empty; choose another --out "
            "directory or pass --force to replace lossproj's files in it"
        )
    return out_dir


def write_results(ds: xr.Dataset, out_dir: str | Path, *, force: bool = False,
                  excel: bool = True, figures: bool = True,
                  run_info: Mapping[str, Any] | None = None) -> list[Path]:
    """Write a projection's files into ``out_dir`` atomically.

    Parameters
    ----------
    ds : xarray.Dataset
        A projection (``lossproj.api.project``).
    out_dir : str or Path
        Created if missing. An existing non-empty directory is refused unless ``force``; with
        ``force`` the files lossproj writes (and those listed in an older ``run.json``) are
        replaced, other files are left alone.
    force : bool
    excel, figures : bool
        Whether to write ``projection.xlsx`` and ``figures/``.
    run_info : mapping, optional
        Extra metadata for ``run.json`` (e.g. ``{"timings": {"project_s": 1.2}}``).

    Returns
    -------
    list of Path
        The files written, ``projection.nc`` first.
    """
    out_dir = check_out_dir(out_dir, force=force)
    parent = out_dir.absolute().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=parent))
    tmp.chmod(0o777 & ~_umask())  # mkdtemp makes it private; give it a normal directory's mode
    try:
        names = _write_all(ds, tmp, excel=excel, figures=figures, run_info=run_info or {})
        final = _install(tmp, out_dir, names)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    logger.info("wrote %d files to %s", len(final), out_dir)
    return final


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write_all(ds: xr.Dataset, tmp: Path, *, excel: bool, figures: bool,
               run_info: Mapping[str, Any]) -> list[str]:
    names = [NETCDF]
    write_netcdf(ds, tmp / NETCDF)
    names += write_csv(ds, tmp)
    if excel:
        write_excel(ds, tmp / EXCEL)
        names.append(EXCEL)
    if figures:
        names += write_figures(ds, tmp / FIGURE_DIR)
    names.append(RUN_JSON)
    meta = run_metadata(ds, run_info, files=names)
    (tmp / RUN_JSON).write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str),
                                encoding="utf-8")
    return names


def _install(tmp: Path, out_dir: Path, names: list[str]) -> list[Path]:
    """Move the finished files from ``tmp`` into ``out_dir``."""
    if not out_dir.exists():
        os.rename(tmp, out_dir)
        return [out_dir / n for n in names]
    if not any(out_dir.iterdir()):
        out_dir.rmdir()
        os.rename(tmp, out_dir)
        return [out_dir / n for n in names]
    # --force into a non-empty directory: remove the files of an earlier run, replace ours.
    old = _files_of_earlier_run(out_dir)
    for name in old:
        if name not in names and (out_dir / name).is_file():
            (out_dir / name).unlink()
    for name in names:
        target = out_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / name, target)
    return [out_dir / n for n in names]


def _files_of_earlier_run(out_dir: Path) -> list[str]:
    meta = out_dir / RUN_JSON
    if not meta.is_file():
        return []
    try:
        files = json.loads(meta.read_text(encoding="utf-8")).get("files", [])
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return []
    # only relative paths inside out_dir
    return [f for f in files if isinstance(f, str) and not Path(f).is_absolute()
            and ".." not in Path(f).parts]


# --------------------------------------------------------------------------------------------
# Single files
# --------------------------------------------------------------------------------------------


def _netcdf_attr(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        return int(value)
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    if value is None:
        return ""
    return value


def netcdf_engine() -> str:
    """The xarray NetCDF-4 engine to use: ``h5netcdf`` when its ``h5py`` backend is installed,
    otherwise ``netcdf4`` (both write the same NetCDF-4 format)."""
    for engine, module in (("h5netcdf", "h5py"), ("netcdf4", "netCDF4")):
        if importlib.util.find_spec(module) is not None:
            return engine
    raise ImportError("writing NetCDF needs h5py (for h5netcdf) or netCDF4; install "
                      "`h5netcdf[h5py]`")


def write_netcdf(ds: xr.Dataset, path: Path) -> Path:
    """Write ``ds`` to NetCDF-4, attributes made NetCDF-safe, data compressed."""
    out = ds.copy()
    out.attrs = {k: _netcdf_attr(v) for k, v in ds.attrs.items()}
    encoding = {}
    for name in out.data_vars:
        out[name].attrs = {k: _netcdf_attr(v) for k, v in ds[name].attrs.items()}
        encoding[name] = {"zlib": True, "complevel": 4}
    out.to_netcdf(path, engine=netcdf_engine(), encoding=encoding)
    return path


def read_results(path: str | Path) -> xr.Dataset:
    """Read a result written by :func:`write_results` (a directory or its ``projection.nc``).

    Raises
    ------
    FileNotFoundError
        If there is no ``projection.nc``.
    ValueError
        If the file is not a lossproj result.
    """
    path = Path(path)
    file = path / NETCDF if path.is_dir() else path
    if not file.is_file():
        where = f"in directory {path}" if path.is_dir() else f"at {path}"
        raise FileNotFoundError(f"no lossproj result {where}: expected {NETCDF}")
    ds = xr.load_dataset(file, engine=netcdf_engine())
    missing = [d for d in ("scenario", "year", "region", "age") if d not in ds.dims]
    if missing:
        raise ValueError(f"{file} is not a lossproj result: it lacks the dims "
                         f"{', '.join(missing)}")
    return ds


def tidy_frames(ds: xr.Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide tidy tables: variables with a ``sex`` dim, and those without.

    Returns
    -------
    by_sex, families : pandas.DataFrame
        Key columns (``replicate``,) ``scenario, year, region, region_code, [sex,] age``, then
        one column per variable.
    """
    plain = [n for n in ds.data_vars if not is_grouped(ds[n])]
    sexed = [n for n in plain if "sex" in ds[n].dims]
    unsexed = [n for n in plain if "sex" not in ds[n].dims]
    frames = []
    for names in (sexed, unsexed):
        if not names:
            frames.append(pd.DataFrame())
            continue
        sub = ds[names]
        keep = [c for c in sub.coords if c not in sub.dims and c != "region_code"]
        frame = sub.drop_vars(keep).to_dataframe().reset_index()
        order = [d for d in ("replicate", "scenario", "year", "region", "region_code", "sex",
                             "age") if d in frame.columns]
        frames.append(frame[order + [str(n) for n in names]])
    return frames[0], frames[1]


def grouped_frames(ds: xr.Dataset) -> dict[str, pd.DataFrame]:
    """Long tables of the grouped variables (an extra dim such as ``child_age_at_death``).

    Returns
    -------
    dict variable name -> DataFrame with key columns (``replicate``,) ``scenario, year, region,
    region_code, age``, the group dim, then the variable (and its ``_se`` where present).
    """
    out = {}
    for name in ds.data_vars:
        if not is_grouped(ds[name]) or str(name).endswith("_se"):
            continue
        names = [name] + ([f"{name}_se"] if f"{name}_se" in ds.data_vars else [])
        sub = ds[names]
        keep = [c for c in sub.coords if c not in sub.dims and c != "region_code"]
        frame = sub.drop_vars(keep).to_dataframe().reset_index()
        extra = [d for d in ds[name].dims if d not in STANDARD_DIMS]
        order = [d for d in ("replicate", "scenario", "year", "region", "region_code", "sex",
                             "age") if d in frame.columns]
        out[str(name)] = frame[order + extra + [str(n) for n in names]]
    return out


def write_csv(ds: xr.Dataset, directory: Path) -> list[str]:
    """Write ``projection.csv``, ``projection_families.csv`` and one ``projection_<variable>.csv``
    per grouped variable; return their names."""
    by_sex, families = tidy_frames(ds)
    names = []
    grouped = [(f"projection_{n}.csv", f) for n, f in grouped_frames(ds).items()]
    for name, frame in ((CSV_BY_SEX, by_sex), (CSV_FAMILIES, families), *grouped):
        if frame.empty:
            continue
        frame.to_csv(directory / name, index=False, float_format=CSV_FLOAT_FORMAT,
                     encoding="utf-8")
        names.append(name)
    return names


def _sheet_name(name: str, used: set[str]) -> str:
    base = name[:_SHEET_NAME_MAX]
    out, i = base, 1
    while out in used:
        suffix = f"_{i}"
        out = base[: _SHEET_NAME_MAX - len(suffix)] + suffix
        i += 1
    used.add(out)
    return out


def excel_tables(ds: xr.Dataset) -> dict[str, pd.DataFrame]:
    """The planner workbook's sheets (replicates averaged), keyed by sheet name."""
    ds = replicate_mean(ds)
    sheets: dict[str, pd.DataFrame] = {}
    readme = pd.DataFrame(
        [{"variable": str(n), **{k: ds[n].attrs.get(k, "") for k in
                                 ("units", "long_name", "definition", "source")}}
         for n in ds.data_vars]
    )
    run = pd.DataFrame(
        [{"variable": f"(run) {k}", "units": "", "long_name": str(v)[:500], "definition": "",
          "source": ""} for k, v in ds.attrs.items() if k != "config"]
    )
    used = {"README"}
    sheets["README"] = pd.concat([readme, run], ignore_index=True)
    counts = count_variables(ds)
    for name in counts:
        da = ds[name]
        total = da.sum([d for d in ("sex", "age") if d in da.dims])
        frame = total.transpose("scenario", "region", "year").to_series().unstack("year")
        frame.columns = [int(c) for c in frame.columns]
        sheets[_sheet_name(name, used)] = frame
    region = NATIONAL if NATIONAL in ds["region"].values else None
    groups = xr.DataArray(age_group_labels(ds["age"].values), dims="age", name="age_group")
    parts = []
    for name in counts:
        da = ds[name].sel(region=region) if region else ds[name].sum("region")
        if "sex" in da.dims:
            da = da.sum("sex")
        grouped = da.groupby(groups).sum().transpose("scenario", "age_group", "year")
        frame = grouped.to_series().unstack("year")
        frame = pd.concat({name: frame}, names=["variable"]).reorder_levels(
            ["scenario", "variable", "age_group"])
        parts.append(frame)
    if parts:
        table = pd.concat(parts).sort_index(level="scenario", sort_remaining=False)
        table.columns = [int(c) for c in table.columns]
        sheets[_sheet_name("national_by_age_group", used)] = table
    return sheets


def write_excel(ds: xr.Dataset, path: Path) -> Path:
    """Write the planner workbook (see :func:`excel_tables`)."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet, frame in excel_tables(ds).items():
            frame.to_excel(writer, sheet_name=sheet, index=sheet != "README", merge_cells=False)
    return path


#: Figures written by :func:`write_figures`: file name → (function, keyword arguments).
FIGURES = {
    "shidu_pyramid.png": (plotting.shidu_pyramid, {}),
    "national_trend.png": (plotting.national_trend, {}),
    "provincial_small_multiples.png": (plotting.provincial_small_multiples, {}),
}

#: Resolution of saved figures [dots per inch].
FIGURE_DPI = 120


def write_figures(ds: xr.Dataset, directory: Path) -> list[str]:
    """Draw the standard figures into ``directory``; return their names relative to its parent.

    Figures whose variable is missing from ``ds`` are skipped (logged).
    """
    directory.mkdir(parents=True, exist_ok=True)
    names = []
    for file, (function, kwargs) in FIGURES.items():
        variable = kwargs.get("variable", "shidu_parents_strict")
        if variable not in ds.data_vars:
            logger.info("figure %s skipped: the result has no %s", file, variable)
            continue
        fig = function(ds, **kwargs)
        fig.savefig(directory / file, dpi=FIGURE_DPI)
        names.append(f"{directory.name}/{file}")
    return names


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "lossproj": __version__}
    for package in RECORDED_PACKAGES:
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "not installed"
    return out


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    if isinstance(value, np.generic):
        return value.item()
    return value


def run_metadata(ds: xr.Dataset, run_info: Mapping[str, Any] | None = None, *,
                 files: list[str] | None = None) -> dict[str, Any]:
    """The content of ``run.json``: the Dataset's run attributes, versions and ``run_info``."""
    attrs = {k: _maybe_json(v) for k, v in ds.attrs.items()}
    meta: dict[str, Any] = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "lossproj_version": attrs.pop("lossproj_version", __version__),
        "engine": attrs.pop("engine", None),
        "seed": attrs.pop("seed", None),
        "scenarios": [str(s) for s in ds["scenario"].values],
        "years": [int(ds["year"].values[0]), int(ds["year"].values[-1])],
        "regions": [str(r) for r in ds["region"].values],
        "config": attrs.pop("config", None),
        "data_checksums": attrs.pop("data_checksums", None),
        "versions": _versions(),
        "attributes": attrs,
    }
    meta.update(dict(run_info or {}))
    if files is not None:
        meta["files"] = list(files)
    return meta


def write_calibration(report: pd.DataFrame, figure, out_dir: str | Path) -> list[Path]:
    """Save a calibration fit report (CSV) and its figure (PNG) into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    csv = out_dir / "calibration_report.csv"
    report.to_csv(csv, index=False, float_format=CSV_FLOAT_FORMAT)
    written.append(csv)
    if figure is not None:
        png = out_dir / "calibration.png"
        figure.savefig(png, dpi=FIGURE_DPI)
        written.append(png)
    return written


def write_replacement_diagnostics(probabilities: pd.DataFrame, time_bereaved: pd.DataFrame, figure,
                                  out_dir: str | Path) -> list[Path]:
    """Save the replacement diagnostics (:func:`lossproj.calibration.replacement_diagnostics`)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("replacement_probabilities.csv", probabilities),
                        ("replacement_time_bereaved.csv", time_bereaved)):
        frame.to_csv(out_dir / name, index=False, float_format=CSV_FLOAT_FORMAT)
        written.append(out_dir / name)
    if figure is not None:
        figure.savefig(out_dir / "replacement.png", dpi=FIGURE_DPI)
        written.append(out_dir / "replacement.png")
    return written
