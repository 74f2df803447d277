"""Expected-value engine: exact expected counts of one-child and shidu parents (docs/model.md).

``project_expected`` validates its inputs, builds cohort survival and the population, runs the
Numba state process (:mod:`lossproj.engines.expected_kernels`) for every region and cohort, and
returns plain arrays by year, sex and age. It also returns the solved fertility intensity
(:class:`FertilityHazards`) that the microsimulation consumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from lossproj import variables
from lossproj.conventions import GROUP_DIMS, LOSS_AGE_EDGES, SINCE_LOSS_EDGES, State, Transition
from lossproj.engines import expected_kernels as k
from lossproj.rates.bundle import (
    A_MAX,
    A_OUT,
    FERT_MAX,
    FERT_MIN,
    ParityModel,
    RateBundle,
    wait_hazard,
)
from lossproj.rates.population import (
    PopulationArrays,
    cohort_log_survival,
    project_population,
    step_mortality,
)

#: Upper bound of the fertility intensity solve [per year]; a birth probability of
#: 1 − exp(−50) is certain to machine precision, so higher values change nothing.
LAM_MAX = 50.0

#: Variables of this engine (registry :mod:`lossproj.variables`): by the parent's sex and age;
#: without a sex dim (by the mother's, the surviving father's or the child's own age); means per
#: living woman; strict shidu mothers by their age and a group (name -> group dim).
PARENT_VARIABLES = tuple(n for n in variables.names("expected", dims=variables.BY_SEX_AGE, origin="engine")
                         if n != "population")
FAMILY_VARIABLES = variables.names("expected", dims=variables.BY_AGE, kind="count")
WOMAN_MEANS = variables.names("expected", dims=variables.BY_AGE, kind="mean")
GROUPED_VARIABLES = variables.grouped("expected")


@dataclass(frozen=True)
class FertilityHazards:
    """Birth hazards on the rate grid, as solved by the expected-value engine.

    lam : ndarray [R, Y, A_MAX+1] — fertility intensity [per year]
    rel, dur1, replace_share, wait_pmf, stop, sterile : as in
        :class:`~lossproj.rates.bundle.ParityModel`
    first_year : int — year of index 0
    """

    lam: np.ndarray
    rel: np.ndarray
    dur1: np.ndarray
    replace_share: np.ndarray
    wait_pmf: np.ndarray
    first_year: int
    stop: np.ndarray | None = None
    sterile: np.ndarray | None = None


@dataclass(frozen=True)
class CohortArrays:
    """State process of every cohort of one region (index ``[cohort, age]``)."""

    first_cohort: int
    q: np.ndarray
    new_d1: np.ndarray
    ceb: np.ndarray
    surv: np.ndarray
    rebirth: np.ndarray
    lam: np.ndarray
    shortfall: np.ndarray
    dn1: np.ndarray
    dd1: np.ndarray
    new_couple_d1: np.ndarray
    new_wid_d1: np.ndarray
    lrel: np.ndarray
    n1j: np.ndarray
    d1g: np.ndarray
    d1s: np.ndarray


@dataclass(frozen=True)
class ExpectedResult:
    """Engine output for the output years.

    parents : dict name -> ndarray [R, T, 2, A_OUT+1] (persons; sex of the parent)
    families : dict name -> ndarray [R, T, A_OUT+1] (couples)
    means : dict name -> ndarray [R, T, A_OUT+1] (per living woman)
    grouped : dict name -> ndarray [R, T, A_OUT+1, K] (mothers by mother's age and a group,
        :data:`GROUPED_VARIABLES`)
    population : ndarray [R, T, 2, A_OUT+1] (persons)
    women : ndarray [R, T, A_OUT+1] — living women (weights of the means)
    rebirths : ndarray [R, T] — births to women whose only child had died, in the step t−1→t
    hazards : FertilityHazards
    shortfall : ndarray [R, T] — births the intensity solve could not place [births]
    shortfall_history, births_history : ndarray [R, Y] or None — the same, and all births, in
        every rate year from the bundle's first up to ``last_year`` [births] (the history
        behind the output years; checked by ``lossproj.plausibility``)
    """

    regions: tuple[str, ...]
    years: np.ndarray
    parents: dict
    families: dict
    means: dict
    grouped: dict
    population: np.ndarray
    women: np.ndarray
    rebirths: np.ndarray
    hazards: FertilityHazards
    shortfall: np.ndarray
    shortfall_history: np.ndarray | None = None
    births_history: np.ndarray | None = None


def child_log_survival(mx: np.ndarray, srb: np.ndarray, first_year: int,
                       factor: np.ndarray | None = None) -> np.ndarray:
    """Log survival of a child of unknown sex, by birth cohort and age (docs/model.md).

    A child of birth cohort ``b`` is born in the step ``b−1 → b`` and is alive at its first
    reference date with ``exp(−½ mx[s, b−1, 0])``; the sexes are mixed by ``srb[b−1]``.
    ``factor [Y, A_MAX+1]`` (optional) multiplies the step death rate by year and the child's
    completed age, and the newborn's half-year rate by ``factor[b−1, 0]`` (birth order).

    Returns
    -------
    ndarray [Y + 1, A_MAX+1] — row ``i`` is birth cohort ``first_year + i``
    """
    n_y = mx.shape[1]
    cohorts = np.arange(first_year, first_year + n_y + 1)
    step = np.clip(cohorts - 1 - first_year, 0, n_y - 1)
    p_male = srb[step] / (1.0 + srb[step])
    ones = np.ones(mx.shape[1:])
    f = ones if factor is None else factor
    ls = []
    for s in range(2):
        log_l = cohort_log_survival(mx[s], first_year, cohorts, factor=None if factor is None else f)
        log_l += -0.5 * (mx[s, step, 0] * f[step, 0])[:, None]
        ls.append(np.exp(log_l))
    mixed = (1.0 - p_male)[:, None] * ls[0] + p_male[:, None] * ls[1]
    with np.errstate(divide="ignore"):
        return np.log(mixed)


def run_region_cohorts(
    mx: np.ndarray,
    asfr_or_lam: np.ndarray,
    srb: np.ndarray,
    first_year: int,
    parity_rel: np.ndarray,
    dur1: np.ndarray,
    replace_share: np.ndarray,
    wait_pmf: np.ndarray,
    union_age: int,
    first_cohort: int,
    last_cohort: int,
    solve: bool = True,
    stop: np.ndarray | None = None,
    sterile: np.ndarray | None = None,
    child_factor: np.ndarray | None = None,
) -> CohortArrays:
    """State process of cohorts ``first_cohort..last_cohort`` of one region.

    Parameters
    ----------
    mx : ndarray [2, Y, A_MAX+1] — central death rates [deaths per person-year]
    asfr_or_lam : ndarray [Y, A_MAX+1] — all-order ASFR [births per woman-year] when
        ``solve``, else the fertility intensity to use [per year]
    srb : ndarray [Y] — sex ratio at birth
    parity_rel : ndarray [4, Y] — relative levels by transition
    dur1 : ndarray [D] — multiplier of the 1→2 hazard by the living child's age
    replace_share : ndarray [Y, A_MAX+1] — probability that a woman whose only child dies in
        the step starting in year ``y`` at her age ``a`` would have another birth
    wait_pmf : ndarray [K] — probabilities of the replacement birth ``s`` whole years after the
        first reference date after the loss (sum 1)
    stop : ndarray [Y] or None — share of first births in the step starting in the year after
        which the mother stops (no next birth while the child lives); default none
    sterile : ndarray [Y] or None — share of the women reaching age ``FERT_MIN`` in the year who
        never bear a child; default none
    child_factor : ndarray [2, Y, A_MAX+1] or None — multiplier of the step death rate of
        first-born (0) and later-born (1) children (``RateBundle.child_mx_factor``); default 1
    """
    mx = np.ascontiguousarray(mx, dtype=np.float64)
    rates = np.ascontiguousarray(asfr_or_lam, dtype=np.float64)
    rel = np.ascontiguousarray(parity_rel, dtype=np.float64)
    if mx.ndim != 3 or mx.shape[0] != 2 or mx.shape[2] != A_MAX + 1:
        raise ValueError(f"mx must have shape [2, Y, {A_MAX + 1}]; got {mx.shape}")
    if rates.shape != mx.shape[1:]:
        raise ValueError(f"fertility array has shape {rates.shape}; expected {mx.shape[1:]}")
    if rel.shape != (len(Transition), mx.shape[1]):
        raise ValueError(
            f"parity levels have shape {rel.shape}; expected ({len(Transition)}, {mx.shape[1]})"
        )
    if dur1.size == 0:
        raise ValueError("dur1 needs at least one value")
    rs = np.ascontiguousarray(replace_share, dtype=np.float64)
    if rs.shape != mx.shape[1:] or not np.all((rs >= 0.0) & (rs <= 1.0)):
        raise ValueError(
            f"replace_share must be probabilities in [0, 1] of shape {mx.shape[1:]}; got shape {rs.shape}"
        )
    wh = np.ascontiguousarray(wait_hazard(wait_pmf), dtype=np.float64)
    if wh.size > SINCE_LOSS_EDGES[-1]:
        raise ValueError(f"wait_pmf has {wh.size} values; at most {SINCE_LOSS_EDGES[-1]}")
    shares = {}
    for name, arr in (("stop", stop), ("sterile", sterile)):
        arr = np.zeros(mx.shape[1]) if arr is None else np.ascontiguousarray(arr, dtype=np.float64)
        if arr.shape != (mx.shape[1],) or not np.all((arr >= 0.0) & (arr <= 1.0)):
            raise ValueError(f"{name} must be shares in [0, 1] of shape ({mx.shape[1]},); got shape {arr.shape}")
        shares[name] = arr
    if child_factor is None:
        child_l = child_lo = np.exp(child_log_survival(mx, srb, first_year))
    else:
        child_l, child_lo = (np.exp(child_log_survival(mx, srb, first_year, child_factor[o])) for o in range(2))
    n_c = last_cohort - first_cohort + 1
    shape = (n_c, A_MAX + 1)
    out = {
        name: np.zeros(shape)
        for name in ("ceb", "surv", "rebirth", "lam", "shortfall", "dn1", "dd1", "new_couple_d1", "lrel")
    }
    edges = np.asarray(LOSS_AGE_EDGES, dtype=np.int64)
    since = np.asarray(SINCE_LOSS_EDGES, dtype=np.int64)
    # by the child's age at loss (groups split at LOSS_AGE_EDGES)
    out["new_d1"] = np.zeros(shape + (edges.size + 1,))
    out["new_wid_d1"] = np.zeros(shape + (edges.size + 1,))
    out["d1g"] = np.zeros(shape + (edges.size + 1,))
    out["d1s"] = np.zeros(shape + (since.size + 1,))
    out["n1j"] = np.zeros(shape + (FERT_MAX - FERT_MIN + 1,))  # N1 by mother's age at the birth
    q = np.zeros((n_c, A_MAX + 1, len(State)))
    inputs = k.CohortInputs(
        first_cohort=first_cohort, first_year=first_year,
        mx_f=np.ascontiguousarray(step_mortality(mx[0])), asfr=rates, lam_in=rates, solve=solve,
        rel=rel, dur1=np.ascontiguousarray(dur1, dtype=np.float64), replace_share=rs,
        wait_hazard=wh, stop=shares["stop"], sterile=shares["sterile"], child_l=child_l,
        child_lo=child_lo, union_age=union_age, fert_min=FERT_MIN, fert_max=FERT_MAX,
        lam_max=LAM_MAX, loss_age_edges=edges, since_edges=since,
    )
    outputs = k.CohortOutputs(
        q=q, new_d1=out["new_d1"], ceb=out["ceb"], surv=out["surv"], rebirth=out["rebirth"],
        lam=out["lam"], short=out["shortfall"], dn1=out["dn1"], dd1=out["dd1"],
        new_couple_d1=out["new_couple_d1"], new_wid_d1=out["new_wid_d1"], lrel=out["lrel"],
        n1j=out["n1j"], d1g=out["d1g"], d1s=out["d1s"],
    )
    k.run_cohorts(inputs, outputs)
    return CohortArrays(first_cohort=first_cohort, q=q, **out)


@lru_cache(maxsize=32)
def _diag_index(n_c: int, n_a: int, first_cohort: int, first_year: int, n_y: int):
    """Flat positions of the ``[cohort, age]`` cells that land in ``[year, age]``: (to, from)."""
    ages = np.arange(n_a)
    ci = np.arange(first_year, first_year + n_y)[:, None] - ages[None, :] - first_cohort
    to = np.flatnonzero((ci >= 0) & (ci < n_c))
    src = ci.ravel()[to] * n_a + np.tile(ages, n_y)[to]
    for arr in (to, src):
        arr.flags.writeable = False  # shared by every call (lru_cache)
    return to, src


def _diag(arr_ca: np.ndarray, first_cohort: int, years: np.ndarray) -> np.ndarray:
    """Map a ``[cohort, age]`` array to ``[year, age]`` for ``years`` (cohort = year − age).

    ``years`` must be consecutive.
    """
    n_c, n_a = arr_ca.shape[:2]
    to, src = _diag_index(n_c, n_a, int(first_cohort), int(years[0]), years.size)
    rest = arr_ca.shape[2:]
    out = np.zeros((years.size * n_a,) + rest)
    out[to] = arr_ca.reshape((n_c * n_a,) + rest)[src]
    return out.reshape((years.size, n_a) + rest)


def _pool_open_age(arr: np.ndarray) -> np.ndarray:
    """Add ages ``A_OUT..A_MAX`` (last axis) into the open group ``A_OUT``."""
    out = arr[..., : A_OUT + 1].copy()
    out[..., A_OUT] = arr[..., A_OUT:].sum(axis=-1)
    return out


def _only_children(women: np.ndarray, n1j: np.ndarray, first_cohort: int, first_year: int) -> np.ndarray:
    """Living only children of living mothers by the child's own age: [T, A_OUT+1].

    women : [T, A_MAX+1] living women by age in years ``first_year..``; n1j : [C, A_MAX+1, F]
    the cohorts' shares in N1 by the mother's age at the birth ``FERT_MIN + j`` (cohort index
    from ``first_cohort``). A child born in the step starting at the mother's age
    ``FERT_MIN + j`` is aged ``a − FERT_MIN − 1 − j`` when she is aged ``a``.
    """
    out = np.zeros((women.shape[0], A_OUT + 1))
    k.only_children_by_age(
        np.ascontiguousarray(n1j), np.ascontiguousarray(women, dtype=np.float64), first_cohort, first_year,
        FERT_MIN, out,
    )
    return out


def project_expected(
    bundle: RateBundle,
    parity: ParityModel,
    first_year: int,
    last_year: int,
    *,
    include_migration: bool = False,
    progress=None,
) -> ExpectedResult:
    """Expected counts for ``first_year..last_year`` (docs/model.md).

    Parameters
    ----------
    bundle : RateBundle — rates and base population
    parity : ParityModel — parity levels, replacement, couples
    first_year, last_year : int — output years (within the bundle's years)
    include_migration : bool — add the bundle's net migration in the projection
    progress : callable(done: int, total: int) or None — called after each region
    """
    if not bundle.first_year <= first_year <= last_year <= bundle.last_year:
        raise ValueError(
            f"output years {first_year}..{last_year} must lie within the rate years "
            f"{bundle.first_year}..{bundle.last_year}"
        )
    if parity.rel.shape[0] != len(bundle.regions) or parity.rel.shape[2] != bundle.mx.shape[2]:
        raise ValueError(
            f"parity levels have shape {parity.rel.shape}; expected "
            f"({len(bundle.regions)}, {len(Transition)}, {bundle.mx.shape[2]})"
        )
    years = np.arange(first_year, last_year + 1)
    pop: PopulationArrays = project_population(bundle, include_migration=include_migration)
    first_cohort = bundle.first_year
    last_cohort = last_year
    n_r = len(bundle.regions)
    n_t = years.size
    parents = {v: np.zeros((n_r, n_t, 2, A_OUT + 1)) for v in PARENT_VARIABLES}
    families = {v: np.zeros((n_r, n_t, A_OUT + 1)) for v in FAMILY_VARIABLES}
    means = {v: np.zeros((n_r, n_t, A_OUT + 1)) for v in WOMAN_MEANS}
    grouped = {v: np.zeros((n_r, n_t, A_OUT + 1, len(GROUP_DIMS[dim])))
               for v, dim in GROUPED_VARIABLES.items()}
    women = np.zeros((n_r, n_t, A_OUT + 1))
    rebirths = np.zeros((n_r, n_t))
    shortfall = np.zeros((n_r, n_t))
    history = bundle.years[bundle.years <= last_year]
    shortfall_history = np.zeros((n_r, history.size))
    lam_grid = np.zeros_like(bundle.asfr)
    population = np.zeros((n_r, n_t, 2, A_OUT + 1))
    yi = years - pop.first_year
    elig = np.arange(A_MAX + 1) >= parity.eligibility_age

    for r in range(n_r):
        coh = run_region_cohorts(
            bundle.mx[r], bundle.asfr[r], bundle.srb, bundle.first_year, parity.rel[r],
            parity.dur1, parity.replace_share[r], parity.wait_pmf, parity.union_age,
            first_cohort, last_cohort, stop=parity.stop[r], sterile=parity.sterile[r],
            child_factor=bundle.child_mx_factor,
        )
        # intensity on the rate grid (year = cohort + age), for the microsimulation
        grid_years = bundle.years
        lam_grid[r] = _diag(coh.lam, first_cohort, grid_years)

        p_f = pop.population[r, 0][yi]  # [T, A]
        p_m = pop.population[r, 1][yi]
        population[r, :, 0] = _pool_open_age(p_f)
        population[r, :, 1] = _pool_open_age(p_m)
        q_ty = _diag(coh.q, first_cohort, years)  # [T, A, 5]
        new_ty = _diag(coh.new_d1, first_cohort, years)  # [T, A, G]
        mothers_new_g = p_f[..., None] * new_ty
        new_ty = new_ty.sum(axis=-1)
        mothers_one = p_f * (q_ty[..., State.N1] + q_ty[..., State.D1])
        mothers_d1 = p_f * q_ty[..., State.D1]
        mothers_n1 = p_f * q_ty[..., State.N1]
        mothers_new = p_f * new_ty

        # couples: per-union shares (wife alive part + wife dead part)
        couple_n1 = coh.q[..., State.N1] * coh.lrel + coh.dn1
        couple_d1 = coh.q[..., State.D1] * coh.lrel + coh.dd1
        # couples formed per wife cohort: her cohort's size times survival to the union age
        # (the back-projection factor is applied to the husbands' ages below, as to men)
        cohorts = np.arange(first_cohort, last_cohort + 1)
        ci_pop = cohorts - pop.first_cohort
        unions = pop.cohort_size[r, 0][ci_pop] * np.exp(pop.log_l[r, 0][ci_pop, parity.union_age])
        # eligibility by the wife's age (alive, or the age she would have): national rule
        couple_elig = couple_d1 * elig[None, :]
        shares = np.concatenate(
            [np.stack([couple_n1, couple_d1, coh.new_couple_d1, coh.dn1, coh.dd1, couple_elig], axis=-1),
             coh.new_wid_d1],
            axis=-1,
        )  # [C, A, V]: the last G are the widowed part of the new couples, by child's age at loss
        husbands = np.zeros((shares.shape[-1], n_t, A_MAX + 1))
        k.husbands_by_age(
            shares, unions, pop.log_l[r, 1], first_cohort, pop.first_cohort, first_year,
            parity.gap_values.astype(np.int64), parity.gap_pmf.astype(np.float64),
            parity.union_age, husbands,
        )
        if bundle.back_projection_factor is not None:
            # the same correction as the back-projected male population (docs/model.md)
            husbands *= bundle.back_projection_factor[1, yi - (bundle.first_year - pop.first_year)][None]
        fathers_n1, fathers_d1, fathers_new, widowers_n1, widowers_d1, fathers_elig = husbands[:6]
        # new shidu families by the child's age at loss: wife alive, or only the husband
        new_fam_g = np.moveaxis(mothers_new_g, -1, 0) + husbands[6:]  # [G, T, A]
        parents["one_child_parents"][r, :, 0] = _pool_open_age(mothers_one)
        parents["one_child_parents"][r, :, 1] = _pool_open_age(fathers_n1 + fathers_d1)
        parents["shidu_parents_strict"][r, :, 0] = _pool_open_age(mothers_d1)
        parents["shidu_parents_strict"][r, :, 1] = _pool_open_age(fathers_d1)
        parents["new_shidu_parents"][r, :, 0] = _pool_open_age(mothers_new)
        parents["new_shidu_parents"][r, :, 1] = _pool_open_age(fathers_new)
        parents["eligible_shidu_parents"][r, :, 0] = _pool_open_age(mothers_d1 * elig)
        parents["eligible_shidu_parents"][r, :, 1] = _pool_open_age(fathers_elig)
        families["one_child_families"][r] = _pool_open_age(mothers_n1 + widowers_n1)
        families["only_children"][r] = _only_children(p_f, coh.n1j, first_cohort, first_year)
        families["shidu_families"][r] = _pool_open_age(mothers_d1 + widowers_d1)
        families["new_shidu_families"][r] = _pool_open_age(new_fam_g.sum(axis=0))
        families["new_shidu_families_child_5plus"][r] = _pool_open_age(new_fam_g[1:].sum(axis=0))
        families["new_shidu_families_child_10plus"][r] = _pool_open_age(new_fam_g[2:].sum(axis=0))
        # replacement births in the step t -> t+1, by the mother's age at t
        families["rebirths"][r] = _pool_open_age(p_f * _diag(coh.rebirth, first_cohort, years))
        for name, arr in (("shidu_mothers_strict_by_child_age_at_death", coh.d1g),
                          ("shidu_mothers_strict_by_years_since_loss", coh.d1s)):
            grouped[name][r] = np.moveaxis(
                _pool_open_age(np.moveaxis(p_f[..., None] * _diag(arr, first_cohort, years), -1, 0)), 0, -1
            )

        ceb = _diag(coh.ceb, first_cohort, years)
        surv = _diag(coh.surv, first_cohort, years)
        women[r] = _pool_open_age(p_f)
        w = np.where(women[r] > 0, women[r], 1.0)
        means["mean_children_ever_born"][r] = _pool_open_age(p_f * ceb) / w
        means["mean_children_surviving"][r] = _pool_open_age(p_f * surv) / w
        means["mean_children_dead"][r] = (
            means["mean_children_ever_born"][r] - means["mean_children_surviving"][r]
        )
        # births in the step t-1 -> t to D1 women, counted over living women at t-1
        reb = _diag(coh.rebirth, first_cohort, years - 1)
        p_prev = pop.population[r, 0][np.clip(yi - 1, 0, None)]
        rebirths[r] = (p_prev * reb).sum(axis=-1)
        # unplaced births only: a negative value is an excess of replacement births over the ASFR
        short = np.clip(_diag(coh.shortfall, first_cohort, years), 0.0, None)
        shortfall[r] = (p_f * short).sum(axis=-1)
        short = np.clip(_diag(coh.shortfall, first_cohort, history), 0.0, None)
        shortfall_history[r] = (pop.population[r, 0][history - pop.first_year] * short).sum(axis=-1)
        if progress is not None:
            progress(r + 1, n_r)

    hazards = FertilityHazards(
        lam=lam_grid,
        rel=parity.rel,
        dur1=parity.dur1,
        replace_share=parity.replace_share,
        wait_pmf=parity.wait_pmf,
        first_year=bundle.first_year,
        stop=parity.stop,
        sterile=parity.sterile,
    )
    return ExpectedResult(
        regions=bundle.regions,
        years=years,
        parents=parents,
        families=families,
        means=means,
        grouped=grouped,
        population=population,
        women=women,
        rebirths=rebirths,
        hazards=hazards,
        shortfall=shortfall,
        shortfall_history=shortfall_history,
        births_history=pop.births[:, history - pop.first_year],
    )
