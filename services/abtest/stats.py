"""A/B-test statistics from per-arm summary statistics: tests, intervals, power, sequential designs.

Pure numpy/scipy, no I/O; fetching aggregates and wording verdicts belong to the evaluator.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, SupportsIndex, overload

import numpy as np
import numpy.typing as npt
from scipy import optimize, special
from scipy import stats as sps

from services.abtest.sizing import _check_alpha
from services.abtest.sizing import power_proportions as power_proportions  # re-exported
from services.abtest.sizing import (
    required_sample_size_proportions as required_sample_size_proportions,  # re-exported
)

FloatArray = npt.NDArray[np.float64]

Z_TEST = "two-proportion z-test (pooled)"
FISHER = "Fisher's exact test"
DELTA_RATIO = "Welch t-test on linearised per-post ratio, Satterthwaite df (unit: post)"
WELCH = "Welch's t-test"
WELCH_LOG = "Welch's t-test on log1p scale"

# Fisher's exact test replaces the z-test when an expected cell count of the 2x2 table is below
# this (Cochran's rule for the chi-square approximation).
MIN_EXPECTED_CELL = 5.0

# Points per unit of the Jennison & Turnbull (2000, ch. 19) integration grid; r = 32 gives
# boundaries accurate to about 1e-6.
_GRID_R = 32

# Relative slack on Cauchy-Schwarz checks of summed moments, for float rounding upstream.
_MOMENT_SLACK = 1e-9


def _as_int(name: str, value: object) -> int:
    if isinstance(value, SupportsIndex):
        return operator.index(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError(f"{name} must be a whole number, got {value!r}")


def _as_finite(name: str, value: float) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value}")
    return number


def _check_second_moment(name: str, n: int, total: float, total_sq: float) -> None:
    if total_sq < 0:
        raise ValueError(f"{name}: sum of squares must be >= 0, got {total_sq}")
    if total * total > n * total_sq * (1.0 + _MOMENT_SLACK) + 1e-12:
        raise ValueError(
            f"{name}: sum^2 = {total * total} exceeds n * sum of squares = {n * total_sq}; "
            "the moments cannot come from real data (fields swapped?)"
        )


@dataclass(frozen=True)
class ArmCounts:
    """Impression-level counts of one arm: `successes` (e.g. engagements) out of `n` trials."""

    n: int
    successes: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", _as_int("n", self.n))
        object.__setattr__(self, "successes", _as_int("successes", self.successes))
        if self.n < 0:
            raise ValueError(f"n must be >= 0, got {self.n}")
        if self.successes < 0:
            raise ValueError(f"successes must be >= 0, got {self.successes}")
        if self.successes > self.n:
            raise ValueError(f"successes ({self.successes}) cannot exceed n ({self.n})")


@dataclass(frozen=True)
class ArmRatio:
    """Per-post sums of one arm for a ratio metric sum(num) / sum(den), e.g. engagement rate.

    `sum_num_sq`, `sum_den_sq` and `sum_num_den` are sums over posts of num^2, den^2 and num*den.
    The optional `leverage` moments (sums of num^2 den, num^2 den^2, num den^2, num den^3,
    den^3, den^4, in that order) let `compare_ratio` correct each post's residual for its
    leverage (see there); without them it falls back to the n / (n - 1) correction.
    """

    posts: int
    sum_num: float
    sum_den: float
    sum_num_sq: float
    sum_den_sq: float
    sum_num_den: float
    leverage: tuple[float, float, float, float, float, float] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "posts", _as_int("posts", self.posts))
        if self.posts < 0:
            raise ValueError(f"posts must be >= 0, got {self.posts}")
        for name in ("sum_num", "sum_den", "sum_num_sq", "sum_den_sq", "sum_num_den"):
            object.__setattr__(self, name, _as_finite(name, getattr(self, name)))
        if self.leverage is not None:
            if len(self.leverage) != 6:
                raise ValueError("leverage needs six moments")
            object.__setattr__(self, "leverage", tuple(
                _as_finite("leverage moment", v) for v in self.leverage))
        if self.sum_den < 0:
            raise ValueError(f"sum_den must be >= 0, got {self.sum_den}")
        _check_second_moment("num", self.posts, self.sum_num, self.sum_num_sq)
        _check_second_moment("den", self.posts, self.sum_den, self.sum_den_sq)
        bound = self.sum_num_sq * self.sum_den_sq * (1.0 + _MOMENT_SLACK) + 1e-12
        if self.sum_num_den * self.sum_num_den > bound:
            raise ValueError("sum_num_den^2 exceeds sum_num_sq * sum_den_sq (Cauchy-Schwarz)")


@dataclass(frozen=True)
class ArmMoments:
    """Per-post moments of one arm for a continuous value x >= 0 (e.g. video views).

    `total_log` and `total_log_sq` are sums of log1p(x) and log1p(x)^2.
    """

    n: int
    total: float
    total_sq: float
    total_log: float
    total_log_sq: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", _as_int("n", self.n))
        if self.n < 0:
            raise ValueError(f"n must be >= 0, got {self.n}")
        for name in ("total", "total_sq", "total_log", "total_log_sq"):
            object.__setattr__(self, name, _as_finite(name, getattr(self, name)))
        _check_second_moment("raw", self.n, self.total, self.total_sq)
        _check_second_moment("log1p", self.n, self.total_log, self.total_log_sq)


@dataclass(frozen=True)
class TestResult:
    """Outcome of a two-arm comparison; differences are b - a, intervals at level 1 - alpha.

    `rel_*` is b / a - 1 with a log-scale (delta-method) interval; None when a's estimate is 0.
    `statistic` is z or t; None for Fisher's exact test. `std_error` is the (unpooled) standard
    error of `diff`; `var_a` and `var_b` are the variances of each arm's estimate. `df` is the
    Welch-Satterthwaite degrees of freedom of a t reference, None for a normal reference (or
    Fisher). `log_scale`: estimates and diff are on the log1p scale.
    """

    __test__: ClassVar[bool] = False  # not a pytest test class despite its name

    method: str
    unit: str
    estimate_a: float
    estimate_b: float
    diff: float
    ci_low: float
    ci_high: float
    rel_diff: float | None
    rel_ci_low: float | None
    rel_ci_high: float | None
    p_value: float
    statistic: float | None
    std_error: float
    var_a: float = 0.0
    var_b: float = 0.0
    df: float | None = None
    log_scale: bool = False


@dataclass(frozen=True)
class SequentialDecision:
    """Decision of a group-sequential test at its current look (look is 1-based)."""

    reject: bool
    boundary: float
    spent_alpha: float
    look: int
    info_fraction: float


def _relative(
    est_a: float, var_a: float, est_b: float, var_b: float, crit: float
) -> tuple[float | None, float | None, float | None]:
    """b / a - 1 with the interval exp(log(b / a) +- crit * se) - 1, se by the delta method.

    se^2 = var_a / a^2 + var_b / b^2 (log-ratio interval, no Fieller). No interval when b <= 0.
    """
    if est_a <= 0:
        return None, None, None
    rel = est_b / est_a - 1.0
    if est_b <= 0:
        return rel, None, None
    log_ratio = math.log(est_b / est_a)
    se = math.sqrt(var_a / est_a**2 + var_b / est_b**2)
    return rel, _expm1_or_none(log_ratio - crit * se), _expm1_or_none(log_ratio + crit * se)


def _expm1_or_none(x: float) -> float | None:
    """exp(x) - 1, None where it is not a finite float (an early look's very wide interval)."""
    if not x < 700.0:
        return None
    return math.expm1(x)


def _two_sided_normal_p(z: float) -> float:
    return min(1.0, 2.0 * float(special.ndtr(-abs(z))))


def _z_or_degenerate(diff: float, se: float) -> tuple[float, float]:
    """(z, p) for diff / se; with no noise at all, equal arms give p = 1 and unequal ones p = 0."""
    if se > 0:
        z = diff / se
        return z, _two_sided_normal_p(z)
    if diff == 0:
        return 0.0, 1.0
    return math.copysign(math.inf, diff), 0.0


def _fisher_two_sided(x: int, row: int, other_row: int, col: int) -> float:
    """Two-sided Fisher p for x successes out of `row`, `col` successes in both rows together.

    Sums the hypergeometric tables no more likely than the observed one, with R's relative
    tolerance 1e-7 for ties. The same value as scipy.stats.fisher_exact, but it enumerates the
    support by the pmf ratio recurrence, so it stays fast for rows of 1e9 impressions where
    scipy's hypergeom takes seconds; the support has at most min(row, other_row, col) + 1 tables.
    """
    lo, hi = max(0, col - other_row), min(row, col)
    k = np.arange(lo, hi, dtype=np.float64)
    log_step = np.log((row - k) * (col - k)) - np.log((k + 1) * (other_row - col + k + 1))
    log_pmf = np.concatenate(([0.0], np.cumsum(log_step)))
    pmf = np.exp(log_pmf - log_pmf.max())
    pmf /= pmf.sum()
    observed = pmf[x - lo]
    return min(1.0, float(pmf[pmf <= observed * (1.0 + 1e-7)].sum()))


def compare_proportions(a: ArmCounts, b: ArmCounts, *, alpha: float = 0.05) -> TestResult:
    """Two-sided test that both arms succeed at the same rate, impressions as independent trials.

    Pooled two-proportion z-test (equal to Pearson's chi-square without continuity correction).
    When any expected cell of the 2x2 table, row total * column total / grand total, is below 5,
    two-sided Fisher's exact test instead (statistic None). Interval for b - a: unpooled Wald;
    for b / a - 1: log-ratio delta method. Assumes independent Bernoulli trials, so it fits one
    post shown to a split audience, not a rate over several posts (use `compare_ratio`).
    Zero successes in both arms, or identical arms, give p = 1. ValueError if an arm has n = 0.
    """
    _check_alpha(alpha)
    if a.n == 0 or b.n == 0:
        raise ValueError("each arm needs at least one impression (n > 0)")
    p_a = a.successes / a.n
    p_b = b.successes / b.n
    diff = p_b - p_a
    var_a = p_a * (1.0 - p_a) / a.n
    var_b = p_b * (1.0 - p_b) / b.n
    se = math.sqrt(var_a + var_b)
    crit = float(sps.norm.isf(alpha / 2.0))

    total = a.n + b.n
    hits = a.successes + b.successes
    min_expected = min(a.n, b.n) * min(hits, total - hits) / total
    statistic: float | None
    if min_expected < MIN_EXPECTED_CELL:
        method = FISHER
        statistic = None
        if hits == 0 or hits == total:
            p_value = 1.0
        else:
            p_value = _fisher_two_sided(b.successes, b.n, a.n, hits)
    else:
        method = Z_TEST
        pooled = hits / total
        se0 = math.sqrt(pooled * (1.0 - pooled) * (1.0 / a.n + 1.0 / b.n))
        statistic, p_value = _z_or_degenerate(diff, se0)

    rel, rel_low, rel_high = _relative(p_a, var_a, p_b, var_b, crit)
    return TestResult(
        method=method,
        unit="impression",
        estimate_a=p_a,
        estimate_b=p_b,
        diff=diff,
        ci_low=diff - crit * se,
        ci_high=diff + crit * se,
        rel_diff=rel,
        rel_ci_low=rel_low,
        rel_ci_high=rel_high,
        p_value=p_value,
        statistic=statistic,
        std_error=se,
        var_a=var_a,
        var_b=var_b,
    )


def compare_proportions_many(
    a_n: npt.ArrayLike,
    a_s: npt.ArrayLike,
    b_n: npt.ArrayLike,
    b_s: npt.ArrayLike,
    *,
    alpha: float = 0.05,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Pooled two-proportion z-test element-wise over arrays; returns (z, p, diff, ci_low, ci_high).

    Same test and unpooled Wald interval as `compare_proportions`, but never falls back to Fisher's
    exact test: check expected cells yourself for small counts. Where neither arm varies (all
    successes or none) z = 0 and p = 1. ValueError if any n <= 0 or successes are outside [0, n].
    """
    _check_alpha(alpha)
    na = np.asarray(a_n, dtype=np.float64)
    sa = np.asarray(a_s, dtype=np.float64)
    nb = np.asarray(b_n, dtype=np.float64)
    sb = np.asarray(b_s, dtype=np.float64)
    if (na <= 0).any() or (nb <= 0).any():
        raise ValueError("each arm needs at least one impression (n > 0)")
    if (sa < 0).any() or (sb < 0).any() or (sa > na).any() or (sb > nb).any():
        raise ValueError("successes must lie in [0, n]")
    inv_a = 1.0 / na
    inv_b = 1.0 / nb
    p_a = sa * inv_a
    p_b = sb * inv_b
    diff = p_b - p_a
    pooled = (sa + sb) / (na + nb)
    var0 = pooled * (1.0 - pooled) * (inv_a + inv_b)
    z = np.zeros_like(diff)
    np.divide(diff, np.sqrt(var0), out=z, where=var0 > 0)
    p = np.minimum(1.0, 2.0 * special.ndtr(-np.abs(z)))
    crit = float(special.ndtri(1.0 - alpha / 2.0))
    half = crit * np.sqrt(p_a * (1.0 - p_a) * inv_a + p_b * (1.0 - p_b) * inv_b)
    return z, p, diff, diff - half, diff + half


def _ratio_and_variance(arm: ArmRatio, name: str) -> tuple[float, float]:
    """The arm's ratio R = sum(num) / sum(den) and the leverage-corrected variance of R.

    Residuals e_i = num_i - R den_i; post i's leverage in the ratio is h_i = den_i / sum(den).
    Var(R) = sum_i e_i^2 / (1 - h_i)^2 / sum(den)^2 (the jackknife-type HC3 / CR3 variance,
    MacKinnon & White 1985), with 1 / (1 - h)^2 expanded to 1 + 2h + 3h^2 so that it needs only
    per-arm sums: sum e^2 h^k = (sum num^2 den^k - 2R sum num den^(k+1) + R^2 sum den^(k+2))
    / sum(den)^k. Without the leverage moments: sum e^2 n / (n - 1) / sum(den)^2 (HC1), which
    rejects 6-8% of A/A tests at 10-30 overdispersed posts per arm against 4-5% with HC3.
    """
    if arm.posts < 2:
        raise ValueError(f"arm {name} needs at least 2 posts for a per-post variance")
    if arm.sum_den <= 0:
        raise ValueError(f"arm {name} has no denominator (sum_den = 0)")
    ratio = arm.sum_num / arm.sum_den
    # sum over posts of (num - ratio * den)^2; the residuals sum to zero by construction.
    resid_sq = arm.sum_num_sq - 2.0 * ratio * arm.sum_num_den + ratio * ratio * arm.sum_den_sq
    total = arm.sum_den
    if arm.leverage is None:
        n = arm.posts
        return ratio, max(resid_sq, 0.0) * n / ((n - 1) * total**2)
    sq_den, sq_den2, num_den2, num_den3, den3, den4 = arm.leverage
    weighted1 = (sq_den - 2.0 * ratio * num_den2 + ratio * ratio * den3) / total
    weighted2 = (sq_den2 - 2.0 * ratio * num_den3 + ratio * ratio * den4) / total**2
    corrected = max(resid_sq, 0.0) + 2.0 * max(weighted1, 0.0) + 3.0 * max(weighted2, 0.0)
    return ratio, corrected / total**2


def _t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t (scipy.special: the stats wrappers cost ~100 us a call)."""
    return float(special.stdtr(df, -t))


def _t_isf(p: float, df: float) -> float:
    """The t with P(T > t) = p."""
    return -float(special.stdtrit(df, p))


def _satterthwaite(var_a: float, n_a: int, var_b: float, n_b: int) -> float | None:
    """Welch-Satterthwaite df of var_a + var_b (variances of two means); None with no noise."""
    denominator = var_a**2 / (n_a - 1) + var_b**2 / (n_b - 1)
    if denominator <= 0:
        return None
    return (var_a + var_b) ** 2 / denominator


def _t_or_degenerate(diff: float, se: float, df: float | None) -> tuple[float, float]:
    """(t, two-sided p) against Student's t with df; the normal-free degenerate cases as z."""
    if se > 0 and df is not None:
        t = diff / se
        return t, min(1.0, 2.0 * _t_sf(abs(t), df))
    return _z_or_degenerate(diff, se)


def compare_ratio(a: ArmRatio, b: ArmRatio, *, alpha: float = 0.05) -> TestResult:
    """Two-sided Welch t-test of a ratio metric sum(num) / sum(den) with the post as the unit.

    Each post is linearised, u_i = (num_i - R den_i) / mean(den) (the delta method), so the
    ratio's variance is that of a mean of independent posts, each residual corrected for the
    post's leverage (see `_ratio_and_variance`); arms independent, variances unpooled. The
    reference is Student's t with Welch-Satterthwaite df, not the normal: with 10-30
    overdispersed posts per arm a normal-reference delta-method z rejects 8-11% of A/A tests
    at 5%, the t with the plain variance 6-8%, the t with the leverage-corrected one 4-5%.
    Intervals: b - a +- t_{1-alpha/2, df} se; b / a - 1 by the log-ratio delta method with the
    same t quantile. If no post varies in either arm, equal ratios give p = 1 and different
    ones p = 0. ValueError if an arm has fewer than 2 posts or sum_den = 0.
    """
    _check_alpha(alpha)
    r_a, var_a = _ratio_and_variance(a, "a")
    r_b, var_b = _ratio_and_variance(b, "b")
    diff = r_b - r_a
    se = math.sqrt(var_a + var_b)
    df = _satterthwaite(var_a, a.posts, var_b, b.posts)
    statistic, p_value = _t_or_degenerate(diff, se, df)
    crit = _t_isf(alpha / 2.0, df) if df is not None else 0.0
    rel, rel_low, rel_high = _relative(r_a, var_a, r_b, var_b, crit)
    return TestResult(
        method=DELTA_RATIO,
        unit="post",
        estimate_a=r_a,
        estimate_b=r_b,
        diff=diff,
        ci_low=diff - crit * se,
        ci_high=diff + crit * se,
        rel_diff=rel,
        rel_ci_low=rel_low,
        rel_ci_high=rel_high,
        p_value=p_value,
        statistic=statistic,
        std_error=se,
        var_a=var_a,
        var_b=var_b,
        df=df,
    )


def _mean_and_var(n: int, total: float, total_sq: float) -> tuple[float, float]:
    mean = total / n
    return mean, max(total_sq - total * mean, 0.0) / (n - 1)


def compare_means(
    a: ArmMoments, b: ArmMoments, *, alpha: float = 0.05, log_scale: bool = False
) -> TestResult:
    """Two-sided Welch's t-test (unequal variances) of per-post means, from summary statistics.

    `log_scale=True` compares means of log1p(x), the choice for skewed values such as video views;
    then estimates, diff and its interval are on the log1p scale and rel_diff = exp(diff) - 1 is
    the ratio of geometric means of 1 + x, minus 1. On the raw scale rel_diff is b / a - 1 with a
    log-ratio delta-method interval. Intervals use the Welch-Satterthwaite t quantile. Assumes
    independent posts and near-normal means. If no post varies in either arm, equal means give
    p = 1 and different ones p = 0. ValueError if an arm has fewer than 2 posts.
    """
    _check_alpha(alpha)
    if a.n < 2 or b.n < 2:
        raise ValueError("each arm needs at least 2 posts for Welch's t-test")
    if log_scale:
        mean_a, var_a = _mean_and_var(a.n, a.total_log, a.total_log_sq)
        mean_b, var_b = _mean_and_var(b.n, b.total_log, b.total_log_sq)
    else:
        mean_a, var_a = _mean_and_var(a.n, a.total, a.total_sq)
        mean_b, var_b = _mean_and_var(b.n, b.total, b.total_sq)
    diff = mean_b - mean_a
    se2_a = var_a / a.n
    se2_b = var_b / b.n
    se = math.sqrt(se2_a + se2_b)
    statistic: float
    df = _satterthwaite(se2_a, a.n, se2_b, b.n)
    if se > 0 and df is not None:
        statistic, p_value = _t_or_degenerate(diff, se, df)
        crit = _t_isf(alpha / 2.0, df)
    else:
        statistic, p_value = _z_or_degenerate(diff, se)
        crit = 0.0
    ci_low, ci_high = diff - crit * se, diff + crit * se
    rel: float | None
    rel_low: float | None
    rel_high: float | None
    if log_scale:
        rel, rel_low, rel_high = math.expm1(diff), math.expm1(ci_low), math.expm1(ci_high)
    else:
        rel, rel_low, rel_high = _relative(mean_a, se2_a, mean_b, se2_b, crit)
    return TestResult(
        method=WELCH_LOG if log_scale else WELCH,
        unit="post",
        estimate_a=mean_a,
        estimate_b=mean_b,
        diff=diff,
        ci_low=ci_low,
        ci_high=ci_high,
        rel_diff=rel,
        rel_ci_low=rel_low,
        rel_ci_high=rel_high,
        p_value=p_value,
        statistic=statistic,
        std_error=se,
        var_a=se2_a,
        var_b=se2_b,
        df=df,
        log_scale=log_scale,
    )


def z_equivalent(result: TestResult) -> float:
    """The z with the test's two-sided p-value and the sign of diff: how a t, Fisher or z
    result is put on the normal scale of the group-sequential and always-valid designs."""
    if result.p_value <= 0:
        return math.copysign(math.inf, result.diff) if result.diff else math.inf
    return math.copysign(-float(special.ndtri(result.p_value / 2.0)), result.diff or 1.0)


def _multiplier(result: TestResult, z_crit: float) -> float:
    """Multiplier k on std_error such that diff +- k se excludes 0 exactly when the result's own
    test rejects at the two-sided level 2 (1 - Phi(z_crit)).

    t-tests: the t quantile at that level (z boundary -> t quantile at the same nominal level).
    Impression-level z and Fisher tests: the test-based interval (Miettinen 1976), se scaled by
    |diff| / (se |z_eq|), so the pooled z (or Fisher) p-value and the interval always agree.
    """
    if not math.isfinite(z_crit):
        return math.inf
    if result.df is not None:
        return _t_isf(float(special.ndtr(-z_crit)), result.df)
    z_eq = z_equivalent(result)
    if result.unit == "impression" and result.std_error > 0 and 0 < abs(z_eq) < math.inf:
        return z_crit * abs(result.diff) / (abs(z_eq) * result.std_error)
    return z_crit


def adjusted_interval(
    result: TestResult, z_crit: float
) -> tuple[float, float, float | None, float | None]:
    """(ci_low, ci_high, rel_ci_low, rel_ci_high) at a design's critical value on the z scale.

    A group-sequential look passes its boundary c_k (a repeated confidence interval), the
    always-valid design its confidence-sequence width, a fixed test z_{1-alpha/2}. The interval
    excludes 0 exactly when the test rejects at that critical value (see `_multiplier`), so
    a verdict's words and interval cannot disagree. Infinite z_crit gives (-inf, inf).
    """
    k = _multiplier(result, z_crit)
    if not math.isfinite(k):
        return -math.inf, math.inf, None, None
    low, high = result.diff - k * result.std_error, result.diff + k * result.std_error
    if result.log_scale:
        return low, high, _expm1_or_none(low), _expm1_or_none(high)
    _, rel_low, rel_high = _relative(result.estimate_a, result.var_a, result.estimate_b,
                                     result.var_b, k)
    return low, high, rel_low, rel_high


def tost_p_value(result: TestResult, margin: float) -> float:
    """Two one-sided tests (Schuirmann 1987) of |b - a| >= margin against |b - a| < margin.

    p = max(P(T >= (diff + margin) / se), P(T <= (diff - margin) / se)) with the result's own
    reference (t with its df, else normal; unpooled se). Equivalence at level alpha exactly when
    the 1 - 2 alpha interval lies within +-margin. With no noise: 0 inside the margin, else 1.
    """
    if not margin > 0 or not math.isfinite(margin):
        raise ValueError(f"margin must be finite and > 0, got {margin}")
    se = result.std_error
    if se <= 0:
        return 0.0 if abs(result.diff) < margin else 1.0
    lower = (result.diff + margin) / se
    upper = (result.diff - margin) / se
    if result.df is not None:
        return max(_t_sf(lower, result.df), _t_sf(-upper, result.df))
    return float(max(special.ndtr(-lower), special.ndtr(upper)))


def detectable_effect(result: TestResult, *, alpha: float, power: float) -> float:
    """The smallest |difference| these data would detect with the given power in a two-sided
    test at alpha: (z_{1-alpha/2} + z_power) se (t quantiles with the result's df)."""
    _check_alpha(alpha)
    if result.df is not None:
        q = float(sps.t.isf(alpha / 2.0, result.df) + sps.t.ppf(power, result.df))
    else:
        q = float(sps.norm.isf(alpha / 2.0) + sps.norm.ppf(power))
    return q * result.std_error


def srm_check(
    n_a: int, n_b: int, *, expected_share_a: float = 0.5, threshold: float = 0.001
) -> tuple[float, bool]:
    """Sample ratio mismatch: chi-square goodness-of-fit (1 df) of arm sizes to the planned split.

    Returns (p_value, mismatch) with mismatch = p_value < threshold; the strict default threshold
    keeps false alarms rare when the check runs at every look. Both arms empty: (1.0, False).
    """
    if n_a < 0 or n_b < 0:
        raise ValueError("arm sizes must be >= 0")
    if not 0.0 < expected_share_a < 1.0:
        raise ValueError(f"expected_share_a must be in (0, 1), got {expected_share_a}")
    total = n_a + n_b
    if total == 0:
        return 1.0, False
    exp_a = total * expected_share_a
    exp_b = total - exp_a
    chi2 = (n_a - exp_a) ** 2 / exp_a + (n_b - exp_b) ** 2 / exp_b
    p_value = float(special.chdtrc(1, chi2))
    return p_value, p_value < threshold


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values (family-wise error), in the input order.

    adj_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)) over ascending p. Empty input gives [].
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.size == 0:
        return []
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("p-values must lie in [0, 1]")
    order = np.argsort(p, kind="stable")
    m = p.size
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return [float(x) for x in adjusted]


