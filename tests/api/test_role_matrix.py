"""Every operation, every role: 401 without a key, 403 for a role that may not, and anything
else (success or a domain answer) for a role that may. Features add their operations to OPS."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories import Api, auth, make_key

ROLES = ("stakeholder", "strategist", "manager", "service")
PEOPLE = {"stakeholder", "strategist", "manager"}
STAFF = {"strategist", "manager"}
MANAGER = {"manager"}


@dataclass
class World:
    """What the operations refer to, built once per test."""

    api: Api
    ids: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # formatted with World.ids
    allowed: set[str]
    body: Callable[[World], Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _unique(world: World, prefix: str) -> str:
    world.ids["n"] = world.ids.get("n", 0) + 1
    return f"{prefix}{world.ids['n']}"


OPS = [
    Op("GET", "/v1/me", PEOPLE | {"service"}),
    Op("POST", "/v1/api-keys", MANAGER,
       lambda w: {"name": "bot", "role": "service", "scopes": ["events:read"]}),
    Op("GET", "/v1/api-keys", MANAGER),
    Op("POST", "/v1/api-keys/{key_id}/revoke", MANAGER),
    Op("GET", "/v1/members", PEOPLE),
    Op("POST", "/v1/members", MANAGER,
       lambda w: {"name": "N", "email": _unique(w, "e") + "@example.com", "time_zone": "UTC",
                  "role": "stakeholder"}),
    Op("GET", "/v1/members/{member_id}", PEOPLE),
    Op("PATCH", "/v1/members/{member_id}", MANAGER, lambda w: {"department": "Sales"},
       {"If-Match": "*"}),
    Op("GET", "/v1/networks", PEOPLE),
    Op("POST", "/v1/networks", MANAGER,
       lambda w: {"slug": _unique(w, "n"), "name": "N", "purpose": "awareness"}),
    Op("GET", "/v1/networks/{slug}", PEOPLE),
    Op("PATCH", "/v1/networks/{slug}", MANAGER, lambda w: {"audience": "all"}, {"If-Match": "*"}),
    Op("POST", "/v1/networks/{slug}/owners", MANAGER,
       lambda w: {"member_id": w.ids["strategist_id"]}),
    Op("GET", "/v1/networks/{slug}/owners", PEOPLE),
    Op("GET", "/v1/routing?network={slug}", PEOPLE),
    Op("GET", "/v1/pillars", PEOPLE),
    Op("POST", "/v1/pillars", MANAGER, lambda w: {"quarter": "2026-Q4", "name": _unique(w, "p")}),
    Op("GET", "/v1/pillars/{pillar_id}", PEOPLE),
    Op("PATCH", "/v1/pillars/{pillar_id}", MANAGER, lambda w: {"description": "d"},
       {"If-Match": "*"}),
    Op("DELETE", "/v1/pillars/{pillar_id}", MANAGER, None, {"If-Match": "*"}),
    Op("GET", "/v1/events", STAFF | {"service"}),
    # Requests
    Op("POST", "/v1/requests", PEOPLE, lambda w: _request_body(w)),
    Op("GET", "/v1/requests", PEOPLE),
    Op("GET", "/v1/requests/blocked", STAFF),
    Op("GET", "/v1/requests/overdue-updates", MANAGER),
    Op("GET", "/v1/requests/{request_id}", PEOPLE),
    Op("POST", "/v1/requests/{request_id}/triage", STAFF, lambda w: {"decision": "accept"}),
    Op("POST", "/v1/requests/{request_id}/transitions", PEOPLE, lambda w: {"to": "withdrawn"}),
    Op("GET", "/v1/requests/{request_id}/history", PEOPLE),
    Op("POST", "/v1/requests/{request_id}/updates", STAFF, lambda w: {"note": "n"}),
    Op("GET", "/v1/requests/{request_id}/updates", PEOPLE),
    Op("POST", "/v1/requests/{request_id}/blockers", STAFF,
       lambda w: {"what": "asset", "waiting_on": "design"}),
    Op("GET", "/v1/requests/{request_id}/blockers", PEOPLE),
    Op("POST", "/v1/requests/{request_id}/blockers/1/resolve", STAFF, lambda w: {}),
    # Calendar (the .ics feed itself is public by design: its secret token is the credential)
    Op("POST", "/v1/calendar/entries", STAFF,
       lambda w: {"title": "t", "network": w.ids["own_slug"], "publish_at": _future()}),
    Op("GET", "/v1/calendar/entries", PEOPLE),
    Op("GET", "/v1/calendar/entries/{entry_id}", PEOPLE),
    Op("PATCH", "/v1/calendar/entries/{entry_id}", STAFF, lambda w: {"title": "u"},
       {"If-Match": "*"}),
    Op("DELETE", "/v1/calendar/entries/{entry_id}", STAFF, None, {"If-Match": "*"}),
    Op("POST", "/v1/calendar/import", STAFF, lambda w: {"entries": [
        {"title": "t", "network": w.ids["own_slug"], "publish_at": _future()}]}),
    Op("GET", "/v1/calendar/export?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z", PEOPLE),
    Op("GET", "/v1/calendar/monthly-plan?month=2026-12", PEOPLE),
    Op("POST", "/v1/calendar/feeds", PEOPLE, lambda w: {"name": "f", "scope": "team"}),
    Op("GET", "/v1/calendar/feeds", PEOPLE),
    Op("POST", "/v1/calendar/feeds/{feed_id}/revoke", PEOPLE),
    # Webhooks
    Op("POST", "/v1/webhooks", MANAGER, lambda w: {"url": "http://127.0.0.1:9/hook"}),
    Op("GET", "/v1/webhooks", MANAGER),
    Op("GET", "/v1/webhooks/{webhook_id}", MANAGER),
    Op("PATCH", "/v1/webhooks/{webhook_id}", MANAGER, lambda w: {"is_active": False},
       {"If-Match": "*"}),
    Op("DELETE", "/v1/webhooks/{webhook_id}", MANAGER, None, {"If-Match": "*"}),
    Op("GET", "/v1/webhooks/{webhook_id}/deliveries", MANAGER),
    Op("POST", "/v1/webhooks/{webhook_id}/deliveries/1/replay", MANAGER),
    # Posts and reports
    Op("POST", "/v1/posts/bulk", STAFF | {"service"}, lambda w: {"posts": [{
        "network": w.ids["slug"], "external_id": _unique(w, "x"), "content_type": "video",
        "published_at": "2026-10-02T10:00:00Z"}]}),
    Op("GET", "/v1/posts", PEOPLE | {"service"}),
    Op("GET", "/v1/posts/{post_id}", PEOPLE | {"service"}),
    Op("GET", "/v1/posts/{post_id}/snapshots", PEOPLE | {"service"}),
    Op("POST", "/v1/posts/{post_id}/notes", STAFF, lambda w: {"body": "worked"}),
    Op("GET", "/v1/posts/{post_id}/notes", PEOPLE | {"service"}),
    Op("PUT", "/v1/networks/{slug}/goals/2026-Q4", STAFF, lambda w: {"targets": {"posts": 3}}),
    Op("GET", "/v1/goals?quarter=2026-Q4", PEOPLE | {"service"}),
    Op("PUT", "/v1/networks/{slug}/followers", STAFF | {"service"},
       lambda w: {"counts": [{"day": "2026-10-01", "followers": 10}]}),
    Op("GET", "/v1/reports/performance", PEOPLE | {"service"}),
    Op("GET", "/v1/reports/performance.csv", PEOPLE | {"service"}),
    Op("GET", "/v1/reports/profiles", PEOPLE | {"service"}),
    Op("GET", "/v1/reports/trends", PEOPLE | {"service"}),
    Op("POST", "/v1/reports", STAFF, lambda w: {
        "name": "r", "period_from": "2026-10-01", "period_to": "2026-10-31",
        "sections": [{"kind": "profiles"}]}),
    Op("GET", "/v1/reports", PEOPLE | {"service"}),
    Op("GET", "/v1/reports/{report_id}", PEOPLE | {"service"}),
    Op("PATCH", "/v1/reports/{report_id}", STAFF, lambda w: {"description": "d"},
       {"If-Match": "*"}),
    Op("DELETE", "/v1/reports/{report_id}", STAFF, None, {"If-Match": "*"}),
    Op("GET", "/v1/reports/{report_id}/render", PEOPLE | {"service"}),
    Op("GET", "/v1/reports/{report_id}/export.html", PEOPLE | {"service"}),
    Op("GET", "/v1/reports/{report_id}/export.csv", PEOPLE | {"service"}),
    Op("GET", "/v1/reports/{report_id}/highlights", PEOPLE | {"service"}),
    Op("POST", "/v1/reports/{report_id}/annotations", STAFF,
       lambda w: {"section_key": "s1", "body": "note"}),
    Op("GET", "/v1/reports/{report_id}/annotations", PEOPLE | {"service"}),
    Op("DELETE", "/v1/reports/{report_id}/annotations/{annotation_id}", STAFF),
    Op("POST", "/v1/reports/{report_id}/share-links", STAFF, lambda w: {}),
    Op("GET", "/v1/reports/{report_id}/share-links", STAFF),
    Op("POST", "/v1/reports/{report_id}/share-links/{link_id}/revoke", STAFF),
    # Planning
    Op("POST", "/v1/work-items", STAFF,
       lambda w: {"title": "T", "owner_id": w.ids["strategist_id"], "effort_hours": 1}),
    Op("GET", "/v1/work-items", STAFF),
    Op("GET", "/v1/work-items/{item_id}", STAFF),
    Op("PATCH", "/v1/work-items/{item_id}", STAFF, lambda w: {"title": "T2"}, {"If-Match": "*"}),
    Op("DELETE", "/v1/work-items/{item_id}", STAFF, None, {"If-Match": "*"}),
    Op("POST", "/v1/work-items/{item_id}/chunks", STAFF,
       lambda w: {"chunks": [{"title": "C", "effort_hours": 1, "target_on": "2027-01-08"}]}),
    Op("GET", "/v1/planning/settings", PEOPLE),
    Op("PATCH", "/v1/planning/settings", MANAGER, lambda w: {"low_effort_max_hours": 4},
       {"If-Match": "*"}),
    Op("GET", "/v1/queue", STAFF),
    Op("GET", "/v1/matrix", PEOPLE),
    Op("GET", "/v1/matrix.svg", PEOPLE),
    Op("GET", "/v1/members/{strategist_id}/schedule", STAFF),
    Op("PUT", "/v1/members/{me_id}/schedule", STAFF, lambda w: {"blocks": [
        {"day": "mon", "start": "09:00", "end": "17:00", "kind": "regular"}]}),
    Op("POST", "/v1/members/{me_id}/disruptions", STAFF,
       lambda w: {"started_at": "2027-01-04T10:00:00Z", "hours": 1}),
    Op("GET", "/v1/members/{strategist_id}/plan", STAFF),
    Op("GET", "/v1/members/{strategist_id}/capacity", STAFF),
    Op("GET", "/v1/members/{strategist_id}/what-can-i-take-off-my-plate", STAFF),
    Op("POST", "/v1/members/{strategist_id}/what-can-i-take-off-my-plate/apply", MANAGER,
       lambda w: {"token": "stale"}),
    Op("GET", "/v1/members/{strategist_id}/earliest-slot?effort_hours=1", PEOPLE),
    # Experiments
    Op("POST", "/v1/experiments", STAFF,
       lambda w: {"name": "e", "baseline_rate": 0.03, "mde": 0.01,
                  "arms": [{"key": "a", "name": "A", "role": "team"},
                           {"key": "b", "name": "B", "role": "stakeholder"}]}),
    Op("GET", "/v1/experiments?due=true", PEOPLE | {"service"}),
    Op("GET", "/v1/experiments/{experiment_id}", PEOPLE | {"service"}),
    Op("POST", "/v1/experiments/{experiment_id}/start", STAFF),
    Op("POST", "/v1/experiments/{experiment_id}/stop", STAFF),
    Op("POST", "/v1/experiments/{experiment_id}/observations", STAFF | {"service"},
       lambda w: {"observations": [{"arm": "a", "post_id": "p", "impressions": 3}]}),
    Op("GET", "/v1/experiments/{experiment_id}/aggregates", PEOPLE | {"service"}),
    Op("POST", "/v1/experiments/{experiment_id}/verdicts", {"service"}, lambda w: {}),
    Op("GET", "/v1/experiments/{experiment_id}/verdicts", PEOPLE | {"service"}),
]


def _future() -> str:
    return (datetime.now(UTC) + timedelta(days=10)).isoformat()


def _request_body(world: World) -> dict[str, Any]:
    return {"title": "Webinar", "description": "d", "goal": "awareness", "audience": "all",
            "networks": [world.ids["own_slug"]], "desired_publish_at": _future(),
            "department": "Marketing"}

# The scope a service key needs for an operation it is allowed; others get no scope at all.
SERVICE_SCOPES = {
    "GET /v1/events": ["events:read"],
    "GET /v1/experiments": ["experiments:read"],
    "GET /v1/experiments/{experiment_id}": ["experiments:read"],
    "GET /v1/experiments/{experiment_id}/aggregates": ["experiments:read"],
    "GET /v1/experiments/{experiment_id}/verdicts": ["experiments:read"],
    "POST /v1/experiments/{experiment_id}/observations": ["observations:write"],
    "POST /v1/experiments/{experiment_id}/verdicts": ["verdicts:write"],
    "POST /v1/posts/bulk": ["metrics:write"],
    "PUT /v1/networks/{slug}/followers": ["metrics:write"],
}
READERS = ("/v1/posts", "/v1/goals", "/v1/reports")


def build_world(api: Api) -> World:
    world = World(api)
    strategist = api.make_member(role="strategist")
    network = api.make_network(owner_id=strategist["id"])
    world.ids.update(
        member_id=api.make_member(role="stakeholder")["id"],
        strategist_id=api.make_member(role="strategist")["id"],
        slug=network["slug"],
        pillar_id=api.make_pillar()["id"],
        key_id=api.ok(api.client.post("/v1/api-keys", headers=api.manager, json={
            "name": "victim", "role": "service", "scopes": ["events:read"]}), 201)["id"],
    )
    stakeholder, own_strategist = (api.make_member(role=r) for r in ("stakeholder",
                                                                      "strategist"))
    world.ids["people"] = {"stakeholder": api.key_for(stakeholder),
                           "strategist": api.key_for(own_strategist)}
    # Things the people keys own, so that an allowed role gets past ownership checks.
    own = api.make_network(owner_id=own_strategist["id"])
    world.ids["own_slug"] = own["slug"]
    world.ids["request_id"] = api.ok(api.client.post(
        "/v1/requests", json=_request_body(world), headers=world.ids["people"]["stakeholder"]),
        201)["id"]
    # On the stakeholder's own request (routed to the strategist), so both may read it.
    world.ids["experiment_id"] = api.make_experiment(request_id=world.ids["request_id"], arms=[
        {"key": "a", "name": "A", "role": "team"},
        {"key": "b", "name": "B", "role": "stakeholder"}])["id"]
    world.ids["entry_id"] = api.ok(api.client.post("/v1/calendar/entries", json={
        "title": "t", "network": own["slug"], "publish_at": _future()},
        headers=world.ids["people"]["strategist"]), 201)["id"]
    world.ids["feed_id"] = api.ok(api.client.post("/v1/calendar/feeds", json={
        "name": "f", "scope": "team"}, headers=world.ids["people"]["stakeholder"]), 201)["id"]
    world.ids["webhook_id"] = api.ok(api.client.post("/v1/webhooks", json={
        "url": "http://127.0.0.1:9/hook"}, headers=api.manager), 201)["id"]
    api.ok(api.client.post("/v1/posts/bulk", headers=api.manager, json={"posts": [{
        "network": network["slug"], "external_id": "p1", "content_type": "video",
        "published_at": "2026-10-02T10:00:00Z"}]}))
    world.ids["post_id"] = api.ok(api.client.get("/v1/posts", headers=api.manager))[
        "items"][0]["id"]
    report = api.ok(api.client.post("/v1/reports", headers=api.manager, json={
        "name": "r", "period_from": "2026-10-01", "period_to": "2026-10-31",
        "sections": [{"kind": "profiles"}]}), 201)
    world.ids["report_id"] = report["id"]
    world.ids["annotation_id"] = api.ok(api.client.post(
        f"/v1/reports/{report['id']}/annotations", headers=api.manager,
        json={"section_key": "s1", "body": "n"}), 201)["id"]
    world.ids["link_id"] = api.ok(api.client.post(
        f"/v1/reports/{report['id']}/share-links", headers=api.manager, json={}), 201)["id"]
    world.ids["me_id"] = own_strategist["id"]  # the strategist key's member: self-service
    world.ids["item_id"] = api.ok(api.client.post("/v1/work-items", headers=api.manager, json={
        "title": "Item", "owner_id": world.ids["strategist_id"], "effort_hours": 2}), 201)["id"]
    return world


def headers_for(world: World, role: str | None, op: Op) -> dict[str, str]:
    if role is None:
        return {}
    if role == "manager":
        return world.api.manager
    if role == "service":
        scopes = SERVICE_SCOPES.get(str(op).split("?")[0], [])
        if not scopes and op.method == "GET" and op.path.startswith(READERS):
            scopes = ["reports:read"]
        return auth(make_key(world.api.db_url, "service", scopes=scopes or ["events:read"]))
    return dict(world.ids["people"][role])


@pytest.mark.parametrize("op", OPS, ids=str)
def test_role_matrix(api: Api, op: Op) -> None:
    world = build_world(api)
    path = op.path.format(**world.ids)
    for role in (None, *ROLES):
        body = op.body(world) if op.body else None
        r = api.client.request(op.method, path, json=body,
                               headers={**headers_for(world, role, op), **op.headers})
        if role is None:
            expected = "401"
            ok = r.status_code == 401
        elif role in op.allowed:
            expected = "allowed"
            ok = r.status_code not in (401, 403) and r.status_code < 500
        else:
            expected = "403"
            ok = r.status_code == 403
        assert ok, f"{op} as {role}: expected {expected}, got {r.status_code} {r.text}"
