"""HTTP behaviour of posts and metrics: bulk upsert, idempotency, flags, bad input, notes,
goals and follower counts."""

from typing import Any

from tests.api.team.test_router import assert_problem, count_events
from tests.factories import Api


def snap(at: str, **values: int) -> dict[str, Any]:
    return {"captured_at": at, **values}


def post(external_id: str, network: str = "tiktok", **overrides: Any) -> dict[str, Any]:
    return {"network": network, "external_id": external_id,
            "published_at": "2026-10-05T15:00:00Z", "content_type": "short",
            "title": f"Post {external_id}", "campaign_tags": ["Q4-Launch"]} | overrides


def upsert(api: Api, *posts: dict[str, Any], status: int = 200) -> Any:
    return api.ok(api.client.post("/v1/posts/bulk", json={"posts": list(posts)},
                                  headers=api.manager), status)


def test_bulk_upsert_creates_posts_and_keeps_the_newest_snapshot_as_current(api: Api) -> None:
    api.make_network("tiktok")
    result = upsert(api, post("a1", snapshots=[
        snap("2026-10-06T00:00:00Z", impressions=1000, likes=40, comments=5, shares=3, saves=2),
        snap("2026-10-08T00:00:00Z", impressions=3000, likes=100, comments=10, shares=6,
             saves=4, video_views=2500)]))
    assert (result["posts_created"], result["snapshots_created"], result["flagged"]) == (1, 2, [])
    items = api.ok(api.client.get("/v1/posts?network=tiktok", headers=api.manager))["items"]
    assert len(items) == 1
    p = items[0]
    assert p["campaign_tags"] == ["q4-launch"]
    assert p["metrics_as_of"].startswith("2026-10-08T00:00:00")
    assert p["metrics"]["impressions"] == 3000
    assert p["metrics"]["engagements"] == 120  # likes + comments + shares + saves by default
    assert p["metrics"]["engagement_rate"] == 0.04


def test_sending_the_same_data_again_changes_nothing(api: Api) -> None:
    api.make_network("tiktok")
    body = post("a1", snapshots=[snap("2026-10-06T00:00:00Z", impressions=10, engagements=2)])
    upsert(api, body)
    events = count_events(api)
    again = upsert(api, body)
    assert again == {"posts_created": 0, "posts_updated": 0, "posts_unchanged": 1,
                     "snapshots_created": 0, "snapshots_updated": 0, "snapshots_unchanged": 1,
                     "flagged": []}
    assert count_events(api) == events
    pid = api.ok(api.client.get("/v1/posts", headers=api.manager))["items"][0]["id"]
    snaps = api.ok(api.client.get(f"/v1/posts/{pid}/snapshots", headers=api.manager))["items"]
    assert len(snaps) == 1


def test_a_snapshot_lowering_a_counter_is_stored_and_flagged(api: Api) -> None:
    api.make_network("tiktok")
    upsert(api, post("a1", snapshots=[snap("2026-10-06T00:00:00Z", impressions=500, likes=9)]))
    result = upsert(api, post("a1", snapshots=[
        snap("2026-10-07T00:00:00Z", impressions=450, likes=12)]))
    assert result["snapshots_created"] == 1
    assert [(f["external_id"], f["decreased"]) for f in result["flagged"]] == [
        ("a1", ["impressions"])]
    pid = api.ok(api.client.get("/v1/posts", headers=api.manager))["items"][0]["id"]
    flagged = api.ok(api.client.get(f"/v1/posts/{pid}/snapshots?flagged=true",
                                    headers=api.manager))["items"]
    assert [(s["impressions"], s["decreased"]) for s in flagged] == [(450, ["impressions"])]


def test_a_late_older_snapshot_does_not_replace_current_metrics(api: Api) -> None:
    api.make_network("tiktok")
    upsert(api, post("a1", snapshots=[snap("2026-10-09T00:00:00Z", impressions=900)]))
    result = upsert(api, post("a1", snapshots=[snap("2026-10-07T00:00:00Z", impressions=300)]))
    assert result["snapshots_created"] == 1 and result["flagged"] == []
    p = api.ok(api.client.get("/v1/posts", headers=api.manager))["items"][0]
    assert p["metrics"]["impressions"] == 900


def test_correcting_a_snapshot_updates_it(api: Api) -> None:
    api.make_network("tiktok")
    upsert(api, post("a1", snapshots=[snap("2026-10-09T00:00:00Z", impressions=900)]))
    result = upsert(api, post("a1", snapshots=[snap("2026-10-09T00:00:00Z", impressions=950)]))
    assert (result["snapshots_updated"], result["snapshots_created"]) == (1, 0)
    p = api.ok(api.client.get("/v1/posts", headers=api.manager))["items"][0]
    assert p["metrics"]["impressions"] == 950


