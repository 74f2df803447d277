"""Scenario configurations: parse and validate scenario TOML files into frozen objects.

A scenario file names its base (``base = "baseline.toml"``, a path relative to the file) and
states only what differs from it; bases resolve recursively. Every problem found in a file and
its bases is collected and reported at once in one :class:`~lossproj.errors.ConfigError`, each
with its file, key path, the bad value and what is allowed. Numbers may be given plainly or as
``{ value = ..., unit = "...", source = "..." }`` tables; units are checked against the
documented unit of the key and kept, with the sources, in :attr:`ScenarioConfig.provenance`.

The keys, their units and their allowed values are documented in ``docs/configuration.md``.
This module parses configuration files only; the data tables are read by :mod:`lossproj.data`.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lossproj import paths
from lossproj.conventions import (  # the named choices, re-exported: config.ENGINES etc.
    ALLOWANCE_SCHEDULES,
    BIRTH_ORDER_MORTALITY,
    BUNDLES,
    CARE_PREVALENCES,
    ENGINES,
    FERT_MAX,
    FERT_MIN,
    FERTILITY_VARIANTS,
    PROVINCE_LEVELS,
    PROVINCE_RULES,
    SHOCK_SEXES,
    WAIT_MAX,
    AllowanceSchedule,
    Bundle,
    CarePrevalence,
    Engine,
    FertilityVariant,
    ProvinceLevels,
    ProvinceRule,
    ShockSex,
)
from lossproj.errors import ConfigError
from lossproj.regions import NATIONAL, PROVINCE_NAMES, closest_names, resolve_region

#: Region of the Swedish example bundle (single region; not a Chinese province).
SWEDEN = "Sweden"


@dataclass(frozen=True)
class YearLimits:
    """Years a rate bundle covers.

    Attributes
    ----------
    rates_first, rates_last : int
        Years of the rate grid, history included [year].
    output_first, output_last : int
        Years an output may cover [year].
    data_first : int
        First year of observed (not held-constant) rates [year].
    """

    rates_first: int
    rates_last: int
    output_first: int
    output_last: int
    data_first: int


#: Year coverage of each rate bundle. China: WPP 2024 rates 1950-2100, held at their 1950
#: values back to 1890 (docs/model.md, "Rate grid"); outputs from 1990. Sweden: HMD/HFD via
#: DemoKin, 1900-2018 (data/sweden_female.csv).
YEAR_LIMITS: dict[str, YearLimits] = {
    "china": YearLimits(rates_first=1890, rates_last=2100, output_first=1990, output_last=2100,
                        data_first=1950),
    "sweden": YearLimits(rates_first=1900, rates_last=2018, output_first=1900, output_last=2018,
                         data_first=1900),
}

#: Oldest single age of the model grid (100 = 100+) [years].
AGE_MAX = 100

#: Largest root seed: ``numpy.random.SeedSequence`` entropy of 64 bits.
SEED_MAX = 2**64 - 1
SEED_ALLOWED = f"a seed must be an integer in 0..{SEED_MAX} (2^64 - 1)"


# --------------------------------------------------------------------------------------------
# Frozen configuration objects
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScenarioMeta:
    """Name and description of a scenario (not inherited from the base file)."""

    name: str
    description: str = ""


@dataclass(frozen=True)
class RunConfig:
    """What to run.

    Attributes
    ----------
    regions : tuple of str
        Regions to project, in GB/T 2260 code order (``"all"`` in the file is expanded).
    first_year, last_year : int
        First and last output year [year].
    engine : {"expected", "micro"}
    scale : float
        Microsimulation sampling fraction, 0 < scale <= 1 [fraction].
    replicates : int
        Microsimulation replicates [count].
    seed : int
        Root seed of the run's ``numpy.random.SeedSequence``.
    block_size : int
        Women simulated per random-number block [women].
    """

    regions: tuple[str, ...]
    first_year: int
    last_year: int
    engine: Engine
    scale: float
    replicates: int
    seed: int
    block_size: int


@dataclass(frozen=True)
class RatesConfig:
    """Which rate bundle to use and whether to hold rates constant."""

    bundle: Bundle
    time_invariant_year: int | None = None


@dataclass(frozen=True)
class TfrPath:
    """A national TFR path replacing the variant's from its first year (linear interpolation).

    Attributes
    ----------
    years : tuple of int
        Strictly increasing years [year].
    tfr : tuple of float
        Total fertility at those years [children per woman].
    source : str
    """

    years: tuple[int, ...]
    tfr: tuple[float, ...]
    source: str = ""


@dataclass(frozen=True)
class FertilityConfig:
    """Fertility assumptions."""

    variant: FertilityVariant
    province_rule: ProvinceRule
    tfr_path: TfrPath | None = None


@dataclass(frozen=True)
class MortalityShock:
    """A multiplier on death rates in given years, ages and sex.

    Attributes
    ----------
    first_year, last_year : int
        Years affected, inclusive [year].
    age_min, age_max : int
        Ages affected, inclusive [years of age].
    sex : {"both", "female", "male"}
    multiplier : float
        Factor on ``mx`` [multiplier].
    source : str
    """

    first_year: int
    last_year: int
    age_min: int
    age_max: int
    sex: ShockSex
    multiplier: float
    source: str = ""


@dataclass(frozen=True)
class MortalityConfig:
    """Mortality assumptions.

    Attributes
    ----------
    province_levels : {"census_differential", "census_levels"}
    improvement : float
        Multiplier on the annual decline of log ``mx`` after 2023 [multiplier].
    shocks : tuple of MortalityShock
    child_mortality_multiplier : float
        Factor on ``mx`` of ages 0..49, for sensitivity [multiplier].
    shared_frailty_sd : float
        Standard deviation of a mother's log frailty, shared with her children
        (microsimulation only; 0 = off, the default) [log-hazard units].
    by_birth_order : {"residence", "none"}
        Relative mortality of first-born and later-born children at ages 0-4 from urban and
        rural child mortality and the residence of births by order (``"residence"``, china
        bundle only; docs/model.md), or the national rates for every child (``"none"``).
    """

    province_levels: ProvinceLevels
    improvement: float
    child_mortality_multiplier: float
    shocks: tuple[MortalityShock, ...] = ()
    shared_frailty_sd: float = 0.0
    by_birth_order: str = "none"


@dataclass(frozen=True)
class MigrationConfig:
    """Whether WPP net migration is added (national, by age and sex)."""

    include: bool


@dataclass(frozen=True)
class PolicyEra:
    """Relative parity-progression levels of one policy era (childless women = 1).

    Attributes
    ----------
    name : str
    first_year, last_year : int
        Years of the era, inclusive [year].
    second, third, fourth_plus : float
        Levels of the transitions one→two, two→three and three→more [relative level].
    source : str
    stop_after_first : float
        Share of first births in the era after which the mother has no next birth while the
        child lives (she may still replace it after its death) [share]; default 0.
    sterile : float
        Share of the women reaching age 15 in the era who never bear a child [share];
        default 0.
    never_replace : float
        Era term of replacement after loss: share of the fecund couples whose surviving
        children fall to zero in the era who never have another child (choice, union
        dissolution, sterilisation not reversed) [share]; default 0.

    ``second``, ``third``, ``fourth_plus``, ``stop_after_first`` and ``sterile`` may instead be
    ``"calibrated"``: the value fitted for this era in ``data/parity_calibration.csv``
    (``lossproj.scenarios.resolved_parity`` resolves them).
    """

    name: str
    first_year: int
    last_year: int
    second: float | str
    third: float | str
    fourth_plus: float | str
    source: str = ""
    stop_after_first: float | str = 0.0
    sterile: float | str = 0.0
    never_replace: float = 0.0


@dataclass(frozen=True)
class ReplacementConfig:
    """Replacement after loss: another birth to a woman whose surviving children fall to zero.

    Attributes
    ----------
    enabled : bool
        Whether such a woman may have another birth (false only as a diagnostic).
    infecund_ages : tuple of int
        Ages of the woman at the loss at which ``infecund_share`` is given (increasing),
        interpolated linearly between them [years of age].
    infecund_share : tuple of float
        Share of women of that age who can no longer bear a child (permanent sterility rising
        with age) [share].
    never_multiplier : float
        Scenario lever: multiplies the share who never bear again (capped at 1) [multiplier].
    wait_pmf : tuple of float
        Probability that the next birth of a woman who will have one falls in the step
        starting s = 0, 1, ... whole years after the first reference date after the loss;
        sums to 1 [probability].
    """

    enabled: bool
    infecund_ages: tuple[int, ...]
    infecund_share: tuple[float, ...]
    never_multiplier: float
    wait_pmf: tuple[float, ...]


@dataclass(frozen=True)
class ParityConfig:
    """Parity progression and birth intervals.

    Attributes
    ----------
    duration_second : tuple of float
        Factor on the second-birth hazard by the first child's age d = 0, 1, ... [multiplier].
    eras : tuple of PolicyEra
        Contiguous eras covering the bundle's rate grid, in time order.
    province_one_child_multiplier : "calibrated" or tuple of (region, multiplier)
        Provincial factors on the one-child era's second-birth level [multiplier].
    """

    duration_second: tuple[float, ...]
    eras: tuple[PolicyEra, ...]
    province_one_child_multiplier: str | tuple[tuple[str, float], ...] = "calibrated"

    def era_of(self, year: int) -> PolicyEra:
        """The era containing ``year``; ``ValueError`` if none does."""
        for era in self.eras:
            if era.first_year <= year <= era.last_year:
                return era
        raise ConfigError(f"year {year} lies in no policy era; eras: "
                         + ", ".join(f"{e.name} {e.first_year}-{e.last_year}" for e in self.eras))


@dataclass(frozen=True)
class SpouseAgeGap:
    """Distribution of the husband's age minus the wife's age.

    Attributes
    ----------
    gaps : tuple of int
        Age gaps [years].
    probabilities : tuple of float
        Probability of each gap; they sum to 1 [probability].
    source : str
    """

    gaps: tuple[int, ...]
    probabilities: tuple[float, ...]
    source: str = ""


@dataclass(frozen=True)
class FamilyConfig:
    """Couples and eligibility.

    Attributes
    ----------
    union_age : int
        Wife's age at union [years of age].
    eligibility_age : int
        Age from which a strict shidu parent is eligible for special assistance [years of age].
    spouse_age_gap : "data" or SpouseAgeGap
        ``"data"``: the packaged ``spouse_age_gap.csv``.
    """

    union_age: int
    eligibility_age: int
    spouse_age_gap: str | SpouseAgeGap = "data"


@dataclass(frozen=True)
class CareConfig:
    """Care dependence of shidu parents.

    Attributes
    ----------
    prevalence : {"data", "national"}
        ``"data"``: the packaged national age-sex pattern (``care_prevalence.csv``) scaled to
        each province's published 2020 census level (``care_prevalence_province.csv``);
        ``"national"``: the national pattern for every province.
    annual_trend : float
        Relative change of prevalence per year after 2020 [relative change per year].
    """

    prevalence: CarePrevalence
    annual_trend: float


@dataclass(frozen=True)
class GuangzhouRule:
    """Guangzhou's allowance rule: a monthly amount, and a supplement above given ages.

    Attributes
    ----------
    monthly, supplement : float
        [RMB per person per month].
    supplement_age_male, supplement_age_female : int
        [years of age].
    source : str
    regions : tuple of str
        Regions the rule prices (a city rule applied to the region the user names); empty:
        none.
    """

    monthly: float
    supplement: float
    supplement_age_male: int
    supplement_age_female: int
    source: str = ""
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class AllowanceConfig:
    """Which allowance schedule prices eligible shidu parents.

    Attributes
    ----------
    schedule : {"national", "guangzhou", "none"}
        Prices ``allowance_cost``; ``"guangzhou"`` applies the Guangzhou rule in
        ``guangzhou.regions`` and the national schedule elsewhere.
    guangzhou : GuangzhouRule or None
    local_table : str or None
        Absolute path of a user table of local allowance rules (``lossproj.planner``), which
        with the Guangzhou rule's regions prices ``allowance_cost_local``.
    """

    schedule: AllowanceSchedule
    guangzhou: GuangzhouRule | None = None
    local_table: str | None = None


@dataclass(frozen=True)
class OutputsConfig:
    """Which optional output files ``lossproj run`` writes."""

    excel: bool
    figures: bool


@dataclass(frozen=True)
class ScenarioConfig:
    """A fully resolved, validated scenario.

    Attributes
    ----------
    scenario, run, rates, fertility, mortality, migration, parity, replacement, family, care,
    allowance, outputs :
        The sections of the file (see ``docs/configuration.md``).
    path : str
        The file the scenario was read from ("" when built in code).
    bases : tuple of str
        The chain of base files, nearest first.
    provenance : tuple of (key path, unit, source)
        Units and sources given for numbers in the file and its bases.
    """

    scenario: ScenarioMeta
    run: RunConfig
    rates: RatesConfig
    fertility: FertilityConfig
    mortality: MortalityConfig
    migration: MigrationConfig
    parity: ParityConfig
    replacement: ReplacementConfig
    family: FamilyConfig
    care: CareConfig
    allowance: AllowanceConfig
    outputs: OutputsConfig
    path: str = ""
    bases: tuple[str, ...] = ()
    provenance: tuple[tuple[str, str, str], ...] = field(default=(), repr=False)

    @property
    def name(self) -> str:
        """The scenario's name (the ``scenario`` coordinate of results)."""
        return self.scenario.name

    def to_dict(self) -> dict[str, Any]:
        """The configuration as plain JSON-serialisable data (for ``run.json``)."""
        return _plain(self)

    def to_json(self) -> str:
        """The configuration as a JSON string."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        if isinstance(obj, ScenarioConfig):
            out["provenance"] = [
                {"key": k, "unit": u, "source": s} for k, u, s in obj.provenance
            ]
            multipliers = obj.parity.province_one_child_multiplier
            if not isinstance(multipliers, str):
                out["parity"]["province_one_child_multiplier"] = dict(multipliers)
        return out
    if isinstance(obj, tuple | list):
        return [_plain(x) for x in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


# --------------------------------------------------------------------------------------------
# Schema: known keys and units
# --------------------------------------------------------------------------------------------

#: Known keys of each section. ``True`` marks keys a root file (one without ``base``) must give.
_SECTIONS: dict[str, dict[str, bool]] = {
    "scenario": {"name": False, "description": False},
    "run": {k: True for k in ("regions", "first_year", "last_year", "engine", "scale",
                              "replicates", "seed", "block_size")},
    "rates": {"bundle": True, "time_invariant_year": False},
    "fertility": {"variant": True, "tfr_path": False, "province_rule": True},
    "mortality": {"province_levels": True, "improvement": True, "shocks": False,
                  "child_mortality_multiplier": True, "shared_frailty_sd": False,
                  "by_birth_order": False},
    "migration": {"include": True},
    "parity": {k: True for k in ("duration_second", "eras", "province_one_child_multiplier")},
    "replacement": {k: True for k in ("enabled", "infecund_ages", "infecund_share",
                                      "never_multiplier", "wait_pmf")},
    "family": {"union_age": True, "eligibility_age": True, "spouse_age_gap": True},
    "care": {"prevalence": True, "annual_trend": True},
    "allowance": {"schedule": True, "guangzhou": False, "local_table": False},
    "outputs": {"excel": True, "figures": True},
}
_TOP_KEYS = ("base", *_SECTIONS)
_QUANTITY_KEYS = ("value", "unit", "source")
_SHOCK_KEYS = ("first_year", "last_year", "age_min", "age_max", "sex", "multiplier", "source")
_ERA_KEYS = ("name", "first_year", "last_year", "second", "third", "fourth_plus",
             "never_replace", "source", "stop_after_first", "sterile")
#: Era keys that may be left out (the rest are required in every era).
_ERA_OPTIONAL = ("source", "stop_after_first", "sterile")
_TFR_KEYS = ("years", "tfr", "source")
_GAP_KEYS = ("gaps", "probabilities", "source")
_GUANGZHOU_KEYS = ("monthly", "supplement", "supplement_age_male", "supplement_age_female",
                   "source", "regions")

#: Documented unit of each numeric key (a ``{value, unit}`` table must use this unit).
UNITS: dict[str, str] = {
    "run.first_year": "year",
    "run.last_year": "year",
    "run.scale": "fraction",
    "run.replicates": "count",
    "run.seed": "integer",
    "run.block_size": "women",
    "rates.time_invariant_year": "year",
    "mortality.improvement": "multiplier",
    "mortality.child_mortality_multiplier": "multiplier",
    "mortality.shared_frailty_sd": "log-hazard sd",
    "parity.duration_second": "multiplier",
    "replacement.infecund_ages": "years of age",
    "replacement.infecund_share": "share",
    "replacement.never_multiplier": "multiplier",
    "replacement.wait_pmf": "probability",
    "family.union_age": "years of age",
    "family.eligibility_age": "years of age",
    "care.annual_trend": "relative change per year",
    "allowance.guangzhou.monthly": "RMB per person per month",
    "allowance.guangzhou.supplement": "RMB per person per month",
    "allowance.guangzhou.supplement_age_male": "years of age",
    "allowance.guangzhou.supplement_age_female": "years of age",
}
_ERA_UNIT = "relative level"

#: Tables whose keys are merged with the base's (all other values replace the base's value).
_MERGED_TABLES = {"", *_SECTIONS, "allowance.guangzhou"}
#: Keys taken from the file itself, never inherited from a base.
_NOT_INHERITED = ("scenario.name", "scenario.description")


# --------------------------------------------------------------------------------------------
# Problem collection
# --------------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _Problems:
    """Collects every problem found, with the file each key came from."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.origins: dict[str, Path] = {}
        self.provenance: dict[str, tuple[str, str]] = {}
        self.default_file: Path | None = None
        #: A file could not be read or its bases not resolved: the merged table is incomplete,
        #: so keys it lacks are not reported as missing (they would be false alarms).
        self.incomplete = False

    def fatal(self, message: str) -> None:
        """Record a problem that leaves the merged table incomplete (unreadable file, bad base)."""
        self.items.append(message)
        self.incomplete = True

    def origin(self, path: str) -> Path | None:
        best, best_len = None, -1
        for key, file in self.origins.items():
            if (path == key or path.startswith(key + ".") or path.startswith(key + "[")) and len(
                key
            ) > best_len:
                best, best_len = file, len(key)
        return best if best is not None else self.default_file

    def add(self, path: str, value: Any, allowed: str, *, file: Path | None = None) -> None:
        where = file if file is not None else self.origin(path)
        prefix = f"{where}: " if where is not None else ""
        shown = f" = {_show(value)}" if value is not _MISSING else " is missing"
        self.items.append(f"{prefix}{path}{shown}: {allowed}")

    def message(self, what: str) -> str:
        n = len(self.items)
        head = f"{n} problem{'s' if n != 1 else ''} in {what}:"
        return "\n".join([head, *(f"  - {item}" for item in self.items)])


