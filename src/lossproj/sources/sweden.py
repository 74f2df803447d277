"""Swedish female rates (HMD/HFD via DemoKin): the published worked examples the engines are checked on.

:data:`NOTES` holds the provenance paragraph of the table for ``data/README.md``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lossproj.errors import DataError
from lossproj.sources.raw import read_raw

NOTES: dict[str, str] = {
    "sweden_female.csv": (
        "**Publisher:** Human Mortality Database and Human Fertility Database (CC BY 4.0). "
        "**Carrier:** R package IvanWilli/DemoKin @ 66e0c84 (MIT), data `swe_px`, `swe_asfr`, "
        "`swe_pop`, `swe_Sx` → raw `swe_hmd_hfd_female_single_age_1900_2018.csv`. **Units:** `mx` "
        "deaths per person-year, `asfr` births per woman per year, `population` women (HMD "
        "1 January counts as carried by DemoKin). **Transformations:** `mx = −ln(px)` for ages "
        "0-99 (constant force of mortality within each year of age); for the open group 100+ "
        "DemoKin sets `px = 0`, so `mx = −ln(Sx)` with `Sx` the open group's survival ratio; "
        "`pop_female` renamed `population`. Used only to check the engines against DemoKin's "
        "published Swedish examples."
    ),
}


def sweden_female(raw_dir: Path) -> pd.DataFrame:
    """Swedish female mx, ASFR and population by single age 0-100, 1900-2018 (HMD/HFD).

    Parameters
    ----------
    raw_dir : Path
        Folder of raw tables; reads ``RAW_FILES["sweden"]`` (DemoKin's ``px``, ``Sx``,
        ``asfr`` and ``pop_female`` by year and single age).

    Returns
    -------
    pandas.DataFrame
        Columns ``year, age, mx, asfr, population``: ``mx`` [deaths per person-year],
        ``asfr`` [births per woman per year], ``population`` [women on 1 January].

    Raises
    ------
    DataError
        If a survival probability is not positive (its log is undefined).

    Notes
    -----
    ``mx = -ln(px)`` for ages 0-99 (constant hazard within the year of age). For the open
    group 100+, DemoKin's ``px`` is 0 by convention, so ``mx = -ln(Sx)`` with ``Sx`` the
    survival ratio of the open group (the share of the 100+ population alive a year later).
    """
    raw = read_raw(raw_dir, "sweden")
    px = raw["px"].astype(float).to_numpy()
    sx = raw["Sx"].astype(float).to_numpy()
    open_group = raw["age"].to_numpy() == 100
    if np.any(px[~open_group] <= 0):
        raise DataError("Sweden: px <= 0 below age 100; -ln(px) undefined")
    if np.any(sx[open_group] <= 0):
        raise DataError("Sweden: Sx <= 0 in the open age group")
    with np.errstate(divide="ignore"):
        mx = np.where(open_group, -np.log(sx), -np.log(px))
    out = pd.DataFrame(
        {
            "year": raw["year"].astype(int),
            "age": raw["age"].astype(int),
            "mx": mx + 0.0,
            "asfr": raw["asfr"].astype(float),
            "population": raw["pop_female"].astype(float),
        }
    )
    return out.sort_values(["year", "age"]).reset_index(drop=True)
