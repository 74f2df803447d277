"""The rate bundle: every demographic rate the engines need, on one year × age grid.

A :class:`RateBundle` holds plain arrays (C-contiguous float64) so that kernels can take them
directly; labelled views are built by the aggregate layer. A :class:`ParityModel` holds the
parity-progression levels and the couple assumptions of a scenario. Both are frozen; scenarios
build new ones (see :mod:`lossproj.scenarios`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lossproj import plausibility
from lossproj.conventions import FERT_MAX as FERT_MAX  # re-exported: the grid's conventions
from lossproj.conventions import FERT_MIN as FERT_MIN
from lossproj.conventions import LOSS_AGE_EDGES as LOSS_AGE_EDGES
from lossproj.conventions import SINCE_LOSS_EDGES as SINCE_LOSS_EDGES
from lossproj.conventions import WAIT_MAX
from lossproj.conventions import group_labels as group_labels
from lossproj.errors import DataError

#: Highest single age followed internally; ages >= 100 use the age-100 rates and are pooled
#: into the open group 100+ on output.
A_MAX = 110
#: Highest age reported (open group).
A_OUT = 100
SEXES = ("female", "male")


@dataclass(frozen=True)
class RateBundle:
    """Rates by region, sex, single year and single age.

    Attributes
    ----------
    name : str — bundle name (``china`` or ``sweden``)
    regions : tuple of str — region names, in array order
    region_codes : tuple of int — GB/T 2260 codes (0 where none)
    region_zh : tuple of str — Chinese names ('' where none)
    first_year : int — year of index 0 of the year axis
    mx : ndarray [R, 2, Y, A_MAX+1] — central death rate [deaths per person-year]
    asfr : ndarray [R, Y, A_MAX+1] — all-order births per woman per year [births per woman-year]
    srb : ndarray [Y] — sex ratio at birth [male births per female birth]
    base_year : int — year of the base population
    base_population : ndarray [R, 2, A_MAX+1] — persons at the base date; the open group
        100+ is held in age 100
    older_base_year : int or None — year of an earlier census used to size cohorts too old to
        appear at single ages in the base (open group)
    older_base_population : ndarray [R, 2, A_MAX+1] or None
    net_migration : ndarray [R, 2, Y, A_MAX+1] or None — net migrants [persons per year]
    back_projection_factor : ndarray [2, Y, A_MAX+1] or None — multiplies the back-projected
        population before the base year (all regions alike) so that the national total meets
        an outside estimate (China: WPP 2024 by sex and 5-year group) [dimensionless]
    child_mx_factor : ndarray [2, Y, A_MAX+1] or None — multiplies the step death rate of
        first-born (index 0) and later-born (1) children by year and the child's completed age
        (docs/model.md, "Children's sex and survival"); None: every child has the national rate
        [dimensionless]
    assumptions : tuple of str — statements recorded in run metadata
    """

    name: str
    regions: tuple[str, ...]
    region_codes: tuple[int, ...]
    region_zh: tuple[str, ...]
    first_year: int
    mx: np.ndarray
    asfr: np.ndarray
    srb: np.ndarray
    base_year: int
    base_population: np.ndarray
    older_base_year: int | None = None
    older_base_population: np.ndarray | None = None
    net_migration: np.ndarray | None = None
    back_projection_factor: np.ndarray | None = None
    child_mx_factor: np.ndarray | None = None
    assumptions: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        n_r = len(self.regions)
        n_y = self.mx.shape[2]
        expect = {
            "mx": (n_r, 2, n_y, A_MAX + 1),
            "asfr": (n_r, n_y, A_MAX + 1),
            "srb": (n_y,),
            "base_population": (n_r, 2, A_MAX + 1),
        }
        for name, shape in expect.items():
            arr = getattr(self, name)
            if arr.shape != shape:
                raise DataError(f"RateBundle.{name} has shape {arr.shape}; expected {shape}")
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise DataError(f"RateBundle.{name} must be finite and >= 0")
        if self.child_mx_factor is not None:
            f = self.child_mx_factor
            if f.shape != (2, n_y, A_MAX + 1) or not np.all(np.isfinite(f)) or np.any(f <= 0):
                raise DataError(f"RateBundle.child_mx_factor must be finite, > 0 and of shape "
                                f"{(2, n_y, A_MAX + 1)}; got shape {f.shape}")
        if not self.first_year <= self.base_year <= self.last_year:
            raise DataError(
                f"base year {self.base_year} outside the rate years {self.first_year}..{self.last_year}"
            )
        plausibility.check_bundle(self)  # physical bounds (DataError)

    @property
    def last_year(self) -> int:
        return self.first_year + self.mx.shape[2] - 1

    @property
    def years(self) -> np.ndarray:
        return np.arange(self.first_year, self.last_year + 1)

    def year_index(self, year: int) -> int:
        if not self.first_year <= year <= self.last_year:
            raise ValueError(f"year {year} outside the rate years {self.first_year}..{self.last_year}")
        return year - self.first_year

    def select(self, regions) -> RateBundle:
        """A bundle restricted to ``regions`` (names, in the order given)."""
        idx = [self.regions.index(r) for r in regions]
        return RateBundle(
            name=self.name,
            regions=tuple(self.regions[i] for i in idx),
            region_codes=tuple(self.region_codes[i] for i in idx),
            region_zh=tuple(self.region_zh[i] for i in idx),
            first_year=self.first_year,
            mx=np.ascontiguousarray(self.mx[idx]),
            asfr=np.ascontiguousarray(self.asfr[idx]),
            srb=self.srb,
            base_year=self.base_year,
            base_population=np.ascontiguousarray(self.base_population[idx]),
            older_base_year=self.older_base_year,
            older_base_population=None
            if self.older_base_population is None
            else np.ascontiguousarray(self.older_base_population[idx]),
            net_migration=None
            if self.net_migration is None
            else np.ascontiguousarray(self.net_migration[idx]),
            back_projection_factor=self.back_projection_factor,
            child_mx_factor=self.child_mx_factor,
            assumptions=self.assumptions,
        )


@dataclass(frozen=True)
class ParityModel:
    """Parity progression, replacement after loss and couple assumptions of a scenario.

    Attributes
    ----------
    rel : ndarray [R, 4, Y] — relative levels of the birth hazard by transition
        (0 childless = 1, 1 one child alive → 2nd, 2 two → 3rd, 3 three+ → more) [dimensionless]
    dur1 : ndarray [D] — multiplier of transition 1 by the living child's age [dimensionless]
    replace_share : ndarray [R, Y, A_MAX+1] — probability that a woman whose surviving
        children fall to zero in the step starting in year ``y`` at her age ``a`` is one who
        would have another birth; the others never bear again (docs/model.md, "Replacement
        after loss") [probability]
    wait_pmf : ndarray [K] — probability that the replacement birth falls in the step starting
        ``s = 0, 1, ..., K−1`` whole years after the first reference date after the loss (if
        the mother lives and is at most ``FERT_MAX``); sums to 1 [probability]
    union_age : int — wife's age at which the couple is formed [years]
    gap_values : ndarray [G] int — husband's age minus wife's age [years]
    gap_pmf : ndarray [G] — probability of each gap
    eligibility_age : int — mother's age from which a strict shidu couple is eligible [years]
    stop : ndarray [R, Y] — share of first births in the step starting in the year after which
        the mother stops: no next birth while the child lives, replacement after its death as
        for every mother [share]; default 0
    sterile : ndarray [R, Y] — share of the women reaching age ``FERT_MIN`` in the year who
        never bear a child [share]; default 0
    """

    rel: np.ndarray
    dur1: np.ndarray
    replace_share: np.ndarray
    wait_pmf: np.ndarray
    union_age: int
    gap_values: np.ndarray
    gap_pmf: np.ndarray
    eligibility_age: int = 49
    stop: np.ndarray | None = None
    sterile: np.ndarray | None = None

    def __post_init__(self):
        if self.rel.ndim != 3 or self.rel.shape[1] != 4:
            raise DataError(f"ParityModel.rel must have shape [R, 4, Y]; got {self.rel.shape}")
        shape = (self.rel.shape[0], self.rel.shape[2])
        for name in ("stop", "sterile"):
            arr = getattr(self, name)
            arr = np.zeros(shape) if arr is None else np.asarray(arr, dtype=float)
            if arr.shape != shape or not np.all((arr >= 0.0) & (arr <= 1.0)):
                raise DataError(f"ParityModel.{name} must be shares in [0, 1] of shape [R, Y] = {shape}")
            object.__setattr__(self, name, arr)
        rs = np.asarray(self.replace_share, dtype=float)
        if rs.shape != (*shape, A_MAX + 1) or not np.all((rs >= 0.0) & (rs <= 1.0)):
            raise DataError(
                f"ParityModel.replace_share must be probabilities in [0, 1] of shape [R, Y, A_MAX+1] = "
                f"{(*shape, A_MAX + 1)}; got shape {rs.shape}"
            )
        object.__setattr__(self, "replace_share", rs)
        pmf = np.asarray(self.wait_pmf, dtype=float)
        if pmf.ndim != 1 or not 1 <= pmf.size <= WAIT_MAX or np.any(pmf < 0) or abs(pmf.sum() - 1.0) > 1e-9:
            raise DataError(
                f"ParityModel.wait_pmf must be 1 to {WAIT_MAX} probabilities >= 0 summing to 1; "
                f"got {pmf.tolist()}"
            )
        object.__setattr__(self, "wait_pmf", pmf)
        for name in ("rel", "dur1", "gap_pmf"):
            arr = getattr(self, name)
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise DataError(f"ParityModel.{name} must be finite and >= 0")
        if abs(self.gap_pmf.sum() - 1.0) > 1e-6:
            raise DataError(f"spouse age-gap probabilities sum to {self.gap_pmf.sum()}, not 1")
        if self.gap_values.shape != self.gap_pmf.shape:
            raise DataError("spouse age-gap values and probabilities differ in length")
        plausibility.check_parity(self)  # physical bounds (DataError)

    @property
    def wait_hazard(self) -> np.ndarray:
        """Conditional probability of the replacement birth ``s`` years after the loss: [K]."""
        return wait_hazard(self.wait_pmf)


def wait_hazard(wait_pmf: np.ndarray) -> np.ndarray:
    """Discrete hazard ``h_s = p_s / (1 − Σ_{j<s} p_j)`` of a waiting-time distribution.

    Parameters
    ----------
    wait_pmf : ndarray [K] — probabilities of a wait of ``s = 0 .. K−1`` whole years, summing
        to 1 [probability]

    Returns
    -------
    ndarray [K] — in [0, 1]; the last value is 1 (whatever the rounding of the sum)

    Examples
    --------
    >>> wait_hazard(np.array([0.5, 0.25, 0.25])).tolist()
    [0.5, 0.5, 1.0]
    """
    pmf = np.asarray(wait_pmf, dtype=float)
    left = 1.0 - np.concatenate([[0.0], np.cumsum(pmf)[:-1]])
    h = np.divide(pmf, left, out=np.ones_like(pmf), where=left > 1e-12)
    h = np.clip(h, 0.0, 1.0)
    h[-1] = 1.0
    return h
