"""Relative mortality of first-born and later-born children from urban and rural child mortality.

Only children are more often urban than other children, and urban child mortality in China
was 30-45 % of rural (national under-5 mortality surveillance, 1996-2015;
``data/child_mortality_residence.csv``). The only child of a one-child mother is her
first-born, so this module gives multipliers of the death rate of first-born children and of
later-born children (birth order 2 and higher) whose births-weighted mean is 1: the national
death rates (WPP 2024) stay the level for all children.

Notes
-----
For calendar year :math:`t` let :math:`k(t)` be the ratio of urban to rural under-5
mortality (U5MR), :math:`u_1(t)` the urban share of first births, :math:`u_{2+}(t)` the urban
share of births of order 2 and higher, :math:`w(t)` the share of first births among all
births and

.. math::  U(t) = w(t)\\,u_1(t) + (1 - w(t))\\,u_{2+}(t)

the urban share of all births. If urban children die at :math:`k` times the rural rate
:math:`m_r`, children of order group :math:`o` die at :math:`m_r (u_o k + 1 - u_o)` and all
children at :math:`m_r (U k + 1 - U)`, so the relative mortality of group :math:`o` is

.. math::  RR_o(t) = \\frac{u_o(t)\\,k(t) + 1 - u_o(t)}{U(t)\\,k(t) + 1 - U(t)},
           \\qquad o \\in \\{1, 2+\\},

and :math:`w\\,RR_1 + (1 - w)\\,RR_{2+} = 1` exactly in every year (multiplying the national
death rate by :math:`RR_o` keeps the births-weighted national rate).

**Inputs on the year grid.** :math:`k` is linear in time between the years of the table
(1996, 2000, 2005, 2006, 2015) and held constant before the first and after the last.
:math:`u_1`, :math:`u_{2+}` and :math:`w` come from the census births of the 12 months before
the 2010 and 2020 censuses (``data/births_by_order.csv``; urban = city + town by default),
linear between the two census years and held constant outside; :math:`U` follows from them,
so it equals the census urban share of all births in 2010 and 2020.

**Ages.** The multipliers apply at child ages 0-4, the ages that U5MR covers, the same at each
of these ages. Ages 5 and over get 1: no national source gives child death rates by residence
at those ages (only local 2010 census tables were found).

**Assumptions.** (1) The urban/rural ratio of the probability of dying before age 5 is taken
as the ratio of death rates at every age 0-4 (close when both are small). (2) The surveillance
calls city districts urban and counties rural, so towns in counties are rural there; the
census's town (镇) includes them. Counting census towns as urban (the default) gives town
children city mortality; ``urban=("city",)`` counts them as rural instead, which nationally
moves :math:`RR_1` by less than 0.01 (0.959 against 0.954 in 2010). (3) The residence mix
of a calendar year's births stands for all children aged 0-4 in that year (not their birth
cohort's), and neither moves between residences nor the different survival of urban and
rural children change it.
(4) Before 2010 the 2010 residence mix is held and before 1996 the 1996 ratio, although
cities had lower fertility and stricter rules in the 1980s and 1990s, when first births were
probably more urban relative to later births than in 2010.

References
----------
.. [1] Analysis of under 5 years old children mortality and the leading death cause in China
   from 1996 to 2000. *Zhonghua Yu Fang Yi Xue Za Zhi* 2005;39(4):260-264. PMID 16194383.
.. [2] Wang Y, Zhu J, Miao L, et al. (2009). Analysis on under-5 mortality rate and the
   leading kinds of diseases in China, 2000-2006. *Zhonghua Liu Xing Bing Xue Za Zhi*
   30(5):466-470. PMID 19799142.
.. [3] National Bureau of Statistics of China (2016). Mid-term statistical monitoring report
   of the Programme for the Development of Chinese Children (2011-2020).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from lossproj import regions
from lossproj.data import ALL_REGIONS, CHILD_MORTALITY_INDICATORS, ORDERS, RESIDENCES_URBAN_RURAL
from lossproj.rates.bundle import A_MAX

#: Order groups of the first axis of :func:`relative_child_mortality`: first-born children
#: and later-born children (birth order 2 and higher).
ORDER_GROUPS: tuple[str, ...] = ("first", "later")
#: Oldest child age to which the urban/rural contrast applies [years]: U5MR covers ages 0..4.
LAST_CHILD_AGE = 4
#: Census residences that together make up the census's population (``births_by_order.csv``).
CENSUS_RESIDENCES: tuple[str, ...] = ("city", "town", "rural")
#: Census residences counted as urban by default (city + town; see the module Notes).
URBAN_RESIDENCES: tuple[str, ...] = ("city", "town")


class BirthResidenceShares(NamedTuple):
    """Residence mix of births by birth order on a year grid.

    Attributes
    ----------
    years : ndarray [Y] — calendar years
    first_share : ndarray [Y] — first births / all births [fraction]
    urban_first : ndarray [Y] — urban first births / first births [fraction]
    urban_later : ndarray [Y] — urban births of order 2+ / births of order 2+ [fraction]
    """

    years: np.ndarray
    first_share: np.ndarray
    urban_first: np.ndarray
    urban_later: np.ndarray

    @property
    def urban_all(self) -> np.ndarray:
        """Urban births / all births [fraction], ``w u_1 + (1 - w) u_2+``."""
        return self.first_share * self.urban_first + (1.0 - self.first_share) * self.urban_later


def order_relative_mortality(ratio, urban_first, urban_later, first_share) -> np.ndarray:
    """Relative mortality of first-born and later-born children (the equation of the Notes).

    Parameters
    ----------
    ratio : array_like
        Urban / rural child mortality ratio ``k`` [dimensionless], > 0.
    urban_first, urban_later : array_like
        Urban shares of first births and of births of order 2+ [fraction, 0..1].
    first_share : array_like
        First births / all births [fraction, 0..1].

    Returns
    -------
    ndarray
        Shape ``(2, *broadcast shape)``: multipliers of the all-children death rate
        [dimensionless] for first-born (index 0) and later-born (index 1) children.

    Examples
    --------
    Urban mortality half the rural; 60 % of first and 20 % of later births urban, half of all
    births first births (so 40 % of all births urban):

    >>> rr = order_relative_mortality(0.5, 0.6, 0.2, 0.5)
    >>> rr.round(6).tolist()
    [0.875, 1.125]
    >>> round(float(0.5 * rr[0] + 0.5 * rr[1]), 12)
    1.0
    """
    k = np.asarray(ratio, dtype=float)
    u1 = np.asarray(urban_first, dtype=float)
    u2 = np.asarray(urban_later, dtype=float)
    w = np.asarray(first_share, dtype=float)
    if not np.all(np.isfinite(k)) or np.any(k <= 0):
        raise ValueError(f"urban/rural mortality ratio must be finite and > 0; got {k.min()!r}")
    for name, arr in (("urban_first", u1), ("urban_later", u2), ("first_share", w)):
        if not np.all(np.isfinite(arr)) or np.any((arr < 0) | (arr > 1)):
            raise ValueError(f"{name} must be a share in [0, 1]; got values {arr.min()!r}..{arr.max()!r}")
    urban_all = w * u1 + (1.0 - w) * u2
    all_children = urban_all * k + 1.0 - urban_all
    return np.stack(np.broadcast_arrays((u1 * k + 1.0 - u1) / all_children, (u2 * k + 1.0 - u2) / all_children))


def urban_rural_ratio(table: pd.DataFrame, years, indicator: str = "u5mr") -> np.ndarray:
    """Urban / rural child mortality ratio on a year grid.

    Parameters
    ----------
    table : DataFrame
        Rows ``year, indicator, residence, value`` as in ``data/child_mortality_residence.csv``
        (``lossproj.data.child_mortality_residence``); value [deaths per 1000 live births].
    years : array_like of int
        Calendar years wanted.
    indicator : {"u5mr", "imr"}
        Under-5 (default) or infant mortality.

    Returns
    -------
    ndarray [Y]
        ``k(t)`` = urban / rural [dimensionless]: linear between the table's years, the first
        (last) year's ratio before (after) them.
    """
    if indicator not in CHILD_MORTALITY_INDICATORS:
        raise ValueError(
            f"unknown child mortality indicator {indicator!r}; known indicators: "
            f"{', '.join(CHILD_MORTALITY_INDICATORS)}"
        )
    sub = table[table["indicator"] == indicator]
    if sub.empty:
        raise ValueError(f"the child mortality table has no {indicator!r} rows")
    wide = sub.pivot(index="year", columns="residence", values="value").sort_index()
    wide = wide.reindex(columns=list(RESIDENCES_URBAN_RURAL))
    unpaired = wide.index[wide.isna().any(axis=1)].tolist()
    if unpaired:
        raise ValueError(
            f"child mortality {indicator!r}: year(s) {unpaired} lack an urban or a rural value; "
            "expected both in every year"
        )
    ratio = (wide["urban"] / wide["rural"]).to_numpy(dtype=float)
    return np.interp(np.asarray(years, dtype=float), wide.index.to_numpy(dtype=float), ratio)


def birth_residence_shares(
    births: pd.DataFrame,
    years,
    *,
    region: str = regions.NATIONAL,
    urban: Sequence[str] = URBAN_RESIDENCES,
) -> BirthResidenceShares:
    """Urban shares of first and of later births and the first-birth share, on a year grid.

    Parameters
    ----------
    births : DataFrame
        Rows ``census_year, region, residence, order, births`` as in
        ``data/births_by_order.csv`` (``lossproj.data.births_by_order``); births [births in
        the census's 12-month reference period, sample].
    years : array_like of int
        Calendar years wanted.
    region : str
        Region whose births are used (default ``China``).
    urban : sequence of {"city", "town"}
        Census residences counted as urban; the rest of city, town and rural is rural.

    Returns
    -------
    BirthResidenceShares
        Each share linear between the census years, the first (last) census's value before
        (after) them.
    """
    bad = [r for r in urban if r not in URBAN_RESIDENCES]
    if not urban or bad:
        raise ValueError(
            f"urban residences {list(urban)!r}: expected one or both of {', '.join(URBAN_RESIDENCES)}"
        )
    present = set(births["region"])
    known = [r for r in ALL_REGIONS if r in present]
    if region not in known:
        hint = regions.closest_names(region, known)
        did = f"; did you mean {', '.join(repr(h) for h in hint)}?" if hint else ""
        raise ValueError(f"unknown region {region!r}{did} Known regions: {', '.join(known)}")
    sub = births[(births["region"] == region) & births["residence"].isin(CENSUS_RESIDENCES)]
    counts = sub.pivot_table(index="census_year", columns=["order", "residence"], values="births",
                             aggfunc="sum")
    wanted = pd.MultiIndex.from_product([ORDERS, CENSUS_RESIDENCES], names=["order", "residence"])
    counts = counts.reindex(columns=wanted)
    if counts.isna().any().any():
        raise ValueError(f"births of {region}: every census year needs births of orders "
                         f"{', '.join(ORDERS)} in {', '.join(CENSUS_RESIDENCES)}")

    def total(orders: Sequence[str], residences: Sequence[str]) -> np.ndarray:
        cols = [(o, r) for o in orders for r in residences]
        return counts.loc[:, cols].sum(axis=1).to_numpy(dtype=float)

    first, later = ORDERS[:1], ORDERS[1:]
    b_first, b_later = total(first, CENSUS_RESIDENCES), total(later, CENSUS_RESIDENCES)
    if np.any(b_first <= 0) or np.any(b_later <= 0):
        raise ValueError(f"births of {region}: no first or no later births in a census year")
    census_years = counts.index.to_numpy(dtype=float)
    grid = np.asarray(years, dtype=float)
    return BirthResidenceShares(
        years=np.asarray(years),
        first_share=np.interp(grid, census_years, b_first / (b_first + b_later)),
        urban_first=np.interp(grid, census_years, total(first, urban) / b_first),
        urban_later=np.interp(grid, census_years, total(later, urban) / b_later),
    )


def relative_child_mortality(
    first_year: int,
    last_year: int,
    child_mortality: pd.DataFrame,
    births: pd.DataFrame,
    *,
    indicator: str = "u5mr",
    region: str = regions.NATIONAL,
    urban: Sequence[str] = URBAN_RESIDENCES,
) -> np.ndarray:
    """Multipliers of the death rate of first-born and of later-born children, on the rate grid.

    Parameters
    ----------
    first_year, last_year : int
        Calendar years of the grid (``RateBundle.first_year``..``last_year``), inclusive.
    child_mortality : DataFrame
        Urban and rural child mortality (``lossproj.data.child_mortality_residence``)
        [deaths per 1000 live births].
    births : DataFrame
        Census births by order and residence (``lossproj.data.births_by_order``) [births].
    indicator : {"u5mr", "imr"}
        Mortality indicator whose urban/rural ratio is used (default under-5 mortality).
    region : str
        Region whose births give the residence mix (default ``China``).
    urban : sequence of {"city", "town"}
        Census residences counted as urban (default city and town).

    Returns
    -------
    ndarray [2, Y, A_MAX+1]
        ``RR[o, t, a]`` [dimensionless]: the child's death rate is the national (all
        children's) rate times ``RR``; ``o`` indexes :data:`ORDER_GROUPS` (first-born,
        later-born), ``t`` the years ``first_year..last_year``, ``a`` the child's single age
        0..A_MAX. ``RR`` is 1 at ages above :data:`LAST_CHILD_AGE` (no national source by
        residence). The births-weighted mean over the two groups is 1 in every year.

    Examples
    --------
    >>> from lossproj import data
    >>> rr = relative_child_mortality(1990, 2020, data.child_mortality_residence(),
    ...                               data.births_by_order())
    >>> rr.shape
    (2, 31, 111)
    >>> rr[:, [0, 10, 20, 30], 0].round(3).tolist()  # age 0 in 1990, 2000, 2010, 2020
    [[0.942, 0.939, 0.954, 0.964], [1.095, 1.1, 1.076, 1.03]]
    >>> float(rr[0, 0, 5])  # age 5: no residence contrast
    1.0
    """
    if last_year < first_year:
        raise ValueError(f"last_year {last_year} is before first_year {first_year}")
    years = np.arange(first_year, last_year + 1)
    ratio = urban_rural_ratio(child_mortality, years, indicator)
    shares = birth_residence_shares(births, years, region=region, urban=urban)
    by_year = order_relative_mortality(ratio, shares.urban_first, shares.urban_later, shares.first_share)
    out = np.ones((len(ORDER_GROUPS), years.size, A_MAX + 1))
    out[:, :, : LAST_CHILD_AGE + 1] = by_year[:, :, None]
    return out
