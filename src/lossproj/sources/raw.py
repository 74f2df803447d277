"""The raw source tables: their file names, and the few helpers every reader shares.

The raw tables live outside the package (``shared/data/raw`` in a development checkout, any
folder passed as ``--raw`` to ``lossproj data build``); their sources, licenses and columns
are described in that folder's ``PROVENANCE.md``. Every reader of :mod:`lossproj.sources`
opens its files through :func:`read_raw`, so that a missing file is reported the same way
everywhere, and writes its table through :func:`write_table`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from lossproj.errors import DataError
from lossproj.regions import NAME_BY_CODE, PROVINCES

#: Raw source tables read by the package, by short name → file name in the raw folder.
RAW_FILES: dict[str, str] = {
    "pop5": "cn_census_pop_province_age5_sex_2010_2020.csv",
    "pop1_2010": "cn_census2010_pop_single_age_sex.csv",
    "pop_wpp": "wpp2024_pop_age5_sex.csv",
    "netmig": "wpp2024_netmig_age1_sex_proj.csv",
    "mx5": "wpp2024_mx_abridged_5yr_periods.csv",
    "e0": "wpp2024_e0_annual.csv",
    "e0_province": "cn_province_e0_1990_2000_2010_2020.csv",
    "pasfr": "wpp2024_pasfr_asfr_age5_annual.csv",
    "tfr": "wpp2024_tfr_annual.csv",
    "asfr_province": "cn_census2020_asfr_province.csv",
    "srb": "wpp2024_srb_annual.csv",
    "asfr_order_2010": "cn_census2010_asfr_by_order_single_age.csv",
    "births_order": "cn_census_births_province_order_sex_2010_2020.csv",
    "parity_cohort": "cn_parity_cohort_ccfr_duan_chen2022.csv",
    "mean_ceb_2020": "cn_census2020_mean_ceb_province.csv",
    "only_children_2005": "cn_parity_only_children_0_30_province_2005.csv",
    "care": "cn_care_selfcare_prevalence.csv",
    "assistance": "cn_special_assistance_standards.csv",
    "sweden": "swe_hmd_hfd_female_single_age_1900_2018.csv",
}

#: UN M49 code of China in the WPP tables.
WPP_CHINA = 156

#: Source lines shared by several provenance notes.
WPP_SOURCE = (
    "United Nations, DESA, Population Division (2024), *World Population Prospects 2024*, "
    "license CC BY 3.0 IGO; carried by the R data package PPgp/wpp2024 (GitHub snapshot "
    "2da7768ae64fc74105d3f9e98f9a74d37b62f99a), China (M49 156) rows"
)
NBS_SOURCE = (
    "National Bureau of Statistics of China (NBS) / Population Census Office, official census "
    "statistics (no explicit open-data license)"
)
CENSUS_PUBLISHER = (
    "National Bureau of Statistics of China (NBS) / Population Census Office under the State "
    "Council. Official statistics; no explicit open-data license"
)


def read_raw(raw_dir: Path | str, key: str, **kwargs) -> pd.DataFrame:
    """Read one raw source table.

    Parameters
    ----------
    raw_dir : Path or str
        Folder holding the raw tables under the names of :data:`RAW_FILES`.
    key : str
        Short name of the table, a key of :data:`RAW_FILES`.
    **kwargs
        Passed to :func:`pandas.read_csv`.

    Returns
    -------
    pandas.DataFrame
        The table as in the file.

    Raises
    ------
    DataError
        If the file is not in ``raw_dir``.
    """
    name = RAW_FILES[key]
    path = Path(raw_dir) / name
    if not path.is_file():
        raise DataError(f"raw table {name!r} not found in {raw_dir} (see its PROVENANCE.md)")
    return pd.read_csv(path, **kwargs)


def china_rows(df: pd.DataFrame, key: str) -> pd.DataFrame:
    """The rows of China (``country_code`` :data:`WPP_CHINA`) of a WPP table.

    Raises
    ------
    DataError
        If the table has no China rows.
    """
    out = df[df["country_code"] == WPP_CHINA]
    if out.empty:
        raise DataError(f"{RAW_FILES[key]}: no rows with country_code == {WPP_CHINA} (China)")
    return out


def region_name(code: int, key: str) -> str:
    """English region name of a GB/T 2260 province code (0 = ``China``) in raw table ``key``.

    Raises
    ------
    DataError
        Naming the file and the known codes, if the code is not a province's.
    """
    try:
        return NAME_BY_CODE[int(code)]
    except KeyError:
        raise DataError(
            f"{RAW_FILES[key]}: unknown province_code {code}; known: 0 (China), "
            + ", ".join(str(c) for c, _, _ in PROVINCES)
        ) from None


def write_table(df: pd.DataFrame, path: Path, float_format: str) -> Path:
    """Write ``df`` as a packaged table: tidy CSV, UTF-8, no index, ``\\n`` line ends.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    path : Path
        File to write (its folder must exist).
    float_format : str
        printf-style format of floats, e.g. ``"%.8g"`` (significant digits the data carry).

    Returns
    -------
    Path
        ``path``.
    """
    df.to_csv(path, index=False, float_format=float_format, lineterminator="\n")
    return path
