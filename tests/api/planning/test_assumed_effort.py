"""Triage without an estimate: the work item is planned at the documented default (2 h) and
says so (`effort_is_assumed`, and the queue's reason asks the owner to confirm) until the
owner gives an effort."""

from tests.factories import Api


def test_accepted_without_estimate_is_planned_at_two_hours_marked_assumed(api: Api) -> None:
    owner = api.make_member(time_zone="UTC")
    request = api.make_request(owner_id=owner["id"])
    api.ok(api.client.post(f"/v1/requests/{request['id']}/triage", headers=api.manager,
                           json={"decision": "accept"}))

    [entry] = api.ok(api.client.get(f"/v1/queue?owner_id={owner['id']}",
                                     headers=api.manager))["items"]
    work = entry["item"]
    assert (work["effort_hours"], work["effort_is_assumed"]) == (2.0, True)
    assert "assumed" in entry["reason"] and "confirm" in entry["reason"]

    read = api.client.get(f"/v1/work-items/{work['id']}", headers=api.manager)
    assert read.json()["effort_is_assumed"] is True
    confirmed = api.ok(api.client.patch(f"/v1/work-items/{work['id']}", json={"effort_hours": 2},
                                        headers=api.manager | {"If-Match": read.headers["ETag"]}))
    assert confirmed["effort_is_assumed"] is False


def test_accepted_with_an_estimate_is_not_assumed(api: Api) -> None:
    owner = api.make_member(time_zone="UTC")
    request = api.make_request(owner_id=owner["id"])
    api.ok(api.client.post(f"/v1/requests/{request['id']}/triage", headers=api.manager,
                           json={"decision": "accept", "effort_hours": 3}))
    [entry] = api.ok(api.client.get(f"/v1/queue?owner_id={owner['id']}",
                                    headers=api.manager))["items"]
    assert (entry["item"]["effort_hours"], entry["item"]["effort_is_assumed"]) == (3.0, False)
