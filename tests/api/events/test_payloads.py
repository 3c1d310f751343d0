"""What the service really puts in each event's `data` is what the OpenAPI document says:
drive the operations through the HTTP API (every writing operation of the role matrix, once),
read the events back from the feed, validate each against its documented schema."""

from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema

from services.api.events.payloads import EVENT_DATA
from tests.api.experiments.test_router import EVALUATOR, verdict_body
from tests.api.test_role_matrix import OPS, Op, build_world, headers_for
from tests.factories import Api

# Raised by the plate's apply: checked in tests/api/planning/test_plate_http.py.
PLATE_EVENTS = {"work_item.deferred", "work_item.handed_over", "work_item.declined",
                "request.rescheduled", "request.handed_over", "request.declined_by_plan"}

# What the role-matrix operations emit; the test fails if any stops being checked.
COVERED = {
    "api_key.created", "api_key.revoked", "calendar.imported", "calendar_entry.created",
    "calendar_entry.updated", "calendar_entry.deleted", "calendar_feed.created",
    "calendar_feed.revoked", "disruption.logged", "experiment.created", "experiment.started",
    "experiment.stopped", "experiment.observations", "followers.recorded", "goals.set",
    "member.created", "member.updated", "metrics.upserted", "network.created",
    "network.updated", "network.owner_changed", "pillar.created", "pillar.updated",
    "pillar.deleted", "planning.thresholds_changed", "post.note_added", "report.created",
    "report.updated", "report.deleted", "report.annotated", "report.annotation_deleted",
    "report.shared", "report.share_revoked", "request.submitted", "request.triaged",
    "request.status_changed", "request.updated", "request.blocked", "request.unblocked",
    "schedule.changed", "webhook.created", "webhook.updated", "webhook.deleted",
    "work_item.created", "work_item.updated", "work_item.deleted", "work_item.split",
    "work_item.closed", "experiment.verdict", "request.verdict",
}


def _role(op: Any) -> str:
    return next(r for r in ("manager", "service", "strategist", "stakeholder") if r in op.allowed)


def _all_events(api: Api) -> list[dict[str, Any]]:
    reader = api.service_key("events:read")
    found: list[dict[str, Any]] = []
    after = "0"
    while True:
        page = api.ok(api.client.get("/v1/events", params={"after": after, "limit": 100},
                                     headers=reader))
        if not page["items"]:
            return found
        found += page["items"]
        after = page["next"]


def _last(op: Op) -> tuple[bool, int]:
    # Operations that end what the others act on (deletes, withdrawing the request, stopping
    # the experiment) run after them, a sub-resource's before its parent's.
    ends = op.method == "DELETE" or op.path.endswith(("/transitions", "/stop"))
    return ends, -op.path.count("/") if ends else 0


def _experiment_with_a_verdict(api: Api) -> None:
    """A draft experiment on a request, started, observed and given a verdict."""
    request_id = api.make_request()["id"]
    exp = api.make_experiment(request_id=request_id, start=False)
    api.ok(api.client.post(f"/v1/experiments/{exp['id']}/start", headers=api.manager))
    api.observe(exp["id"], [{"arm": "video", "post_id": "p", "impressions": 10}])
    exp = api.ok(api.client.get(f"/v1/experiments/{exp['id']}", headers=api.manager))
    api.ok(api.client.post(f"/v1/experiments/{exp['id']}/verdicts", json=verdict_body(exp),
                           headers=api.service_key(*EVALUATOR)), 201)


def test_emitted_event_data_matches_the_documented_schemas(api: Api) -> None:
    world = build_world(api)
    for op in sorted((op for op in OPS if op.method != "GET"), key=_last):
        headers = {**headers_for(world, _role(op), op), **op.headers}
        r = api.client.request(op.method, op.path.format(**world.ids),
                               json=op.body(world) if op.body else None, headers=headers)
        assert r.status_code < 500, f"{op}: {r.status_code} {r.text}"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    api.ok(api.client.post(f"/v1/networks/{world.ids['slug']}/owners", headers=api.manager,
                           json={"member_id": world.ids["strategist_id"],
                                 "starts_on": tomorrow}), 201)
    _experiment_with_a_verdict(api)
    seen = assert_documented(api, _all_events(api))
    assert not COVERED - seen, sorted(COVERED - seen)


def assert_documented(api: Api, events: list[dict[str, Any]]) -> set[str]:
    """Each event's `data` is valid against its schema in the served document; the types seen."""
    spec = api.ok(api.client.get("/openapi.json"))
    seen: set[str] = set()
    for event in events:
        name = EVENT_DATA[event["type"]]
        schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
        errors = [e.message for e in
                  jsonschema.Draft202012Validator(schema).iter_errors(event["data"])]
        assert not errors, f"{event['type']} data {event['data']} is not {name}: {errors}"
        seen.add(event["type"])
    return seen
