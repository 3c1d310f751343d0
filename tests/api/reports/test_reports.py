"""The post performance, network profile and trends reports over HTTP, checked against
figures computed by hand and against scipy/statsmodels."""

import csv
import io
import math
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps

from services.api.reports import stats
from tests.api.reports.data import Q3, Q4, load, make_post, shifted_views
from tests.api.team.test_router import assert_problem
from tests.factories import Api


def perf(api: Api, query: str) -> dict[str, Any]:
    body: dict[str, Any] = api.ok(api.client.get(
        f"/v1/reports/performance?quarter=2025-Q4&{query}", headers=api.manager))
    return body


@pytest.fixture
def four_posts(api: Api) -> Api:
    olivia = api.make_member(name="Olivia")
    jonathan = api.make_member(name="Jonathan")
    api.make_network("tiktok", owner_id=olivia["id"])
    api.make_network("linkedin", owner_id=jonathan["id"], purpose="engagement")
    day = Q4 + timedelta(days=10)
    load(api, [
        make_post("tiktok", "wide", day, "short", impressions=10_000, engagements=100,
                  video_views=8_000, tags=["launch"], title="Wide reach"),
        make_post("linkedin", "deep", day, "text", impressions=2_000, engagements=200,
                  title="Deep talk"),
        make_post("linkedin", "tiny", day, "text", impressions=50, engagements=25,
                  title="Tiny"),
        make_post("tiktok", "old", Q3 + timedelta(days=5), "short", impressions=99_999,
                  engagements=9_999, title="Last quarter"),
    ])
    pid = perf(api, "sort=engagements")["rows"][0]["post"]["id"]
    api.ok(api.client.post(f"/v1/posts/{pid}/notes", headers=api.manager,
                           json={"body": "Asked a question in the first line."}), 201)
    return api


def test_performance_answers_awareness_engagement_and_rate_questions(four_posts: Api) -> None:
    api = four_posts

    def titles(r: dict[str, Any]) -> list[str]:
        return [x["post"]["title"] for x in r["rows"]]

    assert titles(perf(api, "sort=impressions")) == ["Wide reach", "Deep talk", "Tiny"]
    by_engagements = perf(api, "sort=engagements")
    assert titles(by_engagements) == ["Deep talk", "Wide reach", "Tiny"]
    assert [n["body"] for n in by_engagements["rows"][0]["notes"]] == [
        "Asked a question in the first line."]
    assert titles(perf(api, "sort=engagement_rate")) == ["Tiny", "Deep talk", "Wide reach"]
    assert titles(perf(api, "sort=engagement_rate&min_impressions=100")) == [
        "Deep talk", "Wide reach"]
    assert titles(perf(api, "sort=video_views&limit=1")) == ["Wide reach"]


def test_totals_use_the_ratio_of_sums_as_engagement_rate(four_posts: Api) -> None:
    totals = perf(four_posts, "")["totals"]
    assert totals["posts"] == 3
    assert totals["metrics"]["impressions"] == 12_050
    assert totals["metrics"]["engagement_rate"] == pytest.approx(325 / 12_050)
    assert totals["metrics"]["engagement_rate"] != pytest.approx((0.01 + 0.1 + 0.5) / 3)


def test_performance_filters_by_network_type_tag_and_owner(four_posts: Api) -> None:
    api = four_posts
    assert [r["post"]["external_id"] for r in perf(api, "network=linkedin&sort=impressions")[
        "rows"]] == ["deep", "tiny"]
    assert [r["post"]["external_id"] for r in perf(api, "content_type=short")["rows"]] == ["wide"]
    assert [r["post"]["external_id"] for r in perf(api, "tag=LAUNCH")["rows"]] == ["wide"]
    owner = perf(api, "network=tiktok")["rows"][0]["post"]["owner_id"]
    assert [r["post"]["external_id"] for r in perf(api, f"owner_id={owner}")["rows"]] == ["wide"]


def test_performance_csv_has_the_same_rows(four_posts: Api) -> None:
    r = four_posts.client.get("/v1/reports/performance.csv?quarter=2025-Q4&sort=impressions",
                              headers=four_posts.manager)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [x["external_id"] for x in rows] == ["wide", "deep", "tiny"]
    assert float(rows[1]["engagement_rate"]) == pytest.approx(0.1)
    assert rows[1]["notes"] == "Asked a question in the first line."


@pytest.mark.parametrize("query", ["from=2026-01-01&to=2027-01-02", "from=2026-05-01&to=2026-04-01",
                                   "from=2026-05-01", "quarter=2025-Q4&from=2025-10-01",
                                   "network=myspace"])
def test_bad_periods_and_unknown_networks_are_422(api: Api, query: str) -> None:
    for report in ("performance", "profiles", "trends"):
        assert_problem(api.client.get(f"/v1/reports/{report}?{query}", headers=api.manager),
                       422)


def test_longest_allowed_range_is_366_days(api: Api) -> None:
    api.ok(api.client.get("/v1/reports/performance?from=2024-01-01&to=2024-12-31",
                          headers=api.manager))


