"""Physical bounds on the rates a run uses, checked before any computation.

One table, :data:`BOUNDS`, states each bound with its unit and reason; the checks, their
messages and the documentation (docs/model.md, "Plausibility checks") derive from it. The
checks apply to every rate bundle (packaged, changed by a scenario, or brought by a user) and
to every parity model, so a value outside them stops a run with a message that names the
array, the first offending coordinate, the value and the bound — never a NaN or an infinite
count at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lossproj.errors import DataError


@dataclass(frozen=True)
class Bound:
    """Allowed closed range of one array of a rate bundle or parity model.

    Attributes
    ----------
    low, high : float
        Inclusive bounds; ``low_open`` makes the lower one exclusive.
    unit : str
    why : str
        The physical reason, shown in messages.
    """

    low: float
    high: float
    unit: str
    why: str
    low_open: bool = False

    def allowed(self) -> str:
        left = "<" if self.low_open else "<="
        return f"{self.low:g} {left} value <= {self.high:g} [{self.unit}]"


#: Bounds of the resolved rates (after a scenario's multipliers, shocks and paths).
BOUNDS: dict[str, Bound] = {
    "mx": Bound(0.0, 10.0, "deaths per person-year",
                why="a central death rate is not negative (observed rates of small populations "
                "may be 0); above 10 a year's survival is below exp(-10) = 0.005 %, beyond any "
                "observed mortality"),
    "asfr": Bound(0.0, 1.0, "births per woman per year",
                  why="a woman cannot bear more than about one child a year"),
    "srb": Bound(0.9, 1.3, "male per female births",
                 why="observed sex ratios at birth lie within 1.0..1.2; a one-sex model uses 1"),
    "base_population": Bound(0.0, 2e9, "persons",
                             why="counts are non-negative and below any country's population"),
    "rel": Bound(0.0, 100.0, "relative level",
                 why="parity-progression levels relative to the first-birth level; the "
                 "calibration fits 0.05..5 and provincial factors 0.1..10"),
    "gap_values": Bound(-30.0, 30.0, "years",
                        why="a husband's age minus his wife's age (scenario files allow "
                        "-30..30)"),
}


def _first_bad(arr: np.ndarray, bound: Bound) -> tuple[int, ...] | None:
    arr = np.asarray(arr, dtype=float)
    low = arr <= bound.low if bound.low_open else arr < bound.low
    bad = ~np.isfinite(arr) | low | (arr > bound.high)
    if not bad.any():
        return None
    return tuple(int(i) for i in np.argwhere(bad)[0])


def array_problem(name: str, arr: np.ndarray, dims: tuple[str, ...],
                  labels: dict[str, list] | None = None) -> str | None:
    """One line describing the first value of ``arr`` outside :data:`BOUNDS` ``[name]``.

    >>> array_problem("asfr", np.array([[0.1, 5.0]]), ("year", "age"), {"year": [2020]})
    'asfr = 5 at year 2020, age 1: outside 0 <= value <= 1 [births per woman per year] (a woman cannot bear more than about one child a year)'
    """
    bound = BOUNDS[name]
    index = _first_bad(arr, bound)
    if index is None:
        return None
    labels = labels or {}
    where = ", ".join(
        f"{dim} {labels[dim][i] if dim in labels else i}" for dim, i in zip(dims, index, strict=True)
    )
    value = np.asarray(arr, dtype=float)[index]
    return f"{name} = {value:.6g} at {where}: outside {bound.allowed()} ({bound.why})"


def bundle_problems(bundle) -> list[str]:
    """Problems of a :class:`~lossproj.rates.bundle.RateBundle` against :data:`BOUNDS`."""
    years = [int(y) for y in range(bundle.first_year, bundle.first_year + bundle.mx.shape[2])]
    labels = {"region": list(bundle.regions), "sex": ["female", "male"], "year": years}
    checks = (
        ("mx", bundle.mx, ("region", "sex", "year", "age")),
        ("asfr", bundle.asfr, ("region", "year", "age")),
        ("srb", bundle.srb, ("year",)),
        ("base_population", bundle.base_population, ("region", "sex", "age")),
    )
    out = [array_problem(n, a, d, labels) for n, a, d in checks]
    return [p for p in out if p is not None]


def parity_problems(parity) -> list[str]:
    """Problems of a :class:`~lossproj.rates.bundle.ParityModel` against :data:`BOUNDS`."""
    transitions = ["first", "second", "third", "fourth_plus"]
    out = [
        array_problem("rel", parity.rel, ("region", "transition", "year index"),
                      {"transition": transitions}),
        array_problem("gap_values", parity.gap_values, ("gap index",)),
    ]
    return [p for p in out if p is not None]


def check_bundle(bundle) -> None:
    """Raise :class:`DataError` if any rate of ``bundle`` is outside :data:`BOUNDS`."""
    problems = bundle_problems(bundle)
    if problems:
        raise DataError(f"rate bundle {bundle.name!r}: implausible rates: " + "; ".join(problems))


def check_parity(parity) -> None:
    """Raise :class:`DataError` if a level or age gap of ``parity`` is outside :data:`BOUNDS`."""
    problems = parity_problems(parity)
    if problems:
        raise DataError("parity model: implausible values: " + "; ".join(problems))


#: Largest share of a region's births in a year that the fertility solve may leave unplaced
#: [share]: above it the parity levels cannot meet the ASFR input and the run stops
#: (docs/model.md, "Fertility shortfall"). 1 %: a tenth of the gap between census and WPP
#: births that the model already carries; the packaged diagnostic without replacement reaches
#: 0.94 % (Tibet, 1963), conflicts between levels and the input give 20-100 %.
SHORTFALL_TOLERANCE = 1e-2
#: Shortfalls below this many births in a region and year are rounding, not a conflict [births].
SHORTFALL_NEGLIGIBLE = 1.0


def worst_shortfall(shortfall: np.ndarray, births: np.ndarray) -> tuple[float, tuple[int, int]]:
    """Largest unplaced share of a region's births in a year, and its (region, year) index."""
    shortfall = np.asarray(shortfall, dtype=float)
    share = np.where(shortfall > SHORTFALL_NEGLIGIBLE,
                     shortfall / np.where(births > 0, births, 1.0), 0.0)
    index = np.unravel_index(np.argmax(share), share.shape)
    return float(share[index]), (int(index[0]), int(index[1]))


