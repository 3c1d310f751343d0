"""`priorities-abtest evaluate-due` end to end over 10,000 running experiments on PostgreSQL,
plus the statistics alone. `python bench/abtest_evaluate.py [--experiments N]`.

Loads experiments, arms and per-post observations with INSERT ... SELECT generate_series (each
experiment already has 0-4 earlier looks, so the group-sequential boundaries are real work),
starts `priorities serve` on a free port, runs the evaluator's CLI against it, checks that every
experiment got exactly one verdict, prints experiments per second, and cleans up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import CLI, scratch_database, serve  # noqa: E402
from services.abtest import stats  # noqa: E402
from services.abtest.evaluate import evaluate  # noqa: E402
from services.api import bootstrap  # noqa: E402
from services.api.db import make_sync_engine, migrate  # noqa: E402
from services.api.models import Role  # noqa: E402
from shared.schemas.experiments import (  # noqa: E402
    Aggregates,
    ArmAggregate,
    ExperimentPublic,
    MetricSums,
)

POSTS_PER_ARM = 20
PLANNED = 200_000


def load(url: str, experiments: int) -> float:
    start = time.perf_counter()
    engine = make_sync_engine(url)
    with engine.begin() as conn:
        conn.execute(text("SELECT setseed(0.42)"))
        conn.execute(text("""
            INSERT INTO experiment (id, name, hypothesis, state, primary_metric,
                guardrail_metrics, unit, design, alpha, power, baseline_rate, mde,
                planned_n_per_arm, data_version, evaluated_version, looks, version, created_at,
                updated_at, started_at)
            SELECT g, 'Experiment ' || g, '', 'running', 'engagement_rate', '[]', 'post',
                'sequential', 0.05, 0.8, 0.03, 0.005, :planned, g % 5 + 1, g % 5,
                (SELECT coalesce(json_agg(0.01 * (k + 1)), '[]'::json)
                   FROM generate_series(0, g % 5 - 1) k),
                1, now(), now(), now()
            FROM generate_series(1, :n) g"""), {"n": experiments, "planned": PLANNED})
        conn.execute(text("""
            INSERT INTO experiment_arm (id, experiment_id, key, name, role, share, position)
            SELECT 2 * g - 1 + a, g, CASE a WHEN 0 THEN 'video' ELSE 'webinar' END,
                CASE a WHEN 0 THEN 'Product video' ELSE 'Webinar post' END,
                CASE a WHEN 0 THEN 'team' ELSE 'stakeholder' END, 0.5, a
            FROM generate_series(1, :n) g, generate_series(0, 1) a"""), {"n": experiments})
        conn.execute(text("""
            INSERT INTO observation (experiment_id, arm_id, post_key, impressions, engagements,
                clicks, updated_at)
            SELECT g, 2 * g - 1 + a, 'post-' || a || '-' || p, imp,
                floor(imp * (0.03 + 0.004 * a) * (0.5 + random()))::bigint, 0, now()
            FROM generate_series(1, :n) g, generate_series(0, 1) a,
                generate_series(1, :posts) p,
                LATERAL (SELECT (500 + floor(random() * 1000))::bigint
                         + 0 * g AS imp) i"""), {"n": experiments, "posts": POSTS_PER_ARM})
        for table in ("experiment", "experiment_arm", "observation"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT max(id) FROM {table}))"))
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - start


def stats_only(experiments: int) -> None:
    """The evaluator's per-experiment path without HTTP, and the vectorised z-test."""
    rng = np.random.default_rng(1)
    arms = [{"key": "video", "name": "Product video", "role": "team", "share": 0.5},
            {"key": "webinar", "name": "Webinar post", "role": "stakeholder", "share": 0.5}]
    now = "2026-11-27T00:00:00Z"
    cases = []
    for i in range(experiments):
        looks = [0.01 * (k + 1) for k in range(i % 5)]
        exp = ExperimentPublic.model_validate({
            "id": i + 1, "name": "x", "hypothesis": "", "request_id": None, "state": "running",
            "arms": arms, "primary_metric": "engagement_rate", "guardrail_metrics": [],
            "unit": "post", "design": "sequential", "alpha": 0.05, "power": 0.8,
            "baseline_rate": 0.03, "mde": 0.005, "planned_n_per_arm": PLANNED,
            "data_version": 2, "evaluated_version": 1, "looks": looks,
            "last_always_valid_p": None, "latest_verdict": None, "started_at": now,
            "concluded_at": None, "created_at": now, "updated_at": now})
        agg_arms = []
        for key, rate in (("video", 0.03), ("webinar", 0.034)):
            imp = rng.integers(500, 1500, POSTS_PER_ARM).astype(float)
            eng = np.floor(imp * rate * (0.5 + rng.random(POSTS_PER_ARM)))
            sums = MetricSums(n=POSTS_PER_ARM, sum=eng.sum(), sum_sq=(eng**2).sum(),
                              sum_cross=(eng * imp).sum())
            empty = MetricSums(n=0, sum=0, sum_sq=0, sum_cross=0)
            agg_arms.append(ArmAggregate(
                arm=key, posts=POSTS_PER_ARM, impressions=int(imp.sum()),
                impressions_sq=(imp**2).sum(),
                metrics={"engagement_rate": sums, "click_rate": empty,
                         "video_views": MetricSums(n=0, sum=0, sum_sq=0, sum_log=0,
                                                   sum_log_sq=0),
                         "watch_time": MetricSums(n=0, sum=0, sum_sq=0, sum_log=0,
                                                  sum_log_sq=0)}))
        cases.append((exp, Aggregates(experiment_id=i + 1, data_version=2, arms=agg_arms)))
    start = time.perf_counter()
    for exp, agg in cases:
        evaluate(exp, agg)
    elapsed = time.perf_counter() - start
    print(f"statistics alone, evaluator path (ratio test, SRM, sequential boundaries, "
          f"paragraph): {experiments:,} experiments in {elapsed:.2f} s = "
          f"{experiments / elapsed:,.0f} experiments/s")
    n_a = rng.integers(1_000, 1_000_000, 100_000)
    n_b = rng.integers(1_000, 1_000_000, 100_000)
    s_a, s_b = rng.binomial(n_a, 0.05), rng.binomial(n_b, 0.05)
    timings = []
    for _ in range(30):
        t0 = time.perf_counter()
        stats.compare_proportions_many(n_a, s_a, n_b, s_b)
        timings.append(time.perf_counter() - t0)
    median = float(np.median(timings))
    print(f"statistics alone, vectorised two-proportion z-test: 100,000 tests in "
          f"{median * 1e3:.2f} ms (median of 30) = {100_000 / median:,.0f} tests/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--experiments", type=int, default=10_000)
    parser.add_argument("--api-workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--evaluator-workers", type=int, default=2,
                        help="pages evaluated at once")
    args = parser.parse_args()

    with scratch_database("sp_bench_abtest") as url:
        migrate(url)
        loaded = load(url, args.experiments)
        print(f"loaded {args.experiments:,} running experiments, "
              f"{args.experiments * 2 * POSTS_PER_ARM:,} per-post observations in "
              f"{loaded:.1f} s")
        key = asyncio.run(bootstrap.create_key(url, role=Role.service, name="bench evaluator",
                                               member_email=None,
                                               scopes=["experiments:read", "verdicts:write"]))
        argv = [*CLI, "serve", "--port", "{port}", "--workers", str(args.api_workers),
                "--no-migrate"]
        with serve(argv, env={"DATABASE_URL": url, "LOG_LEVEL": "WARNING"},
                   ready_path="/readyz") as api:
            evaluator_env = {**os.environ, "ABTEST_API_URL": api.url, "ABTEST_API_KEY": key,
                             "ABTEST_WORKERS": str(args.evaluator_workers)}
            start = time.perf_counter()
            run = subprocess.run(
                [sys.executable, "-c", "from services.abtest.cli import main; main()",
                 "evaluate-due"], cwd=ROOT, env=evaluator_env, capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            print(run.stderr.strip())
            engine = make_sync_engine(url)
            with engine.connect() as conn:
                verdicts = conn.execute(text("SELECT count(*) FROM verdict")).scalar_one()
                behind = conn.execute(text(
                    "SELECT count(*) FROM experiment WHERE evaluated_version <> data_version"
                )).scalar_one()
            engine.dispose()
            rate = args.experiments / elapsed
            print(f"evaluate-due end to end (API: {args.api_workers} uvicorn workers on "
                  f"PostgreSQL; evaluator: {args.evaluator_workers} pages in flight): "
                  f"{args.experiments:,} experiments in {elapsed:.1f} s = {rate:,.0f} "
                  f"experiments/s (target: within 60 s); exit code {run.returncode}; "
                  f"{verdicts:,} verdicts, {behind} experiments left unevaluated")
        stats_only(args.experiments)


if __name__ == "__main__":
    main()
