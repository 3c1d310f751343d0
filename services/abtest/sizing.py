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
# Squared coefficient of variation of a post's linearised rate, (y - R x) / mean(x) / R, when
# the network has too little history: per-post engagement rates typically vary by +-70% of
# their mean (4-28 times the binomial variance at 1,000 impressions a post).
FALLBACK_RATE_CV2 = 0.5
# Standard deviation of log1p(value) per post (video views, watch time) without history:
# values spread over about a factor e either way.
FALLBACK_LOG_SD = 1.0


def _check_power(power: float) -> None:
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be in (0, 1), got {power}")


def required_posts(variance: float, effect: float, *, alpha: float = 0.05,
                   power: float = 0.8) -> int:
    """Posts per arm for a two-sided Welch t-test of means of per-post values with the given
    per-post variance to detect `effect` (equal arms).

    Normal formula with Guenther's (1981) small-sample correction for the t reference:
    n = 2 variance (z_{1-alpha/2} + z_power)^2 / effect^2 + z_{1-alpha/2}^2 / 4, rounded up.
    For a ratio metric (engagement rate) pass the variance of the linearised per-post rate,
    `ratio_post_variance`; for skewed values the variance of log1p(x) and effect log1p(mde).
    """
    _check_alpha(alpha)
    _check_power(power)
    if not variance > 0 or not math.isfinite(variance):
        raise ValueError(f"variance must be finite and > 0, got {variance}")
    if effect == 0 or not math.isfinite(effect):
        raise ValueError("effect must be finite and non-zero")
    z_alpha = _isf(alpha / 2.0)
    root = z_alpha + _NORMAL.inv_cdf(power)
    return math.ceil(2.0 * variance * root**2 / effect**2 + z_alpha**2 / 4.0 - 1e-9)


def detectable_effect_posts(n_per_arm: float, variance: float, *, alpha: float = 0.05,
                            power: float = 0.8) -> float:
    """The smallest |effect| `required_posts` would plan for with n_per_arm posts per arm:
    (z_{1-alpha/2} + z_power) sqrt(2 variance / (n - z_{1-alpha/2}^2 / 4)); inf when n is too
    small for the correction."""
    _check_alpha(alpha)
    _check_power(power)
    if not variance > 0 or not math.isfinite(variance):
        raise ValueError(f"variance must be finite and > 0, got {variance}")
    z_alpha = _isf(alpha / 2.0)
    usable = n_per_arm - z_alpha**2 / 4.0
    if usable <= 0:
        return math.inf
    return (z_alpha + _NORMAL.inv_cdf(power)) * math.sqrt(2.0 * variance / usable)


def ratio_post_variance(engagements: list[float], impressions: list[float]) -> float | None:
    """Squared coefficient of variation of the linearised per-post rate from history posts:
    sum (y_i - R x_i)^2 / (n - 1) / (mean(x) R)^2 with R = sum y / sum x. Multiply by the
    baseline rate squared for the variance at that rate. None with fewer than
    MIN_HISTORY_POSTS posts or no engagement at all (use FALLBACK_RATE_CV2)."""
    n = len(impressions)
    total_x, total_y = sum(impressions), sum(engagements)
    if n < MIN_HISTORY_POSTS or total_x <= 0 or total_y <= 0:
        return None
    rate = total_y / total_x
    resid_sq = sum((y - rate * x) ** 2 for y, x in zip(engagements, impressions, strict=True))
    return resid_sq / (n - 1) / (total_x / n * rate) ** 2


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
