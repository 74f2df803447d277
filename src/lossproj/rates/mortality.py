"""Single-year national death rates from WPP and provincial rates by a Brass relational logit model.

Schedules are central death rates ``mx`` [deaths per person-year] by single age 0..100
(100 = 100+). Sex index 0 is ``female``, 1 is ``male`` (docs/model.md). Life-table quantities
come from :mod:`lossproj.rates.lifetable`.

Notes
-----
**Abridged to single ages** (:func:`single_age_mx`). Ages 0 and 100+ are copied. For ages
5..99, ``log mx`` of the groups 1-4, 5-9, ..., 95-99, 100+ is placed at the group mid-ages
(3, 7.5, ..., 97.5; the open group at 101) and interpolated with a shape-preserving cubic
(PCHIP) evaluated at ``x + 0.5``; the knot values of the groups 5-9 ... 95-99 are corrected
iteratively so that the plain (unweighted) mean of the single-age rates in each group equals
the group rate. Ages 1..4 decline geometrically into age 5,
:math:`m_x = m_5 r^{5-x}`, with :math:`r` chosen so that their mean equals the 1-4 group rate.

**Between periods** (:func:`interpolate_years`). ``log mx`` is interpolated linearly in time
between the WPP 5-year period mid-points and held constant beyond the first and last.

**Level** (:func:`scale_to_e0`). Each year's single-age schedule is multiplied by one factor
``k`` (same at all ages), found by bisection on ``log k``, so that its life-table ``e0``
equals a target (WPP's annual ``e0``).

**Provinces** (:func:`provincial_mx`). Brass relational logit with slope 1 on the national
survivorship :math:`l^N_x`:

.. math::  Y_x = \\tfrac12 \\ln\\frac{1 - l_x}{l_x}, \\qquad Y^P_x = \\alpha + Y^N_x
           \\;\\Leftrightarrow\\; l^P_x = \\frac{l^N_x}{l^N_x + (1 - l^N_x) e^{2\\alpha}},

one level :math:`\\alpha` per province, sex and year (:math:`\\alpha > 0` means higher mortality).
Death rates follow from :math:`q^P_x = 1 - l^P_{x+1}/l^P_x` by inverting the life-table
conversion (``a_x = 1/2``; ``a_0`` Andreev–Kingkade, solved by fixed point); the open group
gets :math:`m^P_{100} = m^N_{100} \\, m^P_{99} / m^N_{99}`. :math:`\\alpha` is solved with a
bracketed secant (Illinois) iteration so that the province's ``e0`` equals

.. math::  e^P_0(t) = e^{N,\\mathrm{WPP}}_0(t) + D(t),

where, with ``option="census_differential"``, :math:`D` equals the census differential
:math:`e^P_0 - e^{N}_0` (both from the census life tables) in 1990, 2000, 2010, 2020,
interpolated linearly between census years and held constant before the first and after the
last census (the province then follows the national improvement); with
``option="census_levels"``, :math:`D` is the gap :math:`e^{P,\\mathrm{census}}_0 -
e^{N,\\mathrm{WPP}}_0` in census years, interpolated the same way, so that the province's
``e0`` in census years is its census value.

References
----------
Brass, W. (1971). On the scale of mortality. In W. Brass (ed.), *Biological Aspects of
Demography*. London: Taylor & Francis, 69-110.

Preston, S. H., Heuveline, P. & Guillot, M. (2001). *Demography: Measuring and Modeling
Population Processes*. Oxford: Blackwell, ch. 9 (relational models).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import xarray as xr

from lossproj.rates.graduation import pchip
from lossproj.rates.lifetable import N_AGES, infant_ax, life_expectancy, survival_probability
from lossproj.regions import NATIONAL

SEXES: tuple[str, str] = ("female", "male")
ABRIDGED_STARTS: tuple[int, ...] = (0, 1, *range(5, 101, 5))

Option = Literal["census_differential", "census_levels"]

_MID_AGE_OPEN = 101.0  # where the open group's log mx sits as a spline knot [years]
_KNOT_ITERATIONS = 40
_BISECTION_STEPS = 60
_ALPHA_BOUND = 6.0  # search range of the Brass level [logit units]


def single_age_mx(mx_abridged, group_starts=ABRIDGED_STARTS) -> np.ndarray:
    """Graduate abridged death rates to single ages 0..100 (see module Notes).

    Parameters
    ----------
    mx_abridged : array_like
        Central death rates [deaths per person-year] of the groups 0, 1-4, 5-9, ..., 95-99,
        100+ on the last axis (batch axes first), all > 0.
    group_starts : sequence of int
        First ages of the groups [years]; the default is the WPP abridged grid.

    Returns
    -------
    ndarray
        Single-age rates, ages 0..100 on the last axis [deaths per person-year]; ages 0 and
        100 equal the groups 0 and 100+, and the plain mean over each closed group equals the
        group rate.
    """
    m = np.asarray(mx_abridged, dtype=float)
    starts = np.asarray(group_starts)
    if (
        m.shape[-1] != starts.size
        or list(starts[:3]) != [0, 1, 5]
        or starts[-1] != N_AGES - 1
    ):
        raise ValueError(
            "abridged schedules need groups 0, 1-4, 5-9, ..., 100+ on the last axis; "
            f"got {m.shape[-1]} groups starting {list(starts)}"
        )
    if np.any(~np.isfinite(m)) or np.any(m <= 0):
        raise ValueError("abridged death rates must be finite and > 0")
    widths = np.diff(starts)
    # knots: 1-4, 5-9, ..., 95-99 at their mid-ages, then the open group
    knots_x = np.concatenate([starts[1:-1] + widths[1:] / 2.0, [_MID_AGE_OPEN]])
    target = m[..., 2:-1]  # groups 5-9 .. 95-99
    y = np.log(m[..., 1:])
    ages = np.arange(5, N_AGES - 1)
    group_index = (ages - 5) // 5
    n_groups = target.shape[-1]

    def group_means(vals):
        return vals.reshape(vals.shape[:-1] + (n_groups, 5)).mean(axis=-1)

    for _ in range(_KNOT_ITERATIONS):
        single = np.exp(pchip(knots_x, y, ages + 0.5, axis=-1))
        y[..., 1:-1] -= np.log(group_means(single) / target)
    single = np.exp(pchip(knots_x, y, ages + 0.5, axis=-1))
    single *= (target / group_means(single))[..., group_index]
    young = _geometric_1_4(m[..., 1], single[..., 0])
    return np.concatenate([m[..., :1], young, single, m[..., -1:]], axis=-1)


def _geometric_1_4(m_1_4: np.ndarray, m5: np.ndarray) -> np.ndarray:
    """Ages 1..4 as ``m5 * r**(5 - x)`` with the ratio ``r`` making their mean ``m_1_4``.

    ``sum_{k=1..4} r**k = 4 m_1_4 / m5`` is increasing in ``r > 0``; solved by bisection.
    """
    want = 4.0 * m_1_4 / m5
    lo = np.zeros_like(want)
    hi = np.maximum(want, 1.0)
    k = np.arange(1, 5)
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        big = (mid[..., None] ** k).sum(axis=-1) > want
        hi = np.where(big, mid, hi)
        lo = np.where(big, lo, mid)
    r = 0.5 * (lo + hi)
    out = m5[..., None] * r[..., None] ** (5 - np.arange(1, 5))
    return out * (m_1_4 / out.mean(axis=-1))[..., None]


def interpolate_years(values, at, years, axis: int = 0, log: bool = True) -> np.ndarray:
    """Interpolate schedules known at times ``at`` to integer ``years`` (linear, flat ends).

    Parameters
    ----------
    values : array_like
        Schedules with the time axis ``axis`` running over ``at`` (e.g. [deaths per
        person-year]); must be > 0 when ``log``.
    at : array_like, 1-D
        Times of the known schedules, increasing [calendar year, fractional allowed].
    years : array_like, 1-D
        Integer years wanted [calendar year].
    axis : int
        Time axis of ``values``.
    log : bool
        Interpolate ``log(values)`` (default) rather than ``values``.

    Returns
    -------
    ndarray
        ``values`` with ``axis`` running over ``years``; outside ``[at[0], at[-1]]`` the
        first/last schedule is repeated.
    """
    v = np.moveaxis(np.asarray(values, dtype=float), axis, -1)
    at = np.asarray(at, dtype=float)
    years = np.asarray(years, dtype=float)
    if np.any(np.diff(at) <= 0):
        raise ValueError("interpolation times must increase strictly")
    if log:
        v = np.log(v)
    pos = np.clip(years, at[0], at[-1])
    hi = np.clip(np.searchsorted(at, pos, side="right"), 1, at.size - 1)
    lo = hi - 1
    w = (pos - at[lo]) / (at[hi] - at[lo])
    out = v[..., lo] * (1.0 - w) + v[..., hi] * w
    if log:
        out = np.exp(out)
    return np.moveaxis(out, -1, axis)


def extend_years(values, years, first_year: int, axis: int = 0):
    """Hold the first year's schedule constant back to ``first_year``.

    Parameters
    ----------
    values : array_like
        Array with a year axis ``axis`` running over ``years``.
    years : array_like of int, 1-D
        Consecutive years of ``values`` [calendar year].
    first_year : int
        New first year [calendar year], <= ``years[0]``.
    axis : int
        Year axis.

    Returns
    -------
    (ndarray, ndarray)
        The extended array (year axis ``first_year..years[-1]``) and its years.
    """
    years = np.asarray(years)
    if np.any(np.diff(years) != 1):
        raise ValueError("years must be consecutive")
    if first_year > years[0]:
        raise ValueError(f"first_year {first_year} is after the first year {years[0]}")
    v = np.asarray(values)
    n_new = int(years[0] - first_year)
    first = np.take(v, [0], axis=axis)
    pad = np.repeat(first, n_new, axis=axis)
    return np.concatenate([pad, v], axis=axis), np.arange(first_year, years[-1] + 1)


def scale_to_e0(mx, target_e0, sex, tol: float = 1e-7, max_iter: int = 200) -> np.ndarray:
    """Multiply each schedule by one factor so that its life-table ``e0`` equals a target.

    Parameters
    ----------
    mx : array_like
        Single-age schedules, ages 0..100 on the last axis [deaths per person-year].
    target_e0 : array_like
        Wanted ``e0`` [years], the batch shape of ``mx`` (broadcastable).
    sex : {"female", "male"} or array_like
        Sex of each schedule (infant ``a0``), broadcastable to the batch shape.
    tol : float
        Largest accepted ``|e0 - target|`` [years].
    max_iter : int
        Bisection steps on ``log k`` at most.

    Returns
    -------
    ndarray
        ``k * mx`` with ``k`` [dimensionless] per schedule.

    Raises
    ------
    ValueError
        If a target cannot be reached within ``k`` in ``[1e-4, 1e4]``.
    """
    m = np.asarray(mx, dtype=float)
    target = np.broadcast_to(np.asarray(target_e0, dtype=float), m.shape[:-1])
    lo = np.full(m.shape[:-1], np.log(1e-4))  # e0 too high at lo ... too low at hi
    hi = np.full(m.shape[:-1], np.log(1e4))
    if np.any(life_expectancy(m * np.exp(lo)[..., None], sex) < target) or np.any(
        life_expectancy(m * np.exp(hi)[..., None], sex) > target
    ):
        raise ValueError("a target e0 lies outside what a factor in [1e-4, 1e4] can reach")
    for _ in range(max_iter):
        mid = 0.5 * (lo + hi)
        e0 = life_expectancy(m * np.exp(mid)[..., None], sex)
        above = e0 > target
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
        if np.max(np.abs(e0 - target)) < tol and np.max(hi - lo) < 1e-12:
            break
    k = np.exp(0.5 * (lo + hi))
    return m * k[..., None]


def _infant_m0(q0, a0_start, sex, steps: int = 6):
    """Infant rate ``m0`` and ``a0`` consistent with ``q0`` under the Andreev–Kingkade rule."""
    a0 = a0_start
    for _ in range(steps):
        m0 = q0 / (1.0 - (1.0 - a0) * q0)
        a0 = infant_ax(m0, sex)
    return q0 / (1.0 - (1.0 - a0) * q0), a0


def _brass_lx(lx_std: np.ndarray, alpha) -> np.ndarray:
    """Survivorship of the Brass logit schedule ``Y = alpha + Y_std`` (module Notes)."""
    e2a = np.exp(2.0 * np.asarray(alpha))[..., None]
    return lx_std / (lx_std + (1.0 - lx_std) * e2a)


def _brass_e0(lp, mx_std, a0_std, sex) -> np.ndarray:
    """Life-table ``e0`` of a Brass schedule straight from its survivorship ``lp``.

    Same table as :func:`lossproj.rates.lifetable.life_expectancy` of
    :func:`_brass_schedule`: ``a_x = 1/2`` (x >= 1), Andreev–Kingkade ``a0``,
    ``L_100 = l_100 / m_100``.
    """
    l1, l99, l100 = lp[..., 1], lp[..., 99], lp[..., 100]
    _, a0 = _infant_m0(1.0 - l1, a0_std, sex)
    q99 = 1.0 - l100 / l99
    m99 = q99 / (1.0 - 0.5 * q99)
    m100 = mx_std[..., 100] * m99 / mx_std[..., 99]
    middle = 0.5 * l1 + lp[..., 2:100].sum(axis=-1) + 0.5 * l100
    return l1 + a0 * (1.0 - l1) + middle + l100 / m100


def _brass_schedule(lx_std: np.ndarray, mx_std: np.ndarray, a0_std, sex, alpha) -> np.ndarray:
    """Death rates of the Brass logit schedule ``Y = alpha + Y_std`` (see module Notes)."""
    lp = _brass_lx(lx_std, alpha)
    q = 1.0 - lp[..., 1:] / lp[..., :-1]
    m = np.empty(lp.shape)
    m[..., 1:-1] = q[..., 1:] / (1.0 - 0.5 * q[..., 1:])
    m[..., 0], _ = _infant_m0(q[..., 0], a0_std, sex)
    m[..., -1] = mx_std[..., -1] * m[..., -2] / mx_std[..., -2]
    return m


def brass_logit_fit(
    mx_std, target_e0, sex, tol: float = 1e-6, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Solve the Brass logit level ``alpha`` (slope 1) so each schedule hits a target ``e0``.

    Parameters
    ----------
    mx_std : array_like
        Standard (national) schedules, ages 0..100 on the last axis [deaths per person-year];
        batch axes broadcast against ``target_e0``'s shape.
    target_e0 : array_like
        Wanted ``e0`` [years] (batch shape).
    sex : {"female", "male"} or array_like
        Sex of each schedule, broadcastable to the batch shape.
    tol : float
        Largest accepted ``|e0 - target|`` [years].
    max_iter : int
        Iterations of the bracketed secant (Illinois) method at most.

    Returns
    -------
    (ndarray, ndarray)
        ``alpha`` [logit units] (batch shape) and the fitted schedules [deaths per
        person-year] (batch shape + ages).

    Raises
    ------
    ValueError
        If a target lies outside ``alpha`` in [-6, 6] or the iteration does not converge.
    """
    mx_std = np.asarray(mx_std, dtype=float)
    target = np.asarray(target_e0, dtype=float)
    batch = np.broadcast_shapes(target.shape, mx_std.shape[:-1])
    target = np.broadcast_to(target, batch)
    sex_std = np.broadcast_to(np.asarray(sex), mx_std.shape[:-1])
    lx = survival_probability(mx_std, sex_std)
    a0 = infant_ax(mx_std[..., 0], sex_std)

    def f(alpha):
        return _brass_e0(_brass_lx(lx, alpha), mx_std, a0, sex_std) - target

    a, b = np.full(batch, -_ALPHA_BOUND), np.full(batch, _ALPHA_BOUND)
    fa, fb = f(a), f(b)
    if np.any(fa < 0) or np.any(fb > 0):
        raise ValueError(
            f"a target e0 is outside the Brass logit range alpha in [-{_ALPHA_BOUND}, "
            f"{_ALPHA_BOUND}]"
        )
    # start from alpha = 0 (the standard itself), usually close to the root
    c = np.zeros(batch)
    side = np.zeros(batch)
    for _ in range(max_iter):
        fc = f(c)
        if np.max(np.abs(fc)) < tol:
            return c, _brass_schedule(lx, mx_std, a0, sex_std, c)
        left = fc > 0  # root lies in [c, b]
        a_new, b_new = np.where(left, c, a), np.where(left, b, c)
        fa_new, fb_new = np.where(left, fc, fa), np.where(left, fb, fc)
        # Illinois step: halve the f of the endpoint kept twice in a row
        fb_new = np.where(left & (side == 1), fb_new / 2.0, fb_new)
        fa_new = np.where(~left & (side == -1), fa_new / 2.0, fa_new)
        side = np.where(left, 1, -1)
        a, b, fa, fb = a_new, b_new, fa_new, fb_new
        c = b - fb * (b - a) / (fb - fa)
    raise ValueError(f"Brass logit fit did not converge in {max_iter} iterations")


