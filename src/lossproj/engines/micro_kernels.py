"""Numba kernels of the microsimulation: one woman's life, her husband and her children.

The kernels take plain C-contiguous arrays, draw their random numbers from
:mod:`lossproj.engines.rng` with a stream key passed as an argument, and add integer counts
into preallocated per-worker accumulators. Nothing is stored per person.

Accumulators are **difference arrays over reference years**: a person in a state on the
reference dates ``t1 .. t2-1`` adds ``+v`` at ``t1`` and ``-v`` at ``t2`` (both clipped to
the output window), so a cumulative sum over years gives the count (``v = 1``) or the sum of
a per-person quantity at each reference date. They are indexed ``acc_w[worker, quantity,
cohort, year]`` for women and ``acc_m[worker, quantity, cohort, gap, year]`` for their
husbands (``cohort`` is always the *wife's* cohort, so cohort weights apply to both). Events
(births) are plain counts by step year in ``acc_e[worker, event, cohort, year]``. All are
int64, so nothing overflows at full scale.

Sampling scheme (see docs/model.md for the model itself)
--------------------------------------------------------
- Deaths (woman, husband, child) by inverse CDF: one uniform ``u``; the person is alive at the
  ``j``-th reference date of her table iff ``u < L[j]``, with ``L`` the survival table
  (nonincreasing, ``L = 0`` past age ``A_MAX``). The first ``j`` with ``L[j] <= u`` is found
  from a guide table: ``guide[m]`` is the first ``j`` with ``L[j] <= (m + 1) / GUIDE_SIZE``,
  a lower bound for every ``u`` in bucket ``m = floor(u * GUIDE_SIZE)``, followed by a short
  forward scan (the same ``j`` as a binary search, in about one step). This is exact for the
  stepwise survival ``exp(-mx)`` of the model.
- Births by an exponential clock: after each birth (and at the start) draw ``u``; the next
  birth is in the first step where the hazard summed since the clock started exceeds
  ``E = -log(1 - u)``. ``P(no birth in steps t0..t) = exp(-sum h)`` is exactly the model's
  ``prod (1 - p_t)`` with ``p_t = 1 - exp(-h_t)``. The clock runs while she has a living
  child (or none ever born); in the states whose hazard depends only on the cohort's diagonal
  (P0, P2, P3, entered only at a birth or at the start) the condition is read from the
  cumulative hazard
  ``hc[k, ci, a] = sum_{j < a} hk[k, ci, j]``: the birth is at the first age ``a >= a_s``
  with ``hc[k, ci, a + 1] > hc[k, ci, a_s] + E`` (a scan without a dependent chain). The
  comparison stays in hazard space: ``exp(-hc)`` underflows to 0 for the very high
  intensities of some provinces before 1970, which would stop the clock for good.
  In N1 (duration-dependent multiplier) the hazards are added step by step and compared with
  ``E`` (table scans over the constant tail of ``dur1`` were measured and gave no gain: the
  step loop is short and not the bottleneck).
- Replacement after loss (docs/model.md): from the first reference date ``e`` at which none
  of her children is alive (her only child's death, or, with ``wide``, the last of several),
  the clock stops; one draw decides whether she never bears again (probability
  ``1 - replace_share`` at the year and her age of the step of the loss) and, if not, a second
  draws the wait ``s`` from ``wait_cdf``: her next birth is in the step starting at ``e + s``
  if she is then alive and fertile. After that birth a new clock starts.
- Draw numbers per woman: 0 her death, 1 husband's age gap, 2 husband's death, and for her
  ``k``-th birth (k = 0, 1, ...) ``3 + 3k`` the waiting time, ``4 + 3k`` the child's sex,
  ``5 + 3k`` the child's death; ``DRAW_FRAILTY`` (the last draw number) her shared frailty,
  ``DRAW_STERILE`` whether she is sterile and ``DRAW_STOP`` whether she stops after her first
  child (the two draws before it); for her ``n``-th loss of every surviving child
  ``DRAW_REPLACE - 2n`` (never again?) and ``DRAW_REPLACE - 2n - 1`` (the wait).
- Sterility and stopping (docs/model.md): a woman of cohort index ``ci`` is sterile with
  probability ``sterile[ci]`` and then has no birth; after a first birth in the step starting
  in year ``t`` she stops with probability ``stop[t - year0]``: her N1 hazard is 0 (the clock
  does not run while the child lives); after its death she replaces it like every mother.
- Optional shared frailty (``frailty_sd > 0``, off by default): a lognormal ``Z`` (mean 1,
  log-sd ``frailty_sd``) multiplies the death hazards of the woman and of each of her
  children; with survival tables ``L`` this is the transformed uniform ``u^(1/Z)``.

Tabulation kernels map counts by (cohort, year) to weighted sums by (year, age) with
within-cohort binomial variances (see :mod:`lossproj.engines.micro`, "Standard errors").
"""

