"""Published posts, their metric snapshots over time, strategists' notes, and quarterly goals.

A post row also carries its newest snapshot's values (`metrics_as_of` and the counters): the
post's current metrics, maintained on every upsert so reports never scan the snapshots."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.api.models.base import Versioned, enum_field, utc_field

METRICS = ("impressions", "reach", "engagements", "likes", "comments", "shares", "saves",
           "clicks", "video_views", "watch_time_seconds")


class ContentType(StrEnum):
    video = "video"
    image = "image"
    text = "text"
    story = "story"
    short = "short"
    link = "link"


class GoalMetric(StrEnum):
    engagement_rate = "engagement_rate"
    impressions = "impressions"
    engagements = "engagements"
    video_views = "video_views"
    posts = "posts"
    follower_growth = "follower_growth"


def _counter(**kw: Any) -> Any:
    return Field(default=0, sa_type=BigInteger, nullable=False, **kw)


class Metrics(SQLModel):
    impressions: int = _counter()
    reach: int = _counter()
    engagements: int = _counter()
    likes: int = _counter()
    comments: int = _counter()
    shares: int = _counter()
    saves: int = _counter()
    clicks: int = _counter()
    video_views: int = _counter()
    watch_time_seconds: int = _counter()


class Post(Metrics, table=True):
    __table_args__ = (
        UniqueConstraint("network_id", "external_id"),
        Index("ix_post_published_at", "published_at"),
        Index("ix_post_network_published", "network_id", "published_at"),
        Index("ix_post_network_as_of", "network_id", "metrics_as_of"),
        # Top-N by each report sort: read backwards, the first rows in the period win.
        Index("ix_post_rank_engagement_rate", "engagement_rate", "id"),
        Index("ix_post_rank_impressions", "impressions", "id"),
        Index("ix_post_rank_engagements", "engagements", "id"),
        Index("ix_post_rank_video_views", "video_views", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id")
    external_id: str = Field(max_length=200)
    published_at: datetime = utc_field()
    content_type: ContentType = enum_field(ContentType)
    title: str = Field(default="", max_length=500)
    url: str | None = Field(default=None, max_length=2000)
    # The network's owner on the day it was published (who the post's results belong to).
    owner_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    campaign_tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Links to the calendar and intake features; foreign keys are added when those merge.
    calendar_entry_id: int | None = Field(default=None, index=True,
                                          foreign_key="calendar_entry.id", ondelete="SET NULL")
    request_id: int | None = Field(default=None, index=True, foreign_key="request.id",
                                   ondelete="SET NULL")
    metrics_as_of: datetime | None = utc_field(nullable=True)
    # engagements / impressions of the current metrics, 0 without impressions: an indexed
    # sort key only (the API computes the rate, null without impressions, from the counters).
    engagement_rate: float = Field(default=0.0)
    created_at: datetime = utc_field()
    updated_at: datetime = utc_field()


class PostTag(SQLModel, table=True):
    """One campaign tag of a post: an indexed copy of `Post.campaign_tags` for filtering."""

    __tablename__ = "post_tag"

    tag: str = Field(max_length=100, primary_key=True)
    post_id: int = Field(foreign_key="post.id", primary_key=True, ondelete="CASCADE", index=True)


class MetricSnapshot(Metrics, table=True):
    """Cumulative counters of one post at one moment. A snapshot lowering a counter against the
    previous one is stored as sent, with the lowered counters named in `decreased`."""

    __tablename__ = "metric_snapshot"
    __table_args__ = (UniqueConstraint("post_id", "captured_at"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    post_id: int = Field(foreign_key="post.id", ondelete="CASCADE")
    captured_at: datetime = utc_field()
    decreased: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    is_flagged: bool = Field(default=False)
    received_at: datetime = utc_field()


class PostNote(SQLModel, table=True):
    """A strategist's qualitative note on a post ("hook in the first second carried it")."""

    __tablename__ = "post_note"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True, ondelete="CASCADE")
    body: str = Field(max_length=2000)
    author_key_id: int | None = None
    author_member_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = utc_field()


class NetworkGoal(Versioned, table=True):
    """A quarter's target for one KPI of one network."""

    __tablename__ = "network_goal"
    __table_args__ = (UniqueConstraint("network_id", "quarter", "metric"),)

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id")
    quarter: str = Field(max_length=7, index=True)
    metric: GoalMetric = enum_field(GoalMetric)
    target: float


class FollowerCount(SQLModel, table=True):
    """A network account's follower count on a day (for follower growth)."""

    __tablename__ = "follower_count"

    network_id: int = Field(foreign_key="network.id", primary_key=True)
    day: date = Field(primary_key=True)
    followers: int = Field(sa_type=BigInteger, nullable=False)
