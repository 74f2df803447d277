"""Result files: NetCDF, tidy CSV, an Excel workbook for planners, run metadata and figures.

A run claims its output directory before computing (:class:`OutputClaim`: a second run into
the same directory stops at once), writes everything into a staging folder beside it and puts
the whole result in place in one step when complete: an interrupted run leaves either the
earlier result or the new one, never a mix, and the next run into the same directory removes
what it left.

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
    For planners (:mod:`lossproj.workbook`): a bilingual ``README`` sheet and one sheet per
    indicator, rows scenario × region × parent age band, columns years.
``run.json``
    Configuration, seed, engine, package versions, data checksums, timings and the file list.
``figures/*.png``
    Pyramids of strict shidu parents, national trends by scenario, provincial panels.
``report.html``
    One self-contained, printable page per region in Chinese and English
    (:mod:`lossproj.report`), written with the figures.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import glob
import importlib.util
import json
import logging
import os
import platform
import shutil
import sys
import time
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from lossproj import __version__, plotting
from lossproj.engines.jit import njit

try:  # POSIX advisory locks; Windows locks a byte of the file instead
    import fcntl
except ModuleNotFoundError:  # pragma: no cover - Windows
    fcntl = None
    import msvcrt
from lossproj.errors import DataError, LossprojWarning, OutputError
from lossproj.planner_plots import FontNotFoundError
from lossproj.report import region_images, report_regions, write_report
from lossproj.summary import STANDARD_DIMS, is_grouped

logger = logging.getLogger(__name__)

NETCDF = "projection.nc"
CSV_BY_SEX = "projection.csv"
CSV_FAMILIES = "projection_families.csv"
EXCEL = "projection.xlsx"
RUN_JSON = "run.json"
FIGURE_DIR = "figures"
REPORT = "report.html"

#: Per-scenario attributes recorded in ``run.json`` under ``resolved_parameters``.
RESOLVED_ATTRS = ("parity_parameters", "fertility_solve_shortfall")

#: Packages whose versions are recorded in ``run.json``.
RECORDED_PACKAGES = ("numpy", "numba", "xarray", "pandas", "scipy", "h5netcdf", "matplotlib")

#: zlib level of the NetCDF variables (1: fastest; higher levels save ~3 % of the size for
#: ~30 % more time).
NETCDF_COMPRESSION = 1

#: Significant digits of numbers in the CSV files.
CSV_FLOAT_FORMAT = "%.10g"



# --------------------------------------------------------------------------------------------
# Output directory: claimed before the computation, replaced in one step
# --------------------------------------------------------------------------------------------

#: Suffix of the lock file beside an output directory while a run holds it.
LOCK_SUFFIX = ".lossproj-lock"
#: Suffix of the folder beside an output directory where a run writes its files.
STAGING_SUFFIX = ".lossproj-partial"
#: Suffix of the folder holding an earlier result while it is being replaced (no atomic swap).
OLD_SUFFIX = ".lossproj-old"


def _hidden(out_dir: Path, suffix: str, tag: str = "") -> Path:
    """A hidden sibling of ``out_dir``: ``.<name>[.<tag>]<suffix>``."""
    return out_dir.parent / f".{out_dir.name}{'.' + tag if tag else ''}{suffix}"


def _absolute(out_dir: str | Path) -> Path:
    """``out_dir`` made absolute, ``.`` and ``..`` resolved; refuses the current folder."""
    given = Path(out_dir)
    path = Path(os.path.abspath(given))
    cwd = Path.cwd()
    if path == cwd or path in cwd.parents or path.parent == path:
        raise OutputError(f"--out {given} is the current folder or one above it; name a new "
                          "folder for the results (e.g. --out results/run1)")
    return path


def _lock(fd: int) -> None:
    """Lock ``fd`` exclusively without waiting; ``OSError`` if another process holds it.
    The operating system releases the lock when the process ends, however it ends."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:  # pragma: no cover - Windows
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


def _writable(folder: Path) -> bool:
    """Whether this process may create and remove entries in ``folder``."""
    return os.access(folder, os.W_OK | os.X_OK)


def _io_error(exc: OSError, doing: str, path: Path) -> OutputError:
    """One-line :class:`OutputError` for an operating-system error while ``doing`` ``path``."""
    cause = exc.strerror or str(exc)
    return OutputError(f"{cause[:1].lower() + cause[1:]} while {doing} {path}")


