"""Trend statistics from per-group aggregates (never raw rows): Welch's t-test on log1p of
per-post counts, a delta-method z-test for engagement rate, and Holm's correction."""

import math
from dataclasses import dataclass

MIN_POSTS = 5


@dataclass(frozen=True)
class LogAgg:
    """n posts, sum of x, and the sum and sum of squares of log(1 + x) for one count metric."""

    n: int
    total: float
    log_sum: float
    log_sq: float

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    def log_mean_sd(self) -> tuple[float, float]:
        mean = self.log_sum / self.n
        var = max(0.0, (self.log_sq - self.n * mean * mean) / (self.n - 1))
        return mean, math.sqrt(var)


@dataclass(frozen=True)
class RatioAgg:
    """Per-post sums for engagement rate: n posts with impressions, Σe, Σi, Σe², Σi², Σe·i."""

    n: int
    e: float
    i: float
    ee: float
    ii: float
    ei: float

    @property
    def rate(self) -> float | None:
        return self.e / self.i if self.i else None

    def rate_variance(self) -> float:
        """Delta-method variance of Σe/Σi with the post as the unit:
        Var(R) ≈ (s_e² - 2R·s_ei + R²·s_i²) / (n · ī²)."""
        n, r = self.n, self.e / self.i
        mean_i = self.i / n
        s_ee = (self.ee - self.e * self.e / n) / (n - 1)
        s_ii = (self.ii - self.i * self.i / n) / (n - 1)
        s_ei = (self.ei - self.e * self.i / n) / (n - 1)
        return max(0.0, s_ee - 2 * r * s_ei + r * r * s_ii) / (n * mean_i * mean_i)


@dataclass(frozen=True)
class TestResult:
    p_value: float | None
    method: str


def compare_counts(current: LogAgg, previous: LogAgg) -> TestResult:
    """Two-sided Welch's t-test on log(1 + x) per post (counts are heavily skewed; the log
    compares typical posts, not the one viral outlier). None under MIN_POSTS a side."""
    method = "Welch t-test on log(1+x) per post"
    if current.n < MIN_POSTS or previous.n < MIN_POSTS:
        return TestResult(None, method)
    m1, s1 = current.log_mean_sd()
    m0, s0 = previous.log_mean_sd()
    if s1 == 0 and s0 == 0:
        return TestResult(1.0 if m1 == m0 else 0.0, method)
    # Imported here: SciPy adds about 70 MB to a process, and only trend reports need it.
    from scipy import stats

    p = stats.ttest_ind_from_stats(m1, s1, current.n, m0, s0, previous.n, equal_var=False).pvalue
    return TestResult(float(p), method)


def compare_rates(current: RatioAgg, previous: RatioAgg) -> TestResult:
    """Two-sided z-test on the difference of engagement rates, each a ratio of sums whose
    variance comes from the posts (delta method), not from counting impressions as trials."""
    method = "z-test on engagement rate, delta-method variance over posts"
    if current.n < MIN_POSTS or previous.n < MIN_POSTS or not current.i or not previous.i:
        return TestResult(None, method)
    se = math.sqrt(current.rate_variance() + previous.rate_variance())
    diff = (current.e / current.i) - (previous.e / previous.i)
    if se == 0:
        return TestResult(1.0 if diff == 0 else 0.0, method)
    return TestResult(math.erfc(abs(diff) / se / math.sqrt(2.0)), method)  # 2 P(Z > |z|)


def holm(p_values: list[float | None]) -> list[float | None]:
    """Holm-adjusted p-values (family-wise error control over the report's tests)."""
    present = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(present)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(present):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted
