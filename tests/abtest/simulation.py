"""Seeded A/B simulations through the evaluator's own decision path (`evaluate`), shared by
the error-rate tests and `bench/abtest_stats.py`.

Per-post data: each post's impressions are lognormal, its own engagement rate Beta with mean
`rate` and concentration `kappa` (None: every post at `rate`, no overdispersion), engagements
binomial. Data are drawn for all runs at once (numpy); each look is one `evaluate` call, as
the scheduler would make it, with the looks and always-valid p the API would serve back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from services.abtest.evaluate import evaluate
from shared.schemas.experiments import (
    CONCLUSIVE,
    Aggregates,
    ArmAggregate,
    Decision,
    ExperimentPublic,
    MetricSums,
)

NOW = datetime(2026, 11, 27, tzinfo=UTC)
FloatArray = npt.NDArray[np.float64]


def experiment(*, design: str, unit: str, planned: int, mde: float, alpha: float = 0.05,
               power: float = 0.8, looks: list[float] | None = None,
               last_always_valid_p: float | None = None,
               equivalence_margin: float | None = None,
               team_share: float = 0.5) -> ExperimentPublic:
    looks = looks or []
    return ExperimentPublic(
        id=1, name="sim", hypothesis="", request_id=None, state="running",
        arms=[{"key": "video", "name": "Video", "role": "team", "share": team_share},
              {"key": "webinar", "name": "Webinar", "role": "stakeholder",
               "share": 1 - team_share}],
        primary_metric="engagement_rate", guardrail_metrics=[], unit=unit, design=design,
        alpha=alpha, power=power, baseline_rate=0.05, mde=mde,
        equivalence_margin=equivalence_margin, planned_n_per_arm=planned,
        data_version=len(looks) + 1, evaluated_version=len(looks), looks=looks,
        last_always_valid_p=last_always_valid_p, latest_verdict=None, started_at=NOW,
        concluded_at=None, created_at=NOW, updated_at=NOW)


def arm(key: str, engagements: FloatArray, impressions: FloatArray) -> ArmAggregate:
    """Per-arm aggregates of posts, as the API's GROUP BY sends them."""
    empty = MetricSums(n=0, sum=0, sum_sq=0)
    y, x = engagements.astype(np.float64), impressions.astype(np.float64)
    return ArmAggregate(
        arm=key, posts=int(y.size), impressions=int(x.sum()), impressions_sq=float(x @ x),
        impressions_cube=float(x**2 @ x), impressions_4th=float(x**2 @ x**2),
        metrics={"engagement_rate": MetricSums(
            n=int(y.size), sum=float(y.sum()), sum_sq=float(y @ y), sum_cross=float(y @ x),
            sum_sq_cross=float(y**2 @ x), sum_sq_cross2=float(y**2 @ x**2),
            sum_cross2=float(y @ x**2), sum_cross3=float(y @ x**3)),
                 "click_rate": empty, "video_views": empty, "watch_time": empty})


@dataclass(frozen=True)
class Scenario:
    name: str
    kappa: float | None  # Beta concentration of per-post rates; None: no overdispersion
    posts_per_look: int  # per arm
    looks: int
    rate: float = 0.05
    mean_impressions: float = 1_000.0
    impressions_sigma: float = 0.8


def draw_posts(rng: np.random.Generator, scenario: Scenario, sims: int,
               rate: float) -> tuple[FloatArray, FloatArray]:
    """(engagements, impressions), each (sims, looks * posts_per_look), in posting order."""
    shape = (sims, scenario.looks * scenario.posts_per_look)
    sigma = scenario.impressions_sigma
    impressions = np.maximum(1.0, np.round(rng.lognormal(
        math.log(scenario.mean_impressions) - sigma**2 / 2, sigma, shape)))
    if scenario.kappa is None:
        rates = np.full(shape, rate)
    else:
        rates = rng.beta(rate * scenario.kappa, (1 - rate) * scenario.kappa, shape)
    return rng.binomial(impressions.astype(np.int64), rates).astype(np.float64), impressions


@dataclass(frozen=True)
class Run:
    """One simulated experiment: how it ended."""

    decision: Decision
    look: int  # the look that concluded (or the last look)
    ci_low: float | None
    ci_high: float | None
    disagreements: int = 0  # looks whose words and interval disagreed (must stay 0)


