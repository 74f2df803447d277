"""Microsimulation engine: women, their husbands and children drawn one by one, counted by age.

The public functions validate inputs, build per-region survival tables, seed the streams, drive
the Numba kernel (:mod:`lossproj.engines.micro_kernels`) block by block with progress reports,
and turn the integer counts into weighted tables by year, parent's sex and parent's age, with
Monte Carlo standard errors or a replicate dimension.

Notes
-----
The process is the one of docs/model.md (same step order and probabilities as the
expected-value engine); :mod:`lossproj.engines.micro_kernels` documents the sampling scheme.

- **Who is simulated.** Every woman of cohorts ``first_cohort .. last_cohort`` of each region
  (``round(W_c)`` women at scale 1, weight 1; at a sampling fraction ``f < 1``,
  ``n_c = max(1, round(f W_c))`` women of weight ``W_c / n_c``). ``W_c`` is the number of women
  of cohort ``c`` alive at the reference date of year ``c`` (age 0), so ``L_c(0) = 1``.
- **Men.** Only husbands are simulated: a woman alive at age ``union_age`` marries a man
  ``g ~ gap_pmf`` years older who is alive at that date. Men without a wife (and wives' husbands
  before the union) are not simulated, so the male ``population`` is *not* an output of this
  engine (NaN in :func:`to_dataset`; ``husband_population`` gives the simulated husbands).
  Fathers' counts (``one_child_parents`` etc. for ``sex = male``) are complete because every
  child has a father who is his mother's husband.
- **Ages.** People are followed to age ``A_MAX = mx.shape[-1] - 1`` (110) with the rates of
  that age and die in the step after it (nobody is alive at ``A_MAX + 1``). Outputs pool ages
  ``>= OUTPUT_AGE_MAX`` (100, the open group of docs/model.md).
- **Standard errors** (one replicate) are within-cohort binomial variances: the ``n_c``
  simulated women of a cohort are independent and identically distributed, so the number
  ``X`` of them in a state at a reference date (for husbands: in a state with a given age
  gap) is binomial, estimated ``Var(X) = X (1 - X / n_c)``. A weighted total by (year, age)
  adds cells of different cohorts, which are independent:
  ``se(T) = sqrt(sum_cells w**2 X (1 - X / n_c))`` with ``w`` the cohort weight times the
  population factor. For a mean per living woman ``R = S / P`` (children ever born,
  surviving, dead) the linearised (ratio-estimator) variance uses the sums of squares ``Q``:
  ``Var(S - R P) = sum_cells w**2 [Q - 2 R S + R**2 P - (S - R P)**2 / n_c]``,
  ``se(R) = sqrt(Var) / P``; the mean age at loss likewise with
  ``sum_cells w**2 (a - R)**2 X (1 - X / n_c)``. Approximations: a sum of a women's and a
  husbands' count (families) adds their variances, ignoring the small negative covariance
  of disjoint states of the same cohort (conservative); at scale 1 (weight 1) the standard
  error measures the simulation's own randomness (the process noise around the expected
  values), not a sampling error.
- **Bit reproducibility.** Uniforms depend only on (stream key, cohort, woman, draw); counts are
  integers summed over workers before the cohort weights are applied in a fixed order, so a
  seed gives identical results for any thread count, block size or chunking.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numba
import numpy as np

from lossproj import variables
from lossproj.conventions import GROUP_DIMS, Transition
from lossproj.engines import micro_kernels as mk
from lossproj.engines.rng import COHORT_LIMIT, WOMAN_LIMIT, stream_keys

log = logging.getLogger(__name__)

#: Oldest output age; ages at or above it are pooled (docs/model.md, "Ages").
OUTPUT_AGE_MAX = 100
#: Number of relative fertility levels ``rel[:, k, :]`` (one per :class:`Transition`).
N_REL = len(Transition)
#: Throughput assumed by :func:`estimate_run` [women per second per thread]; a conservative
#: value: all of China at 1:1 (1.64 billion women, baseline) ran at 6.1e6 women per second per
#: thread on the two-core development machine (143 s wall with cached kernels).
ASSUMED_WOMEN_PER_THREAD_SECOND = 5.0e6

#: Variables of this engine (registry :mod:`lossproj.variables`): parents by sex and age;
#: without a ``sex`` dimension (families by mother's / widower's age; women's events);
#: per-living-woman means.
PARENT_VARIABLES = tuple(n for n in variables.names("micro", dims=variables.BY_SEX_AGE, origin="engine")
                         if n != "population")
AGE_VARIABLES = variables.names("micro", dims=variables.BY_AGE, kind="count")
MEAN_VARIABLES = variables.names("micro", dims=variables.BY_AGE, kind="mean")
#: Mothers by their age and a group: name -> (group dim, first of the accumulator rows).
_GROUP_ROWS = {
    "shidu_mothers_strict_by_child_age_at_death": mk.W_STRICT_G,
    "shidu_mothers_strict_by_years_since_loss": mk.W_STRICT_S,
    "shidu_mothers_wide_by_child_age_at_death": mk.W_WIDE_G,
    "shidu_mothers_wide_by_years_since_loss": mk.W_WIDE_S,
}
GROUPED_VARIABLES = {name: (dim, _GROUP_ROWS[name]) for name, dim in variables.grouped("micro").items()}


@dataclass(frozen=True)
class MicroInputs:
    """Everything the microsimulation needs, as plain arrays (one region per leading index).

    Attributes
    ----------
    mx : ndarray, shape (R, 2, Y, A_MAX + 1)
        Central death rates [deaths per person-year] by region, sex (0 female, 1 male), rate
        year ``rate_first_year + y`` and age 0..A_MAX; survival in a step is ``exp(-mx)``.
    lam : ndarray, shape (R, Y, A_MAX + 1)
        Solved fertility intensity [births per woman-year, before relative levels]; 0 outside
        the fertile ages.
    rel : ndarray, shape (R, 4, Y)
        Relative levels [-] by state: 0 childless (1), 1 one child alive (next birth),
        2 two children, 3 three or more (while a child is alive).
    dur1 : ndarray, shape (D_MAX,)
        Multiplier [-] of state 1 by the child's age ``d`` (index ``min(d, D_MAX-1)``).
    replace_share : ndarray, shape (R, Y, A_MAX + 1)
        Probability [-] that a woman left with no surviving child in the step starting in rate
        year ``y`` at her age ``a`` would have another birth (docs/model.md).
    wait_pmf : ndarray, shape (K,)
        Probability [-] that her replacement birth falls ``s`` whole years after the first
        reference date after the loss; sums to 1.
    srb : ndarray, shape (Y,)
        Sex ratio at birth [male births per female birth].
    gap_values : ndarray of int64, shape (G,)
        Husband's age minus wife's age [years].
    gap_pmf : ndarray, shape (G,)
        Probability of each gap [-], summing to 1.
    union_age : int
        Wife's age at union [years].
    cohort_sizes : ndarray, shape (R, C)
        Women of cohort ``first_cohort + c`` alive at age 0 [persons]; may be fractional.
    first_cohort, last_cohort : int
        Birth cohorts simulated [calendar year].
    out_first_year, out_last_year : int
        Reference years counted [calendar year].
    rate_first_year : int
        Calendar year of rate index ``y = 0`` (``Y0``).
    eligibility_age : int
        Minimum age of an eligible strict shidu parent [years].
    birth_mx : ndarray, shape (R, 2, Y), optional
        Death rate [deaths per person-year] of a newborn over the half year between its birth
        in the step starting in year ``y`` and its first reference date; default ``mx[..., 0]``.
        The lossproj engines pass ``mx`` as the step mortality
        (:func:`lossproj.rates.population.step_mortality`) and the raw age-0 rate here.
    frailty_sd : float
        Log-sd of a lognormal frailty (mean 1) shared by a woman's and her children's death
        hazards [log-hazard units]; 0 (default) is independence, as in the expected engine.
    population_factor : ndarray, shape (2, Y_out, OUTPUT_AGE_MAX + 1), optional
        Multiplies weighted counts of women (sex 0) and husbands (sex 1) by reference year and
        age, as the expected-value engine scales its back-projected population
        (docs/model.md); default 1.
    stop : ndarray, shape (R, Y), optional
        Share [-] of first births in the step starting in rate year ``y`` after which the mother
        stops: no next birth while that child lives; default 0.
    sterile : ndarray, shape (R, C), optional
        Share [-] of the women of cohort ``first_cohort + c`` who never bear a child; default 0.
    child_mx_factor : ndarray, shape (2, Y, A_MAX + 1), optional
        Multiplies the step death rate [-] (and a newborn's half-year rate, at age 0) of
        first-born (0) and later-born (1) children by rate year and the child's completed age;
        default 1.
    wide_replacement : bool
        Apply replacement after loss also to women with two or more children ever born and
        none surviving (default, docs/model.md); ``False`` gives them the hazards of their
        parity, as the expected-value engine does (its states do not follow their children).
    """

    mx: np.ndarray
    lam: np.ndarray
    rel: np.ndarray
    dur1: np.ndarray
    replace_share: np.ndarray
    wait_pmf: np.ndarray
    srb: np.ndarray
    gap_values: np.ndarray
    gap_pmf: np.ndarray
    union_age: int
    cohort_sizes: np.ndarray
    first_cohort: int
    last_cohort: int
    out_first_year: int
    out_last_year: int
    rate_first_year: int
    eligibility_age: int
    birth_mx: np.ndarray | None = None
    population_factor: np.ndarray | None = None
    frailty_sd: float = 0.0
    stop: np.ndarray | None = None
    sterile: np.ndarray | None = None
    child_mx_factor: np.ndarray | None = None
    wide_replacement: bool = True

    def stop_shares(self, r: int) -> np.ndarray:
        """Stop shares of region ``r`` by rate year (zeros when not given)."""
        n_y = self.mx.shape[2]
        return np.zeros(n_y) if self.stop is None else np.ascontiguousarray(self.stop[r], dtype=np.float64)

    def sterile_shares(self, r: int) -> np.ndarray:
        """Sterile shares of region ``r`` by cohort index (zeros when not given)."""
        n_c = self.last_cohort - self.first_cohort + 1
        return np.zeros(n_c) if self.sterile is None else np.ascontiguousarray(self.sterile[r], dtype=np.float64)

    @property
    def n_regions(self) -> int:
        """Number of regions R."""
        return int(self.mx.shape[0])

    @property
    def a_max(self) -> int:
        """Oldest age followed, ``A_MAX`` [years]."""
        return int(self.mx.shape[-1]) - 1

    @property
    def cohorts(self) -> np.ndarray:
        """Birth cohorts simulated [calendar year]."""
        return np.arange(self.first_cohort, self.last_cohort + 1)

    @property
    def years(self) -> np.ndarray:
        """Reference years of the outputs [calendar year]."""
        return np.arange(self.out_first_year, self.out_last_year + 1)


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise ValueError(msg)


def _check_array(name: str, arr: np.ndarray, shape: tuple, *, positive: bool = False) -> None:
    _check(
        arr.shape == shape, f"MicroInputs.{name} has shape {arr.shape}, expected {shape}"
    )
    _check(bool(np.all(np.isfinite(arr))), f"MicroInputs.{name} contains NaN or infinite values")
    if positive:
        _check(bool(np.all(arr > 0)), f"MicroInputs.{name} must be > 0 everywhere")
    else:
        _check(bool(np.all(arr >= 0)), f"MicroInputs.{name} must be >= 0 everywhere")


def validate_inputs(inp: MicroInputs) -> None:
    """Check shapes, ranges and year coverage of ``inp``; raise ValueError naming the problem."""
    _check(inp.mx.ndim == 4 and inp.mx.shape[1] == 2, "MicroInputs.mx must be (R, 2, Y, A_MAX+1)")
    n_r, _, n_y, n_a = inp.mx.shape
    a_max = n_a - 1
    n_c = inp.last_cohort - inp.first_cohort + 1
    _check_array("mx", inp.mx, (n_r, 2, n_y, n_a))
    _check_array("lam", inp.lam, (n_r, n_y, n_a))
    _check_array("rel", inp.rel, (n_r, N_REL, n_y))
    _check_array("dur1", inp.dur1, (inp.dur1.shape[0],))
    _check_array("replace_share", inp.replace_share, (n_r, n_y, n_a))
    _check(bool(np.all(inp.replace_share <= 1.0)), "MicroInputs.replace_share must be <= 1")
    _check_array("wait_pmf", inp.wait_pmf, (inp.wait_pmf.shape[0],))
    _check(inp.dur1.size >= 1 and inp.wait_pmf.size >= 1,
           "MicroInputs.dur1 and wait_pmf need at least one value")  # fmt: skip
    _check(abs(float(inp.wait_pmf.sum()) - 1.0) < 1e-9,
           f"MicroInputs.wait_pmf sums to {inp.wait_pmf.sum()!r}, expected 1")  # fmt: skip
    _check_array("srb", inp.srb, (n_y,), positive=True)
    _check_array("cohort_sizes", inp.cohort_sizes, (n_r, n_c))
    g = np.asarray(inp.gap_values)
    _check_array("gap_pmf", inp.gap_pmf, g.shape)
    _check(g.ndim == 1 and g.size >= 1, "MicroInputs.gap_values must be a non-empty 1-D array")
    _check(abs(float(inp.gap_pmf.sum()) - 1.0) < 1e-9,
           f"MicroInputs.gap_pmf sums to {inp.gap_pmf.sum()!r}, expected 1")  # fmt: skip
    _check(0 <= inp.union_age <= a_max, f"union_age {inp.union_age} outside 0..{a_max}")
    ages_at_union = inp.union_age + g
    _check(bool(np.all((ages_at_union >= 0) & (ages_at_union <= a_max))),
           f"husband's age at union (union_age + gap) must lie in 0..{a_max}; gaps {g.tolist()}")  # fmt: skip
    y0, y1 = inp.rate_first_year, inp.rate_first_year + n_y - 1
    _check(inp.first_cohort <= inp.last_cohort, "first_cohort must be <= last_cohort")
    _check(inp.out_first_year <= inp.out_last_year, "out_first_year must be <= out_last_year")
    _check(inp.first_cohort >= y0,
           f"first_cohort {inp.first_cohort} precedes the first rate year {y0}")  # fmt: skip
    _check(inp.out_last_year <= y1,
           f"out_last_year {inp.out_last_year} is after the last rate year {y1}")  # fmt: skip
    _check(inp.last_cohort <= inp.out_last_year,
           f"last_cohort {inp.last_cohort} is after out_last_year {inp.out_last_year}")  # fmt: skip
    _check(0 <= inp.first_cohort and inp.out_last_year + 1 < COHORT_LIMIT,
           f"years must lie in 0..{COHORT_LIMIT - 2} for the random-number counter")  # fmt: skip
    lo, hi = fertile_ages(inp)
    _check(mk.DRAW_REPLACE - 2 * (hi - lo + 2) > mk.DRAW_FIRST_BIRTH + mk.DRAWS_PER_BIRTH * (hi - lo + 2),
           f"fertile ages {lo}..{hi} allow more births than the random-number counter holds")  # fmt: skip
    _check(0 <= inp.eligibility_age <= OUTPUT_AGE_MAX,
           f"eligibility_age {inp.eligibility_age} outside 0..{OUTPUT_AGE_MAX}")  # fmt: skip
    _check(OUTPUT_AGE_MAX <= a_max, f"A_MAX {a_max} is below the output open age {OUTPUT_AGE_MAX}")
    _check(0.0 <= float(inp.frailty_sd) <= 3.0, f"frailty_sd {inp.frailty_sd} outside 0..3")
    for name, shape in (("stop", (n_r, n_y)), ("sterile", (n_r, n_c))):
        arr = getattr(inp, name)
        if arr is not None:
            _check_array(name, arr, shape)
            _check(bool(np.all(arr <= 1.0)), f"MicroInputs.{name} must be shares <= 1 everywhere")
    if inp.birth_mx is not None:
        _check_array("birth_mx", inp.birth_mx, inp.mx.shape[:3])
    if inp.child_mx_factor is not None:
        _check_array("child_mx_factor", inp.child_mx_factor, (2, n_y, n_a), positive=True)
    if inp.population_factor is not None:
        n_out = inp.out_last_year - inp.out_first_year + 1
        _check_array("population_factor", inp.population_factor, (2, n_out, OUTPUT_AGE_MAX + 1))


def fertile_ages(inp: MicroInputs) -> tuple[int, int]:
    """First and last age with a positive ``lam`` or ``replace_share`` anywhere (``(1, 0)``
    when there is none): replacement births may come at ages where the ASFR is 0."""
    ages = np.flatnonzero(np.any(inp.lam > 0, axis=(0, 1)) | np.any(inp.replace_share > 0, axis=(0, 1)))
    if ages.size == 0:
        return 1, 0
    return int(ages[0]), int(ages[-1])


@dataclass(frozen=True)
class RegionTables:
    """Per-region survival tables consumed by the kernel (see micro_kernels)."""

    lw: np.ndarray  # (C, A+2) women's survival from age 0, L = 0 past A_MAX
    lw_hi: np.ndarray  # (C,) last index searched
    lh: np.ndarray  # (C, G, A+2) husband's survival from the union date
    lh_hi: np.ndarray  # (C, G)
    lc: np.ndarray  # (2, 2, NB, A+2) child's survival from birth by order (first-born,
    # later-born) and sex (first entry: newborn survival)
    lc_hi: np.ndarray  # (NB,)
    child_b0: int  # first child cohort in lc
    gap_cdf: np.ndarray  # (G,)
    p_boy: np.ndarray  # (Y,)
    hk: np.ndarray  # (4, C, A+1) lam * rel along each cohort's diagonal (0 outside the rates)
    hc: np.ndarray  # (4, C, A+2) cumulative sum of hk over ages below a (hc[..., 0] = 0)
    gw: np.ndarray  # (C, GUIDE_SIZE) inverse-CDF guide tables of lw, lh, lc (micro_kernels)
    gh: np.ndarray  # (C * G, GUIDE_SIZE)
    gc: np.ndarray  # (4 * NB, GUIDE_SIZE)
    h_alive_max: np.ndarray  # (C,) max over gaps of a husband's survival to out_first_year


def _survival(haz: np.ndarray, n_alive: np.ndarray | int) -> np.ndarray:
    """``L[..., j] = exp(-sum_{i<j} haz[..., i])``, zero from index ``n_alive`` on (broadcast)."""
    cum = np.concatenate((np.zeros((*haz.shape[:-1], 1)), np.cumsum(haz, axis=-1)), axis=-1)
    dead = np.arange(cum.shape[-1]) >= np.asarray(n_alive)[..., None]
    return np.where(dead, 0.0, np.exp(-cum))


def region_tables(inp: MicroInputs, r: int) -> RegionTables:
    """Survival tables of region ``r`` for women, husbands and children.

    Parameters
    ----------
    inp : MicroInputs
    r : int
        Region index.

    Returns
    -------
    RegionTables
        Survival probabilities [-] along cohort diagonals; entries beyond the output window are
        never read (``*_hi`` bound the searches).
    """
    a_max = inp.a_max
    nj = a_max + 2
    y0 = inp.rate_first_year
    y_last = y0 + inp.mx.shape[2] - 1
    t1 = inp.out_last_year + 1
    steps = np.arange(nj - 1)
    mx = inp.mx[r]
    cohorts = inp.cohorts
    gaps = np.asarray(inp.gap_values, dtype=np.int64)

    def year_index(t_start: np.ndarray) -> np.ndarray:
        return np.minimum(t_start[..., None] + steps, y_last) - y0

    # women from age 0 at reference date c
    lw = _survival(mx[0, year_index(cohorts), steps], a_max + 1)
    lw_hi = np.minimum(a_max + 1, t1 - cohorts).astype(np.int64)
    # husbands from the union date tu = c + union_age, aged a0 = union_age + gap
    tu = cohorts + inp.union_age
    a0 = inp.union_age + gaps
    h_years = year_index(np.minimum(tu, y_last))[:, None, :]
    h_ages = np.minimum(a0[:, None] + steps, a_max)[None, :, :]
    lh = _survival(mx[1][h_years, h_ages], (a_max - a0 + 1)[None, :])
    lh_hi = np.maximum(0, np.minimum(a_max - a0[None, :] + 1, t1 - tu[:, None])).astype(np.int64)
    # children of birth cohort b (born in step b - 1), first entry: newborn survival
    fert_lo, _ = fertile_ages(inp)
    child_b0 = inp.first_cohort + fert_lo + 1
    births = np.arange(child_b0, t1 + 1)
    lc = np.empty((2, 2, births.size, nj))
    m_birth = mx[:, :, 0] if inp.birth_mx is None else inp.birth_mx[r]
    factor = np.ones((2, *mx.shape[1:])) if inp.child_mx_factor is None else inp.child_mx_factor
    for o in range(2):
        f_birth = factor[o, births - 1 - y0, 0][:, None]
        f_step = factor[o][year_index(births), steps][:, :-1]
        for s in range(2):
            haz = np.concatenate(
                (0.5 * m_birth[s, births - 1 - y0][:, None] * f_birth,
                 mx[s][year_index(births), steps][:, :-1] * f_step),
                axis=1,
            )
            lc[o, s, :, : nj - 1] = np.exp(-np.cumsum(haz, axis=1))
            lc[o, s, :, nj - 1] = 0.0
    lc_hi = np.minimum(a_max + 1, t1 - births).astype(np.int64)
    # lam * rel along each cohort's diagonal, 0 where the rates end
    ages = np.arange(a_max + 1)
    t_diag = cohorts[:, None] + ages
    yy = np.minimum(t_diag, y_last) - y0
    hk = inp.lam[r][yy, ages] * inp.rel[r][:, yy] * (t_diag <= y_last)
    hc = cumulative_hazard(hk)
    j_t0 = np.clip(inp.out_first_year - tu, 0, nj - 1)
    h_alive_max = np.where(inp.out_first_year >= tu, lh[np.arange(tu.size), :, j_t0].max(axis=1), 1.0)
    cdf = np.cumsum(inp.gap_pmf)
    cdf[-1] = 1.0  # pmf sums to 1 within 1e-9 (validated); guarantees the search stops
    return RegionTables(
        lw=lw, lw_hi=lw_hi, lh=lh, lh_hi=lh_hi, lc=lc, lc_hi=lc_hi, child_b0=int(child_b0),
        gap_cdf=cdf, p_boy=inp.srb / (1.0 + inp.srb), hk=np.ascontiguousarray(hk), hc=hc,
        gw=_guide(lw), gh=_guide(lh.reshape(-1, nj)), gc=_guide(lc.reshape(-1, nj)),
        h_alive_max=h_alive_max,
    )  # fmt: skip


def _guide(table: np.ndarray) -> np.ndarray:
    """Inverse-CDF guide table of the rows of a 2-D survival table (micro_kernels)."""
    guide = np.empty((table.shape[0], mk.GUIDE_SIZE), dtype=np.int32)
    mk.build_guide(np.ascontiguousarray(table), guide)
    return guide


def cumulative_hazard(hk: np.ndarray) -> np.ndarray:
    """``hc[..., a] = sum_{j < a} hk[..., j]`` (sequential sums; shared with the reference).

    Parameters
    ----------
    hk : ndarray, shape (..., A + 1)
        Birth hazards [births per woman-year] along cohort diagonals.

    Returns
    -------
    ndarray, shape (..., A + 2)
        Cumulative hazard [-] before age ``a``.
    """
    hc = np.zeros((*hk.shape[:-1], hk.shape[-1] + 1))
    np.cumsum(hk, axis=-1, out=hc[..., 1:])
    return hc


def women_per_cohort(inp: MicroInputs, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Simulated women per (region, cohort) and their weights for a sampling fraction.

    Parameters
    ----------
    inp : MicroInputs
    scale : float
        Sampling fraction ``f`` in (0, 1] [-]; 1 simulates every woman.

    Returns
    -------
    n : ndarray of int64, shape (R, C)
        ``round(W_c)`` at scale 1, else ``max(1, round(f W_c))`` (0 where ``W_c == 0``).
    weight : ndarray of float64, shape (R, C)
        Persons represented by one simulated woman: 1 at scale 1, else ``W_c / n_c``.
    """
    if not (0.0 < scale <= 1.0):
        raise ValueError(
            f"scale must be a sampling fraction in (0, 1], got {scale}; "
            "scale 1 already simulates every woman (use replicates for more precision)"
        )
    w_c = inp.cohort_sizes
    if scale == 1.0:
        n = np.rint(w_c).astype(np.int64)
        weight = np.ones_like(w_c, dtype=np.float64)
    else:
        n = np.where(w_c > 0, np.maximum(1, np.rint(scale * w_c)), 0).astype(np.int64)
        weight = np.divide(w_c, n, out=np.zeros_like(w_c, dtype=np.float64), where=n > 0)
    if np.any(n >= WOMAN_LIMIT):
        raise ValueError(f"a cohort has more than {WOMAN_LIMIT} simulated women")
    return n, weight


def estimate_run(
    inp: MicroInputs,
    *,
    scale: float = 1.0,
    replicates: int = 1,
    n_threads: int | None = None,
) -> dict:
    """Estimated women, person-years, memory [bytes] and time [s] of a run (nothing is run).

    The time assumes :data:`ASSUMED_WOMEN_PER_THREAD_SECOND` per thread; memory counts the
    per-thread int64 accumulators, the per-region integer counts, their tabulation and the
    survival tables.
    """
    n, _ = women_per_cohort(inp, scale)
    threads = n_threads or numba.get_num_threads()
    n_c = inp.cohort_sizes.shape[1]
    n_t = inp.out_last_year - inp.out_first_year + 2
    cells = (mk.N_W + mk.N_M * inp.gap_values.size + mk.N_E) * n_c * n_t
    acc_bytes = threads * cells * 8 + cells * 8 * 2
    tables_bytes = (n_c * (11 + inp.gap_values.size) + 2 * (n_t + n_c)) * (inp.a_max + 2) * 8
    women = int(n.sum()) * replicates
    return {
        "women": women,
        "threads": threads,
        "memory_bytes": int(acc_bytes + tables_bytes),
        "seconds": women / (ASSUMED_WOMEN_PER_THREAD_SECOND * threads),
    }


@dataclass
class MicroResult:
    """Weighted microsimulation counts, as plain arrays.

    Arrays have leading dims ``(K, R, Y)`` (replicate, region, reference year); parent variables
    add ``(2, OUTPUT_AGE_MAX + 1)`` (sex, age), others ``(OUTPUT_AGE_MAX + 1,)``;
    ``mean_age_at_loss`` is ``(K, R, Y, 2)``. ``se`` holds Monte Carlo standard errors of the
    same shapes (only when K == 1; see module notes). ``population`` holds women only
    (``[..., 0, :]``; the male slot is NaN, see module notes). ``counts`` (optional) keeps the
    integer cohort-level counts per region for tests: ``(women, men, events)`` with shapes
    ``(K, N_W, C, Y)``, ``(K, N_M, C, G, Y)``, ``(K, N_E, C, Y)``.
    """

    years: np.ndarray
    values: dict[str, np.ndarray]
    se: dict[str, np.ndarray]
    n_women: np.ndarray
    weights: np.ndarray
    seed: int
    scale: float
    counts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
    info: dict = field(default_factory=dict)


#: How the standard errors are computed (stored with the results).
SE_METHOD = (
    "within-cohort binomial variance: sum over cohort cells of w**2 X (1 - X/n); "
    "ratio-estimator (linearised) variance for means per woman and the mean age at loss"
)


def simulate_counts_region(
    inp: MicroInputs,
    r: int,
    key: np.uint64,
    n_women: np.ndarray,
    *,
    block_size: int = 2048,
    blocks_per_chunk: int | None = None,
    progress: Callable[[int], None] | None = None,
    tables: RegionTables | None = None,
    block_range: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer counts of region ``r`` by quantity, cohort and reference year.

    Parameters
    ----------
    inp : MicroInputs
    r : int
        Region index.
    key : uint64
        Stream key of this region and replicate.
    n_women : ndarray of int64, shape (C,)
        Women simulated per cohort.
    block_size : int
        Women per block (the unit of parallel work); results do not depend on it.
    blocks_per_chunk : int, optional
        Blocks per kernel call; ``progress(women_done)`` is called after each call.
    tables : RegionTables, optional
        ``region_tables(inp, r)`` when already built.
    block_range : (int, int), optional
        Simulate only the blocks ``lo .. hi-1`` of the region (a shard, :func:`shard_ranges`);
        the counts of the shards of a region add up to the region's counts exactly.

    Returns
    -------
    women : ndarray of int64, shape (N_W, C, Y)
    men : ndarray of int64, shape (N_M, C, G, Y)
        Husbands, by wife's cohort and gap index.
    events : ndarray of int64, shape (N_E, C, Y)
        Births and rebirths in the step starting in each year.
    """
    if block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    tab = region_tables(inp, r) if tables is None else tables
    fert_lo, fert_hi = fertile_ages(inp)
    n_c = n_women.size
    n_g = inp.gap_values.size
    n_t = inp.out_last_year - inp.out_first_year + 2
    n_w = numba.get_num_threads()
    acc_w = np.zeros((n_w, mk.N_W, n_c, n_t), dtype=np.int64)
    acc_m = np.zeros((n_w, mk.N_M, n_c, n_g, n_t), dtype=np.int64)
    acc_e = np.zeros((n_w, mk.N_E, n_c, n_t), dtype=np.int64)
    blocks = region_blocks(n_women, block_size)
    if block_range is not None:
        blocks = blocks[block_range[0] : block_range[1]]
    n_blk = blocks.shape[0]
    per_call = blocks_per_chunk or max(n_w, -(-n_blk // 100))
    dur1 = np.ascontiguousarray(inp.dur1, dtype=np.float64)
    replace_share = np.ascontiguousarray(inp.replace_share[r], dtype=np.float64)
    wait_cdf = np.cumsum(np.asarray(inp.wait_pmf, dtype=np.float64))
    wait_cdf[-1] = 1.0
    stop = inp.stop_shares(r)
    sterile = inp.sterile_shares(r)
    for lo in range(0, n_blk, per_call):
        hi = min(n_blk, lo + per_call)
        mk.run_blocks(
            blocks, lo, hi, np.uint64(key), inp.first_cohort, inp.out_first_year,
            inp.out_last_year + 1, inp.rate_first_year, inp.union_age, fert_lo, fert_hi,
            tab.lw, tab.lw_hi, tab.lh.reshape(-1, tab.lh.shape[-1]), tab.lh_hi,
            tab.lc.reshape(-1, tab.lc.shape[-1]), tab.lc_hi, tab.child_b0, tab.gap_cdf,
            tab.hk, tab.hc, dur1, replace_share, wait_cdf, tab.p_boy, tab.gw, tab.gh, tab.gc,
            tab.h_alive_max, max(0, fert_hi - fert_lo + 1),
            acc_w, acc_m, acc_e, float(inp.frailty_sd), stop, sterile, int(inp.eligibility_age),
            int(bool(inp.wide_replacement)),
        )  # fmt: skip
        if progress is not None:
            progress(int(blocks[lo:hi, 2].sum()))

    def reduce(acc: np.ndarray) -> np.ndarray:
        out = np.empty((*acc.shape[1:-1], n_t - 1), dtype=np.int64)
        mk.reduce_workers(acc.reshape(n_w, -1, n_t), out.reshape(-1, n_t - 1))
        return out

    events = acc_e.sum(axis=0)[..., :-1]  # plain counts by step year, not differences
    return reduce(acc_w), reduce(acc_m), events


def region_blocks(n_women: np.ndarray, block_size: int) -> np.ndarray:
    """Blocks ``(cohort index, first woman index, number of women)`` of a region: [B, 3] int64."""
    return np.array(
        [(ci, i0, min(block_size, n - i0))
         for ci, n in enumerate(np.asarray(n_women).tolist()) for i0 in range(0, n, block_size)],
        dtype=np.int64,
    ).reshape(-1, 3)  # fmt: skip


def shard_ranges(n_women: np.ndarray, block_size: int, shards: int) -> list[tuple[int, int]]:
    """Split a region's blocks into at most ``shards`` contiguous ranges of about equal women.

    Random streams are keyed by (cohort, woman), so a shard's counts do not depend on which
    other women run with it: the shards' integer counts add up to the unsharded ones exactly.
    """
    blocks = region_blocks(n_women, block_size)
    if blocks.shape[0] == 0:
        return [(0, 0)]
    cum = np.cumsum(blocks[:, 2])
    cuts = np.searchsorted(cum, cum[-1] * np.arange(1, shards) / shards, side="right")
    edges = np.unique(np.concatenate([[0], cuts, [blocks.shape[0]]]))
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def simulate_shard(inp: MicroInputs, r: int, key: int, n_women: np.ndarray, block_size: int,
                   block_range: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One task of a sharded run: the counts of region ``r``'s blocks in ``block_range``.

    A plain function of picklable arguments, for process pools and ``dask.distributed``
    workers; memory is the inputs plus the accumulators of one region (a few MB).
    """
    return simulate_counts_region(inp, r, np.uint64(key), np.asarray(n_women), block_size=block_size,
                                  block_range=block_range)


def simulate_region_tabulated(inp: MicroInputs, r: int, key: int, n_women: np.ndarray,
                              weight: np.ndarray, block_size: int) -> tuple[dict, dict]:
    """One task of a run split by region: region ``r`` simulated and tabulated in the worker.

    Returns the small ``(values, standard errors)`` of :func:`tabulate_region`, not the counts,
    so little travels back from a worker.
    """
    women, men, events = simulate_counts_region(inp, r, np.uint64(key), np.asarray(n_women),
                                                block_size=block_size)
    return tabulate_region(inp, women, men, events, np.asarray(n_women), np.asarray(weight))


def _tabulate_named(rows: dict, n, weight, age0, factor, shape) -> tuple[dict, dict]:
    """:func:`micro_kernels.tabulate_counts` of named count rows: ``({name: sums}, {name: variances})``."""
    x = np.ascontiguousarray(np.stack(list(rows.values())))
    sums, variances = np.zeros((2, x.shape[0], *shape))
    mk.tabulate_counts(x, n, weight, age0, factor, sums, variances)
    return dict(zip(rows, sums, strict=True)), dict(zip(rows, variances, strict=True))


def tabulate_region(
    inp: MicroInputs,
    women: np.ndarray,
    men: np.ndarray,
    events: np.ndarray,
    n_women: np.ndarray,
    weight: np.ndarray,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Weighted totals by year and age and their Monte Carlo standard errors (module notes).

    Parameters
    ----------
    inp : MicroInputs
    women, men, events : ndarray of int64
        Counts of one region as returned by :func:`simulate_counts_region`.
    n_women : ndarray of int64, shape (C,)
        Women simulated per cohort (binomial trials).
    weight : ndarray of float64, shape (C,)
        Persons per simulated woman [persons].

    Returns
    -------
    values, se : dict of ndarray
        Per variable: ``(Y, 2, A+1)`` for parent variables, ``(Y, A+1)`` for the others,
        ``(Y, 2)`` for ``mean_age_at_loss``; ``population`` is ``(Y, 2, A+1)`` with the male
        slot NaN.
    """
    n_c, n_y = women.shape[1], women.shape[2]
    n_g = inp.gap_values.size
    n_age = OUTPUT_AGE_MAX + 1
    factor = inp.population_factor
    if factor is None:
        factor = np.ones((2, n_y, n_age))
    factor = np.ascontiguousarray(factor, dtype=np.float64)
    cohorts = inp.cohorts
    age0_w = (inp.out_first_year - cohorts).astype(np.int64)
    age0_m = (age0_w[:, None] + np.asarray(inp.gap_values, dtype=np.int64)[None, :]).ravel()
    n_m = np.repeat(n_women, n_g)
    w_m = np.repeat(weight, n_g)
    # count rows tabulated with binomial variances, named (one_child = N1 + D1 is one count)
    w_table = {
        "population": women[mk.W_POP], "one_child": women[mk.W_N1] + women[mk.W_D1],
        "strict": women[mk.W_D1], "wide": women[mk.W_WIDE], "lost": women[mk.W_LOST],
        "new": women[mk.W_NEW], "n1": women[mk.W_N1], "births": events[mk.E_BIRTHS],
        "rebirths": events[mk.E_REBIRTHS], "new5": women[mk.W_NEW5], "new10": women[mk.W_NEW10],
    }
    m_table = {
        "population": men[mk.M_POP], "one_child": men[mk.M_N1] + men[mk.M_D1],
        "strict": men[mk.M_D1], "wide": men[mk.M_WIDE], "lost": men[mk.M_LOST],
        "new": men[mk.M_NEW], "widower_n1": men[mk.M_FAM_N1], "widower_strict": men[mk.M_FAM_D1],
        "widower_new": men[mk.M_FAM_NEW], "widower_new5": men[mk.M_FAM_NEW5],
        "widower_new10": men[mk.M_FAM_NEW10], "eligible": men[mk.M_ELIG],
    }
    w_sum, w_var = _tabulate_named(w_table, n_women, weight, age0_w, factor[0], (n_y, n_age))
    m_sum, m_var = _tabulate_named({k: v.reshape(n_c * n_g, n_y) for k, v in m_table.items()},
                                   n_m, w_m, age0_m, factor[1], (n_y, n_age))  # fmt: skip
    val: dict[str, np.ndarray] = {}
    var: dict[str, np.ndarray] = {}
    for name, row in (("population", "population"), ("one_child_parents", "one_child"),
                      ("shidu_parents_strict", "strict"), ("shidu_parents_wide", "wide"),
                      ("parents_lost_any_child", "lost"), ("new_shidu_parents", "new")):  # fmt: skip
        val[name] = np.stack([w_sum[row], m_sum[row]], axis=1)
        var[name] = np.stack([w_var[row], m_var[row]], axis=1)
    val["population"][:, 1] = np.nan
    var["population"][:, 1] = np.nan
    # eligibility by the mother's age: mothers by their own age, fathers whose wife is (or,
    # dead, would be) of the eligibility age
    elig = np.arange(n_age) >= inp.eligibility_age
    val["eligible_shidu_parents"] = np.stack([w_sum["strict"] * elig, m_sum["eligible"]], axis=1)
    var["eligible_shidu_parents"] = np.stack([w_var["strict"] * elig, m_var["eligible"]], axis=1)
    # mothers by a group of the loss (extra last axis)
    n_k = mk.N_GROUPS
    for name, (_, first) in GROUPED_VARIABLES.items():
        gs, gv = np.zeros((2, n_k, n_y, n_age))
        mk.tabulate_counts(np.ascontiguousarray(women[first : first + n_k]), n_women, weight,
                           age0_w, factor[0], gs, gv)  # fmt: skip
        val[name], var[name] = np.moveaxis(gs, 0, -1), np.moveaxis(gv, 0, -1)
    # families: a living mother's count plus her widower's (different cells: variances add)
    for name, w_row, m_row in (("one_child_families", "n1", "widower_n1"),
                               ("shidu_families", "strict", "widower_strict"),
                               ("new_shidu_families", "new", "widower_new"),
                               ("new_shidu_families_child_5plus", "new5", "widower_new5"),
                               ("new_shidu_families_child_10plus", "new10", "widower_new10")):  # fmt: skip
        val[name], var[name] = w_sum[w_row] + m_sum[m_row], w_var[w_row] + m_var[m_row]
    val["husband_population"], var["husband_population"] = m_sum["population"], m_var["population"]
    for name in ("births", "rebirths"):
        val[name], var[name] = w_sum[name], w_var[name]
    pop_w = w_sum["population"]
    # means per living woman (ratio estimator)
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, s_row, q_row in (
            ("mean_children_ever_born", women[mk.W_CEB], women[mk.W_CEB2]),
            ("mean_children_surviving", women[mk.W_SURV], women[mk.W_SURV2]),
            ("mean_children_dead", women[mk.W_CEB] - women[mk.W_SURV], women[mk.W_DEAD2]),
        ):
            s_tot, dummy = np.zeros((2, 1, n_y, n_age))
            mk.tabulate_counts(s_row[None], n_women, weight, age0_w, factor[0], s_tot, dummy)
            ratio = np.where(pop_w > 0, s_tot[0] / np.where(pop_w > 0, pop_w, 1.0), np.nan)
            rv = np.zeros((n_y, n_age))
            mk.ratio_variance(s_row, q_row, women[mk.W_POP], n_women, weight, age0_w,
                              factor[0], ratio, rv)  # fmt: skip
            val[name] = ratio
            var[name] = np.where(pop_w > 0, rv / np.where(pop_w > 0, pop_w, 1.0) ** 2, np.nan)
        # mean age at loss by (year, sex)
        mom = np.zeros((2, n_y, 5))
        mk.loss_age_moments(women[mk.W_NEW], n_women, weight, age0_w, factor[0], mom[0])
        mk.loss_age_moments(men[mk.M_NEW].reshape(n_c * n_g, n_y), n_m, w_m, age0_m,
                            factor[1], mom[1])  # fmt: skip
        cnt = mom[..., 0]
        r = np.where(cnt > 0, mom[..., 1] / np.where(cnt > 0, cnt, 1.0), np.nan)
        v = np.maximum(mom[..., 4] - 2 * r * mom[..., 3] + r**2 * mom[..., 2], 0.0)
        val["mean_age_at_loss"] = r.T
        var["mean_age_at_loss"] = (v / np.where(cnt > 0, cnt, np.nan) ** 2).T
    return val, {name: np.sqrt(v) for name, v in var.items()}


def simulate(
    inp: MicroInputs,
    *,
    seed: int,
    scale: float = 1.0,
    replicates: int = 1,
    region_ids: Sequence[int] | None = None,
    scenario_stream: int | None = None,
    block_size: int = 2048,
    blocks_per_chunk: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    max_seconds: float | None = None,
    max_memory_bytes: float | None = None,
    keep_counts: bool = False,
    shards: int = 1,
    map_tasks: Callable[[Callable, list], list] | None = None,
) -> MicroResult:
    """Run the microsimulation for every region and replicate.

    Parameters
    ----------
    inp : MicroInputs
    seed : int
        Run seed; ``SeedSequence(seed)`` is spawned per (replicate, region id).
    scale : float
        Sampling fraction in (0, 1] [-].
    replicates : int
        Independent replicates K; with K == 1, standard errors come from the within-cohort
        binomial variances (module notes).
    region_ids : sequence of int, optional
        Stable region identifiers for the streams (default ``0 .. R-1``).
    scenario_stream : int, optional
        Give this scenario its own streams (default: common random numbers across scenarios).
    block_size, blocks_per_chunk : int
        Work granularity and progress granularity; results do not depend on them.
    progress : callable(done, total), optional
        Called with women simulated so far and in all.
    max_seconds, max_memory_bytes : float, optional
        Refuse runs whose :func:`estimate_run` estimate exceeds these limits.
    keep_counts : bool
        Keep the integer cohort-level counts in ``MicroResult.counts``.
    shards : int
        Split each (replicate, region) into this many tasks of contiguous blocks
        (:func:`simulate_shard`, whose integer counts are summed); results are bit-identical
        whatever the number. With ``map_tasks`` and ``shards == 1`` each (replicate, region) is
        one task, tabulated in the worker (:func:`simulate_region_tabulated`).
    map_tasks : callable(function, list of argument tuples) -> list of results, optional
        Runs the tasks (e.g. on a Dask cluster, :func:`lossproj.api.dask_task_mapper`);
        default: one after the other in this process.

    Returns
    -------
    MicroResult

    Raises
    ------
    ValueError
        Invalid inputs, scale outside (0, 1], or an estimate beyond the limits.
    """
    validate_inputs(inp)
    if replicates < 1:
        raise ValueError(f"replicates must be >= 1, got {replicates}")
    n_women, weights = women_per_cohort(inp, scale)
    est = estimate_run(inp, scale=scale, replicates=replicates)
    if max_seconds is not None and est["seconds"] > max_seconds:
        raise ValueError(
            f"estimated run time {est['seconds']:.0f} s for {est['women']:,} women exceeds "
            f"max_seconds={max_seconds:g}; lower the scale or the replicates"
        )
    if max_memory_bytes is not None and est["memory_bytes"] > max_memory_bytes:
        raise ValueError(
            f"estimated memory {est['memory_bytes'] / 2**20:.0f} MiB exceeds "
            f"max_memory_bytes={max_memory_bytes / 2**20:.0f} MiB; use fewer threads"
        )
    n_r = inp.n_regions
    ids = list(range(n_r)) if region_ids is None else [int(x) for x in region_ids]
    if len(ids) != n_r:
        raise ValueError(f"region_ids has {len(ids)} entries for {n_r} regions")
    keys = stream_keys(seed, replicates, ids, scenario_stream)
    total = est["women"]
    done = 0

    def tick(k: int) -> None:
        nonlocal done
        done += k
        if progress is not None:
            progress(done, total)

    values: dict[str, list] = {}
    ses: dict[str, list] = {}
    counts = [] if keep_counts else None
    t_start = time.perf_counter()
    tables = [None] * n_r if shards > 1 or map_tasks is not None else [
        region_tables(inp, r) for r in range(n_r)]
    if shards < 1:
        raise ValueError(f"shards must be >= 1, got {shards}")
    sharded = {}
    tabulated = {}
    if map_tasks is not None and shards == 1 and not keep_counts:
        jobs = [(k, r) for k in range(replicates) for r in range(n_r)]
        args = [(inp, r, int(keys[k, r]), n_women[r], weights[r], block_size) for k, r in jobs]
        tabulated = dict(zip(jobs, map_tasks(simulate_region_tabulated, args), strict=True))
    elif shards > 1 or map_tasks is not None:
        jobs = [(k, r, rng) for k in range(replicates) for r in range(n_r)
                for rng in shard_ranges(n_women[r], block_size, shards)]
        args = [(inp, r, int(keys[k, r]), n_women[r], block_size, rng) for k, r, rng in jobs]
        if map_tasks is None:
            parts = [simulate_shard(*a) for a in args]
        else:
            parts = list(map_tasks(simulate_shard, args))
        for (k, r, _), part in zip(jobs, parts, strict=True):
            prev = sharded.get((k, r))
            sharded[(k, r)] = part if prev is None else tuple(p + q for p, q in zip(prev, part, strict=True))
    for k in range(replicates):
        for r in range(n_r):
            if tabulated:
                val, se = tabulated[(k, r)]
                tick(int(n_women[r].sum()))
                for name in val:
                    values.setdefault(name, []).append(val[name])
                    ses.setdefault(name, []).append(se[name])
                continue
            if sharded:
                women, men, events = sharded[(k, r)]
                tick(int(n_women[r].sum()))
            else:
                women, men, events = simulate_counts_region(
                    inp, r, keys[k, r], n_women[r], block_size=block_size,
                    blocks_per_chunk=blocks_per_chunk, progress=tick, tables=tables[r],
                )  # fmt: skip
            if counts is not None:
                counts.append((women, men, events))
            val, se = tabulate_region(inp, women, men, events, n_women[r], weights[r])
            for name in val:
                values.setdefault(name, []).append(val[name])
                ses.setdefault(name, []).append(se[name])
    elapsed = time.perf_counter() - t_start
    log.info("microsimulation: %d women in %.2f s", total, elapsed)

    def stack(d: dict[str, list]) -> dict[str, np.ndarray]:
        return {n: np.stack(v).reshape(replicates, n_r, *v[0].shape) for n, v in d.items()}

    if counts is not None:
        counts = [
            tuple(np.stack([counts[k * n_r + r][q] for k in range(replicates)]) for q in range(3))
            for r in range(n_r)
        ]
    return MicroResult(
        years=inp.years, values=stack(values), se=stack(ses) if replicates == 1 else {},
        n_women=n_women, weights=weights, seed=seed, scale=scale, counts=counts,
        info={"seconds": elapsed, "women": total, "threads": numba.get_num_threads(),
              "se_method": SE_METHOD if replicates == 1 else "none (replicate dimension)"},
    )  # fmt: skip


def to_dataset(result: MicroResult, regions: Sequence[str]):
    """Labelled :class:`xarray.Dataset` with dims (year, region, sex, age) [+ replicate].

    Variable names follow DESIGN.md section 4 plus the micro-only extras
    (``shidu_parents_wide``, ``parents_lost_any_child``, ``husband_population``, ``births``,
    ``rebirths``, ``mean_age_at_loss``); with one replicate each variable has a ``*_se``
    companion (Monte Carlo standard error) and the ``replicate`` dim is dropped.
    """
    import xarray as xr

    n_k, n_r = next(iter(result.values.values())).shape[:2]
    if len(regions) != n_r:
        raise ValueError(f"{len(regions)} region names for {n_r} simulated regions")
    coords = {
        "replicate": np.arange(n_k),
        "region": list(regions),
        "year": result.years,
        "sex": ["female", "male"],
        "age": np.arange(OUTPUT_AGE_MAX + 1),
    }
    group_dims = {dim for dim, _ in GROUPED_VARIABLES.values()}
    coords |= {dim: list(labels) for dim, labels in GROUP_DIMS.items() if dim in group_dims}

    def dims_of(name: str) -> list[str]:
        # arrays are (replicate, region, year, ...) with the registry's dims after year
        return ["replicate", "region", "year", *variables.VARIABLES[name].dims[2:]]

    data = {}
    for name, arr in result.values.items():
        dims = dims_of(name)
        attrs = {"units": variables.VARIABLES[name].units, "engine": "micro"}
        if name == "population":
            attrs["note"] = "women only; men without a wife are not simulated (male slot NaN)"
        data[name] = xr.DataArray(arr, dims=dims, attrs=attrs)
        if name in result.se:
            data[f"{name}_se"] = xr.DataArray(
                result.se[name], dims=dims,
                attrs={"units": attrs["units"], "method": result.info.get("se_method", "")},
            )  # fmt: skip
    ds = xr.Dataset(data, coords=coords)
    ds = ds.transpose("replicate", "year", "region", "sex", "age", ...)
    if n_k == 1:
        ds = ds.isel(replicate=0, drop=True)
    ds.attrs.update({"engine": "micro", "seed": result.seed, "scale": result.scale,
                     "se_method": result.info.get("se_method", "")})  # fmt: skip
    return ds


__all__ = [
    "MicroInputs",
    "MicroResult",
    "estimate_run",
    "region_tables",
    "shard_ranges",
    "simulate",
    "simulate_region_tabulated",
    "simulate_shard",
    "simulate_counts_region",
    "to_dataset",
    "validate_inputs",
    "women_per_cohort",
]