from __future__ import annotations

import math

import numba
import numpy as np

from lossproj.conventions import LOSS_AGE_EDGES, SINCE_LOSS_EDGES
from lossproj.engines.jit import njit
from lossproj.engines.rng import DRAW_LIMIT, frailty_power, uniform

# women's quantities (acc_w axis 1)
W_POP = 0  # alive
W_N1 = 1  # alive, one child ever born, alive
W_D1 = 2  # alive, one child ever born, dead (strict shidu)
W_WIDE = 3  # alive, ceb >= 1, surviving == 0
W_LOST = 4  # alive, at least one child dead
W_NEW = 5  # alive at t, entered D1 in step t-1 -> t
W_CEB = 6  # sum of children ever born over living women
W_SURV = 7  # sum of surviving children over living women
W_CEB2 = 8  # sum of ceb**2 over living women (standard errors of the means)
W_SURV2 = 9  # sum of surviving**2
W_DEAD2 = 10  # sum of (ceb - surviving)**2
W_NEW5 = 11  # W_NEW whose only child was aged 5+ at the start of the step it died in
W_NEW10 = 12  # the same, aged 10+
#: Strict shidu women by the child's age at death (4 rows from W_STRICT_G, groups split at
#: LOSS_AGE_EDGES) and by years since the loss (4 rows from W_STRICT_S, SINCE_LOSS_EDGES); the
#: same for wide shidu women (the child whose death left her with none).
N_GROUPS = len(LOSS_AGE_EDGES) + 1
W_STRICT_G = 13
W_STRICT_S = W_STRICT_G + N_GROUPS
W_WIDE_G = W_STRICT_S + N_GROUPS
W_WIDE_S = W_WIDE_G + N_GROUPS
N_W = W_WIDE_S + N_GROUPS
# husbands' quantities (acc_m axis 1); M_FAM_* are families whose wife is dead, husband alive
M_POP = 0
M_N1 = 1
M_D1 = 2
M_WIDE = 3
M_LOST = 4
M_NEW = 5
M_FAM_N1 = 6
M_FAM_D1 = 7
M_FAM_NEW = 8  # wife dead, husband alive at t, entered D1 in step t-1 -> t
M_FAM_NEW5 = 9  # the same, only child aged 5+ at the start of the step it died in
M_FAM_NEW10 = 10  # the same, aged 10+
M_ELIG = 11  # husband alive, couple in D1, wife aged (or, dead, would be) >= eligibility age
N_M = 12
#: Child's age at loss from which W_NEW5 / M_FAM_NEW5 and W_NEW10 / M_FAM_NEW10 count [years].
LOSS_AGE_5, LOSS_AGE_10 = LOSS_AGE_EDGES[:2]
# events by step year (acc_e axis 1), indexed by the mother's cohort
E_BIRTHS = 0
E_REBIRTHS = 1  # replacement births to women in D1 (one child ever born, dead)
N_E = 2

