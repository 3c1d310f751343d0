"""HTTP behaviour of the content calendar: entries, double-booking, range queries, iCalendar
feeds (parsed with two libraries), bulk import and export, and the monthly plan."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import vobject

from tests.api.intake.helpers import Team, build_team, future
from tests.api.team.test_router import assert_problem, count_events
from tests.factories import Api


def entry(team: Team, who: str = "olivia", **overrides: Any) -> Any:
    body = {"title": "TikTok launch video", "network": "tiktok",
            "publish_at": future().isoformat(), "campaign": "TikTok launch"} | overrides
    return team.api.client.post("/v1/calendar/entries", headers=team.keys[who], json=body)


def made(team: Team, who: str = "olivia", **overrides: Any) -> dict[str, Any]:
    return team.api.ok(entry(team, who, **overrides), 201)  # type: ignore[no-any-return]


def feed_url(team: Team, who: str = "priya", **body: Any) -> str:
    created = team.api.ok(team.api.client.post("/v1/calendar/feeds", headers=team.keys[who],
                                               json={"name": "my app"} | body), 201)
    return created["url"].split("8000", 1)[1]  # type: ignore[no-any-return]


def entry_count(api: Api) -> int:
    return len(api.ok(api.client.get("/v1/calendar/entries?limit=200",
                                     headers=api.manager))["items"])


def test_entry_defaults_to_the_network_owner_with_etag(api: Api) -> None:
    team = build_team(api)
    r = entry(team, ownership_note="This is an initiative I own", tags=["video"])
    body = api.ok(r, 201)
    assert body["owner_id"] == team.olivia["id"] and body["status"] == "planned"
    assert body["ownership_note"] == "This is an initiative I own"
    assert r.headers["etag"] == '"v1"' and body["warnings"] == []


def test_a_strategist_cannot_write_another_owners_entry_nor_a_stakeholder_any(api: Api) -> None:
    team = build_team(api)
    before = count_events(api)
    assert_problem(entry(team, "jonathan"), 403)
    assert_problem(entry(team, "priya"), 403)
    assert entry_count(api) == 0 and count_events(api) == before
    mine = made(team)
    assert_problem(api.client.patch(f"/v1/calendar/entries/{mine['id']}", json={"title": "x"},
                                    headers={**team.keys["jonathan"], "If-Match": '"v1"'}), 403)


def test_bad_entries_are_rejected(api: Api) -> None:
    team = build_team(api)
    assert_problem(entry(team, network="myspace"), 422)
    assert_problem(entry(team, publish_at="2026-12-01T10:00:00"), 422, field="body.publish_at")
    assert_problem(entry(team, owner_id=team.priya["id"]), 422)
    assert_problem(entry(team, request_id=999), 422)
    assert entry_count(api) == 0


def test_double_booking_within_the_window_is_warned_not_refused(api: Api) -> None:
    team = build_team(api)
    first = made(team, publish_at=future(hour=15).isoformat())
    close = made(team, publish_at=(future(hour=15) + timedelta(minutes=45)).isoformat())
    far = made(team, publish_at=future(hour=20).isoformat())
    assert close["warnings"] == [f"tiktok is double-booked: entry {first['id']} publishes "
                                 "45 min apart (window 120 min)"]
    assert far["warnings"] == []


def test_range_queries_by_network_owner_and_campaign_are_paged(api: Api) -> None:
    team = build_team(api)
    days = [made(team, publish_at=future(days=d).isoformat())["id"] for d in (3, 1, 2)]
    made(team, network="instagram", campaign="Other", publish_at=future(days=2).isoformat())
    jon = made(team, "jonathan", network="linkedin", publish_at=future(days=2).isoformat(),
               campaign="Webinar")
    base = "/v1/calendar/entries?network=tiktok&limit=2"
    page = api.ok(api.client.get(base, headers=team.keys["priya"]))
    assert [e["id"] for e in page["items"]] == [days[1], days[2]]
    rest = api.ok(api.client.get(base + f"&cursor={page['next']}", headers=team.keys["priya"]))
    assert [e["id"] for e in rest["items"]] == [days[0]] and rest["next"] is None
    by_owner = api.ok(api.client.get(f"/v1/calendar/entries?owner_id={team.jonathan['id']}",
                                     headers=team.keys["priya"]))
    assert [e["id"] for e in by_owner["items"]] == [jon["id"]]
    start = future(days=1, hour=23).isoformat().replace("+00:00", "Z")
    end = future(days=2, hour=23).isoformat().replace("+00:00", "Z")
    in_range = api.ok(api.client.get(
        "/v1/calendar/entries", params={"from": start, "to": end, "campaign": "TikTok launch"},
        headers=team.keys["priya"]))
    assert [e["id"] for e in in_range["items"]] == [days[2]]
    assert_problem(api.client.get("/v1/calendar/entries", params={"from": end, "to": start},
                                  headers=api.manager), 422)


def parse_both(text: str) -> tuple[Any, Any]:
    return icalendar.Calendar.from_ical(text), vobject.readOne(text)


def test_network_feed_is_valid_icalendar_with_stable_uids_and_updates(api: Api) -> None:
    team = build_team(api)
    video = made(team, publish_at=future(days=3, hour=15).isoformat())
    made(team, network="instagram", title="Not in the TikTok feed")
    url = feed_url(team, scope="network", network="tiktok")
    r = api.client.get(url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal, vcal = parse_both(r.text)
    [event] = cal.walk("VEVENT")
    uid = str(event["UID"])
    assert int(event["SEQUENCE"]) == 0 and str(event["STATUS"]) == "TENTATIVE"
    assert event.decoded("DTSTART") == datetime.fromisoformat(video["publish_at"])
    assert [str(v.uid.value) for v in vcal.vevent_list] == [uid]
    api.ok(api.client.patch(f"/v1/calendar/entries/{video['id']}",
                            headers={**team.keys["olivia"], "If-Match": '"v1"'},
                            json={"status": "produced", "title": "Launch video, final cut"}))
    cal, vcal = parse_both(api.client.get(url).text)
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 1
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "final cut" in str(vcal.vevent.summary.value)
    assert vcal.vevent.last_modified.value.astimezone(UTC) >= event.decoded("CREATED")


def test_owner_and_team_feeds_hold_the_right_entries(api: Api) -> None:
    team = build_team(api)
    made(team)
    made(team, "jonathan", network="linkedin", title="Webinar post")
    owner = icalendar.Calendar.from_ical(api.client.get(
        feed_url(team, scope="owner", owner_id=team.jonathan["id"])).text)
    assert [str(e["SUMMARY"]) for e in owner.walk("VEVENT")] == ["Webinar post (Linkedin)"]
    whole = vobject.readOne(api.client.get(feed_url(team, scope="team")).text)
    assert len(whole.vevent_list) == 2


def test_a_revoked_feed_token_is_404(api: Api) -> None:
    team = build_team(api)
    made(team)
    created = api.ok(api.client.post("/v1/calendar/feeds", headers=team.keys["priya"],
                                     json={"name": "phone", "scope": "team"}), 201)
    url = created["url"].split("8000", 1)[1]
    assert api.client.get(url).status_code == 200
    assert_problem(api.client.post(f"/v1/calendar/feeds/{created['id']}/revoke",
                                   headers=team.keys["sam"]), 404)
    api.ok(api.client.post(f"/v1/calendar/feeds/{created['id']}/revoke",
                           headers=team.keys["priya"]))
    assert_problem(api.client.get(url), 404)
    assert_problem(api.client.get("/v1/calendar/feeds/cal_guessed.ics"), 404)
    listed = api.ok(api.client.get("/v1/calendar/feeds", headers=team.keys["priya"]))["items"]
    assert listed[0]["revoked_at"] is not None and "url" not in listed[0]


def test_a_feed_belongs_to_the_person_not_the_key_that_created_it(api: Api) -> None:
    team = build_team(api)
    created = api.ok(api.client.post("/v1/calendar/feeds", headers=team.keys["priya"],
                                     json={"name": "phone", "scope": "team"}), 201)
    assert created["holder_id"] == team.priya["id"]
    replacement = api.key_for(team.priya)  # Priya lost her first key and made another

    listed = api.ok(api.client.get("/v1/calendar/feeds", headers=replacement))["items"]
    assert [f["id"] for f in listed] == [created["id"]]
    assert api.ok(api.client.get("/v1/calendar/feeds", headers=team.keys["sam"]))["items"] == []
    assert_problem(api.client.post(f"/v1/calendar/feeds/{created['id']}/revoke",
                                   headers=team.keys["sam"]), 404)
    assert_problem(api.client.post(f"/v1/calendar/feeds/{created['id']}/revoke",
                                   headers=team.keys["olivia"]), 404)
    revoked = api.ok(api.client.post(f"/v1/calendar/feeds/{created['id']}/revoke",
                                     headers=replacement))
    assert revoked["revoked_at"] is not None
    assert_problem(api.client.get(created["url"].split("8000", 1)[1]), 404)


def test_the_manager_lists_and_revokes_anyones_feed(api: Api) -> None:
    team = build_team(api)
    created = api.ok(api.client.post("/v1/calendar/feeds", headers=team.keys["sam"],
                                     json={"name": "laptop", "scope": "team"}), 201)

    listed = api.ok(api.client.get("/v1/calendar/feeds", headers=api.manager))["items"]
    assert [(f["id"], f["holder_id"]) for f in listed] == [(created["id"], team.sam["id"])]
    api.ok(api.client.post(f"/v1/calendar/feeds/{created['id']}/revoke", headers=api.manager))
    assert_problem(api.client.get(created["url"].split("8000", 1)[1]), 404)


def test_feed_scope_must_name_what_it_shows(api: Api) -> None:
    team = build_team(api)
    for body in ({"scope": "network"}, {"scope": "owner"},
                 {"scope": "team", "network": "tiktok"}, {"scope": "network", "network": "x1"}):
        assert_problem(api.client.post("/v1/calendar/feeds", headers=team.keys["priya"],
                                       json={"name": "n"} | body), 422)


CSV_OK = """title,network,publish_at,status,campaign,tags
Launch video 1,tiktok,{d1},planned,TikTok launch,video;launch
Launch video 2,tiktok,{d2},produced,TikTok launch,video
"""


def month_days() -> tuple[str, datetime, datetime]:
    start = (datetime.now(UTC).replace(day=1) + timedelta(days=40)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0)
    return start.strftime("%Y-%m"), start + timedelta(days=2, hours=15), \
        start + timedelta(days=9, hours=15)


def test_csv_import_creates_every_row(api: Api) -> None:
    team = build_team(api)
    month, d1, d2 = month_days()
    r = api.client.post(f"/v1/calendar/import?month={month}",
                        content=CSV_OK.format(d1=d1.isoformat(), d2=d2.isoformat()),
                        headers={**team.keys["olivia"], "Content-Type": "text/csv"})
    body = api.ok(r, 201)
    assert body["created"] == 2
    entries = api.ok(api.client.get("/v1/calendar/entries", headers=api.manager))["items"]
    assert [(e["title"], e["status"], e["tags"]) for e in entries] == [
        ("Launch video 1", "planned", ["video", "launch"]),
        ("Launch video 2", "produced", ["video"])]


def test_a_bad_row_rejects_the_whole_file_naming_every_bad_row(api: Api) -> None:
    team = build_team(api)
    month, d1, d2 = month_days()
    before = count_events(api)
    text = CSV_OK.format(d1=d1.isoformat(), d2=d2.isoformat()) + (
        f"Bad network,myspace,{d1.isoformat()},planned,,\n"
        "No date,tiktok,,planned,,\n"
        f"Wrong month,tiktok,{(d1 + timedelta(days=40)).isoformat()},planned,,\n")
    r = api.client.post(f"/v1/calendar/import?month={month}", content=text,
                        headers={**team.keys["olivia"], "Content-Type": "text/csv"})
    body = assert_problem(r, 422)
    assert "row 4, row 5, row 6" in body["detail"]
    fields = {e["field"] for e in body["errors"]}
    assert {"row 4.network", "row 5.publish_at", "row 6.publish_at"} <= fields
    assert entry_count(api) == 0 and count_events(api) == before


def test_json_import_names_bad_entries_and_writes_nothing(api: Api) -> None:
    team = build_team(api)
    good = {"title": "ok", "network": "tiktok", "publish_at": future().isoformat()}
    r = api.client.post("/v1/calendar/import", headers=team.keys["olivia"], json={
        "entries": [good, {**good, "status": "viral"}, {**good, "owner_id": team.jonathan["id"]}]})
    body = assert_problem(r, 422)
    assert {e["field"] for e in body["errors"]} == {"entries.1.status", "entries.2.owner_id"}
    assert entry_count(api) == 0
    ok = api.ok(api.client.post("/v1/calendar/import", headers=team.keys["olivia"],
                                json={"entries": [good]}), 201)
    assert ok["created"] == 1


def test_export_filters_by_range_network_and_owner_as_csv_and_json(api: Api) -> None:
    team = build_team(api)
    made(team, title="A", publish_at=future(days=2).isoformat())
    made(team, title="B", network="instagram", publish_at=future(days=3).isoformat())
    made(team, "jonathan", title="C", network="linkedin", publish_at=future(days=4).isoformat())
    made(team, title="Late", publish_at=future(days=60).isoformat())
    params = {"from": future(days=1).isoformat(), "to": future(days=30).isoformat()}
    r = api.client.get("/v1/calendar/export", params=params, headers=team.keys["priya"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["title"] for row in rows] == ["A", "B", "C"]
    as_json = api.client.get("/v1/calendar/export", params={
        **params, "format": "json", "owner_id": team.olivia["id"], "network": "tiktok"},
        headers=team.keys["priya"])
    assert [e["title"] for e in json.loads(as_json.text)] == ["A"]
    assert_problem(api.client.get("/v1/calendar/export", params={
        "from": params["to"], "to": params["from"]}, headers=api.manager), 422)


def test_exported_csv_imports_back(api: Api) -> None:
    team = build_team(api)
    made(team, title="Round trip", publish_at=future(days=2).isoformat(), tags=["a", "b"])
    params = {"from": future(days=1).isoformat(), "to": future(days=30).isoformat()}
    exported = api.client.get("/v1/calendar/export", params=params, headers=api.manager).text
    again = api.ok(api.client.post("/v1/calendar/import", content=exported,
                                   headers={**api.manager, "Content-Type": "text/csv"}), 201)
    assert again["created"] == 1 and "double-booked" in again["warnings"][0]


def test_monthly_plan_counts_planned_against_produced(api: Api) -> None:
    team = build_team(api)
    month, d1, _ = month_days()
    for i in range(8):
        made(team, title=f"Launch video {i}", publish_at=(d1 + timedelta(hours=3 * i)).isoformat(),
             status="produced" if i < 5 else "planned")
    made(team, "jonathan", network="linkedin", campaign=None, publish_at=d1.isoformat(),
         status="published")
    plan = api.ok(api.client.get(f"/v1/calendar/monthly-plan?month={month}",
                                 headers=team.keys["priya"]))
    launch = next(c for c in plan["by_campaign"] if c["key"] == "TikTok launch")
    assert (launch["planned"], launch["produced"]) == (8, 5)
    assert launch["summary"] == "5 of 8 TikTok launch produced"
    assert {o["key"]: o["planned"] for o in plan["by_owner"]} == {
        "Olivia Martin": 8, "Jonathan Zuluaga": 1}
    assert (plan["total"]["planned"], plan["total"]["produced"],
            plan["total"]["published"]) == (9, 6, 1)
    assert_problem(api.client.get("/v1/calendar/monthly-plan?month=2026-13",
                                  headers=api.manager), 422)


def test_linking_a_triaged_request_plans_it(api: Api) -> None:
    team = build_team(api)
    req = api.ok(team.submit(networks=["tiktok"], audience="young professionals"), 201)
    api.ok(api.client.post(f"/v1/requests/{req['id']}/triage", headers=team.keys["olivia"],
                           json={"decision": "accept"}))
    made(team, request_id=req["id"])
    assert api.ok(api.client.get(f"/v1/requests/{req['id']}", headers=team.keys["priya"]))[
        "status"] == "planned"


def test_delete_needs_if_match(api: Api) -> None:
    team = build_team(api)
    e = made(team)
    url = f"/v1/calendar/entries/{e['id']}"
    assert_problem(api.client.delete(url, headers=team.keys["olivia"]), 428)
    assert_problem(api.client.delete(url, headers={**team.keys["olivia"], "If-Match": '"v9"'}),
                   412)
    assert api.client.delete(url, headers={**team.keys["olivia"],
                                           "If-Match": '"v1"'}).status_code == 204
    assert_problem(api.client.get(url, headers=api.manager), 404)


def test_feed_text_escapes_and_folds_long_unicode_lines(api: Api) -> None:
    team = build_team(api)
    title = "Lancement, été; \\ « TikTok » " + "très long titre " * 8
    made(team, title=title, ownership_note="line one\nline two", tags=["a,b", "c;d"])
    text = api.client.get(feed_url(team, scope="team")).text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    event = vobject.readOne(text).vevent
    assert event.summary.value == f"{title.strip()} (Tiktok)"
    assert "line one\nline two" in event.description.value
    parsed = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
    categories = parsed["CATEGORIES"]
    assert isinstance(categories, icalendar.vCategory)
    assert [str(c) for c in categories.cats] == ["TikTok launch", "a,b", "c;d"]


def test_an_import_over_the_row_cap_is_413_and_writes_nothing(settings: Any,
                                                               db_url: str) -> None:
    from fastapi.testclient import TestClient

    from services.api.main import create_app

    roomy = settings.model_copy(update={"max_body_bytes": 1_000_000})
    with TestClient(create_app(roomy)) as client:
        api = Api(client, db_url)
        team = build_team(api)
        at = future().isoformat()
        rows = "".join(f"Post {i},tiktok,{at}\n" for i in range(5001))
        r = client.post("/v1/calendar/import", content="title,network,publish_at\n" + rows,
                        headers={**team.keys["olivia"], "Content-Type": "text/csv"})
        assert "5000" in assert_problem(r, 413)["detail"]
        assert entry_count(api) == 0


def test_import_warns_of_double_bookings_within_the_file_and_with_the_calendar(
        api: Api) -> None:
    team = build_team(api)
    at = future()
    old = made(team, title="Already there", publish_at=at.isoformat())["id"]
    rows = [{"title": "A", "network": "tiktok",
             "publish_at": (at + timedelta(minutes=60)).isoformat()},
            {"title": "B", "network": "tiktok",
             "publish_at": (at + timedelta(minutes=30)).isoformat()},
            {"title": "C", "network": "instagram", "publish_at": at.isoformat()}]
    body = api.ok(api.client.post("/v1/calendar/import", headers=team.keys["olivia"],
                                  json={"entries": rows}), 201)
    a = body["ids"][0]
    assert body["warnings"] == [
        f"tiktok is double-booked: entry {old} publishes 60 min apart (window 120 min)",
        f"tiktok is double-booked: entry {old} publishes 30 min apart (window 120 min)",
        f"tiktok is double-booked: entry {a} publishes 30 min apart (window 120 min)",
    ]