_MISSING = object()


# --------------------------------------------------------------------------------------------
# Reading and inheritance
# --------------------------------------------------------------------------------------------


#: Byte-order marks and the encodings they announce (TOML files must be UTF-8 without one).
_BOMS = ((b"\xef\xbb\xbf", "UTF-8"), (b"\xff\xfe", "UTF-16 (little-endian)"),
         (b"\xfe\xff", "UTF-16 (big-endian)"))


def _read_toml(path: Path, problems: _Problems) -> dict | None:
    """The TOML table of ``path``; ``None`` (and one problem naming the file) if unreadable."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.fatal(f"{path}: cannot be read: {exc.strerror or exc}")
        return None
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            problems.fatal(f"{path}: starts with a {encoding} byte-order mark (BOM); scenario "
                           "files must be UTF-8 without a BOM (in most editors: save with "
                           "encoding 'UTF-8', not 'UTF-8 with BOM' or 'Unicode')")
            return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.fatal(f"{path}: line {line}: byte 0x{raw[exc.start]:02x} is not UTF-8 text; "
                       "scenario files must be saved as UTF-8 (is it Latin-1, GBK or UTF-16?)")
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.fatal(f"{path}: not valid TOML: {exc}")
    return None


def _suggest(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key{hint} Known keys: {', '.join(known)}"


#: Keys of earlier versions and what replaced them (replacement after loss is its own process).
_RETIRED = {
    "parity.replacement": "replacement.enabled",
    "parity.rebirth_multiplier": "replacement.never_multiplier (it scales the share who never "
                                 "bear again)",
    "parity.rebirth_time": "replacement.wait_pmf (probabilities of the wait, summing to 1)",
    "parity.eras.rebirth": "parity.eras[].never_replace (share of fecund couples who never have "
                           "another child)",
}


def _unindexed(path: str) -> str:
    """``parity.eras[2]`` -> ``parity.eras``."""
    return re.sub(r"\[\d+\]", "", path)


def _check_keys(table: dict, known, prefix: str, problems: _Problems, file: Path) -> None:
    for key in table:
        if key not in known:
            path = f"{prefix}.{key}" if prefix else key
            retired = _RETIRED.get(_unindexed(prefix) + "." + key)
            why = (f"no longer a key: replacement after loss is its own process; use {retired} "
                   "(docs/configuration.md)") if retired else _suggest(key, known)
            problems.add(path, table[key], why, file=file)


def _check_unknown_keys(raw: dict, problems: _Problems, file: Path) -> None:
    """Report keys of one file that the schema does not know."""
    _check_keys(raw, _TOP_KEYS, "", problems, file)
    for section, known in _SECTIONS.items():
        table = raw.get(section)
        if table is None:
            continue
        if not isinstance(table, dict):
            problems.add(section, table, "must be a table ([section])", file=file)
            continue
        _check_keys(table, known, section, problems, file)
        for key, value in table.items():
            if isinstance(value, dict) and set(value) & {"value"} and set(value) <= set(
                _QUANTITY_KEYS
            ):
                continue
            nested = {
                ("allowance", "guangzhou"): _GUANGZHOU_KEYS,
                ("fertility", "tfr_path"): _TFR_KEYS,
                ("family", "spouse_age_gap"): _GAP_KEYS,
            }.get((section, key))
            if nested is not None and isinstance(value, dict):
                _check_keys(value, nested, f"{section}.{key}", problems, file)
        for key, known_items in (("shocks", _SHOCK_KEYS), ("eras", _ERA_KEYS)):
            items = table.get(key)
            if isinstance(items, list):
                for i, item in enumerate(items):
                    if isinstance(item, dict):
                        _check_keys(item, known_items, f"{section}.{key}[{i}]", problems, file)


def _is_quantity(value: Any) -> bool:
    return isinstance(value, dict) and "value" in value and set(value) <= set(_QUANTITY_KEYS)


def _close_to(key: str, name: str) -> bool:
    return bool(difflib.get_close_matches(key, [name], n=1, cutoff=0.6))


def _looks_like_quantity(table: dict) -> bool:
    """A table meant as ``{value, unit, source}``: one of those keys or a near miss of one."""
    return any(k in _QUANTITY_KEYS or any(_close_to(k, q) for q in _QUANTITY_KEYS)
               for k in table)


def _merge(base: dict, over: dict, problems: _Problems, file: Path, prefix: str = "") -> dict:
    out = dict(base)
    for key, value in over.items():
        path = f"{prefix}.{key}" if prefix else key
        if (
            path in _MERGED_TABLES
            and isinstance(value, dict)
            and isinstance(out.get(key), dict)
            and not _is_quantity(value)
        ):
            out[key] = _merge(out[key], value, problems, file, path)
        else:
            out[key] = value
            for stale in [k for k in problems.origins if k.startswith(path + ".")]:
                del problems.origins[stale]
            problems.origins[path] = file
    return out


#: Prefix of a ``base`` naming a packaged scenario (``base = "lossproj:baseline"``).
PACKAGED_PREFIX = "lossproj:"


def _base_path(path: Path, base_value: str, problems: _Problems) -> Path | None:
    """The file a ``base`` value names: relative to ``path``, or a packaged scenario."""
    if not base_value.startswith(PACKAGED_PREFIX):
        return (path.parent / base_value).resolve()
    name = base_value.removeprefix(PACKAGED_PREFIX)
    try:
        return packaged_config(name).resolve()
    except ConfigError as exc:
        problems.add("base", base_value, str(exc), file=path)
        problems.incomplete = True
        return None


def _resolve(path: Path, stack: tuple[Path, ...], problems: _Problems) -> tuple[dict, list[Path]]:
    """Merged raw table of ``path`` and its bases, and the chain of base files."""
    raw = _read_toml(path, problems)
    if raw is None:
        return {}, []
    _check_unknown_keys(raw, problems, path)
    base_value = raw.pop("base", None)
    merged: dict = {}
    chain: list[Path] = []
    if base_value is not None:
        if not isinstance(base_value, str):
            problems.add("base", base_value, "must be a file name (string), relative to this file",
                         file=path)
            problems.incomplete = True
        else:
            base_path = _base_path(path, base_value, problems)
            if base_path is None:
                pass
            elif base_path in stack or base_path == path:
                cycle = " -> ".join(str(p) for p in (*stack, path, base_path))
                problems.add("base", base_value, f"bases form a cycle: {cycle}", file=path)
                problems.incomplete = True
            elif not base_path.is_file():
                known = sorted(p.name for p in base_path.parent.glob("*.toml")
                               if p.resolve() != path) if base_path.parent.is_dir() else []
                close = difflib.get_close_matches(base_path.name, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.add("base", base_value, f"base file {base_path} does not exist{hint}; "
                             'a packaged scenario is named as "lossproj:NAME" (known: '
                             f"{', '.join(packaged_config_names())})", file=path)
                problems.incomplete = True
            else:
                merged, chain = _resolve(base_path, (*stack, path), problems)
                chain = [base_path, *chain]
    for key in _NOT_INHERITED:
        section, name = key.split(".")
        if isinstance(merged.get(section), dict):
            merged[section] = {k: v for k, v in merged[section].items() if k != name}
            problems.origins.pop(key, None)
    merged = _merge(merged, raw, problems, path)
    return merged, chain


# --------------------------------------------------------------------------------------------
# Value checks
# --------------------------------------------------------------------------------------------


class _Reader:
    """Reads typed values from the merged table, recording problems and provenance."""

    def __init__(self, table: dict, problems: _Problems, root: Path | None) -> None:
        self.table = table
        self.problems = problems
        self.root = root

    def get(self, section: str, key: str, default: Any = _MISSING) -> Any:
        sec = self.table.get(section)
        if sec is not None and not isinstance(sec, dict):
            return _MISSING if default is _MISSING else default  # reported: not a table
        if not isinstance(sec, dict) or key not in sec:
            if default is _MISSING and _SECTIONS[section].get(key, False):
                self.problems.add(
                    f"{section}.{key}", _MISSING,
                    "required; the root scenario file (one without `base`) must give every key",
                    file=self.root,
                )
            return _MISSING if default is _MISSING else default
        return sec[key]

    def unwrap(self, raw: Any, path: str, unit: str | None) -> Any:
        """Value of a plain number or a ``{value, unit, source}`` table."""
        if not _is_quantity(raw):
            if isinstance(raw, dict) and _looks_like_quantity(raw):
                unknown = [k for k in raw if k not in _QUANTITY_KEYS]
                for key in unknown:
                    self.problems.add(f"{path}.{key}", raw[key], _suggest(key, _QUANTITY_KEYS)
                                      .replace("unknown key", "unknown key in a {value, unit, "
                                               "source} table"))
                if "value" not in raw and not any(_close_to(k, "value") for k in unknown):
                    self.problems.add(path, raw, "a quantity table needs `value` (and may have "
                                      "`unit`, `source`)")
                return _MISSING
            return raw
        given_unit = raw.get("unit", "")
        source = raw.get("source", "")
        if not isinstance(given_unit, str) or not isinstance(source, str):
            self.problems.add(path, raw, "`unit` and `source` must be strings")
        elif unit is not None and given_unit and given_unit != unit:
            self.problems.add(f"{path}.unit", given_unit, f"the unit of {path} is {unit!r}")
        self.problems.provenance[path] = (given_unit or (unit or ""), source)
        return raw["value"]

    def number(self, raw: Any, path: str, *, integer: bool = False, lo: float | None = None,
               hi: float | None = None, lo_open: bool = False, hi_open: bool = False,
               unit: str | None = None, allowed: str | None = None) -> Any:
        if raw is _MISSING:
            return _MISSING
        value = self.unwrap(raw, path, unit if unit is not None else UNITS.get(path))
        if value is _MISSING:
            return _MISSING
        kind = "an integer" if integer else "a number"
        ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            self.problems.add(path, value, f"must be {kind}" + (f" ({allowed})" if allowed else ""))
            return _MISSING
        bad = (
            (lo is not None and (value <= lo if lo_open else value < lo))
            or (hi is not None and (value >= hi if hi_open else value > hi))
        )
        if bad:
            left = "" if lo is None else f"{lo} {'<' if lo_open else '<='} "
            right = "" if hi is None else f" {'<' if hi_open else '<='} {hi}"
            self.problems.add(path, value, allowed or f"must satisfy {left}{path.split('.')[-1]}"
                              f"{right}")
            return _MISSING
        return float(value) if not integer else int(value)

    def choice(self, raw: Any, path: str, choices: tuple[str, ...]) -> Any:
        if raw is _MISSING:
            return _MISSING
        if raw not in choices or not isinstance(raw, str):
            close = difflib.get_close_matches(str(raw), choices, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            self.problems.add(path, raw, f"{hint}allowed: {', '.join(repr(c) for c in choices)}")
            return _MISSING
        return raw

    def boolean(self, raw: Any, path: str) -> Any:
        if raw is _MISSING:
            return _MISSING
        if not isinstance(raw, bool):
            self.problems.add(path, raw, "must be true or false")
            return _MISSING
        return raw

    def string(self, raw: Any, path: str, *, nonempty: bool = False) -> Any:
        if raw is _MISSING:
            return _MISSING
        if not isinstance(raw, str) or (nonempty and not raw.strip()):
            self.problems.add(path, raw, "must be a non-empty string" if nonempty
                              else "must be a string")
            return _MISSING
        return raw

    def number_list(self, raw: Any, path: str, *, integer: bool = False, lo: float | None = None,
                    hi: float | None = None, lo_open: bool = False, unit: str | None = None,
                    nonempty: bool = True) -> Any:
        if raw is _MISSING:
            return _MISSING
        value = self.unwrap(raw, path, unit if unit is not None else UNITS.get(path))
        if value is _MISSING:
            return _MISSING
        if not isinstance(value, list) or (nonempty and not value):
            self.problems.add(path, value, "must be a non-empty list of numbers"
                              if nonempty else "must be a list of numbers")
            return _MISSING
        out = [self.number(v, f"{path}[{i}]", integer=integer, lo=lo, hi=hi, lo_open=lo_open)
               for i, v in enumerate(value)]
        return _MISSING if any(v is _MISSING for v in out) else tuple(out)


def _all_present(*values: Any) -> bool:
    return all(v is not _MISSING for v in values)


def _parse(table: dict, problems: _Problems, root: Path | None, path: Path | None,
           chain: list[Path], default_name: str) -> ScenarioConfig | None:
    r = _Reader(table, problems, root)

    # [scenario]
    name = r.string(r.get("scenario", "name", default_name), "scenario.name", nonempty=True)
    description = r.string(r.get("scenario", "description", ""), "scenario.description")

    # [rates] first: the bundle decides the year limits and the regions allowed.
    bundle = r.choice(r.get("rates", "bundle"), "rates.bundle", BUNDLES)
    limits = YEAR_LIMITS[bundle if bundle is not _MISSING else "china"]
    bundle_text = f"the {bundle if bundle is not _MISSING else 'china'} rate bundle"
    tiy_raw = r.get("rates", "time_invariant_year", None)
    tiy = None
    if tiy_raw is not None:
        tiy = r.number(tiy_raw, "rates.time_invariant_year", integer=True, lo=limits.data_first,
                       hi=limits.rates_last,
                       allowed=f"must be a year with data, {limits.data_first}..{limits.rates_last}"
                       f" for {bundle_text}")

    # [run]
    regions = _parse_regions(r, bundle)
    out_range = f"{limits.output_first}..{limits.output_last} for {bundle_text}"
    first = r.number(r.get("run", "first_year"), "run.first_year", integer=True,
                     lo=limits.output_first, hi=limits.output_last,
                     allowed=f"output years must lie in {out_range}")
    last = r.number(r.get("run", "last_year"), "run.last_year", integer=True,
                    lo=limits.output_first, hi=limits.output_last,
                    allowed=f"output years must lie in {out_range}")
    if _all_present(first, last) and first > last:
        problems.add("run.first_year", first, f"must not be after run.last_year = {last}")
    engine = r.choice(r.get("run", "engine"), "run.engine", ENGINES)
    scale = r.number(r.get("run", "scale"), "run.scale", lo=0, hi=1, lo_open=True,
                     allowed="the sampling fraction must satisfy 0 < scale <= 1")
    replicates = r.number(r.get("run", "replicates"), "run.replicates", integer=True, lo=1,
                          allowed="must be an integer >= 1")
    seed = r.number(r.get("run", "seed"), "run.seed", integer=True, lo=0, hi=SEED_MAX,
                    allowed=SEED_ALLOWED)
    block_size = r.number(r.get("run", "block_size"), "run.block_size", integer=True, lo=1,
                          allowed="must be an integer >= 1")

    # [fertility]
    variant = r.choice(r.get("fertility", "variant"), "fertility.variant", FERTILITY_VARIANTS)
    rule = r.choice(r.get("fertility", "province_rule"), "fertility.province_rule",
                    PROVINCE_RULES)
    tfr_path = _parse_tfr_path(r, r.get("fertility", "tfr_path", None), limits, bundle_text)

    # [mortality]
    levels = r.choice(r.get("mortality", "province_levels"), "mortality.province_levels",
                      PROVINCE_LEVELS)
    improvement = r.number(r.get("mortality", "improvement"), "mortality.improvement", lo=0,
                           allowed="must be >= 0 (1 = WPP medium; 0.5 slow; 1.5 fast)")
    child_mult = r.number(r.get("mortality", "child_mortality_multiplier"),
                          "mortality.child_mortality_multiplier", lo=0, lo_open=True,
                          allowed="must be > 0")
    shocks = _parse_shocks(r, r.get("mortality", "shocks", []), limits, bundle_text)
    by_order = r.choice(r.get("mortality", "by_birth_order", "none"), "mortality.by_birth_order",
                        BIRTH_ORDER_MORTALITY)
    if by_order == "residence" and bundle not in (_MISSING, "china"):
        r.problems.add("mortality.by_birth_order", by_order,
                       f"'residence' needs the china rate bundle (its tables are China's); use "
                       f"'none' with the {bundle} bundle")
        by_order = _MISSING
    frailty_sd = r.number(r.get("mortality", "shared_frailty_sd", 0.0), "mortality.shared_frailty_sd",
                          lo=0, hi=3, allowed="must be in 0..3 (0 = no shared frailty)")

    # [migration]
    include = r.boolean(r.get("migration", "include"), "migration.include")

    # [parity]
    duration = r.number_list(r.get("parity", "duration_second"), "parity.duration_second", lo=0)
    replacement = _parse_replacement(r)
    eras = _parse_eras(r, r.get("parity", "eras"), limits, bundle_text)
    multipliers = _parse_province_multipliers(r, r.get("parity", "province_one_child_multiplier"))

    # [family]
    union_age = r.number(r.get("family", "union_age"), "family.union_age", integer=True, lo=10,
                         hi=49, allowed="must be an age in 10..49")
    eligibility_age = r.number(r.get("family", "eligibility_age"), "family.eligibility_age",
                               integer=True, lo=0, hi=AGE_MAX,
                               allowed=f"must be an age in 0..{AGE_MAX}")
    gap = _parse_spouse_gap(r, r.get("family", "spouse_age_gap"))

    # [care]
    prevalence = r.choice(r.get("care", "prevalence"), "care.prevalence", CARE_PREVALENCES)
    trend = r.number(r.get("care", "annual_trend"), "care.annual_trend", lo=-1, hi=1,
                     lo_open=True, hi_open=True,
                     allowed="a relative change per year must satisfy -1 < annual_trend < 1 "
                     "(e.g. -0.01 for -1 % a year)")

    # [allowance]
    schedule = r.choice(r.get("allowance", "schedule"), "allowance.schedule",
                        ALLOWANCE_SCHEDULES)
    guangzhou = _parse_guangzhou(r, r.get("allowance", "guangzhou", None), schedule)
    local_table = _parse_local_table(r, r.get("allowance", "local_table", None))

    # [outputs]
    excel = r.boolean(r.get("outputs", "excel"), "outputs.excel")
    figures = r.boolean(r.get("outputs", "figures"), "outputs.figures")

    values = (name, description, bundle, tiy, regions, first, last, engine, scale, replicates,
              seed, block_size, variant, rule, tfr_path, levels, improvement, child_mult, shocks,
              include, replacement, duration, eras, multipliers,
              union_age, eligibility_age, gap, prevalence, trend, schedule, guangzhou, excel,
              figures, by_order, local_table)
    if problems.items or not _all_present(*values):
        return None
    provenance = tuple(sorted((k, u, s) for k, (u, s) in problems.provenance.items()))
    return ScenarioConfig(
        scenario=ScenarioMeta(name=name, description=description),
        run=RunConfig(regions=regions, first_year=first, last_year=last, engine=engine,
                      scale=scale, replicates=replicates, seed=seed, block_size=block_size),
        rates=RatesConfig(bundle=bundle, time_invariant_year=tiy),
        fertility=FertilityConfig(variant=variant, province_rule=rule, tfr_path=tfr_path),
        mortality=MortalityConfig(province_levels=levels, improvement=improvement,
                                  child_mortality_multiplier=child_mult, shocks=shocks,
                                  shared_frailty_sd=frailty_sd, by_birth_order=by_order),
        migration=MigrationConfig(include=include),
        parity=ParityConfig(duration_second=duration, eras=eras,
                            province_one_child_multiplier=multipliers),
        replacement=replacement,
        family=FamilyConfig(union_age=union_age, eligibility_age=eligibility_age,
                            spouse_age_gap=gap),
        care=CareConfig(prevalence=prevalence, annual_trend=trend),
        allowance=AllowanceConfig(schedule=schedule, guangzhou=guangzhou,
                                  local_table=local_table),
        outputs=OutputsConfig(excel=excel, figures=figures),
        path=str(path) if path is not None else "",
        bases=tuple(str(p) for p in chain),
        provenance=provenance,
    )


def _region_problem(r: _Reader, path: str, name: Any, bundle: Any) -> None:
    if bundle == "sweden":
        r.problems.add(path, name, f"the sweden bundle has the single region {SWEDEN!r}")
        return
    if name == SWEDEN:
        r.problems.add(path, name, 'region "Sweden" needs rates.bundle = "sweden"')
        return
    if name == NATIONAL:
        r.problems.add(path, name, f"{NATIONAL!r} is always output as the sum of the provinces "
                       'run; list provinces or use regions = "all"')
        return
    hint = closest_names(str(name), PROVINCE_NAMES)
    close = f"did you mean {', '.join(repr(h) for h in hint)}? " if hint else ""
    r.problems.add(path, name, f"unknown region; {close}Known regions: "
                   f"{', '.join(PROVINCE_NAMES)}")


def _parse_regions(r: _Reader, bundle: Any) -> Any:
    raw = r.get("run", "regions")
    if raw is _MISSING:
        return _MISSING
    known = (SWEDEN,) if bundle == "sweden" else PROVINCE_NAMES
    if raw == "all":
        return known
    if not isinstance(raw, list) or not raw:
        r.problems.add("run.regions", raw, 'must be "all" or a non-empty list of region names')
        return _MISSING
    ok = True
    names = []
    for i, name in enumerate(raw):
        found = _region_alias(name, known)
        if found is None:
            _region_problem(r, f"run.regions[{i}]", name, bundle)
            ok = False
        names.append(found)
    dupes = sorted({n for n in names if n is not None and names.count(n) > 1})
    if dupes:
        r.problems.add("run.regions", raw, f"lists {', '.join(dupes)} more than once")
        ok = False
    if not ok:
        return _MISSING
    return tuple(n for n in known if n in names)


def _region_alias(name: Any, known: tuple[str, ...]) -> str | None:
    """The name in ``known`` that ``name`` spells (English in any case, Chinese, GB/T code)."""
    if isinstance(name, bool) or not isinstance(name, str | int):
        return None
    found = resolve_region(name)
    if found is None and str(name).lower() == SWEDEN.lower():
        found = SWEDEN
    return found if found in known else None


def _parse_tfr_path(r: _Reader, raw: Any, limits: YearLimits, bundle_text: str) -> Any:
    if raw is None:
        return None
    path = "fertility.tfr_path"
    raw = _maybe_file(r, raw, path, _TFR_KEYS)
    if raw is _MISSING:
        return _MISSING
    if not isinstance(raw, dict) or "years" not in raw or "tfr" not in raw:
        r.problems.add(path, raw, "must be a table { years = [...], tfr = [...] } or the name of a "
                       "TOML file holding `years` and `tfr`")
        return _MISSING
    years = r.number_list(raw["years"], f"{path}.years", integer=True, lo=limits.data_first,
                          hi=limits.rates_last, unit="year")
    tfr = r.number_list(raw["tfr"], f"{path}.tfr", lo=0, unit="children per woman")
    source = r.string(raw.get("source", ""), f"{path}.source")
    if not _all_present(years, tfr, source):
        return _MISSING
    if len(years) != len(tfr):
        r.problems.add(path, raw, f"`years` has {len(years)} values and `tfr` {len(tfr)}; "
                       "they must have the same length")
        return _MISSING
    if any(b <= a for a, b in zip(years, years[1:], strict=False)):
        r.problems.add(f"{path}.years", list(years), "years must be strictly increasing")
        return _MISSING
    return TfrPath(years=years, tfr=tfr, source=source)


def _referenced_file(r: _Reader, raw: str, path: str) -> Path | None:
    """The file a key names, relative to the config file that set the key; None (a problem
    recorded) if it does not exist."""
    origin = r.problems.origin(path)
    file = (origin.parent / raw) if origin is not None else Path(raw)
    if not file.is_file():
        r.problems.add(path, raw, f"file {file.resolve()} does not exist")
        return None
    return file


def _maybe_file(r: _Reader, raw: Any, path: str, keys: tuple[str, ...]) -> Any:
    """A table given inline, or the name of a TOML file (relative to the config) holding it."""
    if not isinstance(raw, str) or raw == "data":
        return raw
    file = _referenced_file(r, raw, path)
    if file is None:
        return _MISSING
    table = _read_toml(file, r.problems)
    if table is None:
        return _MISSING
    _check_keys(table, keys, path, r.problems, file)
    return table


def _parse_shocks(r: _Reader, raw: Any, limits: YearLimits, bundle_text: str) -> Any:
    if not isinstance(raw, list):
        r.problems.add("mortality.shocks", raw, "must be an array of tables "
                       "[[mortality.shocks]] or []")
        return _MISSING
    shocks = []
    for i, item in enumerate(raw):
        p = f"mortality.shocks[{i}]"
        if not isinstance(item, dict):
            r.problems.add(p, item, "must be a table {first_year, last_year, age_min, age_max, "
                           "sex, multiplier}")
            shocks.append(_MISSING)
            continue
        years = f"a year in {limits.rates_first}..{limits.rates_last} for {bundle_text}"
        fy = r.number(item.get("first_year", _MISSING), f"{p}.first_year", integer=True,
                      lo=limits.rates_first, hi=limits.rates_last, unit="year", allowed=years)
        ly = r.number(item.get("last_year", _MISSING), f"{p}.last_year", integer=True,
                      lo=limits.rates_first, hi=limits.rates_last, unit="year", allowed=years)
        amin = r.number(item.get("age_min", _MISSING), f"{p}.age_min", integer=True, lo=0,
                        hi=AGE_MAX, unit="years of age")
        amax = r.number(item.get("age_max", _MISSING), f"{p}.age_max", integer=True, lo=0,
                        hi=AGE_MAX, unit="years of age")
        sex = r.choice(item.get("sex", "both"), f"{p}.sex", SHOCK_SEXES)
        mult = r.number(item.get("multiplier", _MISSING), f"{p}.multiplier", lo=0, lo_open=True,
                        unit="multiplier", allowed="must be > 0")
        source = r.string(item.get("source", ""), f"{p}.source")
        for key in ("first_year", "last_year", "age_min", "age_max", "multiplier"):
            if key not in item:
                r.problems.add(f"{p}.{key}", _MISSING, "required in every shock")
        if _all_present(fy, ly) and fy > ly:
            r.problems.add(f"{p}.first_year", fy, f"must not be after last_year = {ly}")
        if _all_present(amin, amax) and amin > amax:
            r.problems.add(f"{p}.age_min", amin, f"must not be above age_max = {amax}")
        if _all_present(fy, ly, amin, amax, sex, mult, source):
            shocks.append(MortalityShock(first_year=fy, last_year=ly, age_min=amin,
                                         age_max=amax, sex=sex, multiplier=mult, source=source))
        else:
            shocks.append(_MISSING)
    return _MISSING if any(s is _MISSING for s in shocks) else tuple(shocks)


def _parse_eras(r: _Reader, raw: Any, limits: YearLimits, bundle_text: str) -> Any:
    if raw is _MISSING:
        return _MISSING
    if not isinstance(raw, list) or not raw:
        r.problems.add("parity.eras", raw, "must be a non-empty array of tables [[parity.eras]]")
        return _MISSING
    eras = []
    for i, item in enumerate(raw):
        p = f"parity.eras[{i}]"
        if not isinstance(item, dict):
            r.problems.add(p, item, "must be a table {name, first_year, last_year, second, "
                           "third, fourth_plus, never_replace}")
            eras.append(_MISSING)
            continue
        for key in _ERA_KEYS:
            if key not in item and key not in _ERA_OPTIONAL:
                r.problems.add(f"{p}.{key}", _MISSING, "required in every era")
        name = r.string(item.get("name", _MISSING), f"{p}.name", nonempty=True)
        fy = r.number(item.get("first_year", _MISSING), f"{p}.first_year", integer=True,
                      unit="year")
        ly = r.number(item.get("last_year", _MISSING), f"{p}.last_year", integer=True,
                      unit="year")
        levels = [_era_value(r, item.get(k, _MISSING), f"{p}.{k}", calibrated=True,
                             lo=0, unit=_ERA_UNIT,
                             allowed="a relative level must be >= 0 (childless women = 1)")
                  for k in ("second", "third", "fourth_plus")]
        source = r.string(item.get("source", ""), f"{p}.source")
        shares = [_era_value(r, item.get(k, 0.0), f"{p}.{k}", calibrated=k != "never_replace",
                             lo=0, hi=1, unit="share", allowed="a share must be in 0..1")
                  for k in ("stop_after_first", "sterile", "never_replace")]
        if _all_present(fy, ly) and fy > ly:
            r.problems.add(f"{p}.first_year", fy, f"must not be after last_year = {ly}")
        if _all_present(name, fy, ly, source, *levels, *shares):
            eras.append(PolicyEra(name, fy, ly, *levels, source=source, stop_after_first=shares[0],
                                  sterile=shares[1], never_replace=shares[2]))
        else:
            eras.append(_MISSING)
    if any(e is _MISSING for e in eras):
        return _MISSING
    names = [e.name for e in eras]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        r.problems.add("parity.eras", names, f"era names must be unique; repeated: "
                       f"{', '.join(dupes)}")
    ordered = sorted(eras, key=lambda e: e.first_year)
    gaps = []
    if ordered[0].first_year > limits.rates_first:
        gaps.append(f"the first era starts in {ordered[0].first_year}, after "
                    f"{limits.rates_first}")
    if ordered[-1].last_year < limits.rates_last:
        gaps.append(f"the last era ends in {ordered[-1].last_year}, before {limits.rates_last}")
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.first_year != a.last_year + 1:
            kind = "overlap" if b.first_year <= a.last_year else "leave a gap"
            gaps.append(f"eras {a.name!r} ({a.first_year}-{a.last_year}) and {b.name!r} "
                        f"({b.first_year}-{b.last_year}) {kind}")
    if gaps:
        r.problems.add("parity.eras", [f"{e.name} {e.first_year}-{e.last_year}" for e in ordered],
                       f"eras must cover every year {limits.rates_first}..{limits.rates_last} of "
                       f"{bundle_text} without gap or overlap: {'; '.join(gaps)}")
    if dupes or gaps:
        return _MISSING
    return tuple(ordered)


def _parse_replacement(r: _Reader) -> Any:
    """The ``[replacement]`` section (docs/model.md, "Replacement after loss")."""
    enabled = r.boolean(r.get("replacement", "enabled"), "replacement.enabled")
    ages = r.number_list(r.get("replacement", "infecund_ages"), "replacement.infecund_ages",
                         integer=True, lo=FERT_MIN, hi=FERT_MAX + 1)
    shares = r.number_list(r.get("replacement", "infecund_share"), "replacement.infecund_share",
                           lo=0, hi=1)
    mult = r.number(r.get("replacement", "never_multiplier"), "replacement.never_multiplier",
                    lo=0, allowed="must be >= 0 (1 = as sourced; the never-replace share is "
                    "capped at 1)")
    pmf = r.number_list(r.get("replacement", "wait_pmf"), "replacement.wait_pmf", lo=0, hi=1)
    if _all_present(ages):
        if any(b <= a for a, b in zip(ages, ages[1:], strict=False)):
            r.problems.add("replacement.infecund_ages", list(ages), "ages must increase")
            ages = _MISSING
    if _all_present(ages, shares) and len(ages) != len(shares):
        r.problems.add("replacement.infecund_share", list(shares),
                       f"needs one share per age of replacement.infecund_ages ({len(ages)})")
        shares = _MISSING
    if _all_present(shares) and any(b < a for a, b in zip(shares, shares[1:], strict=False)):
        r.problems.add("replacement.infecund_share", list(shares),
                       "must not decrease with age (sterility only rises with age)")
        shares = _MISSING
    if _all_present(pmf):
        if len(pmf) > WAIT_MAX:
            r.problems.add("replacement.wait_pmf", list(pmf),
                           f"at most {WAIT_MAX} values (years 0..{WAIT_MAX - 1})")
            pmf = _MISSING
        elif abs(sum(pmf) - 1.0) > 1e-6:
            r.problems.add("replacement.wait_pmf", list(pmf),
                           f"probabilities must sum to 1; they sum to {sum(pmf):.6g}")
            pmf = _MISSING
    if not _all_present(enabled, ages, shares, mult, pmf):
        return _MISSING
    return ReplacementConfig(enabled=enabled, infecund_ages=ages, infecund_share=shares,
                             never_multiplier=mult, wait_pmf=pmf)


#: An era value taken from the packaged parity calibration (``data/parity_calibration.csv``).
CALIBRATED = "calibrated"


def _era_value(r: _Reader, raw: Any, path: str, *, calibrated: bool, allowed: str,
               **bounds: Any) -> Any:
    """An era's number, or ``"calibrated"`` where the calibration fits that key."""
    if calibrated and raw == CALIBRATED:
        return CALIBRATED
    if calibrated and isinstance(raw, str):
        close = difflib.get_close_matches(raw, [CALIBRATED], n=1, cutoff=0.6)
        hint = 'did you mean "calibrated"? ' if close else ""
        r.problems.add(path, raw, f'{hint}a number or "calibrated" (the packaged fit)')
        return _MISSING
    return r.number(raw, path, allowed=allowed + (' or "calibrated"' if calibrated else ""),
                    **bounds)


