"""Readers of the raw source tables that build the packaged ``data/`` (``lossproj data build``).

One topic module per kind of table, each reader a function ``raw_dir → DataFrame`` with the
columns of docs/data_contract.md, each module's ``NOTES`` the provenance paragraph of its
tables for ``data/README.md``:

- :mod:`~lossproj.sources.raw`: the raw file names (:data:`~lossproj.sources.raw.RAW_FILES`)
  and the helpers every reader shares;
- :mod:`~lossproj.sources.population`, :mod:`~lossproj.sources.mortality`,
  :mod:`~lossproj.sources.fertility`: census and WPP populations, death and birth rates;
- :mod:`~lossproj.sources.parity`: the parity targets of the calibration;
- :mod:`~lossproj.sources.policy`, :mod:`~lossproj.sources.care`,
  :mod:`~lossproj.sources.assumptions`, :mod:`~lossproj.sources.sweden`: policy eras and
  allowances, care dependence, the spouse age gap, the Swedish check rates;
- :mod:`~lossproj.sources.child_mortality`: published urban and rural child mortality;
- :mod:`~lossproj.sources.manifest`: ``data/README.md`` and ``checksums.json``.

:data:`TABLES` declares each packaged table once: its reader, the precision it is written
with and its provenance note. Nothing in the model imports this subpackage: the model reads
the packaged tables through :mod:`lossproj.data`. The readers use the numerical functions of
:mod:`lossproj.rates` (graduation, life tables) and raise :class:`~lossproj.errors.DataError`
rather than silently fixing an inconsistency. They are deterministic: the same raw files
give byte-identical tables.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lossproj.sources import (
    assumptions,
    care,
    child_mortality,
    fertility,
    mortality,
    parity,
    policy,
    population,
    sweden,
)
from lossproj.sources.raw import write_table

logger = logging.getLogger(__name__)

#: Floats of rates and e0 [8 significant digits].
RATE_FORMAT = "%.8g"
#: Floats of graduated census populations [12 significant digits].
POPULATION_FORMAT = "%.12g"
#: Floats of the parity, policy, care and check tables [10 significant digits].
TABLE_FORMAT = "%.10g"


@dataclass(frozen=True)
class SourceTable:
    """How one packaged table is built.

    Attributes
    ----------
    read : callable
        ``read(raw_dir) -> DataFrame``, the reader.
    float_format : str
        printf-style format of its floats (the precision the data carry).
    note : str
        Provenance paragraph (markdown) for ``data/README.md``.
    """

    read: Callable[[Path], pd.DataFrame]
    float_format: str
    note: str


def _table(module, name: str, read: Callable[[Path], pd.DataFrame], float_format: str) -> tuple:
    return name, SourceTable(read, float_format, module.NOTES[name])


#: Every packaged table built from the raw sources, by file name.
TABLES: dict[str, SourceTable] = dict(
    [
        _table(population, "population_census.csv", population.population_census, POPULATION_FORMAT),
        _table(mortality, "mortality_national.csv", mortality.mortality_national, RATE_FORMAT),
        _table(mortality, "province_e0_census.csv", mortality.province_e0_census, RATE_FORMAT),
        _table(fertility, "fertility_national.csv", fertility.fertility_national, RATE_FORMAT),
        _table(fertility, "fertility_province_2020.csv", fertility.fertility_province_2020, RATE_FORMAT),
        _table(fertility, "sex_ratio_at_birth.csv", fertility.sex_ratio_at_birth, RATE_FORMAT),
        _table(mortality, "wpp_e0_annual.csv", mortality.wpp_e0_annual, RATE_FORMAT),
        _table(fertility, "wpp_tfr_annual.csv", fertility.wpp_tfr_annual, RATE_FORMAT),
        _table(population, "net_migration.csv", population.net_migration, RATE_FORMAT),
        _table(parity, "parity_order_rates_2010.csv", parity.parity_order_rates_2010, TABLE_FORMAT),
        _table(parity, "births_by_order.csv", parity.births_by_order, TABLE_FORMAT),
        _table(parity, "parity_cohort.csv", parity.parity_cohort, TABLE_FORMAT),
        _table(parity, "mean_ceb_2020.csv", parity.mean_ceb_2020, TABLE_FORMAT),
        _table(parity, "only_children_2005.csv", parity.only_children_2005, TABLE_FORMAT),
        _table(policy, "policy_eras.csv", lambda _raw: policy.policy_eras(), TABLE_FORMAT),
        _table(assumptions, "spouse_age_gap.csv", lambda _raw: assumptions.spouse_age_gap(),
               TABLE_FORMAT),
        _table(care, "care_prevalence.csv", care.care_prevalence_table, TABLE_FORMAT),
        _table(care, "care_prevalence_province.csv", care.care_prevalence_province, TABLE_FORMAT),
        _table(policy, "allowance_standards.csv", policy.allowance_standards, TABLE_FORMAT),
        _table(sweden, "sweden_female.csv", sweden.sweden_female, TABLE_FORMAT),
        _table(population, "population_wpp.csv", population.population_wpp, TABLE_FORMAT),
        _table(child_mortality, "child_mortality_residence.csv",
               lambda _raw: child_mortality.child_mortality_residence(), TABLE_FORMAT),
    ]
)


def notes() -> dict[str, str]:
    """Provenance note of every table of :data:`TABLES`, by file name."""
    return {name: table.note for name, table in TABLES.items()}


def write_tables(raw_dir: Path, out_dir: Path, names: list[str] | None = None) -> list[Path]:
    """Read the raw tables and write the packaged tables into ``out_dir``.

    Parameters
    ----------
    raw_dir : Path
        Folder holding the raw source tables (names in
        :data:`lossproj.sources.raw.RAW_FILES`).
    out_dir : Path
        Folder to write into (created if missing).
    names : list of str, optional
        File names of the tables to write (keys of :data:`TABLES`); all by default.

    Returns
    -------
    list of Path
        The files written, in the order of :data:`TABLES`.

    Raises
    ------
    DataError
        If a raw table is missing or inconsistent (the message names the file).
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    unknown = sorted(set(names or ()) - set(TABLES))
    if unknown:
        raise KeyError(f"unknown tables {unknown}; known tables: {', '.join(TABLES)}")
    written = []
    for name, table in TABLES.items():
        if names is not None and name not in names:
            continue
        df = table.read(raw_dir)
        written.append(write_table(df, out_dir / name, table.float_format))
        logger.info("wrote %s (%d rows)", out_dir / name, len(df))
    return written
