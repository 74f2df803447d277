"""Population by region, sex and single age: back-projection before the base year, projection after.

Before the base date the population of a cohort is its size at birth times its survival,
with sizes chosen so that the base population is met exactly (docs/model.md, "Population and
cohort weights"). After it, the cohort-component projection
``P(t+1, a+1) = P(t, a)·exp(−½(mx[a] + mx[a+1])) + migration`` with births from ASFR.

It lives with the rates: cohort survival and cohort sizes are what the WPP back-projection
factor (:mod:`lossproj.rates.assemble`) and both engines weight their cohorts with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lossproj.rates.bundle import A_MAX, A_OUT, RateBundle


def step_mortality(mx: np.ndarray) -> np.ndarray:
    """Death rate over a yearly step for persons of completed age ``a`` at the reference date.

    Such a person is on average ``a + ½`` years old, so the step spans exact ages ``a + ½`` to
    ``a + 1½``: half a year at the rate of age ``a`` and half at age ``a + 1``
    (``½(mx[a] + mx[a+1])``; the last age keeps its own rate). Survival over the step is
    ``exp(−step_mortality)`` [deaths per person-year, last axis = age].
    """
    out = np.empty_like(mx)
    out[..., :-1] = 0.5 * (mx[..., :-1] + mx[..., 1:])
    out[..., -1] = mx[..., -1]
    return out


def cohort_log_survival(mx_s: np.ndarray, first_year: int, cohorts: np.ndarray,
                        factor: np.ndarray | None = None) -> np.ndarray:
    """Log survival ``log L_c(a)`` of cohorts along their diagonals.

    Parameters
    ----------
    mx_s : ndarray [Y, A_MAX+1] — central death rate of one sex [deaths per person-year]
    first_year : int — year of ``mx_s[0]``; years outside the grid use the nearest year's rates
    cohorts : ndarray [C] int — birth cohorts (age 0 at the reference date of year ``c``)
    factor : ndarray [Y, A_MAX+1] or None — multiplier of the step mortality by year and age

    Returns
    -------
    ndarray [C, A_MAX+1] — ``log L_c(a) = −Σ_{j<a} sm[c+j, j]``, with ``L_c(0) = 1`` and
    ``sm`` the step mortality (:func:`step_mortality`)
    """
    n_y, n_a = mx_s.shape
    ages = np.arange(n_a)
    yi = np.clip(cohorts[:, None] + ages[None, :] - first_year, 0, n_y - 1)
    sm = step_mortality(mx_s) if factor is None else step_mortality(mx_s) * factor
    m = sm[yi, ages[None, :]]
    out = np.zeros((cohorts.size, n_a))
    out[:, 1:] = -np.cumsum(m[:, :-1], axis=1)
    return out



@dataclass(frozen=True)
class PopulationArrays:
    """Population on the rate grid.

    population : ndarray [R, 2, Y, A_MAX+1] — persons at the reference date of each year
    births : ndarray [R, Y] — live births in the step t → t+1 [persons]
    cohort_size : ndarray [R, 2, C] — persons of each cohort at age 0 (cohort ``first_cohort + i``)
    log_l : ndarray [R, 2, C, A_MAX+1] — cohort log survival from age 0
    """

    first_year: int
    first_cohort: int
    population: np.ndarray
    births: np.ndarray
    cohort_size: np.ndarray
    log_l: np.ndarray


def _old_cohort_sizes(
    base: np.ndarray,
    base_year: int,
    log_l: np.ndarray,
    first_cohort: int,
    older: np.ndarray | None,
    older_year: int | None,
) -> np.ndarray:
    """Sizes at birth of cohorts in the base's open group (aged A_OUT+ at the base date)."""
    n_c = log_l.shape[0]
    size = np.zeros(n_c)
    youngest_single = base_year - (A_OUT - 1)  # youngest cohort at a single age below A_OUT
    for i in range(n_c):
        c = first_cohort + i
        if c > base_year:
            break
        a = base_year - c
        if a < A_OUT:
            size[i] = base[a] / np.exp(log_l[i, a])
    ref_i = youngest_single - first_cohort
    for i in range(n_c):
        c = first_cohort + i
        a = base_year - c
        if a < A_OUT:
            break
        if older is not None and older_year is not None and 0 <= older_year - c < A_OUT:
            a2 = older_year - c
            size[i] = older[a2] / np.exp(log_l[i, a2])
        else:
            size[i] = np.nan
    # cohorts too old for either census: size of the oldest cohort that has one
    known = np.where(~np.isnan(size[: max(ref_i, 0) + 1]))[0]
    if known.size:
        oldest = known[0]
        size[:oldest][np.isnan(size[:oldest])] = size[oldest]
    size[np.isnan(size)] = 0.0
    # scale the open-group cohorts so that the base's A_OUT+ group is met exactly
    open_idx = [i for i in range(n_c) if A_OUT <= base_year - (first_cohort + i) <= A_MAX]
    if open_idx:
        alive = sum(size[i] * np.exp(log_l[i, base_year - (first_cohort + i)]) for i in open_idx)
        if alive > 0:
            factor = base[A_OUT:].sum() / alive
            for i in range(n_c):
                if base_year - (first_cohort + i) >= A_OUT:
                    size[i] *= factor
    return size


