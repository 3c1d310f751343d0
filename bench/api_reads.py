"""Single reads against a bare endpoint: GET /v1/networks/{slug} and the routing call, on
PostgreSQL with a realistic team, 32 concurrent clients, median of three wrk runs each.

    python bench/api_reads.py [--seconds 8] [--connections 32] [--workers 1]
                              [--auth-cache-seconds S]   (0: look the key up on every request)
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from bench.common import CLI, cli, median_of, require_wrk, scratch_database, serve, wrk
from services.api.db import make_sync_engine


def load_team(url: str) -> None:
    """The demo team plus a realistic company around it: 2,000 members, 40 networks with a
    long ownership history, 5,000 API keys."""
    cli("seed-demo", database_url=url)
    engine = make_sync_engine(url)
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO member (version, created_at, updated_at, name, email, time_zone, role,
                                department, weekly_capacity_hours, is_active)
            SELECT 1, now(), now(), 'Member ' || g, 'member' || g || '@example.com',
                   'Europe/Paris', CASE WHEN g % 10 = 0 THEN 'strategist' ELSE 'stakeholder' END,
                   'Dept ' || (g % 20), 40, true
            FROM generate_series(1, 2000) g"""))
        conn.execute(text("""
            INSERT INTO network (version, created_at, updated_at, slug, name, purpose, audience)
            SELECT 1, now(), now(), 'net' || g, 'Network ' || g,
                   CASE WHEN g % 2 = 0 THEN 'awareness' ELSE 'engagement' END, 'everyone'
            FROM generate_series(1, 32) g"""))
        conn.execute(text("""
            INSERT INTO network_ownership (network_id, member_id, starts_on, ends_on, created_at)
            SELECT n.id, (SELECT id FROM member WHERE role = 'strategist' ORDER BY id
                          OFFSET (n.id + d) % 200 LIMIT 1),
                   DATE '2016-01-01' + d * 30, DATE '2016-01-01' + (d + 1) * 30, now()
            FROM network n CROSS JOIN generate_series(0, 99) d
            WHERE n.slug LIKE 'net%'"""))
        conn.execute(text("""
            INSERT INTO api_key (name, role, scopes, prefix, secret_hash, created_at)
            SELECT 'key ' || g, 'manager', '[]', 'sp_x', md5(g::text) || md5((g+1)::text), now()
            FROM generate_series(1, 5000) g"""))
    engine.dispose()


def main() -> None:
    require_wrk()
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--auth-cache-seconds", type=float, default=None,
                        help="AUTH_CACHE_SECONDS for the API (default: the API's own default)")
    args = parser.parse_args()

    with scratch_database("bench_reads") as url:
        load_team(url)
        key = cli("create-key", "--role", "manager", "--name", "bench", database_url=url)
        auth = {"Authorization": f"Bearer {key}"}
        results = {}
        bare_argv = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", "{port}",
                     "--no-access-log", "--log-level", "warning"]
        with serve(bare_argv, env={}, ready_path="/bare") as bare:
            results["bare async endpoint"] = median_of([
                wrk(bare.url + "/bare", connections=args.connections, seconds=args.seconds,
                    headers={}) for _ in range(3)])
        api_argv = [*CLI, "serve", "--port", "{port}", "--workers", str(args.workers)]
        api_env = {"DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
        if args.auth_cache_seconds is not None:
            api_env["AUTH_CACHE_SECONDS"] = str(args.auth_cache_seconds)
        with serve(api_argv, env=api_env, ready_path="/readyz") as api:
            for name, path in [("GET /v1/networks/tiktok", "/v1/networks/tiktok"),
                               ("GET /v1/routing (3 networks)",
                                "/v1/routing?network=tiktok&network=linkedin&network=net7")]:
                results[name] = median_of([
                    wrk(api.url + path, connections=args.connections, seconds=args.seconds,
                        headers=auth) for _ in range(3)])
            peak = api.peak_rss_mb()

    bare_rps = results["bare async endpoint"].rps
    cache = ("default" if args.auth_cache_seconds is None
             else f"{args.auth_cache_seconds:g} s")
    print(f"{args.connections} clients, {args.seconds}s x3 (median), API workers: "
          f"{args.workers}, key cache: {cache}, PostgreSQL")
    print(f"{'endpoint':32} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'of bare':>8} {'errors':>7}")
    for name, r in results.items():
        print(f"{name:32} {r.rps:9.0f} {r.p50_ms:8.2f} {r.p99_ms:8.2f} "
              f"{r.rps / bare_rps:8.1%} {r.errors:7d}")
    print(f"API peak resident memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
