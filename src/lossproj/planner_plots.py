"""Planner figures for one region, labelled in Chinese and English.

Shidu parents aged 60+ and 70+ by scenario, care-dependent parents and the Beijing-rule count,
the allowance budget, and an age pyramid. Y axes start at zero and name their unit. Chinese
text needs a font with CJK glyphs: :func:`cjk_font` finds one (or takes the file the caller
declares) and raises :class:`FontNotFoundError` when there is none. Figures are built without
``pyplot``; :func:`bilingual_fonts` is the context in which to build *and* save them.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import xarray as xr
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from lossproj import regions as reg
from lossproj.errors import ConfigError, LossprojError
from lossproj.planner import AGE_BANDS, band_totals, indicator
from lossproj.summary import check_region, replicate_mean

#: Font families known to carry Chinese glyphs, in order of preference.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
    "Heiti SC", "AR PL UMing CN",
)

#: RMB per 亿元 (budgets in figures).
RMB_PER_YI = 1e8

_SEX_COLOURS = {"female": "#c0392b", "male": "#2c6fbb"}
_BAND_STYLES = {"60+": "-", "70+": "--", "80+": ":", "all ages": "-", "49+": "-.", "55+": "-."}


class FontNotFoundError(LossprojError):
    """No font with Chinese glyphs is installed or declared."""


@functools.lru_cache(maxsize=4)
def cjk_font(path: str | None = None) -> str:
    """Family name of a font with Chinese glyphs, registered with matplotlib.

    Parameters
    ----------
    path : str, optional
        A font file to use (``.ttf``, ``.otf``, ``.ttc``); default: the first of
        :data:`CJK_FAMILIES` that matplotlib knows, else the first font fontconfig
        (``fc-list :lang=zh``) lists.

    Raises
    ------
    FontNotFoundError
        Saying how to install one (Debian: ``apt-get install fonts-noto-cjk``).
    """
    if path is not None:
        if not Path(path).is_file():
            raise FontNotFoundError(f"font file {path} does not exist")
        font_manager.fontManager.addfont(path)
        return font_manager.FontProperties(fname=path).get_name()
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known:
            return family
    for file in _fontconfig_cjk_files():
        font_manager.fontManager.addfont(file)
        # a collection (.ttc) registers every face; prefer the Simplified Chinese one
        added = {f.name for f in font_manager.fontManager.ttflist if f.fname == file}
        preferred = [f for f in CJK_FAMILIES if f in added]
        return preferred[0] if preferred else font_manager.FontProperties(fname=file).get_name()
    raise FontNotFoundError(
        "no font with Chinese glyphs found for the bilingual figures (looked for "
        f"{', '.join(CJK_FAMILIES[:5])}, … and asked fontconfig `fc-list :lang=zh`); install "
        "one (Debian/Ubuntu: apt-get install fonts-noto-cjk) or pass a font file")


def _fontconfig_cjk_files() -> list[str]:
    """Font files fontconfig lists for Chinese, regular weights first."""
    fc = shutil.which("fc-list")
    if fc is None:
        return []
    out = subprocess.run([fc, ":lang=zh", "file"], capture_output=True, text=True, check=False)
    files = sorted({line.split(":")[0].strip() for line in out.stdout.splitlines() if line.strip()})
    return sorted(files, key=lambda f: ("Regular" not in f, f))


@contextlib.contextmanager
def bilingual_fonts(font_file: str | None = None) -> Iterator[str]:
    """Context in which text falls back to a CJK font; yields the font's family name."""
    family = cjk_font(font_file)
    with matplotlib.rc_context({"font.family": [family, "DejaVu Sans"],
                                "axes.unicode_minus": False}):
        yield family


def region_title(region: str) -> str:
    """``广东 Guangdong`` for a region name."""
    return f"{reg.ZH_BY_NAME.get(region, '')} {region}".strip()


def _region(ds: xr.Dataset, region: str) -> tuple[xr.Dataset, str]:
    name = check_region(ds, region)
    return replicate_mean(ds).sel(region=name), name


def _tick(value: float, _pos) -> str:
    """Tick label: thousands separators, decimals only for small values."""
    return f"{value:,.0f}" if abs(value) >= 10 or value == 0 else f"{value:.3g}"


def axis_from_zero(ax, label: str) -> None:
    ax.set_ylim(bottom=0)
    ax.set_ylabel(label)
    ax.set_xlabel("年份 year")
    ax.yaxis.set_major_formatter(FuncFormatter(_tick))
    ax.grid(alpha=0.3)


