"""Triage wired to planning and experiments: accepted work reaches the owner's queue, an A/B
compromise creates its experiment, and the request shows the experiment's verdict."""

from datetime import datetime
from typing import Any

from tests.api.intake.helpers import Team, build_team, future
from tests.api.team.test_router import assert_problem
from tests.factories import Api


def submitted(team: Team, **overrides: Any) -> dict[str, Any]:
    body = {"networks": ["tiktok"], "audience": "young professionals"} | overrides
    return team.api.ok(team.submit(**body), 201)  # type: ignore[no-any-return]


def triage(team: Team, request_id: int, headers: dict[str, str] | None = None,
           **body: Any) -> Any:
    return team.api.client.post(f"/v1/requests/{request_id}/triage",
                                headers=headers or team.keys["olivia"], json=body)


def items_for(api: Api, request_id: int) -> list[dict[str, Any]]:
    items = api.ok(api.client.get("/v1/work-items?limit=200", headers=api.manager))["items"]
    return [i for i in items if i["request_id"] == request_id]


def experiments_for(api: Api, request_id: int) -> list[dict[str, Any]]:
    return api.ok(api.client.get(f"/v1/experiments?request_id={request_id}",  # type: ignore[no-any-return]
                                 headers=api.manager))["items"]


def count_events(api: Api) -> int:
    return len(api.ok(api.client.get("/v1/events?limit=200", headers=api.manager))["items"])


def test_accept_puts_the_work_on_the_owners_queue_with_the_requests_facts(api: Api) -> None:
    team = build_team(api)
    deadline = future(days=12)
    req = submitted(team, deadline_at=deadline.isoformat())
    assert req["needs_strategy_review"] is False
    api.ok(triage(team, req["id"], decision="accept", effort_hours=3))
    [item] = items_for(api, req["id"])
    assert item["owner_id"] == team.olivia["id"] and item["kind"] == "request"
    assert item["effort_hours"] == 3 and item["pillar_fit"] is True
    assert item["goal"] == "awareness" and item["title"] == req["title"]
    assert item["deadline"].replace("Z", "+00:00") == deadline.isoformat()
    queue = api.ok(api.client.get(f"/v1/queue?owner_id={team.olivia['id']}",
                                  headers=team.keys["olivia"]))
    assert [e["item"]["id"] for e in queue["items"]] == [item["id"]]


def test_a_compromise_is_accepted_work_and_a_redirect_or_decline_is_not(api: Api) -> None:
    team = build_team(api)
    flagged = submitted(team, audience="retired sailors")  # fails the strategy check
    api.ok(triage(team, flagged["id"], decision="compromise", rationale="One story only.",
                  alternative={"kind": "reduced_scope", "description": "one story"}))
    [item] = items_for(api, flagged["id"])
    assert item["pillar_fit"] is False and item["effort_hours"] == 2  # the default estimate
    redirected, declined = submitted(team), submitted(team)
    api.ok(triage(team, redirected["id"], decision="redirect", rationale="LinkedIn fits.",
                  alternative={"kind": "network", "network": "linkedin"}, effort_hours=2))
    api.ok(triage(team, declined["id"], decision="decline", rationale="Not this quarter."))
    assert items_for(api, redirected["id"]) == [] and items_for(api, declined["id"]) == []


def test_a_retried_triage_creates_one_work_item(api: Api) -> None:
    team = build_team(api)
    req = submitted(team)
    headers = team.keys["olivia"] | {"Idempotency-Key": "triage-once"}
    first = api.ok(triage(team, req["id"], headers, decision="accept", effort_hours=3))
    again = api.ok(triage(team, req["id"], headers, decision="accept", effort_hours=3))
    assert again == first
    assert len(items_for(api, req["id"])) == 1


def test_the_earliest_slot_comes_from_the_owners_plan_unless_given(api: Api) -> None:
    team = build_team(api)
    first, second = submitted(team), submitted(team)
    one = api.ok(triage(team, first["id"], decision="accept", effort_hours=6))
    two = api.ok(triage(team, second["id"], decision="accept", effort_hours=1))
    slot = api.ok(api.client.get(
        f"/v1/members/{team.olivia['id']}/earliest-slot?effort_hours=1",
        headers=team.keys["olivia"]))
    starts = [datetime.fromisoformat(t) for t in (
        one["triage"]["earliest_start_at"], two["triage"]["earliest_start_at"], slot["start"])]
    # Each new piece of work starts after the work already on the owner's plan.
    assert starts[0] < starts[1] < starts[2]
    when = future(days=3, hour=14)
    third = api.ok(triage(team, submitted(team)["id"], decision="accept", effort_hours=1,
                          earliest_start_at=when.isoformat()))
    assert third["triage"]["earliest_start_at"].replace("Z", "+00:00") == when.isoformat()