#: draw numbers (see module docstring)
DRAW_DEATH = 0
DRAW_GAP = 1
DRAW_HUSBAND_DEATH = 2
DRAW_FIRST_BIRTH = 3
#: Draw of the mother's shared frailty (the last draw number, beyond every birth's draws).
DRAW_FRAILTY = DRAW_LIMIT - 1
#: Draw deciding whether she is sterile (never bears a child).
DRAW_STERILE = DRAW_LIMIT - 2
#: Draw deciding whether she stops after her first child (no next birth while it lives).
DRAW_STOP = DRAW_LIMIT - 3
#: Replacement after her ``n``-th loss of every surviving child (n = 0, 1, ...): draw
#: ``DRAW_REPLACE - 2n`` decides whether she never bears again, ``DRAW_REPLACE - 2n - 1`` the
#: wait. They count down from below DRAW_STOP and stay above every birth's draws.
DRAW_REPLACE = DRAW_LIMIT - 4
DRAWS_PER_BIRTH = 3

_BIG = 1 << 30
#: Buckets of the inverse-CDF guide tables (a power of 2, so ``u * GUIDE_SIZE`` is exact).
GUIDE_SIZE = 128


@njit
def build_guide(table, guide):
    """``guide[row, m]`` = first j with ``table[row, j] <= (m + 1) / GUIDE_SIZE``.

    Rows of ``table`` are nonincreasing and end with 0, so the index always exists.
    """
    n_rows, n_j = table.shape
    n_m = guide.shape[1]
    for row in range(n_rows):
        j = 0
        for m in range(n_m - 1, -1, -1):
            x = (m + 1) / n_m
            while j < n_j - 1 and table[row, j] > x:
                j += 1
            guide[row, m] = j


@njit(inline="always")
def first_at_or_below(table, row, x, lo, hi):
    """First j in [lo, hi] with ``table[row, j] <= x`` (rows nonincreasing), else hi + 1."""
    a = lo
    b = hi + 1
    while a < b:
        mid = (a + b) >> 1
        if table[row, mid] <= x:
            b = mid
        else:
            a = mid + 1
    return a


@njit(inline="always")
def first_at_or_below_guided(table, guide, row, x, hi):
    """``first_at_or_below(table, row, x, 0, hi)`` started from the guide table."""
    j = guide[row, int(x * GUIDE_SIZE)]
    while j <= hi and table[row, j] > x:
        j += 1
    return min(j, hi + 1)


@njit(inline="always")
def _add_w(acc_w, w, q, ci, lo, hi, t0, t1, v):
    if lo < t0:
        lo = t0
    if hi > t1:
        hi = t1
    if lo < hi:
        acc_w[w, q, ci, lo - t0] += v
        acc_w[w, q, ci, hi - t0] -= v


@njit(inline="always")
def _add_m(acc_m, w, q, ci, gi, lo, hi, t0, t1):
    if lo < t0:
        lo = t0
    if hi > t1:
        hi = t1
    if lo < hi:
        acc_m[w, q, ci, gi, lo - t0] += 1
        acc_m[w, q, ci, gi, hi - t0] -= 1


@njit(inline="always")
def _couple(acc_w, acc_m, w, qw, qm, ci, gi, lo, hi, c, tdw, tu, tdh, t0, t1):
    """Add a couple-state interval [lo, hi) to the wife (while alive) and husband (while alive)."""
    _add_w(acc_w, w, qw, ci, max(lo, c), min(hi, tdw), t0, t1, 1)
    _add_m(acc_m, w, qm, ci, gi, max(lo, tu), min(hi, tdh), t0, t1)


@njit(inline="always")
def _group(x, edges):
    """Index of the group of ``x`` among groups split at ``edges`` (increasing)."""
    g = 0
    while g < len(edges) and x >= edges[g]:
        g += 1
    return g


