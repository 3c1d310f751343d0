"""HTTP behaviour of work items, thresholds, the queue, chunks, schedules, plans, disruptions,
capacity, plates, earliest slots and the matrix."""

from typing import Any

import pytest

from services.api.planning.schemas import QueueEntry
from tests.api.team.test_router import assert_problem, count_events
from tests.factories import Api

MONDAY = "2027-01-04"  # a plain week in the future: plans are deterministic


def item(api: Api, owner: dict[str, Any], title: str, effort: float, **extra: Any
         ) -> dict[str, Any]:
    body = {"title": title, "owner_id": owner["id"], "effort_hours": effort} | extra
    return api.ok(api.client.post("/v1/work-items", headers=api.manager, json=body), 201)  # type: ignore[no-any-return]


def queue(api: Api, **params: Any) -> list[dict[str, Any]]:
    entries = []
    url = "/v1/queue"
    query = dict(params)
    while True:
        page = api.ok(api.client.get(url, params=query, headers=api.manager))
        entries += page["items"]
        if not page["next"]:
            return entries
        query["cursor"] = page["next"]


def plan(api: Api, member: dict[str, Any], **params: Any) -> dict[str, Any]:
    query = {"start": MONDAY} | params
    return api.ok(api.client.get(f"/v1/members/{member['id']}/plan", params=query,  # type: ignore[no-any-return]
                                 headers=api.manager))


def item_count(api: Api) -> int:
    return len(api.ok(api.client.get("/v1/work-items?limit=200", headers=api.manager))["items"])


@pytest.fixture
def owner(api: Api) -> dict[str, Any]:
    return api.make_member(time_zone="UTC")


def test_impact_defaults_from_pillar_fit_goal_and_lateness(api: Api,
                                                          owner: dict[str, Any]) -> None:
    fit = item(api, owner, "Pillar post", 2, pillar_fit=True, goal="Reach Gen Z")
    plain = item(api, owner, "Plain post", 2)
    late = item(api, owner, "Rushed post", 2, pillar_fit=True,
                deadline="2026-01-01T00:00:00Z")
    chosen = item(api, owner, "Owner's call", 2, impact=1, pillar_fit=True)
    assert (fit["impact"], fit["impact_is_derived"]) == (5, True)
    assert plain["impact"] == 2 and plain["quadrant"] == "fill_in"
    assert late["impact"] == 3
    assert (chosen["impact"], chosen["impact_is_derived"]) == (1, False)
    assert fit["quadrant"] == "quick_win" and fit["queue_rank"] == 1


@pytest.mark.parametrize("bad", [{"impact": 6}, {"impact": 0}, {"effort_hours": -1},
                                 {"effort_hours": 0}, {"effort_hours": 1001}])
def test_bad_impact_or_effort_is_rejected_and_writes_nothing(api: Api, owner: dict[str, Any],
                                                             bad: dict[str, Any]) -> None:
    before = count_events(api)
    body = {"title": "X", "owner_id": owner["id"], "effort_hours": 2} | bad
    r = api.client.post("/v1/work-items", headers=api.manager, json=body)
    assert_problem(r, 422, field=f"body.{next(iter(bad))}")
    assert item_count(api) == 0 and count_events(api) == before


def test_only_the_manager_marks_work_as_fixed(api: Api, owner: dict[str, Any]) -> None:
    strategist = api.key_for(owner)
    r = api.client.post("/v1/work-items", headers=strategist, json={
        "title": "X", "owner_id": owner["id"], "effort_hours": 2, "is_fixed": True})
    assert_problem(r, 403)
    assert item_count(api) == 0
    created = api.client.post("/v1/work-items", headers=strategist, json={
        "title": "X", "owner_id": owner["id"], "effort_hours": 2})
    assert created.status_code == 201


def test_work_item_needs_an_active_staff_owner(api: Api) -> None:
    stakeholder = api.make_member(role="stakeholder")
    r = api.client.post("/v1/work-items", headers=api.manager, json={
        "title": "X", "owner_id": stakeholder["id"], "effort_hours": 2})
    assert_problem(r, 422)


