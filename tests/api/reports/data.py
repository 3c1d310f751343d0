"""Deterministic posts for report tests, loaded through the bulk upsert API."""

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.factories import Api


def at(day: str, hour: int = 12) -> str:
    return f"{day}T{hour:02d}:00:00Z"


def load(api: Api, posts: list[dict[str, Any]]) -> None:
    for start in range(0, len(posts), 500):
        api.ok(api.client.post("/v1/posts/bulk", headers=api.manager,
                               json={"posts": posts[start:start + 500]}))


def make_post(network: str, external_id: str, published: datetime, content_type: str,
              *, impressions: int, engagements: int, video_views: int = 0,
              tags: list[str] | None = None, title: str = "",
              captured: datetime | None = None) -> dict[str, Any]:
    when = captured or published + timedelta(days=2)
    return {"network": network, "external_id": external_id,
            "published_at": published.isoformat(), "content_type": content_type,
            "title": title or external_id, "campaign_tags": tags or [],
            "snapshots": [{"captured_at": when.isoformat(), "impressions": impressions,
                           "engagements": engagements, "video_views": video_views}]}


def shifted_views(network: str, content_type: str, *, start: datetime, days: int, n: int,
                  median_views: float, seed: int, prefix: str) -> list[dict[str, Any]]:
    """n posts spread over `days` from `start`, log-normal video views around median_views."""
    rng = random.Random(seed)
    posts = []
    for i in range(n):
        views = int(median_views * rng.lognormvariate(0, 0.4))
        published = start + timedelta(days=i * days / n, hours=3)
        posts.append(make_post(network, f"{prefix}{i}", published, content_type,
                               impressions=views * 3, engagements=views // 10,
                               video_views=views, captured=published + timedelta(hours=30)))
    return posts


Q3 = datetime(2025, 7, 1, tzinfo=UTC)
Q4 = datetime(2025, 10, 1, tzinfo=UTC)
