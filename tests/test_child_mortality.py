"""Relative mortality of first-born and later-born children (rates/child_mortality.py) and its table."""

from __future__ import annotations

import doctest
import re

import numpy as np
import pandas as pd
import pytest

from lossproj import data as lpdata
from lossproj.errors import DataError
from lossproj.paths import packaged_data_dir
from lossproj.rates import child_mortality as cm
from lossproj.rates.bundle import A_MAX

TABLE = "child_mortality_residence.csv"
FIRST, LAST = 1950, 2100


@pytest.fixture(scope="module")
def inputs():
    return lpdata.child_mortality_residence(), lpdata.births_by_order()


@pytest.fixture(scope="module")
def rr(inputs):
    return cm.relative_child_mortality(FIRST, LAST, *inputs)


def test_docstring_examples_run():
    result = doctest.testmod(cm, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 5
    assert result.failed == 0


def test_table_holds_urban_and_rural_pairs(inputs):
    table, _ = inputs
    assert sorted(set(table["year"])) == [1996, 2000, 2005, 2006, 2015]
    for _, residences in table.groupby(["year", "indicator"])["residence"]:
        assert sorted(residences) == ["rural", "urban"]
    second_hand = table[table["origin"] == "second-hand"]
    assert sorted(set(second_hand["year"])) == [2005, 2015]
    assert table["source"].str.len().min() > 20


def test_hand_computed_2010(rr):
    # U5MR urban/rural, surveillance: 2006 9.6 / 23.6, 2015 5.8 / 12.9; 2010 is 4/9 of the way.
    k = 9.6 / 23.6 + 4 / 9 * (5.8 / 12.9 - 9.6 / 23.6)
    # 2010 census births, China (births_by_order.csv): order 1 city, town, rural; orders 2 and 3+.
    first = {"city": 241098, "town": 138644, "rural": 360124}
    later = {"city": 66448 + 7495, "town": 73671 + 12534, "rural": 232176 + 57870}
    u1 = (first["city"] + first["town"]) / sum(first.values())
    u2 = (later["city"] + later["town"]) / sum(later.values())
    urban_all = (first["city"] + first["town"] + later["city"] + later["town"]) / (
        sum(first.values()) + sum(later.values())
    )
    rr1 = (u1 * k + 1 - u1) / (urban_all * k + 1 - urban_all)
    rr2 = (u2 * k + 1 - u2) / (urban_all * k + 1 - urban_all)
    t = 2010 - FIRST
    np.testing.assert_allclose(rr[0, t, :5], rr1, rtol=1e-12)
    np.testing.assert_allclose(rr[1, t, :5], rr2, rtol=1e-12)
    assert rr1 == pytest.approx(0.9537, abs=1e-4)
    assert rr2 == pytest.approx(1.0760, abs=1e-4)


def test_births_weighted_mean_is_one(inputs, rr):
    _, births = inputs
    years = np.arange(FIRST, LAST + 1)
    shares = cm.birth_residence_shares(births, years)
    mean = shares.first_share[:, None] * rr[0] + (1 - shares.first_share[:, None]) * rr[1]
    np.testing.assert_allclose(mean, 1.0, rtol=0, atol=1e-12)
    # in the census years U is the census urban share of all births (total rows, all orders)
    china = births[births["region"] == "China"]
    for year in (2010, 2020):
        rows = china[china["census_year"] == year]
        census_u = rows.loc[rows["residence"].isin(["city", "town"]), "births"].sum() / rows.loc[
            rows["residence"] == "total", "births"].sum()
        assert shares.urban_all[year - FIRST] == pytest.approx(census_u, rel=1e-12)


def test_first_born_below_one_where_first_births_more_urban(inputs, rr):
    _, births = inputs
    shares = cm.birth_residence_shares(births, np.arange(FIRST, LAST + 1))
    assert np.all(shares.urban_first > shares.urban_all)
    assert np.all(rr[0, :, :5] < 1) and np.all(rr[1, :, :5] > 1)
    assert rr.shape == (2, LAST - FIRST + 1, A_MAX + 1)
    assert np.all(rr[:, :, 5:] == 1.0)


def _births(first_urban: int, later_urban: int) -> pd.DataFrame:
    """One census year (2010): first and later births in city and rural (none in town)."""
    rows = [
        (2010, "China", res, order, n)
        for order, urban_n in (("1", first_urban), ("2", later_urban), ("3+", 0))
        for res, n in (("city", urban_n), ("town", 0), ("rural", 100 - urban_n if order != "3+" else 0))
    ]
    return pd.DataFrame(rows, columns=["census_year", "region", "residence", "order", "births"])


def _mortality(urban: float, rural: float) -> pd.DataFrame:
    return pd.DataFrame({"year": [2000, 2000], "indicator": ["u5mr", "u5mr"],
                         "residence": ["urban", "rural"], "value": [urban, rural]})


def test_first_born_above_one_where_first_births_less_urban():
    rr = cm.relative_child_mortality(2000, 2001, _mortality(10.0, 20.0), _births(20, 60))
    # k = 0.5, u1 = 0.2, u2 = 0.6, w = 0.5: RR1 = 0.9 / 0.8, RR2 = 0.7 / 0.8
    np.testing.assert_allclose(rr[:, :, 0], [[1.125, 1.125], [0.875, 0.875]], rtol=1e-12)


def test_ratio_linear_between_years_and_held_outside(inputs):
    table, _ = inputs
    k = cm.urban_rural_ratio(table, [1980, 1996, 2003, 2015, 2050])
    k2000, k2005 = 13.8 / 45.7, 10.7 / 25.7
    np.testing.assert_allclose(
        k, [16.9 / 51.4, 16.9 / 51.4, k2000 + 0.6 * (k2005 - k2000), 5.8 / 12.9, 5.8 / 12.9], rtol=1e-12
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"indicator": "nmr"}, "unknown child mortality indicator 'nmr'; known indicators: imr, u5mr"),
        ({"region": "Guangdon"}, "unknown region 'Guangdon'; did you mean 'Guangdong'"),
        ({"urban": ("rural",)}, "urban residences ['rural']: expected one or both of city, town"),
    ],
)
def test_bad_arguments_name_what_exists(inputs, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        cm.relative_child_mortality(2000, 2010, *inputs, **kwargs)


# ----------------------------------------------------------------------------------------
# Bad tables: a DataError naming file, row and column
# ----------------------------------------------------------------------------------------


def _line(df: pd.DataFrame, year: str, indicator: str, residence: str) -> int:
    """Index of one row of the table read as text (its line in the file is index + 2)."""
    hit = df.index[(df["year"] == year) & (df["indicator"] == indicator) & (df["residence"] == residence)]
    return int(hit[0])


PACKAGED = pd.read_csv(packaged_data_dir() / TABLE, dtype=str, keep_default_na=False)


def _set(key: tuple[str, str, str], column: str, value: str):
    def edit(df: pd.DataFrame) -> pd.DataFrame:
        df.loc[_line(df, *key), column] = value
        return df

    return edit


def _drop(key: tuple[str, str, str]):
    def edit(df: pd.DataFrame) -> pd.DataFrame:
        return df.drop(index=_line(df, *key))

    return edit


@pytest.mark.parametrize(
    ("edit", "row_key", "message"),
    [
        (_set(("2006", "u5mr", "rural"), "value", "-23.6"), ("2006", "u5mr", "rural"),
         "column 'value': value -23.6 is not above 0; expected a mortality rate in (0, 1000]"),
        (_set(("2000", "imr", "rural"), "year", ""), ("2000", "imr", "rural"),
         "column 'year': empty cell; expected an integer calendar year"),
        (_drop(("2005", "u5mr", "rural")), ("2005", "u5mr", "urban"),
         "column 'residence': year=2005, indicator='u5mr' has no 'rural' row"),
        (_set(("2015", "imr", "urban"), "value", "10.5"), ("2015", "imr", "urban"),
         "column 'value': urban value 10.5 exceeds the rural value 9.6 (year=2015, indicator='imr'); "
         "expected urban <= rural"),
    ],
    ids=["negative value", "missing year", "year without rural value", "urban above rural"],
)
def test_bad_table_names_file_row_and_column(tmp_path, edit, row_key, message):
    edit(PACKAGED.copy()).to_csv(tmp_path / TABLE, index=False, lineterminator="\n")
    line = _line(PACKAGED, *row_key) + 2  # the rows before it are kept
    with pytest.raises(DataError, match=re.escape(f"{TABLE}, row {line}, {message}")):
        lpdata.child_mortality_residence(tmp_path)
