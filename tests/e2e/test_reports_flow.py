"""End to end over real HTTP: seed the demo, serve it, answer the quarter's questions, build
an annotated custom report, share it, and open it without a key (also in Chromium)."""

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from tests.api.reports.test_custom import run_chromium
from tests.e2e.procs import api_process, cli


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    with api_process(f"sqlite:///{tmp_path / 'demo.db'}", seed_demo=True) as api:
        yield api.url, cli(api.env, "create-key", "--role", "manager", "--name", "Rachael")


def test_manager_builds_shares_and_a_keyless_reader_opens_the_report(
        server: tuple[str, str], tmp_path: Path) -> None:
    base, key = server
    with httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                       timeout=30) as api:
        tops = {}
        for sort in ("impressions", "engagements", "engagement_rate"):
            r = api.get("/v1/reports/performance", params={
                "sort": sort, "limit": 5, "min_impressions": 1000})
            assert r.status_code == 200, r.text
            rows = r.json()["rows"]
            values = [row["metrics"][sort] for row in rows]
            assert len(rows) == 5 and values == sorted(values, reverse=True)
            tops[sort] = rows[0]["post"]["id"]
        assert tops["impressions"] != tops["engagement_rate"]
        freshness = {n["network"]: n["status"] for n in r.json()["freshness"]["networks"]}
        assert freshness["whatsapp"] == "missing" and freshness["pinterest"] == "stale"

        report = api.post("/v1/reports", json={
            "name": "Quarter review", "period_from": r.json()["period"]["from"],
            "period_to": r.json()["period"]["to"],
            "sections": [{"kind": "performance", "key": "top",
                          "params": {"sort": "impressions", "limit": 5}},
                         {"kind": "profiles", "key": "goals"}, {"kind": "trends"}]})
        assert report.status_code == 201, report.text
        rid = report.json()["id"]
        note = api.post(f"/v1/reports/{rid}/annotations",
                        json={"section_key": "top", "body": "Short video carries awareness."})
        assert note.status_code == 201
        link = api.post(f"/v1/reports/{rid}/share-links", json={"expires_in_days": 3})
        assert link.status_code == 201
        url = link.json()["url"]
    assert url.startswith(base)

    anonymous = httpx2.get(url, timeout=30)
    assert anonymous.status_code == 200
    body = anonymous.json()
    assert body["name"] == "Quarter review"
    assert body["sections"][0]["annotations"][0]["body"] == "Short video carries awareness."
    assert httpx2.get(f"{base}/v1/reports/{rid}", timeout=10).status_code == 401

    dom = run_chromium(tmp_path, "--dump-dom", f"{url}.html")
    assert dom.returncode == 0, dom.stderr
    assert "Quarter review" in dom.stdout and "Short video carries awareness." in dom.stdout
    assert dom.stdout.count("<svg") >= 2