def run_per_post(rng: np.random.Generator, scenario: Scenario, *, design: str, sims: int,
                 lift: float = 0.0, planned: int | None = None, mde: float = 0.01,
                 alpha: float = 0.05) -> list[Run]:
    """`sims` per-post experiments, one `evaluate` per look until a conclusive verdict.

    The stakeholder arm's mean rate is rate + lift; planned is in posts per arm (default: all
    the looks' posts)."""
    planned = planned or scenario.looks * scenario.posts_per_look
    y_a, x_a = draw_posts(rng, scenario, sims, scenario.rate)
    y_b, x_b = draw_posts(rng, scenario, sims, scenario.rate + lift)
    runs = []
    for i in range(sims):
        looks: list[float] = []
        last_p: float | None = None
        disagreements = 0
        for k in range(1, scenario.looks + 1):
            m = k * scenario.posts_per_look
            exp = experiment(design=design, unit="post", planned=planned, mde=mde, alpha=alpha,
                             looks=looks, last_always_valid_p=last_p)
            verdict = evaluate(exp, Aggregates(experiment_id=1, data_version=k, arms=[
                arm("video", y_a[i, :m], x_a[i, :m]), arm("webinar", y_b[i, :m], x_b[i, :m])]))
            looks.append(verdict.info_fraction)
            if verdict.always_valid_p is not None:
                last_p = verdict.always_valid_p
            disagreements += _disagrees(verdict.decision, verdict.ci_low, verdict.ci_high)
            if verdict.decision in CONCLUSIVE or k == scenario.looks:
                runs.append(Run(verdict.decision, k, verdict.ci_low, verdict.ci_high,
                                disagreements))
                break
    return runs


def _disagrees(decision: Decision, low: float | None, high: float | None) -> bool:
    """A winner beside an interval holding 0, or anything else beside one excluding it."""
    excludes_zero = (low is not None and low > 0) or (high is not None and high < 0)
    winner = decision in (Decision.team_better, Decision.stakeholder_better)
    return excludes_zero != winner and (winner or low is not None or high is not None)


def false_positive_rate(runs: list[Run]) -> float:
    return sum(r.decision in (Decision.team_better, Decision.stakeholder_better)
               for r in runs) / len(runs)


def power_of(runs: list[Run], *, positive: bool = True) -> float:
    """Share of runs naming the right winner (stakeholder when the lift is positive)."""
    right = Decision.stakeholder_better if positive else Decision.team_better
    return sum(r.decision == right for r in runs) / len(runs)


def coverage(runs: list[Run], truth: float) -> float:
    """Share of runs whose interval at stopping holds the true difference (runs that stopped
    with an interval only)."""
    shown = [r for r in runs if r.ci_low is not None or r.ci_high is not None]
    if not shown:
        return math.nan
    return sum((r.ci_low is None or r.ci_low <= truth) and (r.ci_high is None or truth <= r.ci_high)
               for r in shown) / len(shown)


def mc_se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 1e-12) / n)


def run_impressions(rng: np.random.Generator, *, design: str, sims: int, looks: int = 20,
                    daily: int = 1_000, rate: float = 0.05, lift: float = 0.0,
                    mde: float = 0.005, alpha: float = 0.05) -> list[Run]:
    """One post shown to a split audience: `daily` impressions per arm a day, binomial."""
    s_a = np.cumsum(rng.binomial(daily, rate, (sims, looks)), axis=1)
    s_b = np.cumsum(rng.binomial(daily, rate + lift, (sims, looks)), axis=1)
    runs = []
    for i in range(sims):
        seen: list[float] = []
        last_p: float | None = None
        disagreements = 0
        for k in range(1, looks + 1):
            n = float(daily * k)
            exp = experiment(design=design, unit="impression", planned=daily * looks, mde=mde,
                             alpha=alpha, looks=seen, last_always_valid_p=last_p)
            verdict = evaluate(exp, Aggregates(experiment_id=1, data_version=k, arms=[
                arm("video", np.array([float(s_a[i, k - 1])]), np.array([n])),
                arm("webinar", np.array([float(s_b[i, k - 1])]), np.array([n]))]))
            seen.append(verdict.info_fraction)
            if verdict.always_valid_p is not None:
                last_p = verdict.always_valid_p
            disagreements += _disagrees(verdict.decision, verdict.ci_low, verdict.ci_high)
            if verdict.decision in CONCLUSIVE or k == looks:
                runs.append(Run(verdict.decision, k, verdict.ci_low, verdict.ci_high,
                                disagreements))
                break
    return runs
