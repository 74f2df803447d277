"""Scenarios as pure functions: a config's differences applied to baseline rates."""

from __future__ import annotations

import dataclasses

import numpy as np

from lossproj import data
from lossproj.conventions import Transition
from lossproj.errors import ConfigError, DataError
from lossproj.rates import child_mortality, replacement
from lossproj.rates.bundle import A_MAX, FERT_MAX, FERT_MIN, ParityModel, RateBundle

#: Last year of WPP 2024 estimates; `mortality.improvement` scales the projected change after it.
WPP_LAST_ESTIMATE_YEAR = 2023
#: Ages whose death rates `mortality.child_mortality_multiplier` scales (children of mothers
#: up to the ages at which the model's children can die before their parents matter).
CHILD_AGES = (0, 49)
TRANSITIONS = ("first", "second", "third", "fourth_plus")
#: Era parameters that are shares of women, not relative levels (docs/model.md).
SHARES = ("stop_after_first", "sterile")
#: First year of the eras whose levels carry provincial multipliers (one-child policy on).
PROVINCIAL_RULES_FROM = 1980
#: Packaged table of fitted parity levels (fitted by `lossproj data build --calibrate`).
CALIBRATION_TABLE = "parity_calibration.csv"
#: An era value or ``parity.province_one_child_multiplier`` taken from that table.
CALIBRATED = "calibrated"
#: Era keys that may be ``"calibrated"`` (the calibration fits them).
CALIBRATED_KEYS = ("second", "third", "fourth_plus", "stop_after_first", "sterile")
#: Era keys that are always stated numbers.
ERA_NUMBERS = ("never_replace",)
#: Starting values of a calibration for ``"calibrated"`` keys without a packaged fit
#: [relative level; shares]: mid-range values inside the calibration's bounds.
CALIBRATION_START = {"second": 0.5, "third": 0.3, "fourth_plus": 0.3,
                     "stop_after_first": 0.1, "sterile": 0.01}


def apply_rates(bundle: RateBundle, config) -> RateBundle:
    """The bundle with the scenario's fertility and mortality changes (no side effects)."""
    mx = bundle.mx.copy()
    asfr = bundle.asfr.copy()
    years = bundle.years
    notes = list(bundle.assumptions)

    fert = config.fertility
    if fert.tfr_path is not None:
        path_years = np.asarray(fert.tfr_path.years)
        path_tfr = np.asarray(fert.tfr_path.tfr, dtype=float)
        target = np.interp(years, path_years, path_tfr)
        national = _national_tfr(bundle)
        factor = np.where(national > 0, target / np.where(national > 0, national, 1.0), 1.0)
        after = years >= path_years[0]
        asfr[:, after] *= factor[after][None, :, None]
        notes.append(f"National TFR follows the scenario path from {path_years[0]} on.")

    mort = config.mortality
    if mort.improvement != 1.0 and bundle.name.startswith("china"):
        i0 = bundle.year_index(WPP_LAST_ESTIMATE_YEAR)
        log0 = np.log(np.maximum(mx[:, :, i0 : i0 + 1], 1e-300))
        logm = np.log(np.maximum(mx[:, :, i0:], 1e-300))
        mx[:, :, i0:] = np.exp(log0 + mort.improvement * (logm - log0))
        notes.append(f"Mortality decline after {WPP_LAST_ESTIMATE_YEAR} scaled by {mort.improvement}.")
    if mort.child_mortality_multiplier != 1.0:
        mx[..., CHILD_AGES[0] : CHILD_AGES[1] + 1] *= mort.child_mortality_multiplier
    for shock in mort.shocks:
        sexes = {"female": [0], "male": [1], "both": [0, 1]}[shock.sex]
        y0 = max(shock.first_year, bundle.first_year) - bundle.first_year
        y1 = min(shock.last_year, bundle.last_year) - bundle.first_year
        for s in sexes:
            mx[:, s, y0 : y1 + 1, shock.age_min : min(shock.age_max, A_MAX) + 1] *= shock.multiplier

    child_factor = None
    if config.mortality.by_birth_order == "residence":
        child_factor = child_mortality.relative_child_mortality(
            bundle.first_year, bundle.last_year, data.child_mortality_residence(), data.births_by_order()
        )
        notes.append(
            "First-born and later-born children at ages 0-4 die at the national rate times their "
            "relative mortality from urban/rural under-5 mortality and the residence of births by "
            "order (data/child_mortality_residence.csv, data/births_by_order.csv; "
            "mortality.by_birth_order = 'residence')."
        )
    tiy = config.rates.time_invariant_year
    if tiy is not None:
        i = bundle.year_index(tiy)
        mx[:] = mx[:, :, i : i + 1]
        asfr[:] = asfr[:, i : i + 1]
        notes.append(f"All rates held at their {tiy} values (time-invariant case).")
    srb = bundle.srb if tiy is None else np.full_like(bundle.srb, bundle.srb[bundle.year_index(tiy)])
    if child_factor is not None and tiy is not None:
        child_factor[:] = child_factor[:, bundle.year_index(tiy)][:, None]
    return dataclasses.replace(bundle, mx=mx, asfr=asfr, srb=srb, child_mx_factor=child_factor,
                               assumptions=tuple(notes))


