"""Figures for reports over 50,000 posts and 1,000,000 metric snapshots in PostgreSQL:
p50/p99 and req/s of the post performance report (a quarter, sorted by engagement rate) and
the network profile report at 8 concurrent clients (wrk), and bulk upsert throughput in
snapshots/s over HTTP. `python bench/reports.py` (PostgreSQL at 127.0.0.1:5432, wrk on PATH).
Targets: p99 < 300 ms for each report; >= 5,000 snapshots/s for the upsert."""

from __future__ import annotations

import argparse
import asyncio
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

POSTS, SNAPSHOTS_PER_POST, NETWORKS = 50_000, 20, 8


def load(url: str) -> str:
    """Networks, a manager key, posts over the last 365 days and 20 daily snapshots each."""
    secret = new_secret()
    engine = make_sync_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SELECT setseed(0.42)"))
        conn.execute(text("""
            INSERT INTO member (version, created_at, updated_at, name, email, time_zone, role,
                                weekly_capacity_hours, is_active)
            VALUES (1, now(), now(), 'Olivia', 'olivia@example.com', 'UTC', 'strategist', 40,
                    true)"""))
        conn.execute(text("""
            INSERT INTO network (version, created_at, updated_at, slug, name, purpose, audience)
            SELECT 1, now(), now(), 'n' || k, 'Network ' || k,
                   CASE WHEN k % 2 = 0 THEN 'awareness' ELSE 'engagement' END, ''
            FROM generate_series(0, :n - 1) k"""), {"n": NETWORKS})
        conn.execute(text("""
            INSERT INTO api_key (name, role, scopes, prefix, secret_hash, created_at)
            VALUES ('bench', 'manager', '[]', :prefix, :hash, now())"""),
                     {"prefix": secret[:10], "hash": hash_secret(secret)})
        conn.execute(text("""
            WITH s AS (
                SELECT g, g % :networks AS k,
                       now() - interval '365 days' + (g::float / :posts) * interval '365 days'
                           AS ts,
                       (ARRAY['video','image','text','story','short','link'])[1 + g % 6] AS ct,
                       floor(exp(7 + random() * 3))::bigint AS imp,
                       random() * 0.09 AS er, random() AS vv
                FROM generate_series(1, :posts) g)
            INSERT INTO post (network_id, external_id, published_at, content_type, title,
                              owner_id, campaign_tags, metrics_as_of, created_at, updated_at,
                              impressions, reach, engagements, likes, comments, shares, saves,
                              clicks, video_views, watch_time_seconds, engagement_rate)
            SELECT n.id, 'b' || g, ts, ct, 'Post ' || g, 1,
                   CASE WHEN g % 10 = 0 THEN '["launch"]'::json ELSE '[]'::json END,
                   ts + interval '20 days', now(), now(),
                   imp, imp * 8 / 10, floor(imp * er)::bigint, floor(imp * er * 0.7)::bigint,
                   floor(imp * er * 0.1)::bigint, floor(imp * er * 0.1)::bigint,
                   floor(imp * er * 0.1)::bigint, imp / 100,
                   CASE WHEN ct IN ('video', 'short', 'story') THEN floor(imp * vv)::bigint
                        ELSE 0 END,
                   CASE WHEN ct IN ('video', 'short', 'story') THEN floor(imp * vv * 9)::bigint
                        ELSE 0 END,
                   floor(imp * er)::float / imp
            FROM s JOIN network n ON n.slug = 'n' || s.k"""),
                     {"posts": POSTS, "networks": NETWORKS})
        conn.execute(text("""
            INSERT INTO post_tag (tag, post_id)
            SELECT 'launch', id FROM post WHERE (substr(external_id, 2)::int) % 10 = 0"""))
        conn.execute(text("""
            INSERT INTO metric_snapshot (post_id, captured_at, impressions, reach, engagements,
                likes, comments, shares, saves, clicks, video_views, watch_time_seconds,
                decreased, is_flagged, received_at)
            SELECT p.id, p.published_at + k * interval '1 day', p.impressions * k / :n,
                   p.reach * k / :n, p.engagements * k / :n, p.likes * k / :n,
                   p.comments * k / :n, p.shares * k / :n, p.saves * k / :n, p.clicks * k / :n,
                   p.video_views * k / :n, p.watch_time_seconds * k / :n, '[]'::json, false,
                   now()
            FROM post p CROSS JOIN generate_series(1, :n) k"""), {"n": SNAPSHOTS_PER_POST})
        conn.execute(text("""
            INSERT INTO post_note (post_id, body, created_at)
            SELECT id, 'Worked because of the hook.', now() FROM post WHERE id % 50 = 0"""))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        counts = conn.execute(text(
            "SELECT (SELECT count(*) FROM post), (SELECT count(*) FROM metric_snapshot)")).one()
    engine.dispose()
    print(f"loaded {counts[0]:,} posts and {counts[1]:,} snapshots in "
          f"{time.perf_counter() - started:.1f} s")
    return secret


