"""Wire models for the content calendar, its iCalendar feeds, bulk import and the monthly
plan."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from services.api.models import EntryStatus, FeedScope
from services.api.team.schemas import Slug, Strict
from shared.schemas.bounds import YEAR_PATTERN, Id, Timestamp
from shared.schemas.patch import NotNull, Patch

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Campaign = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
MONTH_PATTERN = rf"^{YEAR_PATTERN}-(0[1-9]|1[0-2])$"


class EntryCreate(Strict):
    title: Title = Field(examples=["TikTok launch video 1"])
    network: Slug = Field(examples=["tiktok"])
    owner_id: Id | None = Field(default=None, description="Default: the network's owner on "
                                                           "the publish date.")
    publish_at: Timestamp = Field(examples=["2026-12-03T15:00:00Z"])
    status: EntryStatus = EntryStatus.planned
    request_id: Id | None = Field(default=None, description="The request it answers; a "
                                                             "triaged request becomes planned.")
    ownership_note: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None, examples=["This is an initiative I own"])
    campaign: Campaign | None = Field(default=None, examples=["TikTok launch"])
    tags: list[Tag] = Field(default_factory=list, max_length=20, examples=[["video"]])


class EntryUpdate(Patch):
    title: NotNull[Title] = None
    network: NotNull[Slug] = None
    owner_id: Id | None = Field(default=None, description="null: the network's owner that day.")
    publish_at: NotNull[Timestamp] = None
    status: NotNull[EntryStatus] = None
    ownership_note: Annotated[str, StringConstraints(max_length=500)] | None = None
    campaign: Campaign | None = None
    tags: NotNull[list[Tag]] = Field(default=None, max_length=20)


class EntryPublic(BaseModel):
    id: int
    title: str
    network: str
    owner_id: int
    publish_at: datetime
    status: EntryStatus
    request_id: int | None
    ownership_note: str | None
    campaign: str | None
    tags: list[str]
    warnings: list[str] = Field(
        default_factory=list, description="Set on writes: e.g. the network is double-booked.",
        examples=[["tiktok is double-booked: entry 12 publishes 45 min apart"]])
    created_at: datetime
    updated_at: datetime


class FeedCreate(Strict):
    name: Title = Field(examples=["Olivia's calendar app"])
    scope: FeedScope = Field(examples=["network"])
    owner_id: Id | None = Field(default=None, description="For scope `owner`.")
    network: Slug | None = Field(default=None, description="For scope `network`.",
                                 examples=["tiktok"])


class FeedPublic(BaseModel):
    id: int
    name: str
    scope: FeedScope
    member_id: int | None = Field(description="For an owner feed: whose entries.")
    network_id: int | None
    holder_id: int | None = Field(description="The person the feed belongs to: any of their "
                                              "keys lists and revokes it.")
    prefix: str = Field(description="The token's first characters, to recognise it.")
    created_at: datetime
    revoked_at: datetime | None


class FeedCreated(FeedPublic):
    url: str = Field(description="Subscribe to this URL in a calendar app. It holds the "
                                 "secret token and is shown only once.",
                     examples=["http://127.0.0.1:8000/v1/calendar/feeds/cal_x1y2.ics"])


class ImportResult(BaseModel):
    created: int = Field(examples=[8])
    ids: list[int]
    warnings: list[str]


class PlanLine(BaseModel):
    key: str = Field(examples=["TikTok launch"])
    planned: int = Field(description="Entries in the month, whatever their status.")
    produced: int = Field(description="Entries produced or published.")
    published: int
    summary: str = Field(examples=["5 of 8 TikTok launch produced"])


class MonthlyPlan(BaseModel):
    month: str = Field(examples=["2026-12"])
    total: PlanLine
    by_owner: list[PlanLine]
    by_network: list[PlanLine]
    by_campaign: list[PlanLine]