def shortfall_problem(shortfall: np.ndarray, births: np.ndarray, regions,
                      years) -> tuple[str, int] | None:
    """The worst region-year whose unplaced births exceed :data:`SHORTFALL_TOLERANCE`:
    a message and the year, or ``None``.

    Parameters
    ----------
    shortfall, births : ndarray [R, T]
        Births the intensity solve could not place, and the births the ASFR asks for [births].
    regions, years : sequences of labels of the two axes.

    >>> shortfall_problem(np.array([[0.0, 50.0]]), np.array([[1e3, 1e3]]), ["A"], [2020, 2021])[1]
    2021
    """
    shortfall = np.asarray(shortfall, dtype=float)
    births = np.asarray(births, dtype=float)
    worst, (r, t) = worst_shortfall(shortfall, births)
    if worst <= SHORTFALL_TOLERANCE:
        return None
    share = shortfall / np.where(births > 0, births, 1.0)
    total, asked = shortfall.sum(), births.sum()
    return (f"the parity levels cannot place {total:,.0f} of the {asked:,.0f} births the "
            f"fertility input asks for ({100 * total / asked:.3g} %); worst: {regions[r]} "
            f"{years[t]}, {shortfall[r, t]:,.0f} of {births[r, t]:,.0f} "
            f"({100 * share[r, t]:.3g} %); tolerance {SHORTFALL_TOLERANCE:.1%} of a region's "
            "births in any year"), int(years[t])


def nonfinite_problems(ds) -> list[str]:
    """Variables of a result with infinite values, or NaN where a count must be a number.

    Per-woman means (``mean_*``) may be NaN where no woman is simulated; counts never.
    """
    out = []
    for name in ds.data_vars:
        values = np.asarray(ds[name].values, dtype=float)
        bad = np.isinf(values) if str(name).startswith("mean_") else ~np.isfinite(values)
        if bad.any():
            index = np.argwhere(bad)[0]
            where = ", ".join(f"{d} {ds[name][d].values[i] if d in ds[name].coords else i}"
                              for d, i in zip(ds[name].dims, index, strict=True))
            out.append(f"{name} = {values[tuple(index)]} at {where} ({int(bad.sum()):,} values)")
    return out
