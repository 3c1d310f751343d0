"""Input bounds over HTTP: every hostile input found in issue #12 is a 4xx problem that writes
nothing, never a 500. Ids and counts fit their columns, dates are 1970-01-01 to 2999-12-31,
strings hold no NUL, cursors are exactly what the API issued, JSON nests at most 32 levels, and
body fields are strictly typed."""

import base64
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from services.api.db import make_sync_engine
from services.api.models import metadata
from tests.api.team.test_router import assert_problem
from tests.factories import Api

BIG = 2**31


def row_counts(db_url: str) -> dict[str, int]:
    engine = make_sync_engine(db_url)
    with engine.connect() as conn:
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                  for t in metadata.sorted_tables}
    engine.dispose()
    return counts


def cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.fixture
def team(api: Api) -> dict[str, Any]:
    """A strategist owning a network, with one work item: ids the hostile requests can aim at."""
    owner = api.make_member(role="strategist")
    network = api.make_network(owner_id=owner["id"])
    item = api.ok(api.client.post("/v1/work-items", headers=api.manager, json={
        "title": "Launch video", "owner_id": owner["id"], "effort_hours": 6, "impact": 4}), 201)
    return {"owner": owner, "network": network, "item": item}


def send(api: Api, method: str, url: str, body: Any = None, **kw: Any) -> Any:
    return api.client.request(method, url, headers={**api.manager, **kw.pop("headers", {})},
                              json=body, **kw)


OUT_OF_RANGE = [
    ("GET", f"/v1/members/{BIG}", None),
    ("GET", "/v1/members/0", None),
    ("GET", "/v1/matrix?owner_id=-2723727425", None),
    ("POST", "/v1/api-keys/9202630241616830/revoke", None),
    ("GET", f"/v1/events?after={2**63}", None),
    ("GET", f"/v1/requests?owner_id={2**63}", None),
    ("GET", f"/v1/reports/performance?owner_id={BIG}", None),
    ("POST", "/v1/work-items", {"title": "t", "owner_id": BIG, "effort_hours": 1, "impact": 1}),
    ("POST", "/v1/networks", {"slug": "big", "name": "Big", "purpose": "awareness",
                              "audience": "all", "owner_id": BIG}),
]


@pytest.mark.parametrize(("method", "url", "body"), OUT_OF_RANGE)
def test_integers_beyond_their_column_are_422(api: Api, method: str, url: str,
                                              body: Any) -> None:
    before = row_counts(api.db_url)
    assert_problem(send(api, method, url, body), 422)
    assert row_counts(api.db_url) == before


@pytest.mark.parametrize("forged", [["x"], [2**40], [None], [True], [{"a": 1}], [1.5], [1, 2],
                                    "x", {"a": 1}])
def test_a_forged_member_cursor_is_400(api: Api, forged: Any) -> None:
    r = send(api, "GET", "/v1/members", params={"cursor": cursor(forged)})
    assert assert_problem(r, 400)["type"].endswith("/bad-cursor")


@pytest.mark.parametrize("forged", [["2026-12-01T15:00:00", 1], ["9999-12-31T23:59:59-14:00", 1],
                                    [0, 1], ["2026-12-01T15:00:00Z", "1"], ["2026-12-01", BIG]])
def test_a_forged_calendar_cursor_is_400(api: Api, forged: Any) -> None:
    assert_problem(send(api, "GET", "/v1/calendar/entries",
                        params={"cursor": cursor(forged)}), 400)


def test_deeply_nested_cursor_is_400(api: Api) -> None:
    deep = base64.urlsafe_b64encode(b"[" * 1400).decode()
    assert_problem(send(api, "GET", "/v1/queue", params={"cursor": deep}), 400)


def test_a_cursor_the_api_issued_still_pages(api: Api) -> None:
    for _ in range(3):
        api.make_member()
    page = api.ok(send(api, "GET", "/v1/members", params={"limit": 2}))
    rest = api.ok(send(api, "GET", "/v1/members", params={"limit": 2, "cursor": page["next"]}))
    assert len(page["items"]) == 2 and len(rest["items"]) == 1


def test_nul_in_any_string_is_422_and_writes_nothing(api: Api, team: dict[str, Any]) -> None:
    slug = team["network"]["slug"]
    cases = [
        ("POST", "/v1/members", {"name": "Pri\u0000ya", "email": "p@example.com",
                                 "time_zone": "UTC", "role": "stakeholder"}),
        ("POST", "/v1/requests", {"title": "Web\u0000inar", "description": "d",
                                  "goal": "awareness", "audience": "all", "networks": [slug],
                                  "department": "Sales"}),
        ("POST", "/v1/calendar/entries", {"title": "t", "network": slug,
                                          "publish_at": "2027-01-04T09:00:00Z",
                                          "campaign": "Launch\u0000"}),
        ("POST", "/v1/webhooks", {"url": "http://127.0.0.1:9/hook", "description": "a\u0000"}),
        ("GET", "/v1/requests?network=tiktok%00", None),
        ("GET", "/v1/networks/tik%00tok", None),
    ]
    before = row_counts(api.db_url)
    for method, url, body in cases:
        r = send(api, method, url, body)
        assert assert_problem(r, 422)["errors"][0]["type"] == "nul_character", url
    assert row_counts(api.db_url) == before