def test_an_ab_test_compromise_creates_a_draft_experiment_for_the_request(api: Api) -> None:
    team = build_team(api)
    req = submitted(team)
    body = api.ok(triage(team, req["id"], decision="compromise", rationale="Let data decide.",
                         alternative={"kind": "ab_test", "metric": "click_rate",
                                      "baseline_rate": 0.02, "mde": 0.004}))
    [shown] = body["experiments"]
    [experiment] = experiments_for(api, req["id"])
    assert shown["id"] == experiment["id"] and experiment["state"] == "draft"
    assert experiment["primary_metric"] == "click_rate" and experiment["mde"] == 0.004
    assert experiment["baseline_rate"] == 0.02 and req["title"] in experiment["name"]
    assert [(a["key"], a["role"]) for a in experiment["arms"]] == [
        ("team", "team"), ("stakeholder", "stakeholder")]
    seen = api.ok(api.client.get(f"/v1/requests/{req['id']}", headers=team.keys["priya"]))
    assert seen["experiments"] == body["experiments"]


def test_bad_ab_test_settings_are_422_and_write_nothing(api: Api) -> None:
    team = build_team(api)
    req = submitted(team)
    before = count_events(api)
    for alternative in ({"kind": "ab_test", "metric": "watch_time"},
                        {"kind": "ab_test", "baseline_rate": 0.99, "mde": 0.05},
                        {"kind": "reduced_scope", "mde": 0.01}):
        assert_problem(triage(team, req["id"], decision="compromise", rationale="r",
                              alternative=alternative), 422)
    assert count_events(api) == before and experiments_for(api, req["id"]) == []
    assert items_for(api, req["id"]) == []
    again = api.ok(api.client.get(f"/v1/requests/{req['id']}", headers=api.manager))
    assert again["status"] == "submitted"


def test_an_experiment_for_an_unknown_request_is_422_and_writes_nothing(api: Api) -> None:
    before = count_events(api)
    r = api.client.post("/v1/experiments", headers=api.manager, json={
        "name": "Orphan", "request_id": 999999, "baseline_rate": 0.03, "mde": 0.01,
        "arms": [{"key": "a", "name": "A", "role": "team"},
                 {"key": "b", "name": "B", "role": "stakeholder"}]})
    assert "999999" in assert_problem(r, 422)["detail"]
    assert count_events(api) == before
    assert api.ok(api.client.get("/v1/experiments", headers=api.manager))["items"] == []


def test_the_request_shows_its_experiments_latest_verdict_and_tells_followers(api: Api) -> None:
    team = build_team(api)
    req = submitted(team)
    body = api.ok(triage(team, req["id"], decision="compromise", rationale="Let data decide.",
                         alternative={"kind": "ab_test"}))
    exp_id = body["experiments"][0]["id"]
    api.ok(api.client.post(f"/v1/experiments/{exp_id}/start", headers=api.manager))
    api.observe(exp_id, [
        {"arm": "team", "post_id": "t1", "impressions": 1000, "engagements": 40},
        {"arm": "stakeholder", "post_id": "s1", "impressions": 1000, "engagements": 20}])
    exp = api.ok(api.client.get(f"/v1/experiments/{exp_id}", headers=api.manager))
    evaluator = api.service_key("experiments:read", "verdicts:write")
    api.ok(api.client.post(f"/v1/experiments/{exp_id}/verdicts", headers=evaluator, json={
        "data_version": exp["data_version"], "look": 1, "info_fraction": 1.0,
        "decision": "team_better", "winner": "team", "metric": "engagement_rate",
        "method": "two-proportion z-test", "unit": "post",
        "estimates": {"team": 0.04, "stakeholder": 0.02},
        "n_per_arm": {"team": 1, "stakeholder": 1}, "planned_n_per_arm": 2,
        "effect": -0.02, "ci_low": -0.035, "ci_high": -0.005, "p_value": 0.004,
        "summary": "The requested post reached 2.0% engagement against 4.0%."}), 201)
    seen = api.ok(api.client.get(f"/v1/requests/{req['id']}", headers=team.keys["priya"]))
    [experiment] = seen["experiments"]
    verdict = experiment["verdict"]
    assert experiment["state"] == "concluded" and verdict["decision"] == "team_better"
    assert verdict["summary"].startswith("The requested post reached 2.0%")
    assert (verdict["effect"], verdict["ci_low"], verdict["ci_high"], verdict["p_value"]) == (
        -0.02, -0.035, -0.005, 0.004)
    assert verdict["method"] == "two-proportion z-test" and verdict["decided_at"]
    feed = api.ok(api.client.get("/v1/events?type=request.verdict", headers=api.manager))
    [event] = feed["items"]
    assert event["subject_type"] == "request" and event["subject_id"] == str(req["id"])
    assert event["data"]["experiment_id"] == exp_id and event["data"]["is_conclusive"] is True


def queue_ids(team: Team) -> list[int]:
    queue = team.api.ok(team.api.client.get(f"/v1/queue?owner_id={team.olivia['id']}&limit=200",
                                            headers=team.keys["olivia"]))
    return [e["item"]["id"] for e in queue["items"]]


def closed_events(api: Api) -> list[dict[str, Any]]:
    return api.ok(api.client.get("/v1/events?limit=200&type=work_item.closed",  # type: ignore[no-any-return]
                                 headers=api.manager))["items"]


def move(team: Team, request_id: int, to: str, who: str = "olivia") -> Any:
    return team.api.client.post(f"/v1/requests/{request_id}/transitions",
                                headers=team.keys[who], json={"to": to})


def test_published_work_leaves_the_queue_as_done_with_its_chunks(api: Api) -> None:
    team = build_team(api)
    req = submitted(team)
    api.ok(triage(team, req["id"], decision="accept", effort_hours=6))
    [item] = items_for(api, req["id"])
    split = api.ok(api.client.post(f"/v1/work-items/{item['id']}/chunks", headers=api.manager,
                                   json={"chunks": [{"title": "Part 1", "effort_hours": 3,
                                                     "target_on": future(5).date().isoformat()}]}),
                   201)
    chunk_id = split["chunks"][0]["id"]
    api.ok(move(team, req["id"], "in_progress"))
    assert queue_ids(team) == [chunk_id]

    api.ok(move(team, req["id"], "published"))

    assert queue_ids(team) == []
    assert {i["id"]: i["status"] for i in items_for(api, req["id"])} == {
        item["id"]: "done", chunk_id: "done"}
    events = closed_events(api)
    assert {(e["subject_id"], e["data"]["status"]) for e in events} == {
        (str(item["id"]), "done"), (str(chunk_id), "done")}
    assert all(e["data"]["request_id"] == req["id"] for e in events)
    api.ok(move(team, req["id"], "done"))
    assert len(closed_events(api)) == 2  # nothing left open to close again


def test_withdrawn_work_leaves_the_queue_and_the_plan_as_declined(api: Api) -> None:
    team = build_team(api)
    req = submitted(team)
    api.ok(triage(team, req["id"], decision="accept", effort_hours=3))
    [item] = items_for(api, req["id"])
    assert queue_ids(team) == [item["id"]]

    api.ok(move(team, req["id"], "withdrawn", "priya"))

    assert queue_ids(team) == []
    assert items_for(api, req["id"])[0]["status"] == "declined"
    [event] = closed_events(api)
    assert (event["subject_id"], event["data"]["status"]) == (str(item["id"]), "declined")
    assert "withdrawn" in event["data"]["reason"]
    plan = api.ok(api.client.get(f"/v1/members/{team.olivia['id']}/plan",
                                 headers=api.manager))
    assert all(s["item_id"] != item["id"] for d in plan["days"] for s in d["slots"])


def test_declining_a_request_declines_work_already_linked_to_it(api: Api) -> None:
    team = build_team(api)
    req = submitted(team)
    linked = api.ok(api.client.post("/v1/work-items", headers=api.manager, json={
        "title": "Early draft", "owner_id": team.olivia["id"], "effort_hours": 1,
        "request_id": req["id"]}), 201)

    api.ok(triage(team, req["id"], decision="decline", rationale="Not this quarter."))

    assert queue_ids(team) == []
    assert api.ok(api.client.get(f"/v1/work-items/{linked['id']}",
                                 headers=api.manager))["status"] == "declined"
    assert [e["subject_id"] for e in closed_events(api)] == [str(linked["id"])]