def obf_spending(t: float, alpha: float = 0.05) -> float:
    """Lan-DeMets O'Brien-Fleming-type alpha spending: 2 (1 - Phi(z_{1-alpha/2} / sqrt(t))).

    Cumulative alpha allowed by information fraction t; t <= 0 spends nothing and t >= 1 (overrun)
    is capped at 1, spending exactly alpha. `gs_boundaries` applies it to each tail at alpha / 2.
    """
    _check_alpha(alpha)
    if t <= 0:
        return 0.0
    if t >= 1:
        return alpha
    return 2.0 * float(special.ndtr(float(special.ndtri(alpha / 2.0)) / math.sqrt(t)))


def _jt_grid(lo: float, hi: float, r: int) -> tuple[FloatArray, FloatArray]:
    """Jennison & Turnbull (2000, s. 19.2) grid on (lo, hi) for a N(0, 1) z, Simpson weights."""
    i = np.arange(1, 6 * r, dtype=np.float64)
    x = np.where(
        i < r,
        -3.0 - 4.0 * np.log(r / i),
        np.where(i <= 5 * r, -3.0 + 3.0 * (i - r) / (2 * r), 3.0 + 4.0 * np.log(r / (6 * r - i))),
    )
    lo, hi = max(lo, float(x[0])), min(hi, float(x[-1]))
    knots = np.concatenate(([lo], x[(x > lo) & (x < hi)], [hi]))
    step = np.diff(knots)
    z = np.empty(2 * knots.size - 1)
    z[0::2] = knots
    z[1::2] = knots[:-1] + step / 2.0
    w = np.zeros_like(z)
    w[0:-1:2] += step / 6.0
    w[1::2] += 4.0 * step / 6.0
    w[2::2] += step / 6.0
    return z, w


