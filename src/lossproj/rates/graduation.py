"""Graduation of age-grouped counts and rates to single years of age.

Populations in age groups (0, 1-4, 5-9, ..., 95-99, 100+) and age-specific fertility rates in
5-year groups are spread over single years of age so that every group total is kept exactly.

Notes
-----
**Method (counts).** Let :math:`b_0 < b_1 < \\dots < b_K` be the group boundaries (the starts of
the groups, :math:`b_K` the start of the open group) and :math:`C(b_k) = \\sum_{j<k} N_j` the
cumulative count. :math:`C` is interpolated with a monotone piecewise-cubic Hermite
interpolant (PCHIP, Fritsch & Carlson 1980) and the single-year count of age :math:`x` is
:math:`C(x+1) - C(x)`. Because the interpolant passes through every :math:`C(b_k)`, each
group's total is reproduced; because it is monotone, no count is negative. A final rescaling
inside each group removes floating-point drift, so totals match to machine precision. The open
group is kept as one age (``max_age`` = ``max_age``+).

**Guided graduation** (``shape`` given). A single-age reference profile :math:`S(x)` (e.g. the
2010 national single-age census counts, or that profile shifted by the years between two
censuses so that birth cohorts line up) carries irregularities that a smooth curve cannot see
(famine and baby-boom cohorts). The result is the smooth graduation :math:`\\hat N(x)` of the
target, multiplied by the reference's deviation from its *own* smooth graduation,
:math:`\\hat N(x) \\cdot S(x) / \\hat S(x)`, and rescaled within each group to the group total
(exact). The reference's smooth graduation is computed over each run of consecutive closed
groups in which every age of the reference is known; elsewhere (NaN in ``S``, the open
group) the factor is 1. When the target has the same group totals as the reference, the
result is the reference itself.

**Method (rates).** A rate :math:`f_k` per person-year in a group of width :math:`n` adds
:math:`n f_k` events per person over the group; the cumulative schedule
:math:`F(b_k) = n \\sum_{j<k} f_j` is interpolated and differenced at single ages, so
:math:`\\sum_{x \\in k} f_x = n f_k` (e.g. TFR is kept). The default interpolant is a cubic
spline clamped with zero slope at both ends (the rate is zero at the first and last exact age,
as for fertility at 10 or 15 and at 50 or 55), which gives a smooth (C2) single-age curve;
small negative values it may produce in the tails are set to 0 and each group is rescaled to
its exact sum. ``method="pchip"`` uses the monotone interpolant instead (never negative, but
kinked single-age curves).

References
----------
Fritsch, F. N. & Carlson, R. E. (1980). Monotone piecewise cubic interpolation. *SIAM Journal
on Numerical Analysis* 17(2): 238-246. doi:10.1137/0717021

Examples
--------
>>> import numpy as np
>>> single = graduate_counts([0, 1, 5], [10.0, 36.0, 4.0], max_age=5)
>>> single.shape, float(single[1:5].sum()), float(single[5])
((6,), 36.0, 4.0)
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.interpolate import CubicSpline, PchipInterpolator


def _check_starts(group_starts, n_totals: int, max_age: int) -> np.ndarray:
    starts = np.asarray(group_starts)
    if starts.ndim != 1 or starts.size != n_totals:
        raise ValueError(
            f"group_starts must be 1-D with one start per group ({n_totals}); got shape {starts.shape}"
        )
    if not np.issubdtype(starts.dtype, np.integer):
        if np.any(starts != np.round(starts)):
            raise ValueError(f"group_starts must be whole ages; got {starts.tolist()}")
        starts = starts.astype(int)
    if np.any(np.diff(starts) <= 0):
        raise ValueError(f"group_starts must increase strictly; got {starts.tolist()}")
    if starts[-1] != max_age:
        raise ValueError(
            f"the last group must be the open group starting at max_age={max_age}; "
            f"got last start {starts[-1]}"
        )
    return starts


def pchip(knots, values, points, axis: int = -1) -> np.ndarray:
    """Shape-preserving piecewise-cubic (PCHIP) interpolation along one axis.

    Parameters
    ----------
    knots : array_like, 1-D
        Ages where the values are known [years], increasing.
    values : array_like
        Values at ``knots`` along ``axis`` (e.g. cumulative counts [persons], cumulative
        fertility [births per woman], log death rates).
    points : array_like, 1-D
        Ages at which to evaluate [years]; outside the knots the end cubics are extended.
    axis : int
        Axis of ``values`` that runs over ``knots``.

    Returns
    -------
    ndarray
        Interpolated values; ``axis`` now runs over ``points``. Monotone data give a monotone
        result (Fritsch & Carlson 1980).
    """
    # scipy's harmonic-mean slopes divide by secant slopes that may be ~1e-300 (tiny groups);
    # the overflow it reports there is handled inside scipy (slope set to 0)
    with np.errstate(over="ignore", divide="ignore"):
        spline = PchipInterpolator(np.asarray(knots, float), values, axis=axis)
    return spline(np.asarray(points, float))


def _rescale_groups(single: np.ndarray, totals: np.ndarray, group_index: np.ndarray) -> np.ndarray:
    """Rescale single values inside each group so the group sums equal ``totals`` (last axis)."""
    n_groups = totals.shape[-1]
    sums = np.zeros_like(totals)
    for g in range(n_groups):
        sums[..., g] = single[..., group_index == g].sum(axis=-1)
    width = np.bincount(group_index, minlength=n_groups).astype(float)
    # groups whose smooth values sum to zero while the total is positive get a flat spread
    flat = (sums <= 0) & (totals > 0)
    factor = np.where(sums > 0, totals / np.where(sums > 0, sums, 1.0), 0.0)
    out = single * factor[..., group_index]
    if np.any(flat):
        out = np.where(flat[..., group_index], (totals / width)[..., group_index], out)
    return out


def graduate_counts(group_starts, group_totals, max_age: int = 100, shape=None) -> np.ndarray:
    """Spread age-group counts over single years of age, keeping every group total exactly.

    Parameters
    ----------
    group_starts : array_like of int, 1-D
        First age of each group [years], increasing, e.g. ``[0, 1, 5, 10, ..., 95, 100]``; the
        last group is the open group ``max_age``+.
    group_totals : array_like
        Counts per group [persons] on the last axis (any leading batch axes), all >= 0.
    max_age : int
        Start of the open age group [years]; the result's last age.
    shape : array_like, optional
        Single-age reference profile for ages ``group_starts[0]..max_age`` on the last axis,
        broadcastable to the result [persons, any scale]; NaN where unknown. Only closed groups
        whose every age is known are guided; see Notes of the module.

    Returns
    -------
    ndarray
        Counts by single year of age ``group_starts[0]..max_age`` [persons], >= 0, with
        ``result[..., ages in group k].sum(-1) == group_totals[..., k]`` (to rounding).

    Raises
    ------
    ValueError
        If the groups are not increasing whole ages ending at ``max_age`` or a count is
        negative or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> n = graduate_counts([0, 1, 5, 10], [5.0, 20.0, 30.0, 2.0], max_age=10)
    >>> [round(float(n[1:5].sum()), 9), round(float(n[5:10].sum()), 9)]
    [20.0, 30.0]
    """
    totals = np.asarray(group_totals, dtype=float)
    starts = _check_starts(group_starts, totals.shape[-1], max_age)
    if np.any(~np.isfinite(totals)) or np.any(totals < 0):
        raise ValueError("group totals must be finite and >= 0")
    ages = np.arange(starts[0], max_age + 1)
    group_index = np.searchsorted(starts, ages, side="right") - 1
    smooth = _smooth_counts(starts, totals)
    if shape is not None:
        ref = np.broadcast_to(np.asarray(shape, dtype=float), smooth.shape)
        smooth = smooth * _guide_factor(starts, ref, group_index)
    return _rescale_groups(smooth, totals, group_index)


def _guide_factor(starts: np.ndarray, ref: np.ndarray, group_index: np.ndarray) -> np.ndarray:
    """``S / S_smooth`` on runs of fully known closed groups of the reference; 1 elsewhere."""
    factor = np.ones(ref.shape)
    n_closed = starts.size - 1
    known = np.array(
        [np.all(np.isfinite(ref[..., group_index == g])) for g in range(n_closed)], dtype=bool
    )
    g = 0
    while g < n_closed:
        if not known[g]:
            g += 1
            continue
        h = g
        while h + 1 < n_closed and known[h + 1]:
            h += 1
        run_starts = starts[g : h + 2]  # boundaries of groups g..h
        sel = (group_index >= g) & (group_index <= h)
        ref_run = np.maximum(ref[..., sel], 0.0)
        local = group_index[sel] - g
        run_totals = np.stack(
            [ref_run[..., local == k].sum(axis=-1) for k in range(h - g + 1)], axis=-1
        )
        cum = np.concatenate(
            [np.zeros(run_totals.shape[:-1] + (1,)), np.cumsum(run_totals, axis=-1)], axis=-1
        )
        edges = np.arange(run_starts[0], run_starts[-1] + 1)
        ref_smooth = np.maximum(np.diff(pchip(run_starts, cum, edges, axis=-1), axis=-1), 0.0)
        ok = ref_smooth > 0
        factor[..., sel] = np.where(ok, ref_run / np.where(ok, ref_smooth, 1.0), 1.0)
        g = h + 1
    return factor


def _smooth_counts(starts: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """PCHIP graduation of closed groups; the open group's total becomes the last age."""
    max_age = starts[-1]
    cum = np.concatenate([np.zeros(totals.shape[:-1] + (1,)), np.cumsum(totals[..., :-1], -1)], -1)
    edges = np.arange(starts[0], max_age + 1)
    if starts.size > 1:
        c = pchip(starts, cum, edges, axis=-1)
        closed = np.diff(c, axis=-1)
    else:
        closed = np.zeros(totals.shape[:-1] + (0,))
    closed = np.maximum(closed, 0.0)
    return np.concatenate([closed, totals[..., -1:]], axis=-1)