def census_differential(
    census_e0: xr.DataArray,
    years,
    national_e0_wpp=None,
    option: Option = "census_differential",
) -> xr.DataArray:
    """Yearly ``e0`` differential ``D`` of each province from the national level.

    Parameters
    ----------
    census_e0 : xarray.DataArray
        Census life expectancy at birth [years], dims ``(region, sex, census_year)``, with
        ``region`` holding the provinces and ``"China"`` and ``sex`` at least
        ``female``/``male``. NaN values are skipped (the series is interpolated over the census
        years that have a value).
    years : array_like of int
        Years wanted [calendar year].
    national_e0_wpp : array_like, optional
        WPP national ``e0`` [years], shape ``(2, len(years))`` (female, male); needed for
        ``option="census_levels"``.
    option : {"census_differential", "census_levels"}
        ``census_differential``: D = province − China, both census values;
        ``census_levels``: D = province census − WPP national, in each census year.

    Returns
    -------
    xarray.DataArray
        ``D`` [years], dims ``(region, sex, year)``, provinces only (``China`` dropped);
        linear between census years, constant before the first and after the last.
    """
    if option not in ("census_differential", "census_levels"):
        raise ValueError(
            f"unknown option {option!r}; allowed: 'census_differential', 'census_levels'"
        )
    years = np.asarray(years)
    if NATIONAL not in census_e0.region.values:
        raise ValueError(f"census_e0 needs a {NATIONAL!r} region row for the national value")
    e0 = census_e0.sel(sex=list(SEXES)).transpose("region", "sex", "census_year")
    cyears = e0.census_year.values.astype(int)
    provinces = [r for r in e0.region.values if r != NATIONAL]
    if option == "census_differential":
        base = e0.sel(region=NATIONAL).values  # (sex, census_year)
    else:
        if national_e0_wpp is None:
            raise ValueError("option 'census_levels' needs national_e0_wpp")
        missing = sorted(set(cyears) - set(years.tolist()))
        if missing:
            raise ValueError(f"census years {missing} are outside the years given")
        idx = np.searchsorted(years, cyears)
        base = np.asarray(national_e0_wpp, dtype=float)[:, idx]
    diff = e0.sel(region=provinces).values - base[None]
    out = np.empty((len(provinces), 2, years.size))
    for r, name in enumerate(provinces):
        for s, sex in enumerate(SEXES):
            ok = np.isfinite(diff[r, s])
            if not ok.any():
                raise ValueError(f"region {name!r}, sex {sex!r} has no census e0 value")
            out[r, s] = np.interp(years, cyears[ok], diff[r, s, ok])
    return xr.DataArray(
        out,
        dims=("region", "sex", "year"),
        coords={"region": provinces, "sex": list(SEXES), "year": years},
        attrs={"units": "years", "long_name": f"e0 differential from national ({option})"},
    )


