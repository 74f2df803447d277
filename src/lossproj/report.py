"""The offline HTML report ``report.html``: one printable page per region, in Chinese and English.

A single self-contained file (figures embedded as PNG data, no script, no external link) that
opens in any browser without a network and prints one region per page. Each page holds the
region's planner table for every scenario (shidu parents 60+ and 70+, care-dependent, the
Beijing-rule count, eligible parents, the budgets) and a figure of the same indicators over
time.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from lossproj import regions as reg
from lossproj.planner import band_totals, indicator
from lossproj.planner_plots import RMB_PER_YI, axis_from_zero, bilingual_fonts, region_title
from lossproj.summary import check_region, replicate_mean

#: Rows of a region's planner table: (variable, parent age band).
TABLE_ROWS: tuple[tuple[str, str], ...] = (
    ("shidu_parents_strict", "60+"),
    ("shidu_parents_strict", "70+"),
    ("care_dependent_shidu_parents", "all ages"),
    ("priority_care_shidu_parents", "all ages"),
    ("eligible_shidu_parents", "all ages"),
    ("allowance_cost", "all ages"),
    ("allowance_cost_local", "all ages"),
)

#: Years shown in report tables: every fifth year present, and the last one [year].
YEAR_STEP = 5

#: Resolution of the report's figures [dots per inch].
REPORT_DPI = 80

_CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
       sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; border-bottom: 2px solid #2c6fbb; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.85em; }
th, td { border: 1px solid #bbb; padding: 2px 6px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th[scope="row"] { text-align: left; font-weight: normal; }
caption { text-align: left; font-weight: bold; padding: 0.2em 0; }
img { max-width: 100%; }
section.page { break-after: page; page-break-after: always; }
nav a { margin-right: 0.6em; white-space: nowrap; }
@media print { nav { display: none; } body { margin: 0; } }
"""


def report_years(ds: xr.Dataset) -> list[int]:
    """Years of the report tables: multiples of :data:`YEAR_STEP` present, and the last."""
    years = [int(y) for y in ds["year"].values]
    shown = [y for y in years if y % YEAR_STEP == 0 and y >= 2020] or years[:1]
    return sorted(set(shown) | {years[-1]})


def band_tables(ds: xr.Dataset) -> dict[str, xr.DataArray]:
    """Band totals (:func:`lossproj.planner.band_totals`) of the report's variables."""
    ds = replicate_mean(ds)
    return {v: band_totals(ds[v]) for v in dict.fromkeys(v for v, _ in TABLE_ROWS)
            if v in ds.data_vars}


def planner_table(ds: xr.Dataset, region: str, scenario: str, years: list[int] | None = None,
                  bands: dict[str, xr.DataArray] | None = None) -> pd.DataFrame:
    """A region's planner table in one scenario: rows :data:`TABLE_ROWS` present, columns
    years; persons, and budgets in RMB 10,000 (万元); missing where not computed.

    ``region`` may be given by any accepted spelling (``广东``, ``44``); ``bands``
    (:func:`band_tables` of ``ds``) saves recomputing them region by region.
    """
    name = check_region(ds, region)
    years = report_years(ds) if years is None else years
    bands = band_tables(ds) if bands is None else bands
    rows = {}
    for variable, band in TABLE_ROWS:
        if variable not in bands:
            continue
        ind = indicator(variable)
        values = bands[variable].sel(region=name, scenario=scenario, year=years,
                                     age_band=band) / ind.divisor
        label = f"{ind.zh} {band if band != 'all ages' else ''}".strip()
        long_name = ds[variable].attrs.get("long_name", variable)
        rows[(f"{label} / {long_name}" + (f", {band}" if band != "all ages" else ""),
              ind.unit)] = values.values
    table = pd.DataFrame.from_dict(rows, orient="index", columns=years)
    table.index = pd.MultiIndex.from_tuples(table.index, names=["indicator", "unit"])
    return table.round(0)


