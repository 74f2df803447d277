"""Command-line group ``lossproj data``: build the packaged tables, show, check and draw them.

A thin click layer over :mod:`lossproj.data`, :mod:`lossproj.plot_data` and
:func:`lossproj.api.build_data` (the readers of :mod:`lossproj.sources`); ``cli.py``
attaches it with ``main.add_command(data)``. Errors reach the user as one-line messages
(:class:`click.ClickException`), never as tracebacks.
"""

from __future__ import annotations

from pathlib import Path

import click

from lossproj import data as lpdata
from lossproj.errors import DataError, LossprojError

_DATA_DIR = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory of tables to use instead of the packaged data/.",
)


def _describe(name: str, data_dir: Path | None) -> list[str]:
    """Lines describing one table: columns, key coverage, source, checksum."""
    schema = lpdata.SCHEMAS[name]
    df = lpdata.load_table(name, data_dir)
    lines = [f"{name}  ({len(df)} rows) — {schema.long_name}"]
    lines.append(f"    columns: {', '.join(df.columns)}")
    cover = []
    for key in schema.keys:
        col = schema.column(key)
        values = df[key].dropna().unique()
        if col.kind == "int" and len(values):
            lo, hi = int(min(values)), int(max(values))
            dense = len(values) == hi - lo + 1
            cover.append(f"{key} {lo}..{hi}" if dense or len(values) > 8 else
                         f"{key}: {', '.join(str(int(v)) for v in sorted(values))}")
        elif key == "region":
            cover.append(f"region: {len(values)} ({'incl. China' if 'China' in values else 'no China row'})")
        elif len(values) <= 8:
            cover.append(f"{key}: {', '.join(map(str, values))}")
        else:
            cover.append(f"{key}: {len(values)} values")
    lines.append(f"    coverage: {'; '.join(cover)}")
    lines.append(f"    source: {schema.source}")
    return lines


@click.group(name="data")
def data() -> None:
    """Packaged input tables: build, list, check and plot them."""


@data.command()
@click.option("--raw", "raw_dir", required=True,
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder of raw source tables (see its PROVENANCE.md).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the tables, README.md and checksums.json (created if needed).")
@click.option("--calibrate", is_flag=True,
              help="Also re-fit parity_calibration.csv (minutes); only with --out set to the "
                   "packaged data folder. Without it an existing fit in OUT is kept.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Scenario whose targets --calibrate fits (default: the packaged baseline).")
def build(raw_dir: Path, out_dir: Path, calibrate: bool, config: Path | None) -> None:
    """Build the packaged tables in OUT from the raw source tables in RAW.

    Writes every table of lossproj.sources, README.md (provenance of each table) and
    checksums.json, then checks them as `lossproj data check` does; exits 1 listing each
    failure. The same raw files give byte-identical tables. `lossproj -v data build ...`
    logs each table written.
    """
    from lossproj.api import build_data

    try:
        written, problems = build_data(raw_dir, out_dir, calibrate=calibrate, config=config)
    except (LossprojError, ValueError) as err:
        raise click.ClickException(str(err)) from None
    for line in problems:
        click.echo(line, err=True)
    if problems:
        raise click.ClickException(f"data check failed: {len(problems)} line(s) of problems listed above")
    click.echo(f"OK: wrote {len(written)} tables, README.md and {lpdata.CHECKSUM_FILE} to {out_dir}; "
               "all pass the data checks")


@data.command()
@_DATA_DIR
def info(data_dir: Path | None) -> None:
    """Show what is packaged: tables, columns, coverage, sources and checksums."""
    if data_dir is not None and not data_dir.is_dir():
        raise click.ClickException(f"data directory {data_dir} does not exist")
    try:
        directory = data_dir or lpdata.packaged_data_dir()
        sums = lpdata.checksums(data_dir)
        click.echo(f"data directory: {directory}")
        for name in lpdata.TABLES:
            if name not in sums:
                click.echo(f"{name}  MISSING")
                continue
            for line in _describe(name, data_dir):
                click.echo(line)
            click.echo(f"    sha256: {sums[name]}")
    except (LossprojError, FileNotFoundError) as err:
        raise click.ClickException(str(err)) from None
    click.echo("provenance of every table: data/README.md")


@data.command()
@_DATA_DIR
def check(data_dir: Path | None) -> None:
    """Check every table and the cross-table rules; exit 1 listing each failure."""
    try:
        problems = lpdata.check_all(data_dir)
    except (LossprojError, FileNotFoundError) as err:
        raise click.ClickException(str(err)) from None
    if problems:
        for line in problems:
            click.echo(line, err=True)
        raise click.ClickException(f"data check failed: {len(problems)} line(s) of problems listed above")
    click.echo(f"OK: {len(lpdata.TABLES)} tables pass all checks ({data_dir or lpdata.packaged_data_dir()})")


@data.command()
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the figures (created if needed).")
@_DATA_DIR
def plot(out_dir: Path, data_dir: Path | None) -> None:
    """Draw the data figures listed in data/README.md into OUT."""
    from lossproj import plot_data

    try:
        figures = plot_data.data_figures(data_dir)
    except (DataError, FileNotFoundError) as err:
        raise click.ClickException(str(err)) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, fig in figures.items():
        fig.savefig(out_dir / name, dpi=120, bbox_inches="tight")
        click.echo(f"wrote {out_dir / name}")