def provincial_mx(
    national_mx,
    national_e0_wpp,
    census_e0: xr.DataArray,
    years,
    option: Option = "census_differential",
) -> xr.DataArray:
    """Provincial single-age death rates from the national schedule (Brass logit, slope 1).

    Parameters
    ----------
    national_mx : array_like
        National death rates [deaths per person-year], shape ``(2, len(years), 101)``:
        sex (female, male) × year × age 0..100.
    national_e0_wpp : array_like or None
        National ``e0`` [years], shape ``(2, len(years))``; ``None`` uses the life-table
        ``e0`` of ``national_mx`` (equal to WPP's for the packaged table).
    census_e0 : xarray.DataArray
        Census ``e0`` [years], dims ``(region, sex, census_year)``, provinces and ``China``.
    years : array_like of int
        Years of ``national_mx`` [calendar year].
    option : {"census_differential", "census_levels"}
        How the census enters (module Notes).

    Returns
    -------
    xarray.DataArray
        ``mx`` [deaths per person-year], dims ``(region, sex, year, age)``, provinces of
        ``census_e0`` (without ``China``). Read ``e0`` back with
        :func:`lossproj.rates.lifetable.life_expectancy`; :func:`brass_logit_fit` also returns
        the levels ``alpha``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> nat = np.broadcast_to(np.linspace(0.002, 0.4, 101), (2, 3, 101)).copy()
    >>> e0 = xr.DataArray([[[70.0], [68.0]], [[72.0], [69.0]]], dims=("region", "sex", "census_year"),
    ...                   coords={"region": ["China", "Beijing"], "sex": ["female", "male"],
    ...                           "census_year": [2020]})
    >>> mx = provincial_mx(nat, None, e0, [2019, 2020, 2021])
    >>> e0_nat = life_expectancy(nat, np.array(["female", "male"])[:, None])
    >>> e0_bj = life_expectancy(mx.sel(region="Beijing").values, np.array(["female", "male"])[:, None])
    >>> np.round(e0_bj - e0_nat, 6).tolist()
    [[2.0, 2.0, 2.0], [1.0, 1.0, 1.0]]
    """
    years = np.asarray(years)
    nat = np.asarray(national_mx, dtype=float)
    if nat.shape != (2, years.size, N_AGES):
        raise ValueError(
            f"national_mx must have shape (2, {years.size}, {N_AGES}) (sex, year, age); "
            f"got {nat.shape}"
        )
    sex = np.array(SEXES)[:, None]
    if national_e0_wpp is None:
        national_e0_wpp = life_expectancy(nat, sex)
    national_e0_wpp = np.asarray(national_e0_wpp, dtype=float)
    if national_e0_wpp.shape != (2, years.size):
        raise ValueError(
            f"national_e0_wpp must have shape (2, {years.size}); got {national_e0_wpp.shape}"
        )
    diff = census_differential(census_e0, years, national_e0_wpp, option)
    target = national_e0_wpp[None] + diff.values  # (region, sex, year)
    _, mx = brass_logit_fit(nat[None], target, sex[None])
    return xr.DataArray(
        mx,
        dims=("region", "sex", "year", "age"),
        coords={
            "region": diff.region.values,
            "sex": list(SEXES),
            "year": years,
            "age": np.arange(N_AGES),
        },
        attrs={
            "units": "deaths per person-year",
            "long_name": "central death rate",
            "method": f"Brass relational logit (slope 1) on the national schedule, {option}",
        },
    )