def test_an_escaped_backslash_before_u0000_is_plain_text(api: Api) -> None:
    body = {"name": "C:\\u0000 dir", "email": "bs@example.com", "time_zone": "UTC",
            "role": "stakeholder"}
    assert api.ok(send(api, "POST", "/v1/members", body), 201)["name"] == "C:\\u0000 dir"


def test_dates_outside_1970_to_2999_are_422(api: Api, team: dict[str, Any]) -> None:
    member = team["owner"]["id"]
    slug = team["network"]["slug"]
    cases = [
        ("GET", "/v1/calendar/monthly-plan?month=9999-12", None),
        ("GET", "/v1/calendar/monthly-plan?month=1969-12", None),
        ("GET", f"/v1/members/{member}/plan?start=9999-12-31", None),
        ("GET", "/v1/reports/performance?from=9999-01-01&to=9999-12-31", None),
        ("GET", "/v1/reports/performance?quarter=9999-Q4", None),
        ("GET", "/v1/calendar/entries?from=9999-12-31T23:59:59-14:00", None),
        ("GET", "/v1/calendar/export?from=9999-01-01T00:00:00Z&to=9999-12-31T00:00:00Z", None),
        ("POST", "/v1/requests", {"title": "t", "description": "d", "goal": "awareness",
                                  "audience": "all", "networks": [slug], "department": "Sales",
                                  "desired_publish_at": "9999-12-31T23:59:59-14:00"}),
        ("POST", "/v1/calendar/entries", {"title": "t", "network": slug,
                                          "publish_at": "0001-01-01T00:00:00+14:00"}),
        ("POST", f"/v1/networks/{slug}/owners", {"member_id": member, "starts_on": "3000-01-01"}),
    ]
    before = row_counts(api.db_url)
    for method, url, body in cases:
        assert_problem(send(api, method, url, body), 422)
    assert row_counts(api.db_url) == before


def test_the_edges_of_the_range_are_accepted(api: Api, team: dict[str, Any]) -> None:
    assert api.ok(send(api, "GET", "/v1/calendar/monthly-plan?month=2999-12"))["month"] == "2999-12"
    api.ok(send(api, "GET", f"/v1/members/{team['owner']['id']}/plan?start=2999-12-20"))


@pytest.mark.parametrize("url", ["/v1/calendar/import", "/v1/members", "/v1/work-items"])
def test_deeply_nested_json_is_400_before_parsing(api: Api, url: str) -> None:
    before = row_counts(api.db_url)
    r = api.client.post(url, content=b"[" * 10_000, headers={
        **api.manager, "Content-Type": "application/json"})
    assert assert_problem(r, 400)["type"].endswith("/malformed-json")
    nested = {"entries": [{"title": "t", "tags": json.loads("[" * 40 + "]" * 40)}]}
    assert_problem(api.client.post(url, json=nested, headers=api.manager), 400)
    assert row_counts(api.db_url) == before


def test_body_fields_are_strictly_typed(api: Api, team: dict[str, Any]) -> None:
    member = team["owner"]["id"]
    slug = team["network"]["slug"]
    item = team["item"]["id"]
    cases = [
        (f"/v1/networks/{slug}/followers", "PUT",
         {"counts": [{"day": "2026-11-20", "followers": False}]}),
        (f"/v1/members/{member}/disruptions", "POST", {"started_at": 0, "hours": 1}),
        (f"/v1/work-items/{item}/chunks", "POST",
         {"chunks": [{"title": "c", "effort_hours": 1, "target_on": 0}]}),
        ("/v1/work-items", "POST", {"title": "t", "owner_id": True, "effort_hours": 1,
                                    "impact": 1}),
        ("/v1/work-items", "POST", {"title": "t", "owner_id": str(member), "effort_hours": 1,
                                    "impact": 1}),
        ("/v1/work-items", "POST", {"title": "t", "owner_id": member, "effort_hours": True,
                                    "impact": 1}),
    ]
    before = row_counts(api.db_url)
    for url, method, body in cases:
        assert_problem(send(api, method, url, body), 422)
    assert row_counts(api.db_url) == before