def graduate_rates_5y(
    group_rates,
    first_age: int,
    width: int = 5,
    keep: tuple[int, int] | None = None,
    method: Literal["cubic", "pchip"] = "cubic",
) -> np.ndarray:
    """Graduate rates in equal-width age groups to single ages, keeping each group's sum.

    Intended for age-specific fertility rates (ASFR) in 5-year groups.

    Parameters
    ----------
    group_rates : array_like
        Rates per person-year in consecutive groups of ``width`` years on the last axis
        (batch axes first) [events per person per year], >= 0.
    first_age : int
        First age of the first group [years].
    width : int
        Width of every group [years].
    keep : (int, int), optional
        First and last single age to return [years]. Events graduated to ages below
        ``keep[0]`` are added to age ``keep[0]``, those above ``keep[1]`` to age ``keep[1]``
        (e.g. births to women 10-14 counted at 15, births at 50-54 at 49). Default: all ages
        of the groups.
    method : {"cubic", "pchip"}
        Interpolant of the cumulative schedule (module Notes).

    Returns
    -------
    ndarray
        Single-age rates for ages ``keep[0]..keep[1]`` [events per person per year], >= 0, with
        ``result.sum(-1) == width * group_rates.sum(-1)`` (to rounding).

    Examples
    --------
    >>> import numpy as np
    >>> f = graduate_rates_5y([0.01, 0.10, 0.12, 0.06, 0.02, 0.005, 0.001], first_age=15)
    >>> f.shape, round(float(f.sum()), 9)
    ((35,), 1.58)
    """
    rates = np.asarray(group_rates, dtype=float)
    if np.any(~np.isfinite(rates)) or np.any(rates < 0):
        raise ValueError("group rates must be finite and >= 0")
    if method not in ("cubic", "pchip"):
        raise ValueError(f"unknown graduation method {method!r}; allowed: 'cubic', 'pchip'")
    n_groups = rates.shape[-1]
    last_age = first_age + n_groups * width - 1
    boundaries = first_age + width * np.arange(n_groups + 1)
    cum = np.concatenate(
        [np.zeros(rates.shape[:-1] + (1,)), np.cumsum(width * rates, axis=-1)], axis=-1
    )
    edges = np.arange(first_age, last_age + 2)
    if method == "cubic":
        spline = CubicSpline(boundaries.astype(float), cum, axis=-1, bc_type="clamped")
        at_edges = spline(edges.astype(float))
    else:
        at_edges = pchip(boundaries, cum, edges, axis=-1)
    single = np.maximum(np.diff(at_edges, axis=-1), 0.0)
    ages = np.arange(first_age, last_age + 1)
    group_index = (ages - first_age) // width
    single = _rescale_groups(single, width * rates, group_index)
    if keep is None:
        return single
    lo, hi = keep
    if not (first_age <= lo <= hi <= last_age):
        raise ValueError(
            f"keep={keep} must lie within the graduated ages {first_age}..{last_age}"
        )
    out = single[..., lo - first_age : hi - first_age + 1].copy()
    out[..., 0] += single[..., : lo - first_age].sum(axis=-1)
    out[..., -1] += single[..., hi - first_age + 1 :].sum(axis=-1)
    return out


