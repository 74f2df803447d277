"""Small extracts of the raw source tables, laid out under their source names for a test.

The extracts in ``tests/fixtures/<folder>/`` are named ``<source name>.extract.csv`` so that
no file of the repository carries a raw table's name; ``raw_dir`` copies them into a
temporary folder under the names the readers of ``lossproj.sources`` read.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SUFFIX = ".extract.csv"


@cache
def raw_dir(folder: str) -> Path:
    """Temporary folder holding ``tests/fixtures/<folder>/*.extract.csv`` as ``*.csv``."""
    out = Path(tempfile.mkdtemp(prefix=f"lossproj-{folder}-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    for path in sorted((FIXTURES / folder).glob(f"*{SUFFIX}")):
        shutil.copyfile(path, out / (path.name[: -len(SUFFIX)] + ".csv"))
    return out


@cache
def all_raw_dir() -> Path:
    """Every fixture folder in one temporary folder, as a whole raw folder for a build.

    Where two folders hold an extract of the same table, ``raw_small``'s (all ages) is kept.
    """
    out = Path(tempfile.mkdtemp(prefix="lossproj-raw-all-"))
    atexit.register(shutil.rmtree, out, ignore_errors=True)
    for folder in ("raw_tables", "raw_small"):
        for path in sorted(raw_dir(folder).iterdir()):
            shutil.copyfile(path, out / path.name)
    return out