def weighted_mean_e0(regional_e0, weights) -> np.ndarray:
    """Weighted mean of regional ``e0`` over the first axis.

    Parameters
    ----------
    regional_e0 : array_like
        ``e0`` [years], region on axis 0.
    weights : array_like
        Weights (e.g. population [persons]) broadcastable to ``regional_e0``.

    Returns
    -------
    ndarray
        Weighted mean ``e0`` [years].
    """
    e0 = np.asarray(regional_e0, dtype=float)
    w = np.broadcast_to(np.asarray(weights, dtype=float), e0.shape)
    return (e0 * w).sum(axis=0) / w.sum(axis=0)


def pooled_e0(regional_mx, population, sex) -> np.ndarray:
    """``e0`` of the population-weighted pooled schedule of several regions.

    Parameters
    ----------
    regional_mx : array_like
        Death rates [deaths per person-year], region on axis 0, age 0..100 last.
    population : array_like
        Population by region and age [persons], broadcastable to ``regional_mx``.
    sex : {"female", "male"} or array_like
        Sex of the pooled schedules (batch shape without region).

    Returns
    -------
    ndarray
        ``e0`` [years] of :math:`\\sum_r P_r(x) m_r(x) / \\sum_r P_r(x)`.
    """
    m = np.asarray(regional_mx, dtype=float)
    p = np.broadcast_to(np.asarray(population, dtype=float), m.shape)
    pooled = (m * p).sum(axis=0) / p.sum(axis=0)
    return life_expectancy(pooled, sex)