START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=300)


async def upsert_throughput(base: str, key: str, *, batches: int, clients: int,
                            posts_per_batch: int, snaps_per_post: int,
                            first_day: int) -> tuple[int, float]:
    """Collectors sending daily snapshots `first_day`.. of posts, `clients` at a time."""
    headers = {"Authorization": f"Bearer {key}"}
    start_day = START
    queue: asyncio.Queue[int] = asyncio.Queue()
    for b in range(batches):
        queue.put_nowait(b)
    sent = 0

    def body(b: int) -> dict[str, object]:
        posts = []
        for i in range(posts_per_batch):
            pid = b * posts_per_batch + i + 1
            published = start_day + timedelta(minutes=pid)
            posts.append({
                "network": f"n{pid % NETWORKS}", "external_id": f"u{pid}",
                "published_at": published.isoformat(), "content_type": "video",
                "snapshots": [{"captured_at": (published + timedelta(days=d)).isoformat(),
                               "impressions": 1000 * d, "reach": 800 * d,
                               "engagements": 40 * d, "likes": 30 * d, "comments": 4 * d,
                               "shares": 3 * d, "saves": 3 * d, "clicks": 10 * d,
                               "video_views": 600 * d, "watch_time_seconds": 5000 * d}
                              for d in range(first_day, first_day + snaps_per_post)]})
        return {"posts": posts}

    async def worker(client: httpx2.AsyncClient) -> None:
        nonlocal sent
        while True:
            try:
                b = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            r = await client.post("/v1/posts/bulk", json=body(b), headers=headers)
            assert r.status_code == 200, r.text
            sent += r.json()["snapshots_created"]

    async with httpx2.AsyncClient(base_url=base, timeout=120) as client:
        started = time.perf_counter()
        await asyncio.gather(*[worker(client) for _ in range(clients)])
        return sent, time.perf_counter() - started


def main() -> None:
    require_wrk()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2, help="API worker processes.")
    parser.add_argument("--keep", action="store_true", help="Keep the database.")
    args = parser.parse_args()

    with scratch_database("sp_bench_reports", keep=args.keep) as url:
        migrate(url)
        key = load(url)
        argv = [*CLI, "serve", "--port", "{port}", "--workers", str(args.workers),
                "--no-migrate"]
        env = {"DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
        with serve(argv, env=env, ready_path="/readyz") as api:
            base = api.url
            today = datetime.now(UTC).date()
            quarter = quarter_of(quarter_bounds(quarter_of(today))[0] - timedelta(days=1))
            perf_url = (f"{base}/v1/reports/performance?quarter={quarter}&sort=engagement_rate"
                        "&limit=20")
            rows = httpx2.get(perf_url, headers={"Authorization": f"Bearer {key}"}).json()
            print(f"quarter {quarter}: {rows['totals']['posts']:,} posts in the performance "
                  f"report; workers={args.workers}, 8 concurrent clients, {args.seconds} s each")
            targets = [
                ("post performance (quarter, sort=engagement_rate, top 20)", perf_url),
                ("post performance, tag filter + sort=impressions",
                 f"{base}/v1/reports/performance?quarter={quarter}&tag=launch&sort=impressions"),
                ("network profiles (quarter vs previous, goals)",
                 f"{base}/v1/reports/profiles?quarter={quarter}"),
                ("trends (quarter vs previous, all metrics)",
                 f"{base}/v1/reports/trends?quarter={quarter}"),
            ]
            print(f"  machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} "
                  "(other processes share these CPUs; figures below include their contention)")
            for label, target in targets:
                auth = {"Authorization": f"Bearer {key}"}
                wrk(target, connections=8, seconds=3, headers=auth)  # warm up
                alone = wrk(target, connections=1, seconds=5, headers=auth)
                print(f"  {label}: 1 client: p50 {alone.p50_ms:.1f} ms (service time)")
                f = wrk(target, connections=8, seconds=args.seconds, headers=auth)
                verdict = "OK" if f.p99_ms < 300 and not f.errors else "MISSED"
                print(f"  {label}: {f.rps:.0f} req/s, p50 {f.p50_ms:.1f} ms, "
                      f"p99 {f.p99_ms:.1f} ms, non-2xx {f.errors}  [{verdict} p99 < 300 ms]")
            rounds = [(1, 1, "new posts"), (4, 11, "next 10 days of the same posts")]
            for clients, first_day, what in rounds:
                sent, elapsed = asyncio.run(upsert_throughput(
                    base, key, batches=40, clients=clients, posts_per_batch=100,
                    snaps_per_post=10, first_day=first_day))
                rate = sent / elapsed
                print(f"  bulk upsert ({what}), {clients} client(s), 1,000 snapshots per call: "
                      f"{sent:,} snapshots in {elapsed:.1f} s = {rate:,.0f} snapshots/s  "
                      f"[{'OK' if rate >= 5000 else 'MISSED'} >= 5,000/s]")
            print(f"  load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
