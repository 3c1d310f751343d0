"""Custom reports: definitions, annotations, exports, highlights and keyless share links."""

import base64
import csv
import io
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from services.api.db import make_sync_engine
from services.api.reports import custom
from tests.api.reports.data import Q3, Q4, load, make_post, shifted_views
from tests.api.team.test_router import assert_problem, count_events
from tests.factories import Api

DEFINITION = {
    "name": "Q4 leadership review", "period_from": "2025-10-01", "period_to": "2025-12-31",
    "sections": [
        {"kind": "performance", "key": "top", "title": "Top posts by engagement rate",
         "params": {"sort": "engagement_rate", "limit": 5, "min_impressions": 100}},
        {"kind": "profiles", "key": "goals"},
        {"kind": "trends", "key": "trends", "params": {"metrics": ["video_views"]}},
    ],
}


@pytest.fixture
def report(api: Api) -> dict[str, Any]:
    api.make_network("tiktok")
    api.make_network("linkedin", purpose="engagement")
    load(api, shifted_views("tiktok", "short", start=Q3, days=90, n=12, median_views=1000,
                            seed=1, prefix="b")
         + shifted_views("tiktok", "short", start=Q4, days=60, n=12, median_views=4000,
                         seed=2, prefix="n")
         + [make_post("linkedin", "essay", Q4 + timedelta(days=3), "text", impressions=5000,
                      engagements=400, title="Why we <script>alert(1)</script> ship weekly")])
    api.ok(api.client.put("/v1/networks/tiktok/goals/2025-Q4", headers=api.manager,
                          json={"targets": {"video_views": 100000}}))
    body: dict[str, Any] = api.ok(api.client.post("/v1/reports", json=DEFINITION,
                                                  headers=api.manager), 201)
    api.ok(api.client.post(f"/v1/reports/{body['id']}/annotations", headers=api.manager,
                           json={"section_key": "trends",
                                 "body": "TikTok shorts carried the quarter."}), 201)
    return body


def share(api: Api, report_id: int, **body: Any) -> dict[str, Any]:
    link: dict[str, Any] = api.ok(api.client.post(f"/v1/reports/{report_id}/share-links",
                                                  json=body, headers=api.manager), 201)
    return link


def token_of(link: dict[str, Any]) -> str:
    return str(link["url"].rsplit("/", 1)[1])


def test_unknown_section_kind_is_rejected_and_nothing_is_written(api: Api) -> None:
    before = count_events(api)
    bad = {**DEFINITION, "sections": [{"kind": "performance"}, {"kind": "horoscope"}]}
    body = assert_problem(api.client.post("/v1/reports", json=bad, headers=api.manager), 422)
    assert body["errors"][0]["pointer"] == "/sections/1/kind"
    bad = {**DEFINITION, "sections": [{"kind": "performance", "params": {"sort": "vibes"}}]}
    body = assert_problem(api.client.post("/v1/reports", json=bad, headers=api.manager), 422)
    assert body["errors"][0]["pointer"] == "/sections/0/params/sort"
    too_long = {**DEFINITION, "period_from": "2024-10-01"}
    assert_problem(api.client.post("/v1/reports", json=too_long, headers=api.manager), 422)
    assert api.ok(api.client.get("/v1/reports", headers=api.manager))["items"] == []
    assert count_events(api) == before


def test_rendered_report_has_sections_annotations_and_freshness(api: Api,
                                                                report: dict[str, Any]) -> None:
    rendered = api.ok(api.client.get(f"/v1/reports/{report['id']}/render", headers=api.manager))
    assert [s["key"] for s in rendered["sections"]] == ["top", "goals", "trends"]
    top, goals, trends = rendered["sections"]
    assert top["rows"][0][1] == "linkedin"  # 8% engagement rate beats the shorts' 3.3%
    assert trends["annotations"][0]["body"] == "TikTok shorts carried the quarter."
    assert any("rose" in h for h in trends["highlights"])
    assert goals["chart"]["reference"] == 100.0
    assert {n["network"] for n in rendered["freshness"]["networks"]} == {"tiktok", "linkedin"}