def test_patch_needs_if_match_and_moves_the_item_in_the_matrix(api: Api,
                                                               owner: dict[str, Any]) -> None:
    created = item(api, owner, "Post", 2, impact=5)
    url = f"/v1/work-items/{created['id']}"
    assert_problem(api.client.patch(url, headers=api.manager, json={"effort_hours": 30}), 428)
    r = api.client.patch(url, headers={**api.manager, "If-Match": '"v9"'},
                         json={"effort_hours": 30})
    assert_problem(r, 412)
    r = api.client.patch(url, headers={**api.manager, "If-Match": '"v1"'},
                         json={"effort_hours": 30})
    body = api.ok(r)
    assert body["quadrant"] == "major_project" and r.headers["etag"] == '"v2"'
    r = api.client.patch(url, headers={**api.manager, "If-Match": '"v2"'}, json={"impact": None})
    assert api.ok(r)["impact_is_derived"] is True and api.ok(r)["impact"] == 2


def test_queue_follows_the_articles_order_with_reasons(api: Api, owner: dict[str, Any]) -> None:
    thankless = item(api, owner, "Thankless", 20, impact=1)
    fill_late = item(api, owner, "Fill-in later", 1, impact=2, deadline="2027-01-08T12:00:00Z")
    fill_soon = item(api, owner, "Fill-in sooner", 1, impact=2, deadline="2027-01-05T12:00:00Z")
    medium = item(api, owner, "Medium quick", 2, impact=3)
    project = item(api, owner, "Big project", 30, impact=5)
    quick = item(api, owner, "Quick win", 2, impact=5, deadline="2027-01-06T12:00:00Z")
    api.ok(api.client.post(f"/v1/work-items/{project['id']}/chunks", headers=api.manager, json={
        "chunks": [{"title": "Part 1", "effort_hours": 10, "target_on": "2027-01-08"},
                   {"title": "Part 2", "effort_hours": 10, "target_on": "2027-01-15"},
                   {"title": "Part 3", "effort_hours": 10, "target_on": "2027-01-22"}]}), 201)

    entries = queue(api, owner_id=owner["id"], limit=2)

    titles = [e["item"]["title"] for e in entries]
    assert titles == ["Quick win", "Medium quick", "Part 1", "Part 2", "Part 3",
                      "Fill-in sooner", "Fill-in later", "Thankless"]
    assert [e["push_back"] for e in entries] == [False] * 7 + [True]
    assert entries[3]["chunk_of"] == {"parent_id": project["id"], "k": 2, "n": 3}
    assert "chunk 2 of 3" in entries[3]["reason"]
    assert entries[0]["reason"].startswith("quick win: impact 5")
    assert "2027-01-06" in entries[0]["reason"]
    assert {quick["id"], medium["id"], fill_soon["id"], fill_late["id"],
            thankless["id"]} <= {e["item"]["id"] for e in entries}
    assert queue(api, owner_id=owner["id"] + 1000) == []
    for entry in entries:  # the hand-built JSON keeps to the published shape, exactly
        assert QueueEntry.model_validate(entry).model_dump(mode="json") == entry


def test_team_queue_mixes_owners_in_one_order(api: Api, owner: dict[str, Any]) -> None:
    other = api.make_member()
    item(api, owner, "Fill", 1, impact=2)
    item(api, other, "Quick", 1, impact=5)
    assert [e["item"]["title"] for e in queue(api)] == ["Quick", "Fill"]


def test_a_forged_cursor_is_a_clear_problem(api: Api) -> None:
    assert_problem(api.client.get("/v1/queue?cursor=bm9wZQ", headers=api.manager), 400)


