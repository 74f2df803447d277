"""Replacement after loss: who has another birth after her surviving children fall to zero, and when.

The model (docs/model.md, "Replacement after loss"): a woman whose surviving children fall to
zero in the step starting at her age ``a`` in year ``t`` never bears again with probability

    never(a, t) = min(1, m · [1 − (1 − infecund(a)) · (1 − era_never(t))])

where ``infecund(a)`` is the share of women of age ``a`` who can no longer conceive (permanent
sterility rising with age), ``era_never(t)`` the share of fecund couples of the era who choose
not to, or cannot for other reasons (union dissolution, sterilisation not reversed), and ``m``
the scenario lever. The others have their next birth in the step starting ``s`` whole years after
the first reference date after the loss with probability ``wait_pmf[s]``, if they are alive and
at most ``FERT_MAX`` then. These births are births: the intensity solve meets the ASFR net of
them.

References
----------
Menken J, Trussell J, Larsen U (1986). Age and infertility. Science 233(4771):1389–1394.
doi:10.1126/science.3755843
Leridon H (2004). Can assisted reproduction technology compensate for the natural decline in
fertility with age? A model assessment. Hum Reprod 19(7):1548–1553. doi:10.1093/humrep/deh304
"""

from __future__ import annotations

import numpy as np

from lossproj.rates.bundle import A_MAX, FERT_MAX, FERT_MIN, wait_hazard


def infecund_by_age(ages, shares) -> np.ndarray:
    """Share who can no longer bear a child, by single age 0..A_MAX [share].

    Linear between the given ages, the first value below the first age, the last value up to
    ``FERT_MAX`` and 1 above it (no births after ``FERT_MAX`` in the model) and below
    ``FERT_MIN``.

    Parameters
    ----------
    ages : sequence of int — increasing ages [years of age]
    shares : sequence of float — share infecund at each age [share]

    Examples
    --------
    >>> infecund_by_age([20, 30], [0.0, 0.1])[[15, 25, 30, 49, 50]].tolist()
    [0.0, 0.05, 0.1, 0.1, 1.0]
    """
    grid = np.arange(A_MAX + 1)
    out = np.interp(grid, np.asarray(ages, dtype=float), np.asarray(shares, dtype=float))
    out[(grid < FERT_MIN) | (grid > FERT_MAX)] = 1.0  # no mother, no birth at these ages
    return out


def never_replace_share(infecund: np.ndarray, era_never: np.ndarray, multiplier: float) -> np.ndarray:
    """Share who never bear again after the loss, by year and her age at the loss [share].

    Parameters
    ----------
    infecund : ndarray [A_MAX+1] — :func:`infecund_by_age`
    era_never : ndarray [Y] — share of fecund couples of the year's era who never have another
        child [share]
    multiplier : float — scenario lever on the never-replace share [multiplier]

    Returns
    -------
    ndarray [Y, A_MAX+1] in [0, 1]
    """
    never = 1.0 - (1.0 - infecund[None, :]) * (1.0 - np.asarray(era_never, dtype=float)[:, None])
    return np.minimum(1.0, multiplier * never)


def replacement_probability(
    replace_share: np.ndarray, wait_pmf: np.ndarray, loss_age: int, within: int,
    survival: np.ndarray | None = None,
) -> np.ndarray:
    """Probability of a replacement birth within ``within`` years of a loss, by year of the loss.

    Parameters
    ----------
    replace_share : ndarray [Y, A_MAX+1] — probability of being one who would have another birth
        (1 − never), by year of the loss step and her age at its start
    wait_pmf : ndarray [K] — wait of ``s`` whole years after the first reference date after the
        loss [probability]
    loss_age : int — her age at the start of the step of the loss [years]
    within : int — years after the loss step counted: births in the steps ``s < within``
    survival : ndarray [Y, A_MAX+1] or None — her probability of surviving a step by year and
        age (None: she survives; the probability is then the behavioural one)

    Returns
    -------
    ndarray [Y] — indexed by the year of the loss step (years whose steps run past the grid use
    the last year's survival)
    """
    rs = np.asarray(replace_share, dtype=float)
    n_y = rs.shape[0]
    pmf = np.asarray(wait_pmf, dtype=float)
    h = wait_hazard(pmf)
    out = np.zeros(n_y)
    for y in range(n_y):
        alive = 1.0 if survival is None else survival[y, loss_age]  # to the first reference date
        waiting = 1.0
        p = 0.0
        for s in range(min(within, pmf.size)):
            age = loss_age + 1 + s
            if age > FERT_MAX:
                break
            p += alive * waiting * h[s]
            waiting *= 1.0 - h[s]
            if survival is not None:
                alive *= survival[min(y + 1 + s, n_y - 1), age]
        out[y] = rs[y, loss_age] * p
    return out
