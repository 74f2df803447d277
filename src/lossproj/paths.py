"""Where the packaged data tables live.

A wheel carries ``data/`` inside the package as ``lossproj/_data``; a source checkout
(editable install, tests) reads the repository's top-level ``data/``.
"""

from __future__ import annotations

from pathlib import Path


def packaged_data_dir() -> Path:
    """Directory holding the processed tables shipped with lossproj."""
    here = Path(__file__).resolve().parent
    inside = here / "_data"
    if inside.is_dir():
        return inside
    checkout = here.parents[1] / "data"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"lossproj's data tables were not found in {inside} or {checkout}; reinstall the package"
    )