def test_annotation_on_an_unknown_section_is_rejected(api: Api, report: dict[str, Any]) -> None:
    r = api.client.post(f"/v1/reports/{report['id']}/annotations", headers=api.manager,
                        json={"section_key": "nope", "body": "x"})
    assert_problem(r, 422)


def test_csv_export_has_a_block_per_section(api: Api, report: dict[str, Any]) -> None:
    r = api.client.get(f"/v1/reports/{report['id']}/export.csv", headers=api.manager)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert [row[0] for row in rows if row and row[0].startswith("# section")] == [
        "# section: Top posts by engagement rate", "# section: Networks against their goals",
        "# section: Trends against the previous period"]


def test_highlights_come_in_text_and_html(api: Api, report: dict[str, Any]) -> None:
    h = api.ok(api.client.get(f"/v1/reports/{report['id']}/highlights", headers=api.manager))
    assert h["subject"].startswith("Q4 leadership review")
    assert "TikTok shorts carried the quarter." in h["text"]
    assert "<li><em>Note: TikTok shorts carried the quarter.</em></li>" in h["html"]


@pytest.mark.parametrize("days", [0, 366, 100_000_000])
def test_share_link_expiry_is_bounded(api: Api, report: dict[str, Any], days: int) -> None:
    # A field's own range on a bounded integer type is enforced (366 was accepted, 10^8 a 500).
    r = api.client.post(f"/v1/reports/{report['id']}/share-links", headers=api.manager,
                        json={"expires_in_days": days})
    assert_problem(r, 422, field="body.expires_in_days")
    assert api.ok(api.client.get(f"/v1/reports/{report['id']}/share-links",
                                 headers=api.manager)) == []


def test_share_link_opens_that_report_without_a_key(api: Api, report: dict[str, Any]) -> None:
    link = share(api, report["id"], expires_in_days=7, label="leadership")
    token = token_of(link)
    shared = api.ok(api.client.get(f"/v1/shared/{token}"))
    assert shared["name"] == "Q4 leadership review"
    html = api.client.get(f"/v1/shared/{token}.html")
    assert html.status_code == 200 and "<svg" in html.text
    assert "<script>alert" not in html.text  # escaped
    tooltips = re.findall(r"<title>[^<]*: ([-\d,.]+)[^<]*</title>", html.text)
    assert tooltips and not any(t.endswith(".00") for t in tooltips)  # counts read "1", not "1.00"
    assert api.client.get(f"/v1/shared/{token}.csv").text.startswith("# report")
    # The token is not a key: it opens nothing else.
    bearer = {"Authorization": f"Bearer {token}"}
    assert_problem(api.client.get(f"/v1/reports/{report['id']}", headers=bearer), 401)
    listed = api.ok(api.client.get(f"/v1/reports/{report['id']}/share-links",
                                   headers=api.manager))
    assert listed[0]["url"] is None and listed[0]["label"] == "leadership"


def test_tampered_expired_and_revoked_links_all_get_the_same_404(api: Api,
                                                                 report: dict[str, Any]) -> None:
    other = api.ok(api.client.post("/v1/reports", json=DEFINITION, headers=api.manager), 201)
    good = token_of(share(api, report["id"]))
    payload, mac = good.split(".")
    forged_payload = custom._b64(f"{other['id']}.1.9999999999".encode())
    expired_link = share(api, report["id"])
    engine = make_sync_engine(api.db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE share_link SET expires_at = :t WHERE id = :i"),
                     {"t": "2020-01-01 00:00:00", "i": expired_link["id"]})
        secret = conn.execute(text("SELECT value FROM app_secret")).scalar_one()
    engine.dispose()
    past = custom.sign(secret.encode(), report["id"], expired_link["id"], 1_600_000_000)
    revoked = share(api, report["id"])
    api.ok(api.client.post(f"/v1/reports/{report['id']}/share-links/{revoked['id']}/revoke",
                           headers=api.manager))
    bodies = []
    for token in (f"{payload}.{mac[:-2]}xx", f"{forged_payload}.{mac}", "garbage",
                  token_of(expired_link), past, token_of(revoked), "a" * 400):
        r = api.client.get(f"/v1/shared/{token}")
        body = assert_problem(r, 404)
        bodies.append((body["title"], body["detail"], body["type"]))
        assert_problem(api.client.get(f"/v1/shared/{token}.html"), 404)
    assert len(set(bodies)) == 1
    api.ok(api.client.get(f"/v1/shared/{good}"))


