"""Comparison of a projection with published figures (out-of-sample checks, not targets).

The published values, their years, geographies, definitions and sources are packaged in
``configs/validation_targets.toml``; each row also says how the model's value under the same
definition, age window, year and geography is computed from a result Dataset, or why the model
cannot give it. Rows of kind ``calibration`` (V11, V12) are calibration inputs and are shown as
fit diagnostics, not as validation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from lossproj.config import load_validation_targets
from lossproj.errors import ConfigError
from lossproj.summary import replicate_mean

COLUMNS = ("id", "kind", "figure", "year", "geography", "published", "unit", "model", "ratio",
           "status", "verdict", "note", "source")

#: Default agreement band of an "approximate" target: the model agrees when
#: 1 / band <= model / published <= band [ratio]. Published estimates of one quantity differ
#: from each other by 30-60 % by definition (strict vs wide, mothers vs families, age window;
#: DESIGN.md §1, VALIDATION.md), so a model within a factor of 1.5 agrees as well as they
#: agree among themselves. A target may set its own ``ratio_band``.
DEFAULT_RATIO_BAND = 1.5

#: Verdicts: the model agrees with the figure, does not, or there is nothing to compare.
WITHIN, OUTSIDE, NO_VERDICT = "within", "OUTSIDE", "-"

STATISTICS = ("sum", "mean_per_year", "weighted_mean", "share_of_population")


def _pick_scenario(ds: xr.Dataset, scenario: str | None) -> str:
    names = [str(s) for s in ds["scenario"].values]
    if scenario is None:
        return "baseline" if "baseline" in names else names[0]
    if scenario not in names:
        raise ConfigError(f"scenario {scenario!r} is not in the result; scenarios: "
                         f"{', '.join(names)}")
    return scenario


def model_value(ds: xr.Dataset, spec: Mapping[str, Any]) -> tuple[float | None, str]:
    """The model's value for one target, and why it is missing when it is.

    Parameters
    ----------
    ds : xarray.Dataset
        One scenario of a projection (no ``scenario`` dim), replicates averaged.
    spec : mapping
        The target's ``model`` table: ``variable``, ``sex``, ``age_min``, ``age_max``,
        ``first_year``, ``last_year``, ``region``, ``statistic`` (``share_of_population``: the
        variable over the population of both sexes in the age window).

    Returns
    -------
    value : float or None
    reason : str
        Empty when ``value`` is given.
    """
    name = spec["variable"]
    if name not in ds.data_vars:
        return None, f"the result has no variable {name!r}"
    region = spec.get("region", "China")
    if region not in ds["region"].values:
        return None, f"the result has no region {region!r}"
    first, last = int(spec["first_year"]), int(spec["last_year"])
    years = np.arange(first, last + 1)
    have = set(int(y) for y in ds["year"].values)
    if not set(years) <= have:
        return None, (f"the result covers {min(have)}..{max(have)}, not all of "
                      f"{first}..{last}")
    statistic = spec.get("statistic", "sum")
    if statistic not in STATISTICS:
        raise ConfigError(f"validation target statistic {statistic!r}; allowed: "
                         f"{', '.join(STATISTICS)}")
    ages = slice(int(spec.get("age_min", 0)), int(spec.get("age_max", 100)))
    da = ds[name].sel(region=region, year=years, age=ages)
    sex = spec.get("sex", "both")
    if "sex" in da.dims:
        da = da.sel(sex=sex) if sex in ("female", "male") else da.sum("sex", skipna=False)
    if statistic == "weighted_mean":
        weights = ds["population"].sel(region=region, year=years, age=ages, sex="female")
        per_year = (da * weights).sum("age", skipna=False) / weights.sum("age", skipna=False)
    elif statistic == "share_of_population":
        pop = ds["population"].sel(region=region, year=years, age=ages).sum(["sex", "age"],
                                                                             skipna=False)
        per_year = da.sum("age", skipna=False) / pop
    else:
        per_year = da.sum("age", skipna=False)
    if statistic == "sum" and per_year.sizes["year"] != 1:
        raise ConfigError(f"validation target statistic 'sum' needs one year, got {first}..{last}")
    value = float(per_year.mean("year", skipna=False))
    if not np.isfinite(value):
        return None, MISSING_NOTE
    return value, ""


#: Note of a target whose model values are NaN in the result (shown as missing, never compared).
MISSING_NOTE = "the result's values for this target are missing (NaN)"


def _status(comparison: str, published: float, model: float | None, reason: str = "") -> str:
    if model is None:
        return "missing values" if reason == MISSING_NOTE else "not in result"
    if comparison == "upper_bound":
        return "below bound" if model <= published else "ABOVE BOUND"
    if comparison == "lower_bound":
        return "above bound" if model >= published else "BELOW BOUND"
    return "compared"


def _verdict(comparison: str, published: float, model: float | None, band: float) -> str:
    if model is None or not np.isfinite(model):
        return NO_VERDICT
    if comparison == "upper_bound":
        return WITHIN if model <= published else OUTSIDE
    if comparison == "lower_bound":
        return WITHIN if model >= published else OUTSIDE
    if published == 0:
        return NO_VERDICT
    return WITHIN if 1.0 / band <= model / published <= band else OUTSIDE


def outside_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Validation rows (not calibration diagnostics) whose verdict is :data:`OUTSIDE`."""
    return table[(table["kind"] == "validation") & (table["verdict"] == OUTSIDE)]