class OutputClaim:
    """A run's claim on its output directory, held from before the computation to the end.

    The claim is an exclusive ``flock`` on ``.<name>.lossproj-lock`` beside the directory:
    the operating system releases it when the process ends, however it ends, so a killed run
    never blocks the next one. While holding it, a run removes the staging folders that
    killed runs left beside the directory and restores an earlier result left aside by a kill
    during a replacement.

    Attributes
    ----------
    out_dir : Path
        The output directory (absolute).
    force : bool
        Whether an existing non-empty result may be replaced.
    staging : Path
        Where the run writes its files before they are installed.
    """

    def __init__(self, out_dir: str | Path, *, force: bool = False) -> None:
        self.given = Path(out_dir)
        self.out_dir = _absolute(out_dir)
        self.force = force
        self.lock_path = _hidden(self.out_dir, LOCK_SUFFIX)
        self.staging = _hidden(self.out_dir, STAGING_SUFFIX, str(os.getpid()))
        self._fd: int | None = None
        self._acquire()

    # -- lock ---------------------------------------------------------------------------------
    def _acquire(self) -> None:
        out = self.out_dir
        if out.exists() and not out.is_dir():
            raise OutputError(f"output path {self.given} exists and is not a directory")
        blocker = next((a for a in out.parents if a.exists() and not a.is_dir()), None)
        if blocker is not None:
            raise OutputError(f"--out {self.given}: {blocker} is a file, not a folder")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _io_error(exc, "creating the folder", out.parent) from None
        while True:
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise _io_error(exc, "claiming the output directory beside", out) from None
            try:
                _lock(fd)
            except OSError:
                holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "unknown"
                os.close(fd)
                raise OutputError(
                    f"output directory {self.given} is being written by another lossproj run "
                    f"({holder}); wait for it to finish or choose another --out"
                ) from None
            # the lock file may have been removed by the run that held it: lock the live one
            try:
                same = os.fstat(fd).st_ino == os.stat(self.lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self._fd = fd
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}, started "
                     f"{datetime.now(UTC).isoformat(timespec='seconds')}".encode())
        try:
            self._recover()
            self._check()
            self.staging.mkdir()
        except BaseException:
            self.release()
            raise

    def _recover(self) -> None:
        """Remove what killed runs left beside the directory; restore a result left aside."""
        old = _hidden(self.out_dir, OLD_SUFFIX)
        if old.is_dir():
            if self.out_dir.exists():
                shutil.rmtree(old)
            else:
                os.rename(old, self.out_dir)
                logger.warning("restored the result in %s that an interrupted run had set aside",
                               self.out_dir)
        for stale in self.out_dir.parent.glob(f".{glob.escape(self.out_dir.name)}.*"
                                              f"{STAGING_SUFFIX}"):
            shutil.rmtree(stale, ignore_errors=True)

    def _check(self) -> None:
        out = self.out_dir
        if out.is_dir() and any(out.iterdir()):
            if not self.force:
                raise OutputError(
                    f"output directory {self.given} exists and is not empty; choose another "
                    "--out directory or pass --force to replace lossproj's files in it"
                )
            if not _writable(out):
                raise OutputError(f"permission denied: cannot replace the files in {self.given}")
        if not _writable(out.parent):
            raise OutputError(f"permission denied: cannot write into {out.parent} (the folder "
                              f"of --out {self.given})")

    def release(self) -> None:
        """Remove the staging folder and give up the claim (idempotent)."""
        if self.staging.exists():
            shutil.rmtree(self.staging, ignore_errors=True)
        if self._fd is not None:
            try:
                os.unlink(self.lock_path)
            except FileNotFoundError:
                pass
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> OutputClaim:
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    # -- install ------------------------------------------------------------------------------
    def install(self, names: list[str]) -> list[Path]:
        """Put the staged files in place in one step; return their final paths.

        A new or empty directory is replaced by a rename. A non-empty one (``force``) gets the
        files of its own that are not lossproj's carried into the staging folder (hard links),
        then the two folders are swapped atomically (``renameat2(RENAME_EXCHANGE)`` on Linux;
        elsewhere two renames, the earlier result kept beside as ``.<name>.lossproj-old`` until
        the new one is in place, so a kill leaves one whole result that the next run restores).
        """
        out = self.out_dir
        try:
            if not out.exists() or not any(out.iterdir()):
                os.rename(self.staging, out)  # replaces an empty directory
            else:
                skip = set(names) | set(_files_of_earlier_run(out))
                _carry(out, self.staging, "", skip)
                if not _exchange(self.staging, out):
                    old = _hidden(out, OLD_SUFFIX)
                    os.rename(out, old)
                    os.rename(self.staging, out)
                    shutil.rmtree(old)
                else:
                    shutil.rmtree(self.staging)
        except OSError as exc:
            raise _io_error(exc, "installing the result in", out) from None
        return [self.given / n for n in names]


