"""Parity calibration: era levels of birth-order progression fitted through the engine's own states.

The all-order ASFR is reproduced exactly by the intensity solve (docs/model.md); what the
calibration sets is how births split by order. It runs the expected-value engine's state
process — child mortality and replacement after loss switched on — and fits, by least squares:

1. national era levels (second, third, fourth+ relative to the first-birth level) to the cohort
   parity distributions of Duan & Chen (2022) (shares childless / one child / two or more at the
   end of childbearing, and births of order 3+ per woman), the census birth-order shares of
   births in 2010 and 2020, and the 2010 census order-specific fertility rates by age;
2. two multipliers per province, of the second-birth level and of the third-and-higher levels
   of every era from 1980 on (provincial family-planning rules), to that province's census
   birth-order shares of 2010 and 2020.

Replacement after loss is its own process with sourced parameters (config ``[replacement]``),
not fitted: no table of births after the loss of an only child exists. Its births are second
(or higher) births like any other and count in the order shares the fit meets.
Mean children ever born and surviving of women 15–64 in 2020 by province follow from the ASFR
history, not from the levels: the provincial fertility rule (``fertility.province_rule``) is
what meets them. They are reported absolute and relative to the national mean; the absolute
rows carry the national gap between the census means and WPP's fertility history
(:func:`mark_attainable`).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from lossproj import data, regions, scenarios
from lossproj.conventions import PROVINCE_RULES, State
from lossproj.engines.expected import run_region_cohorts
from lossproj.rates import assemble
from lossproj.rates.bundle import FERT_MAX, FERT_MIN, RateBundle
from lossproj.rates.population import project_population

#: Revision of the state process that the packaged fit was made with; raise it with every change
#: of the engine that moves the fit (the fingerprint test then fails until the fit is redone).
MODEL_REVISION = 2  # 2: replacement after loss as its own process

logger = logging.getLogger(__name__)

TRANSITIONS = ("second", "third", "fourth_plus")
#: Era shares fitted with the levels (scenarios.SHARES): women who stop after the first child,
#: sterile women.
SHARES = ("stop_after_first", "sterile")
#: Age at which cohort parity is read (end of childbearing in the model).
COMPLETED_AGE = FERT_MAX + 1
#: Census years of the birth-order tables; their births fall in the step ``year − 1 → year``.
CENSUS_YEARS = (2010, 2020)
#: Weights of the target groups in the least-squares loss [dimensionless].
WEIGHTS = {"cohort": 1.0, "order_share": 5.0, "order_asfr_2010": 3.0}
#: Bounds of the fitted levels [relative to the first-birth level]: a homogeneous parity model
#: cannot reproduce the few one-child and childless women of high-fertility cohorts, and
#: without bounds the fit escapes to degenerate levels trying to.
LOG_BOUNDS = (np.log(0.05), np.log(5.0))
#: Bounds of the fitted shares [share of first births; share of women]: stopping is bounded
#: below 0.9 (the one-child policy never stopped nine mothers in ten) and sterility below 0.1
#: (primary sterility is a few per cent in any population).
SHARE_BOUNDS = {"stop_after_first": (0.0, 0.9), "sterile": (0.0, 0.1)}
#: Bounds of the provincial multipliers [dimensionless].
PROVINCE_LOG_BOUNDS = (np.log(0.1), np.log(10.0))
#: Tolerance of the cohort births of order 3+ per woman [children per woman] (about 5 % of
#: the 1930s cohorts' 3 births; the share targets of the same table use the group's value).
TOLERANCE_CCFR3PLUS = 0.15
#: Target groups of the mean children ever born / surviving of women 15–64 in 2020.
CEB_TARGET = "mean CEB women 15-64, 2020"
CEB_RELATIVE_TARGET = "mean CEB women 15-64, 2020, relative to national"
#: Declared tolerances |model − observed| by target group [units of the target]. Rounded
#: published shares (two decimals) and sample census counts bound what a fit can promise.
TOLERANCES = {
    "cohort parity (Duan & Chen 2022)": 0.03,
    "birth-order share (census)": 0.02,
    "order-specific ASFR 2010 (census)": 0.01,
    CEB_TARGET: 0.05,
    CEB_RELATIVE_TARGET: 0.04,
}
#: Loss of the least squares on residuals in units of their tolerance (scipy least_squares):
#: quadratic within the tolerance, linear beyond it, so that targets no parity model can meet
#: (they conflict with the ASFR input; see ``attainable`` in the report) do not drag the fit.
LOSS = "soft_l1"


#: ``province_rule`` of the era rows of the calibration table: they hold under every rule.
ALL_RULES = "all"


def _tolerance(target: str, group: str) -> float:
    """Declared tolerance of a target row [units of the target]."""
    return TOLERANCE_CCFR3PLUS if group.endswith("ccfr3plus") else TOLERANCES[target]


#: Cohort targets only for cohorts whose childbearing lies in the rate data (from 1950 on).
FIRST_TARGET_COHORT = 1935


@dataclasses.dataclass(frozen=True)
class CalibrationResult:
    """Fitted levels and the fit report.

    eras : dict {era: {transition: value}}
    provinces : dict {region: {"second": m2, "third": m3}} multipliers of the levels from 1980 on
    report : DataFrame with columns target, group, observed, fitted, residual, used_in_fit
    province_rule : the provincial fertility rule the multipliers were fitted on
    """

    eras: dict
    provinces: dict
    report: pd.DataFrame
    province_rule: str = ALL_RULES

    def to_table(self) -> pd.DataFrame:
        """Rows for ``data/parity_calibration.csv``."""
        units = {"stop_after_first": "share of first births", "sterile": "share of women"}
        rows = [
            ("era", era, t, ALL_RULES, v, units.get(t, "relative to the first-birth level"), "lossproj calibration")
            for era, levels in self.eras.items()
            for t, v in levels.items()
        ] + [
            ("province", r, f"{k}_multiplier", self.province_rule, v, "multiplier", "lossproj calibration")
            for r, m in self.provinces.items()
            for k, v in m.items()
        ]
        return pd.DataFrame(rows, columns=["kind", "name", "parameter", "province_rule", "value", "unit", "source"])


def _births_by_order(out, n_cohorts: int) -> np.ndarray:
    """Births by order (1, 2, 3+) in the step starting at age ``a``, per woman: [C, A, 3]."""
    q = out.q
    first = q[:, :-1, State.P0] - q[:, 1:, State.P0]
    two_plus = q[:, :, State.P2] + q[:, :, State.P3]
    second = two_plus[:, 1:] - two_plus[:, :-1]
    total = out.ceb[:, 1:] - out.ceb[:, :-1]
    third = total - first - second
    res = np.zeros((n_cohorts, q.shape[1], 3))
    res[:, :-1] = np.stack([first, second, third], axis=-1)
    return np.clip(res, 0.0, None)


class _Model:
    """Evaluates targets for one region's bundle under trial levels."""

    def __init__(self, bundle: RateBundle, config):
        self.bundle = bundle
        self.config = config
        self.pop = project_population(bundle)
        self.first_cohort = bundle.first_year
        self.last_cohort = max(CENSUS_YEARS)

    def run(self, levels: dict, multiplier: dict | None = None):
        name = self.bundle.regions[0]
        prov = None if multiplier is None else {name: multiplier}
        parity = scenarios.parity_model(self.bundle, self.config, levels=levels, province_multipliers=prov or {})
        out = run_region_cohorts(
            self.bundle.mx[0], self.bundle.asfr[0], self.bundle.srb, self.bundle.first_year,
            parity.rel[0], parity.dur1, parity.replace_share[0], parity.wait_pmf, parity.union_age,
            self.first_cohort, self.last_cohort, stop=parity.stop[0], sterile=parity.sterile[0],
        )
        return out

    def order_shares(self, out, year: int) -> np.ndarray:
        """Shares of births of order 1, 2, 3+ in the step ``year−1 → year``."""
        b = _births_by_order(out, out.q.shape[0])
        t = year - 1
        ages = np.arange(FERT_MIN, FERT_MAX + 1)
        ci = t - ages - self.first_cohort
        w = self.pop.population[0, 0, t - self.pop.first_year, ages]
        births = (w[:, None] * b[ci, ages]).sum(axis=0)
        return births / births.sum()

    def order_asfr(self, out, year: int) -> np.ndarray:
        """Order-specific births per woman by age in the step ``year−1 → year``: [35, 3]."""
        b = _births_by_order(out, out.q.shape[0])
        ages = np.arange(FERT_MIN, FERT_MAX + 1)
        return b[year - 1 - ages - self.first_cohort, ages]