def _two_sided_spent(t: float, alpha: float) -> float:
    return 2.0 * obf_spending(t, alpha / 2.0)


def _log_crossing_excess(
    c: float, s_prev: FloatArray, mass: FloatArray, sd: float, root_t: float, log_target: float
) -> float:
    """log P(continue to the previous look, then |Z_k| >= c) - log target."""
    up = special.ndtr((s_prev - c * root_t) / sd)
    down = special.ndtr((-s_prev - c * root_t) / sd)
    return math.log(max(float(mass @ (up + down)), 1e-300)) - log_target


@lru_cache(maxsize=256)
def _gs_boundaries(fractions: tuple[float, ...], alpha: float) -> tuple[float, ...]:
    spent = [_two_sided_spent(t, alpha) for t in fractions]
    increments = np.diff(np.asarray([0.0, *spent])).clip(min=0.0)
    bounds: list[float] = []
    # Sub-density of S_{k-1} = Z_{k-1} sqrt(t_{k-1}) over paths still running, as quadrature nodes
    # and masses (density times weight); before the first look, a point mass at S_0 = 0.
    s_prev = np.zeros(1)
    mass = np.ones(1)
    prev_t = 0.0
    for k, t in enumerate(fractions):
        sd, root_t = math.sqrt(t - prev_t), math.sqrt(t)
        target = float(increments[k])
        if target <= 0:
            c = math.inf
        else:
            args = (s_prev, mass, sd, root_t, math.log(target))
            c_hi = float(sps.norm.isf(target / 2.0))
            while _log_crossing_excess(c_hi, *args) > 0:
                c_hi += 0.5
            c = float(optimize.brentq(_log_crossing_excess, 0.0, c_hi, args=args, xtol=1e-12))
        bounds.append(c)
        if k + 1 < len(fractions):
            z, w = _jt_grid(-c, c, _GRID_R)
            s_next = z * root_t
            gap = (s_next[:, None] - s_prev[None, :]) / sd
            density = (np.exp(-0.5 * gap**2) / (sd * math.sqrt(2.0 * math.pi))) @ mass
            s_prev, mass, prev_t = s_next, density * w * root_t, t
    return tuple(bounds)


