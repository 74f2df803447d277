"""Conventions shared by every layer: the grid, state and transition names, and named choices.

The lowest module of the package: it imports nothing from lossproj, so the configuration,
the rates, the engines and the outputs all read the same names and numbers.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Literal, get_args

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


class State(IntEnum):
    """Fertility and bereavement states of a woman (docs/model.md, "States").

    The index of a state in the engines' state arrays (``q[..., State.D1]``).
    """

    #: childless
    P0 = 0
    #: one child ever born, alive
    N1 = 1
    #: one child ever born, dead (strict shidu)
    D1 = 2
    #: two children ever born
    P2 = 3
    #: three or more children ever born
    P3 = 4


class Transition(IntEnum):
    """Parity transitions of the fertility intensity: rows of the relative levels ``rel``.

    Replacement after the loss of an only child is its own process (``replace_share``,
    ``wait_pmf``), not a transition of the intensity.
    """

    #: first birth of a childless woman (level 1 by definition)
    FIRST = 0
    #: second birth of a woman whose one child is alive (times ``dur1`` by the child's age)
    SECOND = 1
    #: third birth
    THIRD = 2
    #: fourth and later births
    FOURTH_PLUS = 3


#: Projection engines (DESIGN.md §2): the expected-value engine and the microsimulation.
Engine = Literal["expected", "micro"]
#: Rate bundles: China's provinces, or the Swedish example (one region).
Bundle = Literal["china", "sweden"]
#: WPP 2024 fertility variants.
FertilityVariant = Literal["medium", "low", "high"]
#: Options of ``mortality.by_birth_order`` (docs/configuration.md).
BirthOrderMortality = Literal["residence", "none"]
#: Provincial fertility rules: how census parity tables set each province relative to the nation.
ProvinceRule = Literal[
    "census_2020_ratio", "census_2020_ratio_ceb", "census_2020_relative_ceb", "census_2010_2020_relative_ceb"
]
#: Provincial mortality levels: census e0 differential on WPP's national level, or census levels.
ProvinceLevels = Literal["census_differential", "census_levels"]
#: Sexes a mortality shock applies to.
ShockSex = Literal["both", "female", "male"]
#: Allowance schedules.
AllowanceSchedule = Literal["national", "guangzhou", "none"]
#: Care-dependence prevalence: by province (data) or the national pattern everywhere.
CarePrevalence = Literal["data", "national"]

#: The allowed values of each choice, in order.
ENGINES: tuple[str, ...] = get_args(Engine)
BUNDLES: tuple[str, ...] = get_args(Bundle)
FERTILITY_VARIANTS: tuple[str, ...] = get_args(FertilityVariant)
BIRTH_ORDER_MORTALITY: tuple[str, ...] = get_args(BirthOrderMortality)
PROVINCE_RULES: tuple[str, ...] = get_args(ProvinceRule)
PROVINCE_LEVELS: tuple[str, ...] = get_args(ProvinceLevels)
SHOCK_SEXES: tuple[str, ...] = get_args(ShockSex)
ALLOWANCE_SCHEDULES: tuple[str, ...] = get_args(AllowanceSchedule)
CARE_PREVALENCES: tuple[str, ...] = get_args(CarePrevalence)


def group_labels(edges: tuple[int, ...]) -> tuple[str, ...]:
    """Labels of the groups split at ``edges`` [years].

    Examples
    --------
    >>> group_labels((5, 10, 20))
    ('0-4', '5-9', '10-19', '20+')
    """
    lows = (0, *edges)
    return tuple(f"{lo}-{hi - 1}" for lo, hi in zip(lows, edges, strict=False)) + (f"{edges[-1]}+",)


#: Group dims of the loss variables and their labels.
GROUP_DIMS: dict[str, tuple[str, ...]] = {
    "child_age_at_death": group_labels(LOSS_AGE_EDGES),
    "years_since_loss": group_labels(SINCE_LOSS_EDGES),
}
