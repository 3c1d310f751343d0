"""Wire models for the post performance, network profile and trends reports, freshness,
custom report definitions, annotations and share links."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.api.models import ContentType, GoalMetric
from services.api.posts.schemas import ENGAGEMENT_RATE, MetricsPublic, NotePublic
from services.api.team.schemas import Strict
from shared.schemas.bounds import Day, Int32
from shared.schemas.patch import NotNull, Patch


class SortKey(StrEnum):
    impressions = "impressions"
    engagements = "engagements"
    engagement_rate = "engagement_rate"
    video_views = "video_views"
    reach = "reach"
    shares = "shares"


class TrendMetric(StrEnum):
    impressions = "impressions"
    engagements = "engagements"
    video_views = "video_views"
    engagement_rate = "engagement_rate"


class PeriodPublic(BaseModel):
    start: date = Field(alias="from", serialization_alias="from")
    end: date = Field(alias="to", serialization_alias="to")
    days: int

    model_config = {"populate_by_name": True}


class NetworkFreshness(BaseModel):
    network: str
    name: str
    status: Literal["fresh", "stale", "missing"] = Field(
        description="fresh: newest snapshot within the stale threshold; stale: older; "
        "missing: no snapshot at all (its figures are null, not zero).")
    data_as_of: datetime | None = Field(description="Newest snapshot of the network's posts.")


class Freshness(BaseModel):
    generated_at: datetime
    data_as_of: datetime | None = Field(description="Newest snapshot among the networks shown.")
    stale_after_hours: int
    networks: list[NetworkFreshness]


class PostSummary(BaseModel):
    id: int
    network: str
    external_id: str
    title: str
    url: str | None
    content_type: ContentType
    published_at: datetime
    campaign_tags: list[str]
    owner_id: int | None
    metrics_as_of: datetime | None


class PerformanceRow(BaseModel):
    rank: int
    post: PostSummary
    metrics: MetricsPublic
    notes: list[NotePublic]


class Totals(BaseModel):
    posts: int
    metrics: MetricsPublic = Field(description="Sums over every post matching the filters; "
                                   + ENGAGEMENT_RATE)


class PerformanceReport(BaseModel):
    period: PeriodPublic
    sort: SortKey
    filters: dict[str, Any]
    definition: str = Field(default=ENGAGEMENT_RATE)
    totals: Totals
    rows: list[PerformanceRow]
    freshness: Freshness


class Kpi(BaseModel):
    metric: GoalMetric
    actual: float | None = Field(description="Null when the network has no data at all.")
    previous: float | None = Field(description="The same KPI over the previous period.")
    change_pct: float | None = Field(description="(actual - previous) / previous, in percent.")
    target: float | None = Field(description="The quarter's goal, if one is set.")
    percent_of_goal: float | None = Field(description="actual / target, in percent.")
    on_track: bool | None = Field(
        description="Rates: at or above target. Totals: percent of goal at least the share of "
        "the period elapsed.")


class NetworkProfile(BaseModel):
    network: str
    name: str
    purpose: str
    freshness: Literal["fresh", "stale", "missing"]
    kpis: list[Kpi]


class ProfileReport(BaseModel):
    period: PeriodPublic
    previous_period: PeriodPublic
    goals_quarter: str
    elapsed_pct: float = Field(description="Share of the period already past, in percent.")
    definition: str = Field(default=ENGAGEMENT_RATE)
    networks: list[NetworkProfile]
    freshness: Freshness


class TrendCell(BaseModel):
    network: str
    content_type: ContentType
    metric: TrendMetric
    current_posts: int
    previous_posts: int
    current: float | None = Field(description="Mean per post (counts) or the rate.")
    previous: float | None
    change_pct: float | None
    p_value: float | None = Field(description="Null with fewer than 5 posts on a side.")
    p_adjusted: float | None = Field(description="Holm-adjusted over every test in the report.")
    method: str
    is_large: bool
    is_credible: bool
    flag: Literal["rise", "drop"] | None = Field(description="Set only when large AND credible.")
    sentence: str


class TrendsReport(BaseModel):
    period: PeriodPublic
    previous_period: PeriodPublic
    threshold_pct: float
    alpha: float
    method: str
    cells: list[TrendCell]
    signals: list[TrendCell] = Field(description="The flagged cells, largest change first: "
                                     "input to re-prioritising.")
    freshness: Freshness


# Custom reports


class SectionIn(Strict):
    kind: str = Field(examples=["performance"],
                      description="performance, profiles, trends or requests "
                                  "(requests and triage).")
    key: str | None = Field(default=None, pattern=r"^[a-z0-9-]{1,40}$",
                            description="Stable name for annotations; default s1, s2, ...")
    title: str | None = Field(default=None, max_length=200,
                              examples=["Top posts by engagement rate"])
    params: dict[str, Any] = Field(default_factory=dict,
                                   examples=[{"sort": "engagement_rate", "limit": 10}])


class ReportCreate(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["Q4 leadership review"])
    description: str = Field(default="", max_length=4000)
    period_from: Day = Field(examples=["2026-10-01"])
    period_to: Day = Field(examples=["2026-12-31"])
    networks: list[str] = Field(default_factory=list, max_length=50,
                                description="Limit to these networks; empty means all.")
    sections: list[SectionIn] = Field(min_length=1, max_length=12)


class ReportUpdate(Patch):
    name: NotNull[str] = Field(default=None, min_length=1, max_length=200)
    description: NotNull[str] = Field(default=None, max_length=4000)
    period_from: NotNull[Day] = None
    period_to: NotNull[Day] = None
    networks: NotNull[list[str]] = Field(default=None, max_length=50)
    sections: NotNull[list[SectionIn]] = Field(default=None, min_length=1, max_length=12)


class SectionPublic(BaseModel):
    key: str
    kind: str
    title: str
    params: dict[str, Any]


class ReportPublic(BaseModel):
    id: int
    name: str
    description: str
    period_from: date
    period_to: date
    networks: list[str]
    sections: list[SectionPublic]
    created_at: datetime
    updated_at: datetime


class AnnotationCreate(Strict):
    section_key: str = Field(examples=["s1"], max_length=40)
    body: str = Field(min_length=1, max_length=4000,
                      examples=["TikTok shorts carried the quarter: keep two a week."])


class AnnotationPublic(BaseModel):
    id: int
    section_key: str
    body: str
    created_at: datetime


class Bar(BaseModel):
    label: str
    value: float
    note: str = ""


class Chart(BaseModel):
    title: str
    unit: str = ""
    bars: list[Bar]
    reference: float | None = Field(default=None, description="A reference line (e.g. 100%).")


class RenderedSection(BaseModel):
    key: str
    kind: str
    title: str
    annotations: list[AnnotationPublic]
    columns: list[str]
    rows: list[list[Any]]
    chart: Chart | None
    highlights: list[str]


class RenderedReport(BaseModel):
    id: int
    name: str
    description: str
    period: PeriodPublic
    generated_at: datetime
    freshness: Freshness
    sections: list[RenderedSection]


class Highlights(BaseModel):
    subject: str
    text: str
    html: str


class ShareLinkCreate(Strict):
    expires_in_days: Int32 = Field(default=14, ge=1, le=365)
    label: str = Field(default="", max_length=200, examples=["Leadership, Q4 review"])


class ShareLinkPublic(BaseModel):
    id: int
    report_id: int
    label: str
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime
    url: str | None = Field(default=None, description="Shown once, at creation: the link opens "
                            "this report read-only without a key (add .html or .csv).")