def gs_boundaries(info_fractions: Sequence[float], alpha: float = 0.05) -> list[float]:
    """Two-sided efficacy boundaries c_k (reject when |Z_k| >= c_k) of a group-sequential test.

    O'Brien-Fleming-type Lan-DeMets spending for arbitrary, unequal looks, symmetric: each tail
    spends obf_spending(t, alpha / 2), the convention of gsDesign, rpact and the DeMets-Lan
    tables (5 equal looks at alpha 0.05: 4.877, 3.357, 2.680, 2.290, 2.031). The boundaries solve
    P_H0(|Z_j| >= c_j at some look j <= k) = 2 obf_spending(t_k, alpha / 2) exactly, integrating
    the canonical joint distribution of the Z_k (Brownian motion in information; Armitage,
    McPherson & Rowe recursion on the Jennison & Turnbull 2000 ch. 19 grid, accurate to ~1e-6).
    Assumes the Z_k are z-statistics of cumulative data, asymptotically normal. Fractions must be
    > 0 and strictly increasing; spending is capped at t = 1 (overrun), so a look after one at
    t >= 1 gets no alpha and an infinite boundary; correlations use the fractions as given.
    """
    _check_alpha(alpha)
    fractions = tuple(float(t) for t in info_fractions)
    if not fractions:
        return []
    if not all(math.isfinite(t) and t > 0 for t in fractions):
        raise ValueError("information fractions must be finite and > 0")
    if any(b <= a for a, b in itertools.pairwise(fractions)):
        raise ValueError("information fractions must be strictly increasing")
    return list(_gs_boundaries(fractions, float(alpha)))