def validation_table(ds: xr.Dataset, *, scenario: str | None = None,
                     targets: Sequence[Mapping[str, Any]] | None = None) -> pd.DataFrame:
    """Published figures beside the model's values for the same definitions.

    Parameters
    ----------
    ds : xarray.Dataset
        A projection (``lossproj.api.project``); replicates are averaged.
    scenario : str, optional
        Default: ``baseline`` if present, else the first scenario.
    targets : sequence of mapping, optional
        Default: the packaged ``configs/validation_targets.toml``.

    Returns
    -------
    pandas.DataFrame
        Columns ``id, kind, figure, year, geography, published, unit, model, ratio, status,
        verdict, note, source``; ``ratio`` = model / published; ``verdict`` is ``within``
        (inside the target's ``ratio_band``, default :data:`DEFAULT_RATIO_BAND`, or on the
        right side of a bound), ``OUTSIDE`` or ``-`` (nothing to compare); ``status`` is ``compared``, ``below
        bound`` / ``ABOVE BOUND`` (upper bounds), ``above bound`` / ``BELOW BOUND`` (lower
        bounds), ``not computable`` (the model cannot give it; ``note`` says why), ``not in
        result`` (this result lacks the years, region or variable) or ``missing values`` (the
        result's values are NaN: never compared, never counted as 0). The table's ``attrs``
        record the scenario.
    """
    targets = load_validation_targets() if targets is None else targets
    scenario = _pick_scenario(ds, scenario)
    one = replicate_mean(ds).sel(scenario=scenario)
    rows = []
    for target in targets:
        spec = target.get("model", {})
        published = float(target["published"])
        row = {k: target.get(k, "") for k in ("id", "kind", "figure", "year", "geography",
                                               "unit", "source")}
        row["published"] = published
        if "unavailable" in spec:
            row.update(model=np.nan, ratio=np.nan, status="not computable", verdict=NO_VERDICT,
                       note=spec["unavailable"])
        else:
            value, reason = model_value(one, spec)
            row["model"] = np.nan if value is None else value
            row["ratio"] = np.nan if value is None or published == 0 else value / published
            comparison = target.get("comparison", "approximate")
            row["status"] = _status(comparison, published, value, reason)
            row["verdict"] = _verdict(comparison, published, value,
                                      float(target.get("ratio_band", DEFAULT_RATIO_BAND)))
            row["note"] = reason or spec.get("note", "")
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table.attrs["scenario"] = scenario
    return table


def _fmt(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def format_table(table: pd.DataFrame) -> str:
    """A plain-text rendering of :func:`validation_table` (validation rows, then diagnostics)."""
    scenario = table.attrs.get("scenario", "")
    lines = [f"lossproj validation against published figures (scenario {scenario!r})",
             "Published figures differ by definition; 'note' says how the model's differs.", ""]
    for kind, title in (("validation", "Validation (out-of-sample)"),
                        ("calibration", "Calibration fit diagnostics (inputs, not validation)")):
        part = table[table["kind"] == kind]
        if part.empty:
            continue
        shown = pd.DataFrame({
            "id": part["id"],
            "figure": part["figure"].str.slice(0, 58),
            "year": part["year"],
            "geography": part["geography"].str.slice(0, 20),
            "published": part["published"].map(_fmt),
            "model": part["model"].map(_fmt),
            "ratio": part["ratio"].map(lambda r: "-" if not np.isfinite(r) else f"{r:.3g}"),
            "status": part["status"],
            "verdict": part["verdict"],
        })
        lines += [title, shown.to_string(index=False), ""]
    lines.append(f"verdict: 'within' = model / published in [1/{DEFAULT_RATIO_BAND:g}, "
                 f"{DEFAULT_RATIO_BAND:g}] (unless a target sets its own ratio_band) or on the "
                 "right side of a bound; 'OUTSIDE' otherwise; '-' nothing to compare.")
    lines.append("")
    lines.append("Notes:")
    seen: dict[tuple[str, str], list[str]] = {}
    for _, row in table.iterrows():
        if row["note"]:
            seen.setdefault((row["id"], row["note"]), []).append(row["figure"])
    for (ident, note), _figures in seen.items():
        lines.append(f"  {ident}: {note}")
    lines.append("")
    lines.append("Sources:")
    sources = dict.fromkeys(zip(table["id"], table["source"], strict=True))
    for ident, source in sources:
        lines.append(f"  {ident}: {source}")
    return "\n".join(lines)
