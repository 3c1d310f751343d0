"""Calendar import on PostgreSQL: 5,000 CSV rows (the cap) in one request, against a calendar
that already holds 5,000 entries, timed end to end over HTTP. Prints the figure and checks
the all-or-nothing rule (a file with one bad row writes nothing).
`python bench/calendar_import.py [--rows 5000] [--runs 3]`. Needs PostgreSQL at 127.0.0.1
(user postgres); creates and drops its own database. Target: under 2 s for 5,000 rows."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import CLI, scratch_database, serve
from services.api.db import migrate
from tests.factories import make_key

NETWORKS = ["tiktok", "instagram", "youtube", "linkedin"]


def csv_rows(n: int, *, start: datetime, bad_row: int | None = None) -> str:
    lines = ["title,network,publish_at,campaign,tags"]
    for i in range(n):
        at = start + timedelta(minutes=17 * i)
        network = "myspace" if i == bad_row else NETWORKS[i % len(NETWORKS)]
        lines.append(f"Post {i},{network},{at.isoformat()},Launch {i % 7},video;launch")
    return "\n".join(lines) + "\n"


def count(http: httpx2.Client) -> int:
    text = http.get("/v1/calendar/export", params={"format": "csv",
                                                    "from": "2027-01-01T00:00:00Z",
                                                    "to": "2029-01-01T00:00:00Z"}).text
    return len(text.strip().splitlines()) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with scratch_database("sp_bench_import") as url:
        migrate(url)
        manager = {"Authorization": f"Bearer {make_key(url, 'manager')}"}
        argv = [*CLI, "serve", "--port", "{port}", "--no-migrate"]
        with serve(argv, env={"DATABASE_URL": url, "LOG_LEVEL": "WARNING",
                              "WEBHOOK_WORKER": "false", "MAX_BODY_BYTES": "4194304"},
                   ready_path="/readyz") as server, \
                httpx2.Client(base_url=server.url, headers=manager, timeout=120) as http:
            strategist = http.post("/v1/members", json={
                "name": "Olivia", "email": "o@example.com", "time_zone": "UTC",
                "role": "strategist"}).json()
            for slug in NETWORKS:
                r = http.post("/v1/networks", json={"slug": slug, "name": slug.title(),
                                                    "purpose": "awareness", "audience": "all",
                                                    "owner_id": strategist["id"]})
                assert r.status_code == 201, r.text
            csv_headers = {"Content-Type": "text/csv"}
            seconds = []
            for run in range(args.runs):
                body = csv_rows(args.rows, start=datetime(2027, 1, 1, tzinfo=UTC)
                                + timedelta(days=30 * run))
                began = time.perf_counter()
                r = http.post("/v1/calendar/import", content=body, headers=csv_headers)
                seconds.append(time.perf_counter() - began)
                assert r.status_code == 201, r.text[:500]
                print(f"run {run + 1}: {args.rows} rows in {seconds[-1]:.2f} s "
                      f"({r.json()['created']} created, {len(r.json()['warnings'])} warnings)")
            before = count(http)
            r = http.post("/v1/calendar/import", headers=csv_headers,
                          content=csv_rows(args.rows, start=datetime(2028, 1, 1, tzinfo=UTC),
                                           bad_row=args.rows - 1))
            assert r.status_code == 422 and count(http) == before, "a bad file wrote rows"
            over = http.post("/v1/calendar/import", headers=csv_headers,
                             content=csv_rows(args.rows + 1, start=datetime(2028, 1, 1,
                                                                              tzinfo=UTC)))
            print(f"one bad row in {args.rows}: {r.status_code}, nothing written; "
                  f"{args.rows + 1} rows: {over.status_code} {over.json()['title']}")
            print(f"median {statistics.median(seconds):.2f} s for {args.rows} rows "
                  f"(target < 2 s)")


if __name__ == "__main__":
    main()
