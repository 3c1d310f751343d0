"""The article's story, end to end over real HTTP: the API runs as its own process (the
`priorities` CLI), a stakeholder's webinar request is redirected, a second one goes from
accepted (a work item on the owner's queue) to done through the calendar and a blocker, a
flood of accepted requests is cleared off the strategist's plate with each stakeholder told on
their request, and a real webhook receiver checks every signed event. The README shows the
same story with curl."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from tests.api.events.test_webhooks import verify
from tests.e2e.procs import api_process, cli
from tests.receiver import receiver


@pytest.fixture
def server(db_url: str) -> Iterator[tuple[str, dict[str, str]]]:
    with api_process(db_url, seed_demo=True,
                     settings={"WEBHOOK_POLL_SECONDS": "0.1"}) as api:
        yield api.url, api.env


def test_the_webinar_story_runs_end_to_end(server: tuple[str, dict[str, str]]) -> None:
    base, env = server

    def key(role: str, email: str | None = None) -> dict[str, str]:
        args = ["create-key", "--role", role, "--name", email or role]
        if email:
            args += ["--member-email", email]
        return {"Authorization": f"Bearer {cli(env, *args)}"}

    manager = key("manager")
    priya = key("stakeholder", "priya.shah@example.com")
    olivia = key("strategist", "olivia.martin@example.com")
    client = httpx2.Client(base_url=base, timeout=10)

    def ok(r: Any, status: int = 200) -> Any:
        assert r.status_code == status, r.text
        return r.json()

    publish = (datetime.now(UTC) + timedelta(days=10)).replace(hour=15, minute=0, second=0,
                                                               microsecond=0)
    with receiver() as hook_server:
        hook = ok(client.post("/v1/webhooks", headers=manager, json={
            "url": hook_server.url, "description": "story receiver"}), 201)

        # A stakeholder asks to promote a webinar on Instagram.
        webinar = ok(client.post("/v1/requests", headers=priya, json={
            "title": "Promote the social listening webinar",
            "description": "A live webinar on social listening.", "goal": "awareness",
            "audience": "Marketing leaders at B2B companies", "networks": ["instagram"],
            "desired_publish_at": publish.isoformat(), "department": "Product Marketing",
            "assets": [{"kind": "copy", "link": "https://docs.example.com/webinar-brief"}]}), 201)
        assert webinar["owner"]["name"] == "Olivia Martin"
        assert webinar["needs_strategy_review"] is True

        # The awareness strategist redirects it to LinkedIn, with a rationale and an estimate.
        redirected = ok(client.post(f"/v1/requests/{webinar['id']}/triage", headers=olivia,
                                    json={"decision": "redirect",
                                          "rationale": "Instagram reaches creators; marketing "
                                                       "leaders are on LinkedIn.",
                                          "alternative": {"kind": "network",
                                                          "network": "linkedin"},
                                          "would_help": ["more_time"], "effort_hours": 3}))
        assert redirected["owner"]["name"] == "Jonathan Zuluaga"
        olivia_id = webinar["owner"]["id"]
        read = ok(client.get(f"/v1/requests/{webinar['id']}", headers=priya))
        assert read["triage"]["decision"] == "redirect"
        assert read["triage"]["effort_hours"] == 3 and read["triage"]["earliest_start_at"]

        # A second request is accepted, planned, blocked, unblocked, published and done.
        launch = ok(client.post("/v1/requests", headers=priya, json={
            "title": "TikTok launch teaser", "description": "Teaser for the launch.",
            "goal": "awareness", "audience": "Gen Z and young professionals",
            "networks": ["tiktok"], "desired_publish_at": publish.isoformat(),
            "department": "Product Marketing"}), 201)
        rid = launch["id"]
        ok(client.post(f"/v1/requests/{rid}/triage", headers=olivia,
                       json={"decision": "accept", "effort_hours": 2}))
        entry = ok(client.post("/v1/calendar/entries", headers=olivia, json={
            "title": "TikTok launch teaser", "network": "tiktok",
            "publish_at": publish.isoformat(), "request_id": rid, "campaign": "TikTok launch",
            "ownership_note": "This is an initiative I own"}), 201)
        assert ok(client.get(f"/v1/requests/{rid}", headers=priya))["status"] == "planned"
        ok(client.post(f"/v1/requests/{rid}/transitions", headers=olivia,
                       json={"to": "in_progress"}))
        blocker = ok(client.post(f"/v1/requests/{rid}/blockers", headers=olivia, json={
            "what": "Waiting for the creative asset", "waiting_on": "Design team"}), 201)
        blocked = ok(client.get("/v1/requests/blocked", headers=manager))["items"]
        assert [b["request_id"] for b in blocked] == [rid]
        ok(client.post(f"/v1/requests/{rid}/blockers/{blocker['id']}/resolve", headers=olivia,
                       json={"resolution": "Asset delivered"}))
        ok(client.patch(f"/v1/calendar/entries/{entry['id']}",
                        headers={**olivia, "If-Match": '"v1"'}, json={"status": "published"}))
        ok(client.post(f"/v1/requests/{rid}/transitions", headers=olivia,
                       json={"to": "published"}))
        done = ok(client.post(f"/v1/requests/{rid}/transitions", headers=olivia,
                              json={"to": "done"}))
        assert done["status"] == "done"
        moves = [(h["from_status"], h["to_status"]) for h in ok(client.get(
            f"/v1/requests/{rid}/history", headers=priya))["items"]]
        assert moves == [(None, "submitted"), ("submitted", "triaged"),
                         ("triaged", "planned"), ("planned", "in_progress"),
                         ("in_progress", "blocked"), ("blocked", "in_progress"),
                         ("in_progress", "published"), ("published", "done")]

        # Accepted work went to Olivia's queue as a work item, through the triage; the
        # request is done, so its work is done and off her queue.
        items = ok(client.get("/v1/work-items?limit=100", headers=olivia))["items"]
        assert [i["status"] for i in items if i["request_id"] == rid] == ["done"]
        queue = ok(client.get(f"/v1/queue?owner_id={olivia_id}&limit=100",
                              headers=olivia))["items"]
        assert rid not in {e["item"]["request_id"] for e in queue}

        # Then a flood: six accepted requests due in two days. Olivia asks what can come off
        # her plate; the manager applies it, and each moved request's stakeholder is told.
        due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        flood = []
        for n in range(6):
            asked = ok(client.post("/v1/requests", headers=priya, json={
                "title": f"Flash post {n}", "description": "Urgent.", "goal": "awareness",
                "audience": "Gen Z and young professionals", "networks": ["tiktok"],
                "deadline_at": due, "department": "Sales"}), 201)
            ok(client.post(f"/v1/requests/{asked['id']}/triage", headers=olivia,
                           json={"decision": "accept", "effort_hours": 6}))
            flood.append(asked["id"])
        plate_url = f"/v1/members/{olivia_id}/what-can-i-take-off-my-plate"
        proposal = ok(client.get(plate_url, headers=olivia))
        assert proposal["feasible_before"] is False and proposal["actions"]
        ok(client.post(f"{plate_url}/apply", headers=manager,
                       json={"token": proposal["token"], "days": 7}))
        kinds = {"defer": "request.rescheduled", "hand_over": "request.handed_over",
                 "decline": "request.declined_by_plan"}
        told = {(e["type"], int(e["subject_id"])) for e in ok(client.get(
            "/v1/events?limit=200&" + "&".join(f"type={k}" for k in kinds.values()),
            headers=manager))["items"]}
        moved = {(kinds[a["action"]], a["request_id"]) for a in proposal["actions"]
                 if a["request_id"] in flood}
        assert moved and moved <= told

        # The webhook receiver saw every step, signed: every event after its registration.
        feed = ok(client.get("/v1/events?limit=200", headers=manager))["items"]
        floor = next(e["id"] for e in feed if e["type"] == "webhook.created")
        expected = {e["id"] for e in feed if e["id"] > floor}
        got = hook_server.wait_for(
            lambda r: len(r) >= len(expected), timeout=20)
        bodies = sorted((verify(hook["secret"], d) for d in got), key=lambda b: b["id"])
        assert [b["id"] for b in bodies] == sorted(expected)
        types = [b["type"] for b in bodies]
        for step in ("request.submitted", "request.triaged", "work_item.created",
                     "calendar_entry.created",
                     "request.status_changed", "request.blocked", "request.unblocked",
                     "calendar_entry.updated"):
            assert step in types, (step, types)

    # The monthly plan counts it.
    plan = ok(client.get(f"/v1/calendar/monthly-plan?month={publish:%Y-%m}", headers=priya))
    launch_line = next(c for c in plan["by_campaign"] if c["key"] == "TikTok launch")
    assert launch_line["summary"] == "1 of 1 TikTok launch produced"
    assert launch_line["published"] == 1
    client.close()

