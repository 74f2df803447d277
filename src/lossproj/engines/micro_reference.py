"""Slow, obvious per-woman reference of the microsimulation, for testing the Numba kernel.

It follows docs/model.md literally: survival as running products of ``exp(-mx)`` year by year,
births step by step over the woman's whole life, and every state recomputed from scratch at
each reference date from her children's birth and death years. It uses the same uniforms as the
kernel (:func:`lossproj.engines.rng.uniform_np`, same draw numbers, same exponential birth
clock: in P0, P2 and P3 the cumulative hazard of the cohort's diagonal
(:func:`lossproj.engines.micro.cumulative_hazard`) since the clock started is compared with
``E = -log(1 - u)``, in N1 and D1 the step hazards are added and compared with ``E``),
so its integer counts equal the kernel's exactly
(up to ties at the last bit of a survival probability, which have probability ~1e-16 per
draw).
"""

from __future__ import annotations

import math

import numpy as np

from lossproj.conventions import LOSS_AGE_EDGES, SINCE_LOSS_EDGES
from lossproj.engines import micro_kernels as mk
from lossproj.engines.micro import MicroInputs, cumulative_hazard, fertile_ages
from lossproj.engines.rng import DRAW_LIMIT, frailty_power, uniform_np


def _death_year(
    u: float, start: int, age0: int, haz, a_max: int, t_stop: int, surv0: float = 1.0
) -> int:
    """First reference year >= start at which the person is dead (t_stop + 1 if none).

    ``surv0`` is the probability of being alive at ``start`` (1 for a person known alive).
    """
    if u >= surv0:
        return start
    surv = surv0
    t = start
    age = age0
    while t < t_stop:
        surv = 0.0 if age + 1 > a_max else surv * math.exp(-haz(t, age))
        t += 1
        age += 1
        if u >= surv:
            return t
    return t_stop + 1


def _group(x: int, edges) -> int:
    """Index of the group of ``x`` among groups split at ``edges``."""
    return sum(1 for e in edges if x >= e)


def _couple_state(births: list[int], deaths: list[int], t: int) -> tuple[bool, bool, bool, bool]:
    """(N1, D1, wide, lost any) of a couple at reference year ``t``."""
    ceb = sum(1 for b in births if b <= t)
    surv = sum(1 for b, e in zip(births, deaths, strict=True) if b <= t < e)
    return (ceb == 1 and surv == 1, ceb == 1 and surv == 0, ceb >= 1 and surv == 0,
            ceb - surv >= 1)  # fmt: skip