def test_manager_thresholds_reclassify_every_item(api: Api, owner: dict[str, Any]) -> None:
    a = item(api, owner, "Six hours", 6, impact=4)
    assert a["quadrant"] == "major_project"
    project = item(api, owner, "Seven hours, split", 7, impact=4)
    chunk_id = api.ok(api.client.post(
        f"/v1/work-items/{project['id']}/chunks", headers=api.manager,
        json={"chunks": [{"title": "Half", "effort_hours": 3.5, "target_on": MONDAY}]}),
        201)["chunks"][0]["id"]
    settings = api.client.get("/v1/planning/settings", headers=api.manager)
    assert settings.json()["updated_at"] is None  # the defaults, never changed
    etag = settings.headers["etag"]
    strategist = api.key_for(owner)
    r = api.client.patch("/v1/planning/settings", headers={**strategist, "If-Match": etag},
                         json={"low_effort_max_hours": 8})
    assert_problem(r, 403)
    r = api.client.patch("/v1/planning/settings", headers={**api.manager, "If-Match": etag},
                         json={"low_effort_max_hours": 8})
    assert api.ok(r)["low_effort_max_hours"] == 8
    moved = api.ok(api.client.get(f"/v1/work-items/{a['id']}", headers=api.manager))
    assert (moved["quadrant"], moved["queue_rank"]) == ("quick_win", 1)
    split = api.ok(api.client.get(f"/v1/work-items/{project['id']}", headers=api.manager))
    chunk = api.ok(api.client.get(f"/v1/work-items/{chunk_id}", headers=api.manager))
    assert (split["quadrant"], split["queue_rank"]) == ("quick_win", 9)  # still not queued
    assert (chunk["quadrant"], chunk["queue_rank"]) == ("quick_win", 1)  # judged as its project
    r = api.client.patch("/v1/planning/settings", headers={**api.manager, "If-Match": etag},
                         json={"low_effort_max_hours": 2})
    assert_problem(r, 412)


def test_inconsistent_thresholds_are_rejected_and_change_nothing(api: Api) -> None:
    etag = api.client.get("/v1/planning/settings", headers=api.manager).headers["etag"]
    before = count_events(api)
    r = api.client.patch("/v1/planning/settings", headers={**api.manager, "If-Match": etag},
                         json={"high_impact_min": 2})
    assert_problem(r, 422)
    assert api.ok(api.client.get("/v1/planning/settings",
                                 headers=api.manager))["high_impact_min"] == 4
    assert count_events(api) == before


def test_chunks_give_progress_and_warn_when_they_do_not_add_up(api: Api,
                                                               owner: dict[str, Any]) -> None:
    project = item(api, owner, "Launch videos", 20, impact=5)
    url = f"/v1/work-items/{project['id']}"
    body = api.ok(api.client.post(url + "/chunks", headers=api.manager, json={"chunks": [
        {"title": "Video 1", "effort_hours": 5, "target_on": "2027-01-08"},
        {"title": "Video 2", "effort_hours": 10, "target_on": "2027-01-15"}]}), 201)
    assert body["queue_rank"] == 9 and body["progress"] == 0
    assert body["warnings"] == ["The chunks add up to 15h but the project is estimated at 20h."]
    first = body["chunks"][0]
    r = api.client.patch(f"/v1/work-items/{first['id']}",
                         headers={**api.manager, "If-Match": '"v1"'}, json={"status": "done"})
    api.ok(r)
    detail = api.ok(api.client.get(url, headers=api.manager))
    assert detail["progress"] == pytest.approx(1 / 3, abs=1e-3)
    assert project["id"] not in [e["item"]["id"] for e in queue(api)]
    r = api.client.post(f"/v1/work-items/{first['id']}/chunks", headers=api.manager,
                        json={"chunks": [{"title": "x", "effort_hours": 1,
                                          "target_on": "2027-01-08"}]})
    assert_problem(r, 422)


SCHEDULE = {"blocks": [
    {"day": "mon", "start": "09:00", "end": "12:00", "kind": "focus"},
    {"day": "mon", "start": "13:00", "end": "16:00", "kind": "regular"},
    {"day": "mon", "start": "16:00", "end": "17:00", "kind": "buffer"}]}


@pytest.mark.parametrize("blocks", [
    [{"day": "mon", "start": "09:00", "end": "12:00", "kind": "focus"},
     {"day": "mon", "start": "11:00", "end": "13:00", "kind": "regular"}],
    [{"day": "mon", "start": "17:00", "end": "09:00", "kind": "focus"}],
    [{"day": "mon", "start": "23:00", "end": "25:00", "kind": "focus"}],
    [{"day": "someday", "start": "09:00", "end": "10:00", "kind": "focus"}],
])
def test_bad_blocks_are_rejected_and_write_nothing(api: Api, owner: dict[str, Any],
                                                   blocks: list[dict[str, str]]) -> None:
    url = f"/v1/members/{owner['id']}/schedule"
    before = count_events(api)
    assert_problem(api.client.put(url, headers=api.manager, json={"blocks": blocks}), 422)
    assert api.ok(api.client.get(url, headers=api.manager))["is_default"] is True
    assert count_events(api) == before