def _parse_province_multipliers(r: _Reader, raw: Any) -> Any:
    path = "parity.province_one_child_multiplier"
    if raw is _MISSING:
        return _MISSING
    if raw == "calibrated":
        return raw
    if not isinstance(raw, dict):
        r.problems.add(path, raw, '"calibrated" or a table { Region = multiplier, ... }')
        return _MISSING
    out = []
    for key, value in raw.items():
        region = _region_alias(key, PROVINCE_NAMES)
        if region is None:
            _region_problem(r, f"{path}.{key}", key, "china")
            continue
        v = r.number(value, f"{path}.{key}", lo=0, lo_open=True, unit="multiplier",
                     allowed="must be > 0")
        if v is not _MISSING:
            out.append((region, v))
    if len(out) != len(raw):
        return _MISSING
    order = {n: i for i, n in enumerate(PROVINCE_NAMES)}
    return tuple(sorted(out, key=lambda kv: order[kv[0]]))


#: Tolerance on the sum of the spouse age-gap probabilities [probability].
PROBABILITY_SUM_TOLERANCE = 1e-6


def _parse_spouse_gap(r: _Reader, raw: Any) -> Any:
    path = "family.spouse_age_gap"
    if raw is _MISSING or raw == "data":
        return raw
    raw = _maybe_file(r, raw, path, _GAP_KEYS)
    if raw is _MISSING:
        return _MISSING
    if not isinstance(raw, dict) or "gaps" not in raw or "probabilities" not in raw:
        r.problems.add(path, raw, '"data", a table { gaps = [...], probabilities = [...] } or '
                       "the name of a TOML file holding them")
        return _MISSING
    gaps = r.number_list(raw["gaps"], f"{path}.gaps", integer=True, lo=-30, hi=30, unit="years")
    probs = r.number_list(raw["probabilities"], f"{path}.probabilities", lo=0, hi=1,
                          unit="probability")
    source = r.string(raw.get("source", ""), f"{path}.source")
    if not _all_present(gaps, probs, source):
        return _MISSING
    ok = True
    if len(gaps) != len(probs):
        r.problems.add(path, raw, f"`gaps` has {len(gaps)} values and `probabilities` "
                       f"{len(probs)}; they must have the same length")
        ok = False
    if len(set(gaps)) != len(gaps):
        r.problems.add(f"{path}.gaps", list(gaps), "each gap may appear only once")
        ok = False
    total = math.fsum(probs)
    if abs(total - 1.0) > PROBABILITY_SUM_TOLERANCE:
        r.problems.add(f"{path}.probabilities", list(probs),
                       f"probabilities sum to {total:.9g}; they must sum to 1 within "
                       f"{PROBABILITY_SUM_TOLERANCE:g}")
        ok = False
    return SpouseAgeGap(gaps=gaps, probabilities=probs, source=source) if ok else _MISSING


