"""HTTP behaviour of members, networks, ownership, pillars and routing."""

from typing import Any

from tests.factories import Api


def count_events(api: Api) -> int:
    return len(api.ok(api.client.get("/v1/events?limit=200", headers=api.manager))["items"])


def assert_problem(response: Any, status: int, *, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


def test_member_is_created_with_etag_and_location(api: Api) -> None:
    r = api.client.post("/v1/members", headers=api.manager, json={
        "name": "Jonathan Zuluaga", "email": "Jonathan@Example.com",
        "time_zone": "America/Chicago", "role": "strategist", "weekly_capacity_hours": 38})
    body = api.ok(r, 201)
    assert body["email"] == "jonathan@example.com"
    assert r.headers["etag"] == '"v1"'
    assert r.headers["location"] == f"/v1/members/{body['id']}"
    assert body["created_at"].endswith("Z") or "+00:00" in body["created_at"]


def test_duplicate_email_is_a_conflict_and_writes_nothing(api: Api) -> None:
    api.make_member(email="dup@example.com")
    before = count_events(api)
    r = api.client.post("/v1/members", headers=api.manager, json={
        "name": "Other", "email": "DUP@example.com", "time_zone": "UTC", "role": "stakeholder"})
    assert_problem(r, 409)
    assert count_events(api) == before


def test_unknown_time_zone_is_rejected_with_a_field_pointer(api: Api) -> None:
    r = api.client.post("/v1/members", headers=api.manager, json={
        "name": "Martian", "email": "m@example.com", "time_zone": "Mars/Olympus",
        "role": "strategist"})
    body = assert_problem(r, 422, field="body.time_zone")
    assert body["errors"][0]["pointer"] == "/time_zone"
    assert "Mars/Olympus" in body["errors"][0]["message"]


def test_wrong_types_and_missing_fields_are_each_named(api: Api) -> None:
    r = api.client.post("/v1/members", headers=api.manager,
                        json={"name": 42, "weekly_capacity_hours": "lots", "role": "boss"})
    body = assert_problem(r, 422)
    fields = {e["field"] for e in body["errors"]}
    assert {"body.name", "body.email", "body.time_zone", "body.role",
            "body.weekly_capacity_hours"} <= fields


def test_patch_needs_if_match_and_rejects_a_stale_one(api: Api) -> None:
    member = api.make_member()
    url = f"/v1/members/{member['id']}"
    assert_problem(api.client.patch(url, json={"name": "New"}, headers=api.manager), 428)
    first = api.client.patch(url, json={"name": "First"},
                             headers={**api.manager, "If-Match": '"v1"'})
    assert api.ok(first)["name"] == "First"
    assert first.headers["etag"] == '"v2"'
    stale = api.client.patch(url, json={"name": "Second"},
                             headers={**api.manager, "If-Match": '"v1"'})
    assert_problem(stale, 412)
    assert api.ok(api.client.get(url, headers=api.manager))["name"] == "First"


def test_unknown_member_is_404(api: Api) -> None:
    assert_problem(api.client.get("/v1/members/999999", headers=api.manager), 404)


def test_network_read_shows_current_owner(api: Api) -> None:
    owner = api.make_member(name="Olivia Martin")
    api.make_network("tiktok", owner_id=owner["id"])
    r = api.client.get("/v1/networks/tiktok", headers=api.manager)
    body = api.ok(r)
    assert body["owner"]["name"] == "Olivia Martin"
    assert r.headers["etag"] == '"v1"'


def test_unknown_network_slug_is_404(api: Api) -> None:
    body = assert_problem(api.client.get("/v1/networks/myspace", headers=api.manager), 404)
    assert "myspace" in body["detail"]


def test_stakeholder_cannot_own_a_network_and_nothing_is_written(api: Api) -> None:
    stakeholder = api.make_member(role="stakeholder")
    api.make_network("pinterest")
    before = count_events(api)
    r = api.client.post("/v1/networks/pinterest/owners", headers=api.manager,
                        json={"member_id": stakeholder["id"]})
    assert "only an active strategist or manager" in assert_problem(r, 422)["detail"]
    r = api.client.post("/v1/networks", headers=api.manager, json={
        "slug": "snap", "name": "Snap", "purpose": "awareness", "owner_id": stakeholder["id"]})
    assert_problem(r, 422)
    assert_problem(api.client.get("/v1/networks/snap", headers=api.manager), 404)
    assert count_events(api) == before


def test_owner_that_does_not_exist_is_rejected(api: Api) -> None:
    api.make_network("youtube")
    r = api.client.post("/v1/networks/youtube/owners", headers=api.manager,
                        json={"member_id": 424242})
    assert_problem(r, 422)


def test_reassigning_keeps_history_and_answers_by_date(api: Api) -> None:
    olivia, jonathan = api.make_member(name="Olivia"), api.make_member(name="Jonathan")
    api.make_network("tiktok")
    api.ok(api.client.post("/v1/networks/tiktok/owners", headers=api.manager,
                           json={"member_id": olivia["id"], "starts_on": "2026-01-01"}), 201)
    api.ok(api.client.post("/v1/networks/tiktok/owners", headers=api.manager,
                           json={"member_id": jonathan["id"], "starts_on": "2026-07-01"}), 201)
    history = api.ok(api.client.get("/v1/networks/tiktok/owners", headers=api.manager))["items"]
    assert [(h["owner"]["name"], h["starts_on"], h["ends_on"]) for h in history] == [
        ("Jonathan", "2026-07-01", None), ("Olivia", "2026-01-01", "2026-07-01")]
    march = api.ok(api.client.get("/v1/networks/tiktok/owners?on=2026-03-15",
                                  headers=api.manager))["items"]
    assert [h["owner"]["name"] for h in march] == ["Olivia"]
    routed = api.ok(api.client.get("/v1/routing?network=tiktok&on=2026-03-15",
                                   headers=api.manager))
    assert routed["routes"][0]["owner"]["name"] == "Olivia"


def test_history_is_not_rewritten_backwards(api: Api) -> None:
    a, b = api.make_member(), api.make_member()
    api.make_network("x", owner_id=a["id"])
    r = api.client.post("/v1/networks/x/owners", headers=api.manager,
                        json={"member_id": b["id"], "starts_on": "2000-01-01"})
    assert_problem(r, 422)


def test_routing_answers_every_slug_in_order_and_rejects_unknown(api: Api) -> None:
    eng, aw = api.make_member(name="Jonathan"), api.make_member(name="Olivia")
    api.make_network("linkedin", owner_id=eng["id"], purpose="engagement")
    api.make_network("tiktok", owner_id=aw["id"])
    body = api.ok(api.client.get("/v1/routing?network=tiktok&network=linkedin",
                                 headers=api.manager))
    assert [(r["network"], r["owner"]["name"]) for r in body["routes"]] == [
        ("tiktok", "Olivia"), ("linkedin", "Jonathan")]
    bad = api.client.get("/v1/routing?network=tiktok&network=friendster", headers=api.manager)
    assert "friendster" in assert_problem(bad, 422)["detail"]


def test_pillar_quarter_must_exist(api: Api) -> None:
    r = api.client.post("/v1/pillars", headers=api.manager,
                        json={"quarter": "2026-Q5", "name": "Nope"})
    assert_problem(r, 422, field="body.quarter")


def test_pillar_with_unknown_network_writes_nothing(api: Api) -> None:
    r = api.client.post("/v1/pillars", headers=api.manager,
                        json={"quarter": "2026-Q4", "name": "Video", "networks": ["vine"]})
    assert "vine" in assert_problem(r, 422)["detail"]
    assert api.ok(api.client.get("/v1/pillars", headers=api.manager))["items"] == []


def test_pillar_lifecycle_lists_by_quarter(api: Api) -> None:
    api.make_network("tiktok")
    pillar = api.make_pillar(name="Short video", networks=["tiktok"], audiences=["Gen Z"])
    api.make_pillar(quarter="2027-Q1", name="Next quarter")
    listed = api.ok(api.client.get("/v1/pillars?quarter=2026-Q4", headers=api.manager))
    assert [(p["name"], p["networks"]) for p in listed["items"]] == [("Short video", ["tiktok"])]
    url = f"/v1/pillars/{pillar['id']}"
    changed = api.ok(api.client.patch(url, json={"networks": []},
                                      headers={**api.manager, "If-Match": '"v1"'}))
    assert changed["networks"] == []
    assert_problem(api.client.delete(url, headers=api.manager), 428)
    r = api.client.delete(url, headers={**api.manager, "If-Match": '"v2"'})
    assert r.status_code == 204
    assert_problem(api.client.get(url, headers=api.manager), 404)


def test_member_list_pages_with_cursor_and_link_header(api: Api) -> None:
    ids = [api.make_member()["id"] for _ in range(5)]
    seen: list[int] = []
    url: str | None = "/v1/members?limit=2"
    while url:
        r = api.client.get(url, headers=api.manager)
        page = api.ok(r)
        seen += [m["id"] for m in page["items"]]
        if page["next"]:
            assert 'rel="next"' in r.headers["link"]
            url = f"/v1/members?limit=2&cursor={page['next']}"
        else:
            assert "link" not in r.headers
            url = None
    assert seen == ids


def test_a_forged_cursor_is_a_clear_400(api: Api) -> None:
    assert_problem(api.client.get("/v1/members?cursor=bm9wZQ", headers=api.manager), 400)


def test_limit_is_capped(api: Api) -> None:
    assert_problem(api.client.get("/v1/members?limit=100000", headers=api.manager), 422,
                   field="query.limit")