def national_e0_gap(provincial: xr.DataArray, population, national_e0) -> xr.Dataset:
    """How far the provinces, put together, land from the national ``e0`` in each year.

    Parameters
    ----------
    provincial : xarray.DataArray
        Provincial death rates [deaths per person-year], dims ``(region, sex, year, age)``
        (as returned by :func:`provincial_mx`).
    population : array_like
        Population weights [persons], shape ``(region, sex, age)`` in the order of
        ``provincial`` (e.g. the 2020 census), used for every year.
    national_e0 : array_like
        National ``e0`` [years] (e.g. WPP), shape ``(sex, year)``.

    Returns
    -------
    xarray.Dataset
        dims ``(sex, year)``: ``weighted_mean_gap`` = population-weighted mean of provincial
        ``e0`` − national ``e0``; ``pooled_gap`` = ``e0`` of the population-weighted pooled
        provincial rates − national ``e0`` [years].
    """
    mx = provincial.transpose("region", "sex", "year", "age").values
    pop = np.asarray(population, dtype=float)
    sex = np.array(provincial.sex.values)[:, None]
    e0 = life_expectancy(mx, sex[None])  # (region, sex, year)
    weights = pop.sum(axis=-1)[:, :, None]
    mean_gap = weighted_mean_e0(e0, weights) - national_e0
    pooled = pooled_e0(mx, pop[:, :, None, :], sex) - national_e0
    coords = {"sex": provincial.sex.values, "year": provincial.year.values}
    return xr.Dataset(
        {
            "weighted_mean_gap": (("sex", "year"), mean_gap, {"units": "years"}),
            "pooled_gap": (("sex", "year"), pooled, {"units": "years"}),
        },
        coords=coords,
    )
