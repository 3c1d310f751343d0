"""An explicit null in a PATCH body, over HTTP: on a field whose column cannot be null it is a
422 naming the field, and nothing is written (a list field set to null used to be saved, and
every later read of the resource was a 500); a field that may be cleared still takes null."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.team.test_router import assert_problem
from tests.factories import Api


def _member(api: Api) -> str:
    return f"/v1/members/{api.make_member(department='Social')['id']}"


def _network(api: Api) -> str:
    return f"/v1/networks/{api.make_network()['slug']}"


def _pillar(api: Api) -> str:
    network = api.make_network()
    pillar = api.make_pillar(description="d", networks=[network["slug"]], audiences=["a"])
    return f"/v1/pillars/{pillar['id']}"


def _webhook(api: Api) -> str:
    hook = api.ok(api.client.post("/v1/webhooks", headers=api.manager, json={
        "url": "http://127.0.0.1:9/hook", "description": "d", "event_types": ["member.*"]}), 201)
    return f"/v1/webhooks/{hook['id']}"


def _report(api: Api) -> str:
    network = api.make_network()
    report = api.ok(api.client.post("/v1/reports", headers=api.manager, json={
        "name": "r", "description": "d", "period_from": "2026-10-01",
        "period_to": "2026-10-31", "networks": [network["slug"]],
        "sections": [{"kind": "profiles"}]}), 201)
    return f"/v1/reports/{report['id']}"


def _entry(api: Api) -> str:
    owner = api.make_member(role="strategist")
    network = api.make_network(owner_id=owner["id"])
    when = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    entry = api.ok(api.client.post("/v1/calendar/entries", headers=api.manager, json={
        "title": "t", "network": network["slug"], "publish_at": when, "campaign": "c",
        "ownership_note": "n", "tags": ["video"]}), 201)
    return f"/v1/calendar/entries/{entry['id']}"


def _work_item(api: Api) -> str:
    owner = api.make_member(role="strategist")
    item = api.ok(api.client.post("/v1/work-items", headers=api.manager, json={
        "title": "t", "owner_id": owner["id"], "effort_hours": 2, "impact": 4}), 201)
    return f"/v1/work-items/{item['id']}"


def _settings(api: Api) -> str:
    return "/v1/planning/settings"


MAKERS: dict[str, Callable[[Api], str]] = {
    "member": _member, "network": _network, "pillar": _pillar, "webhook": _webhook,
    "report": _report, "entry": _entry, "work_item": _work_item, "settings": _settings}

# Every field whose column cannot be null, per resource.
NOT_NULL = {
    "member": ["name", "email", "role", "time_zone", "weekly_capacity_hours", "is_active"],
    "network": ["name", "purpose", "audience"],
    "pillar": ["name", "description", "networks", "audiences"],
    "webhook": ["url", "description", "event_types", "is_active"],
    "report": ["name", "description", "period_from", "period_to", "networks", "sections"],
    "entry": ["title", "network", "publish_at", "status", "tags"],
    "work_item": ["title", "owner_id", "effort_hours", "pillar_fit", "status", "is_fixed"],
    "settings": ["high_impact_min", "medium_impact_min", "low_effort_max_hours"],
}


def _read(api: Api, url: str) -> tuple[str, Any]:
    r = api.client.get(url, headers=api.manager)
    body = api.ok(r)
    return r.headers["ETag"], body


def _assert_refused(api: Api, url: str, patch: dict[str, Any]) -> None:
    before = _read(api, url)
    r = api.client.patch(url, headers={**api.manager, "If-Match": before[0]}, json=patch)
    body = assert_problem(r, 422)
    assert sorted(e["field"] for e in body["errors"]) == sorted(f"body.{f}" for f in patch)
    assert {e["type"] for e in body["errors"]} == {"null_not_allowed"}
    assert _read(api, url) == before  # same ETag, same body: nothing written
    if url != "/v1/planning/settings":  # the lists holding it still read
        api.ok(api.client.get(url.rsplit("/", 1)[0], headers=api.manager))


@pytest.mark.parametrize(("kind", "field"),
                         [(k, f) for k, fields in NOT_NULL.items() for f in fields])
def test_null_on_a_field_that_cannot_be_null_is_a_422_and_writes_nothing(
        api: Api, kind: str, field: str) -> None:
    _assert_refused(api, MAKERS[kind](api), {field: None})


@pytest.mark.parametrize("kind", list(NOT_NULL))
def test_every_null_field_is_named(api: Api, kind: str) -> None:
    _assert_refused(api, MAKERS[kind](api), dict.fromkeys(NOT_NULL[kind]))


@pytest.mark.parametrize(("kind", "field", "cleared"), [
    ("member", "department", None),
    ("entry", "campaign", None),
    ("entry", "ownership_note", None),
    ("entry", "owner_id", "owner"),  # null: back to the network's owner that day
    ("work_item", "impact", "derived"),  # null: derived again from pillar fit and goal
])
def test_a_nullable_field_can_still_be_cleared(api: Api, kind: str, field: str,
                                               cleared: str | None) -> None:
    url = MAKERS[kind](api)
    etag, before = _read(api, url)
    body = api.ok(api.client.patch(url, headers={**api.manager, "If-Match": etag},
                                   json={field: None}))
    if cleared is None:
        assert before[field] is not None and body[field] is None
    elif cleared == "owner":
        assert body[field] == before[field]
    else:
        assert body["impact_is_derived"] is True
    assert _read(api, url)[1] == body
