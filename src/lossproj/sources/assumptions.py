"""Assumed tables that no raw source provides: the spouse age gap.

Each assumption is a named constant, labelled ASSUMPTION in the table's provenance note
(:data:`NOTES`); a scenario config can replace the table.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

#: Spouse age gap (husband's age - wife's age) [years]: discretised normal distribution,
#: ASSUMPTION (no source table in raw/); mean and standard deviation before truncation.
SPOUSE_GAP_MEAN = 2.0
SPOUSE_GAP_SD = 3.0
#: Support of the discretised gap distribution [years], inclusive.
SPOUSE_GAP_RANGE = (-5, 15)

NOTES: dict[str, str] = {
    "spouse_age_gap.csv": (
        "**ASSUMPTION — no source table.** raw/ holds no distribution of spouses' age "
        "differences. The packaged pmf is a normal distribution with mean "
        f"{SPOUSE_GAP_MEAN:g} years and standard deviation {SPOUSE_GAP_SD:g} years (husband older), "
        f"discretised to integer gaps {SPOUSE_GAP_RANGE[0]}..{SPOUSE_GAP_RANGE[1]} "
        "(mass of [g − ½, g + ½)) and renormalised over that range. **Units:** `gap` years "
        "(husband's age − wife's age), `probability` fraction (sums to 1). A scenario config can "
        "replace it (`spouse age gap`, DESIGN.md §2)."
    ),
}


def spouse_age_gap() -> pd.DataFrame:
    """ASSUMPTION: husband's age minus wife's age, discretised normal on integer gaps.

    Returns
    -------
    pandas.DataFrame
        Columns ``gap`` [years, husband's age − wife's age] over :data:`SPOUSE_GAP_RANGE`
        and ``probability`` [fraction, sums to 1].

    Notes
    -----
    ``P(gap = g) ∝ Φ((g + ½ − μ)/σ) − Φ((g − ½ − μ)/σ)`` with μ = :data:`SPOUSE_GAP_MEAN`,
    σ = :data:`SPOUSE_GAP_SD`, renormalised over the range.
    """
    lo, hi = SPOUSE_GAP_RANGE
    gaps = np.arange(lo, hi + 1)
    z_hi = (gaps + 0.5 - SPOUSE_GAP_MEAN) / (SPOUSE_GAP_SD * math.sqrt(2.0))
    z_lo = (gaps - 0.5 - SPOUSE_GAP_MEAN) / (SPOUSE_GAP_SD * math.sqrt(2.0))
    mass = 0.5 * (np.array([math.erf(z) for z in z_hi]) - np.array([math.erf(z) for z in z_lo]))
    prob = mass / mass.sum()
    return pd.DataFrame({"gap": gaps, "probability": prob})