def _cohort_targets(model: _Model, out, table: pd.DataFrame):
    rows = []
    for r in table.itertuples(index=False):
        ci = int(r.cohort) - model.first_cohort
        if int(r.cohort) < FIRST_TARGET_COHORT or not 0 <= ci < out.q.shape[0]:
            continue
        q = out.q[ci, COMPLETED_AGE]
        fitted = {
            "share_childless": q[State.P0],
            "share_one": q[State.N1] + q[State.D1],
            "share_two_plus": q[State.P2] + q[State.P3],
            "ccfr3plus": out.ceb[ci, COMPLETED_AGE] - (1 - q[State.P0]) - (q[State.P2] + q[State.P3]),
        }
        for key, val in fitted.items():
            obs = getattr(r, key)
            if pd.notna(obs):
                rows.append(("cohort parity (Duan & Chen 2022)", f"cohort {int(r.cohort)} {key}", float(obs), float(val), WEIGHTS["cohort"]))
    return rows


def _order_targets(model: _Model, out, region: str, orders: pd.DataFrame):
    rows = []
    for year in CENSUS_YEARS:
        sel = orders[(orders.census_year == year) & (orders.region == region) & (orders.residence == "total")]
        if sel.empty:
            continue
        fitted = model.order_shares(out, year)
        for i, order in enumerate(("1", "2", "3+")):
            obs = sel.loc[sel.order.astype(str) == order, "share"]
            if not obs.empty:
                rows.append(("birth-order share (census)", f"{region} {year} order {order}", float(obs.iloc[0]), float(fitted[i]), WEIGHTS["order_share"]))
    return rows


