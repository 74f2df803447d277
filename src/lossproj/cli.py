"""The ``lossproj`` command line: a thin click layer over the Python API.

User errors (a :class:`~lossproj.errors.LossprojError`: a bad config, data table, option value or
output directory) and operating-system errors (a full disk, a read-only folder) print one
message and exit with status 2, without a traceback. Anything else is a bug in lossproj: it
keeps its traceback, followed by a line saying how to report it, and exits with status 1.
"""

from __future__ import annotations

import errno
import importlib
import json
import logging
import sys
import time
import traceback
from pathlib import Path

import click

from lossproj import __version__
from lossproj.config import ENGINES, load_config, load_configs, override, packaged_config
from lossproj.errors import ConfigError, DataError, LossprojError

logger = logging.getLogger(__name__)

#: Exceptions reported as user errors (message, exit status 2, no traceback).
USER_ERRORS = (LossprojError, OSError)

#: Exit status of a user error.
USER_ERROR_EXIT = 2
#: Exit status of an internal error (a bug in lossproj; the traceback is printed).
INTERNAL_ERROR_EXIT = 1

#: How tables show a missing value (NaN in a result).
MISSING = "missing"

#: What to do with an internal error.
REPORT_BUG = ("This is a bug in lossproj {version}, not a problem with your input: please report "
              "it on the project's issue tracker with the command and the traceback above.")


def os_error_message(exc: OSError) -> str:
    """One line for an operating-system error: the cause and the path it concerns.

    >>> os_error_message(OSError(28, "No space left on device", "out/projection.nc"))
    'no space left on device: out/projection.nc'
    """
    if isinstance(exc, LossprojError) or exc.errno is None:
        return str(exc)
    cause = (exc.strerror or errno.errorcode.get(exc.errno, str(exc.errno)))
    cause = cause[:1].lower() + cause[1:]
    paths = " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p is not None)
    return f"{cause}: {paths}" if paths else cause

#: Exit status of ``validate --fail-outside`` when a validation row is outside its band.
VALIDATE_OUTSIDE_EXIT = 1


class _LossprojGroup(click.Group):
    """A click group that turns user errors into one message and keeps bugs' tracebacks."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit,
                click.exceptions.Abort):
            raise
        except USER_ERRORS as exc:
            message = os_error_message(exc) if isinstance(exc, OSError) else str(exc)
            click.echo(f"Error: {message}", err=True)
            ctx.exit(USER_ERROR_EXIT)
        except Exception:  # a bug: keep the traceback, say how to report it
            click.echo(traceback.format_exc(), err=True, nl=False)
            click.echo(REPORT_BUG.format(version=__version__), err=True)
            ctx.exit(INTERNAL_ERROR_EXIT)


def _api():
    """``lossproj.api``, imported when a command needs it (it pulls in the engines)."""
    return importlib.import_module("lossproj.api")


class _Progress:
    """Progress callback of ``lossproj.api.project``: ``progress(scenario, done, total)``.

    Draws one tqdm bar per scenario on stderr (only when stderr is a terminal).
    """

    def __init__(self) -> None:
        self._bar = None
        self._label = None

    def __call__(self, label: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if self._bar is None or self._label != label or self._bar.total != total:
            self.close()
            self._bar = tqdm(total=total, desc=str(label), file=sys.stderr, disable=None,
                             unit="region", leave=False)
            self._label = label
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@click.group(cls=_LossprojGroup)
@click.version_option(__version__, prog_name="lossproj")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug) to stderr.")
def main(verbose: int) -> None:
    """Project one-child families and parents who lost their only child (shidu) in China."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)


