"""The packaged tables load, pass every check and come out labelled with units and sources."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lossproj import data as lpdata
from lossproj import regions
from lossproj.paths import packaged_data_dir

DATA = packaged_data_dir()


def test_every_contract_table_is_packaged_with_a_checksum():
    recorded = json.loads((DATA / lpdata.CHECKSUM_FILE).read_text(encoding="utf-8"))
    assert set(recorded) == set(lpdata.TABLES)
    assert lpdata.checksums() == recorded


def test_packaged_data_pass_check_all():
    assert lpdata.check_all() == []


@pytest.mark.parametrize("name", lpdata.TABLES)
def test_each_table_loads_with_schema_columns(name):
    df = lpdata.load_table(name)
    assert list(df.columns) == [c.name for c in lpdata.SCHEMAS[name].columns]
    assert len(df) > 0


def test_load_table_returns_a_copy():
    a = lpdata.load_table("sex_ratio_at_birth.csv")
    a.loc[0, "srb"] = -1.0
    assert lpdata.load_table("sex_ratio_at_birth.csv").loc[0, "srb"] > 0


def test_mortality_national_labelled():
    mx = lpdata.mortality_national()
    assert mx.dims == ("sex", "year", "age")
    assert mx["sex"].values.tolist() == ["female", "male"]
    assert mx["year"].values[[0, -1]].tolist() == [1950, 2100]
    assert mx["age"].values.tolist() == list(range(101))
    assert mx.attrs["units"] == "deaths per person-year"
    assert "World Population Prospects 2024" in mx.attrs["source"]
    assert float(mx.min()) >= 0 and not bool(mx.isnull().any())


def test_base_population_has_region_coords_and_china_is_the_sum():
    pop = lpdata.base_population(2020)
    assert pop.dims == ("region", "sex", "age")
    assert pop["region"].values.tolist() == [*regions.PROVINCE_NAMES, regions.NATIONAL]
    assert pop["region_code"].sel(region="Guangdong").item() == 44
    assert pop["region_zh"].sel(region="China").item() == "全国"
    provinces = pop.sel(region=list(regions.PROVINCE_NAMES)).sum("region")
    np.testing.assert_allclose(provinces, pop.sel(region="China"), rtol=lpdata.SUM_RTOL)
    # 2020 census total, 31 provinces (PROVENANCE.md): 1 409 778 724
    assert float(pop.sel(region="China").sum()) == pytest.approx(1_409_778_724, rel=1e-9)
    with pytest.raises(ValueError, match=r"no census population for 2015; available census years: \[2010, 2020\]"):
        lpdata.base_population(2015)


def test_fertility_accessors():
    medium = lpdata.fertility_national("medium")
    assert medium.dims == ("year", "age") and medium.attrs["variant"] == "medium"
    low = lpdata.fertility_national("low")
    np.testing.assert_array_equal(low.sel(year=slice(1950, 2023)), medium.sel(year=slice(1950, 2023)))
    assert float(low.sel(year=2050).sum()) < float(medium.sel(year=2050).sum())
    with pytest.raises(ValueError, match="unknown fertility variant 'mid'; known variants: medium, low, high"):
        lpdata.fertility_national("mid")
    prov = lpdata.fertility_province_2020()
    assert prov.dims == ("region", "age") and prov.sizes["region"] == 32


def test_e0_srb_and_migration_accessors():
    e0 = lpdata.province_e0_census()
    assert e0.dims == ("region", "sex", "census_year")
    assert e0["census_year"].values.tolist() == [1990, 2000, 2010, 2020]
    assert lpdata.sex_ratio_at_birth().dims == ("year",)
    assert lpdata.wpp_e0_annual().dims == ("sex", "year")
    assert lpdata.wpp_tfr_annual().dims == ("variant", "year")
    mig = lpdata.net_migration()
    assert mig.dims == ("sex", "year", "age") and mig.attrs["units"] == "persons per year"


def test_spouse_gap_care_and_allowance_accessors():
    gap = lpdata.spouse_age_gap()
    assert gap.dims == ("gap",) and float(gap.sum()) == pytest.approx(1.0)
    care = lpdata.care_prevalence()
    assert care.dims == ("sex", "age") and care["age"].values[[0, -1]].tolist() == [60, 100]
    assert care.attrs["year"] == 2020 and 0 < float(care.max()) < 1
    table = lpdata.load_table("care_prevalence.csv")
    row = table[(table["sex"] == "male") & (table["age_start"] == 75)].iloc[0]
    assert care.sel(sex="male", age=80).item() == row["prevalence"]
    allowance = lpdata.allowance_standards()
    assert allowance.dims == ("year", "residence")
    assert allowance.sel(year=2015).values.tolist() == [340.0, 170.0]
    assert allowance.sel(year=2030, residence="rural").item() == 590.0
    assert int(allowance["year"].min()) == 2008


def test_sweden_and_parity_tables():
    swe = lpdata.sweden_female()
    assert swe["mx"].dims == ("year", "age") and swe.sizes["year"] == 119
    assert swe["asfr"].sel(age=30).max() > 0
    bbo = lpdata.births_by_order()
    assert set(bbo["order"]) == set(lpdata.ORDERS)
    shares = bbo.groupby(["census_year", "region", "residence"])["share"].sum()
    np.testing.assert_allclose(shares, 1.0, atol=1e-9)
    assert lpdata.parity_order_rates_2010()["age"].between(15, 49).all()
    assert lpdata.parity_cohort()["cohort"].is_unique
    assert len(lpdata.mean_ceb_2020()) == 32
    assert lpdata.only_children_2005()["share_only_children"].between(0, 1).all()
    eras = lpdata.policy_eras()
    assert "one_child_1980_2015" in set(eras["era"])
