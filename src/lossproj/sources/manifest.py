"""``data/README.md`` (one provenance section per table) and ``data/checksums.json``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from lossproj import data as lpdata

README_HEAD = """# lossproj packaged data

Processed tables shipped with lossproj (tidy CSV, UTF-8, one header row, no index column),
written by `lossproj data build` (the readers of `lossproj.sources`) from the raw source tables
in `../shared/data/raw/` (described in that folder's `PROVENANCE.md`; the raw files are not
part of this repository).
Column names and units are fixed in `docs/data_contract.md`; `lossproj.data` is the only
module that reads these files and checks each one against its schema (`lossproj data check`).
`checksums.json` holds the SHA-256 of every table, recorded in each run's metadata.

Conventions: sexes `female`/`male` (`both` where a source gives both sexes); regions are the
English province names of `lossproj.regions`, national rows `China`; ages are integers, 100
means 100+. Tables marked **ASSUMPTION** have no source table: a scenario config can replace
them.

Re-run: `lossproj data build --raw PATH --out data` (`--calibrate` also re-fits
`parity_calibration.csv`, which takes minutes).
"""


def build_readme(
    notes: Mapping[str, str],
    written: list[Path],
    checksums: Mapping[str, str],
    figures: Mapping[str, str],
) -> str:
    """Markdown of ``data/README.md``.

    Parameters
    ----------
    notes : mapping of str to str
        Provenance paragraph by table file name.
    written : list of Path
        The tables in the folder; sections follow the order of :data:`lossproj.data.TABLES`.
    checksums : mapping of str to str
        SHA-256 (hex) by table file name.
    figures : mapping of str to str
        Figure file name → what it shows (``lossproj data plot``).

    Returns
    -------
    str
        The README text; a table without a note gets a visible warning line.
    """
    order = list(lpdata.TABLES)
    names = sorted((p.name for p in written),
                   key=lambda n: order.index(n) if n in order else len(order))
    parts = [README_HEAD, "## Tables\n"]
    for name in names:
        schema = lpdata.SCHEMAS.get(name)
        parts.append(f"### `{name}`\n")
        if schema:
            cols = ", ".join(f"`{c.name}`" for c in schema.columns)
            parts.append(f"*{schema.long_name}.* Columns: {cols}. sha256 `{checksums.get(name, '')[:16]}…`\n")
        parts.append(notes.get(name, "**No provenance note was supplied for this table.**") + "\n")
    parts.append("## Figures (`lossproj data plot --out DIR`)\n")
    for fname, text in figures.items():
        parts.append(f"- `{fname}`: {text}")
    return "\n".join(parts) + "\n"


def write_manifest(
    out_dir: Path,
    written: list[Path],
    notes: Mapping[str, str],
    figures: Mapping[str, str],
) -> dict[str, str]:
    """Write ``checksums.json`` and ``README.md`` of the tables ``written`` into ``out_dir``.

    Returns
    -------
    dict of str to str
        SHA-256 (hex) by table file name, as written to ``checksums.json``.
    """
    sums = {p.name: lpdata.sha256_file(p) for p in sorted(written, key=lambda p: p.name)}
    (out_dir / lpdata.CHECKSUM_FILE).write_text(json.dumps(sums, indent=2) + "\n", encoding="utf-8")
    (out_dir / "README.md").write_text(build_readme(notes, written, sums, figures), encoding="utf-8")
    return sums