def _parse_guangzhou(r: _Reader, raw: Any, schedule: Any) -> Any:
    path = "allowance.guangzhou"
    if raw is None:
        if schedule == "guangzhou":
            r.problems.add(path, _MISSING, 'required when allowance.schedule = "guangzhou"')
            return _MISSING
        return None
    if not isinstance(raw, dict):
        r.problems.add(path, raw, "must be a table { monthly, supplement, supplement_age_male, "
                       "supplement_age_female, source }")
        return _MISSING
    for key in _GUANGZHOU_KEYS[:-2]:
        if key not in raw:
            r.problems.add(f"{path}.{key}", _MISSING, "required in allowance.guangzhou")
    monthly = r.number(raw.get("monthly", _MISSING), f"{path}.monthly", lo=0,
                       allowed="must be >= 0")
    supplement = r.number(raw.get("supplement", _MISSING), f"{path}.supplement", lo=0,
                          allowed="must be >= 0")
    age_m = r.number(raw.get("supplement_age_male", _MISSING), f"{path}.supplement_age_male",
                     integer=True, lo=0, hi=AGE_MAX)
    age_f = r.number(raw.get("supplement_age_female", _MISSING),
                     f"{path}.supplement_age_female", integer=True, lo=0, hi=AGE_MAX)
    source = r.string(raw.get("source", ""), f"{path}.source")
    regions = _parse_rule_regions(r, raw.get("regions", []), f"{path}.regions")
    if schedule == "guangzhou" and regions == ():
        r.problems.add(f"{path}.regions", [], 'name the regions the Guangzhou rule prices when '
                       'allowance.schedule = "guangzhou" (e.g. regions = ["Guangdong"])')
        return _MISSING
    if not _all_present(monthly, supplement, age_m, age_f, source, regions):
        return _MISSING
    return GuangzhouRule(monthly=monthly, supplement=supplement, supplement_age_male=age_m,
                         supplement_age_female=age_f, source=source, regions=regions)