@njit(inline="always")
def _add_loss_groups(acc_w, w, q_g, q_s, ci, lo, hi, loss, d_loss, c, tdw, t0, t1):
    """Add a no-surviving-child interval [lo, hi) of a living woman by the child's age at death
    ``d_loss`` (rows ``q_g + group``) and by whole years since ``loss`` (rows ``q_s + group``)."""
    lo = max(lo, c)
    hi = min(hi, tdw)
    _add_w(acc_w, w, q_g + _group(d_loss, LOSS_AGE_EDGES), ci, lo, hi, t0, t1, 1)
    start = lo
    for h in range(len(SINCE_LOSS_EDGES)):
        end = min(hi, loss + SINCE_LOSS_EDGES[h])
        _add_w(acc_w, w, q_s + h, ci, start, end, t0, t1, 1)
        start = max(start, end)
    _add_w(acc_w, w, q_s + len(SINCE_LOSS_EDGES), ci, start, hi, t0, t1, 1)


@njit(inline="always")
def simulate_woman(
    ci, i, w, key, dims, lw, lw_hi, lh, lh_hi, lc, lc_hi, gap_cdf,
    hk, hc, dur1, replace_share, wait_cdf, p_boy, gw, gh, gc, h_alive_max,
    bs, es, acc_w, acc_m, acc_e, frailty_sd, stop, sterile,
):  # fmt: skip
    """Simulate woman ``i`` of cohort index ``ci`` and add her counts (see module docstring).

    ``dims = (first_cohort, t0, t1, year0, union_age, fert_lo, fert_hi, child_b0, elig_age,
    wide)``; ``wide`` (0 or 1) applies the replacement process also to women with two or more
    children ever born and none surviving (else they keep the hazards of their parity, as in
    the expected-value engine)
    (a tuple: calls with more than 30 arguments cannot be inlined by numba under Python 3.11);
    ``t0``/``t1`` are the first and one-past-last reference years of the output window;
    ``bs``/``es`` are scratch arrays for her children's birth cohorts and death reference years;
    ``hk[k, ci, a] = lam[t, a] * rel[k, t]`` at ``t = c + a`` (the cohort's diagonal) and
    ``hc[k, ci, a]`` its cumulative sum over ages ``< a``; ``replace_share[y, a]`` is the
    probability that a woman left with no surviving child in the step starting in rate year
    ``y`` at her age ``a`` would have another birth, ``wait_cdf[s]`` the probability that it
    comes at most ``s`` years after the first reference date after the loss.
    Survival tables are 2-D:
    ``lw[ci]``, ``lh[ci * G + gi]``, ``lc[(2 * order + sex) * NB + bi]`` (order 0 first-born), with guide tables ``gw``, ``gh``,
    ``gc`` of the same rows; ``h_alive_max[ci]`` bounds the chance that her husband (any gap)
    is alive at ``t0``; ``stop`` (by rate year) and ``sterile`` (by cohort index) are shares.
    """
    first_cohort, t0, t1, year0, union_age, fert_lo, fert_hi, child_b0, elig_age, wide = dims
    c = first_cohort + ci
    tu = c + union_age
    # her death: alive on reference dates c .. tdw-1
    u = uniform(key, c, i, DRAW_DEATH)
    inv_z = 1.0
    if frailty_sd > 0.0:
        # shared frailty Z of her and her children: alive iff u^(1/Z) < L (frailty_power)
        inv_z = frailty_power(uniform(key, c, i, DRAW_FRAILTY), frailty_sd)
        u = u**inv_z
    if t0 >= c and u >= lw[ci, min(t0 - c, lw.shape[1] - 1)]:
        # she dies before t0 (tdw <= t0): only a husband alive at t0 can count
        if tu >= t0 or uniform(key, c, i, DRAW_HUSBAND_DEATH) >= h_alive_max[ci]:
            return
    tdw = c + first_at_or_below_guided(lw, gw, ci, u, lw_hi[ci])
    _add_w(acc_w, w, W_POP, ci, c, tdw, t0, t1, 1)
    # husband (if she is alive at union age tu within the window): alive on tu .. tdh-1
    gi = 0
    tdh = tu  # no husband: an empty interval
    if tdw > tu and tu < t1:
        u = uniform(key, c, i, DRAW_HUSBAND_DEATH)
        if tdw <= t0 and u >= h_alive_max[ci]:
            return  # she and her husband (whatever the gap) are dead before the window
        ug = uniform(key, c, i, DRAW_GAP)
        while ug >= gap_cdf[gi]:
            gi += 1
        row = ci * lh_hi.shape[1] + gi
        tdh = tu + first_at_or_below_guided(lh, gh, row, u, lh_hi[ci, gi])
        _add_m(acc_m, w, M_POP, ci, gi, tu, tdh, t0, t1)
    if tdw <= t0 and tdh <= t0:
        return  # nobody of this couple is alive in the output window
    # births (ages a = t - c) while she is alive at the start of the step
    nd = dur1.shape[0]
    n_wait = wait_cdf.shape[0]
    a_rs = replace_share.shape[1] - 1
    a = fert_lo
    a_end = min(fert_hi, tdw - 1 - c, t1 - 1 - c)
    if a_end < a:
        return  # no fertile step: no births, nothing more to count
    if sterile[ci] > 0.0 and uniform(key, c, i, DRAW_STERILE) < sterile[ci]:
        return  # sterile: no births, nothing more to count
    nb = 0
    n_loss = 0
    e_all = _BIG  # first reference year at which none of her children is alive
    stopped = False
    u_clock = uniform(key, c, i, DRAW_FIRST_BIRTH)
    while a <= a_end:
        born = False
        replaced = False
        if c + a >= e_all and (nb == 1 or (nb >= 2 and wide)):
            # no surviving child: replacement after loss, its own process (docs/model.md)
            y_loss = e_all - 1 - year0  # the step in which the last child died
            rs = replace_share[y_loss, min(e_all - 1 - c, a_rs)]
            draw = DRAW_REPLACE - 2 * n_loss
            n_loss += 1
            if uniform(key, c, i, draw) >= rs:
                break  # she never bears again
            uw = uniform(key, c, i, draw - 1)
            s = 0
            while s < n_wait - 1 and uw >= wait_cdf[s]:
                s += 1
            a = e_all - c + s
            if a > a_end:
                break  # dead, past the fertile ages or past the window before the birth
            born = True
            replaced = True
        elif nb == 1:
            # N1 while the child is alive at reference c + a, then no surviving child
            e_clock = -math.log(1.0 - u_clock)
            a_n1 = min(a_end, e_all - c - 1)
            hsum = 0.0
            if stopped:
                a = max(a, a_n1 + 1)  # no next birth while the child lives
            while a <= a_n1:
                hsum += hk[1, ci, a] * dur1[min(c + a - bs[0], nd - 1)]
                if hsum > e_clock:
                    born = True
                    break
                a += 1
        else:
            # P0, P2, P3 while a child is alive (P0: always): hazards of the cohort's
            # diagonal, from the cumulative table, in cumulative-hazard space: exp(-hc)
            # underflows to 0 for the very high intensities of some provinces before 1970,
            # which would stop the clock
            k = 0 if nb == 0 else (2 if nb == 2 else 3)
            a_stop = a_end if nb == 0 or not wide else min(a_end, e_all - c - 1)
            thr = hc[k, ci, a] - math.log(1.0 - u_clock)
            while a <= a_stop and hc[k, ci, a + 1] <= thr:
                a += 1
            born = a <= a_stop
            if not born and nb == 0:
                break
        if not born:
            continue  # a is past the last surviving child's death: replacement next
        t = c + a
        if t >= t0:
            acc_e[w, E_BIRTHS, ci, t - t0] += 1
            if replaced and nb == 1:
                acc_e[w, E_REBIRTHS, ci, t - t0] += 1
        b = t + 1
        draw = DRAW_FIRST_BIRTH + DRAWS_PER_BIRTH * nb
        sex = 1 if uniform(key, c, i, draw + 1) < p_boy[t - year0] else 0
        bi = b - child_b0
        u = uniform(key, c, i, draw + 2)
        if frailty_sd > 0.0:
            u = u**inv_z
        if nb == 0 and stop[t - year0] > 0.0:
            stopped = uniform(key, c, i, DRAW_STOP) < stop[t - year0]
        bs[nb] = b
        row = ((0 if nb == 0 else 2) + sex) * lc_hi.shape[0] + bi  # first-born or later-born
        es[nb] = b + first_at_or_below_guided(lc, gc, row, u, lc_hi[bi])
        # born after the others died (e_all <= t) or not: the latest death ends survival
        e_all = es[nb] if nb == 0 else max(e_all, es[nb])
        nb += 1
        u_clock = uniform(key, c, i, draw + DRAWS_PER_BIRTH)
        a += 1
    if nb == 0:
        return
    # couple states from the children's intervals [bs[j], es[j])
    b1 = bs[0]
    e1 = es[0]
    b2 = bs[1] if nb >= 2 else _BIG
    n1_hi = min(e1, b2)
    _couple(acc_w, acc_m, w, W_N1, M_N1, ci, gi, b1, n1_hi, c, tdw, tu, tdh, t0, t1)
    widower_lo = max(tdw, tu)
    _add_m(acc_m, w, M_FAM_N1, ci, gi, max(b1, widower_lo), min(n1_hi, tdh), t0, t1)
    if e1 < b2:
        d_loss = max(e1 - 1 - b1, 0)  # the child's age at the start of the step it died in
        _couple(acc_w, acc_m, w, W_D1, M_D1, ci, gi, e1, b2, c, tdw, tu, tdh, t0, t1)
        _add_loss_groups(acc_w, w, W_STRICT_G, W_STRICT_S, ci, e1, b2, e1, d_loss, c, tdw, t0, t1)
        _add_m(acc_m, w, M_ELIG, ci, gi, max(e1, c + elig_age, tu), min(b2, tdh), t0, t1)
        _couple(acc_w, acc_m, w, W_NEW, M_NEW, ci, gi, e1, e1 + 1, c, tdw, tu, tdh, t0, t1)
        _add_m(acc_m, w, M_FAM_D1, ci, gi, max(e1, widower_lo), min(b2, tdh), t0, t1)
        # the reference year e1 only: she alive, or she dead and he alive
        w_lo, w_hi = max(e1, c), min(e1 + 1, tdw)
        m_lo, m_hi = max(e1, widower_lo), min(e1 + 1, tdh)
        _add_m(acc_m, w, M_FAM_NEW, ci, gi, m_lo, m_hi, t0, t1)
        if d_loss >= LOSS_AGE_5:
            _add_w(acc_w, w, W_NEW5, ci, w_lo, w_hi, t0, t1, 1)
            _add_m(acc_m, w, M_FAM_NEW5, ci, gi, m_lo, m_hi, t0, t1)
        if d_loss >= LOSS_AGE_10:
            _add_w(acc_w, w, W_NEW10, ci, w_lo, w_hi, t0, t1, 1)
            _add_m(acc_m, w, M_FAM_NEW10, ci, gi, m_lo, m_hi, t0, t1)
    e_min = e1
    cur = b1  # end of the union of the children's alive intervals seen so far
    cur_b = b1  # birth of the child whose death ends it
    for j in range(nb):
        if es[j] < e_min:
            e_min = es[j]
        if bs[j] > cur:
            _couple(acc_w, acc_m, w, W_WIDE, M_WIDE, ci, gi, cur, bs[j],
                    c, tdw, tu, tdh, t0, t1)  # fmt: skip
            _add_loss_groups(acc_w, w, W_WIDE_G, W_WIDE_S, ci, cur, bs[j], cur,
                             max(cur - 1 - cur_b, 0), c, tdw, t0, t1)  # fmt: skip
        if es[j] > cur:
            cur = es[j]
            cur_b = bs[j]
        # children are born in order (bs increasing): ceb**2 grows by 2j + 1 at bs[j];
        # surv**2 and dead**2 add 1 per child and 2 per pair alive (dead) together
        _add_w(acc_w, w, W_CEB, ci, bs[j], tdw, t0, t1, 1)
        _add_w(acc_w, w, W_CEB2, ci, bs[j], tdw, t0, t1, 2 * j + 1)
        _add_w(acc_w, w, W_SURV, ci, bs[j], min(es[j], tdw), t0, t1, 1)
        _add_w(acc_w, w, W_SURV2, ci, bs[j], min(es[j], tdw), t0, t1, 1)
        _add_w(acc_w, w, W_DEAD2, ci, es[j], tdw, t0, t1, 1)
        for k in range(j):
            _add_w(acc_w, w, W_SURV2, ci, bs[j], min(min(es[j], es[k]), tdw), t0, t1, 2)
            _add_w(acc_w, w, W_DEAD2, ci, max(es[j], es[k]), tdw, t0, t1, 2)
    _couple(acc_w, acc_m, w, W_WIDE, M_WIDE, ci, gi, cur, _BIG, c, tdw, tu, tdh, t0, t1)
    _add_loss_groups(acc_w, w, W_WIDE_G, W_WIDE_S, ci, cur, _BIG, cur, max(cur - 1 - cur_b, 0),
                     c, tdw, t0, t1)  # fmt: skip
    _couple(acc_w, acc_m, w, W_LOST, M_LOST, ci, gi, e_min, _BIG, c, tdw, tu, tdh, t0, t1)


