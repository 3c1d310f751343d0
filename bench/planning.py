"""Planning under load, on PostgreSQL: the week planner for a member with 500 open items
(target < 200 ms), the team-wide priority queue over 100,000 items at 16 concurrent clients
(target p99 < 50 ms per page, first page and a deep page), and the plate-clearing answer for
the 500-item member (target < 500 ms).

    python bench/planning.py [--items 100000] [--seconds 8] [--connections 16]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx2
from sqlalchemy import text

from bench.common import CLI, cli, require_wrk, scratch_database, serve, wrk
from services.api.db import make_sync_engine

WEEK = "2027-01-04"
# The same rule as services.api.planning.service.classify, with the default thresholds.
QUADRANT = """CASE WHEN impact >= 3 AND effort <= 4 THEN 'quick_win'
                   WHEN impact >= 3 THEN 'major_project'
                   WHEN effort <= 4 THEN 'fill_in' ELSE 'thankless' END"""
RANK = """CASE WHEN impact >= 4 AND effort <= 4 THEN 1 WHEN impact >= 3 AND effort <= 4 THEN 2
               WHEN impact >= 3 THEN 3 WHEN effort <= 4 THEN 4 ELSE 5 END"""


def load(url: str, items: int) -> int:
    """The demo team, 30 more strategists, `items` open work items spread over them, and one
    strategist (the first) with 500 open items, many due inside the benchmark week."""
    cli("seed-demo", database_url=url)
    engine = make_sync_engine(url)
    with engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO member (version, created_at, updated_at, name, email, time_zone, role,
                                weekly_capacity_hours, is_active)
            SELECT 1, now(), now(), 'Strategist ' || g, 'strategist' || g || '@example.com',
                   'America/Chicago', 'strategist', 40, true
            FROM generate_series(1, 30) g"""))
        owners: list[int] = [r[0] for r in conn.execute(text(
            "SELECT id FROM member WHERE role = 'strategist' ORDER BY id"))]
        busy = owners[0]
        others = owners[1:]
        insert = f"""
            INSERT INTO work_item (version, created_at, updated_at, kind, request_id, owner_id,
                title, status, impact, impact_is_derived, pillar_fit, effort_hours, deadline,
                is_fixed, chunk_count, matrix_effort_hours, quadrant, queue_rank, sort_due)
            -- initiatives only: request-backed items would need request rows (foreign key)
            SELECT 1, now(), now(), 'initiative', NULL, owner, 'Item ' || g,
                   CASE WHEN g % 10 = 0 THEN 'done' ELSE 'open' END, impact, false, false,
                   effort, deadline, g % 50 = 0, 0, effort, {QUADRANT}, {RANK},
                   COALESCE(deadline, TIMESTAMPTZ '9999-12-31 00:00:00+00')
            FROM (SELECT g, :owner_expr AS owner, 1 + (g * 7) % 5 AS impact,
                         0.5 + (g * 13) % 16 / 2.0 AS effort,
                         CASE WHEN g % 4 = 0 THEN NULL
                              ELSE TIMESTAMPTZ '{WEEK} 14:00:00+00'
                                   + ((g * 11) % 21) * INTERVAL '8 hours' END AS deadline
                  FROM generate_series(CAST(:first AS int), CAST(:last AS int)) g) s"""
        conn.execute(text(insert.replace(":owner_expr", str(busy))),
                     {"first": 1, "last": 556})  # 10% done: about 500 open
        array = "ARRAY[" + ",".join(map(str, others)) + "]"
        conn.execute(text(insert.replace(":owner_expr", f"({array})[1 + g % {len(others)}]")),
                     {"first": 557, "last": items})
        conn.execute(text("ANALYZE"))
        open_items = conn.execute(text(
            "SELECT count(*) FROM work_item WHERE owner_id = :o AND status = 'open'"),
            {"o": busy}).scalar_one()
    engine.dispose()
    print(f"loaded {items} work items; member {busy} has {open_items} open")
    return busy


def timed(client: httpx2.Client, url: str, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = client.get(url)
        out.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
    return out


def summary(name: str, ms: list[float], target: float) -> None:
    ms = sorted(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    verdict = "ok" if p99 < target else "OVER TARGET"
    print(f"{name:44} n={len(ms):3d} p50 {statistics.median(ms):7.1f} ms  p99/max "
          f"{p99:7.1f} ms  (target < {target:.0f} ms: {verdict})")


def main() -> None:
    require_wrk()
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    with scratch_database("bench_planning") as url:
        busy = load(url, args.items)
        print(f"load average before: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}"
              f" on {os.cpu_count()} CPUs")
        key = cli("create-key", "--role", "manager", "--name", "bench", database_url=url)
        auth = {"Authorization": f"Bearer {key}"}
        argv = [*CLI, "serve", "--port", "{port}", "--workers", str(args.workers)]
        print(f"API workers: {args.workers}; PostgreSQL; wrk -t2 -c{args.connections} "
              f"-d{args.seconds}s")
        with serve(argv, env={"DATABASE_URL": url, "LOG_LEVEL": "WARNING"},
                   ready_path="/readyz") as api, \
                httpx2.Client(base_url=api.url, headers=auth, timeout=30) as client:
            plan_url = f"/v1/members/{busy}/plan?start={WEEK}&days=7"
            plate_url = f"/v1/members/{busy}/what-can-i-take-off-my-plate?start={WEEK}&days=7"
            timed(client, plan_url, 3)  # warm-up
            plan = client.get(plan_url).json()
            placed = sum(len(d["slots"]) for d in plan["days"])
            print(f"week plan: {placed} slots, {len(plan['unplaced'])} unplaced, "
                  f"feasible={plan['feasible']}")
            summary("GET plan (7 days, 500 open items)", timed(client, plan_url, 50), 200)
            proposal = client.get(plate_url).json()
            print(f"plate: {len(proposal['actions'])} actions, {proposal['hours_freed']}h freed, "
                  f"feasible after={proposal['feasible_after']}")
            summary("GET what-can-i-take-off-my-plate (500)", timed(client, plate_url, 20),
                    500)

            cursor = None
            for _ in range(100):  # walk 100 pages of 50 to find a deep cursor
                page = client.get("/v1/queue", params={"limit": 50, **(
                    {"cursor": cursor} if cursor else {})}).json()
                cursor = page["next"]
            for name, path in [("baseline: GET /v1/members/1 (one row)", "/v1/members/1"),
                               ("team queue, page 1", "/v1/queue?limit=50"),
                               ("team queue, page 101", f"/v1/queue?limit=50&cursor={cursor}"),
                               ("owner queue, page 1", f"/v1/queue?owner_id={busy}&limit=50")]:
                summary(f"{name}, one client", timed(client, path, 200), 50)
                r = wrk(api.url + path, connections=args.connections, seconds=args.seconds,
                        headers=auth)
                verdict = "ok" if r.p99_ms < 50 and r.errors == 0 else "OVER TARGET"
                if name.startswith("baseline"):
                    verdict = "no target; the machine's floor for any API call"
                print(f"{name:44} {args.connections} clients: {r.rps:7.0f} req/s  p50 "
                      f"{r.p50_ms:6.2f} ms  p99 {r.p99_ms:6.2f} ms  errors {r.errors} "
                      f"(target p99 < 50 ms: {verdict})")


if __name__ == "__main__":
    main()
