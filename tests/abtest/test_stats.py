"""services.abtest.stats against scipy/statsmodels on raw data; error rates by simulation."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    power_proportions_2indep,
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from services.abtest import stats
from services.abtest.stats import ArmCounts, ArmMoments, ArmRatio

FloatArray = npt.NDArray[np.float64]

# (id, a_n, a_successes, b_n, b_successes, expected method)
PROPORTION_CASES = [
    ("typical", 10_000, 500, 10_000, 560, stats.Z_TEST),
    ("unequal-arms", 8_000, 240, 12_500, 450, stats.Z_TEST),
    ("tiny-counts", 20, 2, 25, 9, stats.FISHER),
    ("zero-in-one-arm", 4_000, 0, 4_000, 20, stats.Z_TEST),
    ("zero-in-one-arm-small", 30, 0, 30, 6, stats.FISHER),
    ("zero-in-both-arms", 1_000, 0, 1_000, 0, stats.FISHER),
    ("all-successes-both-arms", 40, 40, 50, 50, stats.FISHER),
    ("identical-arms", 5_000, 250, 5_000, 250, stats.Z_TEST),
    ("very-large-n", 1_000_000_000, 50_000_000, 1_000_000_000, 50_010_000, stats.Z_TEST),
    ("very-large-n-rare-event", 1_000_000_000, 2, 1_000_000_000, 7, stats.FISHER),
]


@pytest.mark.parametrize(
    ("a_n", "a_s", "b_n", "b_s", "method"),
    [case[1:] for case in PROPORTION_CASES],
    ids=[case[0] for case in PROPORTION_CASES],
)
def test_compare_proportions_matches_statsmodels_and_scipy(
    a_n: int, a_s: int, b_n: int, b_s: int, method: str
) -> None:
    result = stats.compare_proportions(ArmCounts(a_n, a_s), ArmCounts(b_n, b_s), alpha=0.05)

    assert result.method == method
    assert result.unit == "impression"
    if method == stats.Z_TEST:
        z_ref, p_ref = proportions_ztest([b_s, a_s], [b_n, a_n])
        table = np.array([[b_s, b_n - b_s], [a_s, a_n - a_s]])
        chi2_p = sps.chi2_contingency(table, correction=False).pvalue
        assert result.statistic == pytest.approx(z_ref, rel=1e-6, abs=1e-12)
        assert result.p_value == pytest.approx(p_ref, rel=1e-6)
        assert result.p_value == pytest.approx(chi2_p, rel=1e-6)
    else:
        p_ref = sps.fisher_exact([[b_s, b_n - b_s], [a_s, a_n - a_s]]).pvalue
        assert result.statistic is None
        assert result.p_value == pytest.approx(p_ref, rel=1e-6)
    assert result.estimate_a == pytest.approx(a_s / a_n, rel=1e-12)
    assert result.estimate_b == pytest.approx(b_s / b_n, rel=1e-12)
    low, high = confint_proportions_2indep(b_s, b_n, a_s, a_n, method="wald", compare="diff")
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-6, abs=1e-15)
    if a_s > 0 and b_s > 0:
        r_low, r_high = confint_proportions_2indep(
            b_s, b_n, a_s, a_n, method="log", compare="ratio"
        )
        assert result.rel_diff == pytest.approx((b_s / b_n) / (a_s / a_n) - 1, rel=1e-9, abs=1e-15)
        assert (result.rel_ci_low, result.rel_ci_high) == pytest.approx(
            (r_low - 1, r_high - 1), rel=1e-6
        )


@pytest.mark.parametrize(
    ("a", "b"),
    [(ArmCounts(1_000, 0), ArmCounts(1_000, 0)), (ArmCounts(5_000, 250), ArmCounts(5_000, 250))],
    ids=["zero-successes-both", "identical"],
)
def test_arms_without_difference_give_p_one_not_nan(a: ArmCounts, b: ArmCounts) -> None:
    result = stats.compare_proportions(a, b)

    assert result.p_value == 1.0
    assert result.diff == 0.0
    assert not math.isnan(result.ci_low) and not math.isnan(result.ci_high)


def test_relative_difference_is_none_when_control_rate_is_zero() -> None:
    result = stats.compare_proportions(ArmCounts(4_000, 0), ArmCounts(4_000, 20))

    assert (result.rel_diff, result.rel_ci_low, result.rel_ci_high) == (None, None, None)


def test_proportions_with_an_empty_arm_are_rejected() -> None:
    with pytest.raises(ValueError, match="at least one impression"):
        stats.compare_proportions(ArmCounts(0, 0), ArmCounts(100, 5))


@pytest.mark.parametrize(
    ("n", "successes", "message"),
    [(-1, 0, "n must be >= 0"), (10, -1, "successes must be >= 0"), (10, 11, "cannot exceed")],
)
def test_invalid_counts_are_rejected(n: int, successes: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ArmCounts(n, successes)


def test_vectorised_proportions_equal_scalar_results() -> None:
    rng = np.random.default_rng(11)
    a_n = rng.integers(1_000, 200_000, 300)
    b_n = rng.integers(1_000, 200_000, 300)
    a_s = rng.binomial(a_n, rng.uniform(0.02, 0.3, 300))
    b_s = rng.binomial(b_n, rng.uniform(0.02, 0.3, 300))

    z, p, diff, low, high = stats.compare_proportions_many(a_n, a_s, b_n, b_s, alpha=0.1)

    for i in range(300):
        one = stats.compare_proportions(
            ArmCounts(int(a_n[i]), int(a_s[i])), ArmCounts(int(b_n[i]), int(b_s[i])), alpha=0.1
        )
        assert one.method == stats.Z_TEST
        assert (z[i], p[i], diff[i], low[i], high[i]) == pytest.approx(
            (one.statistic, one.p_value, one.diff, one.ci_low, one.ci_high), rel=1e-9, abs=1e-15
        )


def test_vectorised_proportions_without_variance_give_p_one() -> None:
    z, p, *_ = stats.compare_proportions_many([10, 10], [0, 10], [20, 20], [0, 20])

    assert z.tolist() == [0.0, 0.0]
    assert p.tolist() == [1.0, 1.0]


def ratio_arm(num: FloatArray, den: FloatArray) -> ArmRatio:
    return ArmRatio(
        posts=len(num),
        sum_num=float(num.sum()),
        sum_den=float(den.sum()),
        sum_num_sq=float((num * num).sum()),
        sum_den_sq=float((den * den).sum()),
        sum_num_den=float((num * den).sum()),
    )


def delta_variance_reference(num: FloatArray, den: FloatArray) -> float:
    """Textbook delta method for mean(num) / mean(den), moments from np.cov."""
    cov = np.cov(num, den, ddof=1)
    mx, my = num.mean(), den.mean()
    return float(
        (cov[0, 0] / my**2 - 2 * mx * cov[0, 1] / my**3 + mx**2 * cov[1, 1] / my**4) / len(num)
    )


def linearised(num: FloatArray, den: FloatArray) -> FloatArray:
    ratio = num.sum() / den.sum()
    return ratio + (num - ratio * den) / den.mean()  # type: ignore[no-any-return]


def test_ratio_metric_uses_per_post_variance_not_impressions() -> None:
    imp_a = np.array(
        [45_000, 60_000, 50_000, 55_000, 47_000, 52_000, 40_000, 65_000, 43_000, 50_000]
    )
    eng_a = np.array([1_800, 3_720, 2_250, 3_190, 2_350, 1_924, 2_640, 3_185, 2_279, 2_050])
    imp_b = imp_a[::-1].copy()
    eng_b = np.array([3_100, 1_892, 4_615, 2_120, 2_080, 2_773, 2_640, 3_350, 2_700, 2_520])

    result = stats.compare_ratio(
        ratio_arm(eng_a.astype(float), imp_a.astype(float)),
        ratio_arm(eng_b.astype(float), imp_b.astype(float)),
    )
    naive = stats.compare_proportions(
        ArmCounts(int(imp_a.sum()), int(eng_a.sum())), ArmCounts(int(imp_b.sum()), int(eng_b.sum()))
    )

    var = delta_variance_reference(eng_a, imp_a) + delta_variance_reference(eng_b, imp_b)
    diff = eng_b.sum() / imp_b.sum() - eng_a.sum() / imp_a.sum()
    # Welch's t-test (scipy) on the linearised posts R + (num - R den) / mean(den).
    welch = sps.ttest_ind(linearised(eng_b, imp_b), linearised(eng_a, imp_a), equal_var=False)
    ci = welch.confidence_interval(0.95)
    assert result.method == stats.DELTA_RATIO
    assert result.unit == "post"
    assert result.diff == pytest.approx(diff, rel=1e-9)
    assert result.std_error == pytest.approx(math.sqrt(var), rel=1e-9)
    assert result.statistic == pytest.approx(welch.statistic, rel=1e-9)
    assert result.df == pytest.approx(welch.df, rel=1e-9)
    assert result.p_value == pytest.approx(welch.pvalue, rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9)
    assert 0.2 < result.p_value < 0.4
    assert naive.p_value == pytest.approx(
        proportions_ztest([eng_b.sum(), eng_a.sum()], [imp_b.sum(), imp_a.sum()])[1], rel=1e-6
    )
    assert naive.p_value < 1e-20


def test_ratio_variance_matches_binomial_when_posts_are_homogeneous() -> None:
    rng = np.random.default_rng(5)
    imp_a = rng.integers(500, 5_000, 2_000).astype(float)
    imp_b = rng.integers(500, 5_000, 2_000).astype(float)
    eng_a = rng.binomial(imp_a.astype(int), 0.05).astype(float)
    eng_b = rng.binomial(imp_b.astype(int), 0.05).astype(float)

    ratio = stats.compare_ratio(ratio_arm(eng_a, imp_a), ratio_arm(eng_b, imp_b))
    naive = stats.compare_proportions(
        ArmCounts(int(imp_a.sum()), int(eng_a.sum())), ArmCounts(int(imp_b.sum()), int(eng_b.sum()))
    )

    assert ratio.std_error == pytest.approx(naive.std_error, rel=0.1)


def test_ratio_with_fewer_than_two_posts_is_rejected() -> None:
    one_post = ArmRatio(1, 10.0, 200.0, 100.0, 40_000.0, 2_000.0)
    two_posts = ArmRatio(2, 20.0, 400.0, 200.0, 80_000.0, 4_000.0)

    with pytest.raises(ValueError, match="at least 2 posts"):
        stats.compare_ratio(one_post, two_posts)


def test_inconsistent_ratio_moments_are_rejected() -> None:
    with pytest.raises(ValueError, match="cannot come from real data"):
        ArmRatio(10, 100.0, 1_000.0, 50.0, 200_000.0, 10_000.0)


def moments(x: FloatArray) -> ArmMoments:
    log = np.log1p(x)
    return ArmMoments(len(x), x.sum(), (x * x).sum(), log.sum(), (log * log).sum())


@pytest.mark.parametrize("log_scale", [False, True], ids=["raw", "log1p"])
def test_welch_from_moments_matches_scipy_on_raw_data(log_scale: bool) -> None:
    rng = np.random.default_rng(7)
    views_a = np.floor(rng.lognormal(6.0, 1.4, 40))
    views_b = np.floor(rng.lognormal(6.4, 1.1, 55))

    result = stats.compare_means(moments(views_a), moments(views_b), alpha=0.1, log_scale=log_scale)

    a, b = (np.log1p(views_a), np.log1p(views_b)) if log_scale else (views_a, views_b)
    ref = sps.ttest_ind(b, a, equal_var=False)
    low, high = CompareMeans(DescrStatsW(b), DescrStatsW(a)).tconfint_diff(
        alpha=0.1, usevar="unequal"
    )
    assert result.method == (stats.WELCH_LOG if log_scale else stats.WELCH)
    assert result.statistic == pytest.approx(ref.statistic, rel=1e-6)
    assert result.p_value == pytest.approx(ref.pvalue, rel=1e-6)
    assert result.diff == pytest.approx(b.mean() - a.mean(), rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-6)
    if log_scale:
        assert result.rel_diff == pytest.approx(math.expm1(b.mean() - a.mean()), rel=1e-9)
        assert result.rel_ci_low == pytest.approx(math.expm1(low), rel=1e-6)
    else:
        assert result.rel_diff == pytest.approx(b.mean() / a.mean() - 1, rel=1e-9)


def test_welch_with_constant_equal_arms_gives_p_one() -> None:
    flat = moments(np.full(5, 3.0))

    assert stats.compare_means(flat, flat).p_value == 1.0


def test_welch_with_fewer_than_two_posts_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least 2 posts"):
        stats.compare_means(moments(np.array([3.0])), moments(np.array([1.0, 2.0])))


@pytest.mark.parametrize(
    ("n_a", "n_b", "share", "mismatch"),
    [(10_000, 10_400, 0.5, False), (10_000, 10_600, 0.5, True), (3_000, 7_000, 0.3, False)],
)
def test_srm_check_matches_chisquare(n_a: int, n_b: int, share: float, mismatch: bool) -> None:
    total = n_a + n_b

    p_value, flagged = stats.srm_check(n_a, n_b, expected_share_a=share)

    ref = sps.chisquare([n_a, n_b], [total * share, total * (1 - share)]).pvalue
    assert p_value == pytest.approx(ref, rel=1e-6)
    assert flagged is mismatch


def test_srm_check_on_empty_arms_reports_no_mismatch() -> None:
    assert stats.srm_check(0, 0) == (1.0, False)


@pytest.mark.parametrize(
    ("p_base", "mde", "alpha", "power"),
    [(0.05, 0.005, 0.05, 0.8), (0.2, -0.03, 0.01, 0.9), (0.5, 0.1, 0.05, 0.8)],
)
def test_sample_size_and_power_match_statsmodels_fleiss(
    p_base: float, mde: float, alpha: float, power: float
) -> None:
    n = stats.required_sample_size_proportions(p_base, mde, alpha=alpha, power=power)

    p1, p2 = p_base + mde, p_base
    pbar = (p1 + p2) / 2
    fleiss = (
        sps.norm.isf(alpha / 2) * math.sqrt(2 * pbar * (1 - pbar))
        + sps.norm.ppf(power) * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    ) ** 2 / mde**2
    assert n == math.ceil(fleiss)
    assert n == math.ceil(samplesize_proportions_2indep_onetail(mde, p_base, power, alpha=alpha))
    achieved = stats.power_proportions(p_base, mde, n, alpha=alpha)
    ref = power_proportions_2indep(mde, p_base, n, alpha=alpha).power
    assert achieved == pytest.approx(ref, rel=1e-6)
    assert achieved >= power


@pytest.mark.parametrize(
    "p_values",
    [[0.01, 0.04, 0.03, 0.005], [0.2, 0.2, 0.01, 0.5, 0.04], [0.9], [0.001, 1.0, 0.6]],
)
def test_holm_matches_statsmodels(p_values: list[float]) -> None:
    ref = multipletests(p_values, method="holm")[1]

    assert stats.holm(p_values) == pytest.approx(list(ref), rel=1e-9)


def test_obf_spending_reaches_alpha_at_full_information_and_caps_overrun() -> None:
    assert stats.obf_spending(0.3, 0.05) == pytest.approx(
        2 * sps.norm.sf(sps.norm.isf(0.025) / math.sqrt(0.3)), rel=1e-9
    )
    assert stats.obf_spending(1.0, 0.05) == 0.05
    assert stats.obf_spending(1.7, 0.05) == 0.05
    assert stats.obf_spending(0.0, 0.05) == 0.0


def simulated_cumulative_crossing(
    fractions: list[float], bounds: list[float], sims: int, seed: int
) -> FloatArray:
    """P(|Z_j| >= c_j at some look j <= k) for Z_k of a Brownian motion observed at `fractions`."""
    rng = np.random.default_rng(seed)
    t = np.asarray(fractions)
    steps = rng.standard_normal((sims, t.size)) * np.sqrt(np.diff(t, prepend=0.0))
    z = np.cumsum(steps, axis=1) / np.sqrt(t)
    crossed = np.maximum.accumulate(np.abs(z) >= np.asarray(bounds), axis=1)
    return np.asarray(crossed.mean(axis=0), dtype=np.float64)


def test_gs_boundaries_for_five_equal_looks_match_published_values() -> None:
    bounds = stats.gs_boundaries([0.2, 0.4, 0.6, 0.8, 1.0], alpha=0.05)

    assert bounds == pytest.approx([4.877, 3.357, 2.680, 2.290, 2.031], abs=1e-2)


@pytest.mark.parametrize(
    "fractions",
    [[0.2, 0.4, 0.6, 0.8, 1.0], [0.15, 0.4, 0.45, 0.8, 1.0], [0.5, 1.3]],
    ids=["equal", "unequal", "overrun"],
)
def test_gs_boundaries_spend_alpha_as_planned_in_simulation(fractions: list[float]) -> None:
    sims = 200_000
    bounds = stats.gs_boundaries(fractions, alpha=0.05)

    crossing = simulated_cumulative_crossing(fractions, bounds, sims, seed=3)

    planned = np.array([2 * stats.obf_spending(t, 0.025) for t in fractions])
    se = np.sqrt(planned * (1 - planned) / sims)
    assert np.all(np.abs(crossing - planned) <= 4 * se + 1e-4)
    assert crossing[-1] == pytest.approx(0.05, abs=3 * math.sqrt(0.05 * 0.95 / sims))


def test_gs_single_look_is_the_fixed_test() -> None:
    assert stats.gs_boundaries([1.0]) == pytest.approx([sps.norm.isf(0.025)], rel=1e-9)


def test_gs_looks_after_full_information_get_no_alpha() -> None:
    assert stats.gs_boundaries([0.5, 1.0, 1.2])[-1] == math.inf


@pytest.mark.parametrize("fractions", [[0.5, 0.5], [0.6, 0.4], [0.0, 1.0]])
def test_gs_boundaries_reject_bad_information_fractions(fractions: list[float]) -> None:
    with pytest.raises(ValueError, match="information fractions"):
        stats.gs_boundaries(fractions)


def test_gs_test_rejects_only_beyond_the_current_boundary() -> None:
    fractions = [0.25, 0.5, 0.75]
    boundary = stats.gs_boundaries(fractions)[-1]

    below = stats.gs_test(boundary - 0.01, fractions)
    above = stats.gs_test(-(boundary + 0.01), fractions)

    assert not below.reject and above.reject
    assert below.boundary == boundary
    assert below.look == 3
    assert below.spent_alpha == pytest.approx(2 * stats.obf_spending(0.75, 0.025), rel=1e-12)


def test_gs_test_with_history_keeps_an_earlier_rejection() -> None:
    fractions = [0.5, 1.0]
    first = stats.gs_boundaries(fractions)[0]

    decision = stats.gs_test([first + 0.1, 0.3], fractions)

    assert decision.reject


def test_gs_test_rejects_a_z_history_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="one z-statistic per look"):
        stats.gs_test([0.1, 0.2], [0.2, 0.4, 0.6])


def test_msprt_p_value_matches_the_mixture_likelihood_ratio() -> None:
    diff, variance, tau2 = 0.004, 2.5e-6, 0.005**2
    lam = math.sqrt(variance / (variance + tau2)) * math.exp(
        tau2 * diff**2 / (2 * variance * (variance + tau2))
    )

    assert stats.msprt_p_value(diff, variance, tau2=tau2) == pytest.approx(1 / lam, rel=1e-9)
    assert stats.msprt_p_value(diff, variance, tau2=tau2, previous_p=0.01) == 0.01
    assert stats.msprt_p_value(0.0, 0.0, tau2=tau2, previous_p=0.3) == 0.3


def test_msprt_vectorised_equals_scalar() -> None:
    diff = np.array([0.0, 0.003, -0.01])
    variance = np.array([1e-6, 4e-6, 9e-6])
    previous = np.array([1.0, 0.5, 0.2])

    many = stats.msprt_p_value(diff, variance, tau2=1e-4, previous_p=previous)

    for i in range(3):
        one = stats.msprt_p_value(
            float(diff[i]), float(variance[i]), tau2=1e-4, previous_p=float(previous[i])
        )
        assert many[i] == pytest.approx(one, rel=1e-12)


def daily_look_rejections(
    rng: np.random.Generator, sims: int, rate_b: float
) -> dict[str, npt.NDArray[np.bool_]]:
    """Per design, whether it rejected within 20 daily looks of 1,000 impressions per arm."""
    looks, daily, base = 20, 1_000, 0.05
    s_a = np.cumsum(rng.binomial(daily, base, (sims, looks)), axis=1)
    s_b = np.cumsum(rng.binomial(daily, rate_b, (sims, looks)), axis=1)
    n = np.broadcast_to(daily * np.arange(1, looks + 1), (sims, looks))
    z, p, diff, _, _ = (
        x.reshape(sims, looks)
        for x in stats.compare_proportions_many(n.ravel(), s_a.ravel(), n.ravel(), s_b.ravel())
    )
    bounds = np.asarray(stats.gs_boundaries([k / looks for k in range(1, looks + 1)]))
    variance = (s_a * (n - s_a) + s_b * (n - s_b)) / n**3
    always_valid = np.ones(sims)
    for k in range(looks):
        always_valid = stats.msprt_p_value(
            diff[:, k], variance[:, k], tau2=stats.msprt_tau2(0.005), previous_p=always_valid
        )
    return {
        "horizon": p[:, -1] < 0.05,
        "every_look": np.asarray((p < 0.05).any(axis=1), dtype=np.bool_),
        "group_sequential": np.asarray((np.abs(z) >= bounds).any(axis=1), dtype=np.bool_),
        "msprt": always_valid <= 0.05,
    }


def test_repeated_looks_inflate_fixed_test_but_not_sequential_designs() -> None:
    sims = 2_000
    three_se = 3 * math.sqrt(0.05 * 0.95 / sims)

    rejected = daily_look_rejections(np.random.default_rng(2024), sims, rate_b=0.05)

    assert rejected["every_look"].mean() > 0.12
    assert rejected["group_sequential"].mean() <= 0.05 + three_se
    assert rejected["msprt"].mean() <= 0.05 + three_se


def test_group_sequential_keeps_nearly_the_power_of_a_single_final_test() -> None:
    rejected = daily_look_rejections(np.random.default_rng(99), 2_000, rate_b=0.055)

    single, sequential = rejected["horizon"].mean(), rejected["group_sequential"].mean()

    assert sequential >= single - 0.05
