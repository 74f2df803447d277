"""Period life tables from single-year central death rates (ages 0..100, 100 = 100+).

All functions are pure and vectorised: the age axis (``axis``, default last) holds single
years 0, 1, ..., 100, the last entry being the open age group 100+; every other axis is a
leading batch axis (region, sex, year, ...).

Notes
-----
For single ages ``x = 0..99`` the table uses the standard conversion (HMD Methods Protocol v6,
eq. 60)

.. math::  q_x = \\frac{m_x}{1 + (1 - a_x) m_x}, \\qquad
           l_{x+1} = l_x (1 - q_x), \\qquad  L_x = l_{x+1} + a_x (l_x - l_{x+1}),

with :math:`a_x = 1/2` for ``x >= 1`` and :math:`a_0` from the Andreev–Kingkade rule
(:func:`infant_ax`, HMD's m0-based version). ``q_x`` is capped at 1. The open group 100+
has :math:`L_{100} = l_{100} / m_{100}` (so :math:`e_{100} = 1/m_{100}`), and

.. math::  e_0 = \\frac{1}{l_0} \\sum_{x=0}^{100} L_x, \\qquad l_0 = 1.

References
----------
Andreev, E. M. & Kingkade, W. W. (2015). Average age at death in infancy and infant mortality
level: Reconsidering the Coale-Demeny formulas at current levels of low mortality.
*Demographic Research* 33(13): 363-390. doi:10.4054/DemRes.2015.33.13

Wilmoth, J. R. et al. (2021). *Methods Protocol for the Human Mortality Database*, v6.

Examples
--------
>>> import numpy as np
>>> round(float(life_expectancy(np.full(101, 0.02), sex="female")), 9)  # constant m: e0 = 1/m
50.0
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Sex = Literal["female", "male"]

#: Number of single ages in a schedule, 0..100 with 100 = 100+.
N_AGES = 101

# Andreev–Kingkade (2015) a0 as a piecewise-linear function of m0, in the m0 form used by the
# HMD Methods Protocol v6 (Table 1): (m0 breakpoint 1, breakpoint 2,
# intercept 1, slope 1, intercept 2, slope 2, a0 above breakpoint 2).
_AK_A0 = {
    "male": (0.02300, 0.08307, 0.14929, -1.99545, 0.02832, 3.26201, 0.29915),
    "female": (0.01724, 0.06891, 0.14903, -2.05527, 0.04667, 3.88089, 0.31411),
}


def infant_ax(m0, sex) -> np.ndarray:
    """Mean fraction of the first year lived by infants who die, ``a0`` (Andreev–Kingkade).

    Parameters
    ----------
    m0 : array_like
        Infant central death rate [deaths per person-year].
    sex : {"female", "male"} or array_like of those strings
        Sex of each schedule; an array must broadcast against ``m0``.

    Returns
    -------
    ndarray
        ``a0`` [years], same shape as ``np.broadcast(m0, sex)``.

    Examples
    --------
    >>> float(infant_ax(0.005, "female"))
    0.13875365
    """
    m0 = np.asarray(m0, dtype=float)
    sex = np.asarray(sex)
    bad = ~np.isin(sex, tuple(_AK_A0))
    if np.any(bad):
        raise ValueError(
            f"unknown sex {str(sex[bad].ravel()[0])!r} for the infant a0 rule; allowed: 'female', 'male'"
        )
    out = {}
    for name, (b1, b2, i1, s1, i2, s2, top) in _AK_A0.items():
        out[name] = np.where(m0 < b1, i1 + s1 * m0, np.where(m0 < b2, i2 + s2 * m0, top))
    return np.where(sex == "male", out["male"], out["female"])


def _moveaxis_last(mx, axis: int) -> np.ndarray:
    mx = np.moveaxis(np.asarray(mx, dtype=float), axis, -1)
    if mx.shape[-1] != N_AGES:
        raise ValueError(
            f"a single-year schedule needs {N_AGES} ages (0..100, 100 = 100+) on axis {axis}; "
            f"got {mx.shape[-1]}"
        )
    if np.any(~np.isfinite(mx)) or np.any(mx < 0):
        raise ValueError("death rates must be finite and >= 0")
    if np.any(mx[..., -1] <= 0):
        raise ValueError("the open age group 100+ needs a death rate > 0")
    return mx


def _sex_for(mx_last: np.ndarray, sex) -> np.ndarray:
    """``sex`` broadcast to the leading (batch) shape of an age-last array."""
    return np.broadcast_to(np.asarray(sex), mx_last.shape[:-1])


def death_probability(mx, sex, axis: int = -1) -> np.ndarray:
    """Probability ``q_x`` of dying between exact ages x and x+1 (``q_100 = 1``).

    Parameters
    ----------
    mx : array_like
        Central death rates [deaths per person-year], ages 0..100 on ``axis``.
    sex : {"female", "male"} or array_like
        Sex of each schedule (for ``a0``); arrays broadcast against the batch axes.
    axis : int
        The age axis.

    Returns
    -------
    ndarray
        ``q_x`` [probability], same shape as ``mx``.
    """
    m = _moveaxis_last(mx, axis)
    ax = np.full_like(m, 0.5)
    ax[..., 0] = infant_ax(m[..., 0], _sex_for(m, sex))
    q = np.minimum(m / (1.0 + (1.0 - ax) * m), 1.0)
    q[..., -1] = 1.0
    return np.moveaxis(q, -1, axis)


def survival_probability(mx, sex, axis: int = -1) -> np.ndarray:
    """Probability ``l_x`` of surviving from birth to exact age x, ages 0..100 (``l_0 = 1``).

    Parameters
    ----------
    mx : array_like
        Central death rates [deaths per person-year], ages 0..100 on ``axis``.
    sex : {"female", "male"} or array_like
        Sex of each schedule (for ``a0``).
    axis : int
        The age axis.

    Returns
    -------
    ndarray
        ``l_x`` [probability], same shape as ``mx``.
    """
    q = np.moveaxis(death_probability(mx, sex, axis), axis, -1)
    lx = np.ones_like(q)
    lx[..., 1:] = np.cumprod(1.0 - q[..., :-1], axis=-1)
    return np.moveaxis(lx, -1, axis)


def person_years(mx, sex, axis: int = -1) -> np.ndarray:
    """Person-years ``L_x`` lived in each age interval per birth (stationary population).

    Parameters
    ----------
    mx : array_like
        Central death rates [deaths per person-year], ages 0..100 on ``axis``.
    sex : {"female", "male"} or array_like
        Sex of each schedule (for ``a0``).
    axis : int
        The age axis.

    Returns
    -------
    ndarray
        ``L_x`` [person-years per birth], same shape as ``mx``; ``L_100 = l_100 / m_100``.
    """
    m = _moveaxis_last(mx, axis)
    ax = np.full_like(m, 0.5)
    ax[..., 0] = infant_ax(m[..., 0], _sex_for(m, sex))
    q = np.minimum(m / (1.0 + (1.0 - ax) * m), 1.0)
    lx = np.ones_like(m)
    lx[..., 1:] = np.cumprod(1.0 - q[..., :-1], axis=-1)
    big_l = np.empty_like(m)
    big_l[..., :-1] = lx[..., 1:] + ax[..., :-1] * (lx[..., :-1] - lx[..., 1:])
    big_l[..., -1] = lx[..., -1] / m[..., -1]
    return np.moveaxis(big_l, -1, axis)


def life_expectancy(mx, sex, axis: int = -1) -> np.ndarray:
    """Period life expectancy at birth ``e0`` of single-year schedules.

    Parameters
    ----------
    mx : array_like
        Central death rates [deaths per person-year], ages 0..100 (100 = 100+) on ``axis``;
        all other axes are batch axes.
    sex : {"female", "male"} or array_like
        Sex of each schedule, used only for the infant ``a0`` (Andreev–Kingkade); an array of
        ``"female"``/``"male"`` strings must broadcast against the batch axes.
    axis : int
        The age axis.

    Returns
    -------
    ndarray
        ``e0`` [years], the batch shape of ``mx``.

    Notes
    -----
    See the module docstring for the formulas.

    Examples
    --------
    >>> import numpy as np
    >>> round(float(life_expectancy(np.full(101, 0.05), sex="male")), 9)  # constant m: e0 = 1/m
    20.0
    """
    return person_years(mx, sex, axis).sum(axis=axis)