def _carry(src: Path, dst: Path, rel: str, skip: set[str]) -> None:
    """Hard-link (or copy) the entries of ``src`` not named in ``skip`` into ``dst``."""
    for entry in src.iterdir():
        name = f"{rel}{entry.name}"
        target = dst / entry.name
        if entry.is_dir() and not entry.is_symlink():
            target.mkdir(exist_ok=True)
            _carry(entry, target, name + "/", skip)
            if not any(target.iterdir()) and any(f.startswith(name + "/") for f in skip):
                target.rmdir()
        elif name not in skip and not target.exists():
            try:
                os.link(entry, target, follow_symlinks=False)
            except OSError:
                shutil.copy2(entry, target, follow_symlinks=False)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directories atomically (Linux ``renameat2``); ``False`` where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def check_out_dir(out_dir: str | Path, *, force: bool = False) -> OutputClaim:
    """Claim ``out_dir`` for a run before computing: refused if another run holds it, if it is
    not empty (unless ``force``) or if its folder cannot be written.

    Returns
    -------
    OutputClaim
        Pass it to :func:`write_results` (``claim=``); release it when done.

    Raises
    ------
    OutputError
        Naming the directory and what to do.
    """
    return OutputClaim(out_dir, force=force)


def write_results(ds: xr.Dataset, out_dir: str | Path, *, force: bool = False,
                  excel: bool = True, figures: bool = True,
                  run_info: Mapping[str, Any] | None = None,
                  claim: OutputClaim | None = None) -> list[Path]:
    """Write a projection's files into ``out_dir`` atomically.

    Parameters
    ----------
    ds : xarray.Dataset
        A projection (``lossproj.api.project``).
    out_dir : str or Path
        Created if missing. An existing non-empty directory is refused unless ``force``; with
        ``force`` the result is replaced as a whole (lossproj's files, and those listed in an
        older ``run.json``, go; other files are kept).
    force : bool
    excel, figures : bool
        Whether to write ``projection.xlsx`` and ``figures/``.
    run_info : mapping, optional
        Extra metadata for ``run.json`` (e.g. ``{"timings": {"project_s": 1.2}}``).
    claim : OutputClaim, optional
        The claim taken before the computation (:func:`check_out_dir`); default: claimed here
        and released at the end.

    Returns
    -------
    list of Path
        The files written, ``projection.nc`` first.

    Raises
    ------
    OutputError
        If the directory is taken, not writable, or the disk is full (naming the file).
    """
    own = claim is None
    claim = claim if claim is not None else OutputClaim(out_dir, force=force)
    try:
        names = _write_all(ds, claim.staging, excel=excel, figures=figures,
                           run_info=run_info or {}, shown=claim.given)
        final = claim.install(names)
    finally:
        if own:
            claim.release()
    logger.info("wrote %d files to %s", len(final), out_dir)
    return final


