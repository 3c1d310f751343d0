"""The evaluator against the API in-process: which test, which decision, what it writes."""

import math
from typing import Any

import httpx2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from scipy import stats as sps
from typer.testing import CliRunner

from services.abtest import stats
from services.abtest.app import create_app as create_evaluator_app
from services.abtest.cli import app as cli_app
from services.abtest.evaluate import evaluate, evaluate_due
from shared.client import ApiUnavailable, ExperimentsClient, RetryPolicy
from tests.factories import Api, posts


def overdispersed_posts(arm: str, mean_rate: float, *, count: int,
                        seed: int) -> list[dict[str, Any]]:
    """Posts whose own rates vary a lot (some go viral): the variance lives between posts."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(count):
        impressions = int(rng.integers(2_000, 20_000))
        rate = min(0.5, rng.gamma(2.0, mean_rate / 2.0))
        rows.append({"arm": arm, "post_id": f"{arm}-{i}", "impressions": impressions,
                     "engagements": int(rng.binomial(impressions, rate))})
    return rows


def test_ratio_metric_takes_its_variance_from_the_posts(api: Api,
                                                        evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment(planned_n_per_arm=10**9)
    rows = overdispersed_posts("video", 0.030, count=40, seed=7) + overdispersed_posts(
        "webinar", 0.034, count=40, seed=8)
    api.observe(exp["id"], rows)

    assert evaluate_due(evaluator).ok
    verdict = evaluator.experiment(exp["id"]).latest_verdict
    stored = api.ok(api.client.get(f"/v1/experiments/{exp['id']}/verdicts",
                                   headers=api.manager))["items"][0]

    def arm(key: str) -> stats.ArmRatio:
        num = np.array([r["engagements"] for r in rows if r["arm"] == key], dtype=float)
        den = np.array([r["impressions"] for r in rows if r["arm"] == key], dtype=float)
        return stats.ArmRatio(len(num), num.sum(), den.sum(), (num**2).sum(), (den**2).sum(),
                              (num * den).sum())

    def leverage_variance(key: str) -> tuple[float, float]:
        num = np.array([r["engagements"] for r in rows if r["arm"] == key], dtype=float)
        den = np.array([r["impressions"] for r in rows if r["arm"] == key], dtype=float)
        ratio, h = num.sum() / den.sum(), den / den.sum()
        resid = num - ratio * den
        return ratio, float((resid**2 * (1 + 2 * h + 3 * h**2)).sum() / den.sum() ** 2)

    (r_a, v_a), (r_b, v_b) = leverage_variance("video"), leverage_variance("webinar")
    df = (v_a + v_b) ** 2 / (v_a**2 / 39 + v_b**2 / 39)
    reference_p = 2 * sps.t.sf(abs(r_b - r_a) / math.sqrt(v_a + v_b), df)
    reference = stats.compare_ratio(arm("video"), arm("webinar"))
    naive = stats.compare_proportions(
        stats.ArmCounts(int(arm("video").sum_den), int(arm("video").sum_num)),
        stats.ArmCounts(int(arm("webinar").sum_den), int(arm("webinar").sum_num)))
    assert verdict is not None and verdict.decision == "keep_collecting"
    assert stored["method"].startswith(stats.DELTA_RATIO) and stored["unit"] == "post"
    assert stored["p_value"] == pytest.approx(reference_p, rel=1e-6)
    assert stored["effect"] == pytest.approx(reference.diff, rel=1e-9)
    # Counting impressions as independent trials would call noise significant.
    assert naive.p_value < 1e-15 and stored["p_value"] > 0.3
    assert "each post counted as one unit" in stored["summary"]


def test_a_clear_difference_concludes_after_keep_collecting(api: Api,
                                                            evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment()
    decisions = []
    for day in range(8):
        api.observe(exp["id"], posts("video", 0.028, count=4, impressions=500, seed=day,
                                     prefix=f"d{day}-")
                    + posts("webinar", 0.012, count=4, impressions=500, seed=50 + day,
                            prefix=f"d{day}-"))
        assert evaluate_due(evaluator).ok
        current = evaluator.experiment(exp["id"])
        assert current.latest_verdict is not None
        decisions.append(current.latest_verdict.decision.value)
        if current.state == "concluded":
            break

    assert decisions[0] == "keep_collecting" and decisions[-1] == "team_better"
    history = api.ok(api.client.get(f"/v1/experiments/{exp['id']}/verdicts",
                                    headers=api.manager))["items"]
    final = history[0]
    fractions = [v["info_fraction"] for v in reversed(history)]
    assert final["boundary"] == pytest.approx(stats.gs_boundaries(fractions)[-1], rel=1e-9)
    assert final["winner"] == "video" and "group-sequential" in final["method"]
    assert "product video performs better" in final["summary"]
    again = evaluate_due(evaluator)
    assert again.outcomes == []  # a concluded experiment is not evaluated again


def test_sample_ratio_mismatch_blocks_the_verdict(api: Api, evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment()
    api.observe(exp["id"], posts("video", 0.03, count=60, impressions=300, seed=1)
                + posts("webinar", 0.01, count=20, impressions=300, seed=2))

    evaluate_due(evaluator)
    current = evaluator.experiment(exp["id"])

    assert current.latest_verdict is not None
    assert current.latest_verdict.decision == "invalid_srm"
    assert current.state == "running"
    assert "60 posts" in current.latest_verdict.summary
    assert "webinar post 20" in current.latest_verdict.summary


def test_fixed_horizon_does_not_peek(api: Api, evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment(design="fixed", planned_n_per_arm=12)
    api.observe(exp["id"], posts("video", 0.03, count=6, impressions=500, seed=1)
                + posts("webinar", 0.01, count=6, impressions=500, seed=2))
    evaluate_due(evaluator)
    early = api.ok(api.client.get(f"/v1/experiments/{exp['id']}/verdicts",
                                  headers=api.manager))["items"][0]
    api.observe(exp["id"], posts("video", 0.03, count=6, impressions=500, seed=3, prefix="x")
                + posts("webinar", 0.01, count=6, impressions=500, seed=4, prefix="x"))
    evaluate_due(evaluator)
    final = evaluator.experiment(exp["id"])

    assert early["decision"] == "keep_collecting" and early["p_value"] is None
    assert final.state == "concluded" and final.latest_verdict is not None
    assert final.latest_verdict.decision == "team_better"


def test_always_valid_p_only_decreases_across_looks(api: Api,
                                                     evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment(design="always_valid")
    seen = []
    for day in range(4):
        api.observe(exp["id"], posts("video", 0.03, count=4, impressions=1_000, seed=day,
                                     prefix=f"d{day}")
                    + posts("webinar", 0.024, count=4, impressions=1_000, seed=9 + day,
                            prefix=f"d{day}"))
        evaluate_due(evaluator)
        seen.append(evaluator.experiment(exp["id"]).last_always_valid_p)

    history = api.ok(api.client.get(f"/v1/experiments/{exp['id']}/verdicts",
                                    headers=api.manager))["items"][::-1]
    # Looks with fewer than 10 posts per arm may not conclude: they get no always-valid p,
    # and nothing from them is carried forward.
    assert [v["always_valid_p"] is None for v in history] == [True, True, False, False]
    assert seen[:2] == [None, None]
    assert seen[2] is not None and seen[3] is not None and seen[3] < seen[2] < 1.0
    assert "always-valid mixture SPRT" in history[-1]["method"]


def test_skewed_values_use_welch_on_the_log_scale(api: Api,
                                                  evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment(primary_metric="video_views", mde=0.2, planned_n_per_arm=200)
    rng = np.random.default_rng(5)
    rows = [{"arm": arm, "post_id": f"{arm}{i}", "impressions": 1000,
             "video_views": float(np.round(rng.lognormal(mu, 1.2)))}
            for arm, mu in (("video", 6.0), ("webinar", 5.0)) for i in range(30)]
    api.observe(exp["id"], rows)
    evaluate_due(evaluator)
    verdict = api.ok(api.client.get(f"/v1/experiments/{exp['id']}/verdicts",
                                    headers=api.manager))["items"][0]

    def moments(key: str) -> stats.ArmMoments:
        x = np.array([r["video_views"] for r in rows if r["arm"] == key])
        return stats.ArmMoments(len(x), x.sum(), (x**2).sum(), np.log1p(x).sum(),
                                (np.log1p(x) ** 2).sum())

    reference = stats.compare_means(moments("video"), moments("webinar"), log_scale=True)
    assert verdict["method"].startswith(stats.WELCH_LOG)
    assert verdict["p_value"] == pytest.approx(reference.p_value, rel=1e-9)
    assert verdict["n_per_arm"] == {"video": 30, "webinar": 30}


def test_guardrails_are_holm_adjusted(api: Api, evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment(guardrail_metrics=["click_rate", "video_views"])
    rng = np.random.default_rng(3)
    rows = [{"arm": arm, "post_id": f"{arm}{i}", "impressions": 1000,
             "engagements": int(rng.binomial(1000, 0.03)), "clicks": int(rng.binomial(1000, c)),
             "video_views": float(rng.integers(10, 500))}
            for arm, c in (("video", 0.02), ("webinar", 0.005)) for i in range(20)]
    api.observe(exp["id"], rows)
    evaluate_due(evaluator)
    verdict = api.ok(api.client.get(f"/v1/experiments/{exp['id']}/verdicts",
                                    headers=api.manager))["items"][0]

    guards = {g["metric"]: g for g in verdict["guardrails"]}
    raw = [guards["click_rate"]["p_value"], guards["video_views"]["p_value"]]
    assert [guards[m]["adjusted_p_value"] for m in ("click_rate", "video_views")] == \
        pytest.approx(stats.holm(raw))
    assert guards["click_rate"]["harmed"] is True


def test_a_second_run_finds_nothing_due(api: Api, evaluator: ExperimentsClient) -> None:
    for _ in range(3):
        exp = api.make_experiment()
        api.observe(exp["id"], posts("video", 0.03, count=3, impressions=100, seed=1)
                    + posts("webinar", 0.03, count=3, impressions=100, seed=2))

    first = evaluate_due(evaluator)
    second = evaluate_due(evaluator)

    assert first.ok and first.count("written") == 3
    assert second.outcomes == [] and second.ok


def test_replaying_a_written_verdict_does_not_duplicate_it(api: Api,
                                                           evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment()
    api.observe(exp["id"], posts("video", 0.03, count=3, impressions=100, seed=1)
                + posts("webinar", 0.03, count=3, impressions=100, seed=2))
    experiment = evaluator.experiment(exp["id"])
    verdict = evaluate(experiment, evaluator.aggregates(exp["id"]))

    stored, created = evaluator.post_verdict(exp["id"], verdict)
    again, created_again = evaluator.post_verdict(exp["id"], verdict)

    assert (created, created_again) == (True, False) and again.id == stored.id


def test_the_client_retries_with_backoff_then_gives_up() -> None:
    calls = []

    def unavailable(request: httpx2.Request) -> httpx2.Response:
        calls.append(request)
        return httpx2.Response(503)

    transport = httpx2.MockTransport(unavailable)
    waits: list[float] = []
    client = ExperimentsClient(httpx2.Client(transport=transport, base_url="http://api"),
                               retry=RetryPolicy(attempts=4, backoff_seconds=0.5),
                               sleep=waits.append)

    with pytest.raises(ApiUnavailable, match="after 4 attempts"):
        client.aggregates(1)
    assert len(calls) == 4 and waits == [0.5, 1.0, 2.0]


def test_failures_are_reported_per_experiment(api: Api, evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment()
    api.observe(exp["id"], posts("video", 0.03, count=3, impressions=100, seed=1))
    real = evaluator.http

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST":
            raise httpx2.ConnectError("connection refused")
        response = real.request(request.method, request.url.path, params=request.url.params)
        return httpx2.Response(response.status_code, content=response.content,
                               headers={"content-type": "application/json"})

    flaky = ExperimentsClient(httpx2.Client(transport=httpx2.MockTransport(handler),
                                            base_url="http://api"),
                              retry=RetryPolicy(attempts=2, backoff_seconds=0))
    summary = evaluate_due(flaky)

    assert not summary.ok and [o.experiment_id for o in summary.failed] == [exp["id"]]
    assert f"failed: experiment {exp['id']}: POST /v1/experiments/verdicts" in summary.text()
    assert evaluate_due(evaluator).count("written") == 1  # the next run picks it up


def test_trigger_endpoint_runs_an_evaluation(api: Api, evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment()
    api.observe(exp["id"], posts("video", 0.03, count=3, impressions=100, seed=1)
                + posts("webinar", 0.03, count=3, impressions=100, seed=2))
    with TestClient(create_evaluator_app(client_factory=lambda: evaluator)) as trigger:
        assert trigger.get("/healthz").json() == {"status": "ok"}
        r = trigger.post("/evaluations")

    assert r.status_code == 200 and r.json()["written"] == 1 and r.json()["ok"] is True


def test_evaluate_due_exits_non_zero_when_the_api_is_unreachable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ABTEST_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ABTEST_API_KEY", "sp_nothing")
    monkeypatch.setenv("ABTEST_ATTEMPTS", "2")
    monkeypatch.setenv("ABTEST_BACKOFF_SECONDS", "0")

    result = CliRunner().invoke(cli_app, ["evaluate-due"])

    assert result.exit_code == 1
    assert "could not list due experiments" in result.output


def test_evaluate_due_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ABTEST_API_KEY", "")
    result = CliRunner().invoke(cli_app, ["evaluate-due"])
    assert result.exit_code == 2 and "ABTEST_API_KEY" in result.output


def test_effects_are_finite_numbers(api: Api, evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment()
    api.observe(exp["id"], [{"arm": a, "post_id": f"{a}{i}", "impressions": 100,
                             "engagements": 0} for a in ("video", "webinar") for i in range(3)])
    evaluate_due(evaluator)
    verdict = api.ok(api.client.get(f"/v1/experiments/{exp['id']}/verdicts",
                                    headers=api.manager))["items"][0]
    assert verdict["p_value"] == 1.0 and math.isfinite(verdict["effect"])


def test_skipping_the_exact_boundary_never_changes_a_decision() -> None:
    """The evaluator computes the exact group-sequential boundary only when |z| reaches the
    nominal bound for all the alpha spent so far; below it, gs_test never rejects."""
    rng = np.random.default_rng(11)
    for _ in range(300):
        k = int(rng.integers(1, 8))
        fractions = sorted(set(np.round(rng.uniform(0.02, 1.3, k), 4)))
        spent = 2.0 * stats.obf_spending(fractions[-1], 0.025)
        bound = float(sps.norm.isf(spent / 2.0))
        z = float(rng.uniform(0.0, 1.0)) * bound
        assert not stats.gs_test(z, fractions).reject
        assert stats.gs_boundaries(fractions)[-1] >= bound - 1e-9


def test_too_few_posts_keep_collecting_however_clear(api: Api,
                                                     evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment()
    api.observe(exp["id"], posts("video", 0.04, count=3, impressions=5_000, seed=1)
                + posts("webinar", 0.01, count=3, impressions=5_000, seed=2))
    evaluate_due(evaluator)
    verdict = api.ok(api.client.get(f"/v1/experiments/{exp['id']}/verdicts",
                                    headers=api.manager))["items"][0]

    assert verdict["p_value"] < 0.01
    assert verdict["decision"] == "keep_collecting"
    assert verdict["ci_low"] is None and verdict["always_valid_p"] is None
    assert "once each variant has 10 posts" in verdict["summary"]


def test_daily_counts_of_a_split_post_use_the_impression_level_test(
        api: Api, evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment(unit="impression", planned_n_per_arm=50_000)
    rows = [{"arm": arm, "day": f"2026-11-{day:02d}", "impressions": 2_000, "engagements": e}
            for day in (20, 21) for arm, e in (("video", 58), ("webinar", 41))]
    api.observe(exp["id"], rows)
    api.observe(exp["id"], rows)  # the same day sent twice changes nothing
    evaluate_due(evaluator)
    verdict = api.ok(api.client.get(f"/v1/experiments/{exp['id']}/verdicts",
                                    headers=api.manager))["items"][0]

    reference = stats.compare_proportions(stats.ArmCounts(4_000, 116), stats.ArmCounts(4_000, 82))
    assert verdict["method"].startswith(stats.Z_TEST) and verdict["unit"] == "impression"
    assert verdict["p_value"] == pytest.approx(reference.p_value, rel=1e-9)
    assert verdict["n_per_arm"] == {"video": 4_000, "webinar": 4_000}
    assert "impressions of one post split between the variants" in verdict["summary"]


def test_at_the_planned_size_equivalence_is_shown_by_two_one_sided_tests(
        api: Api, evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment(planned_n_per_arm=20, equivalence_margin=0.004)
    api.observe(exp["id"], posts("video", 0.03, count=20, impressions=10_000, seed=1)
                + posts("webinar", 0.03, count=20, impressions=10_000, seed=2))
    evaluate_due(evaluator)
    current = evaluator.experiment(exp["id"])
    verdict = api.ok(api.client.get(f"/v1/experiments/{exp['id']}/verdicts",
                                    headers=api.manager))["items"][0]

    assert current.state == "concluded" and current.equivalence_margin == 0.004
    assert verdict["decision"] == "no_difference" and verdict["winner"] is None
    assert verdict["equivalence_p_value"] <= 0.05
    assert "equivalent within ±0.4 points" in verdict["summary"]


def test_at_the_planned_size_imprecise_data_is_inconclusive_not_no_difference(
        api: Api, evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment(planned_n_per_arm=12)
    api.observe(exp["id"], posts("video", 0.03, count=12, impressions=500, seed=1)
                + posts("webinar", 0.03, count=12, impressions=500, seed=2))
    evaluate_due(evaluator)
    current = evaluator.experiment(exp["id"])
    verdict = api.ok(api.client.get(f"/v1/experiments/{exp['id']}/verdicts",
                                    headers=api.manager))["items"][0]

    assert current.state == "concluded"
    assert verdict["decision"] == "inconclusive" and verdict["winner"] is None
    assert verdict["equivalence_p_value"] > 0.05
    assert verdict["ci_low"] < -0.005 or verdict["ci_high"] > 0.005  # wider than the margin
    assert "Inconclusive: with 12 posts per variant the data cannot tell" in verdict["summary"]
    assert "no difference" not in verdict["summary"]


def test_a_better_stakeholder_variant_wins(api: Api, evaluator: ExperimentsClient) -> None:
    exp = api.make_experiment(design="always_valid")
    api.observe(exp["id"], posts("video", 0.02, count=15, impressions=2_000, seed=1)
                + posts("webinar", 0.04, count=15, impressions=2_000, seed=2))
    evaluate_due(evaluator)
    verdict = evaluator.experiment(exp["id"]).latest_verdict

    assert verdict is not None and verdict.decision == "stakeholder_better"
    assert verdict.winner == "webinar"
    assert "we will adopt the stakeholder's variant" in verdict.summary
