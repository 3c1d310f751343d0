"""HTTP behaviour of requests: intake, routing, strategy review, triage, lifecycle,
visibility, updates and blockers."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from services.api.db import make_sync_engine
from tests.api.intake.helpers import Team, build_team, future
from tests.api.team.test_router import assert_problem, count_events
from tests.factories import Api


def request_count(api: Api) -> int:
    return len(api.ok(api.client.get("/v1/requests?limit=200", headers=api.manager))["items"])


def submitted(team: Team, who: str = "priya", **overrides: Any) -> dict[str, Any]:
    return team.api.ok(team.submit(who, **overrides), 201)  # type: ignore[no-any-return]


def triage(team: Team, request_id: int, who: str = "olivia", **body: Any) -> Any:
    return team.api.client.post(f"/v1/requests/{request_id}/triage", headers=team.keys[who],
                                json=body)


def move(team: Team, request_id: int, to: str, who: str = "olivia") -> Any:
    return team.api.client.post(f"/v1/requests/{request_id}/transitions",
                                headers=team.keys[who], json={"to": to})


def accepted(team: Team, **overrides: Any) -> dict[str, Any]:
    req = submitted(team, networks=["tiktok"], audience="young professionals", **overrides)
    return team.api.ok(triage(team, req["id"], decision="accept"))  # type: ignore[no-any-return]


# Intake and routing


def test_submission_is_routed_to_the_network_owner(api: Api) -> None:
    team = build_team(api)
    r = team.submit()
    body = api.ok(r, 201)
    assert body["owner"]["id"] == team.olivia["id"]
    assert body["status"] == "submitted" and body["requester_id"] == team.priya["id"]
    assert body["allowed_moves"] == ["triaged", "declined", "withdrawn"]
    assert r.headers["location"] == f"/v1/requests/{body['id']}"


def test_networks_with_different_owners_route_to_the_first_networks_owner(api: Api) -> None:
    team = build_team(api)
    first_instagram = submitted(team, networks=["instagram", "linkedin"])
    first_linkedin = submitted(team, networks=["linkedin", "instagram"])
    assert first_instagram["owner"]["id"] == team.olivia["id"]
    assert first_linkedin["owner"]["id"] == team.jonathan["id"]


def test_routing_uses_the_owner_on_the_desired_date(api: Api) -> None:
    team = build_team(api)
    handover = (datetime.now(UTC) + timedelta(days=20)).date()
    api.ok(api.client.post("/v1/networks/instagram/owners", headers=api.manager, json={
        "member_id": team.jonathan["id"], "starts_on": handover.isoformat()}), 201)
    before = submitted(team, desired_publish_at=future(days=10).isoformat())
    after = submitted(team, desired_publish_at=future(days=30).isoformat())
    assert before["owner"]["id"] == team.olivia["id"]
    assert after["owner"]["id"] == team.jonathan["id"]


def test_audience_mismatch_is_flagged_for_strategy_review_with_the_reason(api: Api) -> None:
    team = build_team(api)
    body = submitted(team, networks=["instagram"], audience="Marketing leaders at B2B companies")
    assert body["needs_strategy_review"] is True
    [reason] = body["review_reasons"]
    assert "Marketing leaders at B2B companies" in reason and "Instagram" in reason


def test_a_fitting_request_is_not_flagged(api: Api) -> None:
    team = build_team(api)
    body = submitted(team, networks=["linkedin"], audience="marketing leaders in SaaS")
    assert body["needs_strategy_review"] is False and body["review_reasons"] == []


def test_no_pillar_for_the_network_or_a_wrong_claimed_pillar_is_flagged(api: Api) -> None:
    team = build_team(api)
    api.make_network("pinterest", owner_id=team.olivia["id"], audience="planners and creators")
    pillars = api.ok(api.client.get("/v1/pillars", headers=api.manager))["items"]
    linkedin_pillar = next(p for p in pillars if p["networks"] == ["linkedin"])
    body = submitted(team, networks=["pinterest"], audience="creators",
                     pillar_ids=[linkedin_pillar["id"]])
    reasons = " | ".join(body["review_reasons"])
    assert "pillar serves Pinterest" in reasons
    assert "'Thought leadership' does not serve Pinterest" in reasons


def test_bad_submissions_are_rejected_and_write_nothing(api: Api) -> None:
    team = build_team(api)
    before = count_events(api)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"deadline_at": past, "desired_publish_at": None}, "deadline_at"),
        ({"desired_publish_at": past}, "desired_publish_at"),
        ({"networks": ["myspace"]}, "myspace"),
        ({"pillar_ids": [999]}, "999"),
    ]
    for overrides, mentioned in cases:
        body = assert_problem(team.submit(**overrides), 422)
        assert mentioned in body["detail"], body
    assert_problem(team.submit(desired_publish_at=None), 422)
    assert_problem(team.submit(networks=[]), 422, field="body.networks")
    assert_problem(team.submit(assets=[{"kind": "video", "link": "ftp://x"}]), 422,
                   field="body.assets.0.link")
    assert_problem(team.submit(goal="fame"), 422, field="body.goal")
    assert_problem(team.submit(desired_publish_at="2026-12-24T10:00:00"), 422,
                   field="body.desired_publish_at")
    assert request_count(api) == 0
    assert count_events(api) == before


def test_retried_submission_with_one_idempotency_key_creates_one_request(api: Api) -> None:
    team = build_team(api)
    headers = {**team.keys["priya"], "Idempotency-Key": "webinar-1"}
    from tests.api.intake.helpers import request_body

    body = request_body()
    first = api.client.post("/v1/requests", headers=headers, json=body)
    again = api.client.post("/v1/requests", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert request_count(api) == 1


# Triage


def test_triage_by_a_strategist_who_does_not_own_the_network_is_403(api: Api) -> None:
    team = build_team(api)
    req = submitted(team)
    before = count_events(api)
    assert_problem(triage(team, req["id"], "jonathan", decision="accept"), 403)
    assert_problem(triage(team, req["id"], "priya", decision="accept"), 403)
    assert api.ok(api.client.get(f"/v1/requests/{req['id']}", headers=api.manager))[
        "status"] == "submitted"
    assert count_events(api) == before


def test_decline_or_compromise_without_rationale_is_422_and_writes_nothing(api: Api) -> None:
    team = build_team(api)
    req = submitted(team)
    before = count_events(api)
    for decision in ("decline", "compromise", "redirect"):
        assert_problem(triage(team, req["id"], decision=decision), 422)
    assert_problem(triage(team, req["id"], decision="decline", rationale="   "), 422)
    after = api.ok(api.client.get(f"/v1/requests/{req['id']}", headers=api.manager))
    assert after["status"] == "submitted" and after["triage"] is None
    assert count_events(api) == before


def test_compromise_with_an_ab_test_is_read_by_the_stakeholder(api: Api) -> None:
    team = build_team(api)
    req = submitted(team, networks=["tiktok"], audience="young professionals")
    api.ok(triage(team, req["id"], decision="compromise",
                  rationale="Let the data decide between your cut and ours.",
                  alternative={"kind": "ab_test", "description": "Your teaser vs our hook"},
                  would_help=["more_assets"], effort_hours=4))
    seen = api.ok(api.client.get(f"/v1/requests/{req['id']}", headers=team.keys["priya"]))
    assert seen["status"] == "triaged"
    assert seen["triage"]["decision"] == "compromise"
    assert seen["triage"]["alternative"] == {
        "kind": "ab_test", "network": None, "description": "Your teaser vs our hook",
        "metric": None, "baseline_rate": None, "mde": None}
    [experiment] = seen["experiments"]
    assert experiment["state"] == "draft" and experiment["verdict"] is None
    assert seen["triage"]["rationale"].startswith("Let the data decide")
    assert seen["triage"]["would_help"] == ["more_assets"]


def test_redirect_reroutes_to_the_new_networks_owner_and_rechecks(api: Api) -> None:
    team = build_team(api)
    req = submitted(team)
    assert req["needs_strategy_review"] is True
    body = api.ok(triage(team, req["id"], decision="redirect",
                         rationale="Your audience is on LinkedIn.",
                         alternative={"kind": "network", "network": "linkedin"},
                         effort_hours=3))
    assert body["networks"] == ["linkedin"]
    assert body["owner"]["id"] == team.jonathan["id"]
    assert body["needs_strategy_review"] is False


def test_redirect_to_an_unknown_network_is_422_and_writes_nothing(api: Api) -> None:
    team = build_team(api)
    req = submitted(team)
    before = count_events(api)
    assert_problem(triage(team, req["id"], decision="redirect", rationale="r",
                          alternative={"kind": "network", "network": "myspace"}), 422)
    assert count_events(api) == before


def test_earliest_slot_comes_after_the_owners_open_work_in_working_hours(api: Api) -> None:
    team = build_team(api)
    first = submitted(team, networks=["tiktok"], audience="young professionals")
    one = api.ok(triage(team, first["id"], decision="accept", effort_hours=8))
    second = submitted(team, networks=["tiktok"], audience="young professionals")
    two = api.ok(triage(team, second["id"], decision="accept", effort_hours=2))
    start_one = datetime.fromisoformat(one["triage"]["earliest_start_at"])
    start_two = datetime.fromisoformat(two["triage"]["earliest_start_at"])
    from zoneinfo import ZoneInfo

    local_two = start_two.astimezone(ZoneInfo("America/New_York"))
    # eight hours of accepted work is one full working day later, at the same local time
    assert start_two - start_one >= timedelta(hours=23)
    assert local_two.weekday() < 5 and 9 <= local_two.hour < 17


def test_an_explicit_earliest_start_is_kept(api: Api) -> None:
    team = build_team(api)
    req = submitted(team, networks=["tiktok"], audience="young professionals")
    when = future(days=2, hour=16)
    body = api.ok(triage(team, req["id"], decision="compromise", rationale="A story only.",
                         alternative={"kind": "reduced_scope", "description": "one story"},
                         effort_hours=3, earliest_start_at=when.isoformat()))
    assert datetime.fromisoformat(body["triage"]["earliest_start_at"]) == when


def test_triaging_twice_is_a_conflict_naming_the_allowed_moves(api: Api) -> None:
    team = build_team(api)
    req = accepted(team)
    body = assert_problem(triage(team, req["id"], decision="accept"), 409)
    assert "planned, in_progress, withdrawn" in body["detail"]


def test_decline_closes_the_request(api: Api) -> None:
    team = build_team(api)
    req = submitted(team)
    body = api.ok(triage(team, req["id"], decision="decline", rationale="Not this quarter.",
                         would_help=["more_time"], would_help_note="Ask six weeks ahead."))
    assert body["status"] == "declined" and body["allowed_moves"] == []
    assert body["next_update_due_at"] is None


# Lifecycle


def test_forbidden_move_is_409_naming_allowed_moves_and_writes_nothing(api: Api) -> None:
    team = build_team(api)
    req = accepted(team)
    before = count_events(api)
    body = assert_problem(move(team, req["id"], "done"), 409)
    assert "allowed: planned, in_progress, withdrawn" in body["detail"]
    assert count_events(api) == before


def test_history_lists_every_move_with_who_and_when(api: Api) -> None:
    team = build_team(api)
    req = accepted(team)
    api.ok(move(team, req["id"], "in_progress"))
    api.ok(move(team, req["id"], "published"))
    api.ok(move(team, req["id"], "done"))
    history = api.ok(api.client.get(f"/v1/requests/{req['id']}/history",
                                    headers=team.keys["priya"]))["items"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "submitted"), ("submitted", "triaged"), ("triaged", "in_progress"),
        ("in_progress", "published"), ("published", "done")]
    assert history[0]["actor_member_id"] == team.priya["id"]
    assert {h["actor_member_id"] for h in history[1:]} == {team.olivia["id"]}
    assert all(h["at"] for h in history)


def test_the_requester_may_withdraw_but_not_move_otherwise(api: Api) -> None:
    team = build_team(api)
    req = accepted(team)
    assert_problem(move(team, req["id"], "in_progress", "priya"), 403)
    assert api.ok(move(team, req["id"], "withdrawn", "priya"))["status"] == "withdrawn"


def test_triage_and_blocking_are_not_plain_moves(api: Api) -> None:
    team = build_team(api)
    req = submitted(team)
    assert "triage" in assert_problem(move(team, req["id"], "triaged"), 409)["detail"]
    accepted_req = accepted(team)
    api.ok(move(team, accepted_req["id"], "planned"))
    assert "blocker" in assert_problem(move(team, accepted_req["id"], "blocked"), 409)["detail"]


# Visibility


def test_a_stakeholder_sees_only_their_own_requests(api: Api) -> None:
    team = build_team(api)
    mine = submitted(team, "priya")
    theirs = submitted(team, "sam")
    listed = api.ok(api.client.get("/v1/requests", headers=team.keys["priya"]))["items"]
    assert [r["id"] for r in listed] == [mine["id"]]
    assert_problem(api.client.get(f"/v1/requests/{theirs['id']}", headers=team.keys["priya"]),
                   404)
    assert_problem(api.client.get(f"/v1/requests/{theirs['id']}/history",
                                  headers=team.keys["priya"]), 404)
    assert_problem(move(team, theirs["id"], "withdrawn", "priya"), 404)


def test_a_strategist_sees_requests_on_their_networks_only(api: Api) -> None:
    team = build_team(api)
    on_instagram = submitted(team, networks=["instagram"])
    on_linkedin = submitted(team, networks=["linkedin"])
    olivia = api.ok(api.client.get("/v1/requests", headers=team.keys["olivia"]))["items"]
    assert [r["id"] for r in olivia] == [on_instagram["id"]]
    assert_problem(api.client.get(f"/v1/requests/{on_linkedin['id']}",
                                  headers=team.keys["olivia"]), 404)
    everything = api.ok(api.client.get("/v1/requests", headers=api.manager))["items"]
    assert {r["id"] for r in everything} == {on_instagram["id"], on_linkedin["id"]}


def test_list_filters_and_pages_with_a_cursor(api: Api) -> None:
    team = build_team(api)
    ids = [submitted(team)["id"] for _ in range(5)]
    api.ok(triage(team, ids[0], decision="decline", rationale="No."))
    url = f"/v1/requests?owner_id={team.olivia['id']}&open=true&limit=2"
    first = api.client.get(url, headers=team.keys["olivia"])
    page = api.ok(first)
    assert [r["id"] for r in page["items"]] == [ids[4], ids[3]]
    assert 'rel="next"' in first.headers["link"]
    rest = api.ok(api.client.get(url + f"&cursor={page['next']}", headers=team.keys["olivia"]))
    assert [r["id"] for r in rest["items"]] == [ids[2], ids[1]]
    declined = api.ok(api.client.get("/v1/requests?status=declined", headers=api.manager))
    assert [r["id"] for r in declined["items"]] == [ids[0]]


# Over-communication


def test_updates_show_progress_and_move_the_next_update_due(api: Api) -> None:
    team = build_team(api)
    req = accepted(team)
    due = future(days=5)
    url = f"/v1/requests/{req['id']}/updates"
    update = api.ok(api.client.post(url, headers=team.keys["olivia"], json={
        "note": "Editing", "done_count": 3, "total_count": 5, "unit": "videos",
        "next_update_due_at": due.isoformat()}), 201)
    assert update["progress"] == "3 of 5 videos"
    seen = api.ok(api.client.get(f"/v1/requests/{req['id']}", headers=team.keys["priya"]))
    assert datetime.fromisoformat(seen["next_update_due_at"]) == due
    assert seen["latest_update"]["progress"] == "3 of 5 videos"
    assert api.ok(api.client.get(url, headers=team.keys["priya"]))["items"][0]["id"] == \
        update["id"]
    assert_problem(api.client.post(url, headers=team.keys["olivia"], json={
        "note": "x", "done_count": 6, "total_count": 5}), 422)
    assert_problem(api.client.post(url, headers=team.keys["jonathan"], json={"note": "x"}), 404)


def test_overdue_updates_view_lists_late_open_requests_for_the_manager(api: Api) -> None:
    team = build_team(api)
    late = accepted(team)
    on_time = accepted(team)
    engine = make_sync_engine(api.db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE request SET next_update_due_at = :due WHERE id = :id"),
                     {"due": (datetime.now(UTC) - timedelta(days=1)).replace(tzinfo=None)
                      if engine.dialect.name == "sqlite" else
                      datetime.now(UTC) - timedelta(days=1), "id": late["id"]})
    engine.dispose()
    overdue = api.ok(api.client.get("/v1/requests/overdue-updates", headers=api.manager))
    assert [r["id"] for r in overdue["items"]] == [late["id"]]
    assert on_time["id"] not in [r["id"] for r in overdue["items"]]
    assert_problem(api.client.get("/v1/requests/overdue-updates",
                                  headers=team.keys["olivia"]), 403)


def test_blockers_block_the_request_show_team_wide_and_unblock(api: Api) -> None:
    team = build_team(api)
    req = accepted(team)
    api.ok(move(team, req["id"], "in_progress"))
    blocker = api.ok(api.client.post(f"/v1/requests/{req['id']}/blockers",
                                     headers=team.keys["olivia"],
                                     json={"what": "Waiting for the creative asset",
                                           "waiting_on": "Design team"}), 201)
    seen = api.ok(api.client.get(f"/v1/requests/{req['id']}", headers=team.keys["priya"]))
    assert seen["status"] == "blocked"
    assert seen["open_blockers"][0]["what"] == "Waiting for the creative asset"
    blocked = api.ok(api.client.get("/v1/requests/blocked", headers=team.keys["jonathan"]))
    assert [(b["request_id"], b["blocker"]["waiting_on"]) for b in blocked["items"]] == [
        (req["id"], "Design team")]
    assert "open blockers" in assert_problem(move(team, req["id"], "in_progress"), 409)["detail"]
    api.ok(api.client.post(f"/v1/requests/{req['id']}/blockers/{blocker['id']}/resolve",
                           headers=team.keys["olivia"], json={"resolution": "Delivered"}))
    after = api.ok(api.client.get(f"/v1/requests/{req['id']}", headers=team.keys["priya"]))
    assert after["status"] == "in_progress" and after["open_blockers"] == []
    assert api.ok(api.client.get("/v1/requests/blocked", headers=api.manager))["items"] == []
    assert_problem(api.client.get("/v1/requests/blocked", headers=team.keys["priya"]), 403)


def test_a_submitted_request_cannot_be_blocked(api: Api) -> None:
    team = build_team(api)
    req = submitted(team)
    assert_problem(api.client.post(f"/v1/requests/{req['id']}/blockers",
                                   headers=team.keys["olivia"],
                                   json={"what": "x", "waiting_on": "y"}), 409)


def test_concurrent_triages_leave_exactly_one_decision(api: Api) -> None:
    from concurrent.futures import ThreadPoolExecutor

    team = build_team(api)
    req = submitted(team, networks=["tiktok"], audience="young professionals")
    bodies = [{"decision": "accept"}, {"decision": "decline", "rationale": "No."}] * 3
    with ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(lambda b: triage(team, req["id"], **b).status_code, bodies))
    assert codes == [200, 409, 409, 409, 409, 409]
    history = api.ok(api.client.get(f"/v1/requests/{req['id']}/history", headers=api.manager))
    assert len(history["items"]) == 2