def _national_tfr(bundle: RateBundle) -> np.ndarray:
    """Population-weighted TFR of the bundle's regions by year (women 15–49 of the base)."""
    w = bundle.base_population[:, 0, FERT_MIN : FERT_MAX + 1].sum(axis=1)
    tfr = bundle.asfr.sum(axis=-1)  # (region, year)
    return (w[:, None] * tfr).sum(axis=0) / w.sum()


def _calibration_table():
    """The packaged fitted parity levels (``data/parity_calibration.csv``).

    Raises
    ------
    DataError
        If the table is missing (a scenario asked for ``"calibrated"`` values) or malformed.
    """
    directory = data.active_data_dir()
    if not (directory / CALIBRATION_TABLE).exists():
        raise DataError(
            f"{CALIBRATION_TABLE} is missing from {directory}; the scenario asks for "
            '"calibrated" parity levels. Restore the table (`lossproj data build --calibrate` '
            'writes it) or state numbers instead of "calibrated" in parity.eras and '
            "parity.province_one_child_multiplier (docs/configuration.md)"
        )
    return data.load_table(CALIBRATION_TABLE)


def calibrated_levels(province_rule: str) -> tuple[dict, dict]:
    """Fitted era levels and provincial one-child multipliers from ``data/parity_calibration.csv``.

    Returns ``({era: {transition: value}}, {region: {"second": m2, "third": m3}})`` with the
    provincial multipliers fitted on the provincial fertility of ``province_rule``.

    Raises
    ------
    DataError
        If the table is missing, a share is outside 0..1, or the table has no provincial
        multipliers for the rule.
    """
    table = _calibration_table()
    eras: dict = {}
    provinces: dict = {}
    for row in table.itertuples(index=False):
        if row.kind == "era":
            if row.parameter in SHARES and not 0.0 <= float(row.value) <= 1.0:
                raise DataError(
                    f"{CALIBRATION_TABLE}: era {row.name!r} parameter {row.parameter!r} is "
                    f"{row.value}; a share must be in 0..1"
                )
            eras.setdefault(row.name, {})[row.parameter] = float(row.value)
        elif row.kind == "province" and row.province_rule == province_rule:
            key = "third" if row.parameter.startswith("third") else "second"
            provinces.setdefault(row.name, {})[key] = float(row.value)
    rules = sorted(set(table.loc[table["kind"] == "province", "province_rule"]))
    if rules and not provinces:
        raise DataError(
            f"{CALIBRATION_TABLE}: no provincial multipliers fitted for fertility.province_rule "
            f"{province_rule!r}; the table has {', '.join(rules)} (`lossproj data build --calibrate` fits them)"
        )
    return eras, provinces


def _asks_calibrated(config) -> bool:
    return any(getattr(e, k) == CALIBRATED for e in config.parity.eras for k in CALIBRATED_KEYS)