@njit(parallel=True)
def run_blocks(
    blocks, blk_lo, blk_hi, key, first_cohort, t0, t1, year0, union_age, fert_lo, fert_hi,
    lw, lw_hi, lh, lh_hi, lc, lc_hi, child_b0, gap_cdf,
    hk, hc, dur1, replace_share, wait_cdf, p_boy, gw, gh, gc, h_alive_max, max_births,
    acc_w, acc_m, acc_e, frailty_sd, stop, sterile, elig_age, wide,
):  # fmt: skip
    """Simulate the women of blocks ``blk_lo .. blk_hi-1``, adding into the accumulators.

    ``blocks[k] = (cohort index, first woman index, number of women)``. Worker ``w`` (the first
    axis of the accumulators; one per thread) takes blocks ``blk_lo + w``, ``blk_lo + w + W``,
    ...; integer addition makes the totals independent of this assignment.
    """
    n_workers = acc_w.shape[0]
    dims = (first_cohort, t0, t1, year0, union_age, fert_lo, fert_hi, child_b0, elig_age, wide)
    for w in numba.prange(n_workers):
        bs = np.empty(max_births + 1, dtype=np.int64)
        es = np.empty(max_births + 1, dtype=np.int64)
        for k in range(blk_lo + w, blk_hi, n_workers):
            ci = blocks[k, 0]
            i0 = blocks[k, 1]
            for i in range(i0, i0 + blocks[k, 2]):
                simulate_woman(
                    ci, i, w, key, dims, lw, lw_hi, lh, lh_hi, lc, lc_hi, gap_cdf,
                    hk, hc, dur1, replace_share, wait_cdf, p_boy, gw, gh, gc, h_alive_max,
                    bs, es, acc_w, acc_m, acc_e, frailty_sd, stop, sterile,
                )  # fmt: skip


