"""Demo performance data for `seed-demo`: a believable previous and current quarter of posts
and cumulative metric snapshots for the demo networks, follower counts, goals and notes.
Every value comes from a generator seeded by the post's own id, so running it again (even
on a later day) rewrites nothing and only adds what time has made due."""

import math
import random
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.api.db import utcnow
from services.api.models import GoalMetric, Network, NetworkGoal, Post, PostNote
from services.api.posts import service as posts
from services.api.posts.schemas import (
    BulkUpsert,
    FollowerCountIn,
    FollowersPut,
    GoalsPut,
    PostIn,
    SnapshotIn,
)
from services.api.reports.periods import Period, quarter_bounds, quarter_of

# slug: posts a week, content types, median impressions, engagement rate, followers
PROFILES = {
    "x": (5, ["text", "link", "image"], 4_000, 0.021, 52_000),
    "linkedin": (3, ["text", "link", "video"], 6_500, 0.043, 88_000),
    "facebook": (2, ["image", "link", "video"], 3_000, 0.017, 41_000),
    "youtube": (1, ["video", "short"], 18_000, 0.031, 23_000),
    "instagram": (4, ["image", "story", "short"], 9_000, 0.038, 67_000),
    "pinterest": (2, ["image"], 5_000, 0.012, 15_000),
    "tiktok": (4, ["short", "video"], 22_000, 0.055, 31_000),
    # WhatsApp has no post metrics in the demo: reports show it as missing, not as zeros.
}
STALE = {"pinterest": 5}  # days since this network's collector last ran
VIDEO = {"video", "short", "story"}
TOPICS = ["Three hooks for product launches", "Behind the scenes with support",
          "Customer story: a bakery doubles reach", "Five reporting templates",
          "Live Q&A recap", "What our data says about posting times", "Team favourite tools",
          "Launch week countdown", "How we triage requests", "Myth vs fact: algorithms"]


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _post(slug: str, day: date, k: int, now: datetime, quarter_start: date) -> PostIn | None:
    _, types, median, rate, _ = PROFILES[slug]
    ext = f"demo-{slug}-{day.isoformat()}-{k}"
    rng = random.Random(ext)
    published = _at(day, rng.choice([9, 11, 13, 15, 17]))
    cutoff = now - timedelta(days=STALE.get(slug, 0), hours=2)
    if published > cutoff:
        return None
    ctype = rng.choice(types)
    lift = 2.5 if slug == "tiktok" and ctype == "short" and day >= quarter_start else 1.0
    impressions = median * rng.lognormvariate(0, 0.6) * lift
    post_rate = rate * rng.lognormvariate(0, 0.35)
    views = impressions * rng.uniform(0.45, 0.8) if ctype in VIDEO else 0.0
    captures = sorted({1, 3, 7, 28} | {d for d in range(1, 15)
                                          if (cutoff - published).days <= 14})
    snapshots = []
    for days in captures:
        at = published + timedelta(days=days)
        if at > cutoff:
            break
        f = 1 - math.exp(-days / 2.5)
        imp = int(impressions * f)
        eng = imp * post_rate
        snapshots.append(SnapshotIn(
            captured_at=at, impressions=imp, reach=int(imp * 0.78),
            likes=int(eng * 0.72), comments=int(eng * 0.08), shares=int(eng * 0.12),
            saves=int(eng * 0.08), clicks=int(imp * 0.006), video_views=int(views * f),
            watch_time_seconds=int(views * f * rng.uniform(6, 20))))
    tags = ["q-launch"] if rng.random() < 0.25 else []
    return PostIn(network=slug, external_id=ext, published_at=published, content_type=ctype,
                  title=rng.choice(TOPICS), campaign_tags=tags, snapshots=snapshots)


def demo_posts(now: datetime) -> list[PostIn]:
    quarter_start = quarter_bounds(quarter_of(now.date()))[0]
    start = quarter_bounds(quarter_of(quarter_start - timedelta(days=1)))[0]
    found = []
    for slug, (weekly, *_rest) in PROFILES.items():
        day = start
        while day <= now.date():
            if random.Random(f"{slug}-{day}").random() < weekly / 7:
                post = _post(slug, day, 0, now, quarter_start)
                if post is not None:
                    found.append(post)
            day += timedelta(days=1)
    return found


async def seed(session: AsyncSession) -> list[str]:
    now = utcnow()
    created: list[str] = []
    batch: list[PostIn] = []
    totals = {"posts": 0, "snapshots": 0}

    async def flush() -> None:
        if batch:
            result = await posts.bulk_upsert(session, BulkUpsert(posts=batch), actor=None)
            totals["posts"] += result.posts_created
            totals["snapshots"] += result.snapshots_created
            batch.clear()

    for post in demo_posts(now):
        if len(batch) >= 200:
            await flush()
        batch.append(post)
    await flush()
    if totals["posts"] or totals["snapshots"]:
        created.append(f"{totals['posts']} posts and {totals['snapshots']} metric snapshots")

    quarter = quarter_of(now.date())
    current = Period(*quarter_bounds(quarter))
    for slug, (weekly, types, median, rate, followers) in PROFILES.items():
        rng = random.Random(f"followers-{slug}")
        first = current.previous().start - timedelta(days=1)
        days = [first + timedelta(days=i) for i in range((now.date() - first).days + 1)]
        counts, level = [], float(followers)
        for day in days:
            level *= 1 + rng.uniform(0.0005, 0.003)
            counts.append(FollowerCountIn(day=day, followers=int(level)))
        await posts.put_followers(session, slug, FollowersPut(counts=counts[-1000:]), actor=None)
        network = (await session.exec(select(Network).where(Network.slug == slug))).one()
        has_goals = (await session.exec(select(NetworkGoal.id).where(
            NetworkGoal.network_id == network.id, NetworkGoal.quarter == quarter))).first()
        if has_goals is None:
            # Some networks ahead of their goals, some behind, as in a real quarter.
            ambition = random.Random(f"goals-{slug}").uniform(0.75, 1.3)
            weeks = current.days / 7
            targets = {GoalMetric.posts: round(weekly * weeks * min(ambition, 1.0)),
                       GoalMetric.impressions: round(weekly * weeks * median * ambition, -3),
                       GoalMetric.engagement_rate: round(rate * ambition, 4),
                       GoalMetric.follower_growth: round(followers * 0.1 * ambition, -2)}
            if sum(t in VIDEO for t in types) * 2 >= len(types):
                targets[GoalMetric.video_views] = round(
                    weekly * weeks * median * 0.6 * ambition, -3)
            await posts.put_goals(session, slug, quarter, GoalsPut(targets=targets),
                                  actor=None)  # type: ignore[arg-type]
            created.append(f"{quarter} goals for {slug}")
    await _notes(session, current)
    return created


NOTES = {
    "tiktok": "Hook in the first second and a trending sound; reuse for launch teasers.",
    "linkedin": "Opened with a question from a customer call; comments were real discussion.",
    "instagram": "Carousel of before/after templates: saves drove the reach.",
}


async def _notes(session: AsyncSession, period: Period) -> None:
    for slug, body in NOTES.items():
        network = (await session.exec(select(Network).where(Network.slug == slug))).one()
        best = (await session.exec(select(Post).where(
            Post.network_id == network.id, col(Post.published_at) >= period.start_at)
            .order_by(col(Post.engagements).desc(), col(Post.id)).limit(1))).first()
        if best is None or (await session.exec(select(PostNote.id).where(
                PostNote.post_id == best.id))).first():
            continue
        session.add(PostNote(post_id=best.id or 0, body=body))
        await session.commit()
