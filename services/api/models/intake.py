"""Requests from stakeholders: the intake form, its triage, its lifecycle, progress updates
and blockers."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from services.api.models.base import Versioned, enum_field, utc_field


class Goal(StrEnum):
    awareness = "awareness"
    engagement = "engagement"
    traffic = "traffic"
    conversion = "conversion"
    leads = "leads"
    community = "community"


class RequestStatus(StrEnum):
    submitted = "submitted"
    triaged = "triaged"
    planned = "planned"
    in_progress = "in_progress"
    blocked = "blocked"
    published = "published"
    done = "done"
    declined = "declined"
    withdrawn = "withdrawn"


class Decision(StrEnum):
    accept = "accept"
    compromise = "compromise"
    redirect = "redirect"
    decline = "decline"


class Request(Versioned, table=True):
    """A stakeholder's ask. `network_id` is the primary (first) network, which routes it;
    `is_open` is false once it is done, declined or withdrawn."""

    __table_args__ = (
        Index("ix_request_owner_open_id", "owner_id", "is_open", "id"),
        Index("ix_request_owner_status_id", "owner_id", "status", "id"),
        Index("ix_request_requester_id", "requester_id", "id"),
        Index("ix_request_network_id", "network_id", "id"),
        Index("ix_request_open_update_due", "is_open", "next_update_due_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    description: str = Field(max_length=5000)
    goal: Goal = enum_field(Goal)
    audience: str = Field(max_length=500)
    networks: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    network_id: int = Field(foreign_key="network.id")
    pillar_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    desired_publish_at: datetime | None = utc_field(nullable=True)
    deadline_at: datetime | None = utc_field(nullable=True)
    assets: list[dict[str, Any]] = Field(default_factory=list,
                                         sa_column=Column(JSON, nullable=False))
    context: str = Field(default="", max_length=5000)
    department: str = Field(max_length=200)
    requester_id: int | None = Field(default=None, foreign_key="member.id")
    requester_key_id: int = Field(foreign_key="api_key.id")
    owner_id: int | None = Field(default=None, foreign_key="member.id")
    status: RequestStatus = enum_field(RequestStatus, default=RequestStatus.submitted)
    is_open: bool = Field(default=True)
    status_before_block: RequestStatus | None = enum_field(RequestStatus, default=None,
                                                           nullable=True)
    needs_strategy_review: bool = Field(default=False)
    review_reasons: list[str] = Field(default_factory=list,
                                      sa_column=Column(JSON, nullable=False))
    decision: Decision | None = enum_field(Decision, default=None, nullable=True)
    rationale: str | None = Field(default=None, max_length=5000)
    alternative: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    would_help: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    would_help_note: str | None = Field(default=None, max_length=2000)
    effort_hours: float | None = None
    earliest_start_at: datetime | None = utc_field(nullable=True)
    triaged_at: datetime | None = utc_field(nullable=True)
    triaged_by_key_id: int | None = Field(default=None, foreign_key="api_key.id")
    next_update_due_at: datetime | None = utc_field(nullable=True)


class RequestTransition(SQLModel, table=True):
    """One move of a request's status: who, when, from, to."""

    __tablename__ = "request_transition"
    __table_args__ = (Index("ix_request_transition_request_id", "request_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id")
    from_status: RequestStatus | None = enum_field(RequestStatus, default=None, nullable=True)
    to_status: RequestStatus = enum_field(RequestStatus)
    actor_key_id: int | None = Field(default=None, foreign_key="api_key.id")
    actor_member_id: int | None = Field(default=None, foreign_key="member.id")
    note: str | None = Field(default=None, max_length=2000)
    at: datetime = utc_field()


class RequestUpdate(SQLModel, table=True):
    """A progress note on a request, optionally with counts ("3 of 5 videos")."""

    __tablename__ = "request_update"
    __table_args__ = (Index("ix_request_update_request_id", "request_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id")
    note: str = Field(max_length=4000)
    done_count: int | None = None
    total_count: int | None = None
    unit: str | None = Field(default=None, max_length=50)
    author_key_id: int | None = Field(default=None, foreign_key="api_key.id")
    author_member_id: int | None = Field(default=None, foreign_key="member.id")
    next_update_due_at: datetime = utc_field()
    created_at: datetime = utc_field()


class Blocker(Versioned, table=True):
    """What a request waits on, on whom, since when; open while `resolved_at` is null."""

    __table_args__ = (
        Index("ix_blocker_request_id", "request_id", "id"),
        Index("ix_blocker_open_id", "is_open", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id")
    what: str = Field(max_length=500)
    waiting_on: str = Field(max_length=200)
    since_at: datetime = utc_field()
    is_open: bool = Field(default=True)
    resolved_at: datetime | None = utc_field(nullable=True)
    resolution: str | None = Field(default=None, max_length=2000)
