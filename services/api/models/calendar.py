"""The shared content calendar and the secret tokens of its iCalendar feeds."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from services.api.models.base import Versioned, enum_field, utc_field


class EntryStatus(StrEnum):
    planned = "planned"
    produced = "produced"
    published = "published"


class FeedScope(StrEnum):
    team = "team"
    owner = "owner"
    network = "network"


class CalendarEntry(Versioned, table=True):
    __tablename__ = "calendar_entry"
    __table_args__ = (
        Index("ix_calendar_entry_publish_id", "publish_at", "id"),
        Index("ix_calendar_entry_network_publish", "network_id", "publish_at", "id"),
        Index("ix_calendar_entry_owner_publish", "owner_id", "publish_at", "id"),
        Index("ix_calendar_entry_campaign_publish", "campaign", "publish_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    network_id: int = Field(foreign_key="network.id")
    owner_id: int = Field(foreign_key="member.id")
    publish_at: datetime = utc_field()
    status: EntryStatus = enum_field(EntryStatus, default=EntryStatus.planned)
    request_id: int | None = Field(default=None, foreign_key="request.id", index=True)
    ownership_note: str | None = Field(default=None, max_length=500)
    campaign: str | None = Field(default=None, max_length=100)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class CalendarFeed(SQLModel, table=True):
    """A revocable secret token for one iCalendar feed; only its SHA-256 hash is stored."""

    __tablename__ = "calendar_feed"
    __table_args__ = (Index("ix_calendar_feed_holder_id", "holder_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    scope: FeedScope = enum_field(FeedScope)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    network_id: int | None = Field(default=None, foreign_key="network.id")
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_by_key_id: int = Field(foreign_key="api_key.id", index=True)
    # The person the feed belongs to (the creating key's member): any of their keys lists
    # and revokes it. None only for a feed made with a key linked to no member.
    holder_id: int | None = Field(default=None, foreign_key="member.id")
    created_at: datetime = utc_field()
    revoked_at: datetime | None = utc_field(nullable=True)