def test_deleting_a_report_kills_its_links(api: Api, report: dict[str, Any]) -> None:
    token = token_of(share(api, report["id"]))
    api.client.delete(f"/v1/reports/{report['id']}", headers={**api.manager, "If-Match": '"v1"'})
    assert_problem(api.client.get(f"/v1/shared/{token}"), 404)


def test_update_needs_if_match_and_revalidates_sections(api: Api, report: dict[str, Any]) -> None:
    url = f"/v1/reports/{report['id']}"
    assert_problem(api.client.patch(url, json={"name": "x"}, headers=api.manager), 428)
    r = api.client.patch(url, json={"sections": [{"kind": "nope"}]},
                         headers={**api.manager, "If-Match": '"v1"'})
    assert_problem(r, 422)
    r = api.client.patch(url, json={"name": "Renamed"},
                         headers={**api.manager, "If-Match": '"v1"'})
    assert api.ok(r)["name"] == "Renamed" and r.headers["etag"] == '"v2"'


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium is not installed (.ci/run installs it: apt-get install chromium)")
    return found


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
         *args], capture_output=True, text=True, timeout=90, check=False)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_html_export_renders_in_headless_chromium_with_charts(api: Api, report: dict[str, Any],
                                                              tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(api.client.get(f"/v1/reports/{report['id']}/export.html",
                                   headers=api.manager).text)
    dom = run_chromium(tmp_path, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr
    assert dom.stdout.count("<svg") == 3
    assert "<rect" in dom.stdout and "TikTok shorts carried the quarter." in dom.stdout
    assert "Networks against their goals" in dom.stdout
    pdf = tmp_path / "report.pdf"
    printed = run_chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                           page.as_uri())
    assert printed.returncode == 0, printed.stderr
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 10_000


def test_share_secret_setting_signs_links_and_rotating_it_voids_them(
        api: Api, report: dict[str, Any], settings: Any) -> None:
    from fastapi.testclient import TestClient

    from services.api.main import create_app

    def client(secret: str) -> TestClient:
        return TestClient(create_app(settings.model_copy(update={"share_secret": secret})),
                          raise_server_exceptions=False)

    with client("first-secret") as first:
        link = first.post(f"/v1/reports/{report['id']}/share-links", json={},
                          headers=api.manager).json()
        assert first.get(f"/v1/shared/{token_of(link)}").status_code == 200
    with client("rotated-secret") as rotated:
        assert_problem(rotated.get(f"/v1/shared/{token_of(link)}"), 404)
    # The database secret (SHARE_SECRET unset) is another key again.
    assert_problem(api.client.get(f"/v1/shared/{token_of(link)}"), 404)


def _respelled(part: str) -> str:
    """`part` with its last character's unused low bits changed: decodes to the same bytes."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return part[:-1] + alphabet[alphabet.index(part[-1]) ^ 1]


def test_a_share_link_has_one_spelling(api: Api, report: dict[str, Any]) -> None:
    good = token_of(share(api, report["id"]))
    payload, mac = good.split(".")
    assert base64.urlsafe_b64decode(_respelled(mac) + "=") == base64.urlsafe_b64decode(mac + "=")
    for other in (f"{payload}.{_respelled(mac)}", f"{payload}.{mac[:5]}!{mac[5:]}",
                  f"{payload}.{mac}=", f"{payload[:3]}*{payload[3:]}.{mac}"):
        assert_problem(api.client.get(f"/v1/shared/{other}"), 404)
    api.ok(api.client.get(f"/v1/shared/{good}"))
