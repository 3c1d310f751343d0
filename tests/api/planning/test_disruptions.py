"""Disruptions are blocked intervals in the member's day: the week plan places no work inside
them, and says what moved."""

from typing import Any

from tests.api.planning.test_router import MONDAY, item, plan
from tests.factories import Api


def test_week_plan_places_no_work_inside_a_disruption_and_says_what_moved(api: Api) -> None:
    owner = api.make_member(time_zone="Europe/Paris")
    first = item(api, owner, "First", 1, impact=5)
    second = item(api, owner, "Second", 2, impact=5)
    third = item(api, owner, "Third", 2, impact=5)
    key = api.key_for(owner)
    # 11:00 to 14:00 in Paris (UTC+1 in January): a post went viral.
    api.ok(api.client.post(f"/v1/members/{owner['id']}/disruptions", headers=key, json={
        "started_at": f"{MONDAY}T10:00:00Z", "hours": 3, "note": "Viral reel"}), 201)

    week = plan(api, owner)

    monday = week["days"][0]
    slots = [(s["item_id"], s["start"], s["end"]) for s in monday["slots"]]
    blocked = (f"{MONDAY}T10:00:00Z", f"{MONDAY}T13:00:00Z")
    assert all(end <= blocked[0] or start >= blocked[1] for _, start, end in slots), slots
    assert slots[:3] == [(first["id"], f"{MONDAY}T08:00:00Z", f"{MONDAY}T09:00:00Z"),
                         (second["id"], f"{MONDAY}T09:00:00Z", f"{MONDAY}T10:00:00Z"),
                         (second["id"], f"{MONDAY}T13:00:00Z", f"{MONDAY}T14:00:00Z")]
    moved: list[dict[str, Any]] = week["moved"]
    assert [m["item_id"] for m in moved] == [third["id"]]
    assert moved[0]["to_start"] == f"{MONDAY}T14:00:00Z"
