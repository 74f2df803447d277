"""The registry of output variables: dims, units, names, definitions and the engines that give them.

Every other layer reads the output variables from here: the engines' lists of what they count,
the Dataset attributes, the tidy CSV tables, the tests' variable lists and ``docs/variables.md``
(generated: ``python -m lossproj.variables docs/variables.md``). Adding an output touches this
registry, the kernel or engine code that counts it, and a test.

Dims are those of one scenario's Dataset (``scenario`` and ``replicate`` or ``quantile`` are
added by ensembles); ``age`` is the parent's age for parent counts, the mother's (or the
surviving father's) for family counts and the woman's for per-woman means.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Literal

from lossproj.conventions import ENGINES, GROUP_DIMS

#: Dims of counts by the parent's sex and age.
BY_SEX_AGE = ("year", "region", "sex", "age")
#: Dims of counts and means without a sex dim (families by the mother's age; women).
BY_AGE = ("year", "region", "age")

Kind = Literal["count", "mean"]
Origin = Literal["engine", "planner"]


@dataclass(frozen=True)
class Variable:
    """One output variable.

    name : str — the Dataset variable name (DESIGN.md §1, §4)
    dims : tuple of str — its dims in one scenario's Dataset
    units : str — unit of a value [e.g. persons, couples per year]
    long_name, definition : str — the Dataset attributes of the same names
    engines : tuple of str — the engines whose result has it (:data:`ENGINES`)
    kind : ``"count"`` (additive over regions and ages) or ``"mean"`` (per living woman or
        parent; population-weighted over regions)
    origin : ``"engine"`` (counted by the engines) or ``"planner"`` (derived from engine counts
        by a planner rule, :func:`lossproj.api.add_policy_variables`)
    """

    name: str
    dims: tuple[str, ...]
    units: str
    long_name: str
    definition: str
    engines: tuple[str, ...] = ENGINES
    kind: Kind = "count"
    origin: Origin = "engine"

    @property
    def group_dim(self) -> str | None:
        """The group dim (``child_age_at_death``, ``years_since_loss``) or None."""
        extra = [d for d in self.dims if d in GROUP_DIMS]
        return extra[0] if extra else None

    @property
    def attrs(self) -> dict[str, str]:
        """The Dataset attributes ``units``, ``long_name`` and ``definition``."""
        return {"units": self.units, "long_name": self.long_name, "definition": self.definition}


def _v(name, dims, units, long_name, definition, **kw) -> Variable:
    return Variable(name, tuple(dims), units, long_name, definition, **kw)


_MICRO = ("micro",)
_EXPECTED = ("expected",)

#: Every output variable, in the order engines and tables list them.
REGISTRY: tuple[Variable, ...] = (
    _v("population", BY_SEX_AGE, "persons", "population",
       "persons at the reference date (1 Nov) by sex and single age; 100 = 100+"),
    # parents by sex and age
    _v("one_child_parents", BY_SEX_AGE, "persons", "one-child parents",
       "living parents with exactly one child ever born (alive or dead)"),
    _v("shidu_parents_strict", BY_SEX_AGE, "persons", "shidu parents (strict)",
       "living parents with exactly one child ever born and no surviving child "
       "(独生子女死亡, policy definition)"),
    _v("shidu_parents_wide", BY_SEX_AGE, "persons", "shidu parents (wide)",
       "living parents with at least one child ever born and no surviving child "
       "(曾生子女现无子女)", engines=_MICRO),
    _v("parents_lost_any_child", BY_SEX_AGE, "persons", "parents who lost a child",
       "living parents at least one of whose children has died", engines=_MICRO),
    _v("new_shidu_parents", BY_SEX_AGE, "persons per year", "new shidu parents",
       "living parents who became strict shidu parents in the 12 months before the reference "
       "date"),
    _v("eligible_shidu_parents", BY_SEX_AGE, "persons", "eligible shidu parents",
       "strict shidu parents of a couple whose mother is aged at least the eligibility age "
       "(national special assistance: 49; fathers whose wife is, or would be, 49+), with no later "
       "birth"),
    # families and women, by the mother's age (no sex dim)
    _v("one_child_families", BY_AGE, "couples", "one-child families",
       "couples, counted once, whose only child ever born is alive and of whom at least one "
       "parent lives; by the mother's age, or the father's where only he lives"),
    _v("shidu_families", BY_AGE, "couples", "shidu families",
       "couples, counted once, whose only child has died and of whom at least one parent lives; "
       "by the mother's age, or the father's where only he lives"),
    _v("new_shidu_families", BY_AGE, "couples per year", "new shidu families",
       "couples, counted once, whose only child died in the 12 months before the reference date "
       "and of whom at least one parent lives at it; by the mother's age, or the father's where "
       "only he lives"),
    _v("new_shidu_families_child_5plus", BY_AGE, "couples per year",
       "new shidu families, child aged 5+ at death",
       "new shidu families whose only child was aged 5 or more at the start of the 12 months in "
       "which it died"),
    _v("new_shidu_families_child_10plus", BY_AGE, "couples per year",
       "new shidu families, child aged 10+ at death",
       "new shidu families whose only child was aged 10 or more at the start of the 12 months in "
       "which it died"),
    _v("only_children", BY_AGE, "persons", "only children",
       "living persons who are the only child ever born to their mother, whose mother lives; by "
       "the CHILD's own age (children whose mother has died are not counted; expected-value "
       "engine)", engines=_EXPECTED),
    _v("husband_population", BY_AGE, "persons", "simulated husbands",
       "living husbands of simulated women (men without a wife are not simulated)",
       engines=_MICRO),
    _v("births", BY_AGE, "births per year", "births",
       "live births in the step starting in the year", engines=_MICRO),
    _v("rebirths", BY_AGE, "births per year", "replacement births",
       "births to women whose only child had died (strict shidu mothers), in the step starting "
       "in the year, by the mother's age at its start"),
    # mothers by their age and a group of the loss
    _v("shidu_mothers_strict_by_child_age_at_death", (*BY_AGE, "child_age_at_death"), "persons",
       "strict shidu mothers by the only child's age at death",
       "living women with exactly one child ever born, dead, by her age and the child's age at "
       "the start of the 12 months in which it died"),
    _v("shidu_mothers_strict_by_years_since_loss", (*BY_AGE, "years_since_loss"), "persons",
       "strict shidu mothers by years since the loss",
       "living women with exactly one child ever born, dead, by her age and the whole years "
       "since the first reference date after the child's death"),
    _v("shidu_mothers_wide_by_child_age_at_death", (*BY_AGE, "child_age_at_death"), "persons",
       "wide shidu mothers by the last child's age at death",
       "living women with at least one child ever born and none surviving, by her age and the "
       "age at death of the child whose death left her with none (microsimulation)",
       engines=_MICRO),
    _v("shidu_mothers_wide_by_years_since_loss", (*BY_AGE, "years_since_loss"), "persons",
       "wide shidu mothers by years since the loss",
       "living women with at least one child ever born and none surviving, by her age and the "
       "whole years since the first reference date after she was left with none "
       "(microsimulation)", engines=_MICRO),
    # per living woman, by her age
    _v("mean_children_ever_born", BY_AGE, "children per woman", "mean children ever born",
       "live births per living woman of the age", kind="mean"),
    _v("mean_children_surviving", BY_AGE, "children per woman", "mean children surviving",
       "living children per living woman of the age (DemoKin count_living)", kind="mean"),
    _v("mean_children_dead", BY_AGE, "children per woman", "mean children dead",
       "children ever born who have died, per living woman (DemoKin count_cum_dead)", kind="mean"),
    _v("mean_age_at_loss", ("year", "region", "sex"), "years", "mean age of the parent at the loss",
       "mean age of parents who became strict shidu in the 12 months before the reference date",
       engines=_MICRO, kind="mean"),
    # planner indicators, from the engines' counts
    _v("care_dependent_shidu_parents", BY_SEX_AGE, "persons", "care-dependent shidu parents",
       "strict shidu parents unable to care for themselves (prevalence by age and sex applied, "
       "with the scenario's trend)", origin="planner"),
    _v("priority_care_shidu_parents", BY_SEX_AGE, "persons",
       "shidu parents with priority admission to public care homes",
       "strict shidu parents who are care-dependent or aged 70+ (Beijing rule; "
       "lossproj.planner.BEIJING_PRIORITY_CARE)", origin="planner"),
    _v("allowance_cost", BY_SEX_AGE, "RMB per year", "special-assistance allowance cost",
       "eligible shidu parents × 12 × the scenario's monthly amount per person", origin="planner"),
    _v("allowance_cost_local", BY_SEX_AGE, "RMB per year", "allowance cost under local rules",
       "eligible shidu parents × 12 × the monthly amount of the local rules (city or provincial "
       "schedule, e.g. the Guangzhou rule) in the regions they name; missing elsewhere",
       origin="planner"),
)

#: The registry by name.
VARIABLES: dict[str, Variable] = {v.name: v for v in REGISTRY}

#: Suffix of a variable's Monte Carlo standard error (microsimulation, one replicate).
SE_SUFFIX = "_se"


def variable(name: str) -> Variable:
    """The registered variable ``name`` (a ``*_se`` name gives its variable); ``KeyError`` naming
    the known ones."""
    base = name.removesuffix(SE_SUFFIX)
    if base not in VARIABLES:
        raise KeyError(f"unknown output variable {name!r}; known: {', '.join(VARIABLES)}")
    return VARIABLES[base]


def names(engine: str | None = None, *, dims: tuple[str, ...] | None = None,
          kind: Kind | None = None, origin: Origin | None = None) -> tuple[str, ...]:
    """Names of the registered variables, in registry order, that match every given filter.

    Examples
    --------
    >>> names("expected", dims=BY_AGE, kind="mean")
    ('mean_children_ever_born', 'mean_children_surviving', 'mean_children_dead')
    """
    if engine is not None and engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    return tuple(
        v.name for v in REGISTRY
        if (engine is None or engine in v.engines) and (dims is None or v.dims == tuple(dims))
        and (kind is None or v.kind == kind) and (origin is None or v.origin == origin)
    )


def grouped(engine: str | None = None) -> dict[str, str]:
    """Variables with a group dim, name → the group dim."""
    return {n: VARIABLES[n].group_dim for n in names(engine) if VARIABLES[n].group_dim}


def attrs(name: str) -> dict[str, str]:
    """The Dataset attributes of ``name`` (``units``, ``long_name``, ``definition``); for a
    ``*_se`` name those of a Monte Carlo standard error (its ``definition`` is set by the
    engine, which knows the method)."""
    var = variable(name)
    if name.endswith(SE_SUFFIX) and name not in VARIABLES:
        return {"units": var.units, "long_name": "Monte Carlo standard error of " + var.long_name}
    return var.attrs


def markdown() -> str:
    """The table of ``docs/variables.md``."""
    engines = {"expected": "expected", "micro": "micro"}
    lines = [
        "# Output variables",
        "",
        "<!-- generated from lossproj.variables: python -m lossproj.variables docs/variables.md -->",
        "",
        "Every variable of a projection Dataset, from the registry `lossproj.variables` "
        "(DESIGN.md §1, §4). Dims are those of one scenario: a run of several scenarios adds "
        "`scenario`, an ensemble `replicate` or `quantile`. `age` is the parent's age for "
        "parent counts, the mother's (or the surviving father's) for family counts and the "
        "woman's for per-woman means. Group dims: "
        + "; ".join(f"`{d}` ({', '.join(labels)})" for d, labels in GROUP_DIMS.items()) + ".",
        "",
        "| name | dims | unit | long name | definition | engines | from |",
        "|---|---|---|---|---|---|---|",
    ]
    for v in REGISTRY:
        lines.append(
            f"| `{v.name}` | {', '.join(v.dims)} | [{v.units}] | {v.long_name} | "
            f"{v.definition} | {', '.join(engines[e] for e in v.engines)} | {v.origin} |"
        )
    lines += [
        "",
        f"A microsimulation run with one replicate gives each variable a `<name>{SE_SUFFIX}` "
        "companion: its Monte Carlo standard error, in the variable's unit.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Write :func:`markdown` to the file named in ``argv`` (``docs/variables.md``)."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write("usage: python -m lossproj.variables docs/variables.md\n")
        return 2
    with open(argv[0], "w", encoding="utf-8") as f:
        f.write(markdown())
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through the docs test's command
    raise SystemExit(main())
