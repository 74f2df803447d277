"""Expected-value engine against hand-computed cases and invariants."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from synthetic import synthetic_bundle, synthetic_parity

from lossproj.engines import expected_kernels as k
from lossproj.engines.expected import _only_children, project_expected, run_region_cohorts
from lossproj.rates.bundle import A_MAX, FERT_MAX, FERT_MIN, ParityModel
from lossproj.rates.population import project_population, step_mortality


def _first_births_only(h: float, m: float, first_year=1900, last_year=2010):
    """One region; death rate m at every age and sex; intensity h at 15..49; first births only."""
    n_y = last_year - first_year + 1
    mx = np.full((2, n_y, A_MAX + 1), m)
    lam = np.zeros((n_y, A_MAX + 1))
    lam[:, 15:50] = h
    rel = np.zeros((4, n_y))
    rel[0] = 1.0
    return mx, lam, rel


def _one_cohort(h: float, m: float, cohort: int = 1930):
    """The state process of one cohort under :func:`_first_births_only` rates."""
    mx, lam, rel = _first_births_only(h, m)
    return run_region_cohorts(
        mx, lam, np.full(mx.shape[1], 1.0), 1900, rel, np.ones(1), np.zeros(mx.shape[1:]), np.ones(1), 15,
        cohort, cohort, solve=False,
    )


def test_single_cohort_constant_rates_matches_closed_form():
    """Shares of a living woman's states (independent of her own survival) by hand."""
    h, m = 0.12, 0.03
    out = _one_cohort(h, m)
    for a in (20, 35, 49, 55, 70):
        p_n1 = 0.0
        p_d1 = 0.0
        for x in range(15, min(a, 50)):
            first = np.exp(-h * (x - 15)) * (1 - np.exp(-h))
            d = a - x - 1  # child's age at reference a; born with half a year of exposure
            alive = np.exp(-m / 2 - m * d)
            p_n1 += first * alive
            p_d1 += first * (1 - alive)
        assert out.q[0, a, k.N1] == pytest.approx(p_n1, rel=1e-12)
        assert out.q[0, a, k.D1] == pytest.approx(p_d1, rel=1e-12)
        assert out.q[0, a, k.P0] == pytest.approx(np.exp(-h * (min(a, 50) - 15)), rel=1e-12)
        assert out.ceb[0, a] == pytest.approx(1 - np.exp(-h * (min(a, 50) - 15)), rel=1e-12)
        assert out.surv[0, a] == pytest.approx(p_n1, rel=1e-12)


def test_new_losses_by_child_age_match_closed_form():
    """Entries into D1 in the step ending at mother's age a, split at child ages 5, 10, 20."""
    h, m = 0.12, 0.03
    out = _one_cohort(h, m)
    assert out.new_d1.shape == (1, A_MAX + 1, 4)
    for a in (18, 30, 45, 60):
        expected = np.zeros(4)
        for x in range(15, min(a, 50)):
            first = np.exp(-h * (x - 15)) * (1 - np.exp(-h))
            if x == a - 1:  # born in the step and dead before its first reference date
                expected[0] += first * (1 - np.exp(-m / 2))
                continue
            d = a - 2 - x  # the child's age at the start of the step
            dies = first * np.exp(-m / 2 - m * d) * (1 - np.exp(-m))
            expected[0 if d < 5 else (1 if d < 10 else (2 if d < 20 else 3))] += dies
        np.testing.assert_allclose(out.new_d1[0, a], expected, rtol=1e-12, atol=1e-300)


def test_intensity_solve_reproduces_asfr():
    bundle = synthetic_bundle()
    parity = synthetic_parity(bundle)
    out = run_region_cohorts(
        bundle.mx[0], bundle.asfr[0], bundle.srb, bundle.first_year, parity.rel[0],
        parity.dur1, parity.replace_share[0], parity.wait_pmf, 15, 1950, 1980,
    )
    # births per woman at each age = ASFR: ceb increments reproduce the schedule, except where
    # replacement births alone exceed it (a negative shortfall: the excess)
    asfr = bundle.asfr[0, 0, 15:50]
    placed = np.diff(out.ceb[:, 15:51], axis=1)
    np.testing.assert_allclose(placed + out.shortfall[:, 15:50], np.tile(asfr, (31, 1)), rtol=1e-10)
    assert out.shortfall.max() == 0.0
    assert -out.shortfall.sum(axis=1).min() < 0.01 * asfr.sum()