def test_unknown_time_zone_in_a_schedule_is_rejected(api: Api, owner: dict[str, Any]) -> None:
    r = api.client.put(f"/v1/members/{owner['id']}/schedule", headers=api.manager,
                       json={**SCHEDULE, "time_zone": "Mars/Olympus"})
    assert_problem(r, 422, field="body.time_zone")


def test_only_the_member_or_the_manager_sets_a_schedule(api: Api, owner: dict[str, Any]) -> None:
    other = api.key_for(api.make_member())
    url = f"/v1/members/{owner['id']}/schedule"
    assert_problem(api.client.put(url, headers=other, json=SCHEDULE), 403)
    assert api.ok(api.client.put(url, headers=api.key_for(owner), json=SCHEDULE))["blocks"]


@pytest.mark.parametrize("days", [0, 15, 365])
def test_a_plan_asked_for_a_year_is_rejected(api: Api, owner: dict[str, Any], days: int) -> None:
    r = api.client.get(f"/v1/members/{owner['id']}/plan?start={MONDAY}&days={days}",
                       headers=api.manager)
    assert "14 days" in assert_problem(r, 422)["detail"]


def test_plan_places_work_in_blocks_before_deadlines(api: Api, owner: dict[str, Any]) -> None:
    api.ok(api.client.put(f"/v1/members/{owner['id']}/schedule", headers=api.manager,
                          json=SCHEDULE))
    quick = item(api, owner, "Quick", 2, impact=5)
    due = item(api, owner, "Due Monday", 3, impact=3, deadline="2027-01-04T18:00:00Z")
    late = item(api, owner, "Also due Monday", 2, impact=3, deadline="2027-01-04T18:00:00Z")
    later = item(api, owner, "Whenever", 1, impact=2)

    body = plan(api, owner)

    monday = body["days"][0]
    assert monday["date"] == MONDAY and monday["block_hours"] == 7
    assert monday["buffer_hours"] == 1.4  # 20% of 7h; the 1h buffer block counts towards it
    assert [(s["item_id"], s["start"][11:16], s["end"][11:16]) for s in monday["slots"]] == [
        (quick["id"], "09:00", "11:00"), (due["id"], "11:00", "12:00"),
        (due["id"], "13:00", "15:00")]
    assert monday["planned_hours"] == 5.0
    assert body["days"][7 - 6]["slots"] == []  # Tuesday has no blocks in this schedule
    assert body["unplaced"] == [{"item_id": late["id"], "title": "Also due Monday",
                                 "due": "2027-01-04T18:00:00Z",
                                 "reason": "does not fit in the free time before its due date"},
                                {"item_id": later["id"], "title": "Whenever", "due": None,
                                 "reason": "not enough free time left in the plan"}]
    assert body["feasible"] is False
    assert len(body["days"]) == 7 and body["end"] == "2027-01-11T00:00:00Z"


def test_plan_honours_the_members_time_zone_across_dst(api: Api) -> None:
    chicago = api.make_member(time_zone="America/Chicago")
    work = item(api, chicago, "Daily", 1, impact=5)
    week = api.ok(api.client.get(f"/v1/members/{chicago['id']}/plan?start=2027-03-12&days=4",
                                 headers=api.manager))
    friday = week["days"][0]
    assert friday["slots"][0]["start"] == "2027-03-12T15:00:00Z"  # 09:00 CST
    monday = api.ok(api.client.get(f"/v1/members/{chicago['id']}/plan?start=2027-03-15&days=1",
                                   headers=api.manager))["days"][0]
    assert monday["slots"][0]["start"] == "2027-03-15T14:00:00Z"  # 09:00 CDT
    assert monday["slots"][0]["item_id"] == work["id"]