def _write_all(ds: xr.Dataset, tmp: Path, *, excel: bool, figures: bool,
               run_info: Mapping[str, Any], shown: Path | None = None) -> list[str]:
    """Write every file into ``tmp``; errors name the file as it will be in ``shown``.

    The figures and the report's pages are drawn in :class:`_Drawing` worker processes while
    this process writes the NetCDF, CSV and Excel files.
    """
    shown = shown if shown is not None else tmp
    names = [NETCDF]
    spent: dict[str, float] = {}  # seconds per file written (``output_timings`` in run.json)
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        spent[f"{name}_s"] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()

    with _Drawing(ds, tmp / FIGURE_DIR, enabled=figures) as drawing:
        with _writing(tmp, shown, NETCDF):
            write_netcdf(ds, tmp / NETCDF)
        lap("netcdf")
        with _writing(tmp, shown, CSV_BY_SEX):
            names += write_csv(ds, tmp)
        lap("csv")
        if excel:
            with _writing(tmp, shown, EXCEL):
                write_excel(ds, tmp / EXCEL)
            names.append(EXCEL)
            lap("excel")
        if figures:
            with _writing(tmp, shown, FIGURE_DIR):
                names += drawing.figures()
            try:
                with _writing(tmp, shown, REPORT):
                    images = drawing.images()
                    lap("waiting_for_figures")
                    names.append(write_report(ds, tmp / REPORT, images=images).name)
                lap("report")
            except FontNotFoundError as exc:
                # the projection is not lost for want of a font: warn, and say so in run.json
                warnings.warn(f"{REPORT} not written: {exc}", LossprojWarning, stacklevel=3)
                run_info = {**run_info, "report_not_written": str(exc)}
    run_info = {**run_info, "output_timings": spent}
    names.append(RUN_JSON)
    meta = run_metadata(ds, run_info, files=names)
    with _writing(tmp, shown, RUN_JSON):
        (tmp / RUN_JSON).write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str),
                                    encoding="utf-8")
    return names


#: Worker processes drawing figures and report pages beside the file writing (at most).
DRAWING_WORKERS = 2
#: Report pages drawn per worker task.
PAGES_PER_TASK = 8

# the Dataset that forked drawing workers inherit (never pickled to them)
_DRAWN: dict[str, Any] = {}


def _draw_task(task: str, arg: Any) -> Any:
    """Run in a drawing worker: the standard figures, or the report images of some regions."""
    ds = _DRAWN["ds"]
    if task == "figures":
        return write_figures(ds, arg)
    return region_images(ds, arg)


class _Drawing:
    """Figures and report images drawn in forked worker processes while the caller writes
    the other files; drawn in the calling process where ``fork`` is unavailable or there is
    one CPU. The figures are the same bytes either way: each worker is a copy of this process.

    ``figures()`` returns the names written by :func:`write_figures`; ``images()`` the
    report's region images (:func:`lossproj.report.region_images`). A worker's exception is
    raised by the call that collects its result.
    """

    def __init__(self, ds: xr.Dataset, directory: Path, *, enabled: bool) -> None:
        self.ds, self.directory = ds, directory
        self._pool = None
        self._figures = None
        self._images: list = []
        if not enabled or _drawing_workers() < 2:
            return
        import concurrent.futures
        import multiprocessing

        _DRAWN["ds"] = ds
        self._pool = concurrent.futures.ProcessPoolExecutor(
            DRAWING_WORKERS, mp_context=multiprocessing.get_context("fork"))
        self._figures = self._pool.submit(_draw_task, "figures", directory)
        regions = report_regions(ds)
        self._images = [self._pool.submit(_draw_task, "images", regions[i:i + PAGES_PER_TASK])
                        for i in range(0, len(regions), PAGES_PER_TASK)]

    def figures(self) -> list[str]:
        if self._figures is None:
            return write_figures(self.ds, self.directory)
        return self._figures.result()

    def images(self) -> dict[str, str] | None:
        if self._pool is None:
            return None
        out: dict[str, str] = {}
        for future in self._images:
            out.update(future.result())
        return out

    def __enter__(self) -> _Drawing:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            _DRAWN.clear()


