"""Where the packaged data tables and scenario files live.

A wheel carries ``data/`` and ``configs/`` inside the package as ``lossproj/_data`` and
``lossproj/_configs``; a source checkout (editable install, tests) reads the repository's
top-level folders.
"""

from __future__ import annotations

from pathlib import Path


def _packaged_dir(inside_name: str, checkout_name: str, what: str) -> Path:
    here = Path(__file__).resolve().parent
    inside = here / inside_name
    if inside.is_dir():
        return inside
    checkout = here.parents[1] / checkout_name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"lossproj's {what} were not found in {inside} or {checkout}; reinstall the package"
    )


def packaged_data_dir() -> Path:
    """Directory holding the processed tables shipped with lossproj."""
    return _packaged_dir("_data", "data", "data tables")


def packaged_config_dir() -> Path:
    """Directory holding the scenario files shipped with lossproj."""
    return _packaged_dir("_configs", "configs", "scenario files")