def test_disruption_eats_buffer_then_moves_work(api: Api, owner: dict[str, Any]) -> None:
    a = item(api, owner, "A", 4, impact=5)
    b = item(api, owner, "B", 4, impact=5)
    url = f"/v1/members/{owner['id']}/disruptions"
    small = api.ok(api.client.post(url, headers=api.manager, json={
        "started_at": "2027-01-04T10:00:00Z", "hours": 1, "note": "Viral reel"}), 201)
    # The buffer absorbs the hour, but the hour is blocked: A goes round it, B starts later.
    assert [(m["item_id"], m["to_start"]) for m in small["moved"]] == [
        (b["id"], "2027-01-04T14:00:00Z")]
    assert plan(api, owner)["days"][0]["buffer_remaining_hours"] == 0.6
    big = api.ok(api.client.post(url, headers=api.manager, json={
        "started_at": "2027-01-04T14:00:00Z", "hours": 3}), 201)
    assert [m["item_id"] for m in big["moved"]] == [b["id"]]
    body = plan(api, owner)
    assert body["days"][0]["buffer_remaining_hours"] == 0
    assert body["days"][0]["planned_hours"] == 4.0
    assert [m["item_id"] for m in body["moved"]] == [b["id"]]
    assert body["moved"][0]["from_start"] < body["moved"][0]["to_start"]
    assert a["id"] not in [m["item_id"] for m in body["moved"]]


@pytest.mark.parametrize("bad", [{"hours": 0}, {"hours": 25}, {"started_at": "2027-01-04"}])
def test_bad_disruptions_are_rejected(api: Api, owner: dict[str, Any],
                                      bad: dict[str, Any]) -> None:
    before = count_events(api)
    body = {"started_at": "2027-01-04T10:00:00Z", "hours": 1} | bad
    r = api.client.post(f"/v1/members/{owner['id']}/disruptions", headers=api.manager, json=body)
    assert_problem(r, 422)
    assert count_events(api) == before


def test_capacity_shows_overload_at_each_deadline(api: Api, owner: dict[str, Any]) -> None:
    item(api, owner, "Due Monday", 8, impact=5, deadline="2027-01-04T17:00:00Z")
    item(api, owner, "Due Friday", 4, impact=5, deadline="2027-01-08T17:00:00Z")
    body = api.ok(api.client.get(f"/v1/members/{owner['id']}/capacity?start={MONDAY}",
                                 headers=api.manager))
    first, second = body["checkpoints"]
    assert (first["demand_hours"], first["capacity_hours"], first["overloaded"]) == (
        8, 6.4, True)
    assert (second["demand_hours"], second["overloaded"]) == (12, False)
    assert body["overloaded"] is True and body["capacity_hours"] == 32


def test_earliest_slot_comes_after_planned_work(api: Api, owner: dict[str, Any]) -> None:
    item(api, owner, "Planned", 2, impact=5)
    r = api.client.get(f"/v1/members/{owner['id']}/earliest-slot",
                       params={"effort_hours": 3, "after": "2027-01-04T00:00:00Z"},
                       headers=api.manager)
    body = api.ok(r)
    assert (body["start"], body["finish"]) == ("2027-01-04T11:00:00Z", "2027-01-04T14:00:00Z")
    r = api.client.get(f"/v1/members/{owner['id']}/earliest-slot?effort_hours=1001",
                       headers=api.manager)
    assert_problem(r, 422)


def test_matrix_as_json_and_escaped_svg(api: Api, owner: dict[str, Any]) -> None:
    item(api, owner, "<script>alert(1)</script> & co", 2, impact=5)
    item(api, owner, "Slog", 40, impact=1)
    stakeholder = api.key_for(api.make_member(role="stakeholder"))
    data = api.ok(api.client.get("/v1/matrix", headers=stakeholder))
    assert data["counts"] == {"quick_win": 1, "major_project": 0, "fill_in": 0, "thankless": 1}
    assert {p["quadrant"] for p in data["points"]} == {"quick_win", "thankless"}
    r = api.client.get("/v1/matrix.svg", headers=stakeholder)
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert "<script>" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in r.text
    assert r.text.count('class="quadrant-line"') == 2 and r.text.count('class="point"') == 2


def plate(api: Api, member: dict[str, Any], headers: dict[str, str] | None = None
          ) -> dict[str, Any]:
    return api.ok(api.client.get(  # type: ignore[no-any-return]
        f"/v1/members/{member['id']}/what-can-i-take-off-my-plate?start={MONDAY}",
        headers=headers or api.manager))


