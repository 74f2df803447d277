"""All-order age-specific fertility by province and year from national WPP rates and the 2020 census.

Rates are age-specific fertility rates ``asfr`` [births per woman per year] by single age of
the mother 15..49.

Notes
-----
**Rule ``census_2020_ratio``** (:func:`provincial_asfr`). For province ``r``, year ``t`` and
age ``a``

.. math::  f_r(t, a) = f^{N}(t, a) \\, \\rho_r(a) \\, c_r(t),

where :math:`f^N` is the national (WPP) schedule and :math:`\\rho_r(a)` the province's 2020
census rate relative to the national 2020 census rate. To keep :math:`\\rho` stable where the
national rate is tiny (ages 15 and 45-49), it is computed on the 5-year groups
15-19 ... 45-49 (group sums of the single-age inputs, which graduation keeps equal to the
census groups), placed at the group mid-ages 17, 22, ..., 47 and interpolated linearly in age,
held constant below 17 and above 47. With ``preserve_tfr_ratio=True`` (default) the factor
:math:`c_r(t)` rescales each year's schedule so that

.. math::  \\mathrm{TFR}_r(t) / \\mathrm{TFR}^N(t) = \\mathrm{TFR}_r^{2020} / \\mathrm{TFR}^{N,2020}
           \\quad\\text{(census values)}

holds exactly in every year; otherwise :math:`c_r = 1` and the ratio holds only where the
national age pattern is that of 2020.

**Caveat.** The rule freezes the 2020 provincial contrasts in level and age pattern: it
cannot show provinces converging or diverging, and before 2020 it projects today's contrasts
(e.g. Beijing's late childbearing, Tibet's high fertility) onto the past, when provincial
differences were larger (one-child rules differed by province). The provincial rates are not
constrained to add up to national births.

**Rules ``census_2020_ratio_ceb`` and ``census_2020_relative_ceb``** (:func:`ceb_adjusted_asfr`).
The census-ratio rates of each province are scaled before 2020 (fully up to 2010, fading to
none in 2020) so that the mean children ever born (CEB) of its women 15–64 in 2020
(:func:`mean_ceb`) hits a target. ``census_2020_ratio_ceb`` targets the census mean
:math:`C_r`; ``census_2020_relative_ceb`` targets (:func:`relative_ceb_target`)

.. math::  C_r^{*} = \\frac{C_r}{C^{N}} \\, \\overline{\\mathrm{CEB}}^{N}_{\\mathrm{WPP}},

the census pattern across provinces (:math:`C^N` the census national mean) at the level that
WPP's national fertility history implies for the national women 15–64 of 2020. The census
reports fewer children than WPP's history implies (the bundle's assumption note gives both),
so the first rule lowers national births before 2020 below WPP's; the second keeps the
women-weighted national mean CEB at WPP's level (up to the rounding of the census table).

**Rule ``census_2010_2020_relative_ceb``** (the baseline). As ``census_2020_relative_ceb``, with
a second census: the factor on the census-ratio rates is :math:`k_r` up to 2000,
:math:`L_r^{2010} / (\\mathrm{TFR}_r^{2020} / \\mathrm{TFR}^{N,2020})` in 2009 and 1 from 2020 on,
linear in between (``ceb_adjusted_asfr`` with an ``anchor``), so that in 2009, the step of the
2010 census births, the province's TFR relative to the nation is its 2010 census level
:math:`L_r^{2010}` (:func:`census_relative_level`: its census births over the births the
census national 2010 rates give its women). :math:`k_r` again meets the relative CEB target.
The 2010 level differs from the 2020 ratio by up to a factor 1.7 (Xinjiang 1.34 against 0.81,
Tibet 0.84 against 1.48).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Rule = Literal["census_2020_ratio"]

#: First and last single age of the fertility schedules [years].
FIRST_AGE, LAST_AGE = 15, 49
#: Oldest age of the women whose mean children ever born the 2020 census reports [years]
#: (women 15–64; data/mean_ceb_2020.csv).
CEB_LAST_AGE = 64
_WIDTH = 5


def tfr(asfr, axis: int = -1) -> np.ndarray:
    """Total fertility rate: the sum of single-age rates.

    Parameters
    ----------
    asfr : array_like
        Single-age fertility rates [births per woman per year], ages on ``axis``.
    axis : int
        Age axis.

    Returns
    -------
    ndarray
        TFR [children per woman].

    Examples
    --------
    >>> float(tfr([0.25, 0.5, 0.75]))
    1.5
    """
    return np.asarray(asfr, dtype=float).sum(axis=axis)


def _group_sums(asfr: np.ndarray) -> np.ndarray:
    n_ages = asfr.shape[-1]
    if n_ages != LAST_AGE - FIRST_AGE + 1:
        raise ValueError(
            f"schedules need {LAST_AGE - FIRST_AGE + 1} single ages {FIRST_AGE}..{LAST_AGE} on "
            f"the last axis; got {n_ages}"
        )
    return asfr.reshape(asfr.shape[:-1] + (n_ages // _WIDTH, _WIDTH)).sum(axis=-1)


def census_ratio(province_asfr_2020, national_census_asfr_2020) -> np.ndarray:
    """Smoothed ratio of provincial to national 2020 census fertility by single age.

    Parameters
    ----------
    province_asfr_2020 : array_like
        Provincial single-age rates 15..49 [births per woman per year], shape
        ``(region, 35)``.
    national_census_asfr_2020 : array_like
        National census single-age rates 15..49 [births per woman per year], shape ``(35,)``.

    Returns
    -------
    ndarray
        :math:`\\rho_r(a)` [dimensionless], shape ``(region, 35)`` (module Notes).

    Raises
    ------
    ValueError
        If a national group rate is not positive.
    """
    prov = _group_sums(np.asarray(province_asfr_2020, dtype=float))
    nat = _group_sums(np.asarray(national_census_asfr_2020, dtype=float))
    if np.any(nat <= 0):
        raise ValueError("national census group rates must be > 0 to form provincial ratios")
    group_ratio = prov / nat
    ages = np.arange(FIRST_AGE, LAST_AGE + 1)
    mids = FIRST_AGE + _WIDTH * np.arange(group_ratio.shape[-1]) + (_WIDTH - 1) / 2.0
    return np.stack([np.interp(ages, mids, g) for g in group_ratio.reshape(-1, mids.size)]).reshape(
        group_ratio.shape[:-1] + (ages.size,)
    )


def provincial_asfr(
    national_asfr,
    province_asfr_2020,
    national_census_asfr_2020,
    rule: Rule = "census_2020_ratio",
    preserve_tfr_ratio: bool = True,
) -> np.ndarray:
    """Provincial single-age fertility for every year from the national schedule.

    Parameters
    ----------
    national_asfr : array_like
        National rates [births per woman per year], shape ``(year, 35)``, ages 15..49
        (e.g. WPP 2024, one variant).
    province_asfr_2020 : array_like
        Provincial 2020 census rates [births per woman per year], shape ``(region, 35)``.
    national_census_asfr_2020 : array_like
        National 2020 census rates [births per woman per year], shape ``(35,)``.
    rule : {"census_2020_ratio"}
        The rule (module Notes); the only one so far.
    preserve_tfr_ratio : bool
        Rescale each year so that the provincial/national TFR ratio is the census 2020 one.

    Returns
    -------
    ndarray
        Rates [births per woman per year], shape ``(region, year, 35)``.

    Examples
    --------
    >>> import numpy as np
    >>> nat = np.full((2, 35), 0.04)
    >>> prov = np.full((1, 35), 0.02)
    >>> cen = np.full(35, 0.05)
    >>> f = provincial_asfr(nat, prov, cen)
    >>> np.round(tfr(f) / tfr(nat), 6).tolist()
    [[0.4, 0.4]]
    """
    if rule != "census_2020_ratio":
        raise ValueError(f"unknown fertility rule {rule!r}; allowed: 'census_2020_ratio'")
    nat = np.asarray(national_asfr, dtype=float)
    prov = np.asarray(province_asfr_2020, dtype=float)
    cen = np.asarray(national_census_asfr_2020, dtype=float)
    ratio = census_ratio(prov, cen)  # (region, age)
    out = nat[None, :, :] * ratio[:, None, :]
    if preserve_tfr_ratio:
        wanted = tfr(prov) / tfr(cen)  # (region,)
        got = tfr(out) / np.where(tfr(nat) > 0, tfr(nat), 1.0)[None, :]
        factor = np.where(got > 0, wanted[:, None] / np.where(got > 0, got, 1.0), 0.0)
        out = out * factor[..., None]
    return out


def mean_ceb(asfr, years, women, census_year: int = 2020) -> np.ndarray:
    """Mean children ever born of women 15–64 at a census implied by a fertility history.

    Parameters
    ----------
    asfr : array_like
        Rates at ages 15..49 [births per woman per year], shape ``(..., year, 35)``.
    years : array_like
        Calendar years of ``asfr`` [year], shape ``(year,)``, consecutive.
    women : array_like
        Women aged 15..64 at the census [persons], shape ``(..., 50)``; the weights.
    census_year : int
        Year of the census [year].

    Returns
    -------
    ndarray
        Mean children ever born [children per woman], shape ``(...)``.

    Raises
    ------
    ValueError
        If ``asfr`` starts after the year a woman of 64 at the census was 15.

    Notes
    -----
    A woman aged :math:`a` at the census has had a birth in each one-year step starting at ages
    :math:`x = 15, …, \\min(a, 50) − 1`, in year :math:`T − a + x` (:math:`T` = census year), so

    .. math::  \\overline{\\mathrm{CEB}} = \\sum_{a=15}^{64} W_a \\sum_{x=15}^{\\min(a,50)-1}
               f(T - a + x, x) \\Big/ \\sum_{a=15}^{64} W_a .

    Mortality and migration of the mothers are ignored (each census woman is credited with
    the rates of her cohort). The value is linear in ``asfr``.

    Examples
    --------
    >>> import numpy as np
    >>> f = np.full((60, 35), 0.05)          # 0.05 births per woman-year, years 1961..2020
    >>> w = np.zeros(50); w[[1, 49]] = 1.0   # one woman aged 16, one aged 64
    >>> round(float(mean_ceb(f, np.arange(1961, 2021), w)), 6)  # (1 + 35) * 0.05 / 2
    0.9
    """
    asfr = np.asarray(asfr, dtype=float)
    years = np.asarray(years)
    w = np.asarray(women, dtype=float)
    total = np.zeros(asfr.shape[:-2])
    for i, a in enumerate(range(FIRST_AGE, CEB_LAST_AGE + 1)):
        xs = np.arange(FIRST_AGE, min(a, LAST_AGE + 1))
        if xs.size == 0:
            continue
        yi = census_year - a + xs - years[0]
        if np.any(yi < 0):
            raise ValueError(f"fertility years start after {census_year - a + xs[0]}, needed for the CEB check")
        total += w[..., i] * asfr[..., yi, xs - FIRST_AGE].sum(axis=-1)
    return total / w.sum(axis=-1)


def relative_ceb_target(census_ceb, census_national_ceb, implied_national_ceb) -> np.ndarray:
    """Provincial mean CEB targets: census ratio to the nation times an implied national mean.

    Parameters
    ----------
    census_ceb : array_like
        Census mean children ever born by region, women 15–64 [children per woman].
    census_national_ceb : float
        Census national mean children ever born, women 15–64 [children per woman].
    implied_national_ceb : float
        National mean children ever born implied by the national fertility history
        (:func:`mean_ceb`) [children per woman].

    Returns
    -------
    ndarray
        Targets :math:`C_r^*` [children per woman] (module Notes).

    Raises
    ------
    ValueError
        If a national mean is not positive.

    Examples
    --------
    >>> relative_ceb_target([1.0, 2.0], 1.25, 1.5).round(6).tolist()
    [1.2, 2.4]
    """
    if not census_national_ceb > 0 or not implied_national_ceb > 0:
        raise ValueError(
            f"national mean CEB must be > 0; got census {census_national_ceb!r}, "
            f"implied {implied_national_ceb!r}"
        )
    return np.asarray(census_ceb, dtype=float) / float(census_national_ceb) * float(implied_national_ceb)


def census_relative_level(births, women, national_asfr) -> np.ndarray:
    """Indirectly standardised fertility level of each region relative to the first region.

    Parameters
    ----------
    births : array_like
        Births in the census year by region [births; a sample count is fine if every region's
        sampling fraction is the same], shape ``(R,)``; region 0 is the nation.
    women : array_like
        Women by single age 15..49 at the census [persons], shape ``(R, 35)``.
    national_asfr : array_like
        National all-order rates at ages 15..49 of the census year [births per woman per
        year], shape ``(35,)``.

    Returns
    -------
    ndarray
        :math:`(B_r / E_r) / (B_0 / E_0)` with expected births
        :math:`E_r = \\sum_a W_{r,a} f^N_a` [dimensionless], shape ``(R,)``: the region's TFR
        relative to the nation's if its age pattern is the national one.

    Examples
    --------
    >>> w = np.ones((2, 35)); f = np.full(35, 0.05)
    >>> census_relative_level([35 * 0.05, 35 * 0.1], w, f).tolist()
    [1.0, 2.0]
    """
    b = np.asarray(births, dtype=float)
    expected = np.asarray(women, dtype=float) @ np.asarray(national_asfr, dtype=float)
    if np.any(expected <= 0) or b[0] <= 0:
        raise ValueError("census births and expected births must be > 0 for every region")
    return (b / expected) / (b[0] / expected[0])


def ceb_adjusted_asfr(
    asfr, years, women_2020, target_ceb, census_year: int = 2020, full_until: int = 2010,
    anchor=None, anchor_year: int | None = None,
):
    """Scale each region's fertility before the census so that mean CEB of women 15–64 fits.

    Rates of year ``t`` are multiplied by a factor piecewise linear in ``t``: ``k`` up to
    ``full_until``, 1 from ``census_year`` on, and, if ``anchor`` is given, the region's
    ``anchor`` value in ``anchor_year`` (between the two), linear in between. The mean children
    ever born of women aged 15–64 at the census (:func:`mean_ceb`) is linear in ``k``, so ``k``
    is exact.

    Parameters
    ----------
    asfr : ndarray [R, Y, 35] — rates at ages 15..49 [births per woman per year]
    years : ndarray [Y] — calendar years of ``asfr``
    women_2020 : ndarray [R, 50] — women aged 15..64 at the census [persons]
    target_ceb : ndarray [R] — mean children ever born wanted, women 15–64 [children per woman]
    anchor : ndarray [R] or None — factor fixed in ``anchor_year`` [dimensionless]
    anchor_year : int or None — year of ``anchor``, ``full_until < anchor_year < census_year``

    Returns
    -------
    (adjusted asfr [R, Y, 35], factors k [R])
    """
    asfr = np.asarray(asfr, dtype=float)
    years = np.asarray(years)
    n = asfr.shape[0]
    if anchor is None:
        knots = [full_until, census_year]
        free, fixed = [np.ones(n), np.zeros(n)], [np.zeros(n), np.ones(n)]
    else:
        if anchor_year is None or not full_until < anchor_year < census_year:
            raise ValueError(f"anchor_year must lie between {full_until} and {census_year}; got {anchor_year!r}")
        knots = [full_until, anchor_year, census_year]
        free = [np.ones(n), np.zeros(n), np.zeros(n)]
        fixed = [np.zeros(n), np.asarray(anchor, dtype=float), np.ones(n)]
    free_t = np.stack([np.interp(years, knots, v) for v in np.stack(free, axis=1)])
    fixed_t = np.stack([np.interp(years, knots, v) for v in np.stack(fixed, axis=1)])
    w = np.asarray(women_2020, dtype=float)
    base = mean_ceb(asfr * fixed_t[:, :, None], years, w, census_year)
    slope = mean_ceb(asfr * free_t[:, :, None], years, w, census_year)
    k = (np.asarray(target_ceb, dtype=float) - base) / np.where(slope > 0, slope, np.nan)
    if np.any(~np.isfinite(k)) or np.any(k <= 0):
        raise ValueError(f"no positive fertility factor reproduces the census mean CEB: {k}")
    factor = k[:, None] * free_t + fixed_t
    return asfr * factor[:, :, None], k
