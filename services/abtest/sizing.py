"""Sample size, power and detectable effects: the two-proportion z-test (impressions) and
the Welch t-test of per-post values (posts); the normal distribution is all they need.

Free of NumPy and SciPy, so the API can plan an experiment without loading them (about 70 MB
of resident memory per process); `stats` re-exports these for the evaluator.
"""

import math
from statistics import NormalDist

_NORMAL = NormalDist()


def _isf(p: float) -> float:
    """The standard normal's upper quantile z with P(Z > z) = p (accurate for small p)."""
    return -_NORMAL.inv_cdf(p)


def _sf(z: float) -> float:
    """P(Z > z), by erfc so far tails keep their precision."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")


def _check_rates(p_base: float, mde_abs: float) -> tuple[float, float]:
    p_alt = p_base + mde_abs
    if not 0.0 < p_base < 1.0 or not 0.0 < p_alt < 1.0:
        raise ValueError(f"p_base ({p_base}) and p_base + mde_abs ({p_alt}) must be in (0, 1)")
    if mde_abs == 0:
        raise ValueError("mde_abs must be non-zero")
    return p_base, p_alt


def _null_and_alt_sd(p1: float, p2: float) -> tuple[float, float]:
    pooled = (p1 + p2) / 2.0
    return math.sqrt(2.0 * pooled * (1.0 - pooled)), math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))


def required_sample_size_proportions(
    p_base: float, mde_abs: float, *, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Impressions per arm for the two-sided pooled z-test to detect p_base -> p_base + mde_abs.

    Fleiss' formula without continuity correction (pooled variance under H0, unpooled under H1):
    n = (z_{1-alpha/2} sqrt(2 pbar (1 - pbar)) + z_{power} sqrt(p1 q1 + p2 q2))^2 / mde^2,
    pbar = (p1 + p2) / 2, rounded up; equal arms; the far rejection tail is ignored.
    """
    _check_alpha(alpha)
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be in (0, 1), got {power}")
    p1, p2 = _check_rates(p_base, mde_abs)
    sd0, sd1 = _null_and_alt_sd(p1, p2)
    root = _isf(alpha / 2.0) * sd0 + _NORMAL.inv_cdf(power) * sd1
    return math.ceil((root / mde_abs) ** 2 - 1e-9)


def power_proportions(
    p_base: float, mde_abs: float, n_per_arm: float, *, alpha: float = 0.05
) -> float:
    """Power of the two-sided pooled z-test with n_per_arm impressions per arm (both tails).

    Normal approximation matching `required_sample_size_proportions` (pooled variance under H0,
    unpooled under H1). An empty arm (n_per_arm = 0) has power 0.
    """
    _check_alpha(alpha)
    if n_per_arm < 0:
        raise ValueError("n_per_arm must be >= 0")
    p1, p2 = _check_rates(p_base, mde_abs)
    if n_per_arm == 0:
        return 0.0
    sd0, sd1 = _null_and_alt_sd(p1, p2)
    crit = _isf(alpha / 2.0)
    shift = abs(mde_abs) * math.sqrt(n_per_arm)
    return _sf((crit * sd0 - shift) / sd1) + _sf((crit * sd0 + shift) / sd1)


# Per-post sizing: the post is the unit, so the variance that matters is between posts.

# With fewer history posts than this, the fallbacks below stand in for the team's own variance.
MIN_HISTORY_POSTS = 10
# Dispersion index of per-post rates without history: the variance of a post's linearised
# rate is D r (1 - r) at rate r; D = 0.01 is ten times the binomial variance of posts of 1,000
# impressions (real between-post variance is 4-28 times the binomial).
FALLBACK_DISPERSION = 0.01
# mean(impressions^2) / mean(impressions)^2 of posts without history (lognormal, sigma 0.8).
FALLBACK_LEVERAGE = 1.9
# Standard deviation of log1p(value) per post (video views, watch time) without history:
# values spread over about a factor e either way.
FALLBACK_LOG_SD = 1.0


def _check_power(power: float) -> None:
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be in (0, 1), got {power}")