def apply(api: Api, member: dict[str, Any], token: str,
          headers: dict[str, str] | None = None) -> Any:
    return api.client.post(f"/v1/members/{member['id']}/what-can-i-take-off-my-plate/apply",
                           headers=headers or api.manager,
                           json={"token": token, "start": MONDAY, "days": 7})


def events_of(api: Api, *types: str) -> list[dict[str, Any]]:
    query = "&".join(f"type={t}" for t in types)
    items: list[dict[str, Any]] = api.ok(api.client.get(f"/v1/events?limit=200&{query}",
                                                        headers=api.manager))["items"]
    return [e for e in items if e["type"] in types]


MONDAY_5PM = "2027-01-04T17:00:00Z"


def test_plate_defers_the_lowest_priority_and_applies_once(api: Api,
                                                           owner: dict[str, Any]) -> None:
    item(api, owner, "Quick", 3, impact=5, deadline=MONDAY_5PM)
    item(api, owner, "Medium", 3, impact=3, deadline=MONDAY_5PM)
    request_id = api.make_request()["id"]
    fill = item(api, owner, "Fill-in", 2, impact=2, deadline=MONDAY_5PM, request_id=request_id)

    proposal = plate(api, owner, api.key_for(owner))

    assert (proposal["feasible_before"], proposal["feasible_after"]) == (False, True)
    assert proposal["actions"] == [{
        "item_id": fill["id"], "title": "Fill-in", "request_id": request_id, "action": "defer",
        "hours": 2.0, "reason": "the lowest-priority work that does not fit before its "
                                "deadline; there is room later in this plan",
        "new_deadline": "2027-01-05T10:36:00Z", "not_before": None, "hand_to_member_id": None}]
    assert proposal["hours_freed"] == 2
    assert_problem(apply(api, owner, proposal["token"], api.key_for(owner)), 403)
    before = count_events(api)
    assert_problem(apply(api, owner, "stale"), 412)
    assert count_events(api) == before

    applied = api.ok(apply(api, owner, proposal["token"]))

    assert applied["plan_feasible"] is True and len(applied["applied"]) == 1
    moved = api.ok(api.client.get(f"/v1/work-items/{fill['id']}", headers=api.manager))
    assert moved["deadline"] == "2027-01-05T10:36:00Z" and moved["status"] == "open"
    [event] = events_of(api, "work_item.deferred")
    assert event["data"]["request_id"] == request_id
    assert event["data"]["new_deadline"] == "2027-01-05T10:36:00+00:00"
    [told] = events_of(api, "request.rescheduled")
    assert told["subject_id"] == str(request_id)
    assert told["data"]["new_date"] == "2027-01-05T10:36:00+00:00"
    assert plan(api, owner)["feasible"] is True
    assert plate(api, owner)["actions"] == []


def test_plate_never_proposes_fixed_work_and_hands_over_to_a_teammate(
        api: Api, owner: dict[str, Any]) -> None:
    teammate = api.make_member(time_zone="UTC")
    item(api, owner, "Quick", 3, impact=5, deadline=MONDAY_5PM)
    medium = item(api, owner, "Medium", 3, impact=3, deadline=MONDAY_5PM)
    item(api, owner, "Fixed fill-in", 2, impact=2, deadline=MONDAY_5PM, is_fixed=True)
    slog = item(api, owner, "Slog", 30, impact=1, deadline="2027-01-08T17:00:00Z")

    proposal = plate(api, owner)

    actions = {a["item_id"]: a for a in proposal["actions"]}
    assert set(actions) == {medium["id"], slog["id"]}
    assert actions[medium["id"]]["action"] == "hand_over"
    assert actions[medium["id"]]["hand_to_member_id"] == teammate["id"]
    assert actions[slog["id"]]["action"] == "decline"
    api.ok(apply(api, owner, proposal["token"]))
    handed = api.ok(api.client.get(f"/v1/work-items/{medium['id']}", headers=api.manager))
    assert handed["owner_id"] == teammate["id"]
    assert api.ok(api.client.get(f"/v1/work-items/{slog['id']}",
                                 headers=api.manager))["status"] == "declined"
    assert {e["type"] for e in events_of(api, "work_item.handed_over", "work_item.declined")} == {
        "work_item.handed_over", "work_item.declined"}


