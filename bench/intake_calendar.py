"""Figures for intake and the calendar on PostgreSQL: a strategist's open requests (first
page and a page deep in the cursor), a month of calendar, at 16 concurrent clients (wrk), and
the iCalendar feed of a network with 2,000 entries; at 10,000 and at 100,000 requests.
`python bench/intake_calendar.py [--duration 10] [--workers 2]`. Needs PostgreSQL at
127.0.0.1 (user postgres) and wrk; creates and drops its own database."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import httpx2
from sqlalchemy import Connection, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import CLI, require_wrk, scratch_database, serve, wrk
from services.api.auth import hash_secret, new_secret
from services.api.db import make_sync_engine, migrate
from services.api.pagination import encode_cursor

SIZES = [(10_000, 5_000), (100_000, 50_000)]
FEED_ENTRIES = 2_000
CONNECTIONS = 16


def seed_team(conn: Connection) -> dict[str, str]:
    """Two strategists owning four networks each, a manager, 50 stakeholders, their keys, and
    a ninth network that holds the 2,000-entry feed."""
    c = conn
    c.execute(text("""
        INSERT INTO member (version, created_at, updated_at, name, email, time_zone, role,
                            weekly_capacity_hours, is_active)
        SELECT 1, now(), now(), 'Member ' || g, 'm' || g || '@example.com', 'America/Chicago',
               CASE WHEN g <= 2 THEN 'strategist' WHEN g = 3 THEN 'manager'
                    ELSE 'stakeholder' END, 40, true
        FROM generate_series(1, 53) g"""))
    c.execute(text("""
        INSERT INTO network (version, created_at, updated_at, slug, name, purpose, audience)
        SELECT 1, now(), now(), 'net' || g, 'Network ' || g,
               CASE WHEN g % 2 = 0 THEN 'awareness' ELSE 'engagement' END, 'everyone'
        FROM generate_series(1, 9) g"""))
    c.execute(text("""
        INSERT INTO network_ownership (network_id, member_id, starts_on, created_at)
        SELECT g, 1 + (g % 2), DATE '2020-01-01', now() FROM generate_series(1, 9) g"""))
    keys: dict[str, str] = {}
    for role, member in (("strategist", 2), ("manager", 3), ("stakeholder", 4)):
        secret = new_secret()
        c.execute(text("""INSERT INTO api_key (name, role, scopes, member_id, prefix,
                                               secret_hash, created_at)
                          VALUES (:n, :r, '[]', :m, :p, :h, now())"""),
                  {"n": role, "r": role, "m": member, "p": secret[:10],
                   "h": hash_secret(secret)})
        keys[role] = secret
    secret = new_secret()
    c.execute(text("INSERT INTO calendar_feed (name, scope, network_id, token_hash, prefix, "
                   "created_by_key_id, created_at) VALUES ('bench', 'network', 9, :h, :p, 1, "
                   "now())"), {"h": hash_secret("cal_bench"), "p": "cal_bench"})
    keys["feed"] = "cal_bench"
    return keys


def load(conn: Connection, requests_from: int, requests_to: int, entries_from: int,
         entries_to: int) -> None:
    """Requests: ~30% open, spread over two strategists and eight networks. Entries: spread
    over 2027 on eight networks (the feed network is loaded once, separately)."""
    c = conn
    c.execute(text("""
        INSERT INTO request (version, created_at, updated_at, title, description, goal,
            audience, networks, network_id, pillar_ids, desired_publish_at, assets, context,
            department, requester_id, requester_key_id, owner_id, status, is_open,
            needs_strategy_review, review_reasons, would_help, next_update_due_at)
        SELECT 1, now(), now(), 'Request ' || g, 'Please post this', 'awareness',
               'marketing leaders', CAST('["net' || (1 + g % 8) || '"]' AS json), 1 + g % 8, '[]',
               TIMESTAMPTZ '2027-01-01' + (g % 365) * INTERVAL '1 day', '[]', '',
               'Marketing', 4 + g % 50, 3, 1 + ((1 + g % 8) % 2),
               CASE WHEN g % 10 < 3 THEN 'in_progress' WHEN g % 10 < 8 THEN 'done'
                    ELSE 'declined' END,
               g % 10 < 3, false, '[]', '[]',
               TIMESTAMPTZ '2027-01-01' + (g % 90) * INTERVAL '1 day'
        FROM generate_series(CAST(:a AS integer), CAST(:b AS integer)) g"""),
              {"a": requests_from, "b": requests_to})
    c.execute(text("""
        INSERT INTO calendar_entry (version, created_at, updated_at, title, network_id,
            owner_id, publish_at, status, campaign, tags)
        SELECT 1, now(), now(), 'Post ' || g, 1 + g % 8, 1 + ((1 + g % 8) % 2),
               TIMESTAMPTZ '2027-01-01' + (g % 525600) * INTERVAL '1 minute' * 1.0
                   + (g * 37 % 365) * INTERVAL '1 day',
               CASE WHEN g % 3 = 0 THEN 'produced' ELSE 'planned' END,
               'Campaign ' || (g % 20), '[]'
        FROM generate_series(CAST(:a AS integer), CAST(:b AS integer)) g"""),
              {"a": entries_from, "b": entries_to})


def load_feed_network(conn: Connection) -> None:
    conn.execute(text("""
        INSERT INTO calendar_entry (version, created_at, updated_at, title, network_id,
            owner_id, publish_at, status, campaign, tags)
        SELECT 1, now(), now(), 'Feed post ' || g, 9, 2,
               now() + g * INTERVAL '4 hours', 'planned', 'Feed', '["bench"]'
        FROM generate_series(1, CAST(:n AS integer)) g"""), {"n": FEED_ENTRIES})


SQL_CASES = {
    "open requests, keyset deep page (with the range predicate)":
        "SELECT id, title FROM request WHERE owner_id = 2 AND is_open AND id <= :c AND id < :c "
        "ORDER BY id DESC LIMIT 51",
    "open requests, same page by OFFSET":
        "SELECT id, title FROM request WHERE owner_id = 2 AND is_open "
        "ORDER BY id DESC OFFSET :o LIMIT 51",
    "network calendar, keyset page (with the range predicate)":
        "SELECT id, title FROM calendar_entry WHERE network_id = 3 AND publish_at >= :p "
        "AND (publish_at > :p OR (publish_at = :p AND id > :i)) "
        "ORDER BY publish_at, id LIMIT 51",
    "network calendar, keyset page without it":
        "SELECT id, title FROM calendar_entry WHERE network_id = 3 "
        "AND (publish_at > :p OR (publish_at = :p AND id > :i)) "
        "ORDER BY publish_at, id LIMIT 51",
}


def sql_figures(url: str) -> None:
    """Database time alone (psycopg, one connection, median of 30), so the index work can be
    seen apart from the Python per-request cost."""
    engine = make_sync_engine(url)
    with engine.connect() as conn:
        offset = conn.execute(text(
            "SELECT count(*) / 2 FROM request WHERE owner_id = 2 AND is_open")).scalar_one()
        cursor = conn.execute(text(
            "SELECT id FROM request WHERE owner_id = 2 AND is_open ORDER BY id DESC "
            "OFFSET :o LIMIT 1"), {"o": offset - 1}).scalar_one()
        p, i = conn.execute(text(
            "SELECT publish_at, id FROM calendar_entry WHERE network_id = 3 "
            "ORDER BY publish_at, id OFFSET (SELECT count(*) / 2 FROM calendar_entry "
            "WHERE network_id = 3) LIMIT 1")).one()
        params = {"c": cursor, "o": offset, "p": p, "i": i}
        for name, sql in SQL_CASES.items():
            timings = []
            for _ in range(33):
                start = time.perf_counter()
                conn.execute(text(sql), params).all()
                timings.append((time.perf_counter() - start) * 1e3)
            print(f"   SQL {name:58s} {statistics.median(timings[3:]):7.2f} ms")
    engine.dispose()


def measure(url: str, base: str, keys: dict[str, str], size: int, seconds: int) -> None:
    engine = make_sync_engine(url)
    with engine.connect() as conn:
        # A cursor half-way down the strategist's open requests, as a client paging there has.
        deep_id = conn.execute(text(
            "SELECT id FROM request WHERE owner_id = 2 AND is_open ORDER BY id DESC "
            "OFFSET (SELECT count(*) / 2 FROM request WHERE owner_id = 2 AND is_open) "
            "LIMIT 1")).scalar_one()
        open_rows = conn.execute(text(
            "SELECT count(*) FROM request WHERE owner_id = 2 AND is_open")).scalar_one()
        conn.execute(text("ANALYZE"))
        conn.commit()
    engine.dispose()
    cases = [
        ("baseline: GET /healthz (no auth, no database)", f"{base}/healthz", keys["manager"]),
        ("baseline: GET /v1/me (auth: one key lookup)", f"{base}/v1/me", keys["manager"]),
        ("strategist's open requests, first page (50)",
         f"{base}/v1/requests?owner_id=2&open=true&limit=50", keys["strategist"]),
        (f"strategist's open requests, deep page (after id {deep_id})",
         f"{base}/v1/requests?owner_id=2&open=true&limit=50&cursor={encode_cursor([deep_id])}",
         keys["strategist"]),
        ("a month of calendar (March 2027, first 50)",
         f"{base}/v1/calendar/entries?from=2027-03-01T00:00:00Z&to=2027-04-01T00:00:00Z"
         "&limit=50", keys["stakeholder"]),
        ("a month of one network (net3, March 2027, first 50)",
         f"{base}/v1/calendar/entries?network=net3&from=2027-03-01T00:00:00Z"
         "&to=2027-04-01T00:00:00Z&limit=50", keys["stakeholder"]),
    ]
    print(f"\n== {size:,} requests ({open_rows:,} open for the strategist) ==")
    sql_figures(url)
    print(f"   {'HTTP, wrk -c16':58s} {'req/s':>8s} {'p50':>9s} {'p99':>9s}")
    for name, target, key in cases:
        fig = wrk(target, connections=CONNECTIONS, seconds=seconds,
                  headers={"Authorization": f"Bearer {key}"})
        if fig.errors:
            raise SystemExit(f"{target}: {fig.errors} error responses")
        print(f"   {name:58s} {fig.rps:8.0f} {fig.p50_ms:7.2f}ms {fig.p99_ms:7.2f}ms")
    timings = []
    with httpx2.Client(timeout=30) as client:
        for _ in range(20):
            start = time.perf_counter()
            r = client.get(f"{base}/v1/calendar/feeds/{keys['feed']}.ics")
            timings.append((time.perf_counter() - start) * 1e3)
            assert r.status_code == 200, r.text
    events = r.text.count("BEGIN:VEVENT")
    print(f"   iCalendar feed of a network with {events:,} entries: "
          f"median {statistics.median(timings):.0f} ms, max {max(timings):.0f} ms "
          f"(target < 200 ms)")


def main() -> None:
    require_wrk()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="wrk seconds per case")
    parser.add_argument("--workers", type=int, default=2, help="API worker processes")
    args = parser.parse_args()
    with scratch_database("sp_bench_intake") as url:
        migrate(url)
        engine = make_sync_engine(url)
        with engine.begin() as conn:
            keys = seed_team(conn)
            load_feed_network(conn)
        env = {"DATABASE_URL": url, "LOG_LEVEL": "WARNING", "WEBHOOK_WORKER": "false",
               "DB_POOL_SIZE": "10"}
        argv = [*CLI, "serve", "--port", "{port}", "--workers", str(args.workers),
                "--no-migrate"]
        with ExitStack() as running:
            server = None
            loaded = (0, 0)
            for n_requests, n_entries in SIZES:
                start = time.perf_counter()
                with engine.begin() as conn:
                    load(conn, loaded[0] + 1, n_requests, loaded[1] + 1, n_entries)
                loaded = (n_requests, n_entries)
                print(f"loaded {n_requests:,} requests and {n_entries + FEED_ENTRIES:,} "
                      f"calendar entries in {time.perf_counter() - start:.1f} s")
                if server is None:  # started once the first size is loaded, kept for the next
                    server = running.enter_context(serve(argv, env=env, ready_path="/readyz"))
                measure(url, server.url, keys, n_requests, args.duration)
        engine.dispose()
        print(f"\n(wrk -t2 -c{CONNECTIONS}, {args.duration} s per case, {args.workers} API "
              f"workers, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    main()
