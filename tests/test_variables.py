"""The registry of output variables (lossproj.variables) and what is derived from it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from synthetic import synthetic_bundle, synthetic_parity

from lossproj import aggregate, variables
from lossproj.conventions import ENGINES, GROUP_DIMS
from lossproj.engines.expected import project_expected
from lossproj.planner import INDICATORS

DOC = Path(__file__).resolve().parents[1] / "docs" / "variables.md"
REGENERATE = "python -m lossproj.variables docs/variables.md"


def test_docs_variables_md_is_generated_from_the_registry():
    assert DOC.read_text(encoding="utf-8") == variables.markdown(), (
        f"docs/variables.md differs from the registry lossproj.variables; regenerate it with: "
        f"{REGENERATE}")


def test_every_variable_is_complete_and_consistent():
    for v in variables.REGISTRY:
        assert v.units and v.long_name and v.definition, v.name
        assert v.dims[:2] == ("year", "region"), v.name
        assert set(v.engines) <= set(ENGINES) and v.engines, v.name
        assert all(d in {"sex", "age", *GROUP_DIMS} for d in v.dims[2:]), v.name
        if v.kind == "mean":
            assert v.name.startswith("mean_"), v.name
    assert len(variables.VARIABLES) == len(variables.REGISTRY), "a name registered twice"


def test_lookup_names_what_exists():
    assert variables.attrs("shidu_parents_strict_se")["long_name"].startswith("Monte Carlo standard error")
    with pytest.raises(KeyError, match="unknown output variable 'shidu_parent'; known: population"):
        variables.variable("shidu_parent")
    with pytest.raises(ValueError, match="unknown engine 'mikro'; known: expected, micro"):
        variables.names("mikro")


def test_planner_sheets_show_registered_variables_in_their_units():
    for ind in INDICATORS:
        units = variables.VARIABLES[ind.variable].units
        shown = units.replace("RMB", "RMB 10,000") if ind.divisor != 1.0 else units
        assert ind.unit.startswith(shown + " /"), (ind.variable, ind.unit, units)


@pytest.fixture(scope="module")
def expected_dataset():
    bundle = synthetic_bundle(n_regions=2, child_mx=0.02)
    parity = synthetic_parity(bundle)
    res = project_expected(bundle, parity, 1990, 2030)
    return res, aggregate.to_dataset(res, source="synthetic")


def test_expected_engine_gives_exactly_its_registered_variables(expected_dataset):
    _, ds = expected_dataset
    names = variables.names("expected", origin="engine")
    assert set(ds.data_vars) == set(names)
    for name in names:
        assert ds[name].dims == variables.VARIABLES[name].dims, name
        assert ds[name].attrs == variables.VARIABLES[name].attrs | {"source": "synthetic"}, name
    for dim, labels in GROUP_DIMS.items():
        assert list(ds[dim].values) == list(labels)
    assert np.all(ds["population"] >= 0)