def test_unknown_network_rejects_the_whole_call_and_writes_nothing(api: Api) -> None:
    api.make_network("tiktok")
    before = count_events(api)
    r = api.client.post("/v1/posts/bulk", headers=api.manager, json={"posts": [
        post("ok1", snapshots=[snap("2026-10-06T00:00:00Z", impressions=5)]),
        post("bad", network="myspace")]})
    body = assert_problem(r, 422)
    assert body["errors"][0]["pointer"] == "/posts/1/network"
    assert api.ok(api.client.get("/v1/posts", headers=api.manager))["items"] == []
    assert count_events(api) == before


def test_negative_metrics_are_rejected_and_write_nothing(api: Api) -> None:
    api.make_network("tiktok")
    r = api.client.post("/v1/posts/bulk", headers=api.manager, json={"posts": [
        post("a1", snapshots=[snap("2026-10-06T00:00:00Z", impressions=-5)])]})
    assert_problem(r, 422, field="body.posts.0.snapshots.0.impressions")
    assert api.ok(api.client.get("/v1/posts", headers=api.manager))["items"] == []


def test_snapshot_before_publication_and_duplicate_posts_are_rejected(api: Api) -> None:
    api.make_network("tiktok")
    r = api.client.post("/v1/posts/bulk", headers=api.manager, json={"posts": [
        post("a1", snapshots=[snap("2026-10-01T00:00:00Z", impressions=5)])]})
    assert "before the post was published" in assert_problem(r, 422)["errors"][0]["message"]
    r = api.client.post("/v1/posts/bulk", headers=api.manager,
                        json={"posts": [post("a1"), post("a1")]})
    assert_problem(r, 422)


def test_post_records_the_network_owner_on_its_publishing_day(api: Api) -> None:
    olivia = api.make_member(name="Olivia")
    api.make_network("tiktok", owner_id=olivia["id"])
    upsert(api, post("a1", published_at="2026-10-05T15:00:00Z"))
    p = api.ok(api.client.get("/v1/posts", headers=api.manager))["items"][0]
    assert p["owner_id"] == olivia["id"]


def test_notes_are_added_by_staff_and_listed(api: Api) -> None:
    api.make_network("tiktok")
    upsert(api, post("a1"))
    pid = api.ok(api.client.get("/v1/posts", headers=api.manager))["items"][0]["id"]
    api.ok(api.client.post(f"/v1/posts/{pid}/notes", headers=api.manager,
                           json={"body": "Hook in the first second."}), 201)
    notes = api.ok(api.client.get(f"/v1/posts/{pid}/notes", headers=api.manager))
    assert [n["body"] for n in notes] == ["Hook in the first second."]
    assert_problem(api.client.post("/v1/posts/999999/notes", headers=api.manager,
                                   json={"body": "x"}), 404)


def test_goals_replace_the_quarter_set(api: Api) -> None:
    api.make_network("tiktok")
    url = "/v1/networks/tiktok/goals/2026-Q4"
    api.ok(api.client.put(url, headers=api.manager,
                          json={"targets": {"video_views": 1000, "posts": 12}}))
    body = api.ok(api.client.put(url, headers=api.manager,
                                 json={"targets": {"video_views": 2000}}))
    assert [(g["metric"], g["target"]) for g in body["goals"]] == [("video_views", 2000.0)]
    listed = api.ok(api.client.get("/v1/goals?quarter=2026-Q4", headers=api.manager))
    assert [(g["network"], g["metric"]) for g in listed] == [("tiktok", "video_views")]
    assert_problem(api.client.put(url, headers=api.manager,
                                  json={"targets": {"video_views": -1}}), 422)
    assert_problem(api.client.put("/v1/networks/tiktok/goals/2026-Q5", headers=api.manager,
                                  json={"targets": {}}), 422)


def test_collector_service_key_needs_the_metrics_scope(api: Api) -> None:
    api.make_network("tiktok")
    body = {"posts": [post("a1")]}
    r = api.client.post("/v1/posts/bulk", json=body, headers=api.service_key("events:read"))
    assert_problem(r, 403)
    r = api.client.post("/v1/posts/bulk", json=body, headers=api.service_key("metrics:write"))
    assert api.ok(r)["posts_created"] == 1