def project_population(bundle: RateBundle, *, include_migration: bool = False) -> PopulationArrays:
    """Population of every region on the bundle's year grid (docs/model.md).

    Parameters
    ----------
    bundle : RateBundle
    include_migration : bool — add ``bundle.net_migration`` after the base year

    Returns
    -------
    PopulationArrays
    """
    if include_migration and bundle.net_migration is None:
        raise ValueError(f"the {bundle.name!r} rate bundle has no net migration to include")
    n_r = len(bundle.regions)
    n_y = bundle.mx.shape[2]
    first_cohort = bundle.first_year - A_MAX
    cohorts = np.arange(first_cohort, bundle.last_year + 1)
    n_c = cohorts.size
    ages = np.arange(A_MAX + 1)
    population = np.zeros((n_r, 2, n_y, A_MAX + 1))
    births = np.zeros((n_r, n_y))
    cohort_size = np.zeros((n_r, 2, n_c))
    log_l = np.zeros((n_r, 2, n_c, A_MAX + 1))
    b_idx = bundle.base_year - bundle.first_year
    p_male = bundle.srb / (1.0 + bundle.srb)

    back_years = np.arange(b_idx + 1)
    ci_back = bundle.first_year + back_years[:, None] - ages[None, :] - first_cohort  # [Yb, A]
    for r in range(n_r):
        for s in range(2):
            log_l[r, s] = cohort_log_survival(bundle.mx[r, s], bundle.first_year, cohorts)
            older = None if bundle.older_base_population is None else bundle.older_base_population[r, s]
            cohort_size[r, s] = _old_cohort_sizes(
                bundle.base_population[r, s], bundle.base_year, log_l[r, s], first_cohort,
                older, bundle.older_base_year,
            )
            # back-projection up to and including the base year
            population[r, s, : b_idx + 1] = cohort_size[r, s, ci_back] * np.exp(
                log_l[r, s, ci_back, ages[None, :]]
            )
    if bundle.back_projection_factor is not None:
        population[:, :, :b_idx] *= bundle.back_projection_factor[None, :, :b_idx]
    # projection after the base year, all regions at once
    step = step_mortality(bundle.mx)  # [R, 2, Y, A]
    share = np.stack([1.0 - p_male, p_male])  # [2, Y]
    for y in range(b_idx, n_y - 1):
        births[:, y] = np.einsum("ra,ra->r", bundle.asfr[:, y], population[:, 0, y])
        surv = np.exp(-step[:, :, y])  # [R, 2, A]
        nxt = np.zeros((n_r, 2, A_MAX + 1))
        nxt[..., 1:] = population[:, :, y, :-1] * surv[..., :-1]
        nxt[..., A_MAX] += population[:, :, y, A_MAX] * surv[..., A_MAX]
        nxt[..., 0] = births[:, y, None] * share[None, :, y] * np.exp(-0.5 * bundle.mx[:, :, y, 0])
        if include_migration:
            nxt += bundle.net_migration[:, :, y + 1]
            if np.any(nxt < 0):
                r, sx, bad = np.unravel_index(int(np.argmin(nxt)), nxt.shape)
                raise ValueError(
                    f"net migration makes the population of {bundle.regions[r]}, "
                    f"{('female', 'male')[sx]}, age {bad} negative in {bundle.first_year + y + 1}"
                )
        population[:, :, y + 1] = nxt
        cohort_size[:, :, bundle.first_year + y + 1 - first_cohort] = nxt[..., 0]
    # births before the base year (for reporting): from back-projected women
    births[:, :b_idx] = np.einsum("rya,rya->ry", bundle.asfr[:, :b_idx], population[:, 0, :b_idx])
    return PopulationArrays(
        first_year=bundle.first_year,
        first_cohort=first_cohort,
        population=population,
        births=births,
        cohort_size=cohort_size,
        log_l=log_l,
    )
