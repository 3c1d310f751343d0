"""Figures for the "requests and triage" section of custom reports over 100,000 requests and
~120,000 progress updates in PostgreSQL: p50/p99 and req/s of rendering a report with only that
section (a quarter, all networks; then one owner) at 8 concurrent clients (wrk).
`python bench/report_requests.py` (PostgreSQL at 127.0.0.1:5432, wrk on PATH)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import CLI, require_wrk, scratch_database, serve, wrk  # noqa: E402
from services.api.auth import hash_secret, new_secret  # noqa: E402
from services.api.db import make_sync_engine, migrate  # noqa: E402
from services.api.reports.periods import quarter_bounds, quarter_of  # noqa: E402

REQUESTS, NETWORKS, OWNERS = 100_000, 8, 4


def load(url: str) -> str:
    """Owners, networks, a manager key, requests over the last 365 days: 80% triaged (decision
    by id), 5% withdrawn, the rest waiting; 60% of the triaged have two progress updates."""
    secret = new_secret()
    engine = make_sync_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SELECT setseed(0.42)"))
        conn.execute(text("""
            INSERT INTO member (version, created_at, updated_at, name, email, time_zone, role,
                                weekly_capacity_hours, is_active)
            SELECT 1, now(), now(), 'Owner ' || k, 'owner' || k || '@example.com', 'UTC',
                   'strategist', 40, true FROM generate_series(1, :owners) k"""),
                     {"owners": OWNERS})
        conn.execute(text("""
            INSERT INTO network (version, created_at, updated_at, slug, name, purpose, audience)
            SELECT 1, now(), now(), 'n' || k, 'Network ' || k,
                   CASE WHEN k % 2 = 0 THEN 'awareness' ELSE 'engagement' END, ''
            FROM generate_series(0, :n - 1) k"""), {"n": NETWORKS})
        key_id = conn.execute(text("""
            INSERT INTO api_key (name, role, scopes, prefix, secret_hash, created_at)
            VALUES ('bench', 'manager', '[]', :prefix, :hash, now()) RETURNING id"""),
                              {"prefix": secret[:10], "hash": hash_secret(secret)}).scalar_one()
        conn.execute(text("""
            WITH s AS (
                SELECT g, now() - interval '365 days' + (g::float / :n) * interval '365 days'
                           AS ts,
                       (SELECT id FROM network ORDER BY id OFFSET g % :networks LIMIT 1) AS nid,
                       (SELECT id FROM member ORDER BY id OFFSET g % :owners LIMIT 1) AS oid,
                       CASE WHEN g % 20 = 0 THEN 'withdrawn' WHEN g % 10 = 1 THEN 'submitted'
                            WHEN g % 10 = 2 THEN 'declined' ELSE 'triaged' END AS st,
                       (ARRAY['accept','compromise','redirect','accept'])[1 + g % 4] AS dec,
                       random() * 72 AS h
                FROM generate_series(1, :n) g)
            INSERT INTO request (version, created_at, updated_at, title, description, goal,
                                 audience, networks, network_id, pillar_ids, assets, context,
                                 department, requester_key_id, owner_id, status, is_open,
                                 needs_strategy_review, review_reasons, decision, would_help,
                                 triaged_at, triaged_by_key_id)
            SELECT 1, ts, ts, 'Request ' || g, 'A request.', 'awareness', 'creators',
                   '[]'::json, nid, '[]'::json, '[]'::json, '', 'Marketing', :key, oid, st,
                   st NOT IN ('withdrawn', 'declined'), g % 7 = 0, '[]'::json,
                   CASE WHEN st = 'declined' THEN 'decline' WHEN st = 'triaged' THEN dec END,
                   '[]'::json,
                   CASE WHEN st IN ('triaged', 'declined') THEN ts + h * interval '1 hour' END,
                   CASE WHEN st IN ('triaged', 'declined') THEN :key END
            FROM s"""), {"n": REQUESTS, "networks": NETWORKS, "owners": OWNERS, "key": key_id})
        conn.execute(text("""
            INSERT INTO request_update (request_id, note, author_key_id, next_update_due_at,
                                        created_at)
            SELECT r.id, 'Progress.', :key, r.triaged_at + k * interval '3 days',
                   r.triaged_at + k * interval '2 days'
            FROM request r CROSS JOIN generate_series(1, 2) k
            WHERE r.status = 'triaged' AND r.id % 5 < 3"""), {"key": key_id})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        counts = conn.execute(text("SELECT (SELECT count(*) FROM request), "
                                   "(SELECT count(*) FROM request_update)")).one()
    engine.dispose()
    print(f"loaded {counts[0]:,} requests and {counts[1]:,} updates in "
          f"{time.perf_counter() - started:.1f} s")
    return secret


def main() -> None:
    require_wrk()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="API worker processes.")
    args = parser.parse_args()

    with scratch_database("sp_bench_triage") as url:
        migrate(url)
        key = load(url)
        argv = [*CLI, "serve", "--port", "{port}", "--workers", str(args.workers),
                "--no-migrate"]
        env = {"DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
        with serve(argv, env=env, ready_path="/readyz") as api:
            base = api.url
            headers = {"Authorization": f"Bearer {key}"}
            start, end = quarter_bounds(quarter_of(datetime.now(UTC).date() - timedelta(days=92)))
            owner = httpx2.get(f"{base}/v1/members?limit=1", headers=headers).json()["items"][0]
            print(f"quarter {start} to {end}; workers={args.workers}, 8 concurrent clients, "
                  f"{args.seconds} s each; machine: {os.cpu_count()} CPUs, load average "
                  f"{os.getloadavg()[0]:.1f}")
            for label, params in (("all networks", {}), ("one owner", {"owner_id": owner["id"]})):
                report = httpx2.post(f"{base}/v1/reports", headers=headers, json={
                    "name": label, "period_from": str(start), "period_to": str(end),
                    "sections": [{"kind": "requests", "params": params}]}).json()
                target = f"{base}/v1/reports/{report['id']}/render"
                total = httpx2.get(target, headers=headers).json()["sections"][0]["rows"][-1]
                print(f"  requests section, {label}: {total[1]:,} requests in the quarter, "
                      f"medians {total[-2]} h to triage, {total[-1]} h to first update")
                auth = {"Authorization": f"Bearer {key}"}
                wrk(target, connections=8, seconds=2, headers=auth)  # warm up
                alone = wrk(target, connections=1, seconds=4, headers=auth)
                print(f"  render, {label}, 1 client: p50 {alone.p50_ms:.1f} ms (service time)")
                f = wrk(target, connections=8, seconds=args.seconds, headers=auth)
                print(f"  render, {label}: {f.rps:.0f} req/s, p50 {f.p50_ms:.1f} ms, "
                      f"p99 {f.p99_ms:.1f} ms, non-2xx {f.errors}")


if __name__ == "__main__":
    main()