def test_state_shares_sum_to_one_and_are_nonnegative():
    bundle = synthetic_bundle()
    parity = synthetic_parity(bundle)
    out = run_region_cohorts(
        bundle.mx[0], bundle.asfr[0], bundle.srb, bundle.first_year, parity.rel[0],
        parity.dur1, parity.replace_share[0], parity.wait_pmf, 15, 1900, 2000,
    )
    np.testing.assert_allclose(out.q.sum(axis=-1), 1.0, atol=1e-12)
    assert out.q.min() >= -1e-15
    assert np.all(out.surv <= out.ceb + 1e-12)


@pytest.fixture(scope="module")
def baseline_result():
    bundle = synthetic_bundle(n_regions=2)
    parity = synthetic_parity(bundle)
    return bundle, parity, project_expected(bundle, parity, 1990, 2050)


def test_invariants(baseline_result):
    _, _, res = baseline_result
    strict = res.parents["shidu_parents_strict"]
    one = res.parents["one_child_parents"]
    for arr in [*res.parents.values(), *res.families.values(), res.population]:
        assert arr.min() >= 0.0
    assert np.all(strict <= one + 1e-9)
    assert np.all(res.parents["eligible_shidu_parents"] <= strict + 1e-9)
    assert np.all(res.families["shidu_families"] <= strict.sum(axis=2) + 1e-6)


def test_new_shidu_families_by_child_age(baseline_result):
    """Nested age windows; a family counted once, through its mother or a surviving father."""
    _, _, res = baseline_result
    fam = res.families
    total, five, ten = (fam[v] for v in ("new_shidu_families", "new_shidu_families_child_5plus",
                                        "new_shidu_families_child_10plus"))
    assert np.all(five <= total + 1e-9) and np.all(ten <= five + 1e-9)
    assert ten.sum() > 0 and (five - ten).sum() > 0 and (total - five).sum() > 0
    mothers = res.parents["new_shidu_parents"][:, :, 0].sum(-1)
    fathers = res.parents["new_shidu_parents"][:, :, 1].sum(-1)
    assert np.all(total.sum(-1) >= mothers - 1e-6)
    assert np.all(total.sum(-1) <= mothers + fathers + 1e-6)


def test_replacement_births_by_the_mothers_age(baseline_result):
    """``rebirths`` in the step t -> t+1 by the mother's age at t add up to the engine's total of
    replacement births in that step; only women of fertile age bear them."""
    _, _, res = baseline_result
    by_age = res.families["rebirths"]  # [R, T, A]
    np.testing.assert_allclose(by_age[:, :-1].sum(axis=-1), res.rebirths[:, 1:], rtol=1e-12)
    assert by_age.sum() > 0 and by_age.min() >= 0.0
    ages = np.arange(by_age.shape[-1])
    assert by_age[..., (ages < FERT_MIN - 1) | (ages > FERT_MAX)].sum() == 0.0


def test_only_children_by_the_childs_age_by_hand():
    """A mother aged 40 whose child was born in the step from her age 25: the child is 14."""
    women = np.zeros((1, A_MAX + 1))  # year 1990
    women[0, 40] = 1000.0
    women[0, 41] = 5.0  # cohort 1949: outside the cohorts given, not counted
    n1j = np.zeros((1, A_MAX + 1, 35))  # cohort 1950
    n1j[0, 40, 25 - 15] = 0.3
    n1j[0, 40, 39 - 15] = 0.1  # born in the step from 39: aged 0 at 40
    out = _only_children(women, n1j, first_cohort=1950, first_year=1990)
    assert out[0, 14] == pytest.approx(300.0) and out[0, 0] == pytest.approx(100.0)
    assert out.sum() == pytest.approx(400.0)


def test_only_children_are_the_one_child_families_without_adult_deaths():
    """No adult deaths: no widowers, so every one-child family has its mother and one child."""
    bundle = synthetic_bundle(adult_scale=0.0, child_ages=15)
    res = project_expected(bundle, synthetic_parity(bundle), 1990, 2050)
    np.testing.assert_allclose(res.families["only_children"].sum(-1),
                               res.families["one_child_families"].sum(-1), rtol=1e-9)
    # a child is at most A_MAX − FERT_MIN − 1 years old (mother followed to A_MAX, births from 15)
    assert res.families["only_children"][..., A_MAX - 15 :].sum() == 0.0
    assert res.families["only_children"][..., A_MAX - 16].sum() > 0.0


def test_families_between_mothers_and_couples(baseline_result):
    _, _, res = baseline_result
    mothers = res.parents["shidu_parents_strict"][:, :, 0].sum(-1)
    fathers = res.parents["shidu_parents_strict"][:, :, 1].sum(-1)
    fam = res.families["shidu_families"].sum(-1)
    assert np.all(fam >= mothers - 1e-6)
    assert np.all(fam <= mothers + fathers + 1e-6)