def band_trend(ds: xr.Dataset, region: str, variable: str = "shidu_parents_strict",
               bands: tuple[str, ...] = ("60+", "70+")) -> Figure:
    """Yearly totals of ``variable`` in parent age bands, one line per scenario and band."""
    one, name = _region(ds, region)
    ind = indicator(variable)
    table = band_totals(one[variable]).sel(age_band=list(bands)) / ind.divisor
    fig = Figure(figsize=(7.5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    years = table["year"].values
    for k, scenario in enumerate(table["scenario"].values):
        colour = f"C{k}"
        for band in bands:
            ax.plot(years, table.sel(scenario=scenario, age_band=band).values, color=colour,
                    linestyle=_BAND_STYLES.get(band, "-"),
                    label=f"{scenario}: {AGE_BANDS[band][1]} {band}")
    axis_from_zero(ax, ind.unit)
    ax.set_title(f"{region_title(name)}: {ind.zh}\n{ds[variable].attrs.get('long_name', variable)}"
                 f", {' / '.join(bands)}")
    ax.legend(fontsize="small")
    return fig


def care_trend(ds: xr.Dataset, region: str) -> Figure:
    """Care-dependent shidu parents and the Beijing-rule priority count, by scenario."""
    return _variables_trend(ds, region, ("care_dependent_shidu_parents",
                                         "priority_care_shidu_parents"), "人 persons")


def budget_trend(ds: xr.Dataset, region: str) -> Figure:
    """Allowance budget under the scenario's schedule and, where present, the local rule."""
    return _variables_trend(ds, region, ("allowance_cost", "allowance_cost_local"),
                            "亿元每年 RMB 100 million per year", divisor=RMB_PER_YI)


def _variables_trend(ds: xr.Dataset, region: str, variables: tuple[str, ...], unit: str,
                     divisor: float = 1.0) -> Figure:
    one, name = _region(ds, region)
    present = [v for v in variables if v in one.data_vars and bool(one[v].notnull().any())]
    if not present:
        raise ConfigError(f"the result has none of {', '.join(variables)} for {name}")
    fig = Figure(figsize=(7.5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    for k, scenario in enumerate(one["scenario"].values):
        for j, variable in enumerate(present):
            da = one[variable].sel(scenario=scenario)
            total = da.sum([d for d in ("sex", "age") if d in da.dims], min_count=1) / divisor
            ax.plot(total["year"].values, total.values, color=f"C{k}",
                    linestyle=("-", "--", ":")[j % 3],
                    label=f"{scenario}: {indicator(variable).zh}")
    axis_from_zero(ax, unit)
    names = " / ".join(ds[v].attrs.get("long_name", v) for v in present)
    ax.set_title(f"{region_title(name)}: {names}")
    ax.legend(fontsize="small")
    return fig


def pyramid(ds: xr.Dataset, region: str, variable: str = "shidu_parents_strict",
            year: int | None = None, scenario: str | None = None) -> Figure:
    """Age pyramid of ``variable`` (women left, men right) in one year and scenario."""
    one, name = _region(ds, region)
    scenario = str(one["scenario"].values[0]) if scenario is None else scenario
    years = [int(y) for y in one["year"].values]
    year = years[-1] if year is None else int(year)
    if year not in years:
        raise ConfigError(f"year {year} is not in the result ({years[0]}..{years[-1]})")
    da = one[variable].sel(scenario=scenario, year=year)
    ages = da["age"].values
    fig = Figure(figsize=(5.5, 5.5), layout="constrained")
    ax = fig.add_subplot()
    ax.barh(ages, -da.sel(sex="female").values, height=1.0, color=_SEX_COLOURS["female"],
            label="女 women")
    ax.barh(ages, da.sel(sex="male").values, height=1.0, color=_SEX_COLOURS["male"],
            label="男 men")
    ax.axvline(0, color="black", linewidth=0.5)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{abs(x):,.0f}"))
    ax.set_xlabel(indicator(variable).unit)
    ax.set_ylabel("父母年龄 age of parent [岁 years]")
    ax.set_ylim(0, ages.max() + 1)
    ax.set_title(f"{region_title(name)} {year}: {indicator(variable).zh}\n"
                 f"{ds[variable].attrs.get('long_name', variable)}, scenario {scenario}")
    ax.legend(loc="upper left", fontsize="small")
    return fig


def planner_figures(ds: xr.Dataset, region: str,
                    variables: tuple[str, ...] | None = None) -> dict[str, Figure]:
    """The planner figures of a region, keyed by file stem.

    Without ``variables``: shidu parents 60+/70+, care, budget and the pyramid. With them:
    the 60+/70+ trend of each, and its pyramid where it has a ``sex`` dim.
    """
    _, name = _region(ds, region)
    stem = name.lower().replace(" ", "_")
    out: dict[str, Figure] = {}
    if variables is None:
        out[f"{stem}_shidu_60_70"] = band_trend(ds, name)
        if "care_dependent_shidu_parents" in ds.data_vars:
            out[f"{stem}_care"] = care_trend(ds, name)
        if "allowance_cost" in ds.data_vars:
            out[f"{stem}_budget"] = budget_trend(ds, name)
        out[f"{stem}_pyramid"] = pyramid(ds, name)
        return out
    for variable in variables:
        if variable not in ds.data_vars:
            raise ConfigError(f"unknown variable {variable!r}; the result has "
                             f"{', '.join(map(str, ds.data_vars))}")
        out[f"{stem}_{variable}_60_70"] = band_trend(ds, name, variable)
        if "sex" in ds[variable].dims:
            out[f"{stem}_{variable}_pyramid"] = pyramid(ds, name, variable)
    return out