def test_profiles_measure_goals_change_and_freshness(four_posts: Api) -> None:
    api = four_posts
    api.make_network("pinterest")
    api.ok(api.client.put("/v1/networks/linkedin/goals/2025-Q4", headers=api.manager,
                          json={"targets": {"engagement_rate": 0.05, "engagements": 450}}))
    api.ok(api.client.put("/v1/networks/tiktok/followers", headers=api.manager, json={
        "counts": [{"day": "2025-09-30", "followers": 1000},
                   {"day": "2025-11-15", "followers": 1300}]}))
    report = api.ok(api.client.get("/v1/reports/profiles?quarter=2025-Q4", headers=api.manager))
    assert report["previous_period"] == {"from": "2025-07-01", "to": "2025-09-30", "days": 92}
    by = {n["network"]: {k["metric"]: k for k in n["kpis"]} for n in report["networks"]}
    linkedin = by["linkedin"]
    assert linkedin["engagement_rate"]["actual"] == pytest.approx(225 / 2050)
    assert linkedin["engagement_rate"]["percent_of_goal"] == pytest.approx(225 / 2050 / 0.05 * 100)
    assert linkedin["engagement_rate"]["on_track"] is True
    assert linkedin["engagements"]["percent_of_goal"] == pytest.approx(50.0)
    tiktok = by["tiktok"]
    assert tiktok["impressions"]["previous"] == 99_999
    assert tiktok["impressions"]["change_pct"] == pytest.approx((10_000 - 99_999) / 99_999 * 100)
    assert tiktok["follower_growth"]["actual"] == 300
    fresh = {n["network"]: n for n in report["networks"]}
    assert fresh["pinterest"]["freshness"] == "missing"
    assert by["pinterest"]["impressions"]["actual"] is None  # no data is not zero
    assert {n["network"]: n["status"] for n in report["freshness"]["networks"]}["pinterest"] == \
        "missing"


def test_trends_flag_a_large_credible_shift_and_not_noise(api: Api) -> None:
    api.make_network("tiktok")
    api.make_network("instagram")
    posts = (shifted_views("tiktok", "short", start=Q3, days=90, n=20, median_views=1000,
                           seed=1, prefix="tb")
             + shifted_views("tiktok", "short", start=Q4, days=90, n=20, median_views=2500,
                             seed=2, prefix="tn")
             + shifted_views("instagram", "story", start=Q3, days=90, n=20, median_views=1000,
                             seed=3, prefix="ib")
             + shifted_views("instagram", "story", start=Q4, days=90, n=20, median_views=1000,
                             seed=4, prefix="in"))
    load(api, posts)
    report = api.ok(api.client.get(
        "/v1/reports/trends?quarter=2025-Q4&metric=video_views",
        headers=api.manager))
    cells = {(c["network"], c["metric"]): c for c in report["cells"]}
    tiktok, instagram = cells[("tiktok", "video_views")], cells[("instagram", "video_views")]
    assert tiktok["flag"] == "rise" and tiktok["is_large"] and tiktok["is_credible"]
    assert instagram["flag"] is None
    assert [s["network"] for s in report["signals"]] == ["tiktok"]

    def views(prefix: str) -> np.ndarray:
        return np.log1p([p["snapshots"][0]["video_views"] for p in posts
                         if p["external_id"].startswith(prefix)])

    expected = sps.ttest_ind(views("tn"), views("tb"), equal_var=False).pvalue
    assert tiktok["p_value"] == pytest.approx(expected, rel=1e-6)
    assert tiktok["p_adjusted"] == pytest.approx(min(1.0, 2 * expected), rel=1e-6)


def tiktok_shorts_q3_then_q4(api: Api, *, n: int, before: float, after: float) -> None:
    """n TikTok shorts in 2025-Q3 with median `before` video views, n in Q4 around `after`."""
    api.make_network("tiktok")
    load(api, shifted_views("tiktok", "short", start=Q3, days=90, n=n, median_views=before,
                            seed=1, prefix="b")
         + shifted_views("tiktok", "short", start=Q4, days=90, n=n, median_views=after,
                         seed=2, prefix="n"))


def test_too_few_posts_are_never_flagged(api: Api) -> None:
    tiktok_shorts_q3_then_q4(api, n=3, before=100, after=9000)
    report = api.ok(api.client.get("/v1/reports/trends?from=2025-10-01&to=2025-12-29",
                                   headers=api.manager))
    assert report["signals"] == []
    assert all(c["p_value"] is None for c in report["cells"])
    assert "not enough posts" in report["cells"][0]["sentence"]


def test_a_metric_that_was_zero_before_says_so_instead_of_too_few_posts(api: Api) -> None:
    tiktok_shorts_q3_then_q4(api, n=8, before=0, after=0)
    report = api.ok(api.client.get("/v1/reports/trends?quarter=2025-Q4&metric=video_views",
                                   headers=api.manager))
    sentence = report["cells"][0]["sentence"]
    assert "not enough posts" not in sentence
    assert "no change to measure, 0 now against 0 before (8 posts vs 8)" in sentence
    assert report["signals"] == []


def test_holm_matches_statsmodels() -> None:
    from statsmodels.stats.multitest import multipletests

    p = [0.01, 0.04, 0.03, 0.5, None, 0.001]
    ours = stats.holm(p)
    present = [x for x in p if x is not None]
    reference = multipletests(present, method="holm")[1]
    assert [x for x in ours if x is not None] == pytest.approx(list(reference))
    assert ours[4] is None


def test_rate_variance_matches_the_delta_method_by_simulation() -> None:
    rng = np.random.default_rng(7)
    imps = rng.integers(500, 5000, size=60).astype(float)
    estimates = []
    for _ in range(4000):
        eng = rng.binomial(imps.astype(int), rng.beta(2, 40, size=imps.size)).astype(float)
        estimates.append(eng.sum() / imps.sum())
    eng = rng.binomial(imps.astype(int), rng.beta(2, 40, size=imps.size)).astype(float)
    agg = stats.RatioAgg(imps.size, eng.sum(), imps.sum(), (eng * eng).sum(),
                         (imps * imps).sum(), (eng * imps).sum())
    assert math.sqrt(agg.rate_variance()) == pytest.approx(np.std(estimates), rel=0.25)
