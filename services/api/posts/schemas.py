"""Wire models for posts, metric snapshots, notes, goals and follower counts."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, model_validator

from services.api.models import ContentType, GoalMetric
from services.api.team.schemas import SLUG_PATTERN, Quarter, Strict
from shared.schemas.bounds import Day, Id, Int64, Real, Timestamp

MAX_POSTS_PER_CALL = 1000
MAX_SNAPSHOTS_PER_CALL = 5000

Count = Annotated[Int64, Field(ge=0, le=10**15)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1,
                                       max_length=100)]
ENGAGEMENT_RATE = (
    "Engagement rate = engagements / impressions, summed over the posts considered (a ratio "
    "of sums, not a mean of per-post ratios); null when there are no impressions."
)


class SnapshotIn(Strict):
    """Cumulative counters of a post at `captured_at`. Omitted counters are 0; omitted
    `engagements` is likes + comments + shares + saves."""

    captured_at: Timestamp = Field(examples=["2026-11-20T06:00:00Z"])
    impressions: Count = Field(default=0, examples=[12500])
    reach: Count = Field(default=0, examples=[9800])
    engagements: Count | None = Field(default=None, examples=[640])
    likes: Count = Field(default=0, examples=[510])
    comments: Count = Field(default=0, examples=[42])
    shares: Count = Field(default=0, examples=[61])
    saves: Count = Field(default=0, examples=[27])
    clicks: Count = Field(default=0, examples=[88])
    video_views: Count = Field(default=0, examples=[7400])
    watch_time_seconds: Count = Field(default=0, examples=[51000])


class PostIn(Strict):
    network: str = Field(pattern=SLUG_PATTERN, examples=["tiktok"])
    external_id: str = Field(min_length=1, max_length=200, examples=["7301234567890"])
    published_at: Timestamp = Field(examples=["2026-11-18T15:00:00Z"])
    content_type: ContentType = Field(examples=["short"])
    title: str = Field(default="", max_length=500, examples=["Three hooks for product launches"])
    url: str | None = Field(default=None, max_length=2000)
    campaign_tags: list[Tag] = Field(default_factory=list, max_length=20,
                                     examples=[["q4-launch"]])
    calendar_entry_id: Id | None = Field(default=None, ge=1)
    request_id: Id | None = Field(default=None, ge=1)
    snapshots: list[SnapshotIn] = Field(default_factory=list, max_length=MAX_SNAPSHOTS_PER_CALL)

    @model_validator(mode="after")
    def _distinct_snapshots(self) -> "PostIn":
        times = [s.captured_at for s in self.snapshots]
        if len(set(times)) != len(times):
            raise ValueError("two snapshots of one post have the same captured_at")
        if any(t < self.published_at for t in times):
            raise ValueError("a snapshot is captured before the post was published")
        return self


class BulkUpsert(Strict):
    posts: list[PostIn] = Field(min_length=1, max_length=MAX_POSTS_PER_CALL)

    @model_validator(mode="after")
    def _limits(self) -> "BulkUpsert":
        if sum(len(p.snapshots) for p in self.posts) > MAX_SNAPSHOTS_PER_CALL:
            raise ValueError(f"at most {MAX_SNAPSHOTS_PER_CALL} snapshots per call")
        keys = [(p.network, p.external_id) for p in self.posts]
        if len(set(keys)) != len(keys):
            raise ValueError("a post (network, external_id) appears twice; merge its snapshots")
        return self


class FlaggedSnapshot(BaseModel):
    network: str
    external_id: str
    captured_at: datetime
    decreased: list[str] = Field(description="Counters lower than in the previous snapshot.")


class BulkResult(BaseModel):
    posts_created: int
    posts_updated: int
    posts_unchanged: int
    snapshots_created: int
    snapshots_updated: int
    snapshots_unchanged: int
    flagged: list[FlaggedSnapshot] = Field(
        description="Snapshots stored but flagged because a cumulative counter went down.")


class MetricsPublic(BaseModel):
    impressions: int
    reach: int
    engagements: int
    likes: int
    comments: int
    shares: int
    saves: int
    clicks: int
    video_views: int
    watch_time_seconds: int
    engagement_rate: float | None = Field(description=ENGAGEMENT_RATE, examples=[0.0512])


class PostPublic(BaseModel):
    id: int
    network: str
    external_id: str
    published_at: datetime
    content_type: ContentType
    title: str
    url: str | None
    owner_id: int | None = Field(description="The network's owner on the publishing day (its "
                                 "first recorded owner for older posts).")
    campaign_tags: list[str]
    calendar_entry_id: int | None
    request_id: int | None
    metrics_as_of: datetime | None = Field(description="When the current metrics were captured; "
                                           "null if no snapshot yet.")
    metrics: MetricsPublic = Field(description="The newest snapshot's counters.")


class SnapshotPublic(MetricsPublic):
    id: int
    captured_at: datetime
    is_flagged: bool
    decreased: list[str]


class NoteCreate(Strict):
    body: str = Field(min_length=1, max_length=2000,
                      examples=["The hook in the first second carried it; reuse for launches."])


class NotePublic(BaseModel):
    id: int
    post_id: int
    body: str
    author_member_id: int | None
    created_at: datetime


class GoalsPut(Strict):
    targets: dict[GoalMetric, Annotated[Real, Field(ge=0)]] = Field(
        examples=[{"engagement_rate": 0.045, "video_views": 250000, "posts": 36}],
        description="Every target of the network for the quarter (replaces the previous set). "
        "engagement_rate is a fraction (0.045 = 4.5%).")


class GoalPublic(BaseModel):
    network: str
    quarter: str
    metric: GoalMetric
    target: float


class GoalSet(BaseModel):
    network: str
    quarter: Quarter
    goals: list[GoalPublic]


class FollowerCountIn(Strict):
    day: Day = Field(examples=["2026-11-20"])
    followers: Count = Field(examples=[48210])


class FollowersPut(Strict):
    counts: list[FollowerCountIn] = Field(min_length=1, max_length=1000)


class FollowersResult(BaseModel):
    network: str
    written: int
