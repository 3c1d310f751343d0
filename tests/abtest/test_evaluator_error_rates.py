"""Seeded simulations through the evaluator's own decision path (`evaluate`), one look a day
for 20 days, as the scheduler would run it: the default design holds the false-positive rate
at alpha where a fixed-horizon test checked daily does not, and keeps the power of a single
test at the horizon. Small and fast here; `-m slow` runs the large versions."""

from datetime import UTC, datetime

import numpy as np
import pytest

from services.abtest import stats
from services.abtest.evaluate import evaluate
from shared.schemas.experiments import (
    CONCLUSIVE,
    Aggregates,
    ArmAggregate,
    ExperimentPublic,
    MetricSums,
)

LOOKS, DAILY, ALPHA = 20, 1_000, 0.05
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def _experiment(looks: list[float], design: str) -> ExperimentPublic:
    return ExperimentPublic(
        id=1, name="sim", hypothesis="", request_id=None, state="running",
        arms=[{"key": "video", "name": "Video", "role": "team", "share": 0.5},
              {"key": "webinar", "name": "Webinar", "role": "stakeholder", "share": 0.5}],
        primary_metric="engagement_rate", guardrail_metrics=[], unit="impression",
        design=design, alpha=ALPHA, power=0.8, baseline_rate=0.05, mde=0.005,
        planned_n_per_arm=LOOKS * DAILY, data_version=len(looks) + 1,
        evaluated_version=len(looks), looks=looks, last_always_valid_p=None,
        latest_verdict=None, started_at=NOW, concluded_at=None, created_at=NOW, updated_at=NOW)


def _arm(key: str, n: int, s: int) -> ArmAggregate:
    empty = MetricSums(n=0, sum=0, sum_sq=0)
    return ArmAggregate(arm=key, posts=1, impressions=n, impressions_sq=float(n) ** 2,
                        metrics={"engagement_rate": MetricSums(n=1, sum=s, sum_sq=s * s,
                                                               sum_cross=s * n),
                                 "click_rate": empty, "video_views": empty,
                                 "watch_time": empty})


def rejection_rates(sims: int, rate_b: float, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    s_a = np.cumsum(rng.binomial(DAILY, 0.05, (sims, LOOKS)), axis=1)
    s_b = np.cumsum(rng.binomial(DAILY, rate_b, (sims, LOOKS)), axis=1)
    n = DAILY * np.arange(1, LOOKS + 1)
    _, p, _, _, _ = stats.compare_proportions_many(
        np.broadcast_to(n, s_a.shape).ravel(), s_a.ravel(),
        np.broadcast_to(n, s_b.shape).ravel(), s_b.ravel())
    p = p.reshape(sims, LOOKS)
    sequential = 0
    for i in range(sims):
        looks: list[float] = []
        for k in range(LOOKS):
            verdict = evaluate(_experiment(looks, "sequential"), Aggregates(
                experiment_id=1, data_version=k + 1,
                arms=[_arm("video", int(n[k]), int(s_a[i, k])),
                      _arm("webinar", int(n[k]), int(s_b[i, k]))]))
            looks.append(verdict.info_fraction)
            if verdict.decision in CONCLUSIVE:
                sequential += verdict.winner is not None
                break
    return {"sequential (evaluator)": sequential / sims,
            "fixed test checked daily": float((p < ALPHA).any(axis=1).mean()),
            "single test at the horizon": float((p[:, -1] < ALPHA).mean())}


def _check(sims: int, seed: int) -> None:
    null = rejection_rates(sims, 0.05, seed)
    alt = rejection_rates(sims, 0.055, seed + 1)
    se = (ALPHA * (1 - ALPHA) / sims) ** 0.5
    print(f"\n{sims} sims, 20 daily looks: A/A {null}; 5.0% vs 5.5% {alt}")
    assert null["sequential (evaluator)"] <= ALPHA + 3 * se
    assert null["fixed test checked daily"] > ALPHA + 3 * se
    power_se = (0.25 / sims) ** 0.5
    assert alt["sequential (evaluator)"] >= alt["single test at the horizon"] - 0.05 - 3 * power_se


def test_evaluator_holds_alpha_and_power_under_daily_looks_seeded_small() -> None:
    _check(200, seed=7)


@pytest.mark.slow
def test_evaluator_holds_alpha_and_power_under_daily_looks_large() -> None:
    _check(4_000, seed=2026)