@njit(parallel=True)
def reduce_workers(acc, out):
    """``out[j, :] = cumsum(sum_w acc[w, j, :])[:-1]``: counts from per-worker differences.

    ``acc`` is (W, J, T + 1) int64 (all leading axes flattened into J); ``out`` is (J, T).
    """
    n_w, n_j, n_t = acc.shape
    for j in numba.prange(n_j):
        run = 0
        for t in range(n_t - 1):
            for w in range(n_w):
                run += acc[w, j, t]
            out[j, t] = run


@njit
def tabulate_counts(x, n, weight, age0, factor, out_sum, out_var):
    """Weighted sums and within-cohort binomial variances by (quantity, year, age).

    Parameters
    ----------
    x : ndarray of int64, shape (V, J, T)
        Counts of quantity ``v`` in cell ``j`` (a wife cohort, or a wife cohort and gap) at
        reference year index ``t``.
    n : ndarray of int64, shape (J,)
        Women simulated in the cell's cohort (the binomial trials).
    weight : ndarray of float64, shape (J,)
        Persons per simulated woman of the cell's cohort.
    age0 : ndarray of int64, shape (J,)
        Age of the cell's persons at year index 0 (negative before birth).
    factor : ndarray of float64, shape (T, A)
        Population factor by year and output age (ones for none).
    out_sum, out_var : ndarray of float64, shape (V, T, A)
        Accumulate ``sum w X`` and ``sum w**2 X (1 - X / n)``; ages ``>= A - 1`` pool.
    """
    n_v, n_j, n_t = x.shape
    a_top = out_sum.shape[2] - 1
    for v in range(n_v):
        for j in range(n_j):
            if n[j] == 0:
                continue
            inv_n = 1.0 / n[j]
            for t in range(n_t):
                age = age0[j] + t
                if age < 0:
                    continue
                cnt = x[v, j, t]
                if cnt == 0:
                    continue
                ac = min(age, a_top)
                wt = weight[j] * factor[t, ac]
                out_sum[v, t, ac] += wt * cnt
                out_var[v, t, ac] += wt * wt * cnt * (1.0 - cnt * inv_n)