def _table_html(table: pd.DataFrame, caption: str) -> str:
    head = "".join(f"<th>{y}</th>" for y in table.columns)
    body = []
    for (label, unit), row in table.iterrows():
        cells = "".join(f'<td class="num">{"" if pd.isna(v) else f"{v:,.0f}"}</td>' for v in row)
        body.append(f"<tr><th scope=\"row\">{html.escape(label)}</th><td>{html.escape(unit)}"
                    f"</td>{cells}</tr>")
    return (f"<table><caption>{html.escape(caption)}</caption><thead><tr><th>指标 indicator</th>"
            f"<th>单位 unit</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def region_figure(ds: xr.Dataset, region: str,
                  bands: dict[str, xr.DataArray] | None = None, *,
                  reuse: Figure | None = None) -> Figure:
    """Three panels over time, one line per scenario: shidu parents 60+ and 70+; care-dependent
    and Beijing-rule parents; the budgets (亿元).

    ``reuse``: a figure this function drew before, redrawn for ``region`` (its lines, legends
    and notes replaced, its limits computed afresh): the same picture as a new figure, without
    the cost of building axes and ticks again. A figure with an empty panel is not reused, and
    a region with an empty panel gets a new figure: an empty panel's limits are a new one's.
    """
    bands = band_tables(ds) if bands is None else bands
    if reuse is not None and not all(ax.get_lines() for ax in reuse.axes):
        reuse = None
    if reuse is None:
        fig = Figure(figsize=(12, 3.8))
        fig.subplots_adjust(left=0.085, right=0.99, bottom=0.14, top=0.84, wspace=0.38)
        axes = fig.subplots(1, 3)
    else:
        fig, axes = reuse, reuse.axes
        for ax in axes:
            for artist in [*ax.lines, *ax.texts]:
                artist.remove()
            if ax.get_legend() is not None:
                ax.get_legend().remove()
            ax.relim()
            ax.set_autoscale_on(True)
    panels = (
        (("shidu_parents_strict", "60+"), ("shidu_parents_strict", "70+")),
        (("care_dependent_shidu_parents", "all ages"), ("priority_care_shidu_parents", "all ages")),
        (("allowance_cost", "all ages"), ("allowance_cost_local", "all ages")),
    )
    titles = ("失独父母 shidu parents 60+ / 70+", "不能自理 care-dependent / 北京规则 Beijing rule",
              "扶助金 budget (national / local)")
    units = ("人 persons", "人 persons", "亿元 RMB 100 million per year")
    labels = (("60+", "70+"), ("不能自理 care-dependent", "北京规则 Beijing rule"),
              ("国家 national", "地方 local rule"))
    for ax, panel, title, unit, names in zip(axes, panels, titles, units, labels, strict=True):
        for k, scenario in enumerate(ds["scenario"].values):
            for j, (variable, band) in enumerate(panel):
                if variable not in bands:
                    continue
                series = bands[variable].sel(region=region, scenario=scenario, age_band=band)
                if variable.startswith("allowance"):
                    series = series / RMB_PER_YI
                if not bool(series.notnull().any()):
                    continue
                ax.plot(series["year"].values, series.values, color=f"C{k}",
                        linestyle=("-", "--")[j], label=f"{scenario}: {names[j]}")
        axis_from_zero(ax, unit)
        ax.set_title(title, fontsize="medium")
        if ax.get_lines():
            ax.legend(fontsize="x-small")
        else:
            ax.text(0.5, 0.5, "未计算 not computed", transform=ax.transAxes, ha="center")
    fig.suptitle(region_title(region))
    if reuse is not None and not all(ax.get_lines() for ax in axes):
        return region_figure(ds, region, bands)
    return fig


def _png_data(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=REPORT_DPI)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def report_regions(ds: xr.Dataset) -> list[str]:
    """Regions in the order of the report's pages: China, then the provinces by code."""
    names = [str(r) for r in ds["region"].values]
    known = (reg.NATIONAL, *reg.PROVINCE_NAMES)
    return [n for n in known if n in names] + [n for n in names if n not in known]


def region_images(ds: xr.Dataset, regions: list[str], *,
                  font_file: str | None = None) -> dict[str, str]:
    """The report's figure of each region in ``regions`` (:func:`region_figure`) as base64 PNG
    data, keyed by region name: what :func:`report_html` embeds, drawn apart so that a caller
    can draw the pages in parallel processes."""
    ds = replicate_mean(ds)
    bands = band_tables(ds)
    images = {}
    fig = None
    with bilingual_fonts(font_file):
        for name in regions:
            fig = region_figure(ds, name, bands, reuse=fig)
            images[name] = _png_data(fig)
    return images


def report_html(ds: xr.Dataset, *, font_file: str | None = None,
                images: Mapping[str, str] | None = None) -> str:
    """The report as one HTML string (see the module docstring).

    ``images`` (:func:`region_images`) are the regions' figures already drawn; those missing
    are drawn here.
    """
    ds = replicate_mean(ds)
    order = report_regions(ds)
    images = images or {}
    scenarios = [str(s) for s in ds["scenario"].values]
    nav = " ".join(f'<a href="#r{reg.CODE_BY_NAME.get(n, 0):02d}">{html.escape(region_title(n))}'
                   f"</a>" for n in order)
    pages = []
    bands = band_tables(ds)
    with bilingual_fonts(font_file):
        for name in order:
            code = reg.CODE_BY_NAME.get(name, 0)
            tables = "".join(
                _table_html(planner_table(ds, name, s, bands=bands),
                            f"情景 scenario {s}: 人数（人）与支出（万元） persons and budgets "
                            f"(RMB 10,000)") for s in scenarios)
            image = images.get(name) or _png_data(region_figure(ds, name, bands))
            pages.append(
                f'<section class="page" id="r{code:02d}"><h2>{html.escape(region_title(name))} '
                f"({code:02d})</h2>{tables}<img alt=\"{html.escape(region_title(name))}: "
                f'planner indicators over time" src="data:image/png;base64,{image}"></section>')
    created = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = "失独父母预测报告 Projection of shidu parents — lossproj"
    intro = (f"<p>情景 Scenarios: {html.escape(', '.join(scenarios))}. 年龄组为该年龄及以上 "
             "Age bands are that age and older. 空白 = 未计算 (blank = not computed). "
             f"lossproj {html.escape(str(ds.attrs.get('lossproj_version', '')))}, {created}. "
             "定义与来源见 projection.xlsx 的 README 表 / definitions and sources: README sheet "
             "of projection.xlsx.</p>")
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<header><h1>{html.escape(title)}</h1>{intro}<nav>{nav}</nav></header>"
            f"{''.join(pages)}</body></html>")


def write_report(ds: xr.Dataset, path: str | Path, *, font_file: str | None = None,
                 images: Mapping[str, str] | None = None) -> Path:
    """Write :func:`report_html` to ``path`` (UTF-8)."""
    path = Path(path)
    path.write_text(report_html(ds, font_file=font_file, images=images), encoding="utf-8")
    return path