def _asfr_targets(model: _Model, out, table: pd.DataFrame):
    rows = []
    fitted = model.order_asfr(out, 2010)
    for r in table.itertuples(index=False):
        i = int(r.age) - FERT_MIN
        j = {"1": 0, "2": 1, "3+": 2}[str(r.order)]
        rows.append(("order-specific ASFR 2010 (census)", f"age {int(r.age)} order {r.order}", float(r.asfr), float(fitted[i, j]), WEIGHTS["order_asfr_2010"]))
    return rows


def _levels_from(theta: np.ndarray, eras) -> dict:
    """Era parameters from the fitted vector: log levels, then shares, per era."""
    vals = theta.reshape(len(eras), len(TRANSITIONS) + len(SHARES))
    out = {}
    for e, v in zip(eras, vals, strict=True):
        levels = dict(zip(TRANSITIONS, map(float, np.exp(v[: len(TRANSITIONS)])), strict=True))
        out[e.name] = levels | dict(zip(SHARES, map(float, v[len(TRANSITIONS) :]), strict=True))
    return out


def _start_and_bounds(eras, last_cohort: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Starting vector (the config's era values) and bounds of :func:`_levels_from`'s vector.

    The sterile share of an era is fitted only if a cohort with a parity target
    (``last_cohort`` the latest) reaches ``FERT_MIN`` in it: only completed cohorts identify
    childlessness. Otherwise both bounds are the config's value (held fixed).
    """
    x0, lo, hi = [], [], []
    for e in eras:
        for t in TRANSITIONS:
            x0.append(np.clip(np.log(max(getattr(e, t), 1e-3)), *LOG_BOUNDS))
            lo.append(LOG_BOUNDS[0])
            hi.append(LOG_BOUNDS[1])
        for name in SHARES:
            b = SHARE_BOUNDS[name]
            start = float(np.clip(getattr(e, name), b[0], b[1]))
            if name == "sterile" and e.first_year > last_cohort + FERT_MIN:
                b = (start, start + 1e-12)  # not identified: held (scipy needs lo < hi)
            x0.append(start)
            lo.append(b[0])
            hi.append(b[1])
    return np.asarray(x0), np.asarray(lo), np.asarray(hi)


def calibrate(config, *, provinces: bool = True, max_nfev: int = 60, eras: dict | None = None) -> CalibrationResult:
    """Fit era levels nationally, then provincial one-child multipliers (module docstring).

    The provincial multipliers are fitted on the provincial fertility of the config's
    ``fertility.province_rule``. With ``eras`` (``CalibrationResult.eras`` of an earlier
    call), the national fit is skipped and those era values are used: the national fit does
    not depend on the provincial rule.
    """
    config = scenarios.calibration_start(config)  # "calibrated" era values: starting values
    orders = data.births_by_order()
    if eras is None:
        levels, report_rows = _fit_national(config, orders, max_nfev)
    else:
        levels, report_rows = eras, []

    multipliers: dict = {}
    if provinces:
        base = assemble.china_bundle(
            config.mortality.province_levels, config.fertility.variant,
            province_rule=config.fertility.province_rule,
        )
        base = scenarios.apply_rates(base, config)
        ceb = {}
        for name in regions.PROVINCE_NAMES:
            pm = _Model(base.select([name]), config)

            def prov_res(x, pm=pm, name=name):
                m = {"second": float(np.exp(x[0])), "third": float(np.exp(x[1]))}
                out = pm.run(levels, multiplier=m)
                return np.asarray([w * (f - o) / _tolerance(t, g) for t, g, o, f, w in _order_targets(pm, out, name, orders)])

            pf = least_squares(prov_res, np.zeros(2), bounds=PROVINCE_LOG_BOUNDS, max_nfev=40, loss=LOSS)
            multipliers[name] = {"second": float(np.exp(pf.x[0])), "third": float(np.exp(pf.x[1]))}
            out = pm.run(levels, multiplier=multipliers[name])
            report_rows += [(t, g, o, f, True) for t, g, o, f, _ in _order_targets(pm, out, name, orders)]
            ceb[name] = _mean_ceb_2020(pm, out)
        report_rows += _ceb_rows(ceb)
    report = pd.DataFrame(report_rows, columns=["target", "group", "observed", "fitted", "used_in_fit"])
    report["residual"] = report["fitted"] - report["observed"]
    report["tolerance"] = [_tolerance(t, g) for t, g in zip(report["target"], report["group"], strict=True)]
    report["within_tolerance"] = report["residual"].abs() <= report["tolerance"]
    rule = config.fertility.province_rule if provinces else ALL_RULES
    return CalibrationResult(eras=levels, provinces=multipliers, report=mark_attainable(report), province_rule=rule)


def _fit_national(config, orders: pd.DataFrame, max_nfev: int) -> tuple[dict, list]:
    """National era levels and shares, and their report rows."""
    # eras starting after the last census step have no target: they keep the config's values
    eras = [e for e in config.parity.eras if e.first_year < max(CENSUS_YEARS)]
    kept = {
        e.name: {name: float(getattr(e, name)) for name in TRANSITIONS + SHARES}
        for e in config.parity.eras
        if e.first_year >= max(CENSUS_YEARS)
    }
    national = scenarios.apply_rates(assemble.china_national_bundle(config.fertility.variant), config)
    model = _Model(national, config)
    cohorts = data.parity_cohort()
    asfr2010 = data.parity_order_rates_2010()

    def rows_for(theta):
        out = model.run(_levels_from(theta, eras))
        return (
            _cohort_targets(model, out, cohorts)
            + _order_targets(model, out, regions.NATIONAL, orders)
            + _asfr_targets(model, out, asfr2010)
        )

    def residuals(theta):
        return np.asarray([w * (fit - obs) / _tolerance(t, g) for t, g, obs, fit, w in rows_for(theta)])

    last_target_cohort = int(cohorts["cohort"].max())
    theta0, lo, hi = _start_and_bounds(eras, last_target_cohort)
    fit = least_squares(residuals, theta0, bounds=(lo, hi), max_nfev=max_nfev, x_scale=1.0, loss=LOSS)
    levels = _levels_from(fit.x, eras) | kept
    return levels, [(t, g, o, f, True) for t, g, o, f, _ in rows_for(fit.x)]


#: Identities that tie target rows to a total the parity model cannot change (it is fixed by
#: the ASFR input): ``{target: (row-group pattern, key of the linked set, {row kind: sign})}``.
#: A cohort's children ever born, (1 − childless) + two-plus + births of order 3+, is the sum
#: of the ASFR along its diagonal; the 2010 order-specific rates at an age add up to the
#: all-order ASFR of that age.
_IDENTITIES = {
    "cohort parity (Duan & Chen 2022)": (
        r"^cohort (\d+) (share_childless|share_two_plus|ccfr3plus)$",
        {"share_childless": -1.0, "share_two_plus": 1.0, "ccfr3plus": 1.0},
    ),
    "order-specific ASFR 2010 (census)": (
        r"^age (\d+) order (1|2|3\+)$",
        {"1": 1.0, "2": 1.0, "3+": 1.0},
    ),
}


def mark_attainable(report: pd.DataFrame) -> pd.DataFrame:
    """Add ``input_gap`` and ``attainable``: can any parity model meet the rows' tolerances?

    Rows tied by an identity (:data:`_IDENTITIES`) have residuals whose signed sum equals
    ``input_gap`` = (model total fixed by the ASFR input) − (total implied by the targets),
    whatever the parity levels. If ``|input_gap|`` exceeds the sum of the rows' tolerances, no
    fit can put all of them within tolerance: they are marked ``attainable = False`` (the
    targets conflict with the fertility input, e.g. census under-reporting against WPP).
    The absolute mean-CEB rows get the national census gap (:func:`_mark_ceb_level_gap`).
    Other rows are ``attainable = True`` with ``input_gap`` NaN.
    """
    report = report.copy()
    report["input_gap"] = np.nan
    report["attainable"] = True
    for target, (pattern, signs) in _IDENTITIES.items():
        sel = report["target"] == target
        parts = report.loc[sel, "group"].str.extract(pattern)
        parts = parts.dropna()
        if parts.empty:
            continue
        sign = parts[1].map(signs)
        rows = report.loc[parts.index]
        frame = pd.DataFrame({
            "key": parts[0],
            "signed": sign * rows["residual"],
            "tol": rows["tolerance"],
            "n": 1,
        })
        sums = frame.groupby("key").agg(gap=("signed", "sum"), tol=("tol", "sum"), n=("n", "sum"))
        sums = sums[sums["n"] == len(signs)]  # only complete sets
        for key, row in sums.iterrows():
            idx = parts.index[parts[0] == key]
            report.loc[idx, "input_gap"] = row["gap"]
            report.loc[idx, "attainable"] = abs(row["gap"]) <= row["tol"]
    _mark_ceb_level_gap(report)
    return report


def _mean_ceb_2020(model: _Model, out) -> tuple[float, float, float]:
    """Model mean children ever born and surviving of women 15–64 in 2020, and those women."""
    ages = np.arange(15, 65)
    ci = 2020 - ages - model.first_cohort
    w = model.pop.population[0, 0, 2020 - model.pop.first_year, ages]
    return float((w * out.ceb[ci, ages]).sum() / w.sum()), float((w * out.surv[ci, ages]).sum() / w.sum()), float(w.sum())


def _ceb_rows(values: dict) -> list:
    """Mean CEB / surviving of women 15–64 in 2020 against the census, absolute and relative.

    ``values`` maps each province to :func:`_mean_ceb_2020`. The national model value is the
    women-weighted mean over the provinces; the relative rows divide each province's value by
    the national one, model and census alike.
    """
    table = data.mean_ceb_2020().set_index("region")
    cols = {"ever born": "mean_children_ever_born", "surviving": "mean_children_surviving"}
    arr = np.asarray(list(values.values()))
    national = dict(zip(cols, (arr[:, :2] * arr[:, 2:]).sum(axis=0) / arr[:, 2].sum(), strict=True))
    rows = [(CEB_TARGET, f"{regions.NATIONAL} {key}", float(table.loc[regions.NATIONAL, col]), national[key], False)
            for key, col in cols.items()]
    for region, vals in values.items():
        for i, (key, col) in enumerate(cols.items()):
            obs = float(table.loc[region, col])
            rows.append((CEB_TARGET, f"{region} {key}", obs, vals[i], False))
            rows.append((CEB_RELATIVE_TARGET, f"{region} {key}", obs / float(table.loc[regions.NATIONAL, col]),
                         vals[i] / national[key], False))
    return rows


def _mark_ceb_level_gap(report: pd.DataFrame) -> None:
    """``input_gap`` of the absolute CEB rows: the national model−census gap, pro rata.

    The national mean children ever born (and surviving) of women 15–64 is set by the national
    level of the provincial fertility rule: WPP's history under the relative rules, which
    implies more children than the census reports. A province whose census mean is
    :math:`C_r` inherits :math:`C_r (M^N / C^N − 1)` of that gap whatever its own history
    (:math:`M^N` the women-weighted model mean over the provinces, :math:`C^N` the census
    national mean). Rows whose gap exceeds the tolerance are not attainable.
    """
    sel = report["target"] == CEB_TARGET
    nat = report[sel & report["group"].str.startswith(f"{regions.NATIONAL} ")]
    for _, n in nat.iterrows():
        key = n["group"].removeprefix(f"{regions.NATIONAL} ")
        rows = sel & report["group"].str.endswith(f" {key}")
        gap = report.loc[rows, "observed"] * (n["fitted"] / n["observed"] - 1.0)
        report.loc[rows, "input_gap"] = gap
        report.loc[rows, "attainable"] = gap.abs() <= report.loc[rows, "tolerance"]


def summarize_fit(report: pd.DataFrame) -> pd.DataFrame:
    """Per target group: rows, rows within the declared tolerance, largest |residual|.

    ``attainable`` counts the rows that some parity model could meet (:func:`mark_attainable`);
    ``attainable_within`` and ``max_abs_residual_attainable`` are computed over those rows.
    """
    if "attainable" not in report:
        report = mark_attainable(report)
    g = report.groupby("target", sort=False)
    att = report[report["attainable"]].groupby("target", sort=False)
    return pd.DataFrame(
        {
            "rows": g.size(),
            "within_tolerance": g["within_tolerance"].sum(),
            "attainable": g["attainable"].sum(),
            "attainable_within": att["within_tolerance"].sum(),
            "tolerance": g["tolerance"].first(),
            "max_abs_residual": g["residual"].apply(lambda r: r.abs().max()),
            "max_abs_residual_attainable": att["residual"].apply(lambda r: r.abs().max()),
        }
    ).fillna({"attainable_within": 0}).reset_index()


def plot_fit(report: pd.DataFrame):
    """Figure: fitted against observed, one panel per target group."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(dict.fromkeys(report["target"]))
    fig, axes = plt.subplots(1, len(groups), figsize=(4.2 * len(groups), 4), squeeze=False)
    for ax, g in zip(axes[0], groups, strict=True):
        sub = report[report["target"] == g]
        ax.scatter(sub["observed"], sub["fitted"], s=10)
        lim = [0, max(sub["observed"].max(), sub["fitted"].max()) * 1.05]
        ax.plot(lim, lim, color="grey", lw=0.8)
        ax.set_title(g, fontsize=9)
        ax.set_xlabel("observed")
        ax.set_ylabel("model")
    fig.tight_layout()
    return fig


#: Census years and cohorts whose national model values fingerprint the packaged fit.
FINGERPRINT_COHORTS = (1940, 1960, 1975)


def fingerprint(config, levels: dict) -> dict[str, float]:
    """National model values under ``levels`` that identify the engine a fit was made with.

    The birth-order shares of the census years and the completed parity shares of a few cohorts
    (:data:`FINGERPRINT_COHORTS`), from one national run of the state process. Recorded with the
    packaged fit (kind ``fingerprint``); a test recomputes them with the current engine, so a
    change of the engine that moves the fit cannot pass unnoticed.
    """
    national = scenarios.apply_rates(assemble.china_national_bundle(config.fertility.variant), config)
    model = _Model(national, config)
    out = model.run(levels)
    values = {}
    for year in CENSUS_YEARS:
        for order, share in zip(("1", "2", "3+"), model.order_shares(out, year), strict=True):
            values[f"order_share_{year}_{order}"] = float(share)
    for cohort in FINGERPRINT_COHORTS:
        q = out.q[cohort - model.first_cohort, COMPLETED_AGE]
        values[f"cohort_{cohort}_share_one"] = float(q[State.N1] + q[State.D1])
        values[f"cohort_{cohort}_share_strict_shidu"] = float(q[State.D1])
    return values


def fingerprint_table(config, levels: dict) -> pd.DataFrame:
    """Rows of kind ``fingerprint`` for ``data/parity_calibration.csv`` (:func:`fingerprint`)."""
    from lossproj import __version__

    return pd.DataFrame([
        {"kind": "fingerprint", "name": regions.NATIONAL, "parameter": key, "province_rule": ALL_RULES,
         "value": value, "unit": "share",
         "source": f"lossproj {__version__}, model revision {MODEL_REVISION}: national model value "
                   "under the fitted levels (calibration.fingerprint)"}
        for key, value in fingerprint(config, levels).items()
    ])


#: Ages at the loss, periods and horizons of the replacement diagnostics (issue: the implied
#: chance of another birth after the loss of an only child) [years of age; year; years].
DIAGNOSTIC_LOSS_AGES = (20, 25, 30, 35, 40, 45)
DIAGNOSTIC_PERIODS = (1985, 1995, 2005, 2015)
DIAGNOSTIC_HORIZONS = (5, 10)
#: Mothers younger than this are the "young bereaved mothers" of the time-in-state diagnostic.
YOUNG_MOTHER_AGE = 35


def replacement_diagnostics(config, bundle: RateBundle) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Implied replacement probabilities and time young mothers spend bereaved.

    Parameters
    ----------
    config : ScenarioConfig
    bundle : RateBundle — the scenario's rates (``lossproj.api.scenario_bundle(config)``)

    Returns
    -------
    probabilities : DataFrame — ``region, period, loss_age, within_years, probability,
        probability_alive``: the probability that a woman whose only child dies in the step
        starting in ``period`` at her age ``loss_age`` has another birth within
        ``within_years`` (``probability``: if she lives; ``probability_alive``: with her own
        survival in the region) [probability]
    time_bereaved : DataFrame — ``region, year, stock, inflow, mean_years``: strict shidu mothers
        under 35 at the reference date, new ones of the year, and their ratio, the mean years a
        young bereaved mother spends in the state (stock over inflow, a steady-state reading)
    """
    from lossproj.engines.expected import project_expected
    from lossproj.rates.population import step_mortality
    from lossproj.rates.replacement import replacement_probability

    parity = scenarios.parity_model(bundle, config)
    rows = []
    for r, name in enumerate(bundle.regions):
        survival = np.exp(-step_mortality(bundle.mx[r, 0]))
        for x in DIAGNOSTIC_LOSS_AGES:
            for n in DIAGNOSTIC_HORIZONS:
                p = replacement_probability(parity.replace_share[r], parity.wait_pmf, x, n)
                pa = replacement_probability(parity.replace_share[r], parity.wait_pmf, x, n, survival)
                for period in DIAGNOSTIC_PERIODS:
                    y = bundle.year_index(period)
                    rows.append((name, period, x, n, float(p[y]), float(pa[y])))
    probabilities = pd.DataFrame(
        rows, columns=["region", "period", "loss_age", "within_years", "probability", "probability_alive"]
    )
    years = [y for y in DIAGNOSTIC_PERIODS if bundle.first_year < y <= bundle.last_year]
    res = project_expected(bundle, parity, min(years), max(years))
    young = np.arange(res.parents["shidu_parents_strict"].shape[-1]) < YOUNG_MOTHER_AGE
    stock = (res.parents["shidu_parents_strict"][:, :, 0] * young).sum(axis=-1)
    inflow = (res.parents["new_shidu_parents"][:, :, 0] * young).sum(axis=-1)
    rows = []
    for yi, year in enumerate(res.years):
        if year not in years:
            continue
        for r, name in enumerate([*bundle.regions, regions.NATIONAL] if len(bundle.regions) > 1 else bundle.regions):
            s = stock[:, yi].sum() if r == len(bundle.regions) else stock[r, yi]
            f = inflow[:, yi].sum() if r == len(bundle.regions) else inflow[r, yi]
            rows.append((name, int(year), float(s), float(f), float(s / f) if f > 0 else np.nan))
    time_bereaved = pd.DataFrame(rows, columns=["region", "year", "stock", "inflow", "mean_years"])
    return probabilities, time_bereaved


def plot_replacement(probabilities: pd.DataFrame, region: str | None = None):
    """Figure: probability of another birth within 5 and 10 years by age at the loss.

    Lines: the probability if she lives (the mean over the regions shown); band: the lowest
    and highest over those regions with her own survival. ``region`` restricts to one region.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sel = probabilities if region is None else probabilities[probabilities["region"] == region]
    where = region or (sel["region"].iloc[0] if sel["region"].nunique() == 1
                       else f"{sel['region'].nunique()} regions")
    fig, axes = plt.subplots(1, len(DIAGNOSTIC_HORIZONS), figsize=(10, 4), sharey=True)
    for ax, n in zip(np.atleast_1d(axes), DIAGNOSTIC_HORIZONS, strict=True):
        for period, grp in sel[sel["within_years"] == n].groupby("period"):
            by_age = grp.groupby("loss_age")
            line, = ax.plot(by_age["probability"].mean().index, by_age["probability"].mean(),
                            marker="o", label=str(period))
            ax.fill_between(by_age["probability_alive"].min().index, by_age["probability_alive"].min(),
                            by_age["probability_alive"].max(), color=line.get_color(), alpha=0.15)
        ax.set_title(f"{where}: another birth within {n} years")
        ax.set_xlabel("mother's age at the loss of her only child [years]")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("probability (line: if she lives; band: with her survival)")
    np.atleast_1d(axes)[0].legend(title="year of the loss")
    fig.tight_layout()
    return fig


#: Provenance note of the fitted table, for ``data/README.md``.
TABLE_NOTES: dict[str, str] = {
    scenarios.CALIBRATION_TABLE: (
        "**Source:** computed by lossproj itself (`lossproj.calibration.calibrate`, run by "
        "`lossproj data build --calibrate` on the baseline config) from the tables above. **Units:** "
        "`value` is a level of the birth hazard relative to the first-birth level of the same "
        "year and age (kind `era`, parameters `second`, `third`, `fourth_plus`), a share (kind "
        "`era`: `stop_after_first`, of first births after which the mother stops while the "
        "child lives; `sterile`, of the women reaching 15 in the era), or a provincial multiplier of the second-birth level "
        "(`second_multiplier`) and of the third-and-higher levels (`third_multiplier`) of every "
        "era from 1980 on (kind `province`), fitted once for each provincial fertility rule "
        "(column `province_rule`, `all` for the era rows; a scenario uses the multipliers of its "
        "own `fertility.province_rule`). **Method:** least squares through the expected-value engine's own "
        "state process, child mortality and replacement after loss on, residuals in units of "
        "their declared tolerance, soft-L1 loss (see the module docstring): national era "
        "levels and shares to the Duan & Chen (2022) cohort parity shares "
        "(cohorts 1935+), the 2010/2020 census birth-order shares and the 2010 census "
        "order-specific fertility by age; provincial multipliers to each province's census "
        "birth-order shares of 2010 and 2020. Era levels are bounded to 0.05..5, stop shares to "
        "0..0.9, sterile shares to 0..0.1, provincial multipliers to 0.1..10. `lossproj calibrate` prints the fit against declared tolerances. The three-child era (2021+) has no "
        "target yet: its levels are the config's starting values. Rows of kind `fingerprint` record "
        "national model values under the fitted levels and the model revision they were fitted "
        "with (`lossproj.calibration.fingerprint`); a test fails when the engine no longer gives "
        "them, i.e. when the packaged fit is stale."
    )
}


def fit_table(config) -> tuple[pd.DataFrame, CalibrationResult]:
    """Fit the era levels once and the provincial multipliers for every provincial rule.

    Parameters
    ----------
    config : Config
        The scenario whose targets and starting values are fitted (the baseline).

    Returns
    -------
    table : pandas.DataFrame
        The rows of ``parity_calibration.csv``: the era levels of ``config``, the
        provincial multipliers of every rule of ``config.PROVINCE_RULES``, all on the same
        era levels, and the fingerprint of the engine they were fitted with
        (:func:`fingerprint_table`).
    result : CalibrationResult
        The fit of ``config`` itself (its report holds the residuals).
    """
    result = calibrate(config)
    tables = [result.to_table()]
    for rule in PROVINCE_RULES:
        if rule != config.fertility.province_rule:
            other = dataclasses.replace(
                config, fertility=dataclasses.replace(config.fertility, province_rule=rule)
            )
            fit = calibrate(other, eras=result.eras)
            tables.append(fit.to_table().query("kind == 'province'"))
            logger.info("fit, provincial rule %s:\n%s", rule,
                        summarize_fit(fit.report).to_string(index=False))
    tables.append(fingerprint_table(config, result.eras))
    logger.info("fit:\n%s", summarize_fit(result.report).to_string(index=False))
    return pd.concat(tables, ignore_index=True), result


def write_table(config, out_dir: Path) -> tuple[Path, CalibrationResult]:
    """Fit with :func:`fit_table` and write ``out_dir/parity_calibration.csv`` atomically.

    The fit reads the packaged tables (:mod:`lossproj.data`), so ``out_dir`` is normally the
    packaged data folder that ``lossproj data build`` has just written. Takes minutes.

    Returns
    -------
    path : Path
        The table written (floats to 8 significant digits).
    result : CalibrationResult
        The fit of ``config`` itself.
    """
    data.clear_cache()
    table, result = fit_table(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / scenarios.CALIBRATION_TABLE
    tmp = path.with_suffix(".csv.tmp")
    table.to_csv(tmp, index=False, float_format="%.8g")
    tmp.replace(path)
    logger.info("wrote %s (%d rows)", path, len(table))
    return path, result