def resolved_parity(config, *, start: bool = False) -> dict:
    """The parity parameters a scenario runs with: every ``"calibrated"`` value resolved.

    Precedence (docs/configuration.md, "Calibrated values"): a number stated in the scenario
    (or inherited from its base) is used as it is; ``"calibrated"`` takes the fitted value of
    the same era and key from ``data/parity_calibration.csv``; provincial multipliers come from
    the table only when ``parity.province_one_child_multiplier = "calibrated"``.

    Parameters
    ----------
    config : ScenarioConfig
    start : bool
        Starting values of a new calibration: ``"calibrated"`` values take the packaged fit
        where there is one, else :data:`CALIBRATION_START` (no error for a missing table).

    Returns
    -------
    dict
        ``{"eras": [{name, first_year, last_year, <key>: value, ..., "calibrated": [keys]}],
        "province_multipliers": {region: {"second": m2, "third": m3}}, "province_multipliers_from":
        "calibration" | "scenario"}`` — recorded in the Dataset attributes and ``run.json``.

    Raises
    ------
    DataError
        If a ``"calibrated"`` value has no fitted value (table missing, era not in it).
    """
    p = config.parity
    wants_prov = p.province_one_child_multiplier == CALIBRATED
    fitted_eras: dict = {}
    fitted_prov: dict = {}
    if start:
        fitted_eras = _maybe_fitted(config)
    elif wants_prov or _asks_calibrated(config):
        fitted_eras, fitted_prov = calibrated_levels(config.fertility.province_rule)
    eras = []
    for i, era in enumerate(p.eras):
        row = {"name": era.name, "first_year": era.first_year, "last_year": era.last_year}
        from_table = []
        for key in (*CALIBRATED_KEYS, *ERA_NUMBERS):
            value = getattr(era, key)
            if value == CALIBRATED:
                fitted = fitted_eras.get(era.name, {}).get(key)
                if fitted is None and start:
                    fitted = CALIBRATION_START[key]
                if fitted is None:
                    known = ", ".join(sorted(fitted_eras)) or "none"
                    raise DataError(
                        f"scenario {config.name!r}: parity.eras[{i}].{key} = \"calibrated\" but "
                        f"{CALIBRATION_TABLE} has no fitted {key} for era {era.name!r} (eras in the "
                        f"table: {known}); state a number for it, or name the era as in the table"
                    )
                value = fitted
                from_table.append(key)
            row[key] = float(value)
        row["calibrated"] = from_table
        eras.append(row)
    if wants_prov:
        provinces, origin = fitted_prov, "calibration"
    else:
        provinces = {r: {"second": float(m)} for r, m in p.province_one_child_multiplier}
        origin = "scenario"
    return {"eras": eras, "province_multipliers": provinces, "province_multipliers_from": origin}


def _maybe_fitted(config) -> dict:
    try:
        return calibrated_levels(config.fertility.province_rule)[0]
    except DataError:
        return {}


def calibration_start(config):
    """``config`` with every ``"calibrated"`` era value replaced by its starting value for a
    new calibration (the packaged fit where there is one, else :data:`CALIBRATION_START`)."""
    resolved = resolved_parity(config, start=True)["eras"]
    eras = tuple(
        dataclasses.replace(era, **{k: row[k] for k in CALIBRATED_KEYS})
        for era, row in zip(config.parity.eras, resolved, strict=True)
    )
    return dataclasses.replace(config, parity=dataclasses.replace(config.parity, eras=eras))