@njit
def ratio_variance(s, q, p, n, weight, age0, factor, ratio, out_var):
    """Linearised variance of a per-person mean ``R = S / P`` by (year, age).

    With ``z_i = (y_i - R) * alive_i`` over the ``n`` women of a cohort,
    ``Var(S - R P) = sum_j w_j**2 [Q_j - 2 R S_j + R**2 P_j - (S_j - R P_j)**2 / n_j]``
    (``S_j``, ``Q_j``: sums of ``y`` and ``y**2`` over living women of cell ``j``; ``P_j``:
    living women). ``s, q, p`` are (J, T); ``ratio`` and ``out_var`` are (T, A); the standard
    error is ``sqrt(out_var) / P``.
    """
    n_j, n_t = p.shape
    a_top = out_var.shape[1] - 1
    for j in range(n_j):
        if n[j] == 0:
            continue
        inv_n = 1.0 / n[j]
        for t in range(n_t):
            age = age0[j] + t
            if age < 0 or p[j, t] == 0:
                continue
            ac = min(age, a_top)
            r = ratio[t, ac]
            wt = weight[j] * factor[t, ac]
            d = s[j, t] - r * p[j, t]
            v = q[j, t] - 2.0 * r * s[j, t] + r * r * p[j, t] - d * d * inv_n
            out_var[t, ac] += wt * wt * max(v, 0.0)


@njit
def loss_age_moments(x, n, weight, age0, factor, out):
    """Moments for the mean age at loss by year: ``out[t] = (sum wX, sum wXa, V0, V1, V2)``.

    ``x`` (J, T) counts new strict shidu parents; ``V_k = sum w**2 X (1 - X/n) a**k`` with the
    exact age ``a`` (not pooled), so ``Var(sum wXa - R sum wX) = V2 - 2 R V1 + R**2 V0``.
    """
    n_j, n_t = x.shape
    a_top = factor.shape[1] - 1
    for j in range(n_j):
        if n[j] == 0:
            continue
        inv_n = 1.0 / n[j]
        for t in range(n_t):
            age = age0[j] + t
            cnt = x[j, t]
            if age < 0 or cnt == 0:
                continue
            wt = weight[j] * factor[t, min(age, a_top)]
            var = wt * wt * cnt * (1.0 - cnt * inv_n)
            out[t, 0] += wt * cnt
            out[t, 1] += wt * cnt * age
            out[t, 2] += var
            out[t, 3] += var * age
            out[t, 4] += var * age * age
