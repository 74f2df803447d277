"""The planner workbook ``projection.xlsx``: one sheet per indicator, province × age band × year.

Each indicator sheet has a bilingual title row, a units and definition row, a header row and
one row per (scenario, region, parent age band) with one column per year; regions carry their
GB/T 2260 code and Chinese name. Counts are whole persons; costs are in RMB 10,000 (万元),
whole numbers. Missing cells (a region not computed in a scenario, a rule that does not apply
to the region) are left empty, never written as 0. Headers are frozen, filters set, columns
sized. A ``README`` sheet gives, in Chinese and English, the scenarios, the data sources and
the main assumptions.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import xarray as xr
import xlsxwriter

from lossproj import regions as reg
from lossproj.planner import AGE_BANDS, Indicator, band_totals, indicators_of
from lossproj.summary import replicate_mean

#: Key columns of an indicator sheet (English / Chinese).
KEY_COLUMNS: tuple[str, ...] = ("scenario 情景", "code 代码", "region", "地区", "age band",
                                "年龄组")
#: Rows above the data: title, units and definition, header.
HEADER_ROW = 3
#: Excel number format of whole numbers with thousands separators.
WHOLE = "#,##0"
#: Fill of the header row (RGB).
HEAD_FILL = "#DDE5F0"


def indicator_table(ds: xr.Dataset, indicator: Indicator) -> xr.DataArray:
    """Values of a sheet, dims (scenario, region, age_band, year), in the shown unit."""
    da = replicate_mean(ds)[indicator.variable]
    return (band_totals(da) / indicator.divisor).transpose("scenario", "region", "age_band", "year")


def _region_labels(ds: xr.Dataset) -> list[tuple[int, str, str]]:
    names = [str(r) for r in ds["region"].values]
    return [(reg.CODE_BY_NAME.get(n, -1), n, reg.ZH_BY_NAME.get(n, "")) for n in names]


def _formats(wb) -> dict[str, object]:
    """The cell formats of the workbook, by name."""
    return {
        "title": wb.add_format({"bold": True, "font_size": 12}),
        "bold": wb.add_format({"bold": True}),
        "head": wb.add_format({"bold": True, "bg_color": HEAD_FILL, "pattern": 1,
                               "align": "center"}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
        "whole": wb.add_format({"num_format": WHOLE}),
    }


def _write_indicator(ws, ds: xr.Dataset, indicator: Indicator, formats) -> None:
    """One indicator sheet (rows and columns 0-based here; ``HEADER_ROW`` is 1-based)."""
    table = indicator_table(ds, indicator)
    years = [int(y) for y in table["year"].values]
    attrs = ds[indicator.variable].attrs
    ws.write_string(0, 0, f"{indicator.zh} / {attrs.get('long_name', indicator.variable)}",
                    formats["title"])
    ws.write_string(1, 0, f"Unit 单位: {indicator.unit}. {attrs.get('definition', '')} "
                          f"(variable {indicator.variable})")
    header = [*KEY_COLUMNS, *years]
    ws.write_row(HEADER_ROW - 1, 0, header, formats["head"])
    # whole numbers, missing values left empty (never 0)
    values = np.rint(table.values)
    finite = np.isfinite(values)
    labels = _region_labels(ds)
    bands = list(AGE_BANDS.items())
    first_year = len(KEY_COLUMNS)
    whole = formats["whole"]
    row = HEADER_ROW
    for s, scenario in enumerate(table["scenario"].values):
        for r, (code, name, zh) in enumerate(labels):
            for b, (band, (_, band_zh)) in enumerate(bands):
                ws.write_string(row, 0, str(scenario))
                if code >= 0:
                    ws.write_number(row, 1, code)
                ws.write_row(row, 2, (name, zh, band, band_zh))
                line, ok = values[s, r, b], finite[s, r, b]
                if ok.all():
                    ws.write_row(row, first_year, line.astype(np.int64).tolist(), whole)
                else:
                    for k in np.flatnonzero(ok):
                        ws.write_number(row, first_year + k, int(line[k]), whole)
                row += 1
    ws.freeze_panes(HEADER_ROW, first_year)
    ws.autofilter(HEADER_ROW - 1, 0, max(row - 1, HEADER_ROW - 1), len(header) - 1)
    for col, width in enumerate((14, 8, 15, 9, 9, 12)):
        ws.set_column(col, col, width)
    shown = np.abs(table.values[np.isfinite(table.values)])
    widest = len(f"{shown.max():,.0f}") if shown.size else 4
    ws.set_column(first_year, len(header) - 1, max(8, widest + 2))


def readme_rows(ds: xr.Dataset) -> list[tuple[str, str]]:
    """(label, text) rows of the README sheet, in Chinese and English."""
    rows: list[tuple[str, str]] = [
        ("lossproj 失独父母预测 / projection of shidu parents",
         "按省份、父母年龄组和年份 / by province, parent age band and year"),
        ("读法 / How to read",
         "每个指标一张表；行为 情景 × 地区 × 父母年龄组（含该年龄及以上），列为年份；第2行为单位和定义。"
         " One sheet per indicator; rows scenario × region × parent age band (that age and "
         "older), columns years; row 2 gives the unit and definition. Empty cell = not computed "
         "(空白表示未计算), never zero."),
        ("年龄组 / Age bands", "; ".join(f"{k} = {zh}" for k, (_, zh) in AGE_BANDS.items())),
        ("金额单位 / Money", "万元（人民币一万元）, whole numbers / RMB 10,000, rounded"),
    ]
    scenarios = json.loads(ds.attrs.get("scenarios", "{}") or "{}")
    configs = {c.get("scenario", {}).get("name"): c
               for c in json.loads(ds.attrs.get("config", "[]") or "[]")}
    for name in [str(s) for s in ds["scenario"].values]:
        meta = scenarios.get(name, {})
        desc = configs.get(name, {}).get("scenario", {}).get("description", "")
        rows.append((f"情景 / Scenario {name}",
                     f"{desc} Engine 引擎: {meta.get('engine', ds.attrs.get('engine', ''))}."))
        for assumption in json.loads(meta.get("assumptions", "[]") or "[]"):
            rows.append(("  主要假设 / assumption", str(assumption)))
    rows.append(("数据来源 / Data sources",
                 "2010/2020年人口普查（国家统计局）; UN World Population Prospects 2024; 特别扶助标准"
                 "（财政部、国家卫生健康委）; 生活不能自理比例（2020年普查长表）. Census 2010/2020 (NBS); "
                 "WPP 2024; national special-assistance standards (MoF, NHC); care dependence "
                 "(2020 census long form). Details: data/README.md of the package."))
    eligibility = ds["eligible_shidu_parents"].attrs.get("definition", "") if (
        "eligible_shidu_parents" in ds.data_vars) else ""
    rows.append(("主要假设 / Main assumptions",
                 "特别扶助资格见 eligible 表的定义；生活不能自理比例按全国年龄性别模式、按各省2020年普查水平"
                 "调整；北京规则：不能自理或70岁及以上者优先入住公办养老机构；城乡标准不同时取平均. "
                 f"Eligibility: {eligibility}; care dependence: national age-sex pattern scaled "
                 "to each province's 2020 census level; Beijing rule: care-dependent or 70+; urban "
                 "and rural standards averaged where they differ."))
    rows.append(("版本 / Version", f"lossproj {ds.attrs.get('lossproj_version', '')}"))
    for ind in indicators_of(ds):
        attrs = ds[ind.variable].attrs
        rows.append((f"{ind.sheet}: {ind.zh}",
                     f"{attrs.get('long_name', '')} [{ind.unit}]: {attrs.get('definition', '')} "
                     f"Source 来源: {attrs.get('source', '')}"))
    return rows


def write_workbook(ds: xr.Dataset, path: str | Path) -> Path:
    """Write the planner workbook of a projection to ``path`` (with XlsxWriter)."""
    with xlsxwriter.Workbook(str(path)) as wb:
        formats = _formats(wb)
        readme = wb.add_worksheet("README")
        for i, (label, text) in enumerate(readme_rows(ds)):
            readme.write_string(i, 0, label, formats["bold"])
            readme.write_string(i, 1, text, formats["wrap"])
        readme.set_column(0, 0, 42)
        readme.set_column(1, 1, 120)
        for ind in indicators_of(ds):
            _write_indicator(wb.add_worksheet(ind.sheet), ds, ind, formats)
    return Path(path)
