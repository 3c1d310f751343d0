"""The team: members, networks, who owns which network over time, and quarterly pillars."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.api.models.base import Versioned, enum_field, utc_field


class MemberRole(StrEnum):
    stakeholder = "stakeholder"
    strategist = "strategist"
    manager = "manager"


class Purpose(StrEnum):
    engagement = "engagement"
    awareness = "awareness"


class Member(Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320, unique=True)
    time_zone: str = Field(max_length=64)
    role: MemberRole = enum_field(MemberRole)
    department: str | None = Field(default=None, max_length=200)
    weekly_capacity_hours: float = Field(default=40.0)
    is_active: bool = Field(default=True)


class Network(Versioned, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=100)
    purpose: Purpose = enum_field(Purpose)
    audience: str = Field(default="", max_length=2000)


class NetworkOwnership(SQLModel, table=True):
    """One owner for a span of days: `starts_on` inclusive, `ends_on` exclusive (None: current)."""

    __tablename__ = "network_ownership"
    __table_args__ = (Index("ix_network_ownership_network_starts", "network_id", "starts_on"),)

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    starts_on: date
    ends_on: date | None = None
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = utc_field()


class Pillar(Versioned, table=True):
    """A strategy pillar for one quarter (`2026-Q4`), serving some networks and audiences."""

    __table_args__ = (UniqueConstraint("quarter", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    quarter: str = Field(max_length=7, index=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    audiences: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class PillarNetwork(SQLModel, table=True):
    __tablename__ = "pillar_network"

    pillar_id: int = Field(foreign_key="pillar.id", primary_key=True, ondelete="CASCADE")
    network_id: int = Field(foreign_key="network.id", primary_key=True, index=True)
