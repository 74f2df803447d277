"""The population, mortality and fertility readers of lossproj.sources on the small raw
extracts in tests/fixtures/raw_small/."""

import shutil

import numpy as np
import pandas as pd
import pytest
from raw_fixtures import raw_dir

from lossproj import sources
from lossproj.errors import DataError
from lossproj.rates.lifetable import life_expectancy

RAW_SMALL = raw_dir("raw_small")

COLUMNS = {
    "population_census.csv": ["census_year", "region", "sex", "age", "population"],
    "mortality_national.csv": ["year", "sex", "age", "mx"],
    "province_e0_census.csv": ["census_year", "region", "sex", "e0", "note"],
    "fertility_national.csv": ["variant", "year", "age", "asfr"],
    "fertility_province_2020.csv": ["region", "age", "asfr"],
    "sex_ratio_at_birth.csv": ["year", "srb"],
    "wpp_e0_annual.csv": ["year", "sex", "e0"],
    "wpp_tfr_annual.csv": ["variant", "year", "tfr"],
    "net_migration.csv": ["year", "sex", "age", "net_migrants"],
}


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    out = tmp_path_factory.mktemp("rates")
    written = sources.write_tables(RAW_SMALL, out, names=list(COLUMNS))
    return written, {p.name: pd.read_csv(p) for p in written}


def test_writes_every_table_with_contract_columns(tables):
    written, t = tables
    assert set(t) == set(COLUMNS)
    for name, cols in COLUMNS.items():
        assert t[name].columns.tolist() == cols, name
        assert len(t[name]) > 0
    assert all(len(sources.TABLES[name].note) > 200 for name in COLUMNS)


def test_population_keeps_census_groups(tables):
    _, t = tables
    pop = t["population_census.csv"]
    raw = pd.read_csv(RAW_SMALL / "cn_census_pop_province_age5_sex_2010_2020.csv")
    assert set(pop.region) == {"China", "Beijing"}
    assert (pop.population >= 0).all()
    starts = np.array(sorted(raw.age_start.unique()))
    pop["age_start"] = starts[np.searchsorted(starts, pop.age, side="right") - 1]
    got = pop.groupby(["census_year", "region", "sex", "age_start"]).population.sum()
    raw["region"] = raw.province_code.map({0: "China", 11: "Beijing"})
    want = raw.melt(["census_year", "region", "age_start"], ["female", "male"], "sex", "population")
    want = want.set_index(["census_year", "region", "sex", "age_start"]).population
    np.testing.assert_allclose(got.loc[want.index], want, rtol=1e-11)
    # China 2010 is the census single-age table itself
    single = pd.read_csv(RAW_SMALL / "cn_census2010_pop_single_age_sex.csv")
    china = pop[(pop.region == "China") & (pop.census_year == 2010) & (pop.sex == "male")]
    np.testing.assert_allclose(china.population.to_numpy(), single.male.to_numpy(), rtol=1e-10)


def test_mortality_matches_fixture_e0(tables):
    _, t = tables
    m = t["mortality_national.csv"]
    e0 = t["wpp_e0_annual.csv"]
    assert sorted(m.year.unique()) == list(range(1950, 1963))
    for sex in ("female", "male"):
        mx = m[m.sex == sex].pivot(index="year", columns="age", values="mx").to_numpy()
        want = e0[e0.sex == sex].sort_values("year").e0.to_numpy()
        assert np.abs(life_expectancy(mx, sex) - want).max() < 1e-4


def test_census_e0_fills_chongqing(tables):
    _, t = tables
    e = t["province_e0_census.csv"]
    cq = e[(e.region == "Chongqing") & (e.census_year == 1990)].set_index("sex")
    sc = e[(e.region == "Sichuan") & (e.census_year == 1990)].set_index("sex")
    pd.testing.assert_series_equal(cq.e0, sc.e0)
    assert cq.note.str.contains("filled with Sichuan's 1990 values").all()
    assert len(e) == 5 * 4 * 3


def test_fertility_tfr_and_variants(tables):
    _, t = tables
    f = t["fertility_national.csv"]
    wpp = t["wpp_tfr_annual.csv"].set_index(["variant", "year"]).tfr
    got = f.groupby(["variant", "year"]).asfr.sum()
    np.testing.assert_allclose(got.to_numpy(), wpp.loc[got.index].to_numpy(), rtol=1e-7)
    raw = pd.read_csv(RAW_SMALL / "wpp2024_tfr_annual.csv").set_index("year")
    assert wpp.loc[("low", 2023)] == raw.loc[2023, "tfr_medium"]
    assert wpp.loc[("low", 2025)] == raw.loc[2025, "tfr_low"]
    prov = t["fertility_province_2020.csv"]
    raw_p = pd.read_csv(RAW_SMALL / "cn_census2020_asfr_province.csv")
    tfr_p = prov.groupby("region").asfr.sum()
    assert tfr_p["Tibet"] == pytest.approx(raw_p.set_index("province_code").loc[54, "tfr_check_5xsum"] / 1000, abs=1e-6)


def test_small_tables(tables):
    _, t = tables
    mig = t["net_migration.csv"]
    raw = pd.read_csv(RAW_SMALL / "wpp2024_netmig_age1_sex_proj.csv")
    assert mig[(mig.sex == "female") & (mig.age == 0)].net_migrants.iloc[0] == pytest.approx(
        raw[raw.age == 0].migF.iloc[0] * 1000
    )
    assert t["sex_ratio_at_birth.csv"].year.tolist() == list(range(1950, 1956))
    assert set(t["wpp_e0_annual.csv"].sex) == {"female", "male", "both"}


def test_missing_raw_table_is_named(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW_SMALL, raw)
    (raw / "wpp2024_srb_annual.csv").unlink()
    with pytest.raises(DataError, match="raw table 'wpp2024_srb_annual.csv' not found"):
        sources.write_tables(raw, tmp_path / "out", names=list(COLUMNS))