def _check_variance(variance: float) -> None:
    if not variance > 0 or not math.isfinite(variance):
        raise ValueError(f"variance must be finite and > 0, got {variance}")


def required_posts(variance: float, effect: float, *, variance_b: float | None = None,
                   extra_posts: float = 0.0, alpha: float = 0.05, power: float = 0.8) -> int:
    """Posts per arm for a two-sided Welch t-test of means of per-post values to detect
    `effect`, per-post variance `variance` in the team's arm and `variance_b` (default the
    same) in the other; equal arms.

    Normal formula with Guenther's (1981) small-sample correction for the t reference:
    n = (var_a + var_b) (z_{1-alpha/2} + z_power)^2 / effect^2 + z_{1-alpha/2}^2 / 4
    + extra_posts, rounded up. For a rate (engagement rate) pass the variance of the linearised
    per-post rate at each arm's rate (`rate_dispersion`) and extra_posts = 2 m2, the cost of
    the leverage correction; for skewed values the variance of log1p(x), effect log1p(mde).
    """
    _check_alpha(alpha)
    _check_power(power)
    _check_variance(variance)
    variance_b = variance if variance_b is None else variance_b
    _check_variance(variance_b)
    if effect == 0 or not math.isfinite(effect):
        raise ValueError("effect must be finite and non-zero")
    if extra_posts < 0:
        raise ValueError(f"extra_posts must be >= 0, got {extra_posts}")
    z_alpha = _isf(alpha / 2.0)
    root = z_alpha + _NORMAL.inv_cdf(power)
    n = (variance + variance_b) * root**2 / effect**2 + z_alpha**2 / 4.0 + extra_posts
    return math.ceil(n - 1e-9)


def detectable_effect_posts(n_per_arm: float, variance: float, *, extra_posts: float = 0.0,
                            alpha: float = 0.05, power: float = 0.8) -> float:
    """The smallest |effect| `required_posts` would plan n_per_arm posts per arm for, with the
    same variance in both arms: (z_{1-alpha/2} + z_power)
    sqrt(2 variance / (n - z_{1-alpha/2}^2 / 4 - extra_posts)); inf when n is too small."""
    _check_alpha(alpha)
    _check_power(power)
    _check_variance(variance)
    z_alpha = _isf(alpha / 2.0)
    usable = n_per_arm - z_alpha**2 / 4.0 - extra_posts
    if usable <= 0:
        return math.inf
    return (z_alpha + _NORMAL.inv_cdf(power)) * math.sqrt(2.0 * variance / usable)


def rate_dispersion(engagements: list[float],
                    impressions: list[float]) -> tuple[float, float] | None:
    """(D, m2) from history posts: the dispersion index D of the linearised per-post rate,
    sum (y_i - R x_i)^2 / (n - 1) / mean(x)^2 / (R (1 - R)) with R = sum y / sum x, so the
    per-post variance at rate r is D r (1 - r); and m2 = mean(x^2) / mean(x)^2, the posts'
    leverage. None with fewer than MIN_HISTORY_POSTS posts or no engagement at all."""
    n = len(impressions)
    total_x, total_y = sum(impressions), sum(engagements)
    if n < MIN_HISTORY_POSTS or total_x <= 0 or not 0 < total_y < total_x:
        return None
    rate = total_y / total_x
    mean_x = total_x / n
    resid_sq = sum((y - rate * x) ** 2 for y, x in zip(engagements, impressions, strict=True))
    m2 = sum(x * x for x in impressions) / n / mean_x**2
    return resid_sq / (n - 1) / mean_x**2 / (rate * (1.0 - rate)), m2


def log_value_variance(values: list[float]) -> float | None:
    """Sample variance of log1p(value) over history posts; None below MIN_HISTORY_POSTS
    posts or when they do not vary (use FALLBACK_LOG_SD squared)."""
    n = len(values)
    if n < MIN_HISTORY_POSTS:
        return None
    logs = [math.log1p(v) for v in values]
    mean = sum(logs) / n
    variance = sum((v - mean) ** 2 for v in logs) / (n - 1)
    return variance if variance > 0 else None
