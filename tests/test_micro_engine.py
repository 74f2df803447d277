"""Tests of the microsimulation engine: exact toy expectations, fathers, API, seeding policy.

Statistical tests compare with exact values within 4 standard errors: each comparison has a
two-sided false-alarm rate of 6.3e-5 for a correct engine (about 5e-4 over this file). Seeds are
fixed, so the outcome is deterministic.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats
from test_micro_kernels import toy_inputs

from lossproj import variables
from lossproj.engines import micro_kernels as mk
from lossproj.engines.micro import (
    MicroInputs,
    estimate_run,
    region_tables,
    simulate,
    simulate_counts_region,
    to_dataset,
    women_per_cohort,
)

# ---------------------------------------------------------------- an exact Markov toy case
C0 = 1950
MX_F, MX_M = 0.01, 0.015
LAM = 0.12
REL = (1.0, 0.5, 0.3, 0.2)
DUR1 = (0.0, 0.5, 1.0)
REPLACE = 0.7  # share of bereaved women under 50 who would have another birth
WAIT = (0.5, 0.3, 0.2)  # wait of s = 0, 1, 2 years after the first reference date after the loss
SRB = 1.05


def markov_inputs(n_women: float) -> MicroInputs:
    """One cohort (1950) with constant rates, rates 1950..2020, counted 1990..2020."""
    n_y, a_max = 71, 110
    mx = np.empty((1, 2, n_y, a_max + 1))
    mx[0, 0], mx[0, 1] = MX_F, MX_M
    lam = np.zeros((1, n_y, a_max + 1))
    lam[0, :, 15:50] = LAM
    return MicroInputs(
        mx=mx, lam=lam, rel=np.array(REL)[None, :, None] * np.ones((1, 4, n_y)),
        dur1=np.array(DUR1), srb=np.full(n_y, SRB),
        replace_share=np.where((np.arange(a_max + 1) >= 15) & (np.arange(a_max + 1) <= 49), REPLACE, 0.0)
        * np.ones((1, n_y, 1)),
        wait_pmf=np.array(WAIT),
        gap_values=np.array([2]), gap_pmf=np.array([1.0]), union_age=15,
        cohort_sizes=np.array([[n_women]]), first_cohort=C0, last_cohort=C0,
        out_first_year=1990, out_last_year=2020, rate_first_year=1950, eligibility_age=49,
    )  # fmt: skip


def markov_shares(age: int) -> dict[str, float]:
    """Exact state shares of living women at ``age`` by a direct Markov computation."""
    p_boy = SRB / (1 + SRB)
    sex_p = (1 - p_boy, p_boy)
    mxs = (MX_F, MX_M)
    p0, p2, p3 = 1.0, 0.0, 0.0
    n1 = np.zeros((age + 2, 2))  # child's age, child's sex
    d1 = np.zeros(len(WAIT) + 1)  # would replace, by years since loss (capped)
    d1n = 0.0  # never bear again
    hazard = [w / (1 - sum(WAIT[:s])) for s, w in enumerate(WAIT)]
    new = births = 0.0
    for a in range(age):
        lam = LAM if 15 <= a <= 49 else 0.0
        births_a = 0.0
        nn1, nd1 = np.zeros_like(n1), np.zeros_like(d1)
        lost = 0.0
        # childless
        pb = 1 - math.exp(-lam * REL[0])
        births_a += p0 * pb
        for s in range(2):
            alive = math.exp(-0.5 * mxs[s])
            nn1[0, s] += p0 * pb * sex_p[s] * alive
            lost += p0 * pb * sex_p[s] * (1 - alive)
        p0 *= 1 - pb
        # one child alive, aged d
        np2 = p2
        for d in range(age + 1):
            pb = 1 - math.exp(-lam * REL[1] * DUR1[min(d, len(DUR1) - 1)])
            for s in range(2):
                m = n1[d, s]
                births_a += m * pb
                np2 += m * pb
                surv = math.exp(-mxs[s])
                nn1[d + 1, s] += m * (1 - pb) * surv
                lost += m * (1 - pb) * (1 - surv)
        # only child dead: a replacement birth after the wait, or none
        for j in range(len(d1)):
            pb = hazard[j] if lam > 0 and j < len(WAIT) else 0.0
            births_a += d1[j] * pb
            np2 += d1[j] * pb
            nd1[min(j + 1, len(d1) - 1)] += d1[j] * (1 - pb)
        share = REPLACE if a <= 49 else 0.0
        nd1[0] += lost * share
        d1n += lost * (1 - share)
        pb2 = 1 - math.exp(-lam * REL[2])
        births_a += p2 * pb2 + p3 * (1 - math.exp(-lam * REL[3]))
        p3 += p2 * pb2
        p2 = np2 - p2 * pb2
        n1, d1 = nn1, nd1
        new = lost
        if a == 25:
            births = births_a
    return {"N1": n1.sum(), "D1": d1.sum() + d1n, "NEW": new, "BIRTHS_25": births}


@pytest.fixture(scope="module")
def markov_run():
    inp = markov_inputs(40000.0)
    n, _ = women_per_cohort(inp, 1.0)
    women, _, events = simulate_counts_region(inp, 0, np.uint64(2024), n[0])
    return inp, women, events


@pytest.mark.parametrize("state", ["N1", "D1", "NEW"])
def test_state_shares_at_60_match_exact_markov(markov_run, state):
    inp, women, _ = markov_run
    y = C0 + 60 - inp.out_first_year
    q = {"N1": mk.W_N1, "D1": mk.W_D1, "NEW": mk.W_NEW}[state]
    n_alive = women[mk.W_POP, 0, y]
    share = women[q, 0, y] / n_alive
    exact = markov_shares(60)[state]
    se = math.sqrt(exact * (1 - exact) / n_alive)
    assert exact * n_alive > 30  # the case is not degenerate
    assert abs(share - exact) < 4 * se, (share, exact, se)


def test_birth_rate_at_25_matches_exact_markov():
    # age 25 is before 1990 for the 1950 cohort: shift the output window for this check
    inp = dataclasses.replace(markov_inputs(40000.0), out_first_year=1970)
    n, _ = women_per_cohort(inp, 1.0)
    women, _, events = simulate_counts_region(inp, 0, np.uint64(7), n[0])
    y = C0 + 25 - inp.out_first_year
    n_alive = women[mk.W_POP, 0, y]
    rate = events[mk.E_BIRTHS, 0, y] / n_alive
    exact = markov_shares(26)["BIRTHS_25"]
    assert abs(rate - exact) < 4 * math.sqrt(exact * (1 - exact) / n_alive), (rate, exact)


# ---------------------------------------------------------------- fathers and the age gap
def immortal_parents_inputs() -> MicroInputs:
    """Children die before 13 only (husbands marry at 13+); nobody dies from 13 to 110."""
    base = toy_inputs(n_regions=1, first_cohort=1960, last_cohort=2000, women=2000.0)
    mx = np.zeros_like(base.mx)
    mx[..., :13] = 0.05
    return dataclasses.replace(base, mx=mx)


def test_fathers_equal_mothers_when_no_parent_dies():
    inp = immortal_parents_inputs()
    n, _ = women_per_cohort(inp, 1.0)
    women, men, _ = simulate_counts_region(inp, 0, np.uint64(3), n[0])
    men = men.sum(axis=2)  # over gaps
    for qw, qm in ((mk.W_N1, mk.M_N1), (mk.W_D1, mk.M_D1), (mk.W_WIDE, mk.M_WIDE),
                   (mk.W_LOST, mk.M_LOST), (mk.W_NEW, mk.M_NEW)):  # fmt: skip
        assert women[qw].sum() > 0
        np.testing.assert_array_equal(women[qw], men[qm])
    assert men[mk.M_FAM_N1].sum() == 0 and men[mk.M_FAM_D1].sum() == 0


def test_fathers_are_older_by_the_mean_gap():
    inp = immortal_parents_inputs()
    res = simulate(inp, seed=11)
    x = res.values["shidu_parents_strict"][0, 0, -1]  # 2050: (sex, age)
    ages = np.arange(x.shape[-1])
    assert x[0, -1] == 0 and x[1, -1] == 0  # nobody pooled at 100+
    diff = (ages * x[1]).sum() / x[1].sum() - (ages * x[0]).sum() / x[0].sum()
    g, p = inp.gap_values, inp.gap_pmf
    mean_gap = (g * p).sum()
    sd_gap = math.sqrt((p * (g - mean_gap) ** 2).sum())
    assert abs(diff - mean_gap) < 4 * sd_gap / math.sqrt(x[0].sum())


# ---------------------------------------------------------------- public API
@pytest.fixture(scope="module")
def toy():
    return toy_inputs(n_regions=2, women=40.0)


def test_simulate_shapes_dataset_and_standard_errors(toy):
    res = simulate(toy, seed=1)
    n_y = toy.out_last_year - toy.out_first_year + 1
    assert res.values["shidu_parents_strict"].shape == (1, 2, n_y, 2, 101)
    assert res.values["one_child_families"].shape == (1, 2, n_y, 101)
    assert np.all(np.isnan(res.values["population"][..., 1, :]))
    ds = to_dataset(res, ["North", "South"])
    # exactly the registry's variables of this engine, with its dims, each with a standard error
    engine_names = variables.names("micro", origin="engine")
    assert set(ds.data_vars) == set(engine_names) | {f"{n}_se" for n in engine_names}
    for name in engine_names:
        assert ds[name].dims == variables.VARIABLES[name].dims, name
        assert ds[name].attrs["units"] == variables.VARIABLES[name].units, name
    # eligibility by the mother's age: no mother under 49; fathers younger than their wives may be
    assert float(ds["eligible_shidu_parents"].sel(sex="female", age=slice(0, 48)).sum()) == 0
    assert float(ds["eligible_shidu_parents"].sel(sex="male", age=slice(0, 48)).sum()) > 0
    strict = ds["shidu_parents_strict"]
    assert bool((ds["shidu_parents_wide"] >= strict).all())
    assert bool((ds["one_child_parents"] >= strict).all())
    assert "binomial" in ds["population_se"].attrs["method"]


def test_binomial_se_of_living_women_is_close_to_the_exact_se(toy):
    # scale 0.5: n = 20 women of weight 2 per cohort; exact survival from the inputs' tables
    res = simulate(toy, seed=3, scale=0.5)
    ds = to_dataset(res, ["North", "South"])
    lw = region_tables(toy, 0).lw
    ages = np.arange(0, 101)  # cohorts 1920..2020, all simulated
    p_alive = lw[2020 - ages - toy.first_cohort, ages]
    ok = (p_alive > 0.2) & (p_alive < 0.8)
    exact_se = 2.0 * np.sqrt(20 * p_alive * (1 - p_alive))
    se = ds["population_se"].sel(sex="female", region="North", year=2020, age=ages[ok]).values
    ratio = se.sum() / exact_se[ok].sum()
    assert ok.sum() > 5 and 0.75 < ratio < 1.33, ratio


def test_reported_se_matches_the_spread_of_independent_runs():
    # K runs with independent keys: (K-1) s**2 / se**2 ~ chi2(K-1) for a correct SE; the bounds
    # below are its 5e-5 and 1 - 5e-5 quantiles (false-alarm rate 1e-4 per total, 4e-4 here)
    inp = toy_inputs(n_regions=1, first_cohort=1930, last_cohort=2030, women=300.0)
    k = 40
    runs = [simulate(inp, seed=1000 + j) for j in range(k)]
    yi = 2030 - inp.out_first_year
    totals = {
        "strict shidu women, all ages": lambda v: v["shidu_parents_strict"][0, 0, yi, 0].sum(),
        "one-child fathers, all ages": lambda v: v["one_child_parents"][0, 0, yi, 1].sum(),
        "shidu families, all ages": lambda v: v["shidu_families"][0, 0, yi].sum(),
        "mean ceb at 60": lambda v: v["mean_children_ever_born"][0, 0, yi, 60],
    }
    ses = {
        "strict shidu women, all ages": lambda s: np.sqrt((s["shidu_parents_strict"][0, 0, yi, 0] ** 2).sum()),
        "one-child fathers, all ages": lambda s: np.sqrt((s["one_child_parents"][0, 0, yi, 1] ** 2).sum()),
        "shidu families, all ages": lambda s: np.sqrt((s["shidu_families"][0, 0, yi] ** 2).sum()),
        "mean ceb at 60": lambda s: s["mean_children_ever_born"][0, 0, yi, 60],
    }  # fmt: skip
    lo, hi = stats.chi2.ppf([5e-5, 1 - 5e-5], k - 1) / (k - 1)
    for name, total in totals.items():
        x = np.array([total(r.values) for r in runs])
        se = np.mean([ses[name](r.se) for r in runs])
        ratio = x.var(ddof=1) / se**2
        assert x.std() > 0 and lo < ratio < hi, (name, ratio, lo, hi)


def test_replicates_add_a_dimension(toy):
    res = simulate(toy, seed=1, replicates=2)
    ds = to_dataset(res, ["North", "South"])
    assert ds.sizes["replicate"] == 2 and "population_se" not in ds
    assert not np.array_equal(ds["population"].isel(replicate=0), ds["population"].isel(replicate=1))


def test_scenarios_share_common_random_numbers(toy):
    a = simulate(toy, seed=5)
    more_rebirth = dataclasses.replace(toy, replace_share=toy.replace_share * 0.5)
    b = simulate(more_rebirth, seed=5)
    c = simulate(more_rebirth, seed=5, scenario_stream=1)
    # women's survival does not depend on fertility: with common numbers it is identical
    np.testing.assert_array_equal(a.values["population"], b.values["population"])
    assert not np.array_equal(a.values["population"], c.values["population"])
    assert not np.array_equal(a.values["rebirths"], b.values["rebirths"])


def test_sampling_fraction_weights_reproduce_cohort_sizes(toy):
    n, w = women_per_cohort(toy, 0.25)
    np.testing.assert_allclose(n * w, toy.cohort_sizes)
    assert np.all(n == 10)


@pytest.mark.parametrize("scale", [0.0, 1.5, -1])
def test_scale_outside_unit_interval_is_refused(toy, scale):
    with pytest.raises(ValueError, match=r"scale must be a sampling fraction in \(0, 1\]"):
        simulate(toy, seed=1, scale=scale)


def test_run_refused_when_estimate_exceeds_limits(toy):
    est = estimate_run(toy)
    assert est["women"] == 2 * 40 * toy.cohort_sizes.shape[1]
    with pytest.raises(ValueError, match="exceeds max_seconds"):
        simulate(toy, seed=1, max_seconds=est["seconds"] / 10)
    with pytest.raises(ValueError, match="exceeds max_memory_bytes"):
        simulate(toy, seed=1, max_memory_bytes=1000)


def test_progress_reports_every_woman(toy):
    calls = []
    simulate(toy, seed=1, block_size=50, blocks_per_chunk=4, progress=lambda d, t: calls.append((d, t)))
    done = [d for d, _ in calls]
    assert len(calls) > 2 and done == sorted(done) and calls[-1][0] == calls[-1][1]


def test_invalid_inputs_name_the_field(toy):
    bad = dataclasses.replace(toy, srb=toy.srb[:-1])
    with pytest.raises(ValueError, match=r"MicroInputs.srb has shape"):
        simulate(bad, seed=1)
    bad = dataclasses.replace(toy, gap_pmf=toy.gap_pmf * 0.9)
    with pytest.raises(ValueError, match="gap_pmf sums to"):
        simulate(bad, seed=1)
    with pytest.raises(ValueError, match="region names for 2"):
        to_dataset(simulate(toy, seed=1), ["North"])