def simulate_reference_region(
    inp: MicroInputs, r: int, key: int, n_women: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts of region ``r`` with the same layout as ``micro.simulate_counts_region``.

    Parameters
    ----------
    inp : MicroInputs
    r : int
        Region index.
    key : int
        Stream key.
    n_women : ndarray of int, shape (C,)
        Women per cohort.

    Returns
    -------
    women (N_W, C, Y), men (N_M, C, G, Y), events (N_E, C, Y) : ndarray of int64
    """
    a_max = inp.a_max
    y0 = inp.rate_first_year
    t0, t1 = inp.out_first_year, inp.out_last_year + 1
    n_y = t1 - t0
    n_c = n_women.size
    gaps = [int(g) for g in inp.gap_values]
    cdf = np.cumsum(inp.gap_pmf)
    cdf[-1] = 1.0
    women = np.zeros((mk.N_W, n_c, n_y), dtype=np.int64)
    men = np.zeros((mk.N_M, n_c, len(gaps), n_y), dtype=np.int64)
    events = np.zeros((mk.N_E, n_c, n_y), dtype=np.int64)
    mx, lam, rel = inp.mx[r], inp.lam[r], inp.rel[r]
    m_birth = mx[:, :, 0] if inp.birth_mx is None else inp.birth_mx[r]
    child_factor = (np.ones((2, *mx.shape[1:])) if inp.child_mx_factor is None
                    else inp.child_mx_factor)
    nd = inp.dur1.size
    wait_cdf = np.cumsum(inp.wait_pmf)
    wait_cdf[-1] = 1.0
    replace_share = inp.replace_share[r]
    fert_lo, fert_hi = fertile_ages(inp)
    stop, sterile = inp.stop_shares(r), inp.sterile_shares(r)
    ages = np.arange(a_max + 1)

    def female(t: int, a: int) -> float:
        return mx[0, t - y0, min(a, a_max)]

    def male(t: int, a: int) -> float:
        return mx[1, t - y0, min(a, a_max)]

    for ci in range(n_c):
        c = inp.first_cohort + ci
        # cumulative hazard of P0, P2, P3 along the cohort's diagonal (0 after the rates end)
        t_diag = c + ages
        yy = np.minimum(t_diag, y0 + mx.shape[1] - 1) - y0
        hc = cumulative_hazard(lam[yy, ages] * rel[:, yy] * (t_diag < y0 + mx.shape[1]))
        for i in range(int(n_women[ci])):
            u = uniform_np(key, c, i, np.arange(DRAW_LIMIT))
            inv_z = 1.0
            if inp.frailty_sd > 0.0:  # shared frailty: her and her children's uniforms
                inv_z = frailty_power(float(u[mk.DRAW_FRAILTY]), float(inp.frailty_sd))
                u[mk.DRAW_DEATH] = u[mk.DRAW_DEATH] ** inv_z
            tdw = _death_year(u[mk.DRAW_DEATH], c, 0, female, a_max, t1)
            tu = c + inp.union_age
            married = tdw > tu and tu < t1
            tdh = tu
            gi = 0
            if married:
                gi = int(np.argmax(u[mk.DRAW_GAP] < cdf))
                tdh = _death_year(u[mk.DRAW_HUSBAND_DEATH], tu, inp.union_age + gaps[gi], male,
                                  a_max, t1)  # fmt: skip
            # births, one step at a time while she is alive at the start of the step
            births: list[int] = []
            deaths: list[int] = []
            fecund = not u[mk.DRAW_STERILE] < sterile[ci]
            stopped = False
            u_clock = u[mk.DRAW_FIRST_BIRTH]
            clock = -math.log(1.0 - u_clock)
            hsum = 0.0
            start = c  # reference year at which the current clock started
            n_loss = 0
            scheduled = None  # step of her replacement birth, once decided
            for t in range(c, min(tdw, t1, c + a_max + 1) if fecund else c):
                a = t - c
                y = t - y0
                nb = len(births)
                replaced = False
                e_all = max(deaths) if births else t1 + a_max + 2
                if t >= e_all and (nb == 1 or (nb >= 2 and inp.wide_replacement)):
                    # no surviving child: replacement after loss (docs/model.md)
                    if scheduled is None:
                        draw = mk.DRAW_REPLACE - 2 * n_loss
                        n_loss += 1
                        rs = replace_share[e_all - 1 - y0, min(e_all - 1 - c, a_max)]
                        if u[draw] >= rs:
                            break  # she never bears again
                        s = int(np.argmax(u[draw - 1] < wait_cdf))
                        scheduled = e_all + s
                    due = t == scheduled and fert_lo <= a <= fert_hi
                    replaced = True
                elif nb == 1 and stopped:
                    continue  # she stopped after her first child: no birth while it lives
                elif nb == 1:
                    hsum += lam[y, a] * rel[1, y] * inp.dur1[min(t - births[0], nd - 1)]
                    due = hsum > clock
                else:  # P0, P2, P3: the hazard summed since the clock started, from the table
                    k = 0 if nb == 0 else (2 if nb == 2 else 3)
                    due = hc[k, a + 1] > hc[k, start - c] + clock
                if not due:
                    continue
                if t >= t0:
                    events[mk.E_BIRTHS, ci, t - t0] += 1
                    events[mk.E_REBIRTHS, ci, t - t0] += replaced and nb == 1
                draw = mk.DRAW_FIRST_BIRTH + mk.DRAWS_PER_BIRTH * nb
                p_boy = inp.srb[y] / (1.0 + inp.srb[y])
                sex = 1 if u[draw + 1] < p_boy else 0
                b = t + 1
                u_child = u[draw + 2] ** inv_z if inp.frailty_sd > 0.0 else u[draw + 2]
                f = child_factor[0 if nb == 0 else 1]  # first-born or later-born

                def child_haz(tt: int, aa: int, f=f, sex=sex) -> float:
                    return mx[sex, tt - y0, min(aa, a_max)] * f[tt - y0, min(aa, a_max)]

                e = _death_year(u_child, b, 0, child_haz, a_max, t1,
                                surv0=math.exp(-0.5 * m_birth[sex, t - y0] * f[t - y0, 0]))  # fmt: skip
                if nb == 0:
                    stopped = bool(u[mk.DRAW_STOP] < stop[y])
                births.append(b)
                deaths.append(e)
                u_clock = u[draw + mk.DRAWS_PER_BIRTH]
                clock = -math.log(1.0 - u_clock)
                hsum = 0.0
                start = t + 1
                scheduled = None
            # count every reference year
            for t in range(t0, t1):
                yi = t - t0
                n1, d1, wide, lost = _couple_state(births, deaths, t)
                new = d1 and not _couple_state(births, deaths, t - 1)[1]
                d_loss = max(deaths[0] - 1 - births[0], 0) if births else 0
                new5 = new and d_loss >= mk.LOSS_AGE_5
                new10 = new and d_loss >= mk.LOSS_AGE_10
                ceb = sum(1 for b in births if b <= t)
                surv_n = sum(1 for b, e in zip(births, deaths, strict=True) if b <= t < e)
                groups = []  # (first row, child's age at death, years since the loss)
                if d1:
                    groups.append((mk.W_STRICT_G, mk.W_STRICT_S, d_loss, t - deaths[0]))
                if wide:
                    born = [j for j, b in enumerate(births) if b <= t]
                    e_last = max(deaths[j] for j in born)
                    j_last = next(j for j in born if deaths[j] == e_last)
                    groups.append((mk.W_WIDE_G, mk.W_WIDE_S,
                                   max(e_last - 1 - births[j_last], 0), t - e_last))  # fmt: skip
                if c <= t < tdw:
                    for q_g, q_s, d, since in groups:
                        women[q_g + _group(d, LOSS_AGE_EDGES), ci, yi] += 1
                        women[q_s + _group(since, SINCE_LOSS_EDGES), ci, yi] += 1
                    for q, flag in ((mk.W_POP, True), (mk.W_N1, n1), (mk.W_D1, d1),
                                    (mk.W_WIDE, wide), (mk.W_LOST, lost), (mk.W_NEW, new),
                                    (mk.W_NEW5, new5), (mk.W_NEW10, new10)):  # fmt: skip
                        women[q, ci, yi] += flag
                    women[mk.W_CEB, ci, yi] += ceb
                    women[mk.W_SURV, ci, yi] += surv_n
                    women[mk.W_CEB2, ci, yi] += ceb**2
                    women[mk.W_SURV2, ci, yi] += surv_n**2
                    women[mk.W_DEAD2, ci, yi] += (ceb - surv_n) ** 2
                if married and tu <= t < tdh:
                    for q, flag in ((mk.M_POP, True), (mk.M_N1, n1), (mk.M_D1, d1),
                                    (mk.M_WIDE, wide), (mk.M_LOST, lost), (mk.M_NEW, new),
                                    (mk.M_FAM_N1, n1 and t >= tdw),
                                    (mk.M_FAM_D1, d1 and t >= tdw),
                                    (mk.M_FAM_NEW, new and t >= tdw),
                                    (mk.M_FAM_NEW5, new5 and t >= tdw),
                                    (mk.M_FAM_NEW10, new10 and t >= tdw),
                                    (mk.M_ELIG, d1 and t - c >= inp.eligibility_age)):  # fmt: skip
                        men[q, ci, gi, yi] += flag
    return women, men, events