def test_a_proposal_that_went_stale_is_412_and_moves_nothing(api: Api,
                                                            owner: dict[str, Any]) -> None:
    item(api, owner, "Quick", 3, impact=5, deadline=MONDAY_5PM)
    fill = item(api, owner, "Fill-in", 4, impact=2, deadline=MONDAY_5PM)
    token = plate(api, owner)["token"]
    item(api, owner, "Another", 1, impact=5)
    before = count_events(api)

    assert "ask for it again" in assert_problem(apply(api, owner, token), 412)["detail"]

    assert count_events(api) == before
    unchanged = api.ok(api.client.get(f"/v1/work-items/{fill['id']}", headers=api.manager))
    assert unchanged["deadline"] == MONDAY_5PM and unchanged["owner_id"] == owner["id"]


def test_a_late_chunk_is_deferred_to_a_new_target_never_handed_over(
        api: Api, owner: dict[str, Any]) -> None:
    api.make_member(time_zone="UTC")  # a teammate with room, who still does not get the chunk
    project = item(api, owner, "Project", 20, impact=5)
    split = api.ok(api.client.post(f"/v1/work-items/{project['id']}/chunks", headers=api.manager,
                                   json={"chunks": [{"title": "Part 1", "effort_hours": 8,
                                                     "target_on": MONDAY}]}), 201)
    chunk_id = split["chunks"][0]["id"]

    proposal = plate(api, owner)

    assert [(a["item_id"], a["action"]) for a in proposal["actions"]] == [(chunk_id, "defer")]
    # It fits by 10:36 on Tuesday; a chunk is due by the end of its target day.
    assert proposal["actions"][0]["new_deadline"] == "2027-01-06T00:00:00Z"
    applied = api.ok(apply(api, owner, proposal["token"]))
    chunk = api.ok(api.client.get(f"/v1/work-items/{chunk_id}", headers=api.manager))
    assert (chunk["parent_id"], chunk["target_on"]) == (project["id"], "2027-01-05")
    [event] = events_of(api, "work_item.deferred")
    assert event["data"]["old_deadline"] == "2027-01-05T00:00:00+00:00"
    assert event["data"]["new_deadline"] == "2027-01-06T00:00:00+00:00"
    assert applied["applied"][0]["new_deadline"] == "2027-01-06T00:00:00Z"
    assert plan(api, owner)["feasible"] is True


def test_a_chunk_deferred_in_another_time_zone_agrees_in_answer_event_and_item(
        api: Api) -> None:
    owner = api.make_member(time_zone="America/New_York")
    project = item(api, owner, "Project", 20, impact=5)
    split = api.ok(api.client.post(f"/v1/work-items/{project['id']}/chunks", headers=api.manager,
                                   json={"chunks": [{"title": "Part 1", "effort_hours": 8,
                                                     "target_on": MONDAY}]}), 201)
    chunk_id = split["chunks"][0]["id"]
    proposal = plate(api, owner)
    [action] = proposal["actions"]
    assert action["action"] == "defer"

    [applied] = api.ok(apply(api, owner, proposal["token"]))["applied"]

    chunk = api.ok(api.client.get(f"/v1/work-items/{chunk_id}", headers=api.manager))
    [event] = events_of(api, "work_item.deferred")
    # The end of the new target day in New York, whichever way it is read.
    day = chunk["target_on"]
    assert chunk["deadline"] is None and day > MONDAY
    assert applied["new_deadline"] == action["new_deadline"]
    assert applied["new_deadline"].startswith(day[:8]) and applied["new_deadline"].endswith(
        "T05:00:00Z")
    assert event["data"]["new_deadline"] == applied["new_deadline"].replace("Z", "+00:00")
    assert int(applied["new_deadline"][8:10]) == int(day[8:10]) + 1