def test_fathers_follow_the_age_gap_without_adult_mortality():
    """With no adult deaths and a fixed gap g, fathers aged x equal mothers aged x − g."""
    bundle = synthetic_bundle(adult_scale=0.0, child_ages=15)
    g = 3
    parity = dataclasses.replace(
        synthetic_parity(bundle), gap_values=np.array([g]), gap_pmf=np.array([1.0])
    )
    res = project_expected(bundle, parity, 1990, 2050)
    strict = res.parents["shidu_parents_strict"][0]
    np.testing.assert_allclose(strict[:, 1, 20 + g : 90 + g], strict[:, 0, 20:90], rtol=1e-9)


def test_more_child_mortality_means_more_shidu():
    low = synthetic_bundle(child_mx=0.005)
    high = synthetic_bundle(child_mx=0.02)
    res_low = project_expected(low, synthetic_parity(low), 1990, 2050)
    res_high = project_expected(high, synthetic_parity(high), 1990, 2050)
    s_low = res_low.parents["shidu_parents_strict"].sum(axis=(2, 3))
    s_high = res_high.parents["shidu_parents_strict"].sum(axis=(2, 3))
    assert np.all(s_high > s_low)


def test_replacement_off_raises_strict_shidu_many_times():
    bundle = synthetic_bundle(child_mx=0.02)
    on = synthetic_parity(bundle, replace=0.95)
    off = dataclasses.replace(on, replace_share=np.zeros_like(on.replace_share))
    s_on = project_expected(bundle, on, 1990, 2050).parents["shidu_parents_strict"].sum()
    s_off = project_expected(bundle, off, 1990, 2050).parents["shidu_parents_strict"].sum()
    assert s_off > 2 * s_on


def test_strict_shidu_with_replacement_matches_closed_form():
    """One cohort, first births only in one step, constant child mortality: D1 by hand.

    The only child is born in the step starting at the mother's age 20 (probability p). It dies
    in the step starting at her age x with probability ``p·(l(x−21) − l(x−20))`` (``l(-1) = 1``,
    a newborn dying before its first reference date), ``l(d) = exp(−m/2 − m d)``. She would
    replace it with probability ``r(x)``, in the step starting at ``x + 1 + s`` with probability
    ``w[s]`` if that age is at most 49. At her age A she is strict shidu if the child died before
    A and no replacement birth came in a step starting before A.
    """
    h, m = 0.4, 0.02
    n_y = 211
    mx = np.full((2, n_y, A_MAX + 1), m)
    lam = np.zeros((n_y, A_MAX + 1))
    lam[:, 20] = h
    rel = np.zeros((4, n_y))
    rel[0] = 1.0
    ages = np.arange(A_MAX + 1)
    r = np.where(ages <= 49, np.clip(0.98 - 0.02 * (ages - 20), 0.0, 1.0), 0.0)
    w = np.array([0.3, 0.4, 0.2, 0.1])
    out = run_region_cohorts(
        mx, lam, np.full(n_y, 1.0), 1900, rel, np.ones(1), np.tile(r, (n_y, 1)), w, 15,
        1930, 1930, solve=False,
    )
    p = 1 - np.exp(-h)

    def surv(d):
        return 1.0 if d < 0 else np.exp(-m / 2 - m * d)

    for age in (22, 30, 45, 49, 50, 52, 70):
        d1 = rebirths = 0.0
        for x in range(20, age):
            lost = p * (surv(x - 21) - surv(x - 20))
            waiting = sum(w[s] for s in range(w.size) if not (x + 1 + s < age and x + 1 + s <= 49))
            d1 += lost * ((1 - r[x]) + r[x] * waiting)
        assert out.q[0, age, k.D1] == pytest.approx(d1, rel=1e-10, abs=1e-15)
        assert out.q[0, age, k.P2] == pytest.approx(p * (1 - surv(age - 21)) - d1, rel=1e-10, abs=1e-15)
        for x in range(20, age):
            lost = p * (surv(x - 21) - surv(x - 20))
            rebirths += lost * r[x] * sum(w[s] for s in range(w.size) if x + 1 + s == age - 1 <= 49)
        assert out.rebirth[0, age - 1] == pytest.approx(rebirths, rel=1e-10, abs=1e-15)


def test_population_accounting_identity():
    bundle = synthetic_bundle()
    pop = project_population(bundle)
    b = bundle.base_year - bundle.first_year
    for y in range(b, b + 30):
        p_now = pop.population[0, :, y].sum()
        p_next = pop.population[0, :, y + 1].sum()
        deaths = (pop.population[0, :, y] * (1 - np.exp(-step_mortality(bundle.mx[0, :, y])))).sum()
        p_male = bundle.srb[y] / (1 + bundle.srb[y])
        infant = pop.births[0, y] * (
            (1 - p_male) * (1 - np.exp(-0.5 * bundle.mx[0, 0, y, 0]))
            + p_male * (1 - np.exp(-0.5 * bundle.mx[0, 1, y, 0]))
        )
        assert p_next == pytest.approx(p_now + pop.births[0, y] - deaths - infant, rel=1e-12)