def gs_test(
    z: float | Sequence[float], info_fractions: Sequence[float], *, alpha: float = 0.05
) -> SequentialDecision:
    """Group-sequential decision at the current (last) look with O'Brien-Fleming-type spending.

    `info_fractions` lists every look so far (n_k / planned n), current look last. `z` is either
    the current z-statistic or the history of z-statistics, one per look; with a history, a
    crossing at an earlier look also rejects. Boundaries from `gs_boundaries`; spent_alpha is the
    cumulative two-sided alpha spent by the current look, 2 obf_spending(t, alpha / 2).
    No look yet (empty fractions) is a ValueError.
    """
    if not info_fractions:
        raise ValueError("at least one look is needed")
    bounds = gs_boundaries(info_fractions, alpha)
    history = np.atleast_1d(np.asarray(z, dtype=np.float64))
    if history.ndim != 1 or history.size not in (1, len(bounds)):
        raise ValueError("z must be the current z-statistic or one z-statistic per look")
    if np.isnan(history).any():
        raise ValueError("z must not be NaN")
    reject = bool((np.abs(history) >= np.asarray(bounds[-history.size :])).any())
    current = float(info_fractions[-1])
    return SequentialDecision(
        reject=reject,
        boundary=bounds[-1],
        spent_alpha=_two_sided_spent(current, alpha),
        look=len(bounds),
        info_fraction=current,
    )