def _parse_rule_regions(r: _Reader, raw: Any, path: str) -> Any:
    """Provinces named by a list of aliases, in GB/T code order."""
    if not isinstance(raw, list):
        r.problems.add(path, raw, "must be a list of province names, Chinese names or codes")
        return _MISSING
    found = []
    for i, name in enumerate(raw):
        region = _region_alias(name, PROVINCE_NAMES)
        if region is None:
            _region_problem(r, f"{path}[{i}]", name, "china")
            return _MISSING
        found.append(region)
    return tuple(n for n in PROVINCE_NAMES if n in found)


def _parse_local_table(r: _Reader, raw: Any) -> Any:
    """Absolute path of the local allowance-rule table (relative to the file that names it)."""
    path = "allowance.local_table"
    if raw is None:
        return None
    if not isinstance(raw, str) or not raw:
        r.problems.add(path, raw, "must be the name of a CSV file of allowance rules")
        return _MISSING
    file = _referenced_file(r, raw, path)
    return _MISSING if file is None else str(file.resolve())


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _load(path: Path) -> tuple[ScenarioConfig | None, _Problems]:
    problems = _Problems()
    path = resolve_config_path(path)
    if not path.is_file():
        problems.items.append(f"{path}: scenario file does not exist, nor is it a packaged "
                              f"scenario ({', '.join(packaged_config_names())})")
        return None, problems
    path = path.resolve()
    problems.default_file = path
    table, chain = _resolve(path, (), problems)
    if problems.incomplete:  # one message per real problem: no cascade of "missing" keys
        return None, problems
    root = chain[-1] if chain else path
    config = _parse(table, problems, root, path, chain, default_name=path.stem)
    return config, problems


