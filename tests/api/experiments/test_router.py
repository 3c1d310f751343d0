"""HTTP behaviour of experiments: definitions, observations, aggregates and verdicts."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.abtest import sizing, stats
from tests.api.team.test_router import assert_problem
from tests.factories import Api, posts

EVALUATOR = ("experiments:read", "verdicts:write")


def count_events(api: Api, type_: str | None = None) -> int:
    url = "/v1/events?limit=200" + (f"&type={type_}" if type_ else "")
    return len(api.ok(api.client.get(url, headers=api.manager))["items"])


def get(api: Api, exp_id: int) -> dict[str, Any]:
    return api.ok(api.client.get(f"/v1/experiments/{exp_id}", headers=api.manager))  # type: ignore[no-any-return]


def verdict_body(exp: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {"data_version": exp["data_version"], "look": len(exp["looks"]) + 1,
            "info_fraction": 0.2, "decision": "keep_collecting", "metric": "engagement_rate",
            "method": "delta-method ratio z-test (unit: post)", "unit": "post",
            "estimates": {"video": 0.028, "webinar": 0.012},
            "n_per_arm": {"video": 2000, "webinar": 2000},
            "planned_n_per_arm": exp["planned_n_per_arm"],
            "summary": "Too early to call; we keep collecting."} | overrides


def test_experiment_is_planned_with_fleiss_sample_size(api: Api) -> None:
    request_id = api.make_request()["id"]
    r = api.client.post("/v1/experiments", headers=api.manager, json={
        "name": "Webinar vs video", "request_id": request_id, "baseline_rate": 0.028, "mde": 0.005,
        "alpha": 0.05, "power": 0.8,
        "arms": [{"key": "webinar", "name": "Webinar post", "role": "stakeholder"},
                 {"key": "video", "name": "Product video", "role": "team"}]})
    body = api.ok(r, 201)
    impressions = api.ok(api.client.post("/v1/experiments", headers=api.manager, json={
        "name": "One post split", "baseline_rate": 0.028, "mde": 0.005, "unit": "impression",
        "arms": [{"key": "webinar", "name": "Webinar post", "role": "stakeholder"},
                 {"key": "video", "name": "Product video", "role": "team"}]}), 201)

    # Posts are the unit: planned in posts (no history on this network: the fallback).
    d = sizing.FALLBACK_DISPERSION
    assert body["planned_n_per_arm"] == sizing.required_posts(
        d * 0.028 * 0.972, 0.005, variance_b=d * 0.033 * 0.967,
        extra_posts=2 * sizing.FALLBACK_LEVERAGE, alpha=0.05, power=0.8)
    assert "fallback" in body["sizing_basis"]
    assert impressions["planned_n_per_arm"] == stats.required_sample_size_proportions(
        0.028, 0.005, alpha=0.05, power=0.8)
    assert body["state"] == "draft" and body["design"] == "sequential" and body["unit"] == "post"
    assert [a["key"] for a in body["arms"]] == ["video", "webinar"]  # the team's arm first
    assert body["request_id"] == request_id and body["data_version"] == 0
    assert r.headers["location"] == f"/v1/experiments/{body['id']}"
    assert r.headers["etag"] == '"v1"'
    assert count_events(api, "experiment.created") == 2


@pytest.mark.parametrize(("change", "field"), [
    ({"arms": [{"key": "video", "name": "Video", "role": "team"}]}, None),
    ({"primary_metric": "likes_per_hour"}, "body.primary_metric"),
    ({"mde": -0.01}, "body.mde"),
    ({"network": "myspace"}, None),
    ({"arms": [{"key": "a", "name": "A", "role": "team"},
               {"key": "b", "name": "B", "role": "team"}]}, None),
    ({"arms": [{"key": "a", "name": "A", "role": "team", "share": 0.7},
               {"key": "b", "name": "B", "role": "stakeholder", "share": 0.7}]}, None),
    ({"guardrail_metrics": ["engagement_rate"]}, None),
    ({"unit": "impression", "guardrail_metrics": ["watch_time"]}, None),
    ({"baseline_rate": None}, None),
    # Plans more impressions per arm than the column holds (was a 500 on SQLite).
    ({"unit": "impression", "mde": 1e-9}, None),
    ({"mde": 1e-12}, None),
    ({"planned_n_per_arm": 2**31}, "body.planned_n_per_arm"),
], ids=["one-arm", "unknown-metric", "negative-mde", "unknown-network", "two-team-arms",
        "shares", "primary-as-guardrail", "impression-unit-value", "no-baseline",
        "tiny-mde-impressions", "tiny-mde-posts", "planned-beyond-int32"])
def test_bad_definitions_are_rejected_and_write_nothing(api: Api, change: dict[str, Any],
                                                        field: str | None) -> None:
    body = {"name": "x", "baseline_rate": 0.03, "mde": 0.005,
            "arms": [{"key": "video", "name": "Video", "role": "team"},
                     {"key": "webinar", "name": "Webinar", "role": "stakeholder"}]} | change
    assert_problem(api.client.post("/v1/experiments", headers=api.manager, json=body), 422,
                   field=field)
    assert api.ok(api.client.get("/v1/experiments", headers=api.manager))["items"] == []
    assert count_events(api) == 0


def test_stakeholders_read_but_cannot_create_experiments(api: Api) -> None:
    member = api.make_member(role="stakeholder")
    stakeholder = api.key_for(member)
    network = api.make_network()
    request_id = api.ok(api.client.post("/v1/requests", headers=stakeholder, json={
        "title": "Webinar", "description": "d", "goal": "awareness", "audience": "everyone",
        "networks": [network["slug"]], "department": "Sales",
        "desired_publish_at": (datetime.now(UTC) + timedelta(days=10)).isoformat()}), 201)["id"]
    exp = api.make_experiment(request_id=request_id)

    assert api.ok(api.client.get(f"/v1/experiments/{exp['id']}", headers=stakeholder))
    assert_problem(api.client.post("/v1/experiments", headers=stakeholder, json={}), 403)


def test_resending_observations_is_idempotent(api: Api) -> None:
    exp = api.make_experiment()
    rows = posts("video", 0.03, count=3, impressions=400, seed=1) + posts(
        "webinar", 0.02, count=3, impressions=400, seed=2)

    first = api.observe(exp["id"], rows)
    events = count_events(api)
    again = api.observe(exp["id"], rows)

    assert (first["inserted"], first["data_version"]) == (6, 1)
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 6)
    assert again["data_version"] == 1 and get(api, exp["id"])["data_version"] == 1
    assert count_events(api) == events


def test_corrected_counts_replace_the_old_ones_and_bump_the_data_version(api: Api) -> None:
    exp = api.make_experiment()
    api.observe(exp["id"], [{"arm": "video", "post_id": "p1", "impressions": 100,
                             "engagements": 3}])
    result = api.observe(exp["id"], [{"arm": "video", "post_id": "p1", "impressions": 250,
                                      "engagements": 9}])
    agg = api.ok(api.client.get(f"/v1/experiments/{exp['id']}/aggregates",
                                headers=api.manager))

    assert (result["updated"], result["data_version"]) == (1, 2)
    video = agg["arms"][0]
    assert (video["posts"], video["impressions"]) == (1, 250)
    assert video["metrics"]["engagement_rate"]["sum"] == 9


@pytest.mark.parametrize(("row", "status"), [
    ({"arm": "video", "post_id": "p", "impressions": 10, "engagements": 11}, 422),
    ({"arm": "video", "post_id": "p", "impressions": -1}, 422),
    ({"arm": "video", "post_id": "p", "impressions": 10, "clicks": 12}, 422),
    ({"arm": "video", "impressions": 10}, 422),
    ({"arm": "carousel", "post_id": "p", "impressions": 10}, 422),
], ids=["engagements-over-impressions", "negative", "clicks-over-impressions", "no-key",
        "unknown-arm"])
def test_bad_observations_reject_the_whole_batch(api: Api, row: dict[str, Any],
                                                 status: int) -> None:
    exp = api.make_experiment()
    good = {"arm": "webinar", "post_id": "ok", "impressions": 10, "engagements": 1}
    r = api.client.post(f"/v1/experiments/{exp['id']}/observations", headers=api.manager,
                        json={"observations": [good, row]})

    assert_problem(r, status)
    assert get(api, exp["id"])["data_version"] == 0
    agg = api.ok(api.client.get(f"/v1/experiments/{exp['id']}/aggregates",
                                headers=api.manager))
    assert [a["posts"] for a in agg["arms"]] == [0, 0]


def test_a_post_cannot_switch_arms(api: Api) -> None:
    exp = api.make_experiment()
    api.observe(exp["id"], [{"arm": "video", "post_id": "p1", "impressions": 100}])
    r = api.client.post(f"/v1/experiments/{exp['id']}/observations", headers=api.manager,
                        json={"observations": [{"arm": "webinar", "post_id": "p1",
                                                "impressions": 100}]})
    assert_problem(r, 422)
    assert get(api, exp["id"])["data_version"] == 1


def test_a_post_in_both_arms_of_one_batch_is_rejected(api: Api) -> None:
    exp = api.make_experiment()
    r = api.client.post(f"/v1/experiments/{exp['id']}/observations", headers=api.manager,
                        json={"observations": [
                            {"arm": "video", "post_id": "p1", "impressions": 100},
                            {"arm": "webinar", "post_id": "p1", "impressions": 100}]})
    assert_problem(r, 422)
    assert get(api, exp["id"])["data_version"] == 0


def test_observations_need_a_running_experiment(api: Api) -> None:
    draft = api.make_experiment(start=False)
    row = {"observations": [{"arm": "video", "post_id": "p1", "impressions": 100}]}
    url = f"/v1/experiments/{draft['id']}/observations"

    assert_problem(api.client.post(url, headers=api.manager, json=row), 409)
    api.ok(api.client.post(f"/v1/experiments/{draft['id']}/start", headers=api.manager))
    assert api.ok(api.client.post(url, headers=api.manager, json=row))["inserted"] == 1
    api.ok(api.client.post(f"/v1/experiments/{draft['id']}/stop", headers=api.manager))
    assert_problem(api.client.post(url, headers=api.manager, json=row), 409)
    assert_problem(api.client.post(f"/v1/experiments/{draft['id']}/start",
                                   headers=api.manager), 409)


def test_aggregates_are_the_per_post_sums(api: Api) -> None:
    exp = api.make_experiment(guardrail_metrics=["video_views"])
    rows = [{"arm": "video", "post_id": "a", "impressions": 1000, "engagements": 30,
             "clicks": 4, "video_views": 120},
            {"arm": "video", "post_id": "b", "impressions": 3_000_000_000, "engagements": 50,
             "clicks": 0, "video_views": 0},
            {"arm": "webinar", "post_id": "c", "impressions": 800, "engagements": 8}]
    api.observe(exp["id"], rows)
    agg = api.ok(api.client.get(f"/v1/experiments/{exp['id']}/aggregates",
                                headers=api.manager))

    video, webinar = agg["arms"]
    assert (video["arm"], video["posts"], video["impressions"]) == ("video", 2, 3_000_001_000)
    assert video["impressions_sq"] == pytest.approx(1000.0**2 + 3e9**2, rel=1e-12)
    er = video["metrics"]["engagement_rate"]
    assert (er["sum"], er["sum_sq"]) == (80, 30**2 + 50**2)
    assert er["sum_cross"] == pytest.approx(30 * 1000 + 50 * 3e9, rel=1e-12)
    views = video["metrics"]["video_views"]
    assert (views["n"], views["sum"], views["sum_sq"]) == (2, 120, 14400)
    assert views["sum_log"] == pytest.approx(__import__("math").log1p(120), rel=1e-12)
    assert webinar["metrics"]["video_views"]["n"] == 0
    assert agg["data_version"] == 1


def test_verdicts_need_the_service_scope(api: Api) -> None:
    exp = api.make_experiment()
    api.observe(exp["id"], [{"arm": "video", "post_id": "p", "impressions": 10}])
    exp = get(api, exp["id"])
    url = f"/v1/experiments/{exp['id']}/verdicts"

    assert_problem(api.client.post(url, headers=api.manager, json=verdict_body(exp)), 403)
    reader = api.service_key("experiments:read")
    assert_problem(api.client.post(url, headers=reader, json=verdict_body(exp)), 403)
    assert get(api, exp["id"])["latest_verdict"] is None
    assert count_events(api, "experiment.verdict") == 0


def test_a_verdict_is_stored_once_per_data_version(api: Api) -> None:
    exp = api.make_experiment()
    api.observe(exp["id"], [{"arm": "video", "post_id": "p", "impressions": 10}])
    exp = get(api, exp["id"])
    key = api.service_key(*EVALUATOR)
    url = f"/v1/experiments/{exp['id']}/verdicts"

    first = api.ok(api.client.post(url, headers=key, json=verdict_body(exp)), 201)
    replay = api.ok(api.client.post(url, headers=key, json=verdict_body(exp)), 200)

    assert replay["id"] == first["id"]
    assert len(api.ok(api.client.get(url, headers=api.manager))["items"]) == 1
    assert count_events(api, "experiment.verdict") == 1
    after = get(api, exp["id"])
    assert after["latest_verdict"]["id"] == first["id"]
    assert after["evaluated_version"] == 1 and after["looks"] == [0.2]


def test_a_different_verdict_for_a_stored_data_version_is_a_conflict_naming_it(
        api: Api) -> None:
    exp = api.make_experiment()
    api.observe(exp["id"], [{"arm": "video", "post_id": "p", "impressions": 10}])
    exp = get(api, exp["id"])
    key = api.service_key(*EVALUATOR)
    url = f"/v1/experiments/{exp['id']}/verdicts"
    first = api.ok(api.client.post(url, headers=key, json=verdict_body(exp)), 201)

    other = verdict_body(exp, summary="Too early; the difference is small so far.")
    r = api.client.post(url, headers=key, json=other)
    batch = api.ok(api.client.post("/v1/experiments/verdicts", headers=key, json={
        "verdicts": [{"experiment_id": exp["id"], **other}]}))["items"][0]

    body = assert_problem(r, 409)
    assert f"Verdict {first['id']} (keep_collecting)" in body["detail"]
    assert batch["status"] == 409 and f"Verdict {first['id']}" in batch["detail"]
    assert [v["summary"] for v in api.ok(api.client.get(url, headers=api.manager))["items"]] \
        == [first["summary"]]
    assert count_events(api, "experiment.verdict") == 1


def test_a_verdict_for_stale_data_is_a_conflict_and_writes_nothing(api: Api) -> None:
    exp = api.make_experiment()
    api.observe(exp["id"], [{"arm": "video", "post_id": "p", "impressions": 10}])
    old = get(api, exp["id"])
    api.observe(exp["id"], [{"arm": "video", "post_id": "q", "impressions": 10}])
    url = f"/v1/experiments/{exp['id']}/verdicts"

    r = api.client.post(url, headers=api.service_key(*EVALUATOR), json=verdict_body(old))

    assert_problem(r, 409)
    assert api.ok(api.client.get(url, headers=api.manager))["items"] == []
    assert count_events(api, "experiment.verdict") == 0


def test_a_winner_must_match_the_decision(api: Api) -> None:
    exp = api.make_experiment()
    api.observe(exp["id"], [{"arm": "video", "post_id": "p", "impressions": 10}])
    exp = get(api, exp["id"])
    r = api.client.post(f"/v1/experiments/{exp['id']}/verdicts",
                        headers=api.service_key(*EVALUATOR),
                        json=verdict_body(exp, decision="team_better", winner="webinar"))
    assert_problem(r, 422)
    assert get(api, exp["id"])["state"] == "running"


def test_a_conclusive_verdict_concludes_and_leaves_the_due_list(api: Api) -> None:
    due = [api.make_experiment() for _ in range(3)]
    for exp in due:
        api.observe(exp["id"], [{"arm": "video", "post_id": "p", "impressions": 10}])
    api.make_experiment()  # no data: not due
    key = api.service_key(*EVALUATOR)
    first = api.ok(api.client.get("/v1/experiments?due=true&limit=2", headers=key))
    second = api.ok(api.client.get(f"/v1/experiments?due=true&limit=2&cursor={first['next']}",
                                   headers=key))
    assert [e["id"] for e in first["items"] + second["items"]] == [e["id"] for e in due]
    assert second["next"] is None

    target = get(api, due[0]["id"])
    api.ok(api.client.post(f"/v1/experiments/{target['id']}/verdicts", headers=key,
                           json=verdict_body(target, decision="team_better", winner="video",
                                             summary="The product video performs better.")),
           201)

    concluded = get(api, target["id"])
    assert concluded["state"] == "concluded" and concluded["concluded_at"]
    assert concluded["latest_verdict"]["summary"] == "The product video performs better."
    ids = [e["id"] for e in api.ok(api.client.get("/v1/experiments?due=true",
                                                  headers=key))["items"]]
    assert target["id"] not in ids
    assert_problem(api.client.post(f"/v1/experiments/{target['id']}/observations",
                                   headers=api.manager, json={"observations": [
                                       {"arm": "video", "post_id": "z", "impressions": 1}]}),
                   409)


def test_an_observation_feed_key_can_only_send_data(api: Api) -> None:
    exp = api.make_experiment()
    feed = api.service_key("observations:write")
    r = api.client.post(f"/v1/experiments/{exp['id']}/observations", headers=feed,
                        json={"observations": [{"arm": "video", "post_id": "p",
                                                "impressions": 5}]})
    assert api.ok(r)["inserted"] == 1
    assert_problem(api.client.get(f"/v1/experiments/{exp['id']}", headers=feed), 403)


def test_unknown_experiment_is_404(api: Api) -> None:
    assert_problem(api.client.get("/v1/experiments/999999", headers=api.manager), 404)
    assert_problem(api.client.get("/v1/experiments/999999/aggregates", headers=api.manager),
                   404)


def test_verdicts_in_bulk_report_each_item(api: Api) -> None:
    fresh, replayed, stale = (api.make_experiment() for _ in range(3))
    for exp in (fresh, replayed, stale):
        api.observe(exp["id"], [{"arm": "video", "post_id": "p", "impressions": 10}])
    key = api.service_key(*EVALUATOR)
    replay_body = verdict_body(get(api, replayed["id"]))
    api.ok(api.client.post(f"/v1/experiments/{replayed['id']}/verdicts", headers=key,
                           json=replay_body), 201)
    old = get(api, stale["id"])
    api.observe(stale["id"], [{"arm": "video", "post_id": "q", "impressions": 10}])
    events = count_events(api, "experiment.verdict")

    r = api.client.post("/v1/experiments/verdicts", headers=key, json={"verdicts": [
        {"experiment_id": fresh["id"], **verdict_body(get(api, fresh["id"]))},
        {"experiment_id": replayed["id"], **replay_body},
        {"experiment_id": stale["id"], **verdict_body(old)},
        {"experiment_id": 999999, **verdict_body(old)}]})
    items = api.ok(r)["items"]

    assert [i["status"] for i in items] == [201, 200, 409, 404]
    assert items[0]["verdict"]["experiment_id"] == fresh["id"]
    assert "Stale data" in items[2]["detail"] and items[2]["verdict"] is None
    assert count_events(api, "experiment.verdict") == events + 1
    assert get(api, fresh["id"])["evaluated_version"] == 1
    assert get(api, stale["id"])["latest_verdict"] is None
    again = api.ok(api.client.post("/v1/experiments/verdicts", headers=key, json={"verdicts": [
        {"experiment_id": fresh["id"], **verdict_body(get(api, fresh["id"]) | {
            "looks": [], "data_version": 1})}]}))
    assert again["items"][0]["status"] == 200
    assert again["items"][0]["verdict"]["id"] == items[0]["verdict"]["id"]


def test_a_verdict_changes_the_etag(api: Api) -> None:
    exp = api.make_experiment()
    api.observe(exp["id"], [{"arm": "video", "post_id": "p", "impressions": 10}])
    before = api.client.get(f"/v1/experiments/{exp['id']}", headers=api.manager)
    api.ok(api.client.post(f"/v1/experiments/{exp['id']}/verdicts",
                           headers=api.service_key(*EVALUATOR), json=verdict_body(before.json())),
           201)
    after = api.client.get(f"/v1/experiments/{exp['id']}", headers=api.manager)
    assert before.headers["etag"] == '"v1"' and after.headers["etag"] == '"v2"'


def test_due_list_can_carry_the_aggregates(api: Api) -> None:
    exp = api.make_experiment()
    api.observe(exp["id"], [{"arm": "video", "post_id": "p", "impressions": 10,
                             "engagements": 2}])
    key = api.service_key(*EVALUATOR)
    listed = api.ok(api.client.get("/v1/experiments?due=true&include=aggregates",
                                   headers=key))["items"][0]
    single = api.ok(api.client.get(f"/v1/experiments/{exp['id']}/aggregates", headers=key))
    plain = api.ok(api.client.get("/v1/experiments?due=true", headers=key))["items"][0]

    assert listed["aggregates"] == single
    assert plain["aggregates"] is None