def parity_model(bundle: RateBundle, config, *, levels=None, province_multipliers=None) -> ParityModel:
    """The scenario's parity progression on the bundle's grid.

    Parameters
    ----------
    levels : dict or None — ``{era name: {transition: value}}`` overriding the config's era
        levels (the calibration passes its trial values here); by default the levels of
        :func:`resolved_parity` (stated numbers; the packaged fit where the config says
        ``"calibrated"``).
    province_multipliers : dict or None — ``{region: {"second": m2, "third": m3}}`` multiplying
        the second-birth level (m2) and the third and higher levels (m3) of every era from
        :data:`PROVINCIAL_RULES_FROM` on (provincial family-planning rules); a plain number
        is m2.
    """
    p = config.parity
    years = bundle.years
    n_r = len(bundle.regions)
    rel = np.zeros((n_r, len(Transition), years.size))
    rel[:, Transition.FIRST] = 1.0
    stop = np.zeros((n_r, years.size))
    sterile = np.zeros((n_r, years.size))
    era_never = np.zeros(years.size)
    resolved = resolved_parity(config, start=levels is not None)
    if levels is None:
        levels = {}
    if province_multipliers is None:
        province_multipliers = resolved["province_multipliers"]
    covered = np.zeros(years.size, dtype=bool)
    for era, row in zip(p.eras, resolved["eras"], strict=True):
        sel = (years >= era.first_year) & (years <= era.last_year)
        covered |= sel
        values = row | levels.get(era.name, {})
        stop[:, sel] = values["stop_after_first"]
        sterile[:, sel] = values["sterile"]
        rel[:, Transition.SECOND, sel] = values["second"]
        rel[:, Transition.THIRD, sel] = values["third"]
        rel[:, Transition.FOURTH_PLUS, sel] = values["fourth_plus"]
        era_never[sel] = era.never_replace
        if era.first_year >= PROVINCIAL_RULES_FROM:
            for r, name in enumerate(bundle.regions):
                m = province_multipliers.get(name, 1.0)
                m2, m3 = (m, 1.0) if np.isscalar(m) else (m.get("second", 1.0), m.get("third", 1.0))
                rel[r, Transition.SECOND, sel] *= m2
                rel[r, Transition.THIRD :, sel] *= m3
    # years outside every era take the levels of the nearest era year
    if not covered.all():
        idx = np.flatnonzero(covered)
        if idx.size == 0:
            raise ConfigError(
                f"no policy era covers the rate years {years[0]}..{years[-1]}; check parity.eras"
            )
        nearest = idx[np.abs(np.arange(years.size)[:, None] - idx[None, :]).argmin(axis=1)]
        rel[:, Transition.SECOND :] = rel[:, Transition.SECOND :, nearest]
        stop = stop[:, nearest]
        sterile = sterile[:, nearest]
        era_never = era_never[nearest]
    if config.rates.time_invariant_year is not None:
        i = bundle.year_index(config.rates.time_invariant_year)
        rel[:] = rel[:, :, i : i + 1]
        stop[:] = stop[:, i : i + 1]
        sterile[:] = sterile[:, i : i + 1]
        era_never[:] = era_never[i]
    rp = config.replacement
    never = replacement.never_replace_share(
        replacement.infecund_by_age(rp.infecund_ages, rp.infecund_share), era_never, rp.never_multiplier
    )
    if not rp.enabled:
        never[:] = 1.0  # diagnostic: no birth after the loss
    replace_share = np.broadcast_to(1.0 - never, (n_r, *never.shape))

    gap_values, gap_pmf = _spouse_gap(config)
    return ParityModel(
        rel=rel,
        dur1=np.asarray(p.duration_second, dtype=float),
        replace_share=replace_share,
        wait_pmf=np.asarray(rp.wait_pmf, dtype=float),
        union_age=int(config.family.union_age),
        gap_values=gap_values,
        gap_pmf=gap_pmf,
        eligibility_age=int(config.family.eligibility_age),
        stop=stop,
        sterile=sterile,
    )


def _spouse_gap(config) -> tuple[np.ndarray, np.ndarray]:
    gap = config.family.spouse_age_gap
    if isinstance(gap, str):
        da = data.spouse_age_gap()
        values = np.asarray(da["gap"].values, dtype=np.int64)
        pmf = np.asarray(da.values, dtype=float)
    else:
        values = np.asarray(gap.gaps, dtype=np.int64)
        pmf = np.asarray(gap.probabilities, dtype=float)
    return values, pmf / pmf.sum()
