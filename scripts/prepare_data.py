"""Rebuild lossproj's packaged tables in ``data/`` from the raw sources, with README and checksums.

Usage::

    PYTHONPATH=src python scripts/prepare_data.py [--raw PATH] [--out PATH]

``--raw`` defaults to ``../shared/data/raw`` relative to the repository root, ``--out`` to
``data/``. The script writes the rate tables (``scripts/prep_rates.py``) and the parity,
policy, care, allowance and Sweden tables (``scripts/prep_tables.py``), then
``data/README.md`` (one provenance section per table and the list of figures of
``lossproj data plot``) and ``data/checksums.json`` (sha256 of every table), and finally runs
``lossproj.data.check_all`` on the result; it exits non-zero if any check fails.
It is deterministic: re-running it on the same raw files gives byte-identical output.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
REPO = SCRIPTS.parent
sys.path.insert(0, str(SCRIPTS))
sys.path.insert(0, str(REPO / "src"))

import prep_tables  # noqa: E402

from lossproj import data as lpdata  # noqa: E402
from lossproj.plot_data import FIGURES  # noqa: E402

try:  # written by another engineer; the final script must call it
    import prep_rates  # noqa: E402
except ImportError:  # pragma: no cover - only while prep_rates.py does not exist yet
    prep_rates = None

logger = logging.getLogger("prepare_data")

README_HEAD = """# lossproj packaged data

Processed tables shipped with lossproj (tidy CSV, UTF-8, one header row, no index column),
written by `scripts/prepare_data.py` from the raw source tables in `../shared/data/raw/`
(described in that folder's `PROVENANCE.md`; the raw files are not part of this repository).
Column names and units are fixed in `docs/data_contract.md`; `lossproj.data` is the only
module that reads these files and checks each one against its schema (`lossproj data check`).
`checksums.json` holds the SHA-256 of every table, recorded in each run's metadata.

Conventions: sexes `female`/`male` (`both` where a source gives both sexes); regions are the
English province names of `lossproj.regions`, national rows `China`; ages are integers, 100
means 100+. Tables marked **ASSUMPTION** have no source table: a scenario config can replace
them.

Re-run: `PYTHONPATH=src python scripts/prepare_data.py [--raw PATH] [--out PATH]`.
"""


def build_readme(notes: dict[str, str], written: list[Path], checks: dict[str, str]) -> str:
    """Markdown of ``data/README.md``: one section per table, then the figures."""
    order = list(lpdata.TABLES)
    names = sorted((p.name for p in written), key=lambda n: order.index(n) if n in order else len(order))
    parts = [README_HEAD, "## Tables\n"]
    for name in names:
        schema = lpdata.SCHEMAS.get(name)
        cols = ", ".join(f"`{c.name}`" for c in schema.columns) if schema else ""
        parts.append(f"### `{name}`\n")
        if schema:
            parts.append(f"*{schema.long_name}.* Columns: {cols}. sha256 `{checks.get(name, '')[:16]}…`\n")
        parts.append(notes.get(name, "**No provenance note was supplied for this table.**") + "\n")
    parts.append("## Figures (`lossproj data plot --out DIR`)\n")
    for fname, text in FIGURES.items():
        parts.append(f"- `{fname}`: {text}")
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=REPO.parent / "shared" / "data" / "raw",
                        help="folder of raw source tables (default: ../shared/data/raw)")
    parser.add_argument("--out", type=Path, default=REPO / "data", help="output folder (default: data/)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    if not args.raw.is_dir():
        logger.error("raw folder %s not found", args.raw)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)

    written: list[Path] = []
    notes: dict[str, str] = {}
    if prep_rates is None:
        logger.warning("scripts/prep_rates.py not found: rate tables NOT written")
    else:
        written += prep_rates.write_rate_tables(args.raw, args.out)
        notes.update(prep_rates.TABLE_NOTES)
    written += prep_tables.write_other_tables(args.raw, args.out)
    notes.update(prep_tables.TABLE_NOTES)
    if args.out.resolve() == (REPO / "data").resolve():
        # the parity calibration reads the packaged tables just written
        import calibrate_parity

        lpdata.clear_cache()
        written.append(calibrate_parity.write_calibration(REPO / "configs" / "baseline.toml", args.out))
        notes.update(calibrate_parity.TABLE_NOTES)
    else:
        logger.warning("parity calibration skipped: it runs only when writing the packaged data/")

    sums = {p.name: lpdata.sha256_file(p) for p in sorted(written, key=lambda p: p.name)}
    (args.out / lpdata.CHECKSUM_FILE).write_text(json.dumps(sums, indent=2) + "\n", encoding="utf-8")
    (args.out / "README.md").write_text(build_readme(notes, written, sums), encoding="utf-8")
    logger.info("wrote %d tables, README.md and %s to %s", len(written), lpdata.CHECKSUM_FILE, args.out)

    lpdata.clear_cache()
    present = [p.name for p in written if p.name in lpdata.SCHEMAS]
    problems = lpdata.check_all(args.out, tables=present)
    for line in problems:
        logger.error("%s", line)
    if problems:
        return 1
    logger.info("all %d tables pass lossproj.data checks", len(present))
    return 0


if __name__ == "__main__":
    sys.exit(main())
