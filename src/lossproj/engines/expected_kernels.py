"""Numba kernels of the expected-value engine: the parity/bereavement state process of a cohort.

Plain-array functions only: no I/O, no randomness, write into preallocated outputs. The
validating wrappers live in :mod:`lossproj.engines.expected`. The process is specified in
``docs/model.md``; index conventions:

- ``c`` cohort index (cohort ``first_cohort + c``), ``a`` age 0..A_MAX, ``y`` year index
  (year ``first_year + y``);
- fertility states ``P0, N1, D1, P2, P3`` = 0..4 in ``states``
  (:class:`lossproj.conventions.State`);
- parity transitions ``k``: 0 childless, 1 one child alive, 2 two, 3 three+ (``rel`` rows;
  :class:`lossproj.conventions.Transition`);
  replacement after the loss of an only child is its own process (``replace_share``,
  ``wait_hazard``), not a transition of the intensity.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import prange

from lossproj.conventions import State, Transition
from lossproj.engines.jit import njit

# plain ints for the kernels (Numba reads module globals as compile-time constants)
P0, N1, D1, P2, P3 = (int(s) for s in State)
N_STATES = len(State)
N_TRANSITIONS = len(Transition)

#: Newton iterations for the fertility intensity; the solve converges from below
#: (the births function is concave and increasing in the intensity).
NEWTON_STEPS = 60
NEWTON_RTOL = 1e-13

#: Inputs of :func:`cohort_process` (one region), packed: fields as documented there.
CohortInputs = namedtuple("CohortInputs", [
    "first_cohort",
    "first_year",
    "mx_f",
    "asfr",
    "lam_in",
    "solve",
    "rel",
    "dur1",
    "replace_share",
    "wait_hazard",
    "stop",
    "sterile",
    "child_l",
    "child_lo",
    "union_age",
    "fert_min",
    "fert_max",
    "lam_max",
    "loss_age_edges",
    "since_edges",
])
#: Outputs of :func:`cohort_process`, preallocated ``[C, A+1, ...]`` arrays (fields as documented
#: there, without the ``_out`` suffix).
CohortOutputs = namedtuple("CohortOutputs", [
    "q",
    "new_d1",
    "ceb",
    "surv",
    "rebirth",
    "lam",
    "short",
    "dn1",
    "dd1",
    "new_couple_d1",
    "new_wid_d1",
    "lrel",
    "n1j",
    "d1g",
    "d1s",
])


@njit
def _births(lam, weights, levels, n):
    """Expected births and derivative for intensity ``lam``: Σ w (1 − e^{−lam h})."""
    f = 0.0
    df = 0.0
    for i in range(n):
        h = levels[i]
        if h > 0.0 and weights[i] > 0.0:
            e = np.exp(-lam * h)
            f += weights[i] * (1.0 - e)
            df += weights[i] * h * e
    return f, df


@njit
def solve_intensity(target, weights, levels, n, lam_max):
    """Intensity ``lam`` with Σ_i weights[i]·(1 − exp(−lam·levels[i])) = target.

    Returns ``(lam, shortfall)``; ``shortfall`` > 0 when the target cannot be reached
    below ``lam_max`` (then ``lam = lam_max``).
    """
    if target <= 0.0:
        return 0.0, 0.0
    sup = 0.0
    for i in range(n):
        if levels[i] > 0.0:
            sup += weights[i]
    if sup <= target:
        f, _ = _births(lam_max, weights, levels, n)
        return lam_max, target - f
    # 1 − e^{−x} ≤ x, so target / Σ w h is below the root: Newton then climbs monotonically
    wh = 0.0
    for i in range(n):
        wh += weights[i] * levels[i]
    lam = min(target / wh, lam_max)
    for _ in range(NEWTON_STEPS):
        f, df = _births(lam, weights, levels, n)
        g = f - target
        if df <= 0.0:
            break
        step = g / df
        lam_new = lam - step
        if lam_new > lam_max:
            lam_new = lam_max
        if abs(lam_new - lam) <= NEWTON_RTOL * max(lam_new, 1e-300):
            lam = lam_new
            break
        lam = lam_new
    f, _ = _births(lam, weights, levels, n)
    short = target - f
    if short < 0.0 or lam < lam_max:
        short = 0.0
    return lam, short


@njit
def cohort_process(c, inp, out):
    """Run the state process of cohort index ``c`` over ages 0..A_MAX.

    ``inp`` is a :class:`CohortInputs`, ``out`` a :class:`CohortOutputs` (named tuples of plain
    arrays and numbers); their fields:

    Parameters (plain arrays; rates indexed by year index ``t − first_year``, clipped to the grid)
    ----------
    mx_f : ndarray [Y, A+1] — female step mortality ½(mx[a] + mx[a+1]) [deaths per person-year]
    asfr : ndarray [Y, A+1] — all-order births per woman per year (used when ``solve``)
    lam_in : ndarray [Y, A+1] — fertility intensity (used when not ``solve``)
    rel : ndarray [N_TRANSITIONS, Y] — relative parity-progression levels (rel[0] = 1)
    dur1 : ndarray [D] — multiplier of the 1→2 hazard by the child's age
    replace_share : ndarray [Y, A+1] — probability that a woman whose only child dies in the
        step starting in year ``y`` at her age ``a`` is one who would have another birth
        (the others never bear again) [probability]
    wait_hazard : ndarray [K] — probability of the replacement birth in the step starting
        ``s`` years after the first reference date after the loss, given none before and the
        mother alive and fertile [probability]; 0 from ``s = K`` on
    stop : ndarray [Y] — share of first births after which the mother has no next birth while
        the child lives (she may still replace the child after its death)
    sterile : ndarray [Y] — share of the women reaching ``fert_min`` in the year who never bear
        a child
    child_l : ndarray [B, A+1] — survival of a first-born child of birth-cohort index
        ``b − first_year`` from birth to age ``d`` (sex-mixed; ``d = 0`` is the first reference
        date): the child of N1 and of a childless woman's birth
    child_lo : ndarray [B, A+1] — the same for later-born children (surviving children of P2/P3)
    loss_age_edges : ndarray [G−1] of int — lower bounds of the child's-age-at-loss groups
        after the first (increasing); the child's age at loss is its age ``d`` at the start of
        the step it dies in (0 for a newborn dying before its first reference date)
    since_edges : ndarray [H−1] of int — lower bounds of the years-since-loss groups after the
        first; whole years since the loss are followed up to the last edge (``s`` capped there)

    Outputs (row ``c`` written; each ``[C, A+1]`` unless stated)
    -------
    q_out [C, A+1, 5] state shares of a living woman; new_d1_out [C, A+1, G] entries into D1
    during the step ending at age ``a``, by the child's age at loss; ceb_out / surv_out mean
    children ever born / surviving; rebirth_out replacement births to D1 women in the step
    starting at age ``a``; lam_out the intensity used at age ``a``; short_out births the
    intensity solve could not place (negative: replacement births alone exceed the ASFR, by
    that much); dn1_out / dd1_out per-union shares of couples whose wife has
    died, in N1 / D1; new_couple_d1_out per-union entries of couples into D1 in the step ending
    at ``a``; new_wid_d1_out [C, A+1, G] the part of them whose wife is dead at ``a``, by the
    child's age at loss; lrel_out the wife's survival from ``union_age`` to ``a``; n1j_out
    [C, A+1, F] the share in N1 (stopped or not) by her age at the birth ``fert_min + j``;
    d1g_out [C, A+1, G] the share in D1 by the child's age at loss; d1s_out [C, A+1, H] the
    share in D1 by years since the loss.
    """
    first_cohort = inp.first_cohort
    first_year = inp.first_year
    mx_f = inp.mx_f
    asfr = inp.asfr
    lam_in = inp.lam_in
    solve = inp.solve
    rel = inp.rel
    dur1 = inp.dur1
    replace_share = inp.replace_share
    wait_hazard = inp.wait_hazard
    stop = inp.stop
    sterile = inp.sterile
    child_l = inp.child_l
    child_lo = inp.child_lo
    union_age = inp.union_age
    fert_min = inp.fert_min
    fert_max = inp.fert_max
    lam_max = inp.lam_max
    loss_age_edges = inp.loss_age_edges
    since_edges = inp.since_edges
    q_out = out.q
    new_d1_out = out.new_d1
    ceb_out = out.ceb
    surv_out = out.surv
    rebirth_out = out.rebirth
    lam_out = out.lam
    short_out = out.short
    dn1_out = out.dn1
    dd1_out = out.dd1
    new_couple_d1_out = out.new_couple_d1
    new_wid_d1_out = out.new_wid_d1
    lrel_out = out.lrel
    n1j_out = out.n1j
    d1g_out = out.d1g
    d1s_out = out.d1s
    n_years = mx_f.shape[0]
    a_max = mx_f.shape[1] - 1
    n_fert = fert_max - fert_min + 1
    n_dur = dur1.shape[0]
    n_wait = wait_hazard.shape[0]
    n_s = since_edges[since_edges.shape[0] - 1] + 1
    n_h = d1s_out.shape[2]
    cohort = first_cohort + c

    n1 = np.zeros(n_fert)  # by mother's age at the birth (index a_birth − fert_min)
    n1s = np.zeros(n_fert)  # the same, mothers who stopped after the first birth
    n1s_next = np.zeros(n_fert)
    eb = np.zeros(n_fert)  # expected births by mother's age at the birth
    eb1 = np.zeros(n_fert)  # of them first births
    dn1 = np.zeros(n_fert)
    n1_next = np.zeros(n_fert)
    n_g = new_d1_out.shape[2]
    # D1 by child's age at loss g and whole years since the loss s: women who would have
    # another birth (alive and fertile) and women who never bear again
    d1r = np.zeros((n_g, n_s))
    d1n = np.zeros((n_g, n_s))
    d1r_next = np.zeros((n_g, n_s))
    d1n_next = np.zeros((n_g, n_s))
    since_group = np.zeros(n_s, dtype=np.int64)
    for s in range(n_s):
        h = 0
        while h < n_h - 1 and s >= since_edges[h]:
            h += 1
        since_group[s] = h
    weights = np.zeros(n_fert + 3)
    levels = np.zeros(n_fert + 3)

    p0 = 1.0
    p0s = 0.0  # sterile: never a birth
    p2 = 0.0
    p3 = 0.0
    ceb = 0.0
    dd1 = 0.0
    lrel = 0.0
    new_d1 = np.zeros(n_g)
    new_wid = np.zeros(n_g)
    new_couple = 0.0
    entered = np.zeros(n_g)
    widowed_losses = np.zeros(n_g)

    for a in range(a_max + 1):
        t = cohort + a
        y = min(max(t - first_year, 0), n_years - 1)
        # --- record the state at reference t ---
        s_n1 = 0.0
        for j in range(n_fert):
            s_n1 += n1[j] + n1s[j]
            n1j_out[c, a, j] = n1[j] + n1s[j]
        s_d1 = 0.0
        for g in range(n_g):
            for s in range(n_s):
                v = d1r[g, s] + d1n[g, s]
                s_d1 += v
                d1g_out[c, a, g] += v
                d1s_out[c, a, since_group[s]] += v
        q_out[c, a, P0] = p0 + p0s
        q_out[c, a, N1] = s_n1
        q_out[c, a, D1] = s_d1
        q_out[c, a, P2] = p2
        q_out[c, a, P3] = p3
        ceb_out[c, a] = ceb
        surv = 0.0
        for j in range(n_fert):
            if eb[j] > 0.0:
                b = cohort + fert_min + j + 1
                d = t - b
                if d >= 0:
                    bi = min(max(b - first_year, 0), child_l.shape[0] - 1)
                    da = min(d, a_max)
                    surv += eb1[j] * child_l[bi, da] + (eb[j] - eb1[j]) * child_lo[bi, da]
        surv_out[c, a] = surv
        for g in range(n_g):
            new_d1_out[c, a, g] = new_d1[g]
        if a == union_age:
            lrel = 1.0
        lrel_out[c, a] = lrel
        s_dn1 = 0.0
        for j in range(n_fert):
            s_dn1 += dn1[j]
        dn1_out[c, a] = s_dn1
        dd1_out[c, a] = dd1
        new_couple_d1_out[c, a] = new_couple
        for g in range(n_g):
            new_wid_d1_out[c, a, g] = new_wid[g]

        # --- fertility in the step t -> t+1 ---
        fertile = fert_min <= a <= fert_max
        if a == fert_min:
            p0s = p0 * sterile[y]
            p0 -= p0s
        # replacement births: their own process (docs/model.md), not part of the intensity
        # solve; the solve meets what remains of the ASFR
        reborn = 0.0
        if fertile:
            for g in range(n_g):
                for s in range(min(n_wait, n_s)):
                    reborn += d1r[g, s] * wait_hazard[s]
        lam = 0.0
        if fertile:
            # women with hazard 0 (sterile, stopped) bear none of the births: not in the solve
            n = 0
            weights[n] = p0
            levels[n] = rel[0, y]
            n += 1
            for j in range(n_fert):
                if n1[j] > 0.0:
                    d = t - (cohort + fert_min + j + 1)
                    weights[n] = n1[j]
                    levels[n] = rel[1, y] * dur1[min(max(d, 0), n_dur - 1)]
                    n += 1
            weights[n] = p2
            levels[n] = rel[2, y]
            n += 1
            weights[n] = p3
            levels[n] = rel[3, y]
            n += 1
            if solve:
                target = asfr[y, a] - reborn
                if target < 0.0:
                    short_out[c, a] = target  # replacement births alone exceed the ASFR
                else:
                    lam, short = solve_intensity(target, weights, levels, n, lam_max)
                    short_out[c, a] = short
            else:
                lam = lam_in[y, a]
        lam_out[c, a] = lam

        b0 = p0 * (1.0 - np.exp(-lam * rel[0, y])) if fertile else 0.0
        b2 = p2 * (1.0 - np.exp(-lam * rel[2, y])) if fertile else 0.0
        b3 = p3 * (1.0 - np.exp(-lam * rel[3, y])) if fertile else 0.0
        to_p2 = 0.0
        entered[:] = 0.0
        widowed_losses[:] = 0.0
        births = b0 + b2 + b3

        # one child alive: birth of a second, or the child's death
        for j in range(n_fert):
            n1_next[j] = 0.0
            n1s_next[j] = 0.0
            if n1[j] <= 0.0 and n1s[j] <= 0.0 and dn1[j] <= 0.0:
                continue
            b = cohort + fert_min + j + 1
            d = t - b
            bi = min(max(b - first_year, 0), child_l.shape[0] - 1)
            dd = min(max(d, 0), a_max - 1)
            sv = child_l[bi, dd + 1] / child_l[bi, dd] if child_l[bi, dd] > 0.0 else 0.0
            pb = 0.0
            if fertile:
                pb = 1.0 - np.exp(-lam * rel[1, y] * dur1[min(max(d, 0), n_dur - 1)])
            born = n1[j] * pb
            to_p2 += born
            births += born
            stay = n1[j] - born
            n1_next[j] = stay * sv
            n1s_next[j] = n1s[j] * sv
            g = 0
            while g < n_g - 1 and d >= loss_age_edges[g]:
                g += 1
            entered[g] += (stay + n1s[j]) * (1.0 - sv)
            # couples whose wife has died: only the child's survival
            died = dn1[j] * (1.0 - sv)
            dn1[j] -= died
            dd1 += died
            widowed_losses[g] += died
        # one child dead: a replacement birth, or one more year since the loss
        d1r_next[:] = 0.0
        d1n_next[:] = 0.0
        for g in range(n_g):
            for s in range(n_s):
                nxt = min(s + 1, n_s - 1)
                r = d1r[g, s] * wait_hazard[s] if fertile and s < n_wait else 0.0
                d1r_next[g, nxt] += d1r[g, s] - r
                d1n_next[g, nxt] += d1n[g, s]
        to_p2 += reborn
        births += reborn
        rebirth_out[c, a] = reborn

        # newborn of a childless woman: alive at its first reference date, or dead
        if b0 > 0.0:
            jb = a - fert_min
            bi = min(max(t + 1 - first_year, 0), child_l.shape[0] - 1)
            l0 = child_l[bi, 0]
            n1_next[jb] += b0 * l0 * (1.0 - stop[y])
            n1s_next[jb] += b0 * l0 * stop[y]
            entered[0] += b0 * (1.0 - l0)
        entered_all = entered.sum()
        # who would have another birth: by her age at the start of the loss step
        rs = replace_share[y, min(a, a_max)]
        for g in range(n_g):
            d1r_next[g, 0] += entered[g] * rs
            d1n_next[g, 0] += entered[g] * (1.0 - rs)
        if fertile:
            eb[a - fert_min] = births
            eb1[a - fert_min] = b0

        p0 -= b0
        p2 += to_p2 - b2
        p3 += b2
        ceb += births

        # wife's survival over the step; widowed couples carry the state at t+1
        qf = 1.0 - np.exp(-mx_f[y, min(a, a_max)])
        widowed = lrel * qf
        new_couple = entered_all * lrel + widowed_losses.sum()
        for g in range(n_g):
            # couples whose wife is dead at t+1: she died before the step or in it
            new_wid[g] = widowed_losses[g] + entered[g] * widowed
        for j in range(n_fert):
            n1[j] = n1_next[j]
            n1s[j] = n1s_next[j]
            dn1[j] += (n1_next[j] + n1s_next[j]) * widowed
        tot_d1 = 0.0
        for g in range(n_g):
            for s in range(n_s):
                d1r[g, s] = d1r_next[g, s]
                d1n[g, s] = d1n_next[g, s]
                tot_d1 += d1r_next[g, s] + d1n_next[g, s]
        dd1 += tot_d1 * widowed
        lrel = lrel * (1.0 - qf)
        new_d1[:] = entered


@njit(parallel=True)
def run_cohorts(inp, out):
    """Run :func:`cohort_process` for every cohort row of ``out`` (cohorts are independent)."""
    n_c = out.q.shape[0]
    for c in prange(n_c):
        cohort_process(c, inp, out)


@njit(parallel=True)
def husbands_by_age(
    shares,
    unions,
    male_log_l,
    first_cohort,
    male_first_cohort,
    first_out_year,
    gap_values,
    gap_pmf,
    union_age,
    out,
):
    """Living husbands by their own age from per-union shares of their wives' cohorts.

    Parameters
    ----------
    shares : ndarray [C, A+1, V] — per-union share of couples of wife cohort index ``c`` in each
        of V states, at wife's age ``a`` (independent of the husband's survival)
    unions : ndarray [C] — couples formed per wife cohort [couples]
    male_log_l : ndarray [Cm, A+1] — male cohort log survival from age 0 (cohort index from
        ``male_first_cohort``)
    gap_values, gap_pmf : ndarray [G] — husband's age minus wife's age [years] and probabilities
    out : ndarray [V, T, A+1] — husbands alive in year ``first_out_year + t`` aged ``x``
    """
    n_c, n_a, n_v = shares.shape
    n_t = out.shape[1]
    n_m = male_log_l.shape[0]
    for t in prange(n_t):  # years are independent
        year = first_out_year + t
        for x in range(n_a):
            cf = year - x
            mi = cf - male_first_cohort
            if mi < 0 or mi >= n_m:
                continue
            for gi in range(gap_values.shape[0]):
                p = gap_pmf[gi]
                g = gap_values[gi]
                a_w = x - g
                age_union = union_age + g
                ci = cf + g - first_cohort
                if p == 0.0 or ci < 0 or ci >= n_c or a_w < union_age or a_w >= n_a:
                    continue
                if age_union < 0 or age_union >= n_a:
                    continue
                w = p * unions[ci] * np.exp(male_log_l[mi, x] - male_log_l[mi, age_union])
                for v in range(n_v):
                    out[v, t, x] += w * shares[ci, a_w, v]


@njit
def only_children_by_age(n1j, women, first_cohort, first_year, fert_min, out):
    """Living only children of living mothers by the child's own age.

    Parameters
    ----------
    n1j : ndarray [C, A+1, F] — share of a living woman of cohort index ``c`` at age ``a`` in
        N1 whose child was born in the step starting at her age ``fert_min + j``
    women : ndarray [T, A+1] — living women in year ``first_year + t`` aged ``a`` [persons]
    out : ndarray [T, D] — children aged ``a − fert_min − 1 − j`` added [persons]
    """
    n_t, n_a = women.shape
    n_c = n1j.shape[0]
    n_j = n1j.shape[2]
    n_out = out.shape[1]
    for t in range(n_t):
        for a in range(n_a):
            w = women[t, a]
            ci = first_year + t - a - first_cohort
            if w == 0.0 or ci < 0 or ci >= n_c:
                continue
            for j in range(n_j):
                d = a - fert_min - 1 - j
                if 0 <= d < n_out:
                    out[t, d] += w * n1j[ci, a, j]
