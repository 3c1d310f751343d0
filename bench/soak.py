"""A bounded mixed soak on PostgreSQL: reads, cursor walks, keyed creates (with replays),
If-Match updates and hostile inputs from several clients against one API process, printing
its resident memory over time. Memory should settle: less than 10% growth after the first
minute. Any 5xx fails the run.
`python bench/soak.py [--minutes 10] [--clients 8] [--sample-seconds 30]`. Needs PostgreSQL at
127.0.0.1 (user postgres); creates and drops its own database."""

from __future__ import annotations

import argparse
import collections
import itertools
import random
import re
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import CLI, _children, scratch_database, serve
from services.api.db import migrate
from tests.factories import make_key

NETWORKS = ["tiktok", "instagram", "youtube", "linkedin"]


def rss_mb(pid: int) -> float:
    total = 0
    for p in [pid, *_children(pid)]:
        match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{p}/status").read_text())
        total += int(match.group(1)) if match else 0
    return total / 1024


def seed(http: httpx2.Client) -> dict[str, Any]:
    owner = http.post("/v1/members", json={"name": "Olivia", "email": "o@example.com",
                                           "time_zone": "UTC", "role": "strategist"}).json()
    for slug in NETWORKS:
        http.post("/v1/networks", json={"slug": slug, "name": slug.title(),
                                        "purpose": "awareness", "audience": "everyone",
                                        "owner_id": owner["id"]})
    members = [http.post("/v1/members", json={
        "name": f"Member {i}", "email": f"m{i}@example.com", "time_zone": "UTC",
        "role": "stakeholder"}).json() for i in range(20)]
    return {"owner": owner, "members": members}


class Soak:
    def __init__(self, url: str, manager: dict[str, str], stakeholder: dict[str, str],
                 team: dict[str, Any]) -> None:
        self.url, self.manager, self.stakeholder, self.team = url, manager, stakeholder, team
        self.statuses: collections.Counter[int] = collections.Counter()
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.keys = itertools.count()
        self.lock = threading.Lock()

    def one(self, http: httpx2.Client, rng: random.Random) -> httpx2.Response:
        roll = rng.random()
        when = (datetime.now(UTC) + timedelta(days=rng.randint(1, 60))).isoformat()
        if roll < 0.30:
            return http.get(f"/v1/networks/{rng.choice(NETWORKS)}")
        if roll < 0.45:
            page = http.get("/v1/calendar/entries", params={"limit": 20})
            nxt = page.json().get("next") if page.status_code == 200 else None
            return http.get("/v1/calendar/entries", params={"limit": 20, "cursor": nxt}) \
                if nxt else page
        if roll < 0.55:
            return http.get("/v1/members", params={"limit": 50})
        if roll < 0.65:
            n = next(self.keys)
            key = f"soak-{n // 2 if rng.random() < 0.2 else n}"  # some retries replay
            return http.post("/v1/calendar/entries", headers={"Idempotency-Key": key}, json={
                "title": f"Post {n}", "network": rng.choice(NETWORKS), "publish_at": when,
                "campaign": "Soak"})
        if roll < 0.72:
            return http.post("/v1/requests", headers=self.stakeholder, json={
                "title": "Promote the webinar", "description": "d", "goal": "awareness",
                "audience": "everyone", "networks": [rng.choice(NETWORKS)],
                "desired_publish_at": when, "department": "Sales"})
        if roll < 0.82:
            member = rng.choice(self.team["members"])
            read = http.get(f"/v1/members/{member['id']}")
            return http.patch(f"/v1/members/{member['id']}", json={
                "department": f"Team {rng.randint(1, 9)}"},
                headers={"If-Match": read.headers.get("etag", '"v1"')})
        if roll < 0.86:
            return http.get("/v1/members", params={"cursor": "WyJ4Il0"})
        if roll < 0.90:
            return http.post("/v1/members", content=b"[" * 10_000,
                             headers={"Content-Type": "application/json"})
        if roll < 0.94:
            return http.get("/v1/requests", params={"network": "tiktok\x00"})
        return http.get("/v1/queue", params={"limit": 50})

    def client(self, seed: int) -> None:
        rng = random.Random(seed)
        with httpx2.Client(base_url=self.url, headers=self.manager, timeout=30) as http:
            while not self.stop.is_set():
                try:
                    r = self.one(http, rng)
                except httpx2.HTTPError as exc:
                    with self.lock:
                        self.errors.append(repr(exc))
                    continue
                with self.lock:
                    self.statuses[r.status_code] += 1
                    if r.status_code >= 500:
                        self.errors.append(f"{r.request.method} {r.request.url}: {r.text[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--sample-seconds", type=float, default=30.0)
    args = parser.parse_args()
    with scratch_database("sp_bench_soak") as url:
        migrate(url)
        manager = {"Authorization": f"Bearer {make_key(url, 'manager')}"}
        argv = [*CLI, "serve", "--port", "{port}", "--no-migrate"]
        with serve(argv, env={"DATABASE_URL": url, "LOG_LEVEL": "WARNING"},
                   ready_path="/readyz") as server:
            with httpx2.Client(base_url=server.url, headers=manager, timeout=30) as http:
                team = seed(http)
            stakeholder = {"Authorization": "Bearer " + make_key(
                url, "stakeholder", member_id=team["members"][0]["id"])}
            soak = Soak(server.url, manager, stakeholder, team)
            threads = [threading.Thread(target=soak.client, args=(i,), daemon=True)
                       for i in range(args.clients)]
            started = time.monotonic()
            for t in threads:
                t.start()
            samples: list[tuple[float, int, float]] = []
            print(f"{'minute':>7} {'requests':>9} {'RSS MB':>8}")
            end = started + args.minutes * 60
            while (now := time.monotonic()) < end:
                time.sleep(min(args.sample_seconds, end - now))
                done = sum(soak.statuses.values())
                samples.append((time.monotonic() - started, done, rss_mb(server.process.pid)))
                print(f"{samples[-1][0] / 60:7.1f} {done:9d} {samples[-1][2]:8.1f}", flush=True)
            soak.stop.set()
            for t in threads:
                t.join(timeout=60)
    after_first = [s for s in samples if s[0] >= 60] or samples
    growth = (samples[-1][2] - after_first[0][2]) / after_first[0][2] * 100
    total = sum(soak.statuses.values())
    print(f"{total} requests, statuses {dict(sorted(soak.statuses.items()))}")
    print(f"RSS at 1 min {after_first[0][2]:.1f} MB, at the end {samples[-1][2]:.1f} MB: "
          f"{growth:+.1f}% (target < 10%); peak {max(s[2] for s in samples):.1f} MB")
    if soak.errors:
        print(f"{len(soak.errors)} server or transport errors, first: {soak.errors[:3]}")
        sys.exit(1)


if __name__ == "__main__":
    main()