def test_back_projection_meets_the_base_population():
    bundle = synthetic_bundle()
    pop = project_population(bundle)
    b = bundle.base_year - bundle.first_year
    np.testing.assert_allclose(pop.population[0, :, b, :100], bundle.base_population[0, :, :100], rtol=1e-10)
    np.testing.assert_allclose(
        pop.population[0, :, b, 100:].sum(-1), bundle.base_population[0, :, 100:].sum(-1), rtol=1e-10
    )


def test_bad_inputs_are_rejected():
    bundle = synthetic_bundle()
    parity = synthetic_parity(bundle)
    with pytest.raises(ValueError, match="output years 1980..2200"):
        project_expected(bundle, parity, 1980, 2200)
    with pytest.raises(ValueError, match="sum to"):
        dataclasses.replace(parity, gap_pmf=parity.gap_pmf * 2)
    with pytest.raises(ValueError, match="parity levels have shape"):
        project_expected(
            bundle, dataclasses.replace(parity, rel=parity.rel[:, :, :10], stop=None, sterile=None,
                                        replace_share=parity.replace_share[:, :10]), 1990, 2000
        )
    with pytest.raises(ValueError, match=r"ParityModel.replace_share must be probabilities"):
        dataclasses.replace(parity, replace_share=parity.replace_share + 0.5)
    with pytest.raises(ValueError, match=r"ParityModel.wait_pmf must be 1 to 20 probabilities"):
        dataclasses.replace(parity, wait_pmf=np.array([0.5, 0.6]))
    with pytest.raises(ValueError, match=r"ParityModel.stop must be shares in \[0, 1\]"):
        dataclasses.replace(parity, stop=parity.stop + 1.5)
    with pytest.raises(ValueError, match=r"ParityModel.sterile must be shares .* of shape"):
        dataclasses.replace(parity, sterile=parity.sterile[:, :3])
    assert isinstance(parity, ParityModel)


def test_first_born_relative_mortality_matches_closed_form():
    """First births only; the first-born's step death rate is f·m at ages 0-4, m later."""
    h, m, f0 = 0.12, 0.03, 0.4
    mx, lam, rel = _first_births_only(h, m)
    factor = np.ones((2, *mx.shape[1:]))
    factor[0, :, :5] = f0
    factor[1, :, :5] = 3.0  # later-born children: none here, so no effect
    out = run_region_cohorts(
        mx, lam, np.full(mx.shape[1], 1.0), 1900, rel, np.ones(1), np.zeros(mx.shape[1:]),
        np.ones(1), 15, 1930, 1930, solve=False, child_factor=factor,
    )

    def alive(d):  # first-born alive at age d (its d-th reference date)
        return np.exp(-0.5 * m * f0 - m * sum(f0 if j < 5 else 1.0 for j in range(d)))

    for a in (20, 35, 49, 70):
        p_n1 = sum(np.exp(-h * (x - 15)) * (1 - np.exp(-h)) * alive(a - x - 1) for x in range(15, min(a, 50)))
        assert out.q[0, a, k.N1] == pytest.approx(p_n1, rel=1e-12)
        assert out.surv[0, a] == pytest.approx(p_n1, rel=1e-12)


@pytest.mark.parametrize("gap", [-2, 3])
def test_eligibility_by_the_mothers_age(gap):
    """National rule: a couple is eligible when the MOTHER is 49+ (or, dead, would be).

    With one spouse age gap, fathers aged x have wives aged x − gap: eligible fathers are the
    strict shidu fathers of ages x >= 49 + gap and none below.
    """
    bundle = synthetic_bundle(child_mx=0.02)
    parity = synthetic_parity(bundle, gaps=(gap, gap))
    res = project_expected(bundle, parity, 2000, 2030)
    fathers = res.parents["shidu_parents_strict"][:, :, 1]
    eligible = res.parents["eligible_shidu_parents"][:, :, 1]
    first = 49 + gap
    np.testing.assert_allclose(eligible[..., first:], fathers[..., first:], rtol=1e-12)
    assert np.all(eligible[..., :first] == 0.0)
    assert fathers[..., first - 2 : first].sum() > 0  # fathers below the threshold exist
    mothers = res.parents["shidu_parents_strict"][:, :, 0]
    np.testing.assert_allclose(res.parents["eligible_shidu_parents"][:, :, 0][..., 49:], mothers[..., 49:])
    assert np.all(res.parents["eligible_shidu_parents"][:, :, 0][..., :49] == 0.0)