def _drawing_workers() -> int:
    """CPUs this process may use, or 1 where worker processes cannot be forked."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def _writing(tmp: Path, shown: Path, name: str):
    """Turn an operating-system error while writing ``name`` into one :class:`OutputError`
    naming the file where it was to go (``shown / name``, or the file the error names)."""
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        target = shown / name
        if exc.filename:
            try:
                target = shown / Path(exc.filename).relative_to(tmp)
            except ValueError:
                target = Path(exc.filename)
        raise _io_error(exc, "writing", target) from None


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
        encoding[name] = {"zlib": True, "complevel": NETCDF_COMPRESSION}
    out.to_netcdf(path, engine=netcdf_engine(), encoding=encoding)
    return path


def read_results(path: str | Path) -> xr.Dataset:
    """Read a result written by :func:`write_results` (a directory or its ``projection.nc``).

    Raises
    ------
    DataError
        If there is no ``projection.nc``, or the file is unreadable (corrupt, truncated, not
        NetCDF) or not a lossproj result.
    """
    path = Path(path)
    file = path / NETCDF if path.is_dir() else path
    if not file.is_file():
        where = f"in directory {path}" if path.is_dir() else f"at {path}"
        raise DataError(f"no lossproj result {where}: expected {NETCDF}")
    try:
        ds = xr.load_dataset(file, engine=netcdf_engine())
    except Exception as exc:  # h5py/netCDF4/xarray raise many types for a damaged file
        if isinstance(exc, PermissionError):
            raise DataError(f"{file}: permission denied") from None
        raise DataError(f"{file} cannot be read as NetCDF ({type(exc).__name__}: "
                        f"{str(exc).splitlines()[0][:200] if str(exc) else 'no detail'}); "
                        "it may be truncated or damaged: run the projection again") from None
    missing = [d for d in ("scenario", "year", "region", "age") if d not in ds.dims]
    if missing:
        raise DataError(f"{file} is not a lossproj result: it lacks the dims "
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


#: Rows a spreadsheet opens (Excel: 1,048,576 including the header).
SPREADSHEET_ROWS = 1_048_576


def write_csv(ds: xr.Dataset, directory: Path) -> list[str]:
    """Write ``projection.csv``, ``projection_families.csv`` and one ``projection_<variable>.csv``
    per grouped variable; return their names.

    A table longer than a spreadsheet opens (:data:`SPREADSHEET_ROWS`) is written as one file
    per scenario instead (``projection_<scenario>.csv``, ``projection_families_<scenario>.csv``;
    per scenario and replicate, ``projection_<scenario>_<replicate>.csv``, for ensembles), each
    tidy with the same columns: a file per variable would have as many rows.
    """
    by_sex, families = tidy_frames(ds)
    names = []
    grouped = [(f"projection_{n}.csv", f) for n, f in grouped_frames(ds).items()]
    for name, frame in ((CSV_BY_SEX, by_sex), (CSV_FAMILIES, families), *grouped):
        if frame.empty:
            continue
        if len(frame) < SPREADSHEET_ROWS:
            parts = {name: frame}
        else:
            stem = name.removesuffix(".csv")
            keys = [k for k in ("scenario", "replicate") if k in frame.columns]
            parts = {f"{stem}_{'_'.join(map(str, key))}.csv": part
                     for key, part in frame.groupby(keys, sort=False)}
        for part_name, part in parts.items():
            write_table_csv(part, directory / part_name)
            names.append(part_name)
    return names


# --------------------------------------------------------------------------------------------
# A fast CSV writer: the text of ``DataFrame.to_csv(index=False, float_format="%.10g")``,
# byte for byte, formatted by a compiled kernel instead of one Python call per number
# --------------------------------------------------------------------------------------------

#: Significant digits written by :func:`write_table_csv` (those of :data:`CSV_FLOAT_FORMAT`).
CSV_DIGITS = 10
#: Rows formatted per kernel call (bounds the text buffer to tens of MB).
CSV_CHUNK_ROWS = 65_536

# what a float cell holds (the sign is kept apart)
_FINITE, _ZERO, _NAN, _INF = 0, 1, 2, 3
# longest text of one float cell: "-1.234567891e-308"
_FLOAT_WIDTH = 17


def _csv_field(text: str) -> str:
    """``text`` quoted as the csv module's ``QUOTE_MINIMAL`` does (pandas' default)."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _significand(values: np.ndarray, digits: int = CSV_DIGITS
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Decimal significand and exponent of each value rounded to ``digits`` significant digits,
    exactly as C's ``printf("%.{digits-1}e")`` rounds them.

    Returns
    -------
    significand : int64 array
        ``digits``-digit integer (``10**(digits-1) <= m < 10**digits``) of finite nonzero values.
    exponent : int64 array
        Decimal exponent: ``|x| ~ m * 10**(exponent - digits + 1)``.
    kind : int8 array
        ``_FINITE``, ``_ZERO``, ``_NAN`` or ``_INF``.
    negative : bool array
        Sign bit (``-0.0`` is negative, as ``printf`` writes it).

    Notes
    -----
    The scaling ``|x| * 10**(digits - 1 - exponent)`` is exact to about one unit in the last
    place; a value whose scaled fraction lies within ``1e-3`` of one half (where that error
    could change the rounding), or whose exponent is uncertain, is formatted by ``printf``
    itself, so the result equals ``printf``'s for every value.
    """
    x = np.ascontiguousarray(values, dtype=np.float64).ravel()
    negative = np.signbit(x)
    a = np.abs(x)
    kind = np.full(x.shape, _FINITE, dtype=np.int8)
    kind[a == 0] = _ZERO
    kind[np.isnan(x)] = _NAN
    kind[np.isinf(x)] = _INF
    finite = kind == _FINITE
    exponent = np.zeros(x.shape, dtype=np.int64)
    significand = np.zeros(x.shape, dtype=np.int64)
    af = a[finite]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        e = np.floor(np.log10(af)).astype(np.int64)
        shift = digits - 1 - e  # power of ten exact as a float while |shift| <= 22
        scaled = np.where(shift >= 0, af * 10.0 ** np.clip(shift, 0, 22),
                          af / 10.0 ** np.clip(-shift, 0, 22))
        rounded = np.rint(scaled)
    top = 10.0 ** digits
    carry = rounded == top
    rounded[carry] = top / 10
    e = e + carry
    fraction = scaled - np.floor(scaled)
    unsure = ((np.abs(shift) > 22) | (np.abs(fraction - 0.5) < 1e-3)
              | (scaled < top / 10) | (scaled >= top))
    m = np.where(unsure, 0.0, rounded).astype(np.int64)
    for i in np.flatnonzero(unsure):
        text = f"{af[i]:.{digits - 1}e}"  # d.ddddddddde[+-]XX
        mantissa, exp = text.split("e")
        m[i] = int(mantissa.replace(".", ""))
        e[i] = int(exp)
    significand[finite] = m
    exponent[finite] = e
    return significand, exponent, kind, negative


@njit
def _csv_rows(columns, key_codes, labels, label_start, significand, exponent, kind, negative,
              first, stop, digits, out):  # pragma: no cover - compiled
    """Write rows ``first:stop`` as CSV text into ``out``; return the number of bytes.

    ``columns[j] = (is_float, index)``: column ``j`` is float column ``index`` (rows of
    ``significand``, ``exponent``, ``kind``, ``negative``) or key column ``index`` (row of
    ``key_codes``: the label number, whose UTF-8 bytes are
    ``labels[label_start[c]:label_start[c + 1]]``).
    """
    pos = 0
    d = np.empty(digits, dtype=np.int64)
    n_cols = columns.shape[0]
    for row in range(first, stop):
        for j in range(n_cols):
            if j > 0:
                out[pos] = 44  # ,
                pos += 1
            index = columns[j, 1]
            if columns[j, 0] == 0:
                c = key_codes[index, row]
                for b in range(label_start[c], label_start[c + 1]):
                    out[pos] = labels[b]
                    pos += 1
                continue
            k = kind[index, row]
            if k == 2:  # NaN: an empty cell
                continue
            if negative[index, row]:
                out[pos] = 45  # -
                pos += 1
            if k == 1:
                out[pos] = 48  # 0
                pos += 1
                continue
            if k == 3:
                out[pos] = 105  # inf
                out[pos + 1] = 110
                out[pos + 2] = 102
                pos += 3
                continue
            m = significand[index, row]
            for i in range(digits - 1, -1, -1):
                d[i] = m % 10
                m //= 10
            last = digits - 1
            while last > 0 and d[last] == 0:
                last -= 1
            x = exponent[index, row]
            if -4 <= x < digits:
                if x >= 0:
                    for i in range(x + 1):
                        out[pos] = 48 + d[i]
                        pos += 1
                    if last > x:
                        out[pos] = 46  # .
                        pos += 1
                        for i in range(x + 1, last + 1):
                            out[pos] = 48 + d[i]
                            pos += 1
                else:
                    out[pos] = 48
                    out[pos + 1] = 46
                    pos += 2
                    for _ in range(-x - 1):
                        out[pos] = 48
                        pos += 1
                    for i in range(last + 1):
                        out[pos] = 48 + d[i]
                        pos += 1
            else:
                out[pos] = 48 + d[0]
                pos += 1
                if last > 0:
                    out[pos] = 46
                    pos += 1
                    for i in range(1, last + 1):
                        out[pos] = 48 + d[i]
                        pos += 1
                out[pos] = 101  # e
                out[pos + 1] = 45 if x < 0 else 43
                pos += 2
                ax = -x if x < 0 else x
                if ax >= 100:
                    out[pos] = 48 + ax // 100
                    pos += 1
                out[pos] = 48 + (ax // 10) % 10
                out[pos + 1] = 48 + ax % 10
                pos += 2
        out[pos] = 10  # newline
        pos += 1
    return pos


def write_table_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as CSV: the same text as ``frame.to_csv(path, index=False,
    float_format=CSV_FLOAT_FORMAT)`` (``\\n`` line ends, empty cells for NaN), formatted by a
    compiled kernel.

    Float columns are written with :data:`CSV_DIGITS` significant digits (``%.10g``); other
    columns (labels, years, ages, codes) as their text.
    """
    n = len(frame)
    float_cols = [c for c in frame.columns if frame[c].dtype.kind == "f"]
    key_cols = [c for c in frame.columns if c not in float_cols]
    columns = np.array([(1, float_cols.index(c)) if c in float_cols else (0, key_cols.index(c))
                        for c in frame.columns], dtype=np.int64).reshape(-1, 2)
    key_codes = np.zeros((len(key_cols), n), dtype=np.int64)
    texts: list[bytes] = []
    widest = 0
    for k, c in enumerate(key_cols):
        codes, uniques = pd.factorize(frame[c], use_na_sentinel=False)
        encoded = [_csv_field("" if pd.isna(u) else str(u)).encode("utf-8") for u in uniques]
        key_codes[k] = np.asarray(codes, dtype=np.int64) + len(texts)
        texts += encoded
        widest += max((len(t) for t in encoded), default=0)
    labels = np.frombuffer(b"".join(texts) or b" ", dtype=np.uint8)
    label_start = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in texts], out=label_start[1:])
    values = np.empty((len(float_cols), n), dtype=np.float64)
    for k, c in enumerate(float_cols):
        values[k] = frame[c].to_numpy(dtype=np.float64)
    parts = _significand(values)
    significand, exponent, kind, negative = (a.reshape(values.shape) for a in parts)
    row_width = widest + _FLOAT_WIDTH * len(float_cols) + len(frame.columns) + 1
    chunk = max(1, min(n, CSV_CHUNK_ROWS))
    out = np.empty(chunk * row_width, dtype=np.uint8)
    header = ",".join(_csv_field(str(c)) for c in frame.columns) + "\n"
    with open(path, "wb") as f:
        f.write(header.encode("utf-8"))
        for first in range(0, n, chunk):
            size = _csv_rows(columns, key_codes, labels, label_start, significand, exponent,
                             kind, negative, first, min(n, first + chunk), CSV_DIGITS, out)
            f.write(out[:size].data)
    return path


