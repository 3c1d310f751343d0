"""The plate-clearer's invariants through HTTP, on both databases: random plates (seeded, so
CI is stable) built with the API, the proposal applied by the manager, and what the API then
says checked against what the proposal promised."""

import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.api.events.test_payloads import PLATE_EVENTS, assert_documented
from tests.api.planning.test_router import MONDAY, apply, events_of, item, plan, plate
from tests.api.team.test_router import assert_problem, count_events
from tests.factories import Api

ZONES = ["UTC", "Europe/Paris", "America/New_York"]
EFFORTS = [0.5, 1, 2, 3, 4, 6, 8]


def _random_plate(api: Api, rng: random.Random) -> tuple[dict[str, Any], list[dict[str, Any]],
                                                         dict[int, dict[str, Any]]]:
    owner = api.make_member(time_zone=rng.choice(ZONES))
    mates = [api.make_member(time_zone=rng.choice(ZONES)) for _ in range(rng.randint(0, 2))]
    for mate in mates:
        for n in range(rng.randint(0, 4)):
            item(api, mate, f"mate {n}", rng.choice(EFFORTS), impact=rng.randint(1, 5))
    items = {}
    monday = datetime.fromisoformat(f"{MONDAY}T00:00:00+00:00")
    for n in range(rng.randint(8, 24)):
        extra: dict[str, Any] = {"impact": rng.randint(1, 5)}
        when = rng.random()
        if when < 0.7:
            extra["deadline"] = (monday + timedelta(hours=rng.randint(10, 24 * 7))).isoformat()
        elif when < 0.85:
            extra["deadline"] = (monday + timedelta(days=rng.randint(8, 30))).isoformat()
        if rng.random() < 0.1:
            extra["is_fixed"] = True
        if rng.random() < 0.3:
            extra["request_id"] = api.make_request()["id"]
        body = item(api, owner, f"work {n}", rng.choice(EFFORTS), **extra)
        items[body["id"]] = body
    return owner, mates, items


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_applied_plate_keeps_its_promises_over_http(api: Api, seed: int) -> None:
    rng = random.Random(seed)
    owner, mates, items = _random_plate(api, rng)

    proposal = plate(api, owner)
    assert proposal["feasible_before"] is False and proposal["actions"], "an overloaded plate"
    applied = api.ok(apply(api, owner, proposal["token"]))

    assert [a["item_id"] for a in applied["applied"]] == [
        a["item_id"] for a in proposal["actions"]]
    cannot_fit = {c["item_id"] for c in proposal["cannot_fit"]}
    assert all(items[i]["is_fixed"] for i in cannot_fit)
    week = plan(api, owner)
    assert {u["item_id"] for u in week["unplaced"] if u["due"] and u["due"] <= week["end"]
            } <= cannot_fit
    assert applied["plan_feasible"] is (not cannot_fit) is week["feasible"]
    for a in proposal["actions"]:
        old = items[a["item_id"]]
        assert not old["is_fixed"]
        now = api.ok(api.client.get(f"/v1/work-items/{a['item_id']}", headers=api.manager))
        if a["action"] == "defer":
            assert now["deadline"] is not None and now["status"] == "open"
            if old["deadline"]:
                assert now["deadline"] >= old["deadline"]
        elif a["action"] == "hand_over":
            assert now["owner_id"] == a["hand_to_member_id"] != owner["id"]
        else:
            assert now["status"] == "declined"
    for mate in mates:
        assert plan(api, mate)["feasible"] is True or not any(
            a["hand_to_member_id"] == mate["id"] for a in proposal["actions"])
    for event in events_of(api, "work_item.handed_over"):
        assert event["data"]["from_owner_id"] == owner["id"]
        assert "owner_id" not in event["data"]
    told = events_of(api, *PLATE_EVENTS)
    kinds = {"defer": "work_item.deferred", "hand_over": "work_item.handed_over",
             "decline": "work_item.declined"}
    assert {e["type"] for e in told} >= {kinds[a["action"]] for a in proposal["actions"]}
    assert_documented(api, told)
    again = plate(api, owner)
    assert again["actions"] == []


def test_apply_after_the_plan_changed_is_412_and_writes_nothing(api: Api) -> None:
    owner = api.make_member(time_zone="UTC")
    for n in range(4):
        item(api, owner, f"work {n}", 3, impact=3, deadline=f"{MONDAY}T17:00:00Z")
    proposal = plate(api, owner)
    assert proposal["actions"]
    # Another tool moves one item's deadline between the proposal and the apply.
    first = api.ok(api.client.get(f"/v1/work-items/{proposal['actions'][-1]['item_id']}",
                                  headers=api.manager))
    etag = api.client.get(f"/v1/work-items/{first['id']}", headers=api.manager).headers["ETag"]
    api.ok(api.client.patch(f"/v1/work-items/{first['id']}", json={"title": "renamed"},
                            headers=api.manager | {"If-Match": etag}))
    before = count_events(api)
    assert_problem(apply(api, owner, proposal["token"]), 412)
    assert count_events(api) == before
    for a in proposal["actions"]:
        stored = api.ok(api.client.get(f"/v1/work-items/{a['item_id']}", headers=api.manager))
        assert stored["status"] == "open" and stored["owner_id"] == owner["id"]
