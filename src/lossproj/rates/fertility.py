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
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Rule = Literal["census_2020_ratio"]

#: First and last single age of the fertility schedules [years].
FIRST_AGE, LAST_AGE = 15, 49
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


def ceb_adjusted_asfr(asfr, years, women_2020, target_ceb, census_year: int = 2020, full_until: int = 2010):
    """Scale each region's fertility before the census so that mean CEB of women 15–64 fits.

    Rates of year ``t`` are multiplied by ``1 + (k − 1)·g(t)``, with ``g = 1`` up to
    ``full_until``, falling linearly to 0 at ``census_year``, and 0 after. The mean children
    ever born of women aged 15–64 at the census, ``Σ_a W_a Σ_{x<a} asfr[census − a + x, x] /
    Σ_a W_a`` (a birth in the step starting at age ``x``), is linear in ``k``, so ``k`` is exact.

    Parameters
    ----------
    asfr : ndarray [R, Y, 35] — rates at ages 15..49 [births per woman per year]
    years : ndarray [Y] — calendar years of ``asfr``
    women_2020 : ndarray [R, 50] — women aged 15..64 at the census [persons]
    target_ceb : ndarray [R] — census mean children ever born, women 15–64 [children per woman]

    Returns
    -------
    (adjusted asfr [R, Y, 35], factors k [R])
    """
    asfr = np.asarray(asfr, dtype=float)
    years = np.asarray(years)
    g = np.clip((census_year - years) / float(census_year - full_until), 0.0, 1.0)
    g[years >= census_year] = 0.0
    ages = np.arange(15, 65)
    base = np.zeros(asfr.shape[0])
    slope = np.zeros(asfr.shape[0])
    w = np.asarray(women_2020, dtype=float)
    for i, a in enumerate(ages):
        xs = np.arange(15, min(a, 50))
        if xs.size == 0:
            continue
        yi = census_year - a + xs - years[0]
        if np.any(yi < 0):
            raise ValueError(f"fertility years start after {census_year - a + xs[0]}, needed for the CEB check")
        vals = asfr[:, yi, xs - 15]  # (R, n)
        base += w[:, i] * vals.sum(axis=1)
        slope += w[:, i] * (vals * g[yi]).sum(axis=1)
    total = w.sum(axis=1)
    base /= total
    slope /= total
    k = 1.0 + (np.asarray(target_ceb, dtype=float) - base) / np.where(slope > 0, slope, np.nan)
    if np.any(~np.isfinite(k)) or np.any(k <= 0):
        raise ValueError(f"no positive fertility factor reproduces the census mean CEB: {k}")
    factor = 1.0 + (k[:, None] - 1.0) * g[None, :]
    return asfr * factor[:, :, None], k