def write_excel(ds: xr.Dataset, path: Path) -> Path:
    """Write the planner workbook (:mod:`lossproj.workbook`)."""
    from lossproj.workbook import write_workbook

    return write_workbook(ds, path)


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


def netcdf_library() -> dict[str, str]:
    """The NetCDF-4 writer actually used (:func:`netcdf_engine`) and its library versions."""
    engine = netcdf_engine()
    info = {"xarray_engine": engine}
    if engine == "h5netcdf":
        import h5py

        info.update(h5netcdf=version("h5netcdf"), h5py=h5py.version.version,
                    hdf5=h5py.version.hdf5_version)
    else:
        import netCDF4

        info.update(netCDF4=netCDF4.__version__, libnetcdf=netCDF4.__netcdf4libversion__,
                    hdf5=netCDF4.__hdf5libversion__)
    return info


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
        "netcdf_library": netcdf_library(),
        "attributes": attrs,
    }
    per_scenario = attrs.get("scenarios")
    if isinstance(per_scenario, Mapping):
        # the parameters each engine ran with (calibrated values resolved), not the config text
        meta["resolved_parameters"] = {
            str(name): {key: _maybe_json(v[key]) for key in RESOLVED_ATTRS if key in v}
            for name, v in per_scenario.items() if isinstance(v, Mapping)
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
