"""The "requests and triage" section of custom reports: requests submitted and triaged over
HTTP, their timestamps set to known hours, then the counts and medians checked exactly."""

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from services.api.db import make_sync_engine
from tests.api.intake.helpers import Team, build_team
from tests.api.team.test_router import assert_problem, count_events
from tests.factories import Api

COLUMNS = ["network", "submitted", "accepted", "compromise", "redirected", "declined",
           "untriaged", "withdrawn", "strategy_review", "median_hours_to_triage",
           "median_hours_to_first_update"]


def definition(**overrides: Any) -> dict[str, Any]:
    return {"name": "Q4 intake review", "period_from": "2025-10-01", "period_to": "2025-12-31",
            "sections": [{"kind": "requests", "key": "intake"}]} | overrides


def _at(day: int, hours: float = 0) -> datetime:
    return datetime(2025, 10, day, 9, tzinfo=UTC) + timedelta(hours=hours)


class Intake:
    """Seven requests in Q4 2025 and one the day before it, with known hours."""

    def __init__(self, api: Api) -> None:
        self.api, self.team = api, build_team(api)
        self.times: list[tuple[str, int, datetime]] = []
        t = self.team
        r1 = self.submit("priya", networks=["instagram"])  # B2B audience on Instagram
        self.triage(r1, "olivia", "accept", _at(1), 2)
        self.update(r1, "olivia", _at(1, 30))
        r2 = self.submit("priya", networks=["tiktok"], audience="young professionals")
        self.triage(r2, "olivia", "accept", _at(2), 4)
        self.update(r2, "olivia", _at(2, 10))
        self.update(r2, "olivia", _at(2, 50))
        r3 = self.submit("sam", networks=["linkedin"], audience="marketing leaders in SaaS")
        self.triage(r3, "jonathan", "decline", _at(3), 6, rationale="Not this quarter.")
        r4 = self.submit("sam", networks=["instagram"])
        self.triage(r4, "olivia", "redirect", _at(4), 8, rationale="LinkedIn fits.",
                    alternative={"kind": "network", "network": "linkedin"})
        self.update(r4, "jonathan", _at(4, 20))
        r5 = self.submit("sam", networks=["tiktok"], audience="young professionals")
        self.created(r5, _at(5))
        r6 = self.submit("priya", networks=["tiktok"], audience="young professionals")
        self.created(r6, _at(6))
        api.ok(api.client.post(f"/v1/requests/{r6}/transitions", headers=t.keys["priya"],
                               json={"to": "withdrawn"}))
        r7 = self.submit("priya", networks=["instagram"], audience="creators")
        self.triage(r7, "olivia", "compromise", _at(7), 1, rationale="One story, not three.")
        before = self.submit("priya", networks=["instagram"])
        self.triage(before, "olivia", "accept", datetime(2025, 9, 30, 9, tzinfo=UTC), 100)
        self.ids = [r1, r2, r3, r4, r5, r6, r7]
        self.apply_times()

    def submit(self, who: str, **body: Any) -> int:
        return int(self.api.ok(self.team.submit(who, **body), 201)["id"])

    def created(self, request_id: int, at: datetime) -> None:
        self.times.append(("UPDATE request SET created_at = :at WHERE id = :id", request_id, at))

    def triage(self, request_id: int, who: str, decision: str, created: datetime,
               hours: float, **body: Any) -> None:
        self.api.ok(self.api.client.post(f"/v1/requests/{request_id}/triage",
                                         headers=self.team.keys[who],
                                         json={"decision": decision, **body}))
        self.created(request_id, created)
        self.times.append(("UPDATE request SET triaged_at = :at WHERE id = :id", request_id,
                           created + timedelta(hours=hours)))

    def update(self, request_id: int, who: str, at: datetime) -> None:
        body = self.api.ok(self.api.client.post(
            f"/v1/requests/{request_id}/updates", headers=self.team.keys[who],
            json={"note": "Progress."}), 201)
        self.times.append(("UPDATE request_update SET created_at = :at WHERE id = :id",
                           body["id"], at))

    def apply_times(self) -> None:
        engine = make_sync_engine(self.api.db_url)
        naive = engine.dialect.name == "sqlite"
        with engine.begin() as conn:
            for sql, row_id, at in self.times:
                conn.execute(text(sql), {"id": row_id,
                                         "at": at.replace(tzinfo=None) if naive else at})
        engine.dispose()

    def flagged(self, network: str | None = None) -> int:
        found = [self.api.ok(self.api.client.get(f"/v1/requests/{i}", headers=self.api.manager))
                 for i in self.ids]
        return sum(1 for r in found if r["needs_strategy_review"]
                   and (network is None or r["networks"][0] == network))


@pytest.fixture
def intake(api: Api) -> Intake:
    return Intake(api)


