"""The evaluator's decision rules, one look at a time through `evaluate`, each against an
independent computation: fixed-horizon p-values, the always-valid p and its carry-over, the
test's alpha, the planned split, the equivalence test, and the planned per-post size."""

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.weightstats import ttost_ind

from services.abtest import sizing, stats
from services.abtest.evaluate import evaluate
from shared.schemas.experiments import Aggregates, ExperimentPublic
from tests.abtest.simulation import (
    Scenario,
    arm,
    draw_posts,
    experiment,
    power_of,
    run_per_post,
)


def posts(seed: int, count: int, rate_a: float, rate_b: float,
          impressions: int = 2_000) -> Aggregates:
    rng = np.random.default_rng(seed)
    x_a = rng.integers(impressions // 2, impressions * 2, count).astype(float)
    x_b = rng.integers(impressions // 2, impressions * 2, count).astype(float)
    y_a = rng.binomial(x_a.astype(int), rng.beta(rate_a * 200, (1 - rate_a) * 200, count))
    y_b = rng.binomial(x_b.astype(int), rng.beta(rate_b * 200, (1 - rate_b) * 200, count))
    return Aggregates(experiment_id=1, data_version=1, arms=[
        arm("video", y_a.astype(float), x_a), arm("webinar", y_b.astype(float), x_b)])


def look(exp: ExperimentPublic, data: Aggregates) -> tuple[stats.TestResult, dict[str, Any]]:
    from services.abtest.evaluate import compare

    a, b = data.arms
    result = compare(exp.primary_metric, exp.unit, a, b, alpha=exp.alpha).result
    assert result is not None
    return result, evaluate(exp, data).model_dump()


def _seed_with_p(low: float, high: float, *, rate_a: float, rate_b: float) -> Aggregates:
    """Data whose per-post test p-value lies in (low, high)."""
    exp = experiment(design="fixed", unit="post", planned=20, mde=0.01)
    for seed in range(500):
        data = posts(seed, 20, rate_a=rate_a, rate_b=rate_b)
        result, _ = look(exp, data)
        if low < result.p_value < high:
            return data
    raise AssertionError("no such seed")


def test_fixed_design_names_a_winner_only_below_alpha() -> None:
    exp = experiment(design="fixed", unit="post", planned=20, mde=0.01)
    clear = _seed_with_p(0.0, 0.01, rate_a=0.03, rate_b=0.045)
    unclear = _seed_with_p(0.2, 1.0, rate_a=0.03, rate_b=0.033)

    assert look(exp, clear)[1]["decision"] == "stakeholder_better"
    assert look(exp, unclear)[1]["decision"] in ("no_difference", "inconclusive")
    assert look(exp, unclear)[1]["winner"] is None


def test_the_experiments_alpha_is_the_one_tested() -> None:
    data = _seed_with_p(0.012, 0.045, rate_a=0.03, rate_b=0.04)
    at_5 = evaluate(experiment(design="fixed", unit="post", planned=20, mde=0.01), data)
    at_1 = evaluate(experiment(design="fixed", unit="post", planned=20, mde=0.01, alpha=0.01),
                    data)

    assert at_5.decision == "stakeholder_better" and at_1.decision != "stakeholder_better"
    assert at_1.ci_low is not None and at_5.ci_low is not None and at_1.ci_low < at_5.ci_low
    assert "99% interval" in at_1.summary


def _reference_always_valid(result: stats.TestResult, mde: float, previous: float) -> float:
    """Johari et al. (2017) mixture likelihood ratio with tau^2 = mde^2, on the z scale of the
    test's own p-value: V = (diff / z)^2."""
    z = sps.norm.isf(result.p_value / 2)
    v, tau2 = (result.diff / z) ** 2, mde**2
    lam = math.sqrt(v / (v + tau2)) * math.exp(tau2 * result.diff**2 / (2 * v * (v + tau2)))
    return min(previous, 1 / lam)


@pytest.mark.parametrize("previous", [None, 0.8, 0.3])
def test_always_valid_p_is_the_mixture_ratio_carried_as_a_running_minimum(
        previous: float | None) -> None:
    data = _seed_with_p(0.02, 0.2, rate_a=0.03, rate_b=0.036)
    exp = experiment(design="always_valid", unit="post", planned=100, mde=0.01,
                     looks=[0.1], last_always_valid_p=previous)
    result, verdict = look(exp, data)

    expected = _reference_always_valid(result, 0.01, 1.0 if previous is None else previous)
    assert verdict["always_valid_p"] == pytest.approx(expected, rel=1e-9)
    assert 0.3 < _reference_always_valid(result, 0.01, 1.0) < 0.8  # carry-over shows
    assert stats.msprt_tau2(0.01) == pytest.approx(1e-4, rel=1e-12)


def test_a_stored_always_valid_p_of_zero_is_kept() -> None:
    data = _seed_with_p(0.3, 1.0, rate_a=0.03, rate_b=0.031)
    exp = experiment(design="always_valid", unit="post", planned=100, mde=0.01,
                     looks=[0.1], last_always_valid_p=0.0)
    assert evaluate(exp, data).always_valid_p == 0.0


def test_the_always_valid_winner_sits_beside_a_confidence_sequence_excluding_zero() -> None:
    data = _seed_with_p(0.0, 1e-4, rate_a=0.03, rate_b=0.05)
    verdict = evaluate(experiment(design="always_valid", unit="post", planned=100, mde=0.01),
                       data)
    assert verdict.decision == "stakeholder_better"
    assert verdict.ci_low is not None and verdict.ci_low > 0
    assert "confidence sequence" in verdict.summary and "always-valid test" in verdict.summary
    assert "look 1 with 20 posts per variant" in verdict.summary


@pytest.mark.parametrize(("team_share", "mismatch"), [(0.3, False), (0.7, True)])
def test_sample_ratio_is_checked_against_each_arms_planned_share(team_share: float,
                                                                  mismatch: bool) -> None:
    rng = np.random.default_rng(1)
    x_a, x_b = np.full(30, 1_000.0), np.full(70, 1_000.0)
    data = Aggregates(experiment_id=1, data_version=1, arms=[
        arm("video", rng.binomial(1_000, 0.03, 30).astype(float), x_a),
        arm("webinar", rng.binomial(1_000, 0.03, 70).astype(float), x_b)])
    exp = experiment(design="sequential", unit="post", planned=100, mde=0.01,
                     team_share=team_share)
    verdict = evaluate(exp, data)
    assert (verdict.decision == "invalid_srm") is mismatch
    assert verdict.srm_p_value == pytest.approx(
        sps.chisquare([30, 70], [100 * team_share, 100 * (1 - team_share)]).pvalue, rel=1e-9)


def test_tost_matches_statsmodels_on_the_linearised_posts() -> None:
    rng = np.random.default_rng(8)
    x_a, x_b = rng.integers(500, 3_000, 25).astype(float), rng.integers(500, 3_000, 25)
    y_a = rng.binomial(x_a.astype(int), 0.03).astype(float)
    y_b = rng.binomial(x_b.astype(int), 0.031).astype(float)

    def ratio_arm(y: np.ndarray, x: np.ndarray) -> stats.ArmRatio:
        return stats.ArmRatio(y.size, y.sum(), x.sum(), y @ y, x @ x, y @ x)

    def linearised(y: np.ndarray, x: np.ndarray) -> np.ndarray:
        r = y.sum() / x.sum()
        return r + (y - r * x) / x.mean()  # type: ignore[no-any-return]

    result = stats.compare_ratio(ratio_arm(y_a, x_a), ratio_arm(y_b, x_b.astype(float)))
    for margin in (0.002, 0.005, 0.01):
        reference = ttost_ind(linearised(y_b, x_b), linearised(y_a, x_a), -margin, margin,
                              usevar="unequal")[0]
        assert stats.tost_p_value(result, margin) == pytest.approx(reference, rel=1e-9)


def test_equivalence_margin_defaults_to_the_mde_and_can_be_set() -> None:
    data = posts(4, 40, rate_a=0.03, rate_b=0.03, impressions=20_000)
    wide = evaluate(experiment(design="fixed", unit="post", planned=40, mde=0.01), data)
    narrow = evaluate(experiment(design="fixed", unit="post", planned=40, mde=0.01,
                                 equivalence_margin=0.0001), data)
    assert wide.decision == "no_difference" and "within ±1 points" in wide.summary
    assert narrow.decision == "inconclusive" and "±0.01 points" in narrow.summary
    assert wide.equivalence_p_value is not None and wide.equivalence_p_value <= 0.05


def test_a_group_sequential_interval_is_the_repeated_confidence_interval() -> None:
    data = _seed_with_p(0.0, 1.0, rate_a=0.03, rate_b=0.035)
    exp = experiment(design="sequential", unit="post", planned=80, mde=0.01, looks=[0.125])
    result, verdict = look(exp, data)
    boundary = stats.gs_boundaries([0.125, 0.25])[-1]
    t_crit = sps.t.isf(sps.norm.sf(boundary), result.df)
    assert verdict["boundary"] == pytest.approx(boundary, rel=1e-12)
    assert verdict["ci_low"] == pytest.approx(result.diff - t_crit * result.std_error, rel=1e-9)
    assert verdict["ci_high"] == pytest.approx(result.diff + t_crit * result.std_error, rel=1e-9)
    assert "repeated confidence interval at look 2" in verdict["summary"]


def _multivariate_crossing(bounds: list[float], fractions: list[float]) -> float:
    """P_H0(|Z_j| >= c_j at some look j), Z_j = W(t_j) / sqrt(t_j), by Genz's algorithm."""
    t = np.asarray(fractions)
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    inside = sps.multivariate_normal(mean=np.zeros(t.size), cov=cov, abseps=1e-10,
                                     releps=1e-10, maxpts=2_000_000)
    b = np.asarray(bounds)
    return float(1.0 - inside.cdf(b, lower_limit=-b))


@pytest.mark.parametrize("fractions", [[0.5, 1.0], [0.2, 0.45, 1.0], [0.3, 0.6, 0.8, 1.0]])
@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_gs_boundaries_spend_exactly_the_planned_alpha(fractions: list[float],
                                                       alpha: float) -> None:
    bounds = stats.gs_boundaries(fractions, alpha)
    for k in range(1, len(fractions) + 1):
        planned = 2 * stats.obf_spending(fractions[k - 1], alpha / 2)
        assert _multivariate_crossing(bounds[:k], fractions[:k]) == pytest.approx(
            planned, abs=2e-6)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: stats.tost_p_value(stats.compare_ratio(
        stats.ArmRatio(3, 3, 300, 3, 30_000, 300), stats.ArmRatio(3, 3, 300, 3, 30_000, 300)),
        0.0), "margin"),
    (lambda: stats.msprt_half_width(1e-6, tau2=1e-4, alpha=1.5), "alpha"),
    (lambda: stats.msprt_half_width(1e-6, tau2=0.0, alpha=0.05), "tau2"),
    (lambda: stats.ArmRatio(3, 3, 300, 3, 30_000, 300, (1.0, 2.0)), "six"),  # type: ignore[arg-type]
    (lambda: sizing.required_posts(0.0, 0.01), "variance"),
    (lambda: sizing.required_posts(1e-4, 0.0), "effect"),
    (lambda: sizing.required_posts(1e-4, 0.01, power=1.0), "power"),
    (lambda: sizing.detectable_effect_posts(10, 1e-4, alpha=0.0), "alpha"),
    (lambda: stats.detectable_effect(stats.compare_ratio(
        stats.ArmRatio(3, 3, 300, 3, 30_000, 300), stats.ArmRatio(3, 3, 300, 3, 30_000, 300)),
        alpha=2.0, power=0.8), "alpha"),
])
def test_bad_inputs_are_value_errors(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_msprt_half_width_is_where_the_mixture_p_reaches_alpha() -> None:
    v, tau2 = 4e-6, 1e-4
    h = stats.msprt_half_width(v, tau2=tau2, alpha=0.05)
    assert stats.msprt_p_value(h, v, tau2=tau2) == pytest.approx(0.05, rel=1e-9)
    assert stats.msprt_half_width(0.0, tau2=tau2, alpha=0.05) == math.inf


def test_sizing_formulas_match_their_definitions() -> None:
    z_a, z_b = sps.norm.isf(0.025), sps.norm.ppf(0.8)
    n = 2 * 2e-4 * (z_a + z_b) ** 2 / 0.01**2 + z_a**2 / 4
    assert sizing.required_posts(2e-4, 0.01) == math.ceil(n)
    assert sizing.required_posts(2e-4, 0.01, variance_b=3e-4, extra_posts=3.8) == math.ceil(
        5e-4 * (z_a + z_b) ** 2 / 0.01**2 + z_a**2 / 4 + 3.8)
    assert sizing.detectable_effect_posts(n, 2e-4) == pytest.approx(0.01, rel=1e-12)
    assert sizing.detectable_effect_posts(n + 3.8, 2e-4, extra_posts=3.8) == pytest.approx(
        0.01, rel=1e-12)
    assert sizing.detectable_effect_posts(0.5, 2e-4) == math.inf
    assert sizing.rate_dispersion([1.0] * 5, [100.0] * 5) is None  # too little history
    assert sizing.log_value_variance([3.0] * 20) is None  # no spread


def test_the_planned_per_post_size_delivers_its_power() -> None:
    """Plan from a long history of the same kind of posts, then run the planned experiment."""
    rate, mde = 0.05, 0.015
    history = Scenario("history", kappa=100, posts_per_look=20_000, looks=1)
    y, x = draw_posts(np.random.default_rng(99), history, 1, rate)
    found = sizing.rate_dispersion(list(y[0]), list(x[0]))
    assert found is not None
    dispersion, m2 = found
    n = sizing.required_posts(dispersion * rate * (1 - rate), mde,
                              variance_b=dispersion * (rate + mde) * (1 - rate - mde),
                              extra_posts=2 * m2)
    sims = 800
    runs = run_per_post(np.random.default_rng(21),
                        Scenario("planned", kappa=100, posts_per_look=n, looks=1),
                        design="fixed", sims=sims, lift=mde, planned=n, mde=mde)
    power = power_of(runs)
    print(f"\nplanned {n} posts per arm (D {dispersion:.3f}, m2 {m2:.2f}): power {power:.3f}")
    assert 10 <= n <= 100
    assert abs(power - 0.8) <= 0.05


@pytest.mark.parametrize(("per_post_b", "warned"), [(1_200.0, True), (1_040.0, False)])
def test_an_impression_imbalance_per_post_is_a_warning_not_a_block(per_post_b: float,
                                                                   warned: bool) -> None:
    rng = np.random.default_rng(2)
    x_a = rng.normal(1_000.0, 30.0, 20).round()
    x_b = rng.normal(per_post_b, 30.0, 20).round()
    data = Aggregates(experiment_id=1, data_version=1, arms=[
        arm("video", rng.binomial(x_a.astype(int), 0.03).astype(float), x_a),
        arm("webinar", rng.binomial(x_b.astype(int), 0.03).astype(float), x_b)])
    verdict = evaluate(experiment(design="sequential", unit="post", planned=100, mde=0.01),
                       data)
    assert ("Warning: the video's posts had 998 impressions each" in verdict.summary) is warned
    assert verdict.decision == "keep_collecting"  # not invalid: posts were split as planned


def _fleiss_reference(p1: float, mde: float, alpha: float, power: float) -> float:
    p2, z_a, z_b = p1 + mde, sps.norm.isf(alpha / 2), sps.norm.ppf(power)
    pbar = (p1 + p2) / 2
    root = z_a * math.sqrt(2 * pbar * (1 - pbar)) + z_b * math.sqrt(p1 * (1 - p1)
                                                                   + p2 * (1 - p2))
    return (root / mde) ** 2  # type: ignore[no-any-return]


@pytest.mark.parametrize(("p1", "mde", "alpha", "power"), [
    (0.03, 0.005, 0.05, 0.8), (0.2, -0.05, 0.01, 0.9), (0.5, 0.1, 0.1, 0.6)])
def test_impression_sizing_and_power_match_fleiss(p1: float, mde: float, alpha: float,
                                                  power: float) -> None:
    n = sizing.required_sample_size_proportions(p1, mde, alpha=alpha, power=power)
    assert n == math.ceil(_fleiss_reference(p1, mde, alpha, power) - 1e-9)
    p2, z_a = p1 + mde, sps.norm.isf(alpha / 2)
    sd0 = math.sqrt(2 * (p1 + p2) / 2 * (1 - (p1 + p2) / 2))
    sd1 = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    for size in (3.0, 50.0, float(n)):
        shift = abs(mde) * math.sqrt(size)
        both_tails = (sps.norm.sf((z_a * sd0 - shift) / sd1)
                      + sps.norm.sf((z_a * sd0 + shift) / sd1))
        assert sizing.power_proportions(p1, mde, size, alpha=alpha) == pytest.approx(
            both_tails, rel=1e-9)
    assert sizing.power_proportions(p1, mde, 0) == 0.0


@pytest.mark.parametrize(("call", "message"), [
    (lambda: sizing.required_sample_size_proportions(0.0, 0.01), "must be in"),
    (lambda: sizing.required_sample_size_proportions(1.0, -0.01), "must be in"),
    (lambda: sizing.required_sample_size_proportions(0.5, 0.5), "must be in"),
    (lambda: sizing.required_sample_size_proportions(0.5, -0.5), "must be in"),
    (lambda: sizing.required_sample_size_proportions(0.5, 0.0), "non-zero"),
    (lambda: sizing.required_sample_size_proportions(0.5, 0.1, power=0.0), "power"),
    (lambda: sizing.required_sample_size_proportions(0.5, 0.1, power=1.0), "power"),
    (lambda: sizing.required_sample_size_proportions(0.5, 0.1, alpha=0.0), "alpha"),
    (lambda: sizing.required_sample_size_proportions(0.5, 0.1, alpha=1.0), "alpha"),
    (lambda: sizing.power_proportions(0.5, 0.1, -1), "n_per_arm"),
    (lambda: sizing.power_proportions(0.5, 0.1, 10, alpha=1.0), "alpha"),
    (lambda: sizing.required_posts(1e-4, 0.01, variance_b=0.0), "variance"),
    (lambda: sizing.required_posts(1e-4, 0.01, extra_posts=-1.0), "extra_posts"),
    (lambda: sizing.required_posts(1e-4, math.inf), "effect"),
    (lambda: sizing.required_posts(math.inf, 0.01), "variance"),
    (lambda: sizing.required_posts(1e-4, 0.01, power=0.0), "power"),
    (lambda: sizing.detectable_effect_posts(10, 0.0), "variance"),
    (lambda: sizing.detectable_effect_posts(10, 1e-4, power=1.0), "power"),
])
def test_bad_sizing_inputs_are_value_errors(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_history_statistics_match_their_formulas() -> None:
    rng = np.random.default_rng(6)
    x = rng.integers(200, 5_000, 30).astype(float)
    y = rng.binomial(x.astype(int), 0.04).astype(float)
    found = sizing.rate_dispersion(list(y), list(x))
    assert found is not None
    rate = y.sum() / x.sum()
    dispersion = ((y - rate * x) ** 2).sum() / 29 / x.mean() ** 2 / (rate * (1 - rate))
    assert found == pytest.approx((dispersion, (x**2).mean() / x.mean() ** 2), rel=1e-12)
    assert sizing.rate_dispersion(list(y[:9]), list(x[:9])) is None  # below 10 posts
    assert sizing.rate_dispersion(list(y[:10]), list(x[:10])) is not None
    assert sizing.rate_dispersion([0.0] * 12, list(x[:12])) is None  # no engagement
    assert sizing.rate_dispersion(list(x[:12]), list(x[:12])) is None  # every impression
    views = rng.lognormal(5, 1.2, 25)
    assert sizing.log_value_variance(list(views)) == pytest.approx(
        float(np.var(np.log1p(views), ddof=1)), rel=1e-12)
    assert sizing.log_value_variance(list(views[:9])) is None
    assert sizing.log_value_variance(list(views[:10])) is not None