def load_config(path: str | Path) -> ScenarioConfig:
    """Read, resolve and validate one scenario file.

    Parameters
    ----------
    path : str or Path
        The scenario TOML file. Its ``base`` (if any) is resolved relative to it.

    Returns
    -------
    ScenarioConfig

    Raises
    ------
    ConfigError
        Listing every problem in the file and its bases, each with file, key path, the bad
        value and what is allowed.
    """
    config, problems = _load(Path(path))
    if problems.items or config is None:
        raise ConfigError(problems.message(str(path)))
    return config


def load_configs(paths) -> list[ScenarioConfig]:
    """Read several scenario files; problems of all files are reported together.

    Scenario names must be unique (they become the ``scenario`` coordinate).
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise ConfigError("no scenario file given")
    configs: list[ScenarioConfig] = []
    messages: list[str] = []
    for p in paths:
        config, problems = _load(p)
        if problems.items or config is None:
            messages.append(problems.message(str(p)))
        else:
            configs.append(config)
    if not messages:
        names = [c.name for c in configs]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            files = ", ".join(f"{c.path} ({c.name})" for c in configs if c.name in dupes)
            messages.append(f"scenario names must be unique across the files run together; "
                            f"repeated: {', '.join(dupes)} in {files}. Set [scenario] name.")
    if messages:
        raise ConfigError("\n".join(messages))
    return configs


#: Command-line options that override config values, and their ``[run]`` keys.
OVERRIDABLE = ("engine", "scale", "replicates", "seed")


def override(config: ScenarioConfig, **options: Any) -> ScenarioConfig:
    """Return ``config`` with command-line options replacing its ``[run]`` values.

    Parameters
    ----------
    config : ScenarioConfig
    **options
        Any of ``engine``, ``scale`` [fraction], ``replicates`` [count], ``seed``; ``None``
        means "keep the config's value".

    Raises
    ------
    ConfigError
        For an unknown option or a value outside what the config file would allow.
    """
    problems = _Problems()
    unknown = [k for k in options if k not in OVERRIDABLE]
    for key in unknown:
        problems.add(key, options[key], _suggest(key, OVERRIDABLE).replace("unknown key",
                                                                            "unknown option"))
    given = {k: v for k, v in options.items() if v is not None and k in OVERRIDABLE}
    r = _Reader({"run": given}, problems, None)
    checked = {}
    if "engine" in given:
        checked["engine"] = r.choice(given["engine"], "engine", ENGINES)
    if "scale" in given:
        checked["scale"] = r.number(given["scale"], "scale", lo=0, hi=1, lo_open=True,
                                    allowed="must satisfy 0 < scale <= 1")
    if "replicates" in given:
        checked["replicates"] = r.number(given["replicates"], "replicates", integer=True, lo=1,
                                         allowed="must be an integer >= 1")
    if "seed" in given:
        checked["seed"] = r.number(given["seed"], "seed", integer=True, lo=0, hi=SEED_MAX,
                                   allowed=SEED_ALLOWED)
    if problems.items:
        raise ConfigError(problems.message(f"command-line options for {config.name!r}"))
    return dataclasses.replace(config, run=dataclasses.replace(config.run, **checked))


def packaged_config_dir() -> Path:
    """Directory of the scenario files shipped with lossproj (``configs/``)."""
    try:
        return paths.packaged_config_dir()
    except FileNotFoundError as exc:
        raise ConfigError(str(exc)) from None


def packaged_config_names() -> list[str]:
    """Names of the packaged scenarios (``configs/*.toml`` that are scenario files)."""
    return sorted(p.stem for p in packaged_config_dir().glob("*.toml")
                  if p.stem != "validation_targets")


def resolve_config_path(text: str | Path) -> Path:
    """A scenario file given as a path, or a packaged scenario by name (``baseline``,
    ``lossproj:baseline``); an existing file wins over a packaged name."""
    path = Path(text)
    if path.is_file():
        return path
    name = str(text).removeprefix(PACKAGED_PREFIX)
    if path.suffix == ".toml" and path.parent != Path(".") and not str(text).startswith(
            PACKAGED_PREFIX):
        return path  # a path that does not exist: reported by load_config
    directory = packaged_config_dir()
    if (directory / f"{name.removesuffix('.toml')}.toml").is_file() and name != "validation_targets":
        return packaged_config(name)
    return path


def packaged_config(name: str = "baseline") -> Path:
    """Path of a packaged scenario file by name (``"baseline"`` → ``configs/baseline.toml``)."""
    directory = packaged_config_dir()
    path = directory / f"{name.removesuffix('.toml')}.toml"
    if not path.is_file():
        known = packaged_config_names()
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise ConfigError(f"no packaged scenario {name!r}; {hint}known: {', '.join(known)}")
    return path


def load_validation_targets() -> list[dict[str, Any]]:
    """Published figures the model is compared with (``configs/validation_targets.toml``).

    Returns
    -------
    list of dict
        One entry per ``[[target]]``, as written in the file.
    """
    path = packaged_config_dir() / "validation_targets.toml"
    problems = _Problems()
    table = _read_toml(path, problems)
    if table is None:
        raise ConfigError(problems.message(str(path)))
    targets = table.get("target")
    if not isinstance(targets, list) or not targets:
        raise ConfigError(f"{path}: needs a non-empty array of tables [[target]]")
    return targets