def msprt_tau2(mde_abs: float) -> float:
    """Mixing variance tau^2 for `msprt_p_value`: the square of the planned minimum effect.

    The mixture likelihood ratio is most sensitive at the horizon for tau^2 = theta^2 - V_N; with a
    planned power of 80-90 % V_N is about theta^2 / 8, so tau = MDE is close to the optimum.
    """
    if mde_abs == 0 or not math.isfinite(mde_abs):
        raise ValueError("mde_abs must be finite and non-zero")
    return mde_abs * mde_abs


@overload
def msprt_p_value(
    diff: float, variance: float, *, tau2: float, previous_p: float = 1.0
) -> float: ...


@overload
def msprt_p_value(
    diff: FloatArray, variance: FloatArray, *, tau2: float, previous_p: float | FloatArray = 1.0
) -> FloatArray: ...


def msprt_p_value(
    diff: float | FloatArray,
    variance: float | FloatArray,
    *,
    tau2: float,
    previous_p: float | FloatArray = 1.0,
) -> float | FloatArray:
    """Always-valid p-value of a mixture SPRT (Johari, Pekelis & Walsh 2017), updated at one look.

    For an estimate diff ~ N(theta, V) of cumulative data and mixing prior theta ~ N(0, tau2):
    Lambda = sqrt(V / (V + tau2)) exp(tau2 diff^2 / (2 V (V + tau2))),
    p = min(previous_p, 1 / Lambda).
    Rejecting when p <= alpha keeps the type I error <= alpha however often and whenever one
    looks. Start with previous_p = 1; choose tau2 with `msprt_tau2`. Works element-wise on arrays.
    No information yet (V <= 0, e.g. an empty arm) leaves previous_p unchanged.
    """
    if not tau2 > 0:
        raise ValueError("tau2 must be > 0")
    d = np.asarray(diff, dtype=np.float64)
    v = np.asarray(variance, dtype=np.float64)
    prev = np.asarray(previous_p, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_inv_lr = 0.5 * np.log1p(tau2 / v) - tau2 * d * d / (2.0 * v * (v + tau2))
        p = np.where(v > 0, np.minimum(prev, np.exp(np.minimum(log_inv_lr, 0.0))), prev)
    if p.ndim == 0:
        return float(p)
    return p.astype(np.float64)


def msprt_half_width(variance: float, *, tau2: float, alpha: float) -> float:
    """Half-width of the mixture SPRT's confidence sequence at one look: the theta with
    1 / Lambda(diff - theta) = alpha, i.e.
    h = sqrt(2 V (V + tau2) / tau2 (log(1 / alpha) + log(1 + tau2 / V) / 2)).
    diff +- h covers the true difference at every look at once with probability >= 1 - alpha,
    and excludes 0 exactly when this look's `msprt_p_value` (before the running minimum) is
    <= alpha. No information (V <= 0) gives an infinite width.
    """
    _check_alpha(alpha)
    if not tau2 > 0:
        raise ValueError("tau2 must be > 0")
    if not variance > 0:
        return math.inf
    v = float(variance)
    return math.sqrt(2.0 * v * (v + tau2) / tau2 * (math.log(1.0 / alpha)
                                                    + 0.5 * math.log1p(tau2 / v)))
