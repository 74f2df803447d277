"""Conventions shared by every layer: fertile ages and the groups of loss variables.

The lowest module of the package: it imports nothing from lossproj, so the configuration,
the rates and the engines can all read the same numbers.
"""

from __future__ import annotations

#: Youngest and oldest ages at which a woman can give birth [years of age].
FERT_MIN, FERT_MAX = 15, 49
#: Lower bounds of the child's-age-at-loss groups after the first [years]: groups 0–4, 5–9,
#: 10–19, 20+ (5 and 10 are the age windows of the published only-child death counts,
#: VALIDATION V1, V2). The child's age at loss is its age at the start of the step it dies in
#: (0 for a newborn dying before its first reference date).
LOSS_AGE_EDGES = (5, 10, 20)
#: Lower bounds of the years-since-loss groups after the first [years]: 0–4, 5–9, 10–19, 20+
#: whole years since the first reference date after the loss.
SINCE_LOSS_EDGES = (5, 10, 20)
#: Most whole years of waiting for a replacement birth after the loss (the waiting-time
#: distribution ``replacement.wait_pmf`` has at most this many values).
WAIT_MAX = SINCE_LOSS_EDGES[-1]


def group_labels(edges: tuple[int, ...]) -> tuple[str, ...]:
    """Labels of the groups split at ``edges`` [years].

    Examples
    --------
    >>> group_labels((5, 10, 20))
    ('0-4', '5-9', '10-19', '20+')
    """
    lows = (0, *edges)
    return tuple(f"{lo}-{hi - 1}" for lo, hi in zip(lows, edges, strict=False)) + (f"{edges[-1]}+",)
