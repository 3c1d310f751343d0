"""Figures for services.abtest.stats: z-test throughput; simulated error rates and power under
daily looks for fixed, group-sequential and always-valid designs; and (d) the table of the
evaluator itself (`evaluate`, one call per daily look) for per-post and impression-level data:
design x scenario, A/A false positives +- SE, power, mean day of decision, coverage of the
interval reported at stopping. `python bench/abtest_stats.py [--evaluator-sims 2000]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.abtest import stats
from tests.abtest.simulation import (
    Run,
    Scenario,
    coverage,
    false_positive_rate,
    mc_se,
    power_of,
    run_impressions,
    run_per_post,
)

ALPHA = 0.05
LOOKS = 20
DAILY_N = 1_000
BASE_RATE = 0.05
ALT_RATE = 0.055
THROUGHPUT_TESTS = 100_000

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def throughput(rng: np.random.Generator, repeats: int = 50) -> None:
    n_a = rng.integers(1_000, 1_000_000, THROUGHPUT_TESTS)
    n_b = rng.integers(1_000, 1_000_000, THROUGHPUT_TESTS)
    s_a = rng.binomial(n_a, 0.05)
    s_b = rng.binomial(n_b, 0.05)
    stats.compare_proportions_many(n_a, s_a, n_b, s_b, alpha=ALPHA)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        stats.compare_proportions_many(n_a, s_a, n_b, s_b, alpha=ALPHA)
        timings.append(time.perf_counter() - start)
    best, median = min(timings), float(np.median(timings))
    print(f"(a) vectorised two-proportion z-test, {THROUGHPUT_TESTS:,} tests per call")
    print(f"    best {best * 1e3:.2f} ms, median {median * 1e3:.2f} ms (target < 10 ms)")
    print(f"    {THROUGHPUT_TESTS / median:,.0f} tests/second (median)")


def cumulative_counts(rng: np.random.Generator, sims: int, rate: float) -> IntArray:
    daily = rng.binomial(DAILY_N, rate, size=(sims, LOOKS))
    return np.cumsum(daily, axis=1)


def rejections(
    rng: np.random.Generator, sims: int, rate_b: float, tau2: float
) -> dict[str, tuple[BoolArray, IntArray]]:
    """Per design: (rejected within the horizon, 1-based look of the first rejection or 0)."""
    s_a = cumulative_counts(rng, sims, BASE_RATE)
    s_b = cumulative_counts(rng, sims, rate_b)
    n = np.broadcast_to(DAILY_N * np.arange(1, LOOKS + 1), (sims, LOOKS))
    z, p, diff, _, _ = (
        x.reshape(sims, LOOKS)
        for x in stats.compare_proportions_many(n.ravel(), s_a.ravel(), n.ravel(), s_b.ravel())
    )
    bounds = np.asarray(stats.gs_boundaries([k / LOOKS for k in range(1, LOOKS + 1)], ALPHA))

    p_a, p_b = s_a / n, s_b / n
    variance = p_a * (1 - p_a) / n + p_b * (1 - p_b) / n
    always_valid = np.ones((sims, LOOKS))
    previous = np.ones(sims)
    for k in range(LOOKS):
        previous = stats.msprt_p_value(diff[:, k], variance[:, k], tau2=tau2, previous_p=previous)
        always_valid[:, k] = previous

    crossed = {
        "fixed test at horizon only": np.zeros_like(p, dtype=bool),
        "fixed test checked every look": p < ALPHA,
        "group-sequential OBF-type": np.abs(z) >= bounds,
        "mixture SPRT always-valid": always_valid <= ALPHA,
    }
    crossed["fixed test at horizon only"][:, -1] = p[:, -1] < ALPHA
    out = {}
    for name, hit in crossed.items():
        any_hit = np.asarray(hit.any(axis=1), dtype=np.bool_)
        out[name] = (any_hit, np.where(any_hit, hit.argmax(axis=1) + 1, 0).astype(np.int64))
    return out


def simulate(sims: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    tau2 = stats.msprt_tau2(ALT_RATE - BASE_RATE)
    start = time.perf_counter()
    null = rejections(rng, sims, BASE_RATE, tau2)
    alt = rejections(rng, sims, ALT_RATE, tau2)
    elapsed = time.perf_counter() - start
    se_null = np.sqrt(ALPHA * (1 - ALPHA) / sims)
    print(
        f"(b) {sims:,} seeded simulations per scenario, {LOOKS} daily looks, "
        f"{DAILY_N:,} impressions per arm per day, alpha {ALPHA}, mSPRT tau = MDE"
    )
    print(f"    A/A false positive rate at {BASE_RATE:.1%} (SE at alpha {se_null:.4f}):")
    for name, (hit, _) in null.items():
        print(f"      {name:32s} {hit.mean():.4f}")
    theory = stats.power_proportions(BASE_RATE, ALT_RATE - BASE_RATE, DAILY_N * LOOKS, alpha=ALPHA)
    print(
        f"    power {BASE_RATE:.1%} vs {ALT_RATE:.1%} (normal-theory single test {theory:.4f}),"
        " mean day of first rejection among rejections:"
    )
    for name, (hit, look) in alt.items():
        if name == "fixed test checked every look":
            continue
        day = look[hit].mean() if hit.any() else float("nan")
        print(f"      {name:32s} {hit.mean():.4f}   day {day:.1f}")
    single = alt["fixed test at horizon only"][0].mean()
    gs = alt["group-sequential OBF-type"][0].mean()
    print(f"    group-sequential power - single test power: {gs - single:+.4f} (aim >= -0.05)")
    print(f"    simulation time {elapsed:.1f} s")


def boundary_time() -> None:
    fractions = [k / LOOKS for k in range(1, LOOKS + 1)]
    start = time.perf_counter()
    stats.gs_boundaries([f * 0.999 for f in fractions], ALPHA)
    elapsed = time.perf_counter() - start
    print(f"(c) gs_boundaries for {LOOKS} looks, uncached: {elapsed * 1e3:.1f} ms")


PER_POST = [  # 3 posts per arm a day for 20 days (10 posts per arm from day 4, 60 at the end)
    Scenario("posts, no overdispersion", kappa=None, posts_per_look=3, looks=20),
    Scenario("posts, low overdispersion", kappa=500, posts_per_look=3, looks=20),
    Scenario("posts, medium overdispersion", kappa=100, posts_per_look=3, looks=20),
    Scenario("posts, high overdispersion", kappa=20, posts_per_look=3, looks=20),
]
PER_POST_LIFT = 0.015  # on 5%: +30%
IMPRESSION_LIFT = 0.005  # on 5%, 1,000 impressions per arm a day


def _row(name: str, design: str, null: list[Run], alt: list[Run], truth: float) -> str:
    fp = false_positive_rate(null)
    winners = [r for r in alt if r.decision in ("team_better", "stakeholder_better")]
    day = float(np.mean([r.look for r in winners])) if winners else float("nan")
    cover = coverage(alt, truth)
    disagree = sum(r.disagreements for r in null + alt)
    return (f"    {name:30s} {design:13s} {fp:.4f} ± {mc_se(fp, len(null)):.4f}   "
            f"{power_of(alt):.3f}   {day:5.1f}   {cover:.3f}   {disagree}")


def evaluator_table(sims: int, seed: int) -> None:
    print(f"(d) the evaluator (`evaluate`, one look a day), {sims:,} runs per cell; power and "
          f"coverage at +{PER_POST_LIFT * 100:.1f} points (posts) or "
          f"+{IMPRESSION_LIFT * 100:.1f} (impressions) on 5%")
    print(f"    {'scenario':30s} {'design':13s} {'A/A false pos.':17s} power   win day "
          "coverage  words/interval disagreements")
    start = time.perf_counter()
    for design in ("sequential", "always_valid", "fixed"):
        for scenario in PER_POST:
            null = run_per_post(np.random.default_rng(seed), scenario, design=design, sims=sims)
            alt = run_per_post(np.random.default_rng(seed + 1), scenario, design=design,
                               sims=sims, lift=PER_POST_LIFT, mde=PER_POST_LIFT)
            print(_row(scenario.name, design, null, alt, PER_POST_LIFT), flush=True)
        null = run_impressions(np.random.default_rng(seed), design=design, sims=sims)
        alt = run_impressions(np.random.default_rng(seed + 1), design=design, sims=sims,
                              lift=IMPRESSION_LIFT)
        print(_row("impressions, 1,000/arm/day", design, null, alt, IMPRESSION_LIFT),
              flush=True)
    print(f"    table time {time.perf_counter() - start:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sims", type=int, default=100_000, help="simulations per scenario")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--evaluator-sims", type=int, default=2_000,
                        help="runs per cell of the evaluator table (0 skips it)")
    args = parser.parse_args()
    if args.sims < 1:
        parser.error("--sims must be >= 1")
    throughput(np.random.default_rng(args.seed))
    simulate(args.sims, args.seed)
    boundary_time()
    if args.evaluator_sims > 0:
        evaluator_table(args.evaluator_sims, args.seed)


if __name__ == "__main__":
    main()