def test_a_work_item_for_an_unknown_request_is_422_and_writes_nothing(
        api: Api, owner: dict[str, Any]) -> None:
    before_items, before_events = item_count(api), count_events(api)

    r = api.client.post("/v1/work-items", headers=api.manager, json={
        "title": "Partner shout-out", "owner_id": owner["id"], "effort_hours": 2,
        "request_id": 999})

    assert "No request with id 999 to link." in assert_problem(r, 422)["detail"]
    assert (item_count(api), count_events(api)) == (before_items, before_events)


def test_patch_cannot_relink_a_work_item_to_a_request(api: Api, owner: dict[str, Any]) -> None:
    made = item(api, owner, "Reply", 2)

    r = api.client.patch(f"/v1/work-items/{made['id']}", headers=api.manager | {
        "If-Match": '"v1"'}, json={"request_id": 999})

    assert_problem(r, 422)
    assert api.ok(api.client.get(f"/v1/work-items/{made['id']}",
                                 headers=api.manager))["request_id"] is None


def test_apply_rejects_a_plan_window_over_two_weeks_and_a_naive_after(
        api: Api, owner: dict[str, Any]) -> None:
    r = api.client.post(f"/v1/members/{owner['id']}/what-can-i-take-off-my-plate/apply",
                        headers=api.manager, json={"token": "t", "days": 365})
    assert_problem(r, 422)
    r = api.client.get(f"/v1/members/{owner['id']}/earliest-slot",
                       params={"effort_hours": 3, "after": "2027-01-04T09:00:00"},
                       headers=api.manager)
    assert assert_problem(r, 422)["errors"][0]["type"] == "timezone_aware"
    assert_problem(api.client.get("/v1/members/999999/plan", headers=api.manager), 404)


def test_deleting_a_project_takes_its_chunks_and_a_chunk_leaves_the_count(
        api: Api, owner: dict[str, Any]) -> None:
    project = item(api, owner, "Project", 20, impact=5)
    split = api.ok(api.client.post(f"/v1/work-items/{project['id']}/chunks", headers=api.manager,
                                   json={"chunks": [
                                       {"title": "P1", "effort_hours": 10, "target_on": MONDAY},
                                       {"title": "P2", "effort_hours": 10,
                                        "target_on": "2027-01-11"}]}), 201)
    first, second = (c["id"] for c in split["chunks"])
    url = f"/v1/work-items/{first}"
    assert_problem(api.client.delete(url, headers=api.manager), 428)
    assert api.client.delete(url, headers={**api.manager, "If-Match": '"v1"'}).status_code == 204
    parent = api.ok(api.client.get(f"/v1/work-items/{project['id']}", headers=api.manager))
    assert [c["id"] for c in parent["chunks"]] == [second] and parent["queue_rank"] == 9
    r = api.client.delete(f"/v1/work-items/{project['id']}",
                          headers={**api.manager, "If-Match": api.client.get(
                              f"/v1/work-items/{project['id']}",
                              headers=api.manager).headers["etag"]})
    assert r.status_code == 204
    assert item_count(api) == 0
    assert_problem(api.client.get(f"/v1/work-items/{second}", headers=api.manager), 404)


def test_a_project_handed_to_someone_else_takes_its_chunks(api: Api,
                                                           owner: dict[str, Any]) -> None:
    other = api.make_member(time_zone="UTC")
    project = item(api, owner, "Project", 20, impact=5)
    split = api.ok(api.client.post(f"/v1/work-items/{project['id']}/chunks", headers=api.manager,
                                   json={"chunks": [{"title": "P1", "effort_hours": 20,
                                                     "target_on": "2027-01-15"}]}), 201)
    r = api.client.patch(f"/v1/work-items/{project['id']}",
                         headers={**api.manager, "If-Match": '"v2"'},
                         json={"owner_id": other["id"], "impact": 2,
                               "deadline": "2027-01-08T12:00:00Z"})
    api.ok(r)
    chunk = api.ok(api.client.get(f"/v1/work-items/{split['chunks'][0]['id']}",
                                  headers=api.manager))
    assert (chunk["owner_id"], chunk["impact"], chunk["quadrant"]) == (
        other["id"], 2, "thankless")
    assert chunk["deadline"] == "2027-01-08T12:00:00Z"
    assert [e["item"]["id"] for e in queue(api, owner_id=other["id"])] == [chunk["id"]]
