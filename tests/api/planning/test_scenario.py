"""The article's scenario over HTTP: the manager's order, a project in chunks over weeks, a
strategist flooded with requests and a viral post, the plate cleared by the manager, the
stakeholders told through events, and a week plan that holds again."""

from datetime import date, timedelta
from typing import Any

import pytest

from services.api import clock
from tests.api.planning.conftest import NOW
from tests.factories import Api


# The same story with the clock a year ahead: nothing in it may depend on today's date.
@pytest.mark.parametrize("frozen", [NOW, NOW + timedelta(days=364)], indirect=True,
                         ids=["2027", "a-year-later"])
def test_flooded_strategist_gets_a_feasible_week_after_the_manager_clears_her_plate(
        api: Api, frozen: clock.FrozenClock) -> None:
    monday = frozen.now().date() + timedelta(days=3)
    assert monday.weekday() == 0
    WEEK = monday.isoformat()

    def on(offset: int) -> date:
        return monday + timedelta(days=offset)

    olivia = api.make_member(name="Olivia Martin", time_zone="America/New_York")
    jonathan = api.make_member(name="Jonathan Zuluaga", time_zone="America/Chicago")
    olivia_key = api.key_for(olivia)
    stakeholder_key = api.key_for(api.make_member(role="stakeholder"))

    def add(title: str, effort: float, key: dict[str, str] | None = None,
            **extra: Any) -> dict[str, Any]:
        body = {"title": title, "owner_id": olivia["id"], "effort_hours": effort} | extra
        return api.ok(api.client.post("/v1/work-items", headers=key or api.manager,  # type: ignore[no-any-return]
                                      json=body), 201)

    # Olivia's weeks: focus mornings, regular afternoons, a buffer hour at the end of each day.
    blocks = [b for day in ("mon", "tue", "wed", "thu", "fri") for b in (
        {"day": day, "start": "09:00", "end": "12:00", "kind": "focus"},
        {"day": day, "start": "13:00", "end": "17:00", "kind": "regular"},
        {"day": day, "start": "17:00", "end": "18:00", "kind": "buffer"})]
    api.ok(api.client.put(f"/v1/members/{olivia['id']}/schedule", headers=olivia_key,
                          json={"blocks": blocks, "buffer_share": 0.2}))

    # The manager's order: high impact and low effort, then medium impact and low effort, then a
    # high-impact, high-effort project split into chunks over several weeks.
    quick = add("Reply to the trending TikTok sound", 2, pillar_fit=True, goal="Awareness")
    medium = add("Instagram carousel refresh", 3, impact=3)
    launch = add("TikTok launch video series", 40, impact=5, key=olivia_key)
    chunks = api.ok(api.client.post(f"/v1/work-items/{launch['id']}/chunks", headers=olivia_key,
                                    json={"chunks": [
                                        {"title": f"Launch videos, week {n}",
                                         "effort_hours": 10, "target_on": target}
                                        for n, target in enumerate(
                                            [on(4).isoformat(), on(11).isoformat(),
                                             on(18).isoformat(), on(25).isoformat()],
                                            start=1)]}), 201)
    assert chunks["warnings"] == [] and chunks["progress"] == 0
    order = api.ok(api.client.get(f"/v1/queue?owner_id={olivia['id']}", headers=olivia_key))
    assert [e["item"]["id"] for e in order["items"][:2]] == [quick["id"], medium["id"]]
    assert [e["chunk_of"]["k"] for e in order["items"][2:6]] == [1, 2, 3, 4]
    assert all(e["item"]["quadrant"] == "major_project" for e in order["items"][2:6])

    # The flood: accepted requests from stakeholders, all due this week, and a viral post.
    requests = [
        add(f"Request {n}: {what}", effort, request_id=api.make_request()["id"], impact=impact,
            deadline=f"{on(day - 4).isoformat()}T22:00:00Z")
        for n, (what, effort, impact, day) in enumerate([
            ("Webinar promo", 4, 3, 5), ("Product teaser", 3, 4, 6),
            ("Hiring post", 2, 2, 6), ("Event recap", 6, 2, 7),
            ("Partner shout-out", 5, 1, 8), ("Survey push", 4, 2, 8)], start=1)]
    # The manager's launch: fixed, low in the matrix, due mid-week; nobody may move it.
    launch_post = add("Launch announcement (manager's call)", 4, impact=2,
                      deadline=f"{on(2).isoformat()}T22:00:00Z", is_fixed=True)
    svg = api.client.get(f"/v1/matrix.svg?owner_id={olivia['id']}", headers=stakeholder_key)
    assert svg.status_code == 200 and "Request 1: Webinar promo" in svg.text
    viral = api.ok(api.client.post(f"/v1/members/{olivia['id']}/disruptions", headers=olivia_key,
                                   json={"started_at": f"{on(1).isoformat()}T15:00:00Z", "hours": 3,
                                         "note": "Our reel went viral"}), 201)
    assert viral["moved"], "a 3-hour disruption against a 1.6-hour buffer moves work"

    week = api.ok(api.client.get(f"/v1/members/{olivia['id']}/plan?start={WEEK}",
                                 headers=olivia_key))
    assert week["feasible"] is False
    capacity = api.ok(api.client.get(f"/v1/members/{olivia['id']}/capacity?start={WEEK}",
                                     headers=olivia_key))
    assert capacity["overloaded"] is True

    # "What can I take off my plate?" -- asked by Olivia, applied by the manager.
    proposal = api.ok(api.client.get(
        f"/v1/members/{olivia['id']}/what-can-i-take-off-my-plate?start={WEEK}",
        headers=olivia_key))
    assert proposal["feasible_before"] is False and proposal["feasible_after"] is True
    moved_ids = [a["item_id"] for a in proposal["actions"]]
    assert quick["id"] not in moved_ids and medium["id"] not in moved_ids
    assert launch_post["id"] not in moved_ids and proposal["cannot_fit"] == []
    assert proposal["hours_freed"] > 0
    assert {a["action"] for a in proposal["actions"]} <= {"defer", "hand_over", "decline"}
    applied = api.ok(api.client.post(
        f"/v1/members/{olivia['id']}/what-can-i-take-off-my-plate/apply", headers=api.manager,
        json={"token": proposal["token"], "start": WEEK, "days": 7}))
    assert applied["plan_feasible"] is True

    # Every affected stakeholder's request gets an event naming it.
    feed = api.ok(api.client.get("/v1/events?limit=200", headers=api.manager))["items"]
    told = {e["data"]["request_id"] for e in feed if e["type"] in (
        "work_item.deferred", "work_item.handed_over", "work_item.declined")} - {None}
    request_ids = {r["id"]: r["request_id"] for r in requests}
    assert told == {request_ids[i] for i in moved_ids if i in request_ids}
    assert told, "the flood was made of requests, so stakeholders are told"
    for action in proposal["actions"]:
        if action["action"] == "hand_over":
            assert action["hand_to_member_id"] == jonathan["id"]
    # ... on their request's own events, which webhooks following requests deliver.
    kinds = {"defer": "request.rescheduled", "hand_over": "request.handed_over",
             "decline": "request.declined_by_plan"}
    on_requests = {(e["type"], int(e["subject_id"])): e["data"] for e in feed
                   if e["type"] in kinds.values()}
    for action in proposal["actions"]:
        if action["request_id"] is None:
            continue
        data = on_requests[(kinds[action["action"]], action["request_id"])]
        assert data["requester_id"] is not None
        if action["action"] == "hand_over":
            assert data["to_owner_id"] == jonathan["id"] and "owner_id" not in data
            moved_request = api.ok(api.client.get(f"/v1/requests/{action['request_id']}",
                                                  headers=api.manager))
            assert moved_request["owner"]["id"] == jonathan["id"]
        elif action["action"] == "defer":
            assert data["new_date"]

    week = api.ok(api.client.get(f"/v1/members/{olivia['id']}/plan?start={WEEK}",
                                 headers=olivia_key))
    assert week["feasible"] is True
    placed = {s["item_id"] for d in week["days"] for s in d["slots"]}
    assert {quick["id"], medium["id"], launch_post["id"]} <= placed
    again = api.ok(api.client.get(
        f"/v1/members/{olivia['id']}/what-can-i-take-off-my-plate?start={WEEK}",
        headers=olivia_key))
    assert again["actions"] == [] and again["feasible_before"] is True