def render(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    report = api.ok(api.client.post("/v1/reports", json=body, headers=api.manager), 201)
    rendered = api.ok(api.client.get(f"/v1/reports/{report['id']}/render",
                                     headers=api.manager))
    return {"id": report["id"], **rendered["sections"][0]}


def test_requests_section_counts_decisions_and_medians_per_network(api: Api,
                                                                   intake: Intake) -> None:
    s = render(api, definition())
    assert s["kind"] == "requests" and s["title"] == "Requests and triage"
    assert s["columns"] == COLUMNS
    f = intake.flagged
    assert s["rows"] == [
        # instagram: r1 accepted (2 h, update at 30 h), r7 compromise (1 h)
        ["instagram", 2, 1, 1, 0, 0, 0, 0, f("instagram"), 1.5, 30.0],
        # linkedin: r3 declined (6 h), r4 redirected here from Instagram (8 h, update 20 h)
        ["linkedin", 2, 0, 0, 1, 1, 0, 0, f("linkedin"), 7.0, 20.0],
        # tiktok: r2 accepted (4 h, first update at 10 h, not 50), r5 waiting, r6 withdrawn
        ["tiktok", 3, 1, 0, 0, 0, 1, 1, f("tiktok"), 4.0, 10.0],
        # triage hours 1, 2, 4, 6, 8; first updates 10, 20, 30. The September one is out.
        ["all", 7, 2, 1, 1, 1, 1, 1, f(), 4.0, 20.0],
    ]
    assert f("instagram") >= 1  # a B2B audience on Instagram is flagged
    assert s["highlights"][0] == (
        "7 requests came in: 2 accepted, 1 accepted with a compromise, 1 redirected, "
        "1 declined; 1 still await triage and 1 were withdrawn.")
    assert s["highlights"][1] == ("Median time from submission to triage: 4.0 h; to the "
                                  "first progress update: 20.0 h.")
    bars = {b["label"]: b["value"] for b in s["chart"]["bars"]}
    assert bars == {"accepted": 2, "compromise": 1, "redirected": 1, "declined": 1,
                    "awaiting triage": 1, "withdrawn": 1}


def test_requests_section_filters_by_network_and_by_owner(api: Api, intake: Intake) -> None:
    tiktok = render(api, definition(networks=["tiktok"]))
    assert [r[0] for r in tiktok["rows"]] == ["tiktok", "all"]
    assert tiktok["rows"][-1][1:8] == [3, 1, 0, 0, 0, 1, 1]
    assert tiktok["rows"][-1][9:] == [4.0, 10.0]
    jonathan = intake.team.jonathan["id"]
    owned = render(api, definition(sections=[
        {"kind": "requests", "params": {"owner_id": jonathan}}]))
    # Jonathan owns LinkedIn: the request declined there and the one redirected to him.
    assert owned["rows"][-1][:8] == ["all", 2, 0, 0, 1, 1, 0, 0]
    assert owned["rows"][-1][9:] == [7.0, 20.0]


def test_an_empty_period_says_so_without_a_chart(api: Api, intake: Intake) -> None:
    s = render(api, definition(period_from="2026-01-01", period_to="2026-01-31"))
    assert s["rows"] == [] and s["chart"] is None
    assert s["highlights"] == ["0 requests came in: 0 accepted, 0 accepted with a compromise, "
                               "0 redirected, 0 declined; 0 still await triage and 0 were "
                               "withdrawn."]


def test_requests_section_exports_to_csv_html_and_highlights(api: Api, intake: Intake) -> None:
    s = render(api, definition(sections=[{"kind": "requests", "key": "intake"},
                                         {"kind": "performance", "key": "top"}]))
    rid = s["id"]
    rows = list(csv.reader(io.StringIO(api.client.get(
        f"/v1/reports/{rid}/export.csv", headers=api.manager).text)))
    start = rows.index(["# section: Requests and triage", "intake", "requests"])
    assert rows[start + 1] == COLUMNS
    assert rows[start + 5][:2] == ["all", "7"] and rows[start + 5][-2:] == ["4", "20"]
    html = api.client.get(f"/v1/reports/{rid}/export.html", headers=api.manager)
    assert html.status_code == 200, html.text
    section = html.text.split('<section id="intake">')[1].split("</section>")[0]
    assert "<svg" in section and "7 requests by outcome" in section
    assert "<td>all</td>" in section and "<th>median hours to triage</th>" in section
    h = api.ok(api.client.get(f"/v1/reports/{rid}/highlights", headers=api.manager))
    assert "Requests and triage\n- 7 requests came in: 2 accepted" in h["text"]
    assert "<li>Median time from submission to triage: 4.0 h" in h["html"]


def test_bad_requests_section_params_are_rejected_and_nothing_is_written(api: Api) -> None:
    build_team(api)
    before = count_events(api)
    for section, pointer in (
            ({"kind": "request"}, "/sections/0/kind"),
            ({"kind": "requests", "params": {"owner_id": 0}}, "/sections/0/params/owner_id"),
            ({"kind": "requests", "params": {"network": "x"}}, "/sections/0/params/network")):
        body = assert_problem(api.client.post("/v1/reports", headers=api.manager,
                                              json=definition(sections=[section])), 422)
        assert body["errors"][0]["pointer"] == pointer
    assert api.ok(api.client.get("/v1/reports", headers=api.manager))["items"] == []
    assert count_events(api) == before


def test_a_stakeholder_cannot_build_a_requests_report(api: Api) -> None:
    team: Team = build_team(api)
    assert_problem(api.client.post("/v1/reports", headers=team.keys["priya"],
                                   json=definition()), 403)