@main.command()
@click.argument("configs", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the results (must be new or empty unless --force).")
@click.option("--engine", type=click.Choice(ENGINES), help="Override [run] engine.")
@click.option("--scale", type=float, help="Override [run] scale (microsimulation sampling "
              "fraction, 0 < F <= 1).")
@click.option("--replicates", type=int, help="Override [run] replicates.")
@click.option("--seed", type=int, help="Override [run] seed.")
@click.option("--force", is_flag=True, help="Replace lossproj's files in a non-empty --out.")
@click.option("--no-figures", is_flag=True, help="Do not draw figures.")
@click.option("--dask", "dask_scheduler", default=None, metavar="local|ADDRESS",
              help="Run the scenarios as Dask tasks: 'local' (a local process pool) or the "
              "address of a dask.distributed scheduler (needs the [dask] extra).")
@click.option("--dask-timeout", type=click.FloatRange(min=0, min_open=True), default=10.0,
              show_default=True, help="Seconds to wait for a --dask scheduler address.")
@click.option("--shards", type=click.IntRange(min=0), default=0, show_default=True,
              help="With --engine micro and --dask: run the microsimulation as Dask tasks, N per "
              "region and replicate (1: one per region; scenarios run one after another); 0: "
              "each scenario is one task. Results are bit-identical.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Read the data tables from DIR instead of the packaged data/ (every table "
              "is checked in full first; `lossproj data check --data-dir DIR`).")
def run(configs: tuple[Path, ...], out_dir: Path, engine: str | None, scale: float | None,
        replicates: int | None, seed: int | None, force: bool, no_figures: bool,
        dask_scheduler: str | None, dask_timeout: float, shards: int, data_dir: Path | None) -> None:
    """Run one or more scenario files; several files give one Dataset along `scenario`."""
    from lossproj.outputs import check_out_dir

    t0 = time.perf_counter()
    loaded = [override(c, engine=engine, scale=scale, replicates=replicates, seed=seed)
              for c in load_configs(configs)]
    if data_dir is not None and not data_dir.is_dir():
        raise DataError(f"--data-dir {data_dir} is not a directory")
    with check_out_dir(out_dir, force=force) as claim:
        t1 = time.perf_counter()
        progress = _Progress()
        try:
            if dask_scheduler is None:
                ds = _api().project(loaded, progress=progress, data_dir=data_dir)
            else:
                ds = _api().project(loaded, scheduler=dask_scheduler, data_dir=data_dir,
                                    dask_timeout=dask_timeout,
                                    **({"shards": shards} if shards else {}))
        finally:
            progress.close()
        t2 = time.perf_counter()
        _write(ds, loaded, configs, out_dir, claim, no_figures=no_figures, t=(t0, t1, t2),
               overrides={"engine": engine, "scale": scale, "replicates": replicates,
                          "seed": seed, "dask": dask_scheduler,
                          "data_dir": str(data_dir) if data_dir is not None else None})


def _write(ds, loaded, configs, out_dir, claim, *, no_figures, t, overrides) -> None:
    """Write a run's files into its claimed output directory and list them."""
    from lossproj.outputs import write_results

    t0, t1, t2 = t
    excel = any(c.outputs.excel for c in loaded)
    figures = any(c.outputs.figures for c in loaded) and not no_figures
    run_info = {
        "command": ["lossproj", "run", *map(str, configs)],
        "overrides": {k: v for k, v in overrides.items() if v is not None},
        "timings": {"load_configs_s": round(t1 - t0, 3), "project_s": round(t2 - t1, 3)},
    }
    files = write_results(ds, out_dir, excel=excel, figures=figures, run_info=run_info,
                          claim=claim)
    click.echo(f"Scenarios {', '.join(c.name for c in loaded)}: wrote {len(files)} files to "
               f"{out_dir} in {time.perf_counter() - t0:.1f} s")
    for path in files:
        click.echo(f"  {path}")


@main.command()
@click.argument("result", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--scenario", help="Scenario to compare (default: baseline, else the first).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the table, verdicts included, as JSON to this file.")
@click.option("--fail-outside", is_flag=True,
              help=f"Exit with status {VALIDATE_OUTSIDE_EXIT} when a validation row's verdict "
              "is OUTSIDE (for CI).")
def validate(result: Path | None, scenario: str | None, json_path: Path | None,
             fail_outside: bool) -> None:
    """Compare a result (directory or projection.nc) with published figures.

    Without RESULT, runs the packaged baseline scenario first.
    """
    from lossproj.outputs import read_results
    from lossproj.validate import format_table, outside_rows, validation_table

    if result is None:
        config = load_config(packaged_config("baseline"))
        click.echo(f"No RESULT given: running the baseline scenario ({config.path}).", err=True)
        progress = _Progress()
        try:
            ds = _api().project([config], progress=progress)
        finally:
            progress.close()
    else:
        ds = read_results(result)
    table = validation_table(ds, scenario=scenario)
    click.echo(format_table(table))
    if json_path is not None:
        records = json.loads(table.to_json(orient="records"))
        json_path.write_text(json.dumps({"scenario": table.attrs.get("scenario"),
                                         "rows": records}, indent=2, ensure_ascii=False),
                             encoding="utf-8")
        click.echo(f"wrote {json_path}")
    outside = outside_rows(table)
    if fail_outside and not outside.empty:
        click.echo(f"{len(outside)} validation row(s) OUTSIDE: "
                   f"{', '.join(dict.fromkeys(outside['id']))}", err=True)
        sys.exit(VALIDATE_OUTSIDE_EXIT)


@main.command()
@click.argument("result", type=click.Path(exists=True, path_type=Path))
@click.option("--by", type=click.Choice(["region", "age_group"]), default="region",
              show_default=True, help="Rows of the table.")
@click.option("--year", type=int, help="Year shown (default: the last year of the result).")
@click.option("--years", "years_text", metavar="Y1,Y2,...",
              help="Several years, comma-separated (e.g. 2020,2030,2050).")
@click.option("--scenario", help="Scenario shown (default: all).")
@click.option("--region", default=None,
              help="Region (English or Chinese name, or GB/T code): of the age-group table "
              "(default China), or the only row of --by region (default all).")
@click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text",
              show_default=True, help="Print an aligned table or CSV.")
def summary(result: Path, by: str, year: int | None, years_text: str | None,
            scenario: str | None, region: str | None, fmt: str) -> None:
    """Print counts by region or by the parent's age group, for one year or several."""
    from lossproj.outputs import read_results
    from lossproj.summary import check_year, parse_years, summarize_years

    ds = read_results(result)
    if years_text is not None and year is not None:
        raise ConfigError("give --year or --years, not both")
    years = parse_years(years_text) or [check_year(ds, year)]
    table = summarize_years(ds, by=by, years=years, scenario=scenario, region=region)
    if fmt == "csv":
        click.echo(table.to_csv(float_format="%.6g"), nl=False)
        return
    click.echo(f"Year {', '.join(map(str, years))}; persons (allowance_cost in RMB per year); "
               f"summed over sex and "
               f"{'age' if by == 'region' else 'single ages within each group'}; NaN = not "
               "computed.")
    with _pandas_wide():
        click.echo(table.to_string(na_rep=MISSING, float_format=lambda v: MISSING if v != v
                                   else f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"))


@main.command()
@click.argument("result", type=click.Path(exists=True, path_type=Path))
@click.option("--region", required=True,
              help="Region, by English or Chinese name or GB/T 2260 code (guangdong, 广东, 44).")
@click.option("--variable", "variables", multiple=True,
              help="Variable whose 60+/70+ trend (and pyramid) to draw; repeat for several. "
              "Default: shidu parents 60+/70+, care, budget and the pyramid.")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path), help="Directory for the PNGs.")
@click.option("--font", type=click.Path(exists=True, dir_okay=False),
              help="Font file with Chinese glyphs (default: one found on the system).")
def plot(result: Path, region: str, variables: tuple[str, ...], out_dir: Path,
         font: str | None) -> None:
    """Draw a region's planner figures, labelled in Chinese and English."""
    from lossproj.outputs import read_results
    from lossproj.planner_plots import bilingual_fonts, planner_figures

    ds = read_results(result)
    out_dir.mkdir(parents=True, exist_ok=True)
    with bilingual_fonts(font):  # no CJK font: FontNotFoundError, a user error
        figures = planner_figures(ds, region, variables or None)
        for stem, fig in figures.items():
            fig.savefig(out_dir / f"{stem}.png", dpi=120)
            click.echo(f"wrote {out_dir / f'{stem}.png'}")


def _pandas_wide():
    """A pandas option context that prints whole tables (no column wrapping)."""
    import pandas as pd

    return pd.option_context("display.width", 250, "display.max_columns", None)


@main.command()
@click.argument("config", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True,
              help="Directory for calibration_report.csv, calibration.png and the replacement "
                   "diagnostics (replacement_probabilities.csv, replacement_time_bereaved.csv, "
                   "replacement.png).")
@click.option("--replacement-only", is_flag=True,
              help="Print and write only the replacement diagnostics (seconds; no refit).")
def calibrate(config: Path | None, out_dir: Path, replacement_only: bool) -> None:
    """Fit parity-progression levels to the parity targets and print the fit report.

    Then print the replacement diagnostics: the implied probability of another birth within 5
    and 10 years of the loss of an only child by the mother's age, period and province, and the
    mean years that bereaved mothers under 35 spend in the strict shidu state.
    """
    from lossproj.outputs import write_replacement_diagnostics

    path = config if config is not None else packaged_config("baseline")
    scenario = load_config(path)
    if not replacement_only:
        _print_fit(scenario, out_dir)
    probabilities, time_bereaved, figure = _api().replacement_diagnostics(scenario)
    with _pandas_wide():
        table = probabilities.pivot_table(index="loss_age", columns=["within_years", "period"],
                                          values=["probability", "probability_alive"],
                                          aggfunc=["min", "max"])
        click.echo("\nReplacement after loss: probability of another birth within 5 / 10 years of "
                   "the loss of an only child, by the mother's age at the loss and the year; "
                   "lowest and highest over the regions run, if she lives (probability) and with "
                   "her own survival (probability_alive); by region in "
                   "replacement_probabilities.csv")
        click.echo(table.round(3).to_string())
        click.echo("\nStrict shidu mothers under 35: stock, new in the year, mean years in the state")
        click.echo(time_bereaved.round(2).to_string(index=False))
    for written in write_replacement_diagnostics(probabilities, time_bereaved, figure, out_dir):
        click.echo(f"wrote {written}")


def _print_fit(scenario, out_dir: Path) -> None:
    """Fit the parity levels of ``scenario``, print the report and write it to ``out_dir``."""
    from lossproj.outputs import write_calibration

    fit = getattr(_api(), "calibrate", None)
    if fit is None:
        raise click.ClickException("this lossproj has no lossproj.api.calibrate")
    report, figure = fit(scenario)
    with _pandas_wide():
        click.echo(report.to_string(index=False))
        if "within_tolerance" in report:
            from lossproj.calibration import summarize_fit

            click.echo("\nFit against declared tolerances:")
            click.echo(summarize_fit(report).to_string(index=False))
            click.echo(
                "attainable: rows that some parity model could meet; the others conflict with the "
                "ASFR input (report column input_gap; docs/model.md, 'Attainable targets')"
            )
    for written in write_calibration(report, figure, out_dir):
        click.echo(f"wrote {written}")


def _attach_data_group() -> None:
    """Attach ``lossproj data`` (from :mod:`lossproj.cli_data`) when that module exists."""
    try:
        from lossproj.cli_data import data
    except ModuleNotFoundError as exc:
        if exc.name != "lossproj.cli_data":
            raise
        logger.debug("lossproj.cli_data is not available; `lossproj data` is not attached")
        return
    main.add_command(data)


_attach_data_group()


if __name__ == "__main__":  # pragma: no cover - `python -m lossproj.cli`
    main()
