"""Every operation, every role: 401 without a key, 403 for a role that may not, and anything
else (success or a domain answer) for a role that may. Features add their operations to OPS."""

from collections.abc import Callable
from dataclasses import dataclass, field
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

# The scope a service key needs for an operation it is allowed; others get no scope at all.
SERVICE_SCOPES = {
    "GET /v1/events": ["events:read"],
    "GET /v1/experiments": ["experiments:read"],
    "GET /v1/experiments/{experiment_id}": ["experiments:read"],
    "GET /v1/experiments/{experiment_id}/aggregates": ["experiments:read"],
    "GET /v1/experiments/{experiment_id}/verdicts": ["experiments:read"],
    "POST /v1/experiments/{experiment_id}/observations": ["observations:write"],
    "POST /v1/experiments/{experiment_id}/verdicts": ["verdicts:write"],
}


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
        experiment_id=api.make_experiment(arms=[
            {"key": "a", "name": "A", "role": "team"},
            {"key": "b", "name": "B", "role": "stakeholder"}])["id"],
    )
    world.ids["people"] = {
        role: api.key_for(api.make_member(role=role)) for role in ("stakeholder", "strategist")
    }
    return world


def headers_for(world: World, role: str | None, op: Op) -> dict[str, str]:
    if role is None:
        return {}
    if role == "manager":
        return world.api.manager
    if role == "service":
        scopes = SERVICE_SCOPES.get(f"{op.method} {op.path.split('?')[0]}", [])
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