def rake_to_total(
    parts, group_starts, total, max_iter: int = 1000, tol: float = 1e-12
) -> np.ndarray:
    """Adjust graduated parts (e.g. provinces) so they add up to a graduated total by age.

    Iterative proportional fitting on each age group's block ``parts[region, ages in group]``:
    rows are scaled to keep every part's group totals, columns to match ``total`` at each
    single age. Requires ``Σ parts`` = ``total`` for every group (the margins must agree).

    Parameters
    ----------
    parts : array_like
        Single-age counts of the parts [persons], shape ``(part, age)``, >= 0.
    group_starts : array_like of int
        First age of each group [years], ``group_starts[0]`` being the first age of ``parts``.
    total : array_like
        Single-age counts of the whole [persons], shape ``(age,)``.
    max_iter : int
        Iterations at most.
    tol : float
        Largest accepted relative gap between ``Σ parts`` and ``total`` at any age.

    Returns
    -------
    ndarray
        Adjusted parts [persons]: each part's group totals unchanged (exactly, to rounding) and
        ``result.sum(0) == total`` within ``tol``.

    Raises
    ------
    ValueError
        If the group margins disagree or the fit does not converge.
    """
    x = np.array(parts, dtype=float)
    total = np.asarray(total, dtype=float)
    starts = np.asarray(group_starts)
    ages = starts[0] + np.arange(x.shape[-1])
    group_index = np.searchsorted(starts, ages, side="right") - 1
    n_groups = starts.size
    row_totals = np.stack([x[:, group_index == g].sum(axis=1) for g in range(n_groups)], axis=1)
    col_group = np.array([total[group_index == g].sum() for g in range(n_groups)])
    if not np.allclose(row_totals.sum(axis=0), col_group, rtol=1e-9, atol=1e-6):
        raise ValueError("parts and total disagree on group totals; raking needs equal margins")
    for _ in range(max_iter):
        cols = x.sum(axis=0)
        x *= np.where(cols > 0, total / np.where(cols > 0, cols, 1.0), 0.0)[None, :]
        x = _rescale_groups(x, row_totals, group_index)
        cols = x.sum(axis=0)
        gap = np.abs(cols - total) / np.maximum(total, 1.0)
        if gap.max() < tol:
            return x
    raise ValueError(f"raking did not converge in {max_iter} iterations (gap {gap.max():.2e})")
