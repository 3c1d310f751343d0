"""Sample size and power of the two-proportion z-test: the normal distribution is all they need.

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
